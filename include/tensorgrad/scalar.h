#pragma once
// tg::Scalar: a number of one of the kinds libtorch distinguishes (bool, integer,
// floating), used for scalar operands, fill values and item().
#include <cstdint>
#include <ostream>
#include <type_traits>

#include "tensorgrad/scalar_type.h"

namespace tg {
namespace detail {
// Raises libtorch's "value cannot be converted to type int64_t without overflow".
[[noreturn]] void throw_long_overflow();
[[noreturn]] void throw_float_overflow();
}  // namespace detail

class Scalar {
 public:
  Scalar() : Scalar(int64_t(0)) {}
  Scalar(bool v) : kind_(kBool), i_(v) {}  // NOLINT: implicit like c10::Scalar
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Scalar(T v) : kind_(kLong), i_(static_cast<int64_t>(v)) {}  // NOLINT
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Scalar(T v) : kind_(kDouble), d_(static_cast<double>(v)) {}  // NOLINT

  // The category of the number: kBool, kLong or kDouble.
  ScalarType type() const { return kind_; }
  bool isFloatingPoint() const { return kind_ == kDouble; }
  bool isIntegral(bool include_bool) const { return kind_ == kLong || (include_bool && kind_ == kBool); }
  bool isBoolean() const { return kind_ == kBool; }

  double toDouble() const { return kind_ == kDouble ? d_ : static_cast<double>(i_); }
  // Checked as libtorch's: a finite value beyond float's range raises (an infinity
  // or a NaN converts).
  float toFloat() const {
    const double d = toDouble();
    if (d - d == 0 && (d > 0x1.fffffep127 || d < -0x1.fffffep127)) detail::throw_float_overflow();
    return static_cast<float>(d);
  }
  // Checked as libtorch's: a NaN, an infinity or a value beyond int64's range raises.
  int64_t toLong() const {
    if (kind_ != kDouble) return i_;
    if (!(d_ >= -0x1p63 && d_ < 0x1p63)) detail::throw_long_overflow();
    return static_cast<int64_t>(d_);
  }
  bool toBool() const { return kind_ == kDouble ? d_ != 0 : i_ != 0; }
  template <class T> T to() const;

  Scalar operator-() const { return kind_ == kDouble ? Scalar(-d_) : Scalar(-i_); }

 private:
  ScalarType kind_;
  union {
    int64_t i_;
    double d_;
  };
};

template <> inline double Scalar::to<double>() const { return toDouble(); }
template <> inline float Scalar::to<float>() const { return toFloat(); }
template <> inline int64_t Scalar::to<int64_t>() const { return toLong(); }
template <> inline bool Scalar::to<bool>() const { return toBool(); }
template <> inline int Scalar::to<int>() const { return static_cast<int>(toLong()); }

std::ostream& operator<<(std::ostream& os, const Scalar& s);

}  // namespace tg
