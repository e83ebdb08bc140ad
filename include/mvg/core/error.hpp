// mvg/core/error.hpp: the one exception type of mvg and a message builder.
// Contract: every failure a user can cause (bad shape, bad file, bad flag) throws mvg::error
// with a one-line message that names the operation/file, the field and what was expected.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace mvg {

class error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... A>
std::string cat(const A&... parts) {
  std::ostringstream s;
  (s << ... << parts);
  return s.str();
}
template <class... A>
[[noreturn]] void fail(const A&... parts) {
  throw error(cat(parts...));
}
}  // namespace detail

// Cheap precondition check that always runs (not an assert): user-facing misuse must throw.
#define MVG_CHECK(cond, ...)                                  \
  do {                                                        \
    if (!(cond)) ::mvg::detail::fail(__VA_ARGS__);            \
  } while (0)

}  // namespace mvg
