// t[key] and t[key] = value with Python's keys: ints, slices, None, Ellipsis,
// bools, integer/bool tensors (and lists or arrays of them), and tuples of these.
#include <sstream>
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
    const std::optional<int64_t> step = slice_part(s->step);
    // ValueErrors, as PyTorch's (the C++ index() raises a RuntimeError).
    if (step && *step == 0) throw py::value_error("slice step cannot be zero");
    if (step && *step < 0) throw py::value_error("step must be greater than zero");
    return TensorIndex(tg::indexing::Slice(slice_part(s->start), slice_part(s->stop), step));
  }
  if (PyIndex_Check(o) && !py::isinstance<py::array>(h)) {
    const Py_ssize_t i = PyNumber_AsSsize_t(o, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) throw py::error_already_set();
    return TensorIndex(static_cast<int64_t>(i));
  }
  if (PyList_Check(o) || py::isinstance<py::array>(h)) return TensorIndex(to_tensor(h));
  const std::string message = "only integers, slices (`:`), ellipsis (`...`), None, bools, and long or bool tensors "
                              "are valid indices (got " + py::str(h.get_type().attr("__name__")).cast<std::string>() + ")";
  // As PyTorch's: a str is a TypeError, any other object (a float) an IndexError.
  if (py::isinstance<py::str>(h)) throw py::type_error(message);
  throw py::index_error(message);
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
  if (as_scalar(value, s)) {
    self.copy_(tg::where(mask, s, self));
    return true;
  }
  const Tensor values = to_tensor(value).to(self.dtype());
  if (values.numel() == 1) {
    self.copy_(tg::where(mask, values.reshape({}), self));
    return true;
  }
  // The values fill the true positions in order (where() alone would broadcast
  // them over the whole shape): element k of the mask takes value number
  // rank[k], the count of true elements before it.
  const Tensor flat_mask = mask.reshape({-1}).contiguous();
  const bool* m = flat_mask.data_ptr<bool>();
  Tensor rank = tg::empty({flat_mask.numel()}, tg::kLong);
  int64_t* r = rank.data_ptr<int64_t>();
  int64_t count = 0;
  for (int64_t k = 0; k < flat_mask.numel(); ++k) r[k] = m[k] ? count++ : 0;
  if (values.dim() != 1 || values.size(0) != count) {
    std::ostringstream msg;
    msg << "shape mismatch: value tensor of shape " << values.sizes()
        << " cannot be broadcast to indexing result of shape [" << count << "]";
    throw std::runtime_error(msg.str());
  }
  if (count == 0) return true;
  self.copy_(tg::where(mask, values.index_select(0, rank).view(self.sizes()), self));
  return true;
}

// t[key]. An int or a slice alone (t[i], t[a:b]) is a select or slice of dim 0, made
// directly, without a list of indices; what they would raise (0-dim tensors,
// out-of-range ints, steps <= 0) is left to index(), as for every other key.
Tensor get_item(const Tensor& t, py::handle key) {
  PyObject* k = key.ptr();
  if (PyLong_CheckExact(k)) {
    int overflow = 0;
    const long long i = PyLong_AsLongLongAndOverflow(k, &overflow);
    if (!overflow && t.dim() > 0 && i >= -t.size(0) && i < t.size(0)) return t.select(0, i);
    if (overflow) throw std::runtime_error("Overflow when unpacking long");  // PyTorch's error
    return t.index({TensorIndex(static_cast<int64_t>(i))});
  } else if (PySlice_Check(k) && t.dim() > 0) {
    auto* s = reinterpret_cast<PySliceObject*>(k);
    const std::optional<int64_t> step = slice_part(s->step);
    if (step.value_or(1) > 0) return t.slice(0, slice_part(s->start), slice_part(s->stop), step.value_or(1));
  }
  const auto indices = parse_key(key);
  ReleaseIfLarge r(t.numel());
  return t.index(indices);
}

PyObject* getitem_slot(PyObject* self, PyObject* key) {
  return guarded([&] { return new_reference(get_item(unwrap(self), key)); });
}

// The sequence protocol's t[i] (iteration: for row in t), as t.__getitem__(i).
PyObject* sq_item_slot(PyObject* self, Py_ssize_t i) {
  return guarded([&] {
    const Tensor& t = unwrap(self);
    if (t.dim() > 0 && i >= -t.size(0) && i < t.size(0)) return new_reference(t.select(0, i));
    return new_reference(t.index({TensorIndex(static_cast<int64_t>(i))}));
  });
}

}  // namespace

void bind_indexing(py::class_<Tensor>& cls) {
  set_slot(cls, "__getitem__", reinterpret_cast<void*>(&getitem_slot));
  // A slot wrapper of __getitem__ sets the mapping slot only; Tensor is a sequence too
  // (iterable over dim 0, as with a pybind11 __getitem__, which CPython gives both).
  reinterpret_cast<PyTypeObject*>(cls.ptr())->tp_as_sequence->sq_item = &sq_item_slot;
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
