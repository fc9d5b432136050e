#pragma once
// tg::nn::functional (usually `namespace F = tg::nn::functional;`): layers and
// losses as functions, with libtorch 1.13's option classes and defaults.
#include <string>
#include <variant>

#include "tensorgrad/arg.h"
#include "tensorgrad/ops.h"

namespace tg::nn {

using loss_reduction_t = std::variant<enumtype::kNone, enumtype::kMean, enumtype::kSum>;

namespace functional {

// ---- options ------------------------------------------------------------------------------
struct Conv2dFuncOptions {
  using padding_t = std::variant<ExpandingArray<2>, enumtype::kValid, enumtype::kSame>;
  TG_ARG(Tensor, bias);
  TG_ARG(ExpandingArray<2>, stride) = 1;
  TG_ARG(padding_t, padding) = ExpandingArray<2>(0);

 public:
  // .padding({1, 0}): a braced list cannot pick a variant alternative by itself (libtorch has this overload too).
  Conv2dFuncOptions& padding(std::initializer_list<int64_t> il) { return padding(padding_t(ExpandingArray<2>(il))); }
  TG_ARG(ExpandingArray<2>, dilation) = 1;
  TG_ARG(int64_t, groups) = 1;
};

struct MaxPool2dFuncOptions {
  MaxPool2dFuncOptions(ExpandingArray<2> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  TG_ARG(ExpandingArray<2>, kernel_size);
  TG_ARG(ExpandingArray<2>, stride);
  TG_ARG(ExpandingArray<2>, padding) = 0;
  TG_ARG(ExpandingArray<2>, dilation) = 1;
  TG_ARG(bool, ceil_mode) = false;
};

struct LayerNormFuncOptions {
  LayerNormFuncOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}  // NOLINT
  TG_ARG(std::vector<int64_t>, normalized_shape);
  TG_ARG(Tensor, weight);
  TG_ARG(Tensor, bias);
  TG_ARG(double, eps) = 1e-5;
};

struct DropoutFuncOptions {
  DropoutFuncOptions(double p = 0.5) : p_(p) {}  // NOLINT
  TG_ARG(double, p);
  TG_ARG(bool, training) = true;
  TG_ARG(bool, inplace) = false;
};

struct ReLUFuncOptions {
  ReLUFuncOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT
  TG_ARG(bool, inplace);
};

struct LeakyReLUFuncOptions {
  TG_ARG(double, negative_slope) = 1e-2;
  TG_ARG(bool, inplace) = false;
};

struct GELUFuncOptions {
  TG_ARG(std::string, approximate) = "none";
};

struct SoftmaxFuncOptions {
  SoftmaxFuncOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  TG_ARG(int64_t, dim);
  TG_ARG(optional<ScalarType>, dtype) = nullopt;
};
using LogSoftmaxFuncOptions = SoftmaxFuncOptions;

struct EmbeddingFuncOptions {
  TG_ARG(optional<int64_t>, padding_idx) = nullopt;
};

struct MSELossFuncOptions {
  MSELossFuncOptions() = default;
  template <class R, class = decltype(loss_reduction_t(std::declval<R>()))>
  MSELossFuncOptions(R reduction) : reduction_(reduction) {}  // NOLINT
  TG_ARG(loss_reduction_t, reduction) = enumtype::kMean();
};

struct BinaryCrossEntropyFuncOptions {
  TG_ARG(Tensor, weight);
  TG_ARG(loss_reduction_t, reduction) = enumtype::kMean();
};

struct BinaryCrossEntropyWithLogitsFuncOptions {
  TG_ARG(Tensor, weight);
  TG_ARG(loss_reduction_t, reduction) = enumtype::kMean();
  TG_ARG(Tensor, pos_weight);
};

struct CrossEntropyFuncOptions {
  TG_ARG(Tensor, weight);
  TG_ARG(int64_t, ignore_index) = -100;
  TG_ARG(loss_reduction_t, reduction) = enumtype::kMean();
  TG_ARG(double, label_smoothing) = 0.0;
};

struct NLLLossFuncOptions {
  TG_ARG(Tensor, weight);
  TG_ARG(int64_t, ignore_index) = -100;
  TG_ARG(loss_reduction_t, reduction) = enumtype::kMean();
};

// ---- layers --------------------------------------------------------------------------------
// input @ weight.T + bias, fused into one GEMM (AddmmBackward0 for 2-D input).
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
// NCHW input, weight [out, in/groups, kh, kw].
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options = {});
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options);
// Scales kept elements by 1/(1-p) in training; the identity otherwise.
Tensor dropout(Tensor input, const DropoutFuncOptions& options = {});
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options = {});

// ---- activations ----------------------------------------------------------------------------
Tensor relu(Tensor input, const ReLUFuncOptions& options = {});
Tensor leaky_relu(Tensor input, const LeakyReLUFuncOptions& options = {});
Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {});
Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options);
Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options);

// ---- losses (reduction defaults to mean, as in libtorch) ----------------------------------------
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyFuncOptions& options = {});
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options = {});
// target: int64 class indices, or floating class probabilities of input's shape.
// Fused log-softmax + NLL with one backward node.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options = {});
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = {});

}  // namespace functional
}  // namespace tg::nn
