#pragma once
// InlineVector<T, N>: a vector of any element type that keeps its first N
// elements inside the object. Autograd nodes hold a few edges and saved tensors
// each; keeping them inline saves a heap allocation per list per recorded op.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>

namespace tg::detail {

template <class T, size_t N>
class InlineVector {
 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  InlineVector() = default;
  InlineVector(const InlineVector& o) {
    reserve(o.size_);
    for (const T& v : o) push_back(v);
  }
  InlineVector(InlineVector&& o) noexcept { take(o); }
  InlineVector& operator=(const InlineVector& o) {
    if (this != &o) {
      clear();
      reserve(o.size_);
      for (const T& v : o) push_back(v);
    }
    return *this;
  }
  InlineVector& operator=(InlineVector&& o) noexcept {
    if (this != &o) {
      destroy();
      take(o);
    }
    return *this;
  }
  ~InlineVector() { destroy(); }

  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }

  void reserve(size_t n) {
    if (n <= capacity_) return;
    if (n > kMaxSize) throw std::length_error("InlineVector: more than 2^32 - 1 elements");
    T* fresh = static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(alignof(T))));
    for (size_t i = 0; i < size_; ++i) {
      ::new (fresh + i) T(std::move(data_[i]));
      data_[i].~T();
    }
    release_heap();
    data_ = fresh;
    capacity_ = static_cast<uint32_t>(n);
  }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) reserve(size_t(capacity_) * 2);
    T* p = ::new (data_ + size_) T(std::forward<Args>(args)...);
    ++size_;
    return *p;
  }
  void push_back(const T& v) { emplace_back(v); }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  void pop_back() { data_[--size_].~T(); }
  void clear() {
    for (size_t i = 0; i < size_; ++i) data_[i].~T();
    size_ = 0;
  }
  void resize(size_t n) {
    reserve(n);
    while (size_ < n) emplace_back();
    while (size_ > n) pop_back();
  }
  template <class Pred>
  void erase_if(Pred pred) {
    size_t w = 0;
    for (size_t i = 0; i < size_; ++i)
      if (!pred(data_[i])) {
        if (w != i) data_[w] = std::move(data_[i]);
        ++w;
      }
    while (size_ > w) pop_back();
  }

 private:
  T* inline_data() { return reinterpret_cast<T*>(inline_); }
  void release_heap() {
    if (data_ != inline_data()) ::operator delete(data_, std::align_val_t(alignof(T)));
  }
  void destroy() {
    clear();
    release_heap();
    data_ = inline_data();
    capacity_ = N;
  }
  void take(InlineVector& o) {
    if (o.data_ == o.inline_data()) {
      for (size_t i = 0; i < o.size_; ++i) ::new (inline_data() + i) T(std::move(o.data_[i]));
      size_ = o.size_;
      o.clear();
    } else {
      data_ = o.data_;
      size_ = o.size_;
      capacity_ = o.capacity_;
      o.data_ = o.inline_data();
      o.size_ = 0;
      o.capacity_ = N;
    }
  }

  // 32-bit counts keep a node's three lists 24 bytes smaller; a node never has
  // billions of edges or saved tensors.
  static constexpr size_t kMaxSize = UINT32_MAX;
  alignas(T) unsigned char inline_[N * sizeof(T)];
  T* data_ = inline_data();
  uint32_t size_ = 0;
  uint32_t capacity_ = N;
};

}  // namespace tg::detail
