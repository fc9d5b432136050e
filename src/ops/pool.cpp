// F::max_pool2d. The forward records the argmax of every window; the backward
// scatters the gradient to those positions and is itself differentiable (its
// backward gathers through the same indices), so double backward works.
#include "kernels/pool.h"

#include "ops/op_helpers.h"
#include "tensorgrad/nn/functional.h"

namespace tg {
namespace {
using namespace ops;

// Tensors viewed as [planes, plane]: all dims but the last two are planes.
int64_t plane_count(const Tensor& t) { return t.numel() == 0 ? 0 : t.numel() / (t.size(-2) * t.size(-1)); }
int64_t plane_size(const Tensor& t) { return t.size(-2) * t.size(-1); }

Tensor gather_planes_op(const Tensor& src, const Tensor& index);

// out = zeros(out_shape); out[p][index[p][i]] += src[p][i]. `name` is the node's
// (the backward whose own backward this is). `pooled_input`, when given, is the
// input whose max_pool2d gradient this is: the node has an edge to it with a
// gradient of 0, as libtorch's, so that a gradient taken through max_pool2d alone
// with create_graph still requires grad.
Tensor scatter_planes_op(const Tensor& src, const Tensor& index, IntArrayRef out_shape, const char* name,
                         const Tensor& pooled_input = Tensor()) {
  const Tensor s = contiguous_raw(src);
  Tensor out = empty(out_shape, src.dtype());
  kernels::visit_floating(src.dtype(), "max_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::scatter_add_planes<T>(s.data_ptr<T>(), index.data_ptr<int64_t>(), out.data_ptr<T>(), plane_count(index),
                                   plane_size(index), plane_size(out));
  });
  if (needs_record(src, pooled_input)) {
    auto node = make_node(name, [](Node& n, const Tensor& g) -> variable_list {
      return {n.needs_input_grad(0) ? gather_planes_op(g, n.saved(0)) : Tensor(),
              n.needs_input_grad(1) ? zeros(n.next_shape(1), n.next_dtype(1)) : Tensor()};
    }, src, pooled_input);
    node->save(index, false);
    set_history(out, node);
  }
  return out;
}

// out[p][i] = src[p][index[p][i]], of index's shape.
Tensor gather_planes_op(const Tensor& src, const Tensor& index) {
  const Tensor s = contiguous_raw(src);
  Tensor out = empty(index.sizes(), src.dtype());
  kernels::visit_floating(src.dtype(), "gather", [&](auto tag) {
    using T = decltype(tag);
    kernels::gather_planes<T>(s.data_ptr<T>(), index.data_ptr<int64_t>(), out.data_ptr<T>(), plane_count(index),
                              plane_size(s), plane_size(index));
  });
  if (needs_record(src)) {
    DimVector src_shape(src.sizes());
    auto node = make_node("GatherBackward0", [src_shape](Node& n, const Tensor& g) -> variable_list {
      return {scatter_planes_op(g, n.saved(0), src_shape, "ScatterAddBackward0")};
    }, src);
    node->save(index, false);
    set_history(out, node);
  }
  return out;
}

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// libtorch's pooling_output_shape, with its checks.
int64_t pooled_size(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  TG_CHECK(stride != 0, "stride should not be zero");
  TG_CHECK(pad >= 0, "pad must be non-negative, but got pad: ", pad);
  TG_CHECK(pad <= kernel / 2, "pad should be at most half of kernel size, but got pad=", pad, " and kernel_size=",
           kernel);
  int64_t out = floor_div(in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  // In ceil mode the last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

}  // namespace

namespace nn::functional {

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
  const int64_t nd = input.dim();
  TG_CHECK(nd == 3 || nd == 4, "non-empty 3D or 4D (batch mode) tensor expected for input");
  kernels::PoolGeometry g;
  g.height = input.size(-2);
  g.width = input.size(-1);
  g.kernel_h = o.kernel_size()[0];
  g.kernel_w = o.kernel_size()[1];
  g.stride_h = o.stride()[0];
  g.stride_w = o.stride()[1];
  g.pad_h = o.padding()[0];
  g.pad_w = o.padding()[1];
  g.dilation_h = o.dilation()[0];
  g.dilation_w = o.dilation()[1];
  g.out_h = pooled_size(g.height, g.kernel_h, g.pad_h, g.stride_h, g.dilation_h, o.ceil_mode());
  g.out_w = pooled_size(g.width, g.kernel_w, g.pad_w, g.stride_w, g.dilation_w, o.ceil_mode());
  TG_CHECK(g.kernel_h > 0 && g.kernel_w > 0, "kernel size should be greater than zero, but got kH: ", g.kernel_h,
           " kW: ", g.kernel_w);
  TG_CHECK(g.stride_h > 0 && g.stride_w > 0, "stride should be greater than zero, but got dH: ", g.stride_h,
           " dW: ", g.stride_w);
  TG_CHECK(g.dilation_h > 0 && g.dilation_w > 0, "dilation should be greater than zero, but got dilationH: ",
           g.dilation_h, " dilationW: ", g.dilation_w);
  const bool nonempty = input.size(-3) != 0 && g.height != 0 && g.width != 0 && (nd == 4 || input.size(0) != 0);
  TG_CHECK(nonempty, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:",
           input.sizes());
  TG_CHECK(g.out_h >= 1 && g.out_w >= 1, "Given input size: (", input.size(-3), "x", g.height, "x", g.width,
           "). Calculated output size: (", input.size(-3), "x", g.out_h, "x", g.out_w, "). Output size is too small");

  DimVector out_shape(input.sizes());
  out_shape[nd - 2] = g.out_h;
  out_shape[nd - 1] = g.out_w;
  Tensor out = empty(out_shape, input.dtype());
  Tensor indices = empty(out_shape, kLong);
  const Tensor x = contiguous_raw(input);
  kernels::visit_floating(input.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    kernels::max_pool2d<T>(x.data_ptr<T>(), out.data_ptr<T>(), indices.data_ptr<int64_t>(), plane_count(out), g);
  });
  if (needs_record(input)) {
    DimVector in_shape(input.sizes());
    auto node = make_node("MaxPool2DWithIndicesBackward0", [in_shape](Node& n, const Tensor& grad) -> variable_list {
      const Tensor input = n.saved(1);  // unpacked as libtorch's: an input modified in place raises
      return {scatter_planes_op(grad, n.saved(0), in_shape, "MaxPool2DWithIndicesBackwardBackward0",
                                GradMode::is_enabled() ? input : Tensor())};
    }, input);
    node->save(indices, false);
    node->save(input, false);
    set_history(out, node);
  }
  return out;
}

}  // namespace nn::functional
}  // namespace tg
