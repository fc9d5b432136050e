#include "core/allocator.h"

#include <array>
#include <bit>
#include <cstdint>
#include <new>
#include <vector>

#include "tensorgrad/error.h"
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

// Note [Per-thread caches]: the caches are plain zero-initialised thread_locals, so
// reaching them costs no initialisation guard on the hot path; a separate
// thread_local with a destructor (touched once per thread) returns their blocks
// to the system when the thread ends and marks them dead, after which blocks go
// straight back to the system (static destructors may still free tensors).
enum : uint8_t { kUnused = 0, kActive = 1, kDead = 2 };

struct FreeBlock {
  FreeBlock* next;
};
struct StorageCache {
  FreeBlock* head[kNumClasses];
  size_t cached_bytes;
  uint8_t state;
};
thread_local StorageCache storage_cache;

void system_free(void* p) noexcept { ::operator delete(p, std::align_val_t(kAlign)); }

void drain_storage_cache() noexcept {
  for (FreeBlock*& head : storage_cache.head) {
    while (head) {
      FreeBlock* next = head->next;
      system_free(head);
      head = next;
    }
  }
  storage_cache.cached_bytes = 0;
}

struct StorageCacheReaper {
  StorageCacheReaper() noexcept {}
  ~StorageCacheReaper() {
    drain_storage_cache();
    storage_cache.state = kDead;
  }
  void arm() noexcept {}
};
thread_local StorageCacheReaper storage_cache_reaper;

bool storage_cache_usable() noexcept {
  if (storage_cache.state == kActive) [[likely]] return true;
  if (storage_cache.state == kDead) return false;
  storage_cache.state = kActive;
  storage_cache_reaper.arm();
  return true;
}

// libtorch's out-of-memory error (a tg::Error) rather than std::bad_alloc.
[[noreturn]] void out_of_memory(size_t nbytes) {
  throw Error(detail::str("DefaultCPUAllocator: not enough memory: you tried to allocate ", nbytes, " bytes."));
}

void* new_block(size_t nbytes) {
  void* p = ::operator new(nbytes, std::align_val_t(kAlign), std::nothrow);
  if (p == nullptr) out_of_memory(nbytes);
  return p;
}

}  // namespace

Block allocate_storage(size_t nbytes) {
  // No machine holds 2^62 bytes, and above 2^63 the size classes would wrap
  // (a tensor of 2^61 - 1 doubles rounded up to 0 bytes).
  if (nbytes > (size_t(1) << 62)) out_of_memory(nbytes);
  if (!kPooled) return {new_block(nbytes), nbytes};
  size_t rounded;
  int cls = size_class(nbytes, &rounded);
  if (rounded <= kMaxCachedBlock && storage_cache_usable()) {
    if (FreeBlock* b = storage_cache.head[cls]) {
      storage_cache.head[cls] = b->next;
      storage_cache.cached_bytes -= rounded;
      return {b, rounded};
    }
  }
  return {new_block(rounded), rounded};
}

void free_storage(Block block) noexcept {
  if (!block.ptr) return;
  if (!kPooled) return system_free(block.ptr);
  if (block.bytes <= kMaxCachedBlock && storage_cache_usable() &&
      storage_cache.cached_bytes + block.bytes <= kMaxCachedBytes) {
    size_t rounded;
    int cls = size_class(block.bytes, &rounded);
    auto* b = static_cast<FreeBlock*>(block.ptr);
    b->next = storage_cache.head[cls];
    storage_cache.head[cls] = b;
    storage_cache.cached_bytes += block.bytes;
    return;
  }
  system_free(block.ptr);
}

size_t cached_storage_bytes() { return storage_cache.state == kActive ? storage_cache.cached_bytes : 0; }

void release_cached_storage() {
  if (storage_cache.state == kActive) drain_storage_cache();
}

}  // namespace tg::core

namespace tg::detail {
namespace {

// Small objects (tensor and storage headers, autograd nodes): free lists in 16-byte
// steps up to 512 bytes.
constexpr size_t kSmallStep = 16;
constexpr size_t kSmallMax = 512;
constexpr size_t kSmallClasses = kSmallMax / kSmallStep;
// Each class keeps up to 32 MiB of freed objects: enough for the nodes and tensors
// of a 100,000-op graph (a cap of 16,384 objects sent five sixths of such a graph
// to malloc and made its backward superlinear in its length).
constexpr size_t kMaxBytesPerClass = size_t(32) << 20;

struct FreeNode {
  FreeNode* next;
};
// Plain thread_local state, as the storage cache (Note [Per-thread caches]).
struct SmallCache {
  FreeNode* head[kSmallClasses];
  uint32_t count[kSmallClasses];
  uint8_t state;
};
thread_local SmallCache small_cache;

struct SmallCacheReaper {
  SmallCacheReaper() noexcept {}
  ~SmallCacheReaper() {
    for (FreeNode*& head : small_cache.head) {
      while (head) {
        FreeNode* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
    small_cache.state = tg::core::kDead;
  }
  void arm() noexcept {}
};
thread_local SmallCacheReaper small_cache_reaper;

bool small_cache_usable() noexcept {
  if (small_cache.state == tg::core::kActive) [[likely]] return true;
  if (small_cache.state == tg::core::kDead) return false;
  small_cache.state = tg::core::kActive;
  small_cache_reaper.arm();
  return true;
}

}  // namespace

void* small_alloc(size_t bytes) {
  if (!kPooled) return ::operator new(bytes);
  if (bytes <= kSmallMax && small_cache_usable()) {
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
  if (bytes <= kSmallMax && small_cache_usable()) {
    size_t cls = (bytes + kSmallStep - 1) / kSmallStep - 1;
    if (small_cache.count[cls] * (cls + 1) * kSmallStep < kMaxBytesPerClass) {
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
