// Shape methods of tensorgrad.Tensor (views where libtorch gives views): reshape,
// view, flatten, squeeze, unsqueeze, expand, permute, transpose, narrow, select.
#include "common.h"

namespace tgpy {

void bind_tensor_shape(py::class_<Tensor>& cls) {
  cls.def("reshape", [](const Tensor& t, py::args shape) { return t.reshape(sizes_from_args(shape, "reshape")); })
      .def("view", [](const Tensor& t, py::args shape) { return t.view(sizes_from_args(shape, "view")); })
      .def("view_as", [](const Tensor& t, const Tensor& other) { return t.view_as(other); })
      .def("reshape_as", [](const Tensor& t, const Tensor& other) { return t.reshape_as(other); })
      .def("flatten", [](const Tensor& t, int64_t start_dim, int64_t end_dim) { return t.flatten(start_dim, end_dim); },
           py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("squeeze", [](const Tensor& t, py::handle dim) {
        return dim.is_none() ? t.squeeze() : t.squeeze(dim.cast<int64_t>());
      }, py::arg("dim") = py::none())
      .def("unsqueeze", [](const Tensor& t, int64_t dim) { return t.unsqueeze(dim); }, py::arg("dim"))
      .def("expand", [](const Tensor& t, py::args sizes) { return t.expand(sizes_from_args(sizes, "expand")); })
      .def("expand_as", [](const Tensor& t, const Tensor& other) { return t.expand_as(other); })
      .def("permute", [](const Tensor& t, py::args dims) { return t.permute(sizes_from_args(dims, "permute")); })
      .def("transpose", [](const Tensor& t, int64_t dim0, int64_t dim1) { return t.transpose(dim0, dim1); },
           py::arg("dim0"), py::arg("dim1"))
      .def("t", [](const Tensor& t) { return t.t(); })
      .def_property_readonly("T", [](const Tensor& t) {
        std::vector<int64_t> dims;
        for (int64_t d = t.dim() - 1; d >= 0; --d) dims.push_back(d);
        return t.permute(dims);
      })
      .def_property_readonly("mT", [](const Tensor& t) { return t.mT(); })
      .def("narrow", [](const Tensor& t, int64_t dim, int64_t start, int64_t length) { return t.narrow(dim, start, length); },
           py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("select", [](const Tensor& t, int64_t dim, int64_t index) { return t.select(dim, index); },
           py::arg("dim"), py::arg("index"))
      .def("index_select", [](const Tensor& t, int64_t dim, const Tensor& index) {
        ReleaseIfLarge r(t.numel());
        return t.index_select(dim, index);
      }, py::arg("dim"), py::arg("index"));
  cls.attr("swapaxes") = cls.attr("transpose");
  cls.attr("swapdims") = cls.attr("transpose");
}

}  // namespace tgpy
