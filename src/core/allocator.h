#pragma once
// The pooled allocator behind tensor storage (64-byte aligned blocks, cached per
// thread by size class, so the many same-sized buffers of a training step are
// reused instead of returned to malloc).
#include <cstddef>

namespace tg::core {

struct Block {
  void* ptr;
  size_t bytes;  // the size class actually allocated (>= requested)
};

Block allocate_storage(size_t nbytes);
void free_storage(Block block) noexcept;
// Bytes currently cached (not in use) by the calling thread; for tests and reports.
size_t cached_storage_bytes();
// Returns all cached blocks of the calling thread to the system.
void release_cached_storage();

}  // namespace tg::core
