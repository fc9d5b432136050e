#pragma once
// MaxPool2d, as libtorch's.
#include <iosfwd>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

class MaxPool2dImpl : public Module {
 public:
  MaxPool2dImpl(ExpandingArray<2> kernel_size) : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}  // NOLINT
  explicit MaxPool2dImpl(const MaxPool2dOptions& options_);

  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  MaxPool2dOptions options;
};
TG_MODULE(MaxPool2d);

}  // namespace tg::nn
