#include "tensorgrad/nn/modules/conv.h"

#include <cmath>
#include <ostream>

#include "tensorgrad/nn/functional.h"
#include "tensorgrad/nn/init.h"
#include "tensorgrad/ops.h"

namespace tg::nn {

namespace F = functional;

Conv2dImpl::Conv2dImpl(Conv2dOptions options_) : options(std::move(options_)) {
  TG_CHECK(options.groups() > 0, "non-positive groups is not supported");
  TG_CHECK(options.in_channels() % options.groups() == 0, "in_channels must be divisible by groups");
  TG_CHECK(options.out_channels() % options.groups() == 0, "out_channels must be divisible by groups");
  if (std::holds_alternative<enumtype::kSame>(options.padding())) {
    for (size_t i = 0; i < 2; ++i)
      TG_CHECK(options.stride()[i] == 1, "padding='same' is not supported for strided convolutions");
  }
  weight = register_parameter("weight", tg::empty({options.out_channels(), options.in_channels() / options.groups(),
                                               options.kernel_size()[0], options.kernel_size()[1]}));
  if (options.bias()) {
    bias = register_parameter("bias", tg::empty({options.out_channels()}));
  } else {
    bias = register_parameter("bias", Tensor(), /*requires_grad=*/false);
  }
  reset_parameters();
}

void Conv2dImpl::reset_parameters() {
  init::kaiming_uniform_(weight, /*a=*/std::sqrt(5.0));
  if (bias.defined()) {
    const auto fan_in = std::get<0>(init::_calculate_fan_in_and_fan_out(weight));
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

void Conv2dImpl::pretty_print(std::ostream& stream) const {
  stream << "tg::nn::Conv2d(" << options.in_channels() << ", " << options.out_channels()
         << ", kernel_size=" << options.kernel_size().ref() << ", stride=" << options.stride().ref();
  if (std::holds_alternative<enumtype::kValid>(options.padding())) {
    stream << ", padding='valid'";
  } else if (std::holds_alternative<enumtype::kSame>(options.padding())) {
    stream << ", padding='same'";
  } else if (const auto& pad = std::get<ExpandingArray<2>>(options.padding()); !(pad == ExpandingArray<2>(0))) {
    stream << ", padding=" << pad.ref();
  }
  if (!(options.dilation() == ExpandingArray<2>(1))) stream << ", dilation=" << options.dilation().ref();
  if (options.groups() != 1) stream << ", groups=" << options.groups();
  if (!options.bias()) stream << ", bias=false";
  stream << ")";
}

Tensor Conv2dImpl::forward(const Tensor& input) {
  return F::conv2d(input, weight,
                   F::Conv2dFuncOptions()
                       .bias(bias)
                       .stride(options.stride())
                       .padding(options.padding())
                       .dilation(options.dilation())
                       .groups(options.groups()));
}

}  // namespace tg::nn
