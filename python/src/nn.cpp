// tensorgrad._C._nn: the functional layers, activations and losses with
// torch.nn.functional's Python signatures, and the nn.init initialisers.
#include <string>

#include "common.h"

namespace tgpy {
namespace {

namespace F = tg::nn::functional;

tg::ExpandingArray<2> pair(py::handle h, const char* what) {
  const auto v = int_list(h, what);
  if (v.size() == 1) return tg::ExpandingArray<2>(v[0]);
  return tg::ExpandingArray<2>(v);
}

tg::nn::loss_reduction_t reduction(const std::string& r) {
  if (r == "mean") return tg::kMean;
  if (r == "sum") return tg::kSum;
  if (r == "none") return tg::kNone;
  throw py::value_error(r + " is not a valid value for reduction");
}

tg::nn::init::NonlinearityType nonlinearity(const std::string& n) {
  if (n == "linear") return tg::kLinear;
  if (n == "conv1d") return tg::kConv1D;
  if (n == "conv2d") return tg::kConv2D;
  if (n == "conv3d") return tg::kConv3D;
  if (n == "conv_transpose1d") return tg::kConvTranspose1D;
  if (n == "conv_transpose2d") return tg::kConvTranspose2D;
  if (n == "conv_transpose3d") return tg::kConvTranspose3D;
  if (n == "sigmoid") return tg::kSigmoid;
  if (n == "tanh") return tg::kTanh;
  if (n == "relu") return tg::kReLU;
  if (n == "leaky_relu") return tg::kLeakyReLU;
  throw py::value_error("Unsupported nonlinearity " + n);
}

tg::nn::init::FanModeType fan_mode(const std::string& m) {
  if (m == "fan_in") return tg::kFanIn;
  if (m == "fan_out") return tg::kFanOut;
  throw py::value_error("Mode " + m + " not supported, please use one of fan_in, fan_out");
}

void bind_layers(py::module_& m) {
  m.def("linear", [](const Tensor& input, const Tensor& weight, py::handle bias) {
    const Tensor b = optional_tensor(bias);
    ReleaseIfLarge r(input.numel() * weight.size(0));
    return F::linear(input, weight, b);
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("conv2d", [](const Tensor& input, const Tensor& weight, py::handle bias, py::handle stride, py::handle padding,
                     py::handle dilation, int64_t groups) {
    auto o = F::Conv2dFuncOptions().bias(optional_tensor(bias)).stride(pair(stride, "stride"))
                 .dilation(pair(dilation, "dilation")).groups(groups);
    if (py::isinstance<py::str>(padding)) {
      const auto p = padding.cast<std::string>();
      if (p == "valid") o.padding(tg::kValid);
      else if (p == "same") o.padding(tg::kSame);
      else throw py::value_error("Invalid padding string '" + p + "', should be one of {'valid', 'same'}");
    } else {
      o.padding(F::Conv2dFuncOptions::padding_t(pair(padding, "padding")));
    }
    ReleaseIfLarge r(input.numel() * (weight.numel() / std::max<int64_t>(weight.size(1), 1)));
    return F::conv2d(input, weight, o);
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
        py::arg("dilation") = 1, py::arg("groups") = 1);
  m.def("max_pool2d", [](const Tensor& input, py::handle kernel_size, py::handle stride, py::handle padding,
                         py::handle dilation, bool ceil_mode, bool return_indices) {
    if (return_indices) throw py::value_error("tensorgrad's max_pool2d does not return indices");
    auto o = F::MaxPool2dFuncOptions(pair(kernel_size, "kernel_size")).padding(pair(padding, "padding"))
                 .dilation(pair(dilation, "dilation")).ceil_mode(ceil_mode);
    if (!stride.is_none() && !(PySequence_Check(stride.ptr()) && py::len(stride) == 0)) o.stride(pair(stride, "stride"));
    ReleaseIfLarge r(input.numel());
    return F::max_pool2d(input, o);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
        py::arg("dilation") = 1, py::arg("ceil_mode") = false, py::arg("return_indices") = false);
  m.def("layer_norm", [](const Tensor& input, py::handle normalized_shape, py::handle weight, py::handle bias,
                         double eps) {
    auto o = F::LayerNormFuncOptions(int_list(normalized_shape, "layer_norm"))
                 .weight(optional_tensor(weight)).bias(optional_tensor(bias)).eps(eps);
    ReleaseIfLarge r(input.numel());
    return F::layer_norm(input, o);
  }, py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
        py::arg("eps") = 1e-5);
  m.def("dropout", [](const Tensor& input, double p, bool training, bool inplace) {
    ReleaseIfLarge r(input.numel());
    return F::dropout(input, F::DropoutFuncOptions(p).training(training).inplace(inplace));
  }, py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true, py::arg("inplace") = false);
  m.def("embedding", [](const Tensor& input, const Tensor& weight, std::optional<int64_t> padding_idx) {
    ReleaseIfLarge r(input.numel() * weight.size(-1));
    return F::embedding(input, weight, F::EmbeddingFuncOptions().padding_idx(padding_idx));
  }, py::arg("input"), py::arg("weight"), py::arg("padding_idx") = py::none());
}

void bind_activations(py::module_& m) {
  m.def("relu", [](const Tensor& input, bool inplace) {
    ReleaseIfLarge r(input.numel());
    return F::relu(input, F::ReLUFuncOptions(inplace));
  }, py::arg("input"), py::arg("inplace") = false);
  m.def("leaky_relu", [](const Tensor& input, double negative_slope, bool inplace) {
    ReleaseIfLarge r(input.numel());
    return F::leaky_relu(input, F::LeakyReLUFuncOptions().negative_slope(negative_slope).inplace(inplace));
  }, py::arg("input"), py::arg("negative_slope") = 0.01, py::arg("inplace") = false);
  m.def("gelu", [](const Tensor& input, const std::string& approximate) {
    ReleaseIfLarge r(input.numel());
    return F::gelu(input, F::GELUFuncOptions().approximate(approximate));
  }, py::arg("input"), py::arg("approximate") = "none");
  m.def("softmax", [](const Tensor& input, int64_t dim, py::handle dtype) {
    const auto dt = parse_dtype(dtype);
    ReleaseIfLarge r(input.numel());
    return F::softmax(input, F::SoftmaxFuncOptions(dim).dtype(dt));
  }, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("log_softmax", [](const Tensor& input, int64_t dim, py::handle dtype) {
    const auto dt = parse_dtype(dtype);
    ReleaseIfLarge r(input.numel());
    return F::log_softmax(input, F::LogSoftmaxFuncOptions(dim).dtype(dt));
  }, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
}

void bind_losses(py::module_& m) {
  m.def("mse_loss", [](const Tensor& input, const Tensor& target, const std::string& r) {
    ReleaseIfLarge g(input.numel());
    return F::mse_loss(input, target, F::MSELossFuncOptions().reduction(reduction(r)));
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def("binary_cross_entropy", [](const Tensor& input, const Tensor& target, py::handle weight, const std::string& r) {
    auto o = F::BinaryCrossEntropyFuncOptions().weight(optional_tensor(weight)).reduction(reduction(r));
    ReleaseIfLarge g(input.numel());
    return F::binary_cross_entropy(input, target, o);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean");
  m.def("binary_cross_entropy_with_logits", [](const Tensor& input, const Tensor& target, py::handle weight,
                                               const std::string& r, py::handle pos_weight) {
    auto o = F::BinaryCrossEntropyWithLogitsFuncOptions().weight(optional_tensor(weight)).reduction(reduction(r))
                 .pos_weight(optional_tensor(pos_weight));
    ReleaseIfLarge g(input.numel());
    return F::binary_cross_entropy_with_logits(input, target, o);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
        py::arg("pos_weight") = py::none());
  m.def("cross_entropy", [](const Tensor& input, const Tensor& target, py::handle weight, int64_t ignore_index,
                            const std::string& r, double label_smoothing) {
    auto o = F::CrossEntropyFuncOptions().weight(optional_tensor(weight)).ignore_index(ignore_index)
                 .reduction(reduction(r)).label_smoothing(label_smoothing);
    ReleaseIfLarge g(input.numel());
    return F::cross_entropy(input, target, o);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0);
  m.def("nll_loss", [](const Tensor& input, const Tensor& target, py::handle weight, int64_t ignore_index,
                       const std::string& r) {
    auto o = F::NLLLossFuncOptions().weight(optional_tensor(weight)).ignore_index(ignore_index).reduction(reduction(r));
    ReleaseIfLarge g(input.numel());
    return F::nll_loss(input, target, o);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
        py::arg("reduction") = "mean");
}

// The initialisers fill their argument in place (under no_grad) and return nothing;
// the Python wrappers return the tensor given, as torch.nn.init does.
void bind_init(py::module_& m) {
  namespace I = tg::nn::init;
  m.def("calculate_gain", [](const std::string& n, std::optional<double> param) {
    return I::calculate_gain(nonlinearity(n), param.value_or(0.01));
  }, py::arg("nonlinearity"), py::arg("param") = py::none());
  m.def("constant_", [](const Tensor& t, py::handle v) {
    tg::Scalar s;
    if (!as_scalar(v, s)) throw py::type_error("val must be a number");
    I::constant_(t, s);
  });
  m.def("ones_", [](const Tensor& t) { I::ones_(t); });
  m.def("zeros_", [](const Tensor& t) { I::zeros_(t); });
  m.def("uniform_", [](const Tensor& t, double a, double b) { I::uniform_(t, a, b); });
  m.def("normal_", [](const Tensor& t, double mean, double std) { I::normal_(t, mean, std); });
  m.def("kaiming_uniform_", [](const Tensor& t, double a, const std::string& mode, const std::string& n) {
    I::kaiming_uniform_(t, a, fan_mode(mode), nonlinearity(n));
  });
  m.def("kaiming_normal_", [](const Tensor& t, double a, const std::string& mode, const std::string& n) {
    I::kaiming_normal_(t, a, fan_mode(mode), nonlinearity(n));
  });
  m.def("xavier_uniform_", [](const Tensor& t, double gain) { I::xavier_uniform_(t, gain); });
  m.def("xavier_normal_", [](const Tensor& t, double gain) { I::xavier_normal_(t, gain); });
  m.def("_calculate_fan_in_and_fan_out", [](const Tensor& t) { return I::_calculate_fan_in_and_fan_out(t); });
}

}  // namespace

void bind_nn(py::module_& m) {
  py::module_ nn = m.def_submodule("_nn", "torch.nn.functional's layers, activations and losses, and nn.init");
  bind_layers(nn);
  bind_activations(nn);
  bind_losses(nn);
  bind_init(nn);
}

}  // namespace tgpy
