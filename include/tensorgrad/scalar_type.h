#pragma once
// The four dtypes tensorgrad supports and libtorch's promotion between them.
#include <cstdint>
#include <optional>
#include <ostream>

namespace tg {

enum class ScalarType : int8_t { Bool = 0, Long = 1, Float = 2, Double = 3, Undefined = 4 };

constexpr ScalarType kBool = ScalarType::Bool;
constexpr ScalarType kInt64 = ScalarType::Long;
constexpr ScalarType kLong = ScalarType::Long;
constexpr ScalarType kFloat32 = ScalarType::Float;
constexpr ScalarType kFloat = ScalarType::Float;
constexpr ScalarType kFloat64 = ScalarType::Double;
constexpr ScalarType kDouble = ScalarType::Double;

// libtorch's Dtype / caffe2::TypeMeta compare equal to ScalarType; one type serves both.
using Dtype = ScalarType;

using std::nullopt;
using std::optional;

constexpr bool is_floating_point(ScalarType t) { return t == kFloat || t == kDouble; }
constexpr bool is_integral(ScalarType t, bool include_bool = false) {
  return t == kLong || (include_bool && t == kBool);
}
constexpr size_t element_size(ScalarType t) {
  switch (t) {
    case ScalarType::Bool: return 1;
    case ScalarType::Long: return 8;
    case ScalarType::Float: return 4;
    case ScalarType::Double: return 8;
    default: return 0;
  }
}
// libtorch's name ("Float", "Double", "Long", "Bool").
const char* to_string(ScalarType t);
std::ostream& operator<<(std::ostream& os, ScalarType t);

// Promotion lattice Bool < Long < Float < Double (libtorch's table restricted to our types).
constexpr ScalarType promote_types(ScalarType a, ScalarType b) {
  if (a == ScalarType::Undefined) return b;
  if (b == ScalarType::Undefined) return a;
  return static_cast<int8_t>(a) > static_cast<int8_t>(b) ? a : b;
}

// The dtype of tg::tensor(1.5) and of floating results computed from integers.
ScalarType get_default_dtype();
void set_default_dtype(ScalarType t);

template <class T> struct CppTypeToScalarType;
template <> struct CppTypeToScalarType<bool> { static constexpr ScalarType value = kBool; };
template <> struct CppTypeToScalarType<int64_t> { static constexpr ScalarType value = kLong; };
template <> struct CppTypeToScalarType<float> { static constexpr ScalarType value = kFloat; };
template <> struct CppTypeToScalarType<double> { static constexpr ScalarType value = kDouble; };

}  // namespace tg
