#include "tensorgrad/nn/modules/activation.h"

#include <ostream>

#include "tensorgrad/nn/functional.h"
#include "tensorgrad/ops.h"

namespace tg::nn {

ReLUImpl::ReLUImpl(const ReLUOptions& options_) : options(options_) {}

void ReLUImpl::pretty_print(std::ostream& stream) const {
  stream << "tg::nn::ReLU(" << (options.inplace() ? "inplace=true" : "") << ")";
}

Tensor ReLUImpl::forward(Tensor input) { return functional::relu(std::move(input), options); }

GELUImpl::GELUImpl(GELUOptions options_) : options(std::move(options_)) {}

// libtorch prints no options for GELU, not even approximate="tanh".
void GELUImpl::pretty_print(std::ostream& stream) const { stream << "tg::nn::GELU()"; }

Tensor GELUImpl::forward(const Tensor& input) { return functional::gelu(input, options); }

void TanhImpl::pretty_print(std::ostream& stream) const { stream << "tg::nn::Tanh()"; }

Tensor TanhImpl::forward(const Tensor& input) { return tanh(input); }

void SigmoidImpl::pretty_print(std::ostream& stream) const { stream << "tg::nn::Sigmoid()"; }

Tensor SigmoidImpl::forward(const Tensor& input) { return sigmoid(input); }

}  // namespace tg::nn
