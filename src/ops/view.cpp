// Views: ops whose result shares the input's storage (transpose, permute, view,
// expand, slice, select, narrow, squeeze, unsqueeze, index with slices/ints/
// None/Ellipsis), and reshape/flatten, which copy only when libtorch's would.
#include <limits>

#include "ops/op_helpers.h"
#include "tensorgrad/indexing.h"

namespace tg {
namespace {
using namespace ops;

Tensor make_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  Tensor view = alias(base, sizes, strides, offset);
  TensorImpl* impl = view.unsafeGetTensorImpl();
  impl->is_view = true;
  impl->view_history_version = impl->storage->history_version;
  return view;
}

// Records a view op: `backward` maps the view's gradient to the base's. Returns
// the node, or null when none was recorded.
template <class F>
Node* record_view(const char* name, const Tensor& base, const Tensor& view, F backward) {
  if (needs_tangent(base)) set_view_tangent(view, base, name, backward);
  if (!needs_record(base)) return nullptr;
  auto node = make_node(name, [backward](Node&, const Tensor& g) -> variable_list { return {backward(g)}; }, base);
  set_history(view, node);
  mark_view(view, base);
  return node.get();
}

// The gradient of a slicing view: zeros of the base's shape with the view's
// region set to g. Differentiable: its own backward slices again.
template <class ViewFn>
Tensor scatter_into_view(const Tensor& g, IntArrayRef base_shape, ViewFn view_fn) {
  Tensor out = zeros(base_shape, g.dtype());
  {
    AutoGradMode no_grad(false);
    copy_raw(view_fn(out), g);
  }
  if (needs_tangent(g)) set_tangent(out, g, [&](const Tensor& t) { return scatter_into_view(t, base_shape, view_fn); });
  if (needs_record(g)) {
    auto node = make_node("SliceBackwardBackward0", [view_fn](Node&, const Tensor& gg) -> variable_list {
      return {view_fn(gg)};
    }, g);
    set_history(out, node);
  }
  return out;
}

int64_t clamp_index(int64_t i, int64_t size) {
  if (i < 0) i += size;
  return std::min(std::max<int64_t>(i, 0), size);
}

// Advanced indexing counts negative indices from the end (index_select does not).
Tensor wrap_tensor_index(const Tensor& index, int64_t size, int64_t dim) {
  Tensor wrapped = contiguous_raw(index).clone();
  int64_t* p = wrapped.data_ptr<int64_t>();
  for (int64_t k = 0; k < wrapped.numel(); ++k) {
    TG_CHECK_INDEX(p[k] >= -size && p[k] < size, "index ", p[k], " is out of bounds for dimension ", dim,
                   " with size ", size);
    if (p[k] < 0) p[k] += size;
  }
  return wrapped;
}

}  // namespace

namespace ops {
void mark_view(const Tensor& view, const Tensor& base) {
  autograd::AutogradMeta& m = autograd::AutogradMeta::get_or_create(view.unsafeGetTensorImpl());
  const autograd::AutogradMeta* bm = autograd::AutogradMeta::find(base);
  m.is_view = true;
  m.base_is_leaf = bm && (bm->base_is_leaf || (bm->requires_grad && !bm->grad_fn));
}
}  // namespace ops

// ---- transpose / permute ---------------------------------------------------------------------
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
  const int64_t nd = a.dim();
  const int64_t d0 = core::wrap_dim(dim0, nd), d1 = core::wrap_dim(dim1, nd);
  DimVector sizes(a.sizes()), strides(a.strides());
  if (nd > 0) {
    std::swap(sizes[d0], sizes[d1]);
    std::swap(strides[d0], strides[d1]);
  }
  Tensor out = make_view(a, sizes, strides, a.storage_offset());
  Node* node = record_view("TransposeBackward0", a, out, [d0, d1](const Tensor& g) { return g.transpose(d0, d1); });
  if (node && nd == 2 && d0 != d1) node->mark_transposes_gradient();
  return out;
}

Tensor permute(const Tensor& a, IntArrayRef dims) {
  const int64_t nd = a.dim();
  TG_CHECK(static_cast<int64_t>(dims.size()) == nd, "permute(sparse_coo): number of dimensions in the tensor input "
           "does not match the length of the desired ordering of dimensions i.e. input.dim() = ", nd,
           " is not equal to len(dims) = ", dims.size());
  DimVector sizes(nd, 0), strides(nd, 0), inverse(nd, 0);
  uint64_t seen = 0;
  for (int64_t i = 0; i < nd; ++i) {
    const int64_t d = core::wrap_dim(dims[i], nd);
    TG_CHECK(!(seen >> d & 1), "permute(): duplicate dims are not allowed.");
    seen |= uint64_t(1) << d;
    sizes[i] = a.size(d);
    strides[i] = a.stride(d);
    inverse[d] = i;
  }
  Tensor out = make_view(a, sizes, strides, a.storage_offset());
  record_view("PermuteBackward0", a, out, [inverse](const Tensor& g) { return g.permute(inverse); });
  return out;
}

Tensor t(const Tensor& a) {
  TG_CHECK(a.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", a.dim(), "D");
  if (a.dim() < 2) {
    Tensor out = make_view(a, a.sizes(), a.strides(), a.storage_offset());
    record_view("TBackward0", a, out, [](const Tensor& g) { return g; });
    return out;
  }
  DimVector sizes{a.size(1), a.size(0)}, strides{a.stride(1), a.stride(0)};
  Tensor out = make_view(a, sizes, strides, a.storage_offset());
  if (Node* node = record_view("TBackward0", a, out, [](const Tensor& g) { return g.t(); }))
    node->mark_transposes_gradient();
  return out;
}

Tensor Tensor::mT() const {
  TG_CHECK(dim() >= 2, "tensor.mT is only supported on matrices or batches of matrices. Got ", dim(), "-D tensor.");
  return tg::transpose(*this, -2, -1);
}

// ---- view / reshape / flatten -------------------------------------------------------------------
Tensor Tensor::view(IntArrayRef shape) const {
  DimVector sizes = core::infer_size(shape, numel());
  DimVector strides;
  TG_CHECK(core::view_strides(this->sizes(), this->strides(), sizes, strides),
           "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
           "two contiguous subspaces). Use .reshape(...) instead.");
  Tensor out = make_view(*this, sizes, strides, storage_offset());
  DimVector in_shape(this->sizes());
  record_view("ViewBackward0", *this, out, [in_shape](const Tensor& g) { return g.reshape(in_shape); });
  return out;
}

Tensor reshape(const Tensor& a, IntArrayRef shape) {
  DimVector sizes = core::infer_size(shape, a.numel());
  DimVector strides;
  DimVector in_shape(a.sizes());
  if (core::view_strides(a.sizes(), a.strides(), sizes, strides)) {
    // A view, named as libtorch 1.13's reshape names it (_reshape_alias).
    Tensor out = make_view(a, sizes, strides, a.storage_offset());
    record_view("ReshapeAliasBackward0", a, out, [in_shape](const Tensor& g) { return g.reshape(in_shape); });
    return out;
  }
  // Not expressible as a view: copy, as libtorch (a contiguous clone + _unsafe_view).
  // The result aliases a copy nothing else sees, so it is not a view (in-place ops
  // on it record as on any tensor), as libtorch's _unsafe_view.
  Tensor copy = a.contiguous();
  Tensor out = alias(copy, sizes, core::contiguous_strides(sizes), 0);
  auto to_copy = [in_shape](const Tensor& g) { return g.reshape(in_shape); };
  if (needs_tangent(copy)) set_view_tangent(out, copy, "UnsafeViewBackward0", to_copy);
  if (needs_record(copy)) {
    auto node = make_node("UnsafeViewBackward0", [to_copy](Node&, const Tensor& g) -> variable_list {
      return {to_copy(g)};
    }, copy);
    set_history(out, node);
  }
  return out;
}

Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim) {
  const int64_t s = core::wrap_dim(start_dim, a.dim()), e = core::wrap_dim(end_dim, a.dim());
  if (a.dim() == 0) return a.reshape({1});
  TG_CHECK(s <= e, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (s == e) return a;
  DimVector shape;
  int64_t merged = 1;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d < s || d > e) shape.push_back(a.size(d));
    else {
      merged *= a.size(d);
      if (d == e) shape.push_back(merged);
    }
  }
  return a.reshape(shape);
}

// ---- squeeze / unsqueeze / expand ------------------------------------------------------------------
Tensor squeeze(const Tensor& a) {
  DimVector sizes, strides;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (a.size(d) != 1) {
      sizes.push_back(a.size(d));
      strides.push_back(a.stride(d));
    }
  Tensor out = make_view(a, sizes, strides, a.storage_offset());
  DimVector in_shape(a.sizes());
  record_view("SqueezeBackward0", a, out, [in_shape](const Tensor& g) { return g.reshape(in_shape); });
  return out;
}

Tensor squeeze(const Tensor& a, int64_t dim) {
  const int64_t d = core::wrap_dim(dim, a.dim());
  if (a.dim() == 0 || a.size(d) != 1) {
    Tensor out = make_view(a, a.sizes(), a.strides(), a.storage_offset());
    record_view("SqueezeBackward1", a, out, [](const Tensor& g) { return g; });
    return out;
  }
  DimVector sizes(a.sizes()), strides(a.strides());
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor out = make_view(a, sizes, strides, a.storage_offset());
  record_view("SqueezeBackward1", a, out, [d](const Tensor& g) { return g.unsqueeze(d); });
  return out;
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
  const int64_t d = core::wrap_dim(dim, a.dim() + 1);
  DimVector sizes(a.sizes()), strides(a.strides());
  const int64_t st = d >= a.dim() ? 1 : a.size(d) * a.stride(d);
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  Tensor out = make_view(a, sizes, strides, a.storage_offset());
  record_view("UnsqueezeBackward0", a, out, [d](const Tensor& g) { return g.squeeze(d); });
  return out;
}

Tensor Tensor::expand(IntArrayRef size, bool) const {
  const int64_t nd = static_cast<int64_t>(size.size());
  TG_CHECK(nd >= dim(), "expand(", toString(), "{", sizes(), "}, size=", size,
           "): the number of sizes provided (", nd, ") must be greater or equal to the number of dimensions in the "
           "tensor (", dim(), ")");
  DimVector new_sizes(nd, 0), new_strides(nd, 0);
  for (int64_t i = nd - 1; i >= 0; --i) {
    const int64_t src = i - (nd - dim());
    const int64_t have = src >= 0 ? this->size(src) : 1;
    int64_t want = size[i];
    if (want == -1) {
      TG_CHECK(src >= 0, "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ", i);
      want = have;
    }
    TG_CHECK(have == want || have == 1, "The expanded size of the tensor (", want,
             ") must match the existing size (", have, ") at non-singleton dimension ", i, ".  Target sizes: ", size,
             ".  Tensor sizes: ", sizes());
    new_sizes[i] = want;
    new_strides[i] = (src >= 0 && have == want) ? this->stride(src) : 0;
  }
  Tensor out = make_view(*this, new_sizes, new_strides, storage_offset());
  DimVector in_shape(this->sizes());
  record_view("ExpandBackward0", *this, out, [in_shape](const Tensor& g) { return sum_to(g, in_shape); });
  return out;
}

// ---- slice / select / narrow -----------------------------------------------------------------------
Tensor Tensor::slice(int64_t dim, optional<int64_t> start, optional<int64_t> end, int64_t step) const {
  TG_CHECK(this->dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
  TG_CHECK(step > 0, "slice step must be positive");
  const int64_t d = core::wrap_dim(dim, this->dim());
  const int64_t size = this->size(d);
  const int64_t s = clamp_index(start.value_or(0), size);
  int64_t e = end.value_or(std::numeric_limits<int64_t>::max());
  e = e == std::numeric_limits<int64_t>::max() ? size : clamp_index(e, size);
  if (e < s) e = s;
  DimVector sizes(this->sizes()), strides(this->strides());
  sizes[d] = (e - s + step - 1) / step;
  strides[d] = this->stride(d) * step;
  Tensor out = make_view(*this, sizes, strides, storage_offset() + s * this->stride(d));
  DimVector in_shape(this->sizes());
  record_view("SliceBackward0", *this, out, [in_shape, d, s, e, step](const Tensor& g) {
    return scatter_into_view(g, in_shape, [d, s, e, step](const Tensor& t) { return t.slice(d, s, e, step); });
  });
  return out;
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  TG_CHECK_INDEX(this->dim() > 0, "select() cannot be applied to a 0-dim tensor.");
  const int64_t d = core::wrap_dim(dim, this->dim());
  const int64_t size = this->size(d);
  TG_CHECK_INDEX(index >= -size && index < size, "select(): index ", index, " out of range for tensor of size ",
                 sizes(), " at dimension ", d);
  const int64_t i = index < 0 ? index + size : index;
  DimVector sizes(this->sizes()), strides(this->strides());
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  Tensor out = make_view(*this, sizes, strides, storage_offset() + i * this->stride(d));
  DimVector in_shape(this->sizes());
  record_view("SelectBackward0", *this, out, [in_shape, d, i](const Tensor& g) {
    return scatter_into_view(g, in_shape, [d, i](const Tensor& t) { return t.select(d, i); });
  });
  return out;
}

Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  TG_CHECK(this->dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  const int64_t d = core::wrap_dim(dim, this->dim());
  const int64_t size = this->size(d);
  // As libtorch's: start wraps like a dim (so its error is a dim's), except that
  // start == size is valid.
  if (start != size) start = core::wrap_dim(start, size);
  TG_CHECK(length >= 0 && start <= size - length, "start (", start, ") + length (", length,
           ") exceeds dimension size (", size, ").");
  return slice(d, start, start + length, 1);
}

Tensor select(const Tensor& a, int64_t dim, int64_t index) { return a.select(dim, index); }
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) { return a.narrow(dim, start, length); }

// ---- index with Slice / None / Ellipsis / integers ---------------------------------------------------
namespace indexing {
Slice::Slice(optional<int64_t> start, optional<int64_t> stop, optional<int64_t> step)
    : start_(start.value_or(0)), stop_(stop.value_or(std::numeric_limits<int64_t>::max())), step_(step.value_or(1)) {
  TG_CHECK(step_ != 0, "slice step cannot be zero");
}

TensorIndex::TensorIndex(const char* s) : kind_(Kind::Ellipsis) {
  TG_CHECK(std::string(s) == "...", "Expected \"...\" to represent an ellipsis index, but got \"", s, "\"");
}
}  // namespace indexing

Tensor Tensor::index(std::initializer_list<indexing::TensorIndex> indices) const {
  return index(ArrayRef<indexing::TensorIndex>(indices.begin(), indices.size()));
}

Tensor Tensor::index(ArrayRef<indexing::TensorIndex> indices) const {
  using indexing::TensorIndex;
  int64_t consumed = 0;  // dims of self that indices refer to
  int64_t index_tensors = 0;
  for (const TensorIndex& i : indices) {
    // A bool mask covers as many dims as it has, as in libtorch.
    const bool mask = i.is_tensor() && i.tensor().defined() && i.tensor().dtype() == kBool;
    if (i.is_integer() || i.is_slice() || i.is_tensor()) consumed += mask ? std::max<int64_t>(i.tensor().dim(), 1) : 1;
    if (i.is_tensor() && i.tensor().defined() && i.tensor().dim() > 0) ++index_tensors;
  }
  TG_CHECK_INDEX(consumed <= dim(), "too many indices for tensor of dimension ", dim());
  // libtorch indexes with several index tensors jointly (broadcast together);
  // indexing one dim after the other would silently give other elements.
  TG_CHECK_INDEX(index_tensors <= 1, "tensorgrad's index() accepts at most one tensor index of one dimension, got ",
                 index_tensors);
  Tensor r = *this;
  int64_t d = 0;         // current dim of r
  int64_t position = -1;  // of i in indices, which libtorch's errors name as its dimension
  for (const TensorIndex& i : indices) {
    ++position;
    switch (i.kind()) {
      case TensorIndex::Kind::None:
        r = r.unsqueeze(d++);
        break;
      case TensorIndex::Kind::Ellipsis:
        // Each ellipsis skips the dims no index names, as libtorch's C++ index()
        // (which, unlike Python, accepts several: {Ellipsis, 0, Ellipsis}).
        d += dim() - consumed;
        break;
      case TensorIndex::Kind::Integer: {
        const int64_t size = r.size(d);
        TG_CHECK_INDEX(i.integer() >= -size && i.integer() < size, "index ", i.integer(),
                       " is out of bounds for dimension ", position, " with size ", size);
        r = r.select(d, i.integer());
        break;
      }
      case TensorIndex::Kind::Boolean:
        r = r.unsqueeze(d);
        if (!i.boolean()) r = r.slice(d, 0, 0);
        ++d;
        break;
      case TensorIndex::Kind::Slice: {
        const auto& s = i.slice();
        TG_CHECK(s.step() > 0, "step must be greater than zero");
        r = r.slice(d++, s.start(), s.stop(), s.step());
        break;
      }
      case TensorIndex::Kind::Tensor: {
        Tensor idx = i.tensor();
        TG_CHECK_INDEX((idx.dim() <= 1 && idx.dtype() == kLong) || (idx.dtype() == kBool && idx.dim() >= 1),
                       "tensorgrad's index() accepts 0-D or 1-D long tensors and bool masks as tensor indices");
        if (idx.dim() == 0) {
          r = r.select(d, idx.item<int64_t>());
          break;
        }
        Tensor pos;
        if (idx.dtype() == kLong) {
          pos = wrap_tensor_index(idx, r.size(d), d);
        } else {
          // A mask of k dims selects over dims d .. d + k - 1 of r: merged into one,
          // they take the flattened mask (x[x > 0] is 1-D, in row-major order).
          for (int64_t j = 0; j < idx.dim(); ++j)
            TG_CHECK_INDEX(d + j < r.dim() && idx.size(j) == r.size(d + j), "The shape of the mask ", idx.sizes(),
                           " at index ", j, " does not match the shape of the indexed tensor ", r.sizes(),
                           " at index ", d + j);
          if (idx.dim() > 1) {
            DimVector merged;
            for (int64_t j = 0; j < d; ++j) merged.push_back(r.size(j));
            merged.push_back(-1);
            for (int64_t j = d + idx.dim(); j < r.dim(); ++j) merged.push_back(r.size(j));
            r = r.reshape(merged);
            idx = idx.reshape({-1});
          }
          Tensor m = contiguous_raw(idx);
          std::vector<int64_t> kept;
          for (int64_t k = 0; k < idx.size(0); ++k)
            if (m.data_ptr<bool>()[k]) kept.push_back(k);
          pos = tensor(kept);
        }
        r = r.index_select(d++, pos);
        break;
      }
    }
  }
  if (r.is_same(*this)) {
    // Only Ellipsis: still a new view, as libtorch's alias().
    r = make_view(*this, sizes(), strides(), storage_offset());
    record_view("AliasBackward0", *this, r, [](const Tensor& g) { return g; });
  }
  return r;
}

Tensor& Tensor::index_put_(ArrayRef<indexing::TensorIndex> indices, const Tensor& value) {
  for (const auto& i : indices)
    TG_CHECK_INDEX(!i.is_tensor(), "index_put_ with tensor indices is not supported by tensorgrad");
  Tensor target = index(indices);
  // As libtorch's copy_to: the value's leading dims of size 1 are dropped first,
  // so a [1, 4] value fills a [4] row.
  int64_t leading_ones = 0;
  while (leading_ones < value.dim() && value.size(leading_ones) == 1) ++leading_ones;
  const IntArrayRef sizes = value.sizes();
  target.copy_(leading_ones == 0 ? value
                                 : value.view(IntArrayRef(sizes.data() + leading_ones, sizes.size() - leading_ones)));
  return *this;
}
Tensor& Tensor::index_put_(ArrayRef<indexing::TensorIndex> indices, const Scalar& value) {
  for (const auto& i : indices)
    TG_CHECK_INDEX(!i.is_tensor(), "index_put_ with tensor indices is not supported by tensorgrad");
  Tensor target = index(indices);
  target.fill_(value);
  return *this;
}
Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& value) {
  return index_put_(ArrayRef<indexing::TensorIndex>(indices.begin(), indices.size()), value);
}
Tensor& Tensor::index_put_(std::initializer_list<indexing::TensorIndex> indices, const Scalar& value) {
  return index_put_(ArrayRef<indexing::TensorIndex>(indices.begin(), indices.size()), value);
}

// ---- Tensor methods and free-function spellings ---------------------------------------------------
Tensor Tensor::t() const { return tg::t(*this); }
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const { return tg::transpose(*this, dim0, dim1); }
Tensor Tensor::permute(IntArrayRef dims) const { return tg::permute(*this, dims); }
Tensor Tensor::reshape(IntArrayRef shape) const { return tg::reshape(*this, shape); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const { return tg::flatten(*this, start_dim, end_dim); }
Tensor Tensor::squeeze() const { return tg::squeeze(*this); }
Tensor Tensor::squeeze(int64_t dim) const { return tg::squeeze(*this, dim); }
Tensor Tensor::unsqueeze(int64_t dim) const { return tg::unsqueeze(*this, dim); }

}  // namespace tg
