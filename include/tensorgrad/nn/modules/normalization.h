#pragma once
// LayerNorm, as libtorch's.
#include <cstdint>
#include <iosfwd>
#include <vector>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

// Normalises over the trailing normalized_shape dims; with elementwise_affine, then
// scales by weight (ones) and shifts by bias (zeros), both of normalized_shape.
class LayerNormImpl : public Module {
 public:
  LayerNormImpl(std::vector<int64_t> normalized_shape)  // NOLINT: implicit, as in libtorch
      : LayerNormImpl(LayerNormOptions(std::move(normalized_shape))) {}
  explicit LayerNormImpl(const LayerNormOptions& options_);

  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  LayerNormOptions options;
  Tensor weight;
  Tensor bias;
};
TG_MODULE(LayerNorm);

}  // namespace tg::nn
