#pragma once
// Conv2d over NCHW input, as libtorch's.
#include <iosfwd>

#include "tensorgrad/nn/module.h"
#include "tensorgrad/nn/options.h"
#include "tensorgrad/nn/pimpl.h"

namespace tg::nn {

// weight [out, in/groups, kh, kw] ~ kaiming_uniform_(a=√5); bias [out] ~
// U(-1/√fan_in, 1/√fan_in) with fan_in = in/groups·kh·kw.
class Conv2dImpl : public Module {
 public:
  Conv2dImpl(int64_t input_channels, int64_t output_channels, ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(input_channels, output_channels, kernel_size)) {}
  explicit Conv2dImpl(Conv2dOptions options_);

  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  Conv2dOptions options;
  Tensor weight;
  Tensor bias;
};
TG_MODULE(Conv2d);

}  // namespace tg::nn
