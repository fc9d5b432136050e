#pragma once
// tg::nn::init: in-place parameter initialisers with libtorch 1.13's signatures.
// Each runs under NoGradGuard, fills `tensor` in place and returns it; random
// ones draw from tensorgrad's generator (tg::manual_seed makes them repeatable).
#include <cstdint>
#include <tuple>
#include <variant>

#include "tensorgrad/scalar.h"
#include "tensorgrad/tensor.h"

namespace tg {

// The nonlinearity and fan-mode tags of libtorch (tg::kReLU, tg::kFanIn, ...).
namespace enumtype {
struct kLinear {};
struct kConv1D {};
struct kConv2D {};
struct kConv3D {};
struct kConvTranspose1D {};
struct kConvTranspose2D {};
struct kConvTranspose3D {};
struct kSigmoid {};
struct kTanh {};
struct kReLU {};
struct kLeakyReLU {};
struct kFanIn {};
struct kFanOut {};
}  // namespace enumtype
inline constexpr enumtype::kLinear kLinear{};
inline constexpr enumtype::kConv1D kConv1D{};
inline constexpr enumtype::kConv2D kConv2D{};
inline constexpr enumtype::kConv3D kConv3D{};
inline constexpr enumtype::kConvTranspose1D kConvTranspose1D{};
inline constexpr enumtype::kConvTranspose2D kConvTranspose2D{};
inline constexpr enumtype::kConvTranspose3D kConvTranspose3D{};
inline constexpr enumtype::kSigmoid kSigmoid{};
inline constexpr enumtype::kTanh kTanh{};
inline constexpr enumtype::kReLU kReLU{};
inline constexpr enumtype::kLeakyReLU kLeakyReLU{};
inline constexpr enumtype::kFanIn kFanIn{};
inline constexpr enumtype::kFanOut kFanOut{};

namespace nn::init {

using NonlinearityType =
    std::variant<enumtype::kLinear, enumtype::kConv1D, enumtype::kConv2D, enumtype::kConv3D,
                 enumtype::kConvTranspose1D, enumtype::kConvTranspose2D, enumtype::kConvTranspose3D,
                 enumtype::kSigmoid, enumtype::kTanh, enumtype::kReLU, enumtype::kLeakyReLU>;
using FanModeType = std::variant<enumtype::kFanIn, enumtype::kFanOut>;

// The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh,
// √2 for relu, √(2/(1+param²)) for leaky relu with negative slope `param`.
double calculate_gain(NonlinearityType nonlinearity, double param = 0.01);

Tensor constant_(Tensor tensor, Scalar value);
Tensor ones_(Tensor tensor);
Tensor zeros_(Tensor tensor);
Tensor uniform_(Tensor tensor, double low = 0, double high = 1);
Tensor normal_(Tensor tensor, double mean = 0, double std = 1);
// U(-b, b) with b = gain·√(3/fan), gain = calculate_gain(nonlinearity, a).
Tensor kaiming_uniform_(Tensor tensor, double a = 0, FanModeType mode = kFanIn,
                        NonlinearityType nonlinearity = kLeakyReLU);
// N(0, std²) with std = gain/√fan.
Tensor kaiming_normal_(Tensor tensor, double a = 0, FanModeType mode = kFanIn,
                       NonlinearityType nonlinearity = kLeakyReLU);
// U(-b, b) with b = gain·√(6/(fan_in+fan_out)).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
// N(0, std²) with std = gain·√(2/(fan_in+fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);

// fan_in = size(1)·receptive field, fan_out = size(0)·receptive field, where the
// receptive field is the product of the sizes after the first two.
std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor);

}  // namespace nn::init
}  // namespace tg
