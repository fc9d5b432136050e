#pragma once
// Dropout, as libtorch's: zeroes elements with probability p and scales the rest
// by 1/(1-p) in training mode; the identity in eval mode.
#include <iosfwd>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

class DropoutImpl : public Module {
 public:
  DropoutImpl(double p) : DropoutImpl(DropoutOptions().p(p)) {}  // NOLINT
  explicit DropoutImpl(const DropoutOptions& options_ = {});

  void pretty_print(std::ostream& stream) const override;
  Tensor forward(Tensor input);

  DropoutOptions options;
};
TG_MODULE(Dropout);

}  // namespace tg::nn
