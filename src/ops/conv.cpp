// F::conv2d as im2col + GEMM. Its backward (ConvolutionBackward0) runs fused
// per-image GEMMs when no higher-order graph is requested, and otherwise the same
// formulas written with differentiable ops — im2col and col2im, which are each
// other's backward — so gradients of gradients come out of the engine.
#include "kernels/conv.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "core/parallel.h"
#include "kernels/conv_direct.h"
#include "kernels/gemm.h"
#include "kernels/reduce.h"
#include "ops/op_helpers.h"
#include "tensorgrad/nn/functional.h"

namespace tg {
namespace {
using namespace ops;
using kernels::ConvGeometry;

struct ConvPlan {
  ConvGeometry geo;
  int64_t batch = 0, groups = 1, out_channels = 0;
  int64_t group_rows() const { return geo.col_rows() / groups; }  // column-matrix rows per group
  int64_t group_out() const { return out_channels / groups; }     // output channels per group
  int64_t in_per_group() const { return geo.channels / groups; }
};

// ---- im2col / col2im as differentiable ops ------------------------------------------------

Tensor col2im_op(const Tensor& cols, const ConvGeometry& geo);

// [N, C, H, W] -> [N, C*kh*kw, out_h*out_w].
Tensor im2col_op(const Tensor& x, const ConvGeometry& geo) {
  const Tensor src = contiguous_raw(x);
  const int64_t n = x.size(0);
  Tensor cols = empty({n, geo.col_rows(), geo.col_cols()}, x.dtype());
  kernels::visit_floating(x.dtype(), "im2col", [&](auto tag) {
    using T = decltype(tag);
    kernels::im2col<T>(src.data_ptr<T>(), cols.data_ptr<T>(), n, geo);
  });
  if (needs_record(x)) {
    auto node = make_node("Im2ColBackward0", [geo](Node&, const Tensor& g) -> variable_list {
      return {col2im_op(g, geo)};
    }, x);
    set_history(cols, node);
  }
  return cols;
}

// [N, C*kh*kw, out_h*out_w] -> [N, C, H, W].
Tensor col2im_op(const Tensor& cols, const ConvGeometry& geo) {
  const Tensor src = contiguous_raw(cols);
  const int64_t n = cols.size(0);
  Tensor x = empty({n, geo.channels, geo.height, geo.width}, cols.dtype());
  kernels::visit_floating(cols.dtype(), "col2im", [&](auto tag) {
    using T = decltype(tag);
    kernels::col2im<T>(src.data_ptr<T>(), x.data_ptr<T>(), n, geo);
  });
  if (needs_record(cols)) {
    auto node = make_node("Col2ImBackward0", [geo](Node&, const Tensor& g) -> variable_list {
      return {im2col_op(g, geo)};
    }, cols);
    set_history(x, node);
  }
  return x;
}

// ---- fused kernels ----------------------------------------------------------------------------

// Splits work items (images, or blocks of images) [0, items) into one contiguous
// range per thread, run in parallel, each with its own scratch buffer of
// buffer_elems. Inside the parallel region every GEMM runs on its own thread; with
// a single range (fewer items than threads) the GEMMs and im2col spread over the
// threads themselves.
// Each range allocates its scratch on the thread that runs it, from that thread's
// storage cache: memory it wrote last, still in its own cache. One buffer for all
// ranges, allocated by the calling thread, had the helper write im2col columns into
// lines the other core owned, and in this 2-vCPU VM's phases where cross-core
// traffic is slow the helper's half of conv2's forward in the CNN took 2.8-3.6 ms
// against the caller's 2.6 (averages over 300 steps); with its own buffer, 2.6
// each.
template <class T, class F>
void for_each_slot(int64_t items, int64_t buffer_elems, ScalarType dtype, const F& fn) {
  if (items == 0) return;
  const int64_t slots = std::min<int64_t>(items, core::num_threads());
  const int64_t per = (items + slots - 1) / slots;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(slots));
  core::parallel_for(slots, 1, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      try {
        const Tensor scratch = empty({buffer_elems}, dtype);
        fn(s * per, std::min(items, (s + 1) * per), scratch.data_ptr<T>());
      } catch (...) {
        errors[static_cast<size_t>(s)] = std::current_exception();
      }
    }
  });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

// Note [Deterministic reductions]: images are cut into blocks set by the batch
// size alone, never by the thread count: the weight gradient sums each block's
// images, then the blocks' partials in order, and a direct convolution's result
// depends on the images of its call (Note [Direct convolution]). The threads
// share whole blocks.
constexpr int64_t kImageBlocks = 8;

// The images of block b of `blocks`.
std::pair<int64_t, int64_t> block_images(int64_t b, int64_t blocks, int64_t batch) {
  return {b * batch / blocks, (b + 1) * batch / blocks};
}

// oneDNN's direct convolution for a float convolution of one group that it runs
// faster than im2col and a GEMM, else nullptr. A single image stays on the GEMM
// path, whose products the threads share: a direct convolution runs a block of
// images on one thread. (Decided by the batch size, never by the thread count, so
// that results do not depend on it.)
template <class T>
std::unique_ptr<kernels::DirectConv> direct_conv(const ConvPlan& p, const T* w) {
  if constexpr (std::is_same_v<T, float>) {
    if (p.groups == 1 && p.batch >= 2) return kernels::DirectConv::make(p.geo, p.out_channels, w);
  }
  return nullptr;
}

template <class T>
void conv_forward(const T* x, const T* w, const T* bias, T* out, const ConvPlan& p, ScalarType dtype) {
  const ConvGeometry& g = p.geo;
  if constexpr (std::is_same_v<T, float>) {
    if (const auto direct = direct_conv(p, w)) {
      const int64_t blocks = std::min(p.batch, kImageBlocks);
      for_each_slot<T>(blocks, 0, dtype, [&](int64_t block_begin, int64_t block_end, T*) {
        for (int64_t b = block_begin; b < block_end; ++b) {
          const auto [first, last] = block_images(b, blocks, p.batch);
          direct->forward(x + first * g.image_size(), bias, out + first * p.out_channels * g.col_cols(), last - first);
        }
      });
      return;
    }
  }
  const int64_t L = g.col_cols(), kg = p.group_rows(), og = p.group_out();
  const bool identity = g.is_identity();
  for_each_slot<T>(p.batch, identity ? 0 : g.col_rows() * L, dtype, [&](int64_t begin, int64_t end, T* buf) {
    for (int64_t n = begin; n < end; ++n) {
      const T* cols = x + n * g.image_size();
      if (!identity) {
        kernels::im2col<T>(cols, buf, 1, g);
        cols = buf;
      }
      T* o = out + n * p.out_channels * L;
      for (int64_t gi = 0; gi < p.groups; ++gi)
        kernels::gemm(false, false, og, L, kg, T(1), w + gi * og * kg, kg, cols + gi * kg * L, L, T(0),
                      o + gi * og * L, L);
      if (bias)
        for (int64_t c = 0; c < p.out_channels; ++c) {
          T* row = o + c * L;
          const T b = bias[c];
          for (int64_t l = 0; l < L; ++l) row[l] += b;
        }
    }
  });
}

// Whether the weight gradient is computed transposed, cols @ gy^T (kg x og per
// group) rather than gy @ cols^T (og x kg): when a group has fewer column-matrix
// rows than a float vector holds (a first layer on one or three channels, kg = 9
// or 27) and more output channels, the GEMM's vectors then run along the output
// channels. One core, oneDNN, Zen 4: the CNN's first layer's 32 x 9 x 784 product
// took 15.0 us, its 9 x 32 x 784 transpose 4.2 us (and conv2's 64 x 288 x 196
// 67 us against 73 us transposed, so only small kg).
bool weight_grad_transposed(int64_t kg, int64_t og) { return kg < 16 && og > kg; }

// gx (when non-null) = the input gradient, gw (when non-null) = the weight
// gradient, of the convolution with output gradient gy.
template <class T>
void conv_backward(const T* x, const T* w, const T* gy, T* gx, T* gw, const ConvPlan& p, ScalarType dtype) {
  const ConvGeometry& g = p.geo;
  const int64_t L = g.col_cols(), kg = p.group_rows(), og = p.group_out();
  const int64_t w_numel = p.out_channels * kg;
  const bool identity = g.is_identity();
  const int64_t blocks = std::min(p.batch, kImageBlocks);
  const auto direct = direct_conv(p, w);
  const bool transposed = !direct && weight_grad_transposed(kg, og);
  Tensor partials = gw ? empty({blocks, w_numel}, dtype) : Tensor();
  T* part = gw ? partials.data_ptr<T>() : nullptr;
  const int64_t buffer = identity || direct ? 0 : g.col_rows() * L;
  for_each_slot<T>(blocks, buffer, dtype, [&](int64_t block_begin, int64_t block_end, T* buf) {
    for (int64_t b = block_begin; b < block_end; ++b) {
      const auto [first, last] = block_images(b, blocks, p.batch);
      if constexpr (std::is_same_v<T, float>) {
        if (direct) {
          const T* g_block = gy + first * p.out_channels * L;
          if (gw) direct->backward_weights(x + first * g.image_size(), g_block, part + b * w_numel, last - first);
          if (gx) direct->backward_data(g_block, gx + first * g.image_size(), last - first);
          continue;
        }
      }
      for (int64_t n = first; n < last; ++n) {
        const T* g_n = gy + n * p.out_channels * L;
        if (gw) {
          const T* cols = x + n * g.image_size();
          if (!identity) {
            kernels::im2col<T>(cols, buf, 1, g);
            cols = buf;
          }
          for (int64_t gi = 0; gi < p.groups; ++gi) {
            const T beta = n == first ? T(0) : T(1);
            T* part_g = part + b * w_numel + gi * og * kg;
            if (transposed)
              kernels::gemm(false, true, kg, og, L, T(1), cols + gi * kg * L, L, g_n + gi * og * L, L, beta, part_g, og);
            else
              kernels::gemm(false, true, og, kg, L, T(1), g_n + gi * og * L, L, cols + gi * kg * L, L, beta, part_g, kg);
          }
        }
        if (gx) {
          T* gcols = identity ? gx + n * g.image_size() : buf;
          for (int64_t gi = 0; gi < p.groups; ++gi)
            kernels::gemm(true, false, kg, L, og, T(1), w + gi * og * kg, kg, g_n + gi * og * L, L, T(0),
                          gcols + gi * kg * L, L);
          if (!identity) kernels::col2im_scratch<T>(buf, gx + n * g.image_size(), 1, g);
        }
      }
    }
  });
  if (!gw) return;
  if (!transposed) return kernels::sum<T>(part, gw, 1, blocks, w_numel);
  Tensor summed = empty({w_numel}, dtype);
  T* s = summed.data_ptr<T>();
  kernels::sum<T>(part, s, 1, blocks, w_numel);
  for (int64_t gi = 0; gi < p.groups; ++gi)
    for (int64_t k = 0; k < kg; ++k)
      for (int64_t o = 0; o < og; ++o) gw[(gi * og + o) * kg + k] = s[gi * og * kg + k * og + o];
}

// ---- the op -----------------------------------------------------------------------------------

// libtorch names the C++ types in its bias dtype error.
const char* c_type_name(ScalarType t) {
  switch (t) {
    case kFloat: return "float";
    case kDouble: return "double";
    case kLong: return "long int";
    default: return "bool";
  }
}

// Checks the arguments in libtorch's order and with its messages, and works out
// the geometry (input is 4-D here).
ConvPlan plan_conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                     const nn::functional::Conv2dFuncOptions& o) {
  const ExpandingArray<2>& stride = o.stride();
  const ExpandingArray<2>& dilation = o.dilation();
  TG_CHECK(weight.dim() >= 3, "weight should have at least three dimensions");
  TG_CHECK(weight.dim() == 4, "expected stride to be a single integer value or a list of ", weight.dim() - 2,
           " values to match the convolution dimensions, but got stride=", stride.ref());
  const bool same = std::holds_alternative<enumtype::kSame>(o.padding());
  if (same)
    TG_CHECK(stride[0] == 1 && stride[1] == 1, "padding='same' is not supported for strided convolutions");
  const int64_t groups = o.groups();
  TG_CHECK(groups > 0, "non-positive groups is not supported");
  ExpandingArray<2> pad_begin(0), pad_end(0);
  if (const auto* p = std::get_if<ExpandingArray<2>>(&o.padding())) {
    TG_CHECK((*p)[0] >= 0 && (*p)[1] >= 0, "negative padding is not supported");
    pad_begin = pad_end = *p;
  }
  TG_CHECK(stride[0] > 0 && stride[1] > 0, "non-positive stride is not supported");
  TG_CHECK(dilation[0] > 0 && dilation[1] > 0, "non-positive dilation is not supported");
  if (same)
    // Total padding dilation * (k - 1), the odd element on the bottom / right, as libtorch.
    for (size_t i = 0; i < 2; ++i) {
      const int64_t total = dilation[i] * (weight.size(2 + static_cast<int64_t>(i)) - 1);
      pad_begin[i] = total / 2;
      pad_end[i] = total - total / 2;
    }
  TG_CHECK(weight.size(2) > 0 && weight.size(3) > 0, "kernel size should be greater than zero, but got kernel_height: ",
           weight.size(2), " kernel_width: ", weight.size(3));
  const int64_t out_channels = weight.size(0);
  TG_CHECK(out_channels >= groups, "Given groups=", groups, ", expected weight to be at least ", groups,
           " at dimension 0, but got weight of size ", weight.sizes(), " instead");
  TG_CHECK(out_channels % groups == 0, "Given groups=", groups, ", expected weight to be divisible by ", groups,
           " at dimension 0, but got weight of size [", weight.sizes(), "] instead");
  TG_CHECK(input.size(1) == weight.size(1) * groups, "Given groups=", groups, ", weight of size ", weight.sizes(),
           ", expected input", input.sizes(), " to have ", weight.size(1) * groups, " channels, but got ",
           input.size(1), " channels instead");
  TG_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out_channels), "Given weight of size ",
           weight.sizes(), ", expected bias to be 1-dimensional with ", out_channels,
           " elements, but got bias of size ", bias.sizes(), " instead");
  int64_t padded[2], extent[2];
  for (int64_t i = 0; i < 2; ++i) {
    padded[i] = input.size(2 + i) + pad_begin[i] + pad_end[i];
    extent[i] = dilation[i] * (weight.size(2 + i) - 1) + 1;
  }
  TG_CHECK(padded[0] >= extent[0] && padded[1] >= extent[1], "Calculated padded input size per channel: (",
           padded[0], " x ", padded[1], "). Kernel size: (", extent[0], " x ", extent[1],
           "). Kernel size can't be greater than actual input size");
  if (input.dtype() != weight.dtype()) {
    TG_CHECK(input.dtype() != kFloat, "Input type (", input.toString(), ") and weight type (", weight.toString(),
             ") should be the same or input should be a MKLDNN tensor and weight is a dense tensor");
    TG_CHECK(false, "expected scalar type ", input.dtype(), " but found ", weight.dtype());
  }
  TG_CHECK(!bias.defined() || bias.dtype() == input.dtype(), "Input type (", c_type_name(input.dtype()),
           ") and bias type (", c_type_name(bias.dtype()), ") should be the same");
  TG_CHECK(is_floating_point(input.dtype()), "\"conv2d\" not implemented for '", input.dtype(), "'");

  ConvPlan p;
  p.batch = input.size(0);
  p.groups = groups;
  p.out_channels = out_channels;
  ConvGeometry& g = p.geo;
  g.channels = input.size(1);
  g.height = input.size(2);
  g.width = input.size(3);
  g.kernel_h = weight.size(2);
  g.kernel_w = weight.size(3);
  g.stride_h = stride[0];
  g.stride_w = stride[1];
  g.pad_h = pad_begin[0];
  g.pad_w = pad_begin[1];
  g.dilation_h = dilation[0];
  g.dilation_w = dilation[1];
  g.out_h = (padded[0] - extent[0]) / stride[0] + 1;
  g.out_w = (padded[1] - extent[1]) / stride[1] + 1;
  return p;
}

// The backward as differentiable ops (for create_graph): per group,
// grad_input = col2im(Wᵀ · g) and grad_weight = Σ_n g · im2col(x)ᵀ.
variable_list conv_backward_graph(Node& n, const Tensor& g, const ConvPlan& p) {
  const int64_t N = g.size(0), G = p.groups, L = p.geo.col_cols(), kg = p.group_rows(), og = p.group_out();
  const Tensor gv = g.reshape({N, G, og, L});
  Tensor gx, gw, gb;
  if (n.needs_input_grad(0)) {
    const Tensor w = n.saved(1);
    const Tensor cols = matmul(w.reshape({G, og, kg}).transpose(1, 2), gv);
    gx = col2im_op(cols.reshape({N, G * kg, L}), p.geo);
  }
  if (n.needs_input_grad(1)) {
    const Tensor cols = im2col_op(n.saved(0), p.geo).reshape({N, G, kg, L});
    gw = matmul(gv, cols.transpose(2, 3)).sum({0}).reshape({p.out_channels, p.in_per_group(), p.geo.kernel_h,
                                                             p.geo.kernel_w});
  }
  if (n.needs_input_grad(2)) gb = g.sum({0, 2, 3});
  return {gx, gw, gb};
}

variable_list conv_backward_fused(Node& n, const Tensor& g, const ConvPlan& p) {
  const Tensor gy = contiguous_raw(g);
  const bool need_x = n.needs_input_grad(0), need_w = n.needs_input_grad(1);
  const Tensor x = need_w ? contiguous_raw(n.saved(0)) : Tensor();
  const Tensor w = need_x ? contiguous_raw(n.saved(1)) : Tensor();
  const ScalarType dtype = g.dtype();
  Tensor gx = need_x ? empty({p.batch, p.geo.channels, p.geo.height, p.geo.width}, dtype) : Tensor();
  Tensor gw = need_w ? empty({p.out_channels, p.in_per_group(), p.geo.kernel_h, p.geo.kernel_w}, dtype) : Tensor();
  if (need_x || need_w)
    kernels::visit_floating(dtype, "conv2d", [&](auto tag) {
      using T = decltype(tag);
      conv_backward<T>(need_w ? x.data_ptr<T>() : nullptr, need_x ? w.data_ptr<T>() : nullptr, gy.data_ptr<T>(),
                       need_x ? gx.data_ptr<T>() : nullptr, need_w ? gw.data_ptr<T>() : nullptr, p, dtype);
    });
  return {gx, gw, n.needs_input_grad(2) ? g.sum({0, 2, 3}) : Tensor()};
}

}  // namespace

namespace nn::functional {

Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  // libtorch's conv2d with numeric padding checks the bias's dtype before anything
  // else (with a string padding, 'valid' or 'same', later: plan_conv2d).
  const Tensor& bias = options.bias();
  TG_CHECK(!bias.defined() || bias.dtype() == input.dtype() ||
               !std::holds_alternative<ExpandingArray<2>>(options.padding()),
           "Input type (", c_type_name(input.dtype()), ") and bias type (", c_type_name(bias.dtype()),
           ") should be the same");
  TG_CHECK(input.dim() == 3 || input.dim() == 4,
           "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ", input.sizes());
  // Unbatched input is a batch of one, squeezed afterwards (SqueezeBackward1, as libtorch).
  if (input.dim() == 3) return conv2d(input.unsqueeze(0), weight, options).squeeze(0);
  const ConvPlan p = plan_conv2d(input, weight, bias, options);
  const ScalarType dtype = input.dtype();
  Tensor out = empty({p.batch, p.out_channels, p.geo.out_h, p.geo.out_w}, dtype);
  {
    const Tensor x = contiguous_raw(input), w = contiguous_raw(weight);
    const Tensor b = bias.defined() ? contiguous_raw(bias) : Tensor();
    kernels::visit_floating(dtype, "conv2d", [&](auto tag) {
      using T = decltype(tag);
      conv_forward<T>(x.data_ptr<T>(), w.data_ptr<T>(), b.defined() ? b.data_ptr<T>() : nullptr,
                      out.data_ptr<T>(), p, dtype);
    });
  }
  if (needs_record(input, weight, bias)) {
    auto node = make_node("ConvolutionBackward0", [p](Node& n, const Tensor& g) -> variable_list {
      return GradMode::is_enabled() ? conv_backward_graph(n, g, p) : conv_backward_fused(n, g, p);
    }, input, weight, bias);
    node->save(save_if(node->needs_input_grad(1), input), false);
    node->save(save_if(node->needs_input_grad(0), weight), false);
    set_history(out, node);
  }
  return out;
}

}  // namespace nn::functional
}  // namespace tg
