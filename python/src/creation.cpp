// Tensor factories with PyTorch's Python signatures: zeros(2, 3, dtype=...,
// requires_grad=...), full, rand, randint, arange, linspace, eye, tensor(data),
// from_numpy; the random seed and the thread count; and the multi-tensor
// functions (cat, stack, where).
#include "common.h"

namespace tgpy {
namespace {

tg::TensorOptions options(py::handle dtype, bool requires_grad) {
  return tg::TensorOptions().dtype(parse_dtype(dtype)).requires_grad(requires_grad);
}

// Like-factories keep the model's dtype unless dtype= says otherwise.
tg::TensorOptions like_options(const Tensor& t, py::handle dtype, bool requires_grad) {
  return tg::TensorOptions().dtype(parse_dtype(dtype).value_or(t.dtype())).requires_grad(requires_grad);
}

tg::Scalar number(py::handle h, const char* what) {
  tg::Scalar s;
  if (is_tensor(h)) return unwrap(h).item();
  if (!as_scalar(h, s)) throw py::type_error(std::string(what) + " must be a number");
  return s;
}

template <class F>
void def_sized(py::module_& m, const char* name, F make) {
  m.def(name, [make, name](py::args size, py::handle dtype, bool requires_grad) {
    return make(sizes_from_args(size, name), options(dtype, requires_grad));
  }, py::arg("dtype") = py::none(), py::arg("requires_grad") = false);
}

template <class F>
void def_like(py::module_& m, const char* name, F make) {
  m.def(name, [make](const Tensor& t, py::handle dtype, bool requires_grad) {
    return make(t, like_options(t, dtype, requires_grad));
  }, py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("requires_grad") = false);
}

std::vector<Tensor> tensor_list(py::handle seq) {
  std::vector<Tensor> out;
  for (py::handle h : seq) out.push_back(unwrap_checked(h));
  return out;
}

}  // namespace

void bind_creation(py::module_& m) {
  def_sized(m, "zeros", [](const std::vector<int64_t>& s, const tg::TensorOptions& o) { return tg::zeros(s, o); });
  def_sized(m, "ones", [](const std::vector<int64_t>& s, const tg::TensorOptions& o) { return tg::ones(s, o); });
  def_sized(m, "empty", [](const std::vector<int64_t>& s, const tg::TensorOptions& o) { return tg::empty(s, o); });
  def_sized(m, "rand", [](const std::vector<int64_t>& s, const tg::TensorOptions& o) { return tg::rand(s, o); });
  def_sized(m, "randn", [](const std::vector<int64_t>& s, const tg::TensorOptions& o) { return tg::randn(s, o); });
  def_like(m, "zeros_like", [](const Tensor& t, const tg::TensorOptions& o) { return tg::zeros_like(t, o); });
  def_like(m, "ones_like", [](const Tensor& t, const tg::TensorOptions& o) { return tg::ones_like(t, o); });
  def_like(m, "empty_like", [](const Tensor& t, const tg::TensorOptions& o) { return tg::empty_like(t, o); });
  def_like(m, "rand_like", [](const Tensor& t, const tg::TensorOptions& o) { return tg::rand_like(t, o); });
  def_like(m, "randn_like", [](const Tensor& t, const tg::TensorOptions& o) { return tg::randn_like(t, o); });

  m.def("full", [](py::handle size, py::handle fill_value, py::handle dtype, bool requires_grad) {
    return tg::full(int_list(size, "full"), number(fill_value, "fill_value"), options(dtype, requires_grad));
  }, py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("requires_grad") = false);
  m.def("full_like", [](const Tensor& t, py::handle fill_value, py::handle dtype, bool requires_grad) {
    return tg::full_like(t, number(fill_value, "fill_value"), like_options(t, dtype, requires_grad));
  }, py::arg("input"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("requires_grad") = false);
  // randint(high, size) or randint(low, high, size).
  m.def("randint", [](py::args args, py::handle dtype, bool requires_grad) {
    if (args.size() != 2 && args.size() != 3) throw py::type_error("randint() expects (high, size) or (low, high, size)");
    const int64_t low = args.size() == 3 ? args[0].cast<int64_t>() : 0;
    const int64_t high = args[args.size() - 2].cast<int64_t>();
    auto o = options(dtype, requires_grad);
    if (!parse_dtype(dtype)) o = o.dtype(tg::kLong);
    return tg::randint(low, high, int_list(args[args.size() - 1], "randint"), o);
  }, py::arg("dtype") = py::none(), py::arg("requires_grad") = false);
  m.def("randperm", [](int64_t n, py::handle dtype) {
    return tg::randperm(n, tg::TensorOptions().dtype(parse_dtype(dtype).value_or(tg::kLong)));
  }, py::arg("n"), py::kw_only(), py::arg("dtype") = py::none());
  m.def("bernoulli", [](const Tensor& p) { return tg::bernoulli(p); });
  // arange(end), arange(start, end) or arange(start, end, step).
  m.def("arange", [](py::args args, py::handle dtype, bool requires_grad) {
    if (args.empty() || args.size() > 3) throw py::type_error("arange() expects (end), (start, end) or (start, end, step)");
    const auto o = options(dtype, requires_grad);
    if (args.size() == 1) return tg::arange(number(args[0], "end"), o);
    if (args.size() == 2) return tg::arange(number(args[0], "start"), number(args[1], "end"), o);
    return tg::arange(number(args[0], "start"), number(args[1], "end"), number(args[2], "step"), o);
  }, py::arg("dtype") = py::none(), py::arg("requires_grad") = false);
  m.def("linspace", [](py::handle start, py::handle end, int64_t steps, py::handle dtype, bool requires_grad) {
    return tg::linspace(number(start, "start"), number(end, "end"), steps, options(dtype, requires_grad));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("requires_grad") = false);
  m.def("eye", [](int64_t n, std::optional<int64_t> cols, py::handle dtype, bool requires_grad) {
    return cols ? tg::eye(n, *cols, options(dtype, requires_grad)) : tg::eye(n, options(dtype, requires_grad));
  }, py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("requires_grad") = false);

  // tensor(data): always a copy, detached from any graph.
  m.def("tensor", [](py::handle data, py::handle dtype, bool requires_grad) {
    const auto dt = parse_dtype(dtype);
    Tensor t = is_tensor(data) ? unwrap(data).detach().to(dt.value_or(unwrap(data).dtype()), false, true)
                               : to_tensor(data, dt);
    if (requires_grad) t.requires_grad_(true);
    return t;
  }, py::arg("data"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("requires_grad") = false);
  m.def("from_numpy", [](py::handle a) {
    if (!py::isinstance<py::array>(a)) {
      throw py::type_error("expected np.ndarray (got " + py::str(a.get_type().attr("__name__")).cast<std::string>() + ")");
    }
    return from_numpy(py::reinterpret_borrow<py::array>(a));
  });

  m.def("manual_seed", [](uint64_t seed) { tg::manual_seed(seed); });
  m.def("set_num_threads", &tg::set_num_threads);
  m.def("get_num_threads", &tg::get_num_threads);

  m.def("cat", [](py::handle tensors, int64_t dim) {
    auto ts = tensor_list(tensors);
    int64_t n = 0;
    for (const Tensor& t : ts) n += t.numel();
    ReleaseIfLarge r(n);
    return tg::cat(ts, dim);
  }, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", [](py::handle tensors, int64_t dim) {
    auto ts = tensor_list(tensors);
    int64_t n = 0;
    for (const Tensor& t : ts) n += t.numel();
    ReleaseIfLarge r(n);
    return tg::stack(ts, dim);
  }, py::arg("tensors"), py::arg("dim") = 0);
  m.def("where", [](const Tensor& condition, py::handle x, py::handle y) {
    tg::Scalar sx, sy;
    const bool x_number = as_scalar(x, sx), y_number = as_scalar(y, sy);
    if (x_number && y_number) return tg::where(condition, sx, sy);
    if (x_number) return tg::where(condition, sx, to_tensor(y));
    if (y_number) return tg::where(condition, to_tensor(x), sy);
    return tg::where(condition, to_tensor(x), to_tensor(y));
  }, py::arg("condition"), py::arg("input"), py::arg("other"));
  m.def("addmm", [](const Tensor& bias, const Tensor& a, const Tensor& b, py::handle beta, py::handle alpha) {
    const tg::Scalar be = number(beta, "beta"), al = number(alpha, "alpha");  // with the GIL
    ReleaseIfLarge r(a.numel() * (b.dim() == 2 ? b.size(1) : 1));
    return tg::addmm(bias, a, b, be, al);
  }, py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  m.def("prelu", [](const Tensor& a, const Tensor& weight) { return tg::prelu(a, weight); });
  m.def("result_type", [](const Tensor& a, py::handle b) {
    tg::Scalar s;
    return dtype_object(as_scalar(b, s) ? tg::result_type(a, s) : tg::result_type(a, to_tensor(b)));
  });
}

}  // namespace tgpy
