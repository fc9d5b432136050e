#include "tensorgrad/nn/modules/pooling.h"

#include <ostream>

#include "tensorgrad/nn/functional.h"

namespace tg::nn {

MaxPool2dImpl::MaxPool2dImpl(const MaxPool2dOptions& options_) : options(options_) {}

void MaxPool2dImpl::pretty_print(std::ostream& stream) const {
  stream << "tg::nn::MaxPool2d(kernel_size=" << options.kernel_size().ref() << ", stride=" << options.stride().ref()
         << ", padding=" << options.padding().ref() << ", dilation=" << options.dilation().ref()
         << ", ceil_mode=" << (options.ceil_mode() ? "true" : "false") << ")";
}

Tensor MaxPool2dImpl::forward(const Tensor& input) { return functional::max_pool2d(input, options); }

}  // namespace tg::nn
