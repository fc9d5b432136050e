#pragma once
// tg::Scalar: a number of one of the kinds libtorch distinguishes (bool, integer,
// floating), used for scalar operands, fill values and item().
#include <cstdint>
#include <ostream>
#include <type_traits>

#include "tensorgrad/scalar_type.h"

namespace tg {

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
  float toFloat() const { return static_cast<float>(toDouble()); }
  int64_t toLong() const { return kind_ == kDouble ? static_cast<int64_t>(d_) : i_; }
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
