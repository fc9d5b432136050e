// tensorgrad.autograd.gradcheck / gradgradcheck: tensorgrad's finite-difference
// checks with a Python function. As torch.autograd.gradcheck, they return True or
// raise (a RuntimeError with the report) unless raise_exception=False.
#include "common.h"

namespace tgpy {
namespace {

std::vector<Tensor> as_inputs(py::handle inputs) {
  std::vector<Tensor> out;
  if (is_tensor(inputs)) out.push_back(unwrap(inputs));
  else
    for (py::handle h : inputs) out.push_back(unwrap_checked(h));
  return out;
}

// fn(*inputs) returning a Tensor or a sequence of Tensors, called with the GIL.
tg::autograd::GradcheckFunction as_function(py::object fn) {
  auto holder = std::make_shared<GilObject>(std::move(fn));
  return [holder](const tg::autograd::variable_list& inputs) {
    py::gil_scoped_acquire gil;
    py::object r = holder->get()(*wrap_all(inputs));
    tg::autograd::variable_list out;
    if (is_tensor(r)) out.push_back(unwrap(r));
    else
      for (py::handle h : r) out.push_back(unwrap_checked(h));
    return out;
  };
}

bool report(const tg::autograd::GradcheckResult& r, bool raise_exception) {
  if (!r.ok && raise_exception) throw std::runtime_error(r.message);
  return r.ok;
}

}  // namespace

void bind_gradcheck(py::module_& m) {
  m.def("gradcheck", [](py::object fn, py::handle inputs, double eps, double atol, double rtol, bool raise_exception) {
    const auto f = as_function(std::move(fn));
    const auto in = as_inputs(inputs);
    tg::autograd::GradcheckResult r;
    {
      py::gil_scoped_release release;
      r = tg::autograd::detail::gradcheck(f, in, eps, atol, rtol);
    }
    return report(r, raise_exception);
  }, py::arg("func"), py::arg("inputs"), py::arg("eps") = 1e-6, py::arg("atol") = 1e-5, py::arg("rtol") = 1e-3,
        py::arg("raise_exception") = true);
  m.def("gradgradcheck", [](py::object fn, py::handle inputs, py::handle grad_outputs, double eps, double atol,
                            double rtol, bool raise_exception) {
    const auto grads = grad_outputs.is_none() ? std::vector<Tensor>() : as_inputs(grad_outputs);
    const auto f = as_function(std::move(fn));
    const auto in = as_inputs(inputs);
    tg::autograd::GradcheckResult r;
    {
      py::gil_scoped_release release;
      r = tg::autograd::detail::gradgradcheck(f, in, grads, eps, atol, rtol);
    }
    return report(r, raise_exception);
  }, py::arg("func"), py::arg("inputs"), py::arg("grad_outputs") = py::none(), py::arg("eps") = 1e-6,
        py::arg("atol") = 1e-5, py::arg("rtol") = 1e-3, py::arg("raise_exception") = true);
}

}  // namespace tgpy
