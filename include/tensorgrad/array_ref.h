#pragma once
// ArrayRef (a non-owning view of contiguous values, libtorch's IntArrayRef) and
// SmallVector (inline storage for the few dimensions a tensor usually has).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <ostream>
#include <type_traits>
#include <vector>

#include "tensorgrad/error.h"

namespace tg {

template <class T>
class ArrayRef {
 public:
  using value_type = T;
  using iterator = const T*;
  using const_iterator = const T*;
  using size_type = size_t;

  constexpr ArrayRef() = default;
  constexpr ArrayRef(const T& one) : data_(&one), size_(1) {}  // NOLINT: implicit, as in c10
  constexpr ArrayRef(const T* data, size_t size) : data_(data), size_(size) {}
  constexpr ArrayRef(const T* begin, const T* end) : data_(begin), size_(end - begin) {}
  ArrayRef(const std::vector<T>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
  // Like c10::ArrayRef: valid for the full expression a braced list appears in.
  // The pointer comes through first_of, not il.begin() in the initializer, which
  // GCC's -Winit-list-lifetime flags.
  constexpr ArrayRef(const std::initializer_list<T>& il)  // NOLINT
      : data_(first_of(il)), size_(il.size()) {}
  template <size_t N>
  constexpr ArrayRef(const T (&arr)[N]) : data_(arr), size_(N) {}  // NOLINT

  constexpr const T* begin() const { return data_; }
  constexpr const T* end() const { return data_ + size_; }
  constexpr const T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const T& front() const { return data_[0]; }
  constexpr const T& back() const { return data_[size_ - 1]; }
  constexpr const T& operator[](size_t i) const { return data_[i]; }
  const T& at(size_t i) const {
    TG_CHECK_INDEX(i < size_, "ArrayRef: index ", i, " out of range for size ", size_);
    return data_[i];
  }
  std::vector<T> vec() const { return std::vector<T>(data_, data_ + size_); }
  // A loop rather than std::equal, which calls memcmp through the PLT for integers:
  // shapes are compared on every elementwise op, and x + y on one-element tensors
  // took 55.5 ns with the call, 53.7 without.
  bool equals(ArrayRef other) const {
    if (size_ != other.size_) return false;
    for (size_t i = 0; i < size_; ++i)
      if (!(data_[i] == other.data_[i])) return false;
    return true;
  }
  ArrayRef slice(size_t start, size_t n) const { return ArrayRef(data_ + start, n); }
  ArrayRef slice(size_t start) const { return ArrayRef(data_ + start, size_ - start); }
  operator std::vector<T>() const { return vec(); }  // NOLINT

 private:
  static constexpr const T* first_of(const std::initializer_list<T>& il) {
    return il.begin() == il.end() ? nullptr : il.begin();
  }

  const T* data_ = nullptr;
  size_t size_ = 0;
};

template <class T>
bool operator==(ArrayRef<T> a, ArrayRef<T> b) { return a.equals(b); }
template <class T>
bool operator!=(ArrayRef<T> a, ArrayRef<T> b) { return !a.equals(b); }
template <class T>
bool operator==(ArrayRef<T> a, const std::vector<T>& b) { return a.equals(b); }
template <class T>
bool operator==(const std::vector<T>& a, ArrayRef<T> b) { return b.equals(a); }
template <class T>
bool operator!=(ArrayRef<T> a, const std::vector<T>& b) { return !a.equals(b); }
template <class T>
bool operator!=(const std::vector<T>& a, ArrayRef<T> b) { return !b.equals(a); }

template <class T>
std::ostream& operator<<(std::ostream& os, ArrayRef<T> a) {
  os << '[';
  for (size_t i = 0; i < a.size(); ++i) os << (i ? ", " : "") << a[i];
  return os << ']';
}

using IntArrayRef = ArrayRef<int64_t>;

// A vector that keeps up to N elements inline; used for sizes and strides so that
// creating a tensor of ordinary rank allocates nothing for its shape.
template <class T, unsigned N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T>, "SmallVector holds trivially copyable values");

 public:
  using value_type = T;
  SmallVector() = default;
  SmallVector(ArrayRef<T> a) { assign(a.begin(), a.end()); }  // NOLINT
  SmallVector(std::initializer_list<T> il) { assign(il.begin(), il.end()); }
  SmallVector(size_t n, T value) { resize(n, value); }
  SmallVector(const SmallVector& o) { assign(o.begin(), o.end()); }
  SmallVector(SmallVector&& o) noexcept { steal(o); }
  SmallVector& operator=(const SmallVector& o) {
    if (this != &o) assign(o.begin(), o.end());
    return *this;
  }
  SmallVector& operator=(SmallVector&& o) noexcept {
    if (this != &o) { release(); steal(o); }
    return *this;
  }
  ~SmallVector() { release(); }

  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  T* begin() { return ptr_; }
  T* end() { return ptr_ + size_; }
  const T* begin() const { return ptr_; }
  const T* end() const { return ptr_ + size_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return ptr_[i]; }
  const T& operator[](size_t i) const { return ptr_[i]; }
  T& back() { return ptr_[size_ - 1]; }
  const T& back() const { return ptr_[size_ - 1]; }
  operator ArrayRef<T>() const { return ArrayRef<T>(ptr_, size_); }  // NOLINT
  ArrayRef<T> ref() const { return ArrayRef<T>(ptr_, size_); }
  std::vector<T> vec() const { return std::vector<T>(begin(), end()); }

  void reserve(size_t n) {
    if (n <= cap_) return;
    T* p = static_cast<T*>(::operator new(n * sizeof(T)));
    if (size_) std::memcpy(p, ptr_, size_ * sizeof(T));
    if (ptr_ != inline_data()) ::operator delete(ptr_);
    ptr_ = p;
    cap_ = static_cast<unsigned>(n);
  }
  void resize(size_t n, T value = T()) {
    reserve(n);
    for (size_t i = size_; i < n; ++i) ptr_[i] = value;
    size_ = static_cast<unsigned>(n);
  }
  void push_back(T v) {
    if (size_ == cap_) reserve(cap_ * 2);
    ptr_[size_++] = v;
  }
  void pop_back() { --size_; }
  void clear() { size_ = 0; }
  void insert(T* pos, T v) {
    size_t at = pos - ptr_;
    push_back(v);
    for (size_t i = size_ - 1; i > at; --i) ptr_[i] = ptr_[i - 1];
    ptr_[at] = v;
  }
  void erase(T* pos) {
    for (T* p = pos; p + 1 < end(); ++p) *p = p[1];
    --size_;
  }
  template <class It>
  void assign(It b, It e) {
    size_ = 0;
    reserve(static_cast<size_t>(e - b));
    for (; b != e; ++b) ptr_[size_++] = static_cast<T>(*b);
  }

  friend bool operator==(const SmallVector& a, const SmallVector& b) { return a.ref() == b.ref(); }

 private:
  T* inline_data() { return reinterpret_cast<T*>(inline_); }
  void release() {
    if (ptr_ != inline_data()) ::operator delete(ptr_);
    ptr_ = inline_data();
    cap_ = N;
    size_ = 0;
  }
  void steal(SmallVector& o) {
    if (o.ptr_ == o.inline_data()) {
      assign(o.begin(), o.end());
    } else {
      ptr_ = o.ptr_;
      size_ = o.size_;
      cap_ = o.cap_;
      o.ptr_ = o.inline_data();
      o.cap_ = N;
    }
    o.size_ = 0;
  }

  alignas(T) unsigned char inline_[N * sizeof(T)];
  T* ptr_ = inline_data();
  unsigned size_ = 0;
  unsigned cap_ = N;
};

using DimVector = SmallVector<int64_t, 5>;

}  // namespace tg
