#pragma once
// TG_ARG: the chainable option setters of libtorch's TORCH_ARG, e.g.
// Conv2dFuncOptions().stride(2).padding(1); getters share the name.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <variant>
#include <vector>

#include "tensorgrad/array_ref.h"
#include "tensorgrad/error.h"

#define TG_ARG(T, name)                                             \
 public:                                                            \
  inline auto name(const T& new_##name)->decltype(*this) {          \
    this->name##_ = new_##name;                                     \
    return *this;                                                   \
  }                                                                 \
  inline auto name(T&& new_##name)->decltype(*this) {               \
    this->name##_ = std::move(new_##name);                          \
    return *this;                                                   \
  }                                                                 \
  inline const T& name() const noexcept { return this->name##_; }  \
  inline T& name() noexcept { return this->name##_; }              \
                                                                    \
 private:                                                           \
  T name##_

namespace tg {

// A D-element size given as one number (repeated) or D numbers, as libtorch's.
template <size_t D>
class ExpandingArray {
 public:
  ExpandingArray(int64_t v) { values_.fill(v); }  // NOLINT: implicit, as in libtorch
  ExpandingArray(std::initializer_list<int64_t> list) {  // NOLINT
    TG_CHECK(list.size() == D, "Expected ", D, " values, but instead got ", list.size());
    std::copy(list.begin(), list.end(), values_.begin());
  }
  ExpandingArray(const std::vector<int64_t>& v) {  // NOLINT
    TG_CHECK(v.size() == D, "Expected ", D, " values, but instead got ", v.size());
    std::copy(v.begin(), v.end(), values_.begin());
  }
  int64_t operator[](size_t i) const { return values_[i]; }
  int64_t& operator[](size_t i) { return values_[i]; }
  const int64_t* data() const { return values_.data(); }
  size_t size() const { return D; }
  IntArrayRef ref() const { return IntArrayRef(values_.data(), D); }
  operator IntArrayRef() const { return ref(); }  // NOLINT
  bool operator==(const ExpandingArray& o) const { return values_ == o.values_; }

 private:
  std::array<int64_t, D> values_;
};

// Reduction and padding modes, spelled as libtorch's (tg::kMean, tg::kSum, ...).
namespace enumtype {
struct kNone {};
struct kMean {};
struct kSum {};
struct kValid {};
struct kSame {};
struct kZeros {};
}  // namespace enumtype
inline constexpr enumtype::kNone kNone{};
inline constexpr enumtype::kMean kMean{};
inline constexpr enumtype::kSum kSum{};
inline constexpr enumtype::kValid kValid{};
inline constexpr enumtype::kSame kSame{};
inline constexpr enumtype::kZeros kZeros{};

}  // namespace tg
