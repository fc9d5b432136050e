// cross_entropy and nll_loss: class-index targets with class weights,
// ignore_index, label smoothing and K-dimensional inputs [N, C, d1, ...].
// Cross entropy with class indices is one fused node: one pass over each row
// computes its log-softmax and its loss, and the backward is one kernel,
// (softmax(x) - smoothed one-hot target) scaled, unless a higher-order graph is
// being built. Class-probability targets are composed of differentiable ops, as
// in libtorch.
#include <cmath>

#include "kernels/loss.h"
#include "ops/loss_common.h"
#include "ops/op_helpers.h"

namespace tg::nn::functional {
namespace {
using namespace tg::ops;

// A class-index problem after libtorch's checks.
struct ClassProblem {
  Tensor target;         // contiguous int64
  Tensor weight;         // contiguous, or undefined
  DimVector loss_shape;  // the unreduced loss: [], [N] or [N, d1, ...]
  DimVector node_shape;  // the shape the backward node produces (see view_after_node)
  bool spatial = false;  // input of 3 or more dims: libtorch's nll_loss2d
  // libtorch computes the unreduced loss of a [N, C, d1] or 5+-dim input as a
  // [N, L] loss viewed to [N, d1, ...]: its grad_fn is then ViewBackward0.
  bool view_after_node = false;
};

int64_t class_dim_of(int64_t input_dim) { return input_dim == 1 ? 0 : 1; }

// What libtorch reads as the target's batch size (0 for a 0-dim target).
int64_t batch_of(const Tensor& t) { return t.dim() == 0 ? 0 : t.size(0); }

// The input's shape with the class dim set to 1: per-row values broadcast over classes.
DimVector kept_shape(IntArrayRef sizes) {
  DimVector kept(sizes);
  kept[class_dim_of(static_cast<int64_t>(sizes.size()))] = 1;
  return kept;
}

template <class T>
kernels::ClassRows<T> rows_of(IntArrayRef sizes, const Tensor& target, const Tensor& weight, int64_t ignore_index) {
  kernels::ClassRows<T> r;
  if (sizes.size() == 1) {
    r.classes = sizes[0];
  } else {
    r.outer = sizes[0];
    r.classes = sizes[1];
    for (size_t d = 2; d < sizes.size(); ++d) r.inner *= sizes[d];
  }
  r.target = target.data_ptr<int64_t>();
  r.weight = weight.defined() ? weight.data_ptr<T>() : nullptr;
  r.ignore_index = ignore_index;
  return r;
}

// libtorch's checks of nll_loss_nd, nll_loss and nll_loss2d, in its order;
// `kernel` names the forward kernel in the error for a non-floating input.
ClassProblem check_class_problem(const Tensor& input, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                                 Reduction red, const char* kernel) {
  const int64_t d = input.dim();
  TG_INTERNAL_ASSERT(d >= 1);
  if (d != 1)
    TG_CHECK_VALUE(input.size(0) == batch_of(target), "Expected input batch_size (", input.size(0),
                   ") to match target batch_size (", batch_of(target), ").");
  const int64_t classes = input.size(class_dim_of(d));
  ClassProblem p;
  p.spatial = d >= 3;
  if (d <= 2) {
    TG_CHECK(target.dim() <= 1, "0D or 1D target tensor expected, multi-target not supported");
    TG_CHECK((d == 1 && target.dim() == 0) || input.size(0) == target.size(0),
             "size mismatch (got input: ", input.sizes(), ", target: ", target.sizes(), ")");
    TG_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == classes),
             "weight tensor should be defined either for all ", classes,
             " classes or no classes but got weight tensor of shape: ", weight.sizes());
  } else {
    if (d == 4) {
      TG_CHECK(target.dim() == 3,
               "only batches of spatial targets supported (3D tensors) but got targets of dimension: ", target.dim());
    } else {
      DimVector expected{input.size(0)};
      for (int64_t i = 2; i < d; ++i) expected.push_back(input.size(i));
      TG_CHECK(target.sizes() == expected.ref(), "Expected target size ", expected.ref(), ", got ", target.sizes());
    }
    TG_CHECK(!weight.defined() || weight.numel() == classes,
             "weight tensor should be defined either for all or no classes");
    if (d == 4)
      TG_CHECK(target.size(0) == input.size(0) && target.size(1) == input.size(2) && target.size(2) == input.size(3),
               "size mismatch (got input: ", input.sizes(), " , target: ", target.sizes());
  }
  TG_CHECK(input.is_floating_point(), "\"", kernel, "\" not implemented for '", input.dtype(), "'");
  TG_CHECK(!weight.defined() || weight.dtype() == input.dtype(), "expected scalar type ", input.dtype(), " but found ",
           weight.dtype());
  TG_CHECK(target.dtype() == kLong, "expected scalar type Long but found ", target.dtype());

  p.target = contiguous_raw(target);
  p.weight = weight.defined() ? contiguous_raw(weight.reshape({-1})) : Tensor();
  int64_t bad = 0;
  TG_CHECK_INDEX(!kernels::find_bad_target(p.target.data_ptr<int64_t>(), p.target.numel(), classes, ignore_index, bad),
                 "Target ", bad, " is out of bounds.");

  if (d >= 2) {
    p.loss_shape.push_back(input.size(0));
    for (int64_t i = 2; i < d; ++i) p.loss_shape.push_back(input.size(i));
  }
  p.view_after_node = red == Reduction::None && (d == 3 || d > 4);
  p.node_shape = p.view_after_node ? DimVector{input.size(0), p.target.numel() / std::max<int64_t>(input.size(0), 1)}
                                   : p.loss_shape;
  return p;
}

double sum_rows(const auto* v, int64_t n) {
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += v[k];
  return s;
}

// The gradient of a class-index loss written with differentiable ops, for
// create_graph: where(valid, s * (softmax(x) * a - q), 0) for cross entropy (ce,
// `input` the logits x) and where(valid, -s * q, 0) for nll (`input` the
// log-probabilities), with q and a as in kernels::cross_entropy_backward.
Tensor class_loss_grad_graph(const Tensor& g, const Tensor& input, bool ce, const char* name, IntArrayRef sizes,
                             ScalarType dtype, const Tensor& target, const Tensor& weight, int64_t ignore_index,
                             Reduction red, double total_weight, double eps) {
  Tensor q = empty(sizes, dtype);
  kernels::visit_floating(dtype, "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    kernels::class_target_weights<T>(rows_of<T>(sizes, target, weight, ignore_index), static_cast<T>(eps),
                                     q.data_ptr<T>());
  });
  const DimVector kept = kept_shape(sizes);
  const int64_t cd = class_dim_of(static_cast<int64_t>(sizes.size()));
  Tensor valid = target.ne(ignore_index).reshape(kept);
  Tensor s = red == Reduction::None ? g.reshape(kept) : red == Reduction::Mean ? g / total_weight : g;
  // Ignored rows are zeroed in the term too: with every row ignored, the mean's
  // s is g / 0, and s * term's derivative would make inf * 0 = NaN of them.
  Tensor term = where(valid, ce ? softmax(input, cd) * q.sum({cd}, true) - q : -q, 0);
  Tensor grad = where(valid, s * term, 0);
  // nll_loss's gradient does not depend on its input, but keeps an edge to it
  // (derivative 0), as libtorch's nll_loss_backward.
  if (ce) return grad;
  return pass_gradient(name, grad, input, [](auto gv, auto) { return gv; });
}

// Records the backward node of a class-index loss on `out`. Given the forward's
// row statistics (row_max defined), the loss is the cross entropy of the input
// logits; otherwise it is nll_loss of input log-probabilities.
void record_class_loss(Tensor& out, const Tensor& input, const ClassProblem& p, Reduction red, int64_t ignore_index,
                       double eps, double total_weight, const Tensor& row_max, const Tensor& row_log_sum) {
  const bool ce = row_max.defined();
  const char* name = eps > 0 ? "AddBackward0" : p.spatial ? "NllLoss2DBackward0" : "NllLossBackward0";
  const char* grad_name = p.spatial ? "NllLoss2DBackwardBackward0" : "NllLossBackwardBackward0";
  auto node = make_node(
      name,
      [ce, grad_name, red, ignore_index, eps, total_weight, sizes = DimVector(input.sizes()), dtype = input.dtype()](
          Node& n, const Tensor& g) -> variable_list {
        const Tensor target = n.saved(0), weight = n.saved(1);
        if (GradMode::is_enabled())
          return {class_loss_grad_graph(g, n.saved(2), ce, grad_name, sizes, dtype, target, weight, ignore_index, red,
                                        total_weight, eps)};
        Tensor gc = contiguous_raw(cast(g, dtype));
        Tensor grad = empty(sizes, dtype);
        kernels::visit_floating(dtype, "cross_entropy_backward", [&](auto tag) {
          using T = decltype(tag);
          const auto r = rows_of<T>(sizes, target, weight, ignore_index);
          T scalar_scale{};
          const T* scale = gc.data_ptr<T>();
          int64_t stride = 1;
          if (red != Reduction::None) {
            // libtorch divides in the loss's dtype: g / total_weight.
            scalar_scale = red == Reduction::Mean ? scale[0] / static_cast<T>(total_weight) : scale[0];
            scale = &scalar_scale;
            stride = 0;
          }
          if (ce) {
            Tensor x = contiguous_raw(n.saved(2));
            kernels::cross_entropy_backward<T>(x.data_ptr<T>(), r, static_cast<T>(eps), n.saved(3).data_ptr<T>(),
                                               n.saved(4).data_ptr<T>(), scale, stride, grad.data_ptr<T>());
          } else {
            kernels::nll_backward<T>(r, scale, stride, grad.data_ptr<T>());
          }
        });
        return {grad};
      },
      input);
  node->save(p.target, false);
  node->save(p.weight, false);
  node->save(input, false);
  if (ce) {
    node->save(row_max, false);
    node->save(row_log_sum, false);
  }
  set_history(out, node);
}

// The loss from per-row nll (and smoothing) terms, combined in libtorch's order:
// (1 - eps) * nll + smooth * (eps / C), each reduced by sum or weighted mean.
template <class T>
Tensor combine_rows(const ClassProblem& p, Reduction red, const Tensor& nll, const Tensor& smooth, double eps,
                    int64_t classes, double total_weight) {
  const int64_t n = nll.numel();
  const T* pn = nll.data_ptr<T>();
  const T* ps = smooth.defined() ? smooth.data_ptr<T>() : nullptr;
  const ScalarType dtype = nll.dtype();
  if (red == Reduction::None) {
    if (!ps) return nll;
    Tensor out = empty(p.node_shape, dtype);
    T* po = out.data_ptr<T>();
    const T keep = static_cast<T>(1 - eps), spread = static_cast<T>(eps / static_cast<double>(classes));
    for (int64_t k = 0; k < n; ++k) po[k] = keep * pn[k] + ps[k] * spread;
    return out;
  }
  const double total = sum_rows(pn, n);
  const double div = red == Reduction::Mean ? total_weight : 1.0;
  double value = total / div;
  if (ps) value = (1 - eps) * value + sum_rows(ps, n) / div * (eps / static_cast<double>(classes));
  return scalar_tensor(value, dtype);
}

Tensor finish(Tensor out, const ClassProblem& p) { return p.view_after_node ? out.view(p.loss_shape) : out; }

Tensor fused_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction red,
                           int64_t ignore_index, double eps) {
  const ClassProblem p =
      check_class_problem(input, target, weight, ignore_index, red, "log_softmax_lastdim_kernel_impl");
  const Tensor x = contiguous_raw(input);
  const ScalarType dtype = input.dtype();
  const int64_t rows = p.target.numel();
  Tensor nll = empty(p.node_shape, dtype), smooth = eps > 0 ? empty({rows}, dtype) : Tensor();
  Tensor row_max = empty({rows}, dtype), row_log_sum = empty({rows}, dtype);
  double total_weight = 0;
  Tensor out;
  kernels::visit_floating(dtype, "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const auto r = rows_of<T>(input.sizes(), p.target, p.weight, ignore_index);
    kernels::cross_entropy_forward<T>(x.data_ptr<T>(), r, nll.data_ptr<T>(),
                                      smooth.defined() ? smooth.data_ptr<T>() : nullptr, row_max.data_ptr<T>(),
                                      row_log_sum.data_ptr<T>());
    total_weight = kernels::total_weight(r);
    out = combine_rows<T>(p, red, nll, smooth, eps, r.classes, total_weight);
  });
  if (needs_record(input)) record_class_loss(out, input, p, red, ignore_index, eps, total_weight, row_max, row_log_sum);
  return finish(out, p);
}

// libtorch's cross_entropy_loss_prob_target, op for op (and so node for node).
Tensor probability_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction red,
                                 int64_t ignore_index, double eps) {
  TG_CHECK(target.is_floating_point(), "Expected floating point type for target with class probabilities, got ",
           target.dtype());
  TG_CHECK(ignore_index < 0, "ignore_index is not supported for floating point target");
  TG_CHECK_INDEX(input.dim() > 0, "Dimension specified as 1 but tensor has no dimensions");
  const int64_t cd = class_dim_of(input.dim());
  const int64_t classes = input.size(cd);
  TG_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == classes),
           "cross_entropy: weight tensor should be defined either for all ", classes,
           " classes or no classes but got weight tensor of shape: ", weight.sizes());
  TG_CHECK(input.is_floating_point(), "\"log_softmax_lastdim_kernel_impl\" not implemented for '", input.dtype(),
           "'");
  Tensor logp = log_softmax(input, cd);
  Tensor t = target;
  if (eps > 0) {
    TG_CHECK(eps <= 1.0, "label_smoothing must be between 0.0 and 1.0. Got: ", eps);
    t = target * (1 - eps) + eps / static_cast<double>(classes);
  }
  Tensor prod = logp * t;
  if (weight.defined()) {
    DimVector shape(static_cast<size_t>(input.dim()), 1);
    shape[cd] = classes;
    prod = prod * weight.view(shape);
  }
  switch (red) {
    case Reduction::None:
      return -prod.sum({cd});
    case Reduction::Sum:
      return -prod.sum();
    case Reduction::Mean:
      break;
  }
  // Rows = numel / C; an empty input gives 0 / 0 = NaN, as libtorch.
  return -prod.sum() / (input.numel() == 0 ? 0 : input.numel() / classes);
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options) {
  const Reduction red = reduction_of(options.reduction());
  const double eps = options.label_smoothing();
  if (input.sizes() == target.sizes())
    return probability_cross_entropy(input, target, options.weight(), red, options.ignore_index(), eps);
  TG_CHECK(!(eps > 1.0), "label_smoothing must be between 0.0 and 1.0. Got: ", eps);
  TG_CHECK(input.is_floating_point(), "\"",
           input.dim() <= 2 ? "log_softmax_lastdim_kernel_impl" : "softmax_kernel_impl",
           "\" not implemented for '", input.dtype(), "'");
  TG_CHECK_INDEX(input.dim() > 0, "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  if (GradMode::is_enabled())
    check_no_requires_grad(options.weight(), "weight", input.dim() >= 3 ? "nll_loss2d_forward" : "nll_loss_forward");
  // A negative smoothing is no smoothing in libtorch.
  return fused_cross_entropy(input, target, options.weight(), red, options.ignore_index(), std::max(eps, 0.0));
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options) {
  TG_CHECK(input.dim() >= 2, "Expected 2 or more dimensions (got ", input.dim(), ")");
  TG_CHECK(input.size(0) == batch_of(target), "Expected input batch_size (", input.size(0),
           ") to match target batch_size (", batch_of(target), ").");
  const Reduction red = reduction_of(options.reduction());
  const int64_t ignore_index = options.ignore_index();
  const bool spatial = input.dim() >= 3;
  if (GradMode::is_enabled())
    check_no_requires_grad(options.weight(), "weight", spatial ? "nll_loss2d_forward" : "nll_loss_forward");
  const ClassProblem p = check_class_problem(input, target, options.weight(), ignore_index, red,
                                             spatial ? "nll_loss2d_forward_out_frame" : "nll_loss_out_frame");
  const Tensor x = contiguous_raw(input);
  const ScalarType dtype = input.dtype();
  Tensor per_row = empty(p.node_shape, dtype);
  double total_weight = 0;
  Tensor out;
  kernels::visit_floating(dtype, "nll_loss", [&](auto tag) {
    using T = decltype(tag);
    const auto r = rows_of<T>(input.sizes(), p.target, p.weight, ignore_index);
    kernels::nll_forward<T>(x.data_ptr<T>(), r, per_row.data_ptr<T>());
    total_weight = kernels::total_weight(r);
    out = combine_rows<T>(p, red, per_row, Tensor(), 0.0, r.classes, total_weight);
  });
  if (needs_record(input)) record_class_loss(out, input, p, red, ignore_index, 0.0, total_weight, Tensor(), Tensor());
  return finish(out, p);
}

}  // namespace tg::nn::functional
