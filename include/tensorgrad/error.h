#pragma once
// tg::Error and the two check macros (DESIGN.md "Errors and comments").
#include <exception>
#include <sstream>
#include <string>
#include <utility>

namespace tg {

// Every error tensorgrad raises derives from tg::Error, which derives from
// std::exception; the subclasses mirror libtorch's (c10::IndexError, ...).
class Error : public std::exception {
 public:
  explicit Error(std::string msg) : msg_(std::move(msg)) {}
  const char* what() const noexcept override { return msg_.c_str(); }
  const std::string& msg() const noexcept { return msg_; }

 private:
  std::string msg_;
};
class IndexError : public Error { using Error::Error; };
class ValueError : public Error { using Error::Error; };
class TypeError : public Error { using Error::Error; };
class NotImplementedError : public Error { using Error::Error; };

namespace detail {
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
inline std::string str() { return {}; }
inline const char* str(const char* s) { return s; }
[[noreturn]] void internal_error(const char* cond, const char* file, int line, const std::string& msg);
}  // namespace detail
}  // namespace tg

// User errors: raise tg::Error (or the named subclass) with the message parts.
#define TG_CHECK(cond, ...) \
  do { if (!(cond)) [[unlikely]] throw ::tg::Error(::tg::detail::str(__VA_ARGS__)); } while (0)
#define TG_CHECK_INDEX(cond, ...) \
  do { if (!(cond)) [[unlikely]] throw ::tg::IndexError(::tg::detail::str(__VA_ARGS__)); } while (0)
#define TG_CHECK_VALUE(cond, ...) \
  do { if (!(cond)) [[unlikely]] throw ::tg::ValueError(::tg::detail::str(__VA_ARGS__)); } while (0)
#define TG_CHECK_TYPE(cond, ...) \
  do { if (!(cond)) [[unlikely]] throw ::tg::TypeError(::tg::detail::str(__VA_ARGS__)); } while (0)
// Internal invariants: a failure is a tensorgrad bug, reported as such.
#define TG_INTERNAL_ASSERT(cond, ...) \
  do { if (!(cond)) [[unlikely]] ::tg::detail::internal_error(#cond, __FILE__, __LINE__, ::tg::detail::str(__VA_ARGS__)); } while (0)
