#include "tensorgrad/nn/init.h"

#include <cmath>

#include "tensorgrad/autograd.h"
#include "tensorgrad/ops.h"

namespace tg::nn::init {

namespace {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
// clang before 17 deduces no template arguments for aggregates without a guide.
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

double kaiming_std(const Tensor& tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const double fan = static_cast<double>(std::holds_alternative<enumtype::kFanIn>(mode) ? fan_in : fan_out);
  return calculate_gain(nonlinearity, a) / std::sqrt(fan);
}

double xavier_std(const Tensor& tensor, double gain) {
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  return gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
}

}  // namespace

double calculate_gain(NonlinearityType nonlinearity, double param) {
  return std::visit(overloaded{[](enumtype::kTanh) { return 5.0 / 3; },
                               [](enumtype::kReLU) { return std::sqrt(2.0); },
                               [&](enumtype::kLeakyReLU) { return std::sqrt(2.0 / (1 + param * param)); },
                               [](auto) { return 1.0; }},
                    nonlinearity);
}

Tensor constant_(Tensor tensor, Scalar value) {
  autograd::NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1); }

Tensor zeros_(Tensor tensor) {
  autograd::NoGradGuard no_grad;
  tensor.zero_();
  return tensor;
}

Tensor uniform_(Tensor tensor, double low, double high) {
  TG_CHECK(tensor.is_floating_point(), "\"check_uniform_bounds\" not implemented for '", tensor.dtype(), "'");
  TG_CHECK(low <= high, "uniform_ expects to return a [from, to) range, but found from=", low, " > to=", high);
  autograd::NoGradGuard no_grad;
  // Drawn in double and rounded once into the tensor's dtype.
  tensor.copy_(rand(tensor.sizes(), kDouble).mul_(high - low).add_(low));
  return tensor;
}

Tensor normal_(Tensor tensor, double mean, double std) {
  TG_CHECK(tensor.is_floating_point(), "\"normal_kernel_cpu\" not implemented for '", tensor.dtype(), "'");
  TG_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  autograd::NoGradGuard no_grad;
  tensor.copy_(randn(tensor.sizes(), kDouble).mul_(std).add_(mean));
  return tensor;
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  const double bound = std::sqrt(3.0) * kaiming_std(tensor, a, mode, nonlinearity);
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanModeType mode, NonlinearityType nonlinearity) {
  const double std = kaiming_std(tensor, a, mode, nonlinearity);
  return normal_(std::move(tensor), 0, std);
}

Tensor xavier_uniform_(Tensor tensor, double gain) {
  const double bound = std::sqrt(3.0) * xavier_std(tensor, gain);
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  const double std = xavier_std(tensor, gain);
  return normal_(std::move(tensor), 0, std);
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  TG_CHECK(tensor.dim() >= 2,
           "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  int64_t receptive_field = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

}  // namespace tg::nn::init
