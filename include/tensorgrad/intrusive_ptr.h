#pragma once
// Intrusive reference counting for tensors, storages and autograd nodes: one
// allocation per object and a 4-byte count, instead of shared_ptr's control block.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace tg {
namespace detail {

// Base of every intrusively counted object. New objects start with a count of 0;
// intrusive_ptr's constructor (or make_intrusive) takes the first reference.
//
// Note [Uncontended reference counts]
// A tensor of one op's result is created, used and dropped by one owner, and its
// locked increments and decrements were a third of the cost of `x + y` on tiny
// tensors. So make_intrusive stores the first count without a locked operation
// (nothing else can see the object yet), and dropping the last reference of an
// object observed with a count of 1 deletes it without one: no other owner exists
// to race with, and the acquire load orders the earlier owners' releases before the
// delete. That second shortcut is wrong for a class whose raw pointers are
// upgraded by try_retain (a count of 1 could become 2 concurrently), so such a
// class declares `static constexpr bool kUpgradedFromRawPointers = true`.
template <class T>
class intrusive_ptr;
template <class T, class... Args>
intrusive_ptr<T> make_intrusive(Args&&... args);

class RefCounted {
 public:
  static constexpr bool kUpgradedFromRawPointers = false;

  RefCounted() = default;
  RefCounted(const RefCounted&) : refcount_(0) {}
  RefCounted& operator=(const RefCounted&) { return *this; }
  uint32_t use_count() const { return refcount_.load(std::memory_order_relaxed); }

 protected:
  ~RefCounted() = default;

 private:
  mutable std::atomic<uint32_t> refcount_{0};
  template <class> friend class intrusive_ptr;
  template <class T, class... Args>
  friend intrusive_ptr<T> make_intrusive(Args&&... args);
};

template <class T>
class intrusive_ptr {
 public:
  using element_type = T;
  constexpr intrusive_ptr() noexcept = default;
  constexpr intrusive_ptr(std::nullptr_t) noexcept {}  // NOLINT
  // Takes a new reference to p (p may be null).
  explicit intrusive_ptr(T* p) noexcept : p_(p) { retain(); }
  intrusive_ptr(const intrusive_ptr& o) noexcept : p_(o.p_) { retain(); }
  intrusive_ptr(intrusive_ptr&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  intrusive_ptr(const intrusive_ptr<U>& o) noexcept : p_(o.get()) { retain(); }  // NOLINT
  template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
  intrusive_ptr(intrusive_ptr<U>&& o) noexcept : p_(o.release()) {}  // NOLINT
  ~intrusive_ptr() { reset(); }

  intrusive_ptr& operator=(const intrusive_ptr& o) noexcept {
    intrusive_ptr(o).swap(*this);
    return *this;
  }
  intrusive_ptr& operator=(intrusive_ptr&& o) noexcept {
    intrusive_ptr(std::move(o)).swap(*this);
    return *this;
  }
  intrusive_ptr& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }

  T* get() const noexcept { return p_; }
  T* operator->() const noexcept { return p_; }
  T& operator*() const noexcept { return *p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  uint32_t use_count() const noexcept { return p_ ? p_->refcount_.load(std::memory_order_relaxed) : 0; }
  void swap(intrusive_ptr& o) noexcept { std::swap(p_, o.p_); }
  // Gives up ownership without decrementing.
  T* release() noexcept {
    T* p = p_;
    p_ = nullptr;
    return p;
  }
  // Drops this reference without destroying the object; returns it when that was
  // its last reference, so the caller can destroy it later (iterative teardown of
  // deep graphs, Note [Iterative graph destruction]).
  T* release_last() noexcept {
    T* p = p_;
    p_ = nullptr;
    if (p && p->refcount_.fetch_sub(1, std::memory_order_acq_rel) == 1) return p;
    return nullptr;
  }
  void reset() noexcept {
    if (!p_) return;
    if constexpr (!T::kUpgradedFromRawPointers) {
      // Note [Uncontended reference counts]
      if (p_->refcount_.load(std::memory_order_acquire) == 1) {
        delete p_;
        p_ = nullptr;
        return;
      }
    }
    if (p_->refcount_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete p_;
    p_ = nullptr;
  }
  // A strong reference to p unless its count already reached zero (it is being
  // destroyed): how a weak, raw back-pointer is upgraded safely.
  static intrusive_ptr try_retain(T* p) noexcept {
    intrusive_ptr r;
    if (!p) return r;
    uint32_t c = p->refcount_.load(std::memory_order_relaxed);
    while (c != 0) {
      if (p->refcount_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) {
        r.p_ = p;
        return r;
      }
    }
    return r;
  }

  friend bool operator==(const intrusive_ptr& a, const intrusive_ptr& b) { return a.p_ == b.p_; }
  friend bool operator==(const intrusive_ptr& a, std::nullptr_t) { return a.p_ == nullptr; }

 private:
  template <class U, class... Args>
  friend intrusive_ptr<U> make_intrusive(Args&&... args);

  void retain() noexcept {
    if (p_) p_->refcount_.fetch_add(1, std::memory_order_relaxed);
  }
  T* p_ = nullptr;
};

// A new object and its first reference. Its constructor must not take references
// to the object itself (Note [Uncontended reference counts]).
template <class T, class... Args>
intrusive_ptr<T> make_intrusive(Args&&... args) {
  intrusive_ptr<T> r;
  r.p_ = new T(std::forward<Args>(args)...);
  r.p_->refcount_.store(1, std::memory_order_relaxed);
  return r;
}

// Fixed-size-class free lists for the small objects created on every op
// (TensorImpl, StorageImpl, autograd nodes); per thread, so no locking.
void* small_alloc(size_t bytes);
void small_free(void* p, size_t bytes) noexcept;

// Classes deriving from PoolAllocated<Self> are allocated from the small-object pool.
struct PoolAllocated {
  static void* operator new(size_t bytes) { return small_alloc(bytes); }
  static void operator delete(void* p, size_t bytes) noexcept { small_free(p, bytes); }
};

}  // namespace detail
using detail::intrusive_ptr;
using detail::make_intrusive;
}  // namespace tg
