#pragma once
// Helpers shared by the op implementations (not public API).
#include <initializer_list>

#include "autograd/autograd_meta.h"
#include "tensorgrad/ops.h"

namespace tg::ops {

using autograd::Node;
using autograd::variable_list;

// A new contiguous tensor (uninitialised).
Tensor empty(IntArrayRef sizes, ScalarType dtype);
// Whether t's elements exactly fill a block of memory in some dim order (a
// permutation of a contiguous tensor, e.g. a transposed matrix).
bool is_non_overlapping_and_dense(const Tensor& t);
// libtorch's has_internal_overlap: a dim of stride 0 and size > 1 (an expanded
// tensor), where several elements are one memory location.
bool has_internal_overlap(const Tensor& t);
inline constexpr const char* kInternalOverlap =
    "unsupported operation: more than one element of the written-to tensor refers to a single memory location. "
    "Please clone() the tensor before performing the operation.";
// A new uninitialised tensor of `sizes`, dense in the dim order its `strides` give.
Tensor empty_strided(IntArrayRef sizes, IntArrayRef strides, ScalarType dtype);
// A new uninitialised tensor with t's sizes, strides and dtype (t must be
// non-overlapping and dense).
Tensor empty_like_layout(const Tensor& t);
// empty_elementwise for inputs not all contiguous.
Tensor empty_in_inputs_order(IntArrayRef shape, ScalarType dtype, std::initializer_list<const Tensor*> inputs);
// A new uninitialised tensor of `shape` and dtype for an elementwise op's result,
// laid out in the dim order of the inputs' strides (Note [Elementwise output
// layout]); contiguous when the inputs are (checked inline: per-op overhead).
inline Tensor empty_elementwise(IntArrayRef shape, ScalarType dtype, std::initializer_list<const Tensor*> inputs) {
  for (const Tensor* t : inputs)
    if (!t->is_contiguous()) return empty_in_inputs_order(shape, dtype, inputs);
  return empty(shape, dtype);
}
// A tensor sharing t's storage with the given geometry; records nothing.
Tensor alias(const Tensor& t, IntArrayRef sizes, IntArrayRef strides, int64_t storage_offset);
// t converted to dtype without recording (t itself when already of that dtype).
Tensor cast(const Tensor& t, ScalarType dtype);
// t itself when contiguous, else a contiguous copy; records nothing.
Tensor contiguous_raw(const Tensor& t);
// dst[...] = src broadcast to dst's shape, converting dtypes; records nothing.
void copy_raw(const Tensor& dst, const Tensor& src);
// Fills every element of t with value; records nothing.
void fill_raw(const Tensor& t, const Scalar& value);
// The grain of a parallel pass over the elements of the contiguous t: one chunk
// per block of rows when a product cut over threads last wrote all of t's memory
// (StorageImpl::writer_blocks), so that each thread passes over the part it wrote
// (Note [Chunk affinity]); else core::kElementwiseGrain.
int64_t affine_grain(const Tensor& t);
// Records that a product cut into `row_blocks` blocks of rows (0: not cut by rows),
// or an update in as many chunks, has just written the contiguous t, when t
// covers its storage.
void set_writer_blocks(const Tensor& t, int64_t row_blocks);
// The blocks recorded for t's memory when t covers it, else 0.
int64_t writer_blocks(const Tensor& t);
// A 0-dim tensor holding s in dtype.
Tensor scalar_tensor(const Scalar& s, ScalarType dtype);

// Whether a's and b's storages overlap: the same storage, or two over the same
// bytes (from_blob).
inline bool shares_memory(const Tensor& a, const Tensor& b) {
  const StorageImpl& x = *a.unsafeGetTensorImpl()->storage;
  const StorageImpl& y = *b.unsafeGetTensorImpl()->storage;
  const auto* px = static_cast<const char*>(x.data);
  const auto* py = static_cast<const char*>(y.data);
  return &x == &y || (px < py + y.nbytes && py < px + x.nbytes);
}

// Whether `shape` broadcasts to `desired`.
bool is_expandable_to(IntArrayRef shape, IntArrayRef desired);
// Sums g over the dims along which `shape` was broadcast to g's shape
// (differentiable): the un-broadcasting of gradients.
Tensor sum_to(const Tensor& g, IntArrayRef shape);
// No NaN or infinity in t.
bool all_finite(const Tensor& t);

// Whether an in-place op may write through a self whose elements share memory (an
// expanded tensor): only a fill, whose result is the same either way, as in libtorch.
enum class SelfOverlap { kRefused, kAllowed };
// Checks that an in-place op may modify self: defined, no two elements at one
// address (unless allowed), and libtorch's leaf and view errors.
void check_inplace(const Tensor& self, SelfOverlap overlap = SelfOverlap::kRefused);
// other, copied first when it shares memory with self in a different layout
// (an overlapping read would see values already overwritten).
Tensor unaliased(const Tensor& self, const Tensor& other);
// Bumps self's version counter: after the op has saved its inputs, so that a
// saved input which is self is seen as modified (as in libtorch).
inline void bump_version(const Tensor& self) { ++self.unsafeGetTensorImpl()->storage->version; }
// Refuses to give a view a history of its own (Note [In-place on views of tensors
// without grad]); called by an in-place op about to record on self.
void check_view_may_record(const Tensor& self);
// Makes self's history that of `result` (an out-of-place result computed for an
// in-place op) and writes result's values into self.
void commit_inplace(const Tensor& self, const Tensor& result);
// The handle an in-place method returns: the methods are const, as libtorch's, since
// they change the tensor's data and history, never the handle itself.
inline Tensor& as_mutable(const Tensor& self) { return const_cast<Tensor&>(self); }

// Marks a view of a tensor that requires grad, so in-place ops on it are refused
// (Note [In-place on views]).
void mark_view(const Tensor& view, const Tensor& base);

}  // namespace tg::ops
