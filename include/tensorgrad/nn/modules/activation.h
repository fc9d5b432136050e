#pragma once
// Activation modules, as libtorch's: ReLU, GELU, Tanh, Sigmoid.
#include <iosfwd>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

class ReLUImpl : public Module {
 public:
  explicit ReLUImpl(const ReLUOptions& options_ = {});
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(Tensor input);
  ReLUOptions options;
};
TG_MODULE(ReLU);

class GELUImpl : public Module {
 public:
  explicit GELUImpl(GELUOptions options_ = {});
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);
  GELUOptions options;
};
TG_MODULE(GELU);

class TanhImpl : public Module {
 public:
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);
};
TG_MODULE(Tanh);

class SigmoidImpl : public Module {
 public:
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);
};
TG_MODULE(Sigmoid);

}  // namespace tg::nn
