// Reductions of tensorgrad.Tensor with PyTorch's keywords (dim, keepdim, dtype);
// max/min along a dim return (values, indices) named tuples as torch.return_types.
#include <numeric>

#include "common.h"

namespace tgpy {
namespace {

std::vector<int64_t> all_dims(const Tensor& t) {
  std::vector<int64_t> d(static_cast<size_t>(t.dim()));
  std::iota(d.begin(), d.end(), 0);
  return d;
}

template <class Whole, class Along>
Tensor reduce(const Tensor& t, py::handle dim, bool keepdim, py::handle dtype, Whole whole, Along along) {
  const auto dt = parse_dtype(dtype);
  const auto dims = optional_dims(dim);
  ReleaseIfLarge r(t.numel());
  if (!dims) return keepdim ? along(t, all_dims(t), true, dt) : whole(t, dt);
  return along(t, *dims, keepdim, dt);
}

py::object values_indices(const py::object& type, std::tuple<Tensor, Tensor> r) {
  return type(wrap(std::move(std::get<0>(r))), wrap(std::move(std::get<1>(r))));
}

// t.sum() and t.mean() without arguments, the common calls, skip pybind11's dispatcher.
template <Tensor (Tensor::*Whole)(std::optional<tg::ScalarType>) const>
py::object whole_reduction(const Tensor& t, PyObject* const*, Py_ssize_t nargs, PyObject* kwnames) {
  if (nargs != 0 || (kwnames && PyTuple_GET_SIZE(kwnames) != 0)) return py::object();
  Tensor out;
  {
    ReleaseIfLarge r(t.numel());
    out = (t.*Whole)(std::nullopt);
  }
  return wrap(std::move(out));
}

}  // namespace

void bind_tensor_reduce(py::module_& m, py::class_<Tensor>& cls) {
  py::object namedtuple = py::module_::import("collections").attr("namedtuple");
  py::module_ types = m.def_submodule("return_types", "named tuples returned by max/min along a dim");
  types.attr("max") = namedtuple("max", py::make_tuple("values", "indices"));
  types.attr("min") = namedtuple("min", py::make_tuple("values", "indices"));
  const py::object max_type = types.attr("max");
  const py::object min_type = types.attr("min");

  cls.def("sum", [](const Tensor& t, py::handle dim, bool keepdim, py::handle dtype) {
        return reduce(t, dim, keepdim, dtype, [](const Tensor& x, auto dt) { return x.sum(dt); },
                      [](const Tensor& x, const std::vector<int64_t>& d, bool k, auto dt) { return x.sum(d, k, dt); });
      }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none())
      .def("mean", [](const Tensor& t, py::handle dim, bool keepdim, py::handle dtype) {
        return reduce(t, dim, keepdim, dtype, [](const Tensor& x, auto dt) { return x.mean(dt); },
                      [](const Tensor& x, const std::vector<int64_t>& d, bool k, auto dt) { return x.mean(d, k, dt); });
      }, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  def_with_fast_path<whole_reduction<&Tensor::sum>>(cls, "sum");
  def_with_fast_path<whole_reduction<&Tensor::mean>>(cls, "mean");
  cls.def("max", [max_type](const Tensor& t, py::handle dim, bool keepdim) -> py::object {
        if (dim.is_none()) return wrap(t.max());
        if (is_tensor(dim)) return wrap(tg::maximum(t, unwrap(dim)));
        // Python objects are read and made with the GIL held, the reduction without it.
        const auto d = dim.cast<int64_t>();
        std::tuple<Tensor, Tensor> result;
        {
          ReleaseIfLarge r(t.numel());
          result = t.max(d, keepdim);
        }
        return values_indices(max_type, std::move(result));
      }, py::arg("dim") = py::none(), py::arg("keepdim") = false)
      .def("min", [min_type](const Tensor& t, py::handle dim, bool keepdim) -> py::object {
        if (dim.is_none()) return wrap(t.min());
        if (is_tensor(dim)) return wrap(tg::minimum(t, unwrap(dim)));
        // Python objects are read and made with the GIL held, the reduction without it.
        const auto d = dim.cast<int64_t>();
        std::tuple<Tensor, Tensor> result;
        {
          ReleaseIfLarge r(t.numel());
          result = t.min(d, keepdim);
        }
        return values_indices(min_type, std::move(result));
      }, py::arg("dim") = py::none(), py::arg("keepdim") = false)
      .def("amax", [](const Tensor& t, py::handle dim, bool keepdim) {
        const std::vector<int64_t> dims = optional_dims(dim).value_or(std::vector<int64_t>{});
        ReleaseIfLarge r(t.numel());
        return t.amax(dims, keepdim);
      }, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("amin", [](const Tensor& t, py::handle dim, bool keepdim) {
        const std::vector<int64_t> dims = optional_dims(dim).value_or(std::vector<int64_t>{});
        ReleaseIfLarge r(t.numel());
        return t.amin(dims, keepdim);
      }, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("argmax", [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
        ReleaseIfLarge r(t.numel());
        return t.argmax(dim, keepdim);
      }, py::arg("dim") = py::none(), py::arg("keepdim") = false)
      .def("argmin", [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
        ReleaseIfLarge r(t.numel());
        return t.argmin(dim, keepdim);
      }, py::arg("dim") = py::none(), py::arg("keepdim") = false)
      .def("logsumexp", [](const Tensor& t, py::handle dim, bool keepdim) {
        const std::vector<int64_t> dims = int_list(dim, "logsumexp");
        ReleaseIfLarge r(t.numel());
        return t.logsumexp(dims, keepdim);
      }, py::arg("dim"), py::arg("keepdim") = false)
      .def("softmax", [](const Tensor& t, int64_t dim, py::handle dtype) {
        const auto dt = parse_dtype(dtype);
        ReleaseIfLarge r(t.numel());
        return t.softmax(dim, dt);
      }, py::arg("dim"), py::arg("dtype") = py::none())
      .def("log_softmax", [](const Tensor& t, int64_t dim, py::handle dtype) {
        const auto dt = parse_dtype(dtype);
        ReleaseIfLarge r(t.numel());
        return t.log_softmax(dim, dt);
      }, py::arg("dim"), py::arg("dtype") = py::none());
}

}  // namespace tgpy
