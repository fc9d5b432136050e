#pragma once
// Storage and TensorImpl: the data behind a tg::Tensor. Most users never touch
// these; they are public so that small accessors inline.
#include <cstdint>
#include <memory>

#include "tensorgrad/array_ref.h"
#include "tensorgrad/intrusive_ptr.h"
#include "tensorgrad/scalar_type.h"

namespace tg {
namespace autograd { struct AutogradMeta; }

// A block of memory, 64-byte aligned, shared by a tensor and all its views.
// The version counter lives here because libtorch shares it between a tensor and
// its views exactly as they share memory.
struct StorageImpl final : detail::RefCounted, detail::PoolAllocated {
  using Deleter = void (*)(void* data, void* context);

  // Allocates nbytes from the pooled allocator.
  explicit StorageImpl(size_t nbytes);
  // Wraps external memory; deleter (may be null) is called with context when freed.
  StorageImpl(void* data, size_t nbytes, Deleter deleter, void* context);
  StorageImpl(const StorageImpl&) = delete;
  StorageImpl& operator=(const StorageImpl&) = delete;
  ~StorageImpl();

  void* data = nullptr;
  size_t nbytes = 0;
  uint32_t version = 0;
  // Bumped when an in-place op with autograd gives a tensor on this storage a new
  // history (Note [Views of a rebased tensor] in src/ops/inplace.cpp).
  uint32_t history_version = 0;
  // How many blocks of rows a product cut over threads last wrote here (0: none),
  // so that later passes over the same memory (the optimizer step, zero_grad) give
  // each thread the part it wrote (Note [Chunk affinity] in src/core/parallel.cpp).
  // Only a hint: a stale value costs speed, never correctness.
  uint8_t writer_blocks = 0;

 private:
  Deleter deleter_ = nullptr;
  void* context_ = nullptr;
  bool pooled_ = false;
};

struct TensorImpl final : detail::RefCounted, detail::PoolAllocated {
  TensorImpl(intrusive_ptr<StorageImpl> storage, ScalarType dtype, IntArrayRef sizes,
             IntArrayRef strides, int64_t storage_offset);
  // A new contiguous tensor with fresh storage.
  TensorImpl(ScalarType dtype, IntArrayRef sizes);
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  ~TensorImpl();

  // Recomputes numel and is_contiguous after sizes/strides changed.
  void refresh();
  void* data() const {
    return static_cast<char*>(storage->data) + storage_offset * static_cast<int64_t>(element_size(dtype));
  }
  int64_t dim() const { return static_cast<int64_t>(sizes.size()); }

  intrusive_ptr<StorageImpl> storage;
  int64_t storage_offset = 0;  // in elements
  DimVector sizes;
  DimVector strides;  // in elements
  int64_t numel = 1;
  ScalarType dtype = kFloat;
  bool is_contiguous = true;
  // Made by a view op (transpose, slice, select...), when the storage's
  // history_version was view_history_version: see Note [In-place on views of
  // tensors without grad] and Note [Views of a rebased tensor] in ops/inplace.cpp.
  bool is_view = false;
  uint32_t view_history_version = 0;
  // Null unless the tensor requires grad, has a grad_fn or a gradient (lazy: plain
  // tensors pay nothing for autograd).
  std::unique_ptr<autograd::AutogradMeta> autograd_meta;
};

}  // namespace tg
