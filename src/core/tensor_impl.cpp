#include "tensorgrad/tensor_impl.h"

#include "autograd/autograd_meta.h"
#include "core/allocator.h"
#include "core/shape.h"
#include "tensorgrad/error.h"

namespace tg {

StorageImpl::StorageImpl(size_t n) : nbytes(n), pooled_(true) {
  core::Block b = core::allocate_storage(n);
  data = b.ptr;
  // Remember the size class so the block returns to the right free list.
  context_ = reinterpret_cast<void*>(b.bytes);
}

StorageImpl::StorageImpl(void* d, size_t n, Deleter deleter, void* context)
    : data(d), nbytes(n), deleter_(deleter), context_(context) {}

StorageImpl::~StorageImpl() {
  if (pooled_) {
    core::free_storage({data, reinterpret_cast<size_t>(context_)});
  } else if (deleter_) {
    deleter_(data, context_);
  }
}

TensorImpl::TensorImpl(intrusive_ptr<StorageImpl> s, ScalarType t, IntArrayRef sz, IntArrayRef st,
                       int64_t offset)
    : storage(std::move(s)), storage_offset(offset), sizes(sz), strides(st), dtype(t) {
  refresh();
}

TensorImpl::TensorImpl(ScalarType t, IntArrayRef sz) : sizes(sz), dtype(t) {
  // Contiguous strides; a size-0 dim counts as 1 in them, as in libtorch
  // ({2,0,3} has strides {3,3,1}).
  const core::CheckedNumel n = core::checked_numel(sizes);
  size_t bytes = 0;
  TG_CHECK(!n.overflow && !__builtin_mul_overflow(static_cast<size_t>(n.value), element_size(t), &bytes),
           "Storage size calculation overflowed with sizes=", IntArrayRef(sizes));
  strides.resize(sizes.size());
  int64_t stride = 1;  // fits: checked_numel refused a product of the non-zero sizes beyond int64
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= sizes[i] == 0 ? 1 : sizes[i];
  }
  numel = n.value;
  is_contiguous = true;
  storage = make_intrusive<StorageImpl>(bytes);
}

TensorImpl::~TensorImpl() {
  if (autograd_meta) autograd::AutogradMeta::on_tensor_destroyed(this);
}

void TensorImpl::refresh() {
  const core::CheckedNumel n = core::checked_numel(sizes);
  TG_CHECK(!n.overflow, "numel: integer multiplication overflow");
  numel = n.value;
  is_contiguous = core::is_contiguous(sizes, strides);
}

}  // namespace tg
