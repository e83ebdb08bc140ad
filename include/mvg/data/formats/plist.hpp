// mvg/data/formats/plist.hpp: a small reader for Apple XML property lists (the metadata of InVesalius .inv3).
// Contract: dict, array, key, string, integer, real, true/false, date and data elements; the five XML
// entities and numeric character references; nesting depth ≤ 64. Anything else is an mvg::error
// naming the document and the byte offset. Lookups that miss or find the wrong type name the key.
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mvg/core/error.hpp"

namespace mvg::data {

struct plist_entry;

struct plist_value {
  enum class kind { boolean, integer, real, string, array, dict } type = kind::string;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string string;
  std::vector<plist_value> array;
  // Not std::pair: a pair of an incomplete type is undefined (clang's libstdc++ checks refuse it).
  std::vector<plist_entry> dict;

  // dict member by key, or nullptr
  const plist_value* find(std::string_view key) const;
  double number() const { return type == kind::integer ? static_cast<double>(integer) : real; }
  bool is_number() const { return type == kind::integer || type == kind::real; }
};

struct plist_entry {
  std::string first;  // the key
  plist_value second;
};

inline const plist_value* plist_value::find(std::string_view key) const {
  for (const auto& e : dict)  // no structured binding: nvcc's front end misreads &v as a local's address
    if (e.first == key) return &e.second;
  return nullptr;
}

namespace detail {

class plist_parser {
public:
  plist_parser(std::string_view text, std::string doc) : s_(text), doc_(std::move(doc)) {}

  plist_value parse_document() {
    skip_space();
    while (starts("<?") || starts("<!")) {
      const auto end = s_.find('>', p_);
      if (end == std::string_view::npos) error("unterminated declaration");
      p_ = end + 1;
      skip_space();
    }
    const std::string tag = open_tag();
    if (tag != "plist") error("root element is <" + tag + ">, expected <plist>");
    plist_value v = parse_value(0);
    close_tag("plist");
    return v;
  }

private:
  [[noreturn]] void error(const std::string& what) const { ::mvg::detail::fail(doc_, ": plist byte ", p_, ": ", what); }
  bool starts(std::string_view t) const { return s_.substr(p_, t.size()) == t; }
  void skip_space() {
    for (;;) {
      while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
      if (!starts("<!--")) return;
      const auto end = s_.find("-->", p_);
      if (end == std::string_view::npos) error("unterminated comment");
      p_ = end + 3;
    }
  }
  // Reads "<name attrs>" or "<name/>"; returns the name with a trailing '/' when self-closing.
  std::string open_tag() {
    skip_space();
    if (p_ >= s_.size() || s_[p_] != '<') error("expected an element");
    const auto end = s_.find('>', p_);
    if (end == std::string_view::npos) error("unterminated tag");
    std::string_view body = s_.substr(p_ + 1, end - p_ - 1);
    p_ = end + 1;
    const bool self = !body.empty() && body.back() == '/';
    if (self) body.remove_suffix(1);
    const auto sp = body.find_first_of(" \t\r\n");
    std::string name(body.substr(0, sp));
    if (name.empty() || name[0] == '/') error("unexpected closing tag <" + std::string(body) + ">");
    return self ? name + "/" : name;
  }
  void close_tag(const std::string& name) {
    skip_space();
    const std::string want = "</" + name + ">";
    if (!starts(want)) error("expected " + want);
    p_ += want.size();
  }
  std::string text_until_close(const std::string& name) {
    const std::string want = "</" + name + ">";
    const auto end = s_.find(want, p_);
    if (end == std::string_view::npos) error("missing " + want);
    std::string out = unescape(s_.substr(p_, end - p_));
    p_ = end + want.size();
    return out;
  }
  std::string unescape(std::string_view t) const {
    std::string out;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] != '&') {
        out += t[i];
        continue;
      }
      const auto semi = t.find(';', i);
      if (semi == std::string_view::npos || semi - i > 10) error("bad XML entity");
      const std::string_view e = t.substr(i + 1, semi - i - 1);
      if (e == "amp") out += '&';
      else if (e == "lt") out += '<';
      else if (e == "gt") out += '>';
      else if (e == "quot") out += '"';
      else if (e == "apos") out += '\'';
      else if (!e.empty() && e[0] == '#') {
        const std::string num(e.substr(1));
        char* endp = nullptr;
        const long cp = num.size() > 1 && (num[0] == 'x' || num[0] == 'X') ? std::strtol(num.c_str() + 1, &endp, 16)
                                                                          : std::strtol(num.c_str(), &endp, 10);
        if (num.empty() || *endp != 0 || cp <= 0 || cp > 0x10FFFF) error("bad character reference");
        append_utf8(out, static_cast<std::uint32_t>(cp));
      } else {
        error("unknown XML entity &" + std::string(e) + ";");
      }
      i = semi;
    }
    return out;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) out += static_cast<char>(0xC0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 63));
    else if (cp < 0x10000)
      out += static_cast<char>(0xE0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 63)),
          out += static_cast<char>(0x80 | (cp & 63));
    else
      out += static_cast<char>(0xF0 | (cp >> 18)), out += static_cast<char>(0x80 | ((cp >> 12) & 63)),
          out += static_cast<char>(0x80 | ((cp >> 6) & 63)), out += static_cast<char>(0x80 | (cp & 63));
  }
  plist_value parse_value(int depth) {
    if (depth > 64) error("nesting deeper than 64");
    const std::string tag = open_tag();
    plist_value v;
    using k = plist_value::kind;
    if (tag == "true/" || tag == "false/") {
      v.type = k::boolean;
      v.boolean = tag == "true/";
    } else if (tag == "string/") {
      v.type = k::string;
    } else if (tag == "string" || tag == "date" || tag == "data") {
      v.type = k::string;
      v.string = text_until_close(tag);
    } else if (tag == "integer" || tag == "real") {
      const std::string t = text_until_close(tag);
      errno = 0;
      char* endp = nullptr;
      if (tag == "integer") {
        v.type = k::integer;
        v.integer = std::strtoll(t.c_str(), &endp, 10);
      } else {
        v.type = k::real;
        v.real = std::strtod(t.c_str(), &endp);
      }
      while (endp && (*endp == ' ' || *endp == '\n' || *endp == '\t' || *endp == '\r')) ++endp;
      if (t.empty() || errno != 0 || !endp || *endp != 0) error("<" + tag + "> holds \"" + t + "\", not a number");
    } else if (tag == "array/" || tag == "dict/") {
      v.type = tag == "array/" ? k::array : k::dict;
    } else if (tag == "array") {
      v.type = k::array;
      for (skip_space(); !starts("</array>"); skip_space()) v.array.push_back(parse_value(depth + 1));
      close_tag("array");
    } else if (tag == "dict") {
      v.type = k::dict;
      for (skip_space(); !starts("</dict>"); skip_space()) {
        if (open_tag() != "key") error("dict entry without <key>");
        std::string key = text_until_close("key");
        v.dict.push_back({std::move(key), parse_value(depth + 1)});
      }
      close_tag("dict");
    } else {
      error("unsupported element <" + tag + ">");
    }
    return v;
  }

  std::string_view s_;
  std::string doc_;
  std::size_t p_ = 0;
};

}  // namespace detail

inline plist_value parse_plist(std::string_view text, const std::string& document) {
  return detail::plist_parser(text, document).parse_document();
}

// Typed lookups that name the document and key on failure.
inline const plist_value& plist_get(const plist_value& dict, std::string_view key, plist_value::kind want,
                                    const std::string& document) {
  MVG_CHECK(dict.type == plist_value::kind::dict, document, ": expected a dict around key '", key, "'");
  const plist_value* v = dict.find(key);
  MVG_CHECK(v != nullptr, document, ": key '", key, "' is missing");
  const bool ok = v->type == want || (want == plist_value::kind::real && v->type == plist_value::kind::integer);
  MVG_CHECK(ok, document, ": key '", key, "' has the wrong type");
  return *v;
}

}  // namespace mvg::data
