#include "tensorgrad/nn/modules/dropout.h"

#include <ostream>

#include "tensorgrad/nn/functional.h"

namespace tg::nn {

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : options(options_) {
  TG_CHECK(options.p() >= 0. && options.p() <= 1., "dropout probability has to be between 0 and 1, but got ",
           options.p());
}

void DropoutImpl::pretty_print(std::ostream& stream) const {
  stream << "tg::nn::Dropout(p=" << options.p() << ", inplace=" << (options.inplace() ? "true" : "false") << ")";
}

Tensor DropoutImpl::forward(Tensor input) {
  return functional::dropout(
      std::move(input),
      functional::DropoutFuncOptions(options.p()).training(is_training()).inplace(options.inplace()));
}

}  // namespace tg::nn
