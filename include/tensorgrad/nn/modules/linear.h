#pragma once
// Linear (y = x Wᵀ + b) and Flatten, as libtorch's.
#include <iosfwd>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

// weight [out_features, in_features] ~ kaiming_uniform_(a=√5), i.e. U(-1/√in, 1/√in);
// bias [out_features] ~ U(-1/√in, 1/√in), or absent with bias(false).
class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features)
      : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options_);

  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  LinearOptions options;
  Tensor weight;
  Tensor bias;
};
TG_MODULE(Linear);

// Flattens dims start_dim..end_dim (default 1..-1: everything but the batch).
class FlattenImpl : public Module {
 public:
  explicit FlattenImpl(const FlattenOptions& options_ = {});

  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  FlattenOptions options;
};
TG_MODULE(Flatten);

}  // namespace tg::nn
