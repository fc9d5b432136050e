#include "tensorgrad/error.h"

#include <atomic>

#include "tensorgrad/scalar.h"
#include "tensorgrad/scalar_type.h"

namespace tg {
namespace detail {
void internal_error(const char* cond, const char* file, int line, const std::string& msg) {
  throw Error(str("tensorgrad internal error (please report a bug): ", cond, " failed at ", file, ":",
                  line, msg.empty() ? "" : ": ", msg));
}
void throw_long_overflow() { throw Error("value cannot be converted to type int64_t without overflow"); }
void throw_float_overflow() { throw Error("value cannot be converted to type float without overflow"); }
}  // namespace detail

const char* to_string(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: return "Bool";
    case ScalarType::Long: return "Long";
    case ScalarType::Float: return "Float";
    case ScalarType::Double: return "Double";
    default: return "Undefined";
  }
}
std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << to_string(t); }

std::ostream& operator<<(std::ostream& os, const Scalar& s) {
  switch (s.type()) {
    case kBool: return os << (s.toBool() ? "true" : "false");
    case kLong: return os << s.toLong();
    default: return os << s.toDouble();
  }
}

namespace {
std::atomic<ScalarType> default_dtype{kFloat};
}
ScalarType get_default_dtype() { return default_dtype.load(std::memory_order_relaxed); }
void set_default_dtype(ScalarType t) {
  TG_CHECK_TYPE(is_floating_point(t), "only floating-point types are supported as the default type");
  default_dtype = t;
}

}  // namespace tg
