// mvg/data/formats/dicom_structure.hpp: a structural check of a DICOM Part 10 file, run before GDCM sees it.
// Why: GDCM trusts what a file declares. It allocates every element's declared length before reading
// it (a 14 KB file claiming a 2.5 GB element cost 2.5 GB), and Debian builds it with assertions on, so
// an item tag where an element belongs aborts the whole process (both found by tests/fuzz).
// Contract: check_dicom_structure walks the element headers (explicit and implicit VR little endian)
// with a stack of containers — data set, sequence, item, encapsulated fragments — and refuses, as an
// mvg::error naming the file, the byte and the element:
//   - a defined length that runs past the end of the file or of its enclosing sequence or item, or
//     is odd;
//   - an item or sequence delimiter outside a sequence, an element directly inside a sequence, an item
//     delimiter outside an undefined-length item, any other (FFFE,xxxx) tag;
//   - an explicit VR that is not one of DICOM's, a file meta group whose length (0002,0000) does not
//     match its elements, a file with no data set;
//   - deflated and big-endian transfer syntaxes, and a missing transfer syntax.
// Like GDCM, a defined-length value that starts with an item tag is read as a sequence (implicit VR,
// UN and SQ all may hold one), so nested lengths are checked, not skipped. It returns the top-level
// Image Pixel attributes for the caller to check before GDCM builds a pixel format from them.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "mvg/core/error.hpp"

namespace mvg::data::detail {

// The top-level Image Pixel attributes GDCM builds its pixel format from (and asserts on: a
// SamplesPerPixel of 5 aborted the process). -1: absent.
struct dicom_pixel_module {
  long samples = -1, rows = -1, columns = -1, bits_allocated = -1, bits_stored = -1, high_bit = -1,
       pixel_representation = -1;
  std::string photometric, syntax;
  long pixel_data_length = -1;  // -1 also for undefined (encapsulated) length
};

inline dicom_pixel_module check_dicom_structure(const std::vector<std::uint8_t>& b, const std::string& file) {
  dicom_pixel_module pm;
  MVG_CHECK(b.size() >= 132 && std::memcmp(b.data() + 128, "DICM", 4) == 0, file,
            ": not a DICOM Part 10 file (no 'DICM' at byte 128)");
  auto u16 = [&](std::size_t at) { return std::uint16_t(b[at] | (b[at + 1] << 8)); };
  auto u32 = [&](std::size_t at) { return std::uint32_t(u16(at)) | (std::uint32_t(u16(at + 2)) << 16); };
  auto tag_name = [](std::uint16_t g, std::uint16_t e) {
    char s[16];
    std::snprintf(s, sizeof s, "(%04X,%04X)", g, e);
    return std::string(s);
  };
  constexpr std::size_t undefined = std::numeric_limits<std::size_t>::max();
  enum class kind { dataset, sequence, item, fragments };
  struct frame {
    kind k;
    std::size_t end;  // one past the last byte, or `undefined` (closed by a delimiter)
  };
  std::vector<frame> stack{{kind::dataset, b.size()}};
  std::string& syntax = pm.syntax;
  bool explicit_vr = true, data_set_started = false;
  std::size_t meta_end = 0;  // from the group length (0002,0000), which GDCM trusts
  std::size_t at = 132;
  while (true) {
    while (stack.size() > 1 && stack.back().end == at) stack.pop_back();  // defined-length containers end
    if (at >= b.size()) break;
    MVG_CHECK(stack.size() < 64, file, ": sequences nested deeper than 64 at byte ", at);
    MVG_CHECK(b.size() - at >= 8, file, ": data element header at byte ", at, " is truncated");
    const std::uint16_t group = u16(at), element = u16(at + 2);
    auto tag = [&] { return tag_name(group, element); };  // for messages: MVG_CHECK formats only on failure
    const bool meta = group == 0x0002;
    if (meta) {
      MVG_CHECK(stack.size() == 1 && !data_set_started, file, ": file meta element ", tag(),
                " at byte ", at, " outside the file meta information");
    } else if (!data_set_started) {
      data_set_started = true;
      MVG_CHECK(meta_end == 0 || at == meta_end, file, ": the file meta group length (0002,0000) says it ends at byte ",
                meta_end, ", but its elements end at byte ", at);
    }
    if (!meta) {
      MVG_CHECK(!syntax.empty(), file, ": no transfer syntax (0002,0010) in the file meta group");
      explicit_vr = syntax != "1.2.840.10008.1.2";
      MVG_CHECK(syntax != "1.2.840.10008.1.2.1.99" && syntax != "1.2.840.10008.1.2.2", file, ": transfer syntax ",
                syntax, " (deflated or big endian) is not supported");
    }
    std::size_t header = 8;
    std::uint32_t length = 0;
    bool is_sq = false;
    if (group == 0xFFFE) {  // item and delimiters: tag + 4-byte length, no VR, in every syntax
      length = u32(at + 4);
    } else if (meta || explicit_vr) {
      const char vr[3] = {char(b[at + 4]), char(b[at + 5]), 0};
      static const char* all_vrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT",
                                      "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
                                      "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
      bool known = false;
      for (const char* v : all_vrs) known = known || std::strcmp(vr, v) == 0;
      MVG_CHECK(known, file, ": data element ", tag(), " at byte ", at, " has VR '",
                std::string(vr, 2), "', not one of DICOM's value representations");
      static const char* long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
      bool long_form = false;
      for (const char* l : long_vrs) long_form = long_form || std::strcmp(vr, l) == 0;
      is_sq = std::strcmp(vr, "SQ") == 0 || std::strcmp(vr, "UN") == 0;
      if (long_form) {
        MVG_CHECK(b.size() - at >= 12, file, ": data element header at byte ", at, " is truncated");
        length = u32(at + 8), header = 12;
      } else {
        length = u16(at + 6);
      }
    } else {
      length = u32(at + 4);
      is_sq = true;  // implicit VR: only the value can tell (below)
    }
    const std::size_t value = at + header;
    std::size_t limit = b.size();  // the innermost defined end: an undefined item still ends with its sequence
    for (auto f = stack.rbegin(); f != stack.rend(); ++f)
      if (f->end != undefined) {
        limit = f->end;
        break;
      }
    MVG_CHECK(value <= limit, file, ": data element ", tag(), " at byte ", at, " runs past its enclosing item");
    const bool defined = length != 0xFFFFFFFFu;
    MVG_CHECK(!defined || length <= limit - value, file, ": data element ", tag(), " declares ", length,
              " bytes at byte ", value, ", but only ", limit - value, " are left in its ",
              stack.size() > 1 ? "enclosing item" : "file");
    // DICOM values have even lengths (PS3.5 §7.1.1); GDCM asserts on an odd nested one.
    MVG_CHECK(!defined || length % 2 == 0, file, ": data element ", tag(), " at byte ", value - header,
              " has odd length ", length, " (DICOM lengths are even)");
    const kind in = stack.back().k;
    at = value;
    if (in == kind::sequence || in == kind::fragments) {
      if (group == 0xFFFE && element == 0xE0DD) {
        MVG_CHECK(stack.back().end == undefined, file, ": sequence delimiter at byte ", at - header,
                  " closes a sequence of defined length");
        stack.pop_back();
      } else {
        MVG_CHECK(group == 0xFFFE && element == 0xE000, file, ": ", tag(), " at byte ", at - header,
                  " inside a sequence, where only items (FFFE,E000) belong");
        if (in == kind::fragments) {
          MVG_CHECK(defined, file, ": pixel data fragment at byte ", at - header, " has undefined length");
          at += length;
        } else {
          stack.push_back({kind::item, defined ? at + length : undefined});
        }
      }
      continue;
    }
    // In the data set or an item: data elements, or the delimiter of an undefined-length item.
    if (group == 0xFFFE) {
      MVG_CHECK(element == 0xE00D && in == kind::item && stack.back().end == undefined, file, ": ", tag(),
                " at byte ", at - header, " outside a sequence, where a data element belongs");
      stack.pop_back();
      continue;
    }
    if (!defined) {  // undefined length: a sequence, or encapsulated pixel data
      stack.push_back({group == 0x7FE0 && element == 0x0010 ? kind::fragments : kind::sequence, undefined});
      continue;
    }
    if (group == 0x0002 && element == 0x0000) {
      MVG_CHECK(length == 4, file, ": file meta group length (0002,0000) has ", length, " bytes, expected 4 (UL)");
      meta_end = at + 4 + std::size_t(u32(at));
      MVG_CHECK(meta_end <= b.size(), file, ": the file meta group length (0002,0000) says ", u32(at),
                " bytes, but the file has only ", b.size() - at - 4, " after it");
    }
    if (stack.size() == 1 && group == 0x0028) {
      const long us = length == 2 ? long(u16(at)) : -2;  // -2: present but not a US value
      switch (element) {
        case 0x0002: pm.samples = us; break;
        case 0x0010: pm.rows = us; break;
        case 0x0011: pm.columns = us; break;
        case 0x0100: pm.bits_allocated = us; break;
        case 0x0101: pm.bits_stored = us; break;
        case 0x0102: pm.high_bit = us; break;
        case 0x0103: pm.pixel_representation = us; break;
        case 0x0004: pm.photometric.assign(reinterpret_cast<const char*>(b.data() + at), length); break;
      }
    }
    if (stack.size() == 1 && group == 0x7FE0 && element == 0x0010) pm.pixel_data_length = long(length);
    if (group == 0x0002 && element == 0x0010) {
      syntax.assign(reinterpret_cast<const char*>(b.data() + at), length);
      while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
    }
    // A defined-length value that starts with an item tag is a sequence to GDCM (implicit VR, UN, SQ).
    if (is_sq && length >= 8 && u16(at) == 0xFFFE && u16(at + 2) == 0xE000) {
      stack.push_back({kind::sequence, at + length});
      continue;
    }
    at += length;
  }
  MVG_CHECK(data_set_started, file, ": no data set after the file meta information");
  while (!pm.photometric.empty() && (pm.photometric.back() == ' ' || pm.photometric.back() == '\0'))
    pm.photometric.pop_back();
  return pm;
}

}  // namespace mvg::data::detail
