#include "core/allocator.h"

#include <array>
#include <bit>
#include <cstdint>
#include <new>
#include <vector>

#include "tensorgrad/intrusive_ptr.h"

namespace {
// Sanitizer builds define TG_NO_POOL: every block and small object then comes from and
// returns to the system allocator, so AddressSanitizer sees each allocation and its
// exact size.
#ifdef TG_NO_POOL
constexpr bool kPooled = false;
#else
constexpr bool kPooled = true;
#endif
}  // namespace

namespace tg::core {
namespace {

constexpr size_t kAlign = 64;
// Blocks above this size go straight to the system: caching them would hold large
// amounts of memory for little gain (their cost is dominated by touching them).
constexpr size_t kMaxCachedBlock = size_t(256) << 20;
constexpr size_t kMaxCachedBytes = size_t(1) << 30;
constexpr int kSubClasses = 4;  // 4 classes per power of two: at most 25% waste

// Size classes: multiples of 64 up to 256, then 4 steps per power of two.
int size_class(size_t n, size_t* rounded) {
  if (n <= 256) {
    size_t r = (n + kAlign - 1) / kAlign * kAlign;
    if (r == 0) r = kAlign;
    *rounded = r;
    return static_cast<int>(r / kAlign) - 1;  // 0..3
  }
  int p = 63 - std::countl_zero(n - 1);  // 2^p < n <= 2^(p+1)
  size_t base = size_t(1) << p;
  size_t step = base / kSubClasses;
  size_t k = (n - base + step - 1) / step;  // 1..4
  *rounded = base + k * step;
  return 4 + (p - 8) * kSubClasses + static_cast<int>(k) - 1;
}
constexpr int kNumClasses = 4 + (64 - 8) * kSubClasses;

struct StorageCache {
  std::array<std::vector<void*>, kNumClasses> free;
  size_t cached_bytes = 0;
  ~StorageCache();
};
thread_local bool storage_cache_alive = true;
thread_local StorageCache storage_cache;

void system_free(void* p) noexcept { ::operator delete(p, std::align_val_t(kAlign)); }

StorageCache::~StorageCache() {
  for (auto& list : free)
    for (void* p : list) system_free(p);
  storage_cache_alive = false;
}

}  // namespace

Block allocate_storage(size_t nbytes) {
  if (!kPooled) return {::operator new(nbytes, std::align_val_t(kAlign)), nbytes};
  size_t rounded;
  int cls = size_class(nbytes, &rounded);
  if (rounded <= kMaxCachedBlock && storage_cache_alive) {
    auto& list = storage_cache.free[cls];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      storage_cache.cached_bytes -= rounded;
      return {p, rounded};
    }
  }
  return {::operator new(rounded, std::align_val_t(kAlign)), rounded};
}

void free_storage(Block block) noexcept {
  if (!block.ptr) return;
  if (!kPooled) return system_free(block.ptr);
  if (block.bytes <= kMaxCachedBlock && storage_cache_alive &&
      storage_cache.cached_bytes + block.bytes <= kMaxCachedBytes) {
    size_t rounded;
    int cls = size_class(block.bytes, &rounded);
    try {
      storage_cache.free[cls].push_back(block.ptr);
      storage_cache.cached_bytes += block.bytes;
      return;
    } catch (...) {
    }
  }
  system_free(block.ptr);
}

size_t cached_storage_bytes() { return storage_cache_alive ? storage_cache.cached_bytes : 0; }

void release_cached_storage() {
  if (!storage_cache_alive) return;
  for (auto& list : storage_cache.free) {
    for (void* p : list) system_free(p);
    list.clear();
  }
  storage_cache.cached_bytes = 0;
}

}  // namespace tg::core

namespace tg::detail {
namespace {

// Small objects (tensor and storage headers, autograd nodes): free lists in 16-byte
// steps up to 512 bytes.
constexpr size_t kSmallStep = 16;
constexpr size_t kSmallMax = 512;
constexpr size_t kSmallClasses = kSmallMax / kSmallStep;
constexpr size_t kMaxPerClass = 1 << 14;

struct FreeNode {
  FreeNode* next;
};
struct SmallCache {
  std::array<FreeNode*, kSmallClasses> head{};
  std::array<size_t, kSmallClasses> count{};
  ~SmallCache();
};
thread_local bool small_cache_alive = true;
thread_local SmallCache small_cache;

SmallCache::~SmallCache() {
  for (FreeNode* n : head) {
    while (n) {
      FreeNode* next = n->next;
      ::operator delete(n);
      n = next;
    }
  }
  small_cache_alive = false;
}

}  // namespace

void* small_alloc(size_t bytes) {
  if (!kPooled) return ::operator new(bytes);
  if (bytes <= kSmallMax && small_cache_alive) {
    size_t cls = (bytes + kSmallStep - 1) / kSmallStep - 1;
    if (FreeNode* n = small_cache.head[cls]) {
      small_cache.head[cls] = n->next;
      --small_cache.count[cls];
      return n;
    }
    return ::operator new((cls + 1) * kSmallStep);
  }
  return ::operator new(bytes);
}

void small_free(void* p, size_t bytes) noexcept {
  if (!p) return;
  if (!kPooled) return ::operator delete(p);
  if (bytes <= kSmallMax && small_cache_alive) {
    size_t cls = (bytes + kSmallStep - 1) / kSmallStep - 1;
    if (small_cache.count[cls] < kMaxPerClass) {
      auto* n = static_cast<FreeNode*>(p);
      n->next = small_cache.head[cls];
      small_cache.head[cls] = n;
      ++small_cache.count[cls];
      return;
    }
  }
  ::operator delete(p);
}

}  // namespace tg::detail
