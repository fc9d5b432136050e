// The losses and activation wrappers of tg::nn::functional against libtorch
// 1.13's torch::nn::functional: each case is written once, as a generic lambda
// over an API table (TgApi / TorchApi), and run by both libraries on the same
// data in float32 and float64. Compared: values, shape, dtype and grad_fn name
// of the result; the gradients of every input that requires grad; second
// derivatives where marked; and, where libtorch raises, the error's type and
// exact wording.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tensorgrad/autograd.h"
#include "tensorgrad/nn/functional.h"

namespace {

namespace tgF = tg::nn::functional;
namespace thF = torch::nn::functional;

// ---- the two APIs, spelled the same way -------------------------------------------------
struct TgApi {
  using Tensor = tg::Tensor;
  using MSE = tgF::MSELossFuncOptions;
  using BCE = tgF::BinaryCrossEntropyFuncOptions;
  using BCEL = tgF::BinaryCrossEntropyWithLogitsFuncOptions;
  using CE = tgF::CrossEntropyFuncOptions;
  using NLL = tgF::NLLLossFuncOptions;
  using LeakyReLU = tgF::LeakyReLUFuncOptions;
  using GELU = tgF::GELUFuncOptions;
  using Softmax = tgF::SoftmaxFuncOptions;
  using LogSoftmax = tgF::LogSoftmaxFuncOptions;
  static tg::nn::loss_reduction_t red(int r) {
    if (r == 0) return tg::kNone;
    if (r == 1) return tg::kMean;
    return tg::kSum;
  }
  static tg::ScalarType dtype(bool f64) { return f64 ? tg::kDouble : tg::kFloat; }
  static Tensor mse_loss(const Tensor& a, const Tensor& b, const MSE& o) { return tgF::mse_loss(a, b, o); }
  static Tensor bce(const Tensor& a, const Tensor& b, const BCE& o) { return tgF::binary_cross_entropy(a, b, o); }
  static Tensor bcel(const Tensor& a, const Tensor& b, const BCEL& o) {
    return tgF::binary_cross_entropy_with_logits(a, b, o);
  }
  static Tensor cross_entropy(const Tensor& a, const Tensor& b, const CE& o) { return tgF::cross_entropy(a, b, o); }
  static Tensor nll_loss(const Tensor& a, const Tensor& b, const NLL& o) { return tgF::nll_loss(a, b, o); }
  static Tensor relu(Tensor a, bool inplace) { return tgF::relu(a, tgF::ReLUFuncOptions(inplace)); }
  static Tensor leaky_relu(Tensor a, const LeakyReLU& o) { return tgF::leaky_relu(a, o); }
  static Tensor gelu(const Tensor& a, const GELU& o) { return tgF::gelu(a, o); }
  static Tensor softmax(const Tensor& a, const Softmax& o) { return tgF::softmax(a, o); }
  static Tensor log_softmax(const Tensor& a, const LogSoftmax& o) { return tgF::log_softmax(a, o); }
};

struct TorchApi {
  using Tensor = torch::Tensor;
  using MSE = thF::MSELossFuncOptions;
  using BCE = thF::BinaryCrossEntropyFuncOptions;
  using BCEL = thF::BinaryCrossEntropyWithLogitsFuncOptions;
  using CE = thF::CrossEntropyFuncOptions;
  using NLL = thF::NLLLossFuncOptions;
  using LeakyReLU = thF::LeakyReLUFuncOptions;
  using GELU = thF::GELUFuncOptions;
  using Softmax = thF::SoftmaxFuncOptions;
  using LogSoftmax = thF::LogSoftmaxFuncOptions;
  static thF::CrossEntropyFuncOptions::reduction_t red(int r) {
    if (r == 0) return torch::kNone;
    if (r == 1) return torch::kMean;
    return torch::kSum;
  }
  static torch::ScalarType dtype(bool f64) { return f64 ? torch::kDouble : torch::kFloat; }
  static Tensor mse_loss(const Tensor& a, const Tensor& b, const MSE& o) { return thF::mse_loss(a, b, o); }
  static Tensor bce(const Tensor& a, const Tensor& b, const BCE& o) { return thF::binary_cross_entropy(a, b, o); }
  static Tensor bcel(const Tensor& a, const Tensor& b, const BCEL& o) {
    return thF::binary_cross_entropy_with_logits(a, b, o);
  }
  static Tensor cross_entropy(const Tensor& a, const Tensor& b, const CE& o) { return thF::cross_entropy(a, b, o); }
  static Tensor nll_loss(const Tensor& a, const Tensor& b, const NLL& o) { return thF::nll_loss(a, b, o); }
  static Tensor relu(Tensor a, bool inplace) { return thF::relu(a, thF::ReLUFuncOptions(inplace)); }
  static Tensor leaky_relu(Tensor a, const LeakyReLU& o) { return thF::leaky_relu(a, o); }
  static Tensor gelu(const Tensor& a, const GELU& o) { return thF::gelu(a, o); }
  static Tensor softmax(const Tensor& a, const Softmax& o) { return thF::softmax(a, o); }
  static Tensor log_softmax(const Tensor& a, const LogSoftmax& o) { return thF::log_softmax(a, o); }
};

// ---- inputs -------------------------------------------------------------------------------
// An input built identically in both libraries. dtype: 'F' the case's floating
// dtype, 'f' float32, 'd' float64, 'l' int64, 'b' bool, '-' an undefined tensor.
struct In {
  std::vector<double> values;
  std::vector<int64_t> shape;
  char dtype = 'F';
  bool grad = false;
};

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// Deterministic, irregular values in [lo, hi].
std::vector<double> wave(int64_t n, double phase, double lo, double hi) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = lo + (hi - lo) * 0.5 * (1 + std::sin(1.7 * static_cast<double>(i) + phase));
  return v;
}

In real(std::vector<int64_t> shape, double phase, double lo = -2, double hi = 2, bool grad = true) {
  return In{wave(numel(shape), phase, lo, hi), shape, 'F', grad};
}
In lit(std::vector<double> values, std::vector<int64_t> shape, char dtype = 'F', bool grad = false) {
  return In{std::move(values), std::move(shape), dtype, grad};
}
In idx(std::vector<double> values, std::vector<int64_t> shape) { return In{std::move(values), std::move(shape), 'l'}; }
In none() { return In{{}, {}, '-'}; }

// Class probabilities of `shape` summing to 1 along dim 1 (dim 0 for 1-dim shapes).
In probs(std::vector<int64_t> shape, double phase, bool grad = false) {
  std::vector<double> v = wave(numel(shape), phase, 0.05, 1.0);
  const size_t cd = shape.size() == 1 ? 0 : 1;
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < cd; ++d) outer *= shape[d];
  for (size_t d = cd + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t c = shape[cd];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0;
      for (int64_t k = 0; k < c; ++k) s += v[static_cast<size_t>((o * c + k) * inner + i)];
      for (int64_t k = 0; k < c; ++k) v[static_cast<size_t>((o * c + k) * inner + i)] /= s;
    }
  return In{v, shape, 'F', grad};
}

tg::Tensor make_tg(const In& in, bool f64) {
  if (in.dtype == '-') return {};
  tg::Tensor t = tg::tensor(in.values, tg::kDouble).reshape(in.shape);
  switch (in.dtype) {
    case 'F':
      t = t.to(f64 ? tg::kDouble : tg::kFloat);
      break;
    case 'f':
      t = t.to(tg::kFloat);
      break;
    case 'l':
      t = t.to(tg::kLong);
      break;
    case 'b':
      t = t.to(tg::kBool);
      break;
    default:
      break;
  }
  return in.grad ? t.detach().requires_grad_() : t;
}

torch::Tensor make_torch(const In& in, bool f64) {
  if (in.dtype == '-') return {};
  torch::Tensor t = torch::tensor(in.values, torch::kDouble).reshape(in.shape);
  switch (in.dtype) {
    case 'F':
      t = t.to(f64 ? torch::kDouble : torch::kFloat);
      break;
    case 'f':
      t = t.to(torch::kFloat);
      break;
    case 'l':
      t = t.to(torch::kLong);
      break;
    case 'b':
      t = t.to(torch::kBool);
      break;
    default:
      break;
  }
  return in.grad ? t.detach().requires_grad_() : t;
}

// ---- cases --------------------------------------------------------------------------------
struct Case {
  std::string name;
  std::vector<In> inputs;
  std::function<tg::Tensor(const std::vector<tg::Tensor>&)> tg_fn;
  std::function<torch::Tensor(const std::vector<torch::Tensor>&)> torch_fn;
  bool double_backward = false;
};

// One case from one generic lambda g(api, inputs) -> result.
template <class G>
Case make_case(std::string name, std::vector<In> inputs, G g, bool double_backward = false) {
  return Case{std::move(name), std::move(inputs), [g](const std::vector<tg::Tensor>& v) { return g(TgApi{}, v); },
              [g](const std::vector<torch::Tensor>& v) { return g(TorchApi{}, v); }, double_backward};
}

const char* kRed[] = {"None", "Mean", "Sum"};

std::vector<Case> loss_cases() {
  std::vector<Case> cs;
  for (int r = 0; r < 3; ++r) {
    const std::string R = kRed[r];
    // mse_loss
    cs.push_back(make_case(
        "Mse" + R, {real({3, 4}, 0.1), real({3, 4}, 1.3)},
        [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::mse_loss(v[0], v[1], typename A::MSE().reduction(A::red(r)));
        },
        true));
    cs.push_back(make_case("MseBroadcastTarget" + R, {real({3, 4}, 0.4), real({4}, 2.1)}, [r](auto api, const auto& v) {
      using A = decltype(api);
      return A::mse_loss(v[0], v[1], typename A::MSE().reduction(A::red(r)));
    }));
    // binary_cross_entropy (input in (0, 1); target differentiable too)
    cs.push_back(
        make_case("Bce" + R, {real({3, 4}, 0.2, 0.02, 0.98), real({3, 4}, 0.9, 0, 1)}, [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::bce(v[0], v[1], typename A::BCE().reduction(A::red(r)));
        }));
    cs.push_back(make_case("BceWeighted" + R,
                           {real({3, 4}, 0.3, 0.02, 0.98), real({3, 4}, 1.9, 0, 1), real({4}, 0.5, 0.1, 3, false)},
                           [r](auto api, const auto& v) {
                             using A = decltype(api);
                             return A::bce(v[0], v[1], typename A::BCE().weight(v[2]).reduction(A::red(r)));
                           }));
    // binary_cross_entropy_with_logits
    cs.push_back(
        make_case("BceLogits" + R, {real({3, 4}, 0.7, -6, 6), real({3, 4}, 0.1, 0, 1)}, [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::bcel(v[0], v[1], typename A::BCEL().reduction(A::red(r)));
        }));
    cs.push_back(make_case("BceLogitsWeights" + R,
                           {real({3, 4}, 0.8, -6, 6), real({3, 4}, 0.2, 0, 1), real({3, 1}, 0.3, 0.2, 2, false),
                            real({4}, 1.1, 0.5, 4, false)},
                           [r](auto api, const auto& v) {
                             using A = decltype(api);
                             return A::bcel(v[0], v[1],
                                            typename A::BCEL().weight(v[2]).pos_weight(v[3]).reduction(A::red(r)));
                           }));
    cs.push_back(make_case("BceLogitsExtreme" + R,
                           {lit({1e4, -1e4, 1e4, -1e4, 80, -80}, {6}, 'F', true), lit({0, 1, 1, 0, 0.5, 0.25}, {6})},
                           [r](auto api, const auto& v) {
                             using A = decltype(api);
                             return A::bcel(v[0], v[1], typename A::BCEL().reduction(A::red(r)));
                           }));
    // nll_loss: 2-dim, K-dim (3, 4, 5 dims), weights, ignore_index
    cs.push_back(make_case("Nll" + R, {real({4, 5}, 0.5), idx({0, 4, 2, 2}, {4}), real({5}, 0.2, 0.1, 2, false)},
                           [r](auto api, const auto& v) {
                             using A = decltype(api);
                             return A::nll_loss(v[0], v[1], typename A::NLL().weight(v[2]).reduction(A::red(r)));
                           }));
    cs.push_back(
        make_case("NllIgnore" + R, {real({4, 5}, 0.6), idx({0, -100, 3, 3}, {4})}, [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::nll_loss(v[0], v[1], typename A::NLL().reduction(A::red(r)));
        }));
    cs.push_back(make_case("Nll3d" + R, {real({2, 3, 4}, 0.7), idx({0, 1, 2, 2, 1, 0, 0, 2}, {2, 4})},
                           [r](auto api, const auto& v) {
                             using A = decltype(api);
                             return A::nll_loss(v[0], v[1], typename A::NLL().ignore_index(1).reduction(A::red(r)));
                           }));
    cs.push_back(
        make_case("Nll4dWeighted" + R,
                  {real({2, 3, 2, 2}, 0.8), idx({0, 1, 2, 2, 1, 0, 0, 2}, {2, 2, 2}), real({3}, 0.9, 0.1, 2, false)},
                  [r](auto api, const auto& v) {
                    using A = decltype(api);
                    return A::nll_loss(v[0], v[1], typename A::NLL().weight(v[2]).reduction(A::red(r)));
                  }));
    // cross_entropy with class indices
    cs.push_back(make_case(
        "Ce" + R, {real({4, 5}, 0.3, -3, 3), idx({0, 4, 2, 2}, {4})},
        [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::cross_entropy(v[0], v[1], typename A::CE().reduction(A::red(r)));
        },
        true));
    cs.push_back(make_case(
        "CeWeightedIgnore" + R, {real({5, 4}, 0.4, -3, 3), idx({0, 3, -100, 2, 3}, {5}), real({4}, 0.6, 0.2, 2, false)},
        [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::cross_entropy(v[0], v[1], typename A::CE().weight(v[2]).reduction(A::red(r)));
        },
        true));
    cs.push_back(make_case(
        "CeSmoothing" + R, {real({5, 4}, 0.5, -3, 3), idx({0, 3, 1, 2, 3}, {5}), real({4}, 0.7, 0.2, 2, false)},
        [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::cross_entropy(
              v[0], v[1], typename A::CE().weight(v[2]).ignore_index(2).label_smoothing(0.15).reduction(A::red(r)));
        },
        true));
    cs.push_back(make_case(
        "CeTransposedInput" + R, {real({5, 4}, 0.8, -3, 3), idx({0, 4, 2, 1}, {4})},
        [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::cross_entropy(v[0].t(), v[1], typename A::CE().reduction(A::red(r)));
        },
        true));
    cs.push_back(make_case("CeUnbatched" + R, {real({5}, 0.1, -3, 3), idx({3}, {})}, [r](auto api, const auto& v) {
      using A = decltype(api);
      return A::cross_entropy(v[0], v[1], typename A::CE().reduction(A::red(r)));
    }));
    cs.push_back(make_case(
        "Ce3d" + R, {real({2, 3, 4}, 0.9, -3, 3), idx({0, 1, 2, 2, -100, 0, 0, 2}, {2, 4})},
        [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::cross_entropy(v[0], v[1], typename A::CE().reduction(A::red(r)));
        },
        true));
    cs.push_back(
        make_case("Ce4dSmoothing" + R, {real({2, 3, 2, 2}, 1.2, -3, 3), idx({0, 1, 2, 2, 1, 0, 0, 2}, {2, 2, 2})},
                  [r](auto api, const auto& v) {
                    using A = decltype(api);
                    return A::cross_entropy(v[0], v[1], typename A::CE().label_smoothing(0.3).reduction(A::red(r)));
                  }));
    cs.push_back(make_case(
        "Ce5dWeighted" + R,
        {real({2, 3, 2, 1, 2}, 1.4, -3, 3), idx({0, 1, 2, 2, 1, 0, 0, 2}, {2, 2, 1, 2}), real({3}, 0.1, 0.2, 2, false)},
        [r](auto api, const auto& v) {
          using A = decltype(api);
          return A::cross_entropy(v[0], v[1], typename A::CE().weight(v[2]).reduction(A::red(r)));
        }));
    cs.push_back(
        make_case("CeExtremeLogits" + R,
                  {lit({1e4, -1e4, 0, -1e4, 1e4, 1e4, 3e3, -2e3, 5e3}, {3, 3}, 'F', true), idx({1, 0, 2}, {3})},
                  [r](auto api, const auto& v) {
                    using A = decltype(api);
                    return A::cross_entropy(v[0], v[1], typename A::CE().label_smoothing(0.1).reduction(A::red(r)));
                  }));
    // cross_entropy with class probabilities (differentiable in the target too)
    cs.push_back(make_case("CeProbabilities" + R, {real({4, 5}, 0.6, -3, 3), probs({4, 5}, 0.3, true)},
                           [r](auto api, const auto& v) {
                             using A = decltype(api);
                             return A::cross_entropy(v[0], v[1], typename A::CE().reduction(A::red(r)));
                           }));
    cs.push_back(make_case("CeProbabilities3dWeightedSmoothed" + R,
                           {real({2, 3, 4}, 0.2, -3, 3), probs({2, 3, 4}, 0.8, true), real({3}, 0.2, 0.2, 2, false)},
                           [r](auto api, const auto& v) {
                             using A = decltype(api);
                             return A::cross_entropy(
                                 v[0], v[1], typename A::CE().weight(v[2]).label_smoothing(0.2).reduction(A::red(r)));
                           }));
  }
  // Mixed dtypes: the result dtype is libtorch's. (libtorch cannot differentiate
  // mse_loss of mixed dtypes: its backward raises "Found dtype Double but expected Float".)
  cs.push_back(make_case("MseFloatDouble", {real({5}, 0.1, -2, 2, false), lit({1, 2, 3, 4, 5}, {5}, 'd')},
                         [](auto api, const auto& v) { return decltype(api)::mse_loss(v[0], v[1], {}); }));
  cs.push_back(make_case("BceLogitsFloatInputDoubleTarget", {real({5}, 0.2), lit({0, 1, 0.5, 0.2, 1}, {5}, 'd')},
                         [](auto api, const auto& v) { return decltype(api)::bcel(v[0], v[1], {}); }));
  cs.push_back(make_case("BceLogitsDoubleInputFloatTarget",
                         {lit({-1, 2, 0.5, 3, -4}, {5}, 'd', true), lit({0, 1, 0.5, 0.2, 1}, {5}, 'f')},
                         [](auto api, const auto& v) { return decltype(api)::bcel(v[0], v[1], {}); }));
  cs.push_back(make_case("CeProbabilitiesDoubleTarget", {real({3, 4}, 0.6), lit(wave(12, 0.1, 0, 0.5), {3, 4}, 'd')},
                         [](auto api, const auto& v) { return decltype(api)::cross_entropy(v[0], v[1], {}); }));
  // Activation wrappers.
  cs.push_back(make_case("ReluInplace", {real({3, 4}, 0.5)}, [](auto api, const auto& v) {
    auto y = v[0] * 1.5;
    decltype(api)::relu(y, true);
    return y;
  }));
  cs.push_back(make_case("LeakyReluInplace", {real({3, 4}, 0.6)}, [](auto api, const auto& v) {
    using A = decltype(api);
    auto y = v[0] * 1.5;
    A::leaky_relu(y, typename A::LeakyReLU().negative_slope(0.2).inplace(true));
    return y;
  }));
  cs.push_back(make_case("LeakyRelu", {real({3, 4}, 0.7)}, [](auto api, const auto& v) {
    using A = decltype(api);
    return A::leaky_relu(v[0], typename A::LeakyReLU().negative_slope(0.3));
  }));
  for (const char* approx : {"none", "tanh"})
    cs.push_back(
        make_case(std::string("Gelu_") + approx, {real({3, 4}, 0.8, -4, 4)}, [approx](auto api, const auto& v) {
          using A = decltype(api);
          return A::gelu(v[0], typename A::GELU().approximate(approx));
        }));
  cs.push_back(make_case("Softmax", {real({3, 4}, 0.9)}, [](auto api, const auto& v) {
    using A = decltype(api);
    return A::softmax(v[0], typename A::Softmax(1));
  }));
  cs.push_back(make_case("LogSoftmaxToDouble", {real({3, 4}, 1.0)}, [](auto api, const auto& v) {
    using A = decltype(api);
    return A::log_softmax(v[0], typename A::LogSoftmax(0).dtype(A::dtype(true)));
  }));
  return cs;
}

// Calls that libtorch refuses: tensorgrad must refuse them with the same error.
std::vector<Case> error_cases() {
  std::vector<Case> cs;
  auto ce = [](std::string name, std::vector<In> in, double smoothing = 0, int64_t ignore = -100) {
    return make_case(std::move(name), std::move(in), [smoothing, ignore](auto api, const auto& v) {
      using A = decltype(api);
      auto o = typename A::CE().label_smoothing(smoothing).ignore_index(ignore);
      if (v.size() > 2) o.weight(v[2]);
      return A::cross_entropy(v[0], v[1], o);
    });
  };
  auto nll = [](std::string name, std::vector<In> in) {
    return make_case(std::move(name), std::move(in), [](auto api, const auto& v) {
      using A = decltype(api);
      auto o = typename A::NLL();
      if (v.size() > 2) o.weight(v[2]);
      return A::nll_loss(v[0], v[1], o);
    });
  };
  const In x = real({3, 4}, 0.1);
  cs.push_back(ce("CeTargetOutOfBounds", {x, idx({0, 5, 1}, {3})}));
  cs.push_back(ce("CeNegativeTarget", {x, idx({0, -1, 1}, {3})}));
  cs.push_back(ce("CeTargetOutOfBoundsSmoothed", {x, idx({0, 5, 1}, {3})}, 0.1));
  cs.push_back(ce("CeBatchMismatch", {x, idx({0, 1}, {2})}));
  cs.push_back(ce("CeZeroDimTarget", {x, idx({1}, {})}));
  cs.push_back(ce("CeMultiTarget", {x, lit(wave(15, 0, 0, 1), {3, 5})}));
  cs.push_back(ce("CeFloatTarget", {x, lit({0, 1, 2}, {3})}));
  cs.push_back(ce("CeBoolTarget", {x, lit({0, 1, 1}, {3}, 'b')}));
  cs.push_back(ce("CeLongInput", {lit({1, 2, 3, 4}, {2, 2}, 'l'), idx({0, 1}, {2})}));
  cs.push_back(ce("CeLongInput3d", {lit({1, 2, 3, 4}, {1, 2, 2}, 'l'), idx({0, 1}, {1, 2})}));
  cs.push_back(ce("CeScalarInput", {lit({1}, {}), idx({0}, {1})}));
  cs.push_back(ce("CeSmoothingAboveOne", {x, idx({0, 1, 3}, {3})}, 1.5));
  cs.push_back(ce("CeWeightWrongSize", {x, idx({0, 1, 3}, {3}), lit({1, 1, 1}, {3})}));
  cs.push_back(ce("CeWeightWrongDims", {x, idx({0, 1, 3}, {3}), lit({1, 1, 1, 1}, {2, 2})}));
  cs.push_back(ce("CeWeightWrongDtype", {x, idx({0, 1, 3}, {3}), lit({1, 1, 1, 1}, {4}, 'l')}));
  cs.push_back(ce("CeWeightRequiresGrad", {x, idx({0, 1, 3}, {3}), lit({1, 1, 1, 1}, {4}, 'F', true)}));
  cs.push_back(ce("Ce3dWeightRequiresGrad",
                  {real({2, 4, 3}, 0.1), idx({0, 1, 3, 0, 1, 3}, {2, 3}), lit({1, 1, 1, 1}, {4}, 'F', true)}));
  cs.push_back(ce("Ce3dTargetSize", {real({2, 4, 3}, 0.1), idx({0, 1, 3, 0, 1, 3, 0, 0, 0, 0}, {2, 5})}));
  cs.push_back(ce("Ce3dTargetDims", {real({2, 4, 3}, 0.1), idx({0, 1}, {2})}));
  cs.push_back(ce("Ce4dTargetDims", {real({2, 4, 3, 2}, 0.1), idx(std::vector<double>(12, 0), {2, 6})}));
  cs.push_back(ce("Ce4dTargetSize", {real({2, 4, 3, 2}, 0.1), idx(std::vector<double>(20, 0), {2, 5, 2})}));
  cs.push_back(
      ce("Ce4dWeightSize", {real({2, 4, 3, 2}, 0.1), idx(std::vector<double>(12, 0), {2, 3, 2}), lit({1, 1, 1}, {3})}));
  cs.push_back(ce("Ce5dTargetSize", {real({2, 4, 3, 2, 2}, 0.1), idx(std::vector<double>(12, 0), {2, 3, 2})}));
  cs.push_back(ce("Ce4dTargetOutOfBounds", {real({2, 4, 3, 2}, 0.1), idx(std::vector<double>(12, 4), {2, 3, 2})}));
  cs.push_back(ce("Ce1dTargetSize", {real({4}, 0.1), idx({1, 2}, {2})}));
  cs.push_back(ce("Ce1dMultiTarget", {real({4}, 0.1), idx({1, 2}, {1, 2})}));
  cs.push_back(ce("CeProbabilityLongTarget", {x, idx(std::vector<double>(12, 0), {3, 4})}));
  cs.push_back(ce("CeProbabilityIgnoreIndex", {x, probs({3, 4}, 0.1)}, 0, 1));
  cs.push_back(ce("CeProbabilitySmoothing", {x, probs({3, 4}, 0.1)}, 2.0));
  cs.push_back(ce("CeProbabilityWeight", {x, probs({3, 4}, 0.1), lit({1, 1}, {2})}));
  cs.push_back(ce("CeProbabilityLongInput", {lit({1, 2, 3, 4}, {2, 2}, 'l'), probs({2, 2}, 0.1)}));
  cs.push_back(nll("NllOneDim", {real({4}, 0.1), idx({1}, {})}));
  cs.push_back(nll("NllBatchMismatch", {x, idx({0, 1}, {2})}));
  cs.push_back(nll("NllTargetOutOfBounds", {x, idx({0, 4, 1}, {3})}));
  cs.push_back(nll("NllIntegerInput", {lit({1, 2, 3, 4}, {2, 2}, 'l'), idx({0, 1}, {2})}));
  cs.push_back(nll("NllIntegerInput4d", {lit({1, 2, 3, 4}, {1, 2, 1, 2}, 'l'), idx({0, 1}, {1, 1, 2})}));
  cs.push_back(nll("NllFloatTarget", {x, lit({0, 1, 2}, {3})}));
  cs.push_back(nll("NllWeightWrongSize", {x, idx({0, 1, 2}, {3}), lit({1, 1, 1}, {3})}));
  cs.push_back(nll("NllWeightRequiresGrad", {x, idx({0, 1, 2}, {3}), lit({1, 1, 1, 1}, {4}, 'F', true)}));
  cs.push_back(make_case("MseBadBroadcast", {x, real({2}, 0.1)},
                         [](auto api, const auto& v) { return decltype(api)::mse_loss(v[0], v[1], {}); }));
  cs.push_back(make_case("MseIntegers", {lit({1, 2}, {2}, 'l'), lit({1, 2}, {2}, 'l')},
                         [](auto api, const auto& v) { return decltype(api)::mse_loss(v[0], v[1], {}); }));
  auto bce = [](std::string name, std::vector<In> in) {
    return make_case(std::move(name), std::move(in), [](auto api, const auto& v) {
      using A = decltype(api);
      auto o = typename A::BCE();
      if (v.size() > 2) o.weight(v[2]);
      return A::bce(v[0], v[1], o);
    });
  };
  cs.push_back(bce("BceInputAboveOne", {lit({0.5, 1.5}, {2}), lit({0.5, 0.5}, {2})}));
  cs.push_back(bce("BceInputNegative", {lit({0.5, -0.1}, {2}), lit({0.5, 0.5}, {2})}));
  cs.push_back(bce("BceInputNan", {lit({0.5, NAN}, {2}), lit({0.5, 0.5}, {2})}));
  cs.push_back(bce("BceTargetSize", {lit({0.5, 0.5}, {2}), lit({0.5}, {1})}));
  cs.push_back(bce("BceTargetDtype", {lit({0.5, 0.5}, {2}, 'f'), lit({0.5, 0.5}, {2}, 'd')}));
  cs.push_back(bce("BceIntegerInput", {lit({0, 1}, {2}, 'l'), lit({0, 1}, {2}, 'l')}));
  cs.push_back(
      bce("BceWeightBroadcast", {lit(wave(6, 0, 0, 1), {2, 3}), lit(wave(6, 1, 0, 1), {2, 3}), lit({1, 2}, {2})}));
  cs.push_back(bce("BceWeightTooBig",
                   {lit(wave(6, 0, 0, 1), {2, 3}), lit(wave(6, 1, 0, 1), {2, 3}), lit(wave(24, 0, 0, 1), {4, 2, 3})}));
  cs.push_back(bce("BceWeightRequiresGrad", {lit({0.5, 0.5}, {2}), lit({0.5, 0.5}, {2}), lit({1, 2}, {2}, 'F', true)}));
  auto bcel = [](std::string name, std::vector<In> in) {
    return make_case(std::move(name), std::move(in), [](auto api, const auto& v) {
      using A = decltype(api);
      auto o = typename A::BCEL();
      if (v.size() > 2) o.weight(v[2]);
      if (v.size() > 3) o.pos_weight(v[3]);
      return A::bcel(v[0], v[1], o);
    });
  };
  cs.push_back(bcel("BceLogitsTargetSize", {real({2, 3}, 0.1), real({3}, 0.2)}));
  cs.push_back(bcel("BceLogitsLongTarget", {real({2}, 0.1), lit({0, 1}, {2}, 'l')}));
  cs.push_back(bcel("BceLogitsLongInput", {lit({0, 1}, {2}, 'l'), real({2}, 0.1)}));
  cs.push_back(bcel("BceLogitsBoolTarget", {real({2}, 0.1), lit({0, 1}, {2}, 'b')}));
  cs.push_back(bcel("BceLogitsBoolInput", {lit({0, 1}, {2}, 'b'), real({2}, 0.1)}));
  cs.push_back(bcel("BceLogitsPosWeightBroadcast", {real({2, 3}, 0.1), real({2, 3}, 0.2), none(), lit({1, 2}, {2})}));
  cs.push_back(bcel("BceLogitsWeightBroadcast", {real({2, 3}, 0.1), real({2, 3}, 0.2), lit({1, 2}, {2})}));
  cs.push_back(
      bcel("BceLogitsWeightTooBig", {real({2, 3}, 0.1), real({2, 3}, 0.2), real({4, 2, 3}, 0.3, 0, 1, false)}));
  cs.push_back(bcel("BceLogitsWeightRequiresGrad", {real({2}, 0.1), real({2}, 0.2), lit({1, 2}, {2}, 'F', true)}));
  cs.push_back(
      bcel("BceLogitsPosWeightRequiresGrad", {real({2}, 0.1), real({2}, 0.2), none(), lit({1, 2}, {2}, 'F', true)}));
  cs.push_back(make_case("GeluBadApproximate", {real({3}, 0.1)}, [](auto api, const auto& v) {
    using A = decltype(api);
    return A::gelu(v[0], typename A::GELU().approximate("foo"));
  }));
  cs.push_back(make_case("LeakyReluLong", {lit({1, 2}, {2}, 'l')}, [](auto api, const auto& v) {
    using A = decltype(api);
    return A::leaky_relu(v[0], typename A::LeakyReLU());
  }));
  cs.push_back(make_case("ReluInplaceOnLeaf", {real({3}, 0.1)},
                         [](auto api, const auto& v) { return decltype(api)::relu(v[0], true); }));
  return cs;
}

// ---- comparison ---------------------------------------------------------------------------
tg::Tensor from_torch(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kDouble).contiguous();
  tg::Tensor out = tg::empty(c.sizes().vec(), tg::kDouble);
  std::memcpy(out.data_ptr(), c.data_ptr(), c.nbytes());
  return out;
}

// |a - b| <= tol * max(|b|, largest |b|): relative to the element, with a floor
// relative to the tensor's scale (a loss that is a small difference of large
// logits is only as exact as the logits). tol is 1e-12 for float64 results of
// float64 inputs, 1e-5 when any of them is float32.
::testing::AssertionResult close(const tg::Tensor& a, const torch::Tensor& b, bool float32_inputs = false) {
  if (!a.defined() || !b.defined())
    return a.defined() == b.defined() ? ::testing::AssertionSuccess()
                                      : ::testing::AssertionFailure() << "one gradient is undefined";
  if (a.sizes().vec() != b.sizes().vec())
    return ::testing::AssertionFailure() << "shape " << a.sizes() << " vs libtorch's " << b.sizes();
  const double tol = float32_inputs || b.scalar_type() == torch::kFloat ? 1e-5 : 1e-12;
  tg::Tensor ad = a.detach().to(tg::kDouble).contiguous(), bd = from_torch(b);
  const double* x = ad.data_ptr<double>();
  const double* y = bd.data_ptr<double>();
  double scale = 0;
  for (int64_t i = 0; i < ad.numel(); ++i) scale = std::max(scale, std::abs(y[i]));
  for (int64_t i = 0; i < ad.numel(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) continue;
    if (x[i] == y[i]) continue;
    if (!(std::abs(x[i] - y[i]) <= tol * std::max(std::abs(y[i]), scale)))
      return ::testing::AssertionFailure() << "element " << i << ": " << x[i] << " vs libtorch's " << y[i];
  }
  return ::testing::AssertionSuccess();
}

std::string torch_dtype_name(torch::ScalarType t) { return c10::toString(t); }

// One case in one floating dtype.
void check_case(const Case& c, bool f64) {
  std::vector<tg::Tensor> a;
  std::vector<torch::Tensor> b;
  bool float32_inputs = false;
  for (const In& in : c.inputs) {
    a.push_back(make_tg(in, f64));
    b.push_back(make_torch(in, f64));
    float32_inputs |= b.back().defined() && b.back().scalar_type() == torch::kFloat;
  }
  torch::Tensor want = c.torch_fn(b);
  tg::Tensor got = c.tg_fn(a);
  ASSERT_EQ(tg::to_string(got.dtype()), torch_dtype_name(want.scalar_type()));
  ASSERT_TRUE(close(got, want, float32_inputs)) << "forward";
  ASSERT_EQ(got.grad_fn() ? got.grad_fn()->name() : "none", want.grad_fn() ? want.grad_fn()->name() : "none");
  if (!want.requires_grad()) return;

  // A deterministic upstream gradient (not all ones, so scaling is exercised).
  const std::vector<double> go = wave(std::max<int64_t>(want.numel(), 1), 0.3, 0.5, 1.5);
  torch::Tensor gb =
      torch::tensor(go, torch::kDouble).narrow(0, 0, want.numel()).reshape(want.sizes()).to(want.scalar_type());
  tg::Tensor ga = tg::tensor(go, tg::kDouble).narrow(0, 0, got.numel()).reshape(got.sizes()).to(got.dtype());
  std::vector<torch::Tensor> wb;
  std::vector<tg::Tensor> wa;
  for (size_t i = 0; i < b.size(); ++i)
    if (b[i].defined() && b[i].requires_grad()) {
      wb.push_back(b[i]);
      wa.push_back(a[i]);
    }
  auto gt_b = torch::autograd::grad({want}, wb, {gb}, true, c.double_backward);
  auto gt_a = tg::autograd::grad({got}, wa, {ga}, true, c.double_backward);
  for (size_t i = 0; i < wb.size(); ++i)
    EXPECT_TRUE(close(gt_a[i], gt_b[i], float32_inputs)) << "gradient of input " << i;
  if (!c.double_backward) return;

  // Second derivatives: d/d(inputs) of sum_i <grad_i, v_i>.
  torch::Tensor sb = torch::zeros({}, want.scalar_type());
  tg::Tensor sa = tg::zeros({}, got.dtype());
  for (size_t i = 0; i < wb.size(); ++i) {
    const std::vector<double> v = wave(wb[i].numel(), 1.1 + static_cast<double>(i), -1, 1);
    sb = sb + (gt_b[i] * torch::tensor(v, torch::kDouble).reshape(wb[i].sizes()).to(wb[i].scalar_type())).sum();
    sa = sa + (gt_a[i] * tg::tensor(v, tg::kDouble).reshape(wa[i].sizes()).to(wa[i].dtype())).sum();
  }
  auto hb = torch::autograd::grad({sb}, wb, {}, true, false, true);
  auto ha = tg::autograd::grad({sa}, wa, {}, true, false, true);
  for (size_t i = 0; i < wb.size(); ++i) {
    // An input the gradient does not depend on may get an undefined second derivative.
    if (!hb[i].defined()) hb[i] = torch::zeros_like(wb[i]);
    if (!ha[i].defined()) ha[i] = tg::zeros_like(wa[i]);
    EXPECT_TRUE(close(ha[i], hb[i], float32_inputs)) << "second derivative of input " << i;
  }
}

// All cases in a few tests: each ctest process pays for loading libtorch once.
TEST(LossesTorchParity, ValuesGradientsAndNodesMatch) {
  for (const Case& c : loss_cases())
    for (bool f64 : {false, true}) {
      SCOPED_TRACE(c.name + (f64 ? " float64" : " float32"));
      check_case(c, f64);
    }
}

void check_error_case(const Case& c) {
  std::vector<tg::Tensor> a;
  std::vector<torch::Tensor> b;
  for (const In& in : c.inputs) {
    a.push_back(make_tg(in, false));
    b.push_back(make_torch(in, false));
  }
  std::string want, kind = "Error";
  try {
    c.torch_fn(b);
  } catch (const c10::IndexError& e) {
    want = e.what_without_backtrace();
    kind = "IndexError";
  } catch (const c10::ValueError& e) {
    want = e.what_without_backtrace();
    kind = "ValueError";
  } catch (const c10::Error& e) {
    want = e.what_without_backtrace();
  }
  ASSERT_FALSE(want.empty()) << "libtorch accepted the call";
  try {
    c.tg_fn(a);
    FAIL() << "tensorgrad accepted the call; libtorch said: " << want;
  } catch (const tg::Error& e) {
    EXPECT_EQ(std::string(e.what()), want);
    if (kind == "IndexError") EXPECT_NE(dynamic_cast<const tg::IndexError*>(&e), nullptr) << "expected an IndexError";
    if (kind == "ValueError") EXPECT_NE(dynamic_cast<const tg::ValueError*>(&e), nullptr) << "expected a ValueError";
  }
}

TEST(LossesTorchErrors, BothRaiseWithTheSameWording) {
  for (const Case& c : error_cases()) {
    SCOPED_TRACE(c.name);
    check_error_case(c);
  }
}

TEST(LossesTorchParity, InPlaceLeakyReluWithNegativeSlopeRefusesBackwardAlike) {
  torch::Tensor b = torch::tensor({-1.0, 2.0}, torch::requires_grad());
  torch::Tensor yb = b * 1;
  thF::leaky_relu(yb, thF::LeakyReLUFuncOptions().negative_slope(-0.5).inplace(true));
  std::string want;
  try {
    yb.sum().backward();
  } catch (const c10::Error& e) {
    want = e.what_without_backtrace();
  }
  tg::Tensor a = tg::tensor({-1.0, 2.0}).requires_grad_();
  tg::Tensor ya = a * 1;
  tgF::leaky_relu(ya, tgF::LeakyReLUFuncOptions().negative_slope(-0.5).inplace(true));
  EXPECT_TRUE(close(ya, yb));
  try {
    ya.sum().backward();
    FAIL() << "tensorgrad computed a gradient";
  } catch (const tg::Error& e) {
    EXPECT_EQ(std::string(e.what()), want);
  }
}

}  // namespace
