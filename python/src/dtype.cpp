// tensorgrad.float32 / float64 / int64 / bool: one Python object per dtype, so
// `t.dtype is tensorgrad.float32` holds, with PyTorch's repr and attributes.
#include <string>

#include "common.h"

namespace tgpy {
namespace {

struct DType {
  tg::ScalarType type;
  const char* name;  // PyTorch's: "float32", "float64", "int64", "bool"
};

DType kDTypes[] = {{tg::kBool, "bool"}, {tg::kLong, "int64"}, {tg::kFloat, "float32"}, {tg::kDouble, "float64"}};

DType& entry(tg::ScalarType t) { return kDTypes[static_cast<int>(t)]; }

}  // namespace

py::object dtype_object(tg::ScalarType t) { return py::cast(&entry(t), py::return_value_policy::reference); }

std::optional<tg::ScalarType> parse_dtype(py::handle h) {
  if (h.is_none()) return std::nullopt;
  if (py::isinstance<DType>(h)) return h.cast<DType&>().type;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return tg::kDouble;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return tg::kLong;
  if (h.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return tg::kBool;
  throw py::type_error("dtype must be tensorgrad.float32, float64, int64 or bool (or Python's float, int, bool), not " +
                       py::repr(h).cast<std::string>());
}

py::dtype numpy_dtype(tg::ScalarType t) {
  // Never freed, as numpy_module() in convert.cpp.
  static const py::dtype* types =
      new py::dtype[4]{py::dtype("bool"), py::dtype("int64"), py::dtype("float32"), py::dtype("float64")};
  return types[static_cast<int>(t)];
}

void bind_dtypes(py::module_& m) {
  py::class_<DType>(m, "dtype")
      .def("__repr__", [](const DType& d) { return std::string("tensorgrad.") + d.name; })
      .def_property_readonly("is_floating_point", [](const DType& d) { return tg::is_floating_point(d.type); })
      .def_property_readonly("itemsize", [](const DType& d) { return tg::element_size(d.type); })
      .def("__reduce__", [](const DType& d) { return py::str(d.name); });
  for (DType& d : kDTypes) m.attr(d.name) = dtype_object(d.type);
  m.attr("float") = dtype_object(tg::kFloat);
  m.attr("double") = dtype_object(tg::kDouble);
  m.attr("long") = dtype_object(tg::kLong);
  m.def("get_default_dtype", [] { return dtype_object(tg::get_default_dtype()); });
  m.def("set_default_dtype", [](py::handle d) {
    auto t = parse_dtype(d);
    if (!t || !tg::is_floating_point(*t)) throw py::type_error("only floating-point types are supported as the default type");
    tg::set_default_dtype(*t);
  });
}

}  // namespace tgpy
