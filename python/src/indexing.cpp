// t[key] and t[key] = value with Python's keys: ints, slices, None, Ellipsis,
// bools, integer/bool tensors (and lists or arrays of them), and tuples of these.
#include <string>

#include "common.h"

namespace tgpy {
namespace {

using tg::indexing::TensorIndex;

std::optional<int64_t> slice_part(PyObject* v) {
  if (v == Py_None) return std::nullopt;
  const Py_ssize_t i = PyNumber_AsSsize_t(v, PyExc_OverflowError);
  if (i == -1 && PyErr_Occurred()) throw py::error_already_set();
  return static_cast<int64_t>(i);
}

TensorIndex one_index(py::handle h) {
  PyObject* o = h.ptr();
  if (o == Py_None) return TensorIndex(tg::indexing::None);
  if (o == Py_Ellipsis) return TensorIndex(tg::indexing::Ellipsis);
  if (PyBool_Check(o)) return TensorIndex(o == Py_True);
  if (is_tensor(h)) return TensorIndex(unwrap(h));
  if (PySlice_Check(o)) {
    auto* s = reinterpret_cast<PySliceObject*>(o);
    return TensorIndex(tg::indexing::Slice(slice_part(s->start), slice_part(s->stop), slice_part(s->step)));
  }
  if (PyIndex_Check(o) && !py::isinstance<py::array>(h)) {
    const Py_ssize_t i = PyNumber_AsSsize_t(o, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) throw py::error_already_set();
    return TensorIndex(static_cast<int64_t>(i));
  }
  if (PyList_Check(o) || py::isinstance<py::array>(h)) return TensorIndex(to_tensor(h));
  throw py::type_error("only integers, slices (`:`), ellipsis (`...`), None, bools, and long or bool tensors are "
                       "valid indices (got " + py::str(h.get_type().attr("__name__")).cast<std::string>() + ")");
}

std::vector<TensorIndex> parse_key(py::handle key) {
  std::vector<TensorIndex> out;
  if (PyTuple_Check(key.ptr())) {
    for (py::handle h : py::reinterpret_borrow<py::tuple>(key)) out.push_back(one_index(h));
  } else {
    out.push_back(one_index(key));
  }
  return out;
}

// x[mask] = v with a bool mask of x's shape: x takes v where the mask is set.
bool assign_masked(Tensor& self, const std::vector<TensorIndex>& key, py::handle value) {
  if (key.size() != 1 || !key[0].is_tensor()) return false;
  const Tensor& mask = key[0].tensor();
  if (mask.dtype() != tg::kBool || mask.sizes() != self.sizes()) return false;
  tg::Scalar s;
  Tensor merged = as_scalar(value, s) ? tg::where(mask, s, self) : tg::where(mask, to_tensor(value).to(self.dtype()), self);
  self.copy_(merged);
  return true;
}

}  // namespace

void bind_indexing(py::class_<Tensor>& cls) {
  cls.def("__getitem__", [](const Tensor& t, py::handle key) {
    // The common t[i] skips building a list.
    if (PyLong_CheckExact(key.ptr())) return t.index({TensorIndex(key.cast<int64_t>())});
    const auto indices = parse_key(key);
    ReleaseIfLarge r(t.numel());
    return t.index(indices);
  });
  cls.def("__setitem__", [](const Tensor& self, py::handle key, py::handle value) {
    Tensor& t = const_cast<Tensor&>(self);
    const auto indices = parse_key(key);
    if (assign_masked(t, indices, value)) return;
    tg::Scalar s;
    if (as_scalar(value, s)) {
      t.index_put_(indices, s);
    } else {
      t.index_put_(indices, to_tensor(value));
    }
  });
}

}  // namespace tgpy
