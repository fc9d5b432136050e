#pragma once
// Option classes of the nn modules, with libtorch 1.13's names, setters and
// defaults (`LinearOptions(4, 2).bias(false)`, `Conv2dOptions(1, 8, 3).padding(1)`).
// Where libtorch uses one class for a module and its functional form
// (MaxPool2dOptions, ReLUOptions, GELUOptions) the two are one type here too.
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <variant>
#include <vector>

#include "tensorgrad/arg.h"
#include "tensorgrad/nn/functional.h"
#include "tensorgrad/tensor.h"

namespace tg::nn {

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TG_ARG(int64_t, in_features);
  TG_ARG(int64_t, out_features);
  TG_ARG(bool, bias) = true;
};

struct FlattenOptions {
  TG_ARG(int64_t, start_dim) = 1;
  TG_ARG(int64_t, end_dim) = -1;
};

template <size_t D>
struct ConvOptions {
  using padding_t = std::variant<ExpandingArray<D>, enumtype::kValid, enumtype::kSame>;

  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(std::move(kernel_size)) {}
  TG_ARG(int64_t, in_channels);
  TG_ARG(int64_t, out_channels);
  TG_ARG(ExpandingArray<D>, kernel_size);
  TG_ARG(ExpandingArray<D>, stride) = 1;
  TG_ARG(padding_t, padding) = ExpandingArray<D>(0);

 public:
  // A braced list cannot pick a variant alternative by itself: `.padding({1, 2})`.
  auto padding(std::initializer_list<int64_t> il) -> decltype(*this) { return padding(ExpandingArray<D>(il)); }
  TG_ARG(ExpandingArray<D>, dilation) = 1;
  TG_ARG(int64_t, groups) = 1;
  TG_ARG(bool, bias) = true;
};
using Conv2dOptions = ConvOptions<2>;

// kernel_size, stride (defaults to kernel_size), padding, dilation, ceil_mode.
using MaxPool2dOptions = functional::MaxPool2dFuncOptions;

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  TG_ARG(int64_t, num_embeddings);
  TG_ARG(int64_t, embedding_dim);
  // The row whose gradient is always zero (initialised to zeros); negative counts from the end.
  TG_ARG(optional<int64_t>, padding_idx) = nullopt;
  // Use this tensor as the weight instead of initialising one.
  TG_ARG(Tensor, _weight) = Tensor();
};

struct EmbeddingFromPretrainedOptions {
  TG_ARG(bool, freeze) = true;
  TG_ARG(optional<int64_t>, padding_idx) = nullopt;
};

struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape)  // NOLINT: implicit, as in libtorch
      : normalized_shape_(std::move(normalized_shape)) {}
  TG_ARG(std::vector<int64_t>, normalized_shape);
  TG_ARG(double, eps) = 1e-5;
  TG_ARG(bool, elementwise_affine) = true;
};

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit, as in libtorch
  TG_ARG(double, p);
  TG_ARG(bool, inplace) = false;
};

using ReLUOptions = functional::ReLUFuncOptions;
// approximate: "none" (exact, with erf) or "tanh".
using GELUOptions = functional::GELUFuncOptions;

}  // namespace tg::nn
