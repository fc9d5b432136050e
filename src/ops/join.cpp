// tg::cat and tg::stack: joining tensors along a dim, with libtorch's checks and
// type promotion (the result has the promoted dtype of all inputs).
#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

// libtorch 1.13 still skips 1-D tensors of shape [0] in cat, whatever the other
// shapes (a legacy rule kept for old code that concatenated onto empty tensors).
bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

bool any_requires_grad(TensorList tensors) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : tensors)
    if (autograd::requires_grad(t)) return true;
  return false;
}

bool any_tangent(TensorList tensors) {
  for (const Tensor& t : tensors)
    if (needs_tangent(t)) return true;
  return false;
}

// The inputs' tangents (zeros for those without one), to join as the inputs were.
std::vector<Tensor> tangents(TensorList tensors) {
  std::vector<Tensor> ts;
  for (const Tensor& t : tensors) ts.push_back(tangent_of(t));
  return ts;
}

ScalarType promoted_dtype(TensorList tensors) {
  ScalarType t = ScalarType::Undefined;
  for (const Tensor& x : tensors) t = promote_types(t, x.dtype());
  return t;
}

}  // namespace

Tensor cat(TensorList tensors, int64_t dim) {
  TG_CHECK(!tensors.empty(), "torch.cat(): expected a non-empty list of Tensors");
  for (size_t i = 0; i < tensors.size(); ++i)
    TG_CHECK(tensors[i].dim() > 0, "zero-dimensional tensor (at position ", i, ") cannot be concatenated");
  const ScalarType dtype = promoted_dtype(tensors);
  size_t ref = 0;
  while (ref < tensors.size() - 1 && skipped_in_cat(tensors[ref])) ++ref;

  // When every tensor is a skipped [0], the result is [0] whatever `dim` says.
  const Tensor& first = tensors[ref];
  const int64_t d = skipped_in_cat(first) ? 0 : core::wrap_dim(dim, first.dim());
  DimVector shape(first.sizes());
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped_in_cat(t)) continue;
    TG_CHECK(t.dim() == first.dim(), "Tensors must have same number of dimensions: got ", first.dim(), " and ",
             t.dim());
    for (int64_t k = 0; k < t.dim(); ++k)
      TG_CHECK(k == d || t.size(k) == first.size(k), "Sizes of tensors must match except in dimension ", d,
               ". Expected size ", first.size(k), " but got size ", t.size(k), " for tensor number ", i,
               " in the list.");
    shape[d] += t.size(d);
  }

  Tensor out = empty(shape, dtype);
  std::vector<int64_t> offsets(tensors.size(), -1);  // -1: skipped
  int64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (skipped_in_cat(tensors[i])) continue;
    offsets[i] = offset;
    copy_raw(out.narrow(d, offset, tensors[i].size(d)), tensors[i]);
    offset += tensors[i].size(d);
  }
  if (any_tangent(tensors)) set_tangent_from(out, [&] { return cat(tangents(tensors), dim); });
  if (any_requires_grad(tensors)) {
    std::vector<int64_t> lengths;
    for (const Tensor& t : tensors) lengths.push_back(skipped_in_cat(t) ? 0 : t.size(d));
    auto node = autograd::make_node_list("CatBackward0", [d, offsets, lengths](Node& n, const Tensor& g) {
      variable_list grads(offsets.size());
      for (size_t i = 0; i < offsets.size(); ++i) {
        if (!n.needs_input_grad(i)) continue;
        grads[i] = offsets[i] < 0 ? zeros({0}, g.dtype()) : g.narrow(d, offsets[i], lengths[i]);
      }
      return grads;
    }, tensors);
    set_history(out, node);
  }
  return out;
}

Tensor stack(TensorList tensors, int64_t dim) {
  TG_CHECK(!tensors.empty(), "stack expects a non-empty TensorList");
  const Tensor& first = tensors[0];
  const int64_t d = core::wrap_dim(dim, first.dim() + 1);
  for (size_t i = 1; i < tensors.size(); ++i)
    TG_CHECK(tensors[i].sizes().equals(first.sizes()), "stack expects each tensor to be equal size, but got ",
             first.sizes(), " at entry 0 and ", tensors[i].sizes(), " at entry ", i);

  DimVector shape(first.sizes());
  shape.insert(shape.begin() + d, static_cast<int64_t>(tensors.size()));
  Tensor out = empty(shape, promoted_dtype(tensors));
  for (size_t i = 0; i < tensors.size(); ++i) copy_raw(out.select(d, static_cast<int64_t>(i)), tensors[i]);
  if (any_tangent(tensors)) set_tangent_from(out, [&] { return stack(tangents(tensors), dim); });
  if (any_requires_grad(tensors)) {
    const size_t count = tensors.size();
    auto node = autograd::make_node_list("StackBackward0", [d, count](Node& n, const Tensor& g) {
      variable_list grads(count);
      for (size_t i = 0; i < count; ++i)
        if (n.needs_input_grad(i)) grads[i] = g.select(d, static_cast<int64_t>(i));
      return grads;
    }, tensors);
    set_history(out, node);
  }
  return out;
}

}  // namespace tg
