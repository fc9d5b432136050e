// Python <-> tensor conversions: wrapping results, reading operands (numbers, lists,
// numpy arrays), shapes and dims, and the zero-copy numpy bridge.
#include <cstring>

#include "common.h"

namespace tgpy {

GilObject::~GilObject() {
  if (!Py_IsInitialized()) {
    obj_.release();  // the interpreter is gone: nothing left to decref into
    return;
  }
  py::gil_scoped_acquire gil;
  obj_ = py::object();
}

namespace {

PyTypeObject* tensor_type() {
  static PyTypeObject* type = reinterpret_cast<PyTypeObject*>(py::detail::get_type_handle(typeid(Tensor), true).ptr());
  return type;
}

// Module-lifetime Python objects are deliberately never freed: a static py::object
// would be decref'd by a C++ static destructor after the interpreter has finalized.
const py::object& numpy_module() {
  static const py::object& np = *new py::object(py::module_::import("numpy"));
  return np;
}

bool is_numpy_scalar(py::handle h) {
  static const py::object& generic = *new py::object(numpy_module().attr("generic"));
  return PyObject_IsInstance(h.ptr(), generic.ptr()) == 1;
}

// The dtype tensorgrad gives a numpy array's data: integers become int64 and
// floats keep their width (float16 widens to float32), as far as our four dtypes go.
tg::ScalarType dtype_of_numpy(const py::dtype& dt, bool from_python_data) {
  const char kind = dt.kind();
  switch (kind) {
    case 'b': return tg::kBool;
    case 'i':
    case 'u': return tg::kLong;
    case 'f':
      // Python floats (numpy makes them float64) take the default dtype, as in PyTorch.
      if (from_python_data) return tg::get_default_dtype();
      return dt.itemsize() == 8 ? tg::kDouble : tg::kFloat;
    default:
      throw py::type_error("can't convert data of numpy type " + py::str(py::handle(dt)).cast<std::string>() +
                           " to a tensor: the supported types are float64, float32, int64 and bool");
  }
}

// Copies a numpy array (any layout) into a new tensor of dtype `dtype`.
Tensor copy_from_numpy(const py::array& a, tg::ScalarType dtype) {
  std::vector<int64_t> sizes(a.shape(), a.shape() + a.ndim());
  Tensor out = tg::empty(sizes, dtype);
  if (out.numel() == 0) return out;
  py::array dst = to_numpy(out);
  numpy_module().attr("copyto")(dst, a, py::arg("casting") = "unsafe");
  return out;
}

}  // namespace

bool is_tensor(py::handle h) { return PyObject_TypeCheck(h.ptr(), tensor_type()); }

const Tensor& unwrap(py::handle h) {
  auto* inst = reinterpret_cast<py::detail::instance*>(h.ptr());
  auto* t = static_cast<Tensor*>(inst->get_value_and_holder().value_ptr());
  if (!t) throw py::type_error("Tensor.__init__ was not called on this object");
  return *t;
}

py::object wrap(Tensor t) { return py::reinterpret_steal<py::object>(new_reference(std::move(t))); }

py::tuple wrap_all(const std::vector<Tensor>& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = wrap(ts[i]);
  return out;
}

bool as_scalar(py::handle h, tg::Scalar& out) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) {
    out = tg::Scalar(o == Py_True);
    return true;
  }
  if (PyLong_Check(o)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) throw std::overflow_error("Overflow when unpacking long");
    out = tg::Scalar(static_cast<int64_t>(v));
    return true;
  }
  if (PyFloat_Check(o)) {
    out = tg::Scalar(PyFloat_AS_DOUBLE(o));
    return true;
  }
  if (is_numpy_scalar(h)) {
    const char kind = h.attr("dtype").cast<py::dtype>().kind();
    if (kind == 'b') out = tg::Scalar(h.cast<bool>());
    else if (kind == 'i' || kind == 'u') out = tg::Scalar(h.cast<int64_t>());
    else if (kind == 'f') out = tg::Scalar(h.cast<double>());
    else return false;
    return true;
  }
  return false;
}

Tensor to_tensor(py::handle data, std::optional<tg::ScalarType> dtype) {
  if (is_tensor(data)) {
    const Tensor& t = unwrap(data);
    return dtype && *dtype != t.dtype() ? t.to(*dtype) : t;
  }
  if (py::isinstance<py::array>(data) || is_numpy_scalar(data)) {
    // numpy data keeps its own dtype (np.float64(1.5) is float64, as in PyTorch).
    py::array a = numpy_module().attr("asarray")(data);
    return copy_from_numpy(a, dtype.value_or(dtype_of_numpy(a.dtype(), false)));
  }
  py::array a = numpy_module().attr("asarray")(data);
  // Python ints from 2^63 up, which numpy holds as uint64: PyTorch refuses them
  // (a copy would wrap 2^63 to -2^63).
  if (a.dtype().kind() == 'u') throw std::runtime_error("Overflow when unpacking long");
  if (a.dtype().kind() == 'O') {
    throw py::type_error("can't convert an object of type " + py::str(data.get_type().attr("__name__")).cast<std::string>() +
                         " to a tensor: expected a number, a (nested) sequence of numbers or a numpy array");
  }
  return copy_from_numpy(a, dtype.value_or(dtype_of_numpy(a.dtype(), true)));
}

Tensor optional_tensor(py::handle h) {
  if (h.is_none()) return Tensor();
  if (!is_tensor(h)) throw py::type_error("expected a Tensor or None");
  return unwrap(h);
}

// ---- shapes ---------------------------------------------------------------------------------
std::vector<int64_t> int_list(py::handle h, const char* what) {
  if (PyLong_Check(h.ptr())) return {h.cast<int64_t>()};
  if (!PySequence_Check(h.ptr()) || is_tensor(h)) {
    throw py::type_error(std::string(what) + "(): argument must be a tuple of ints, but found element of type " +
                         py::str(h.get_type().attr("__name__")).cast<std::string>());
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(h);
  std::vector<int64_t> out;
  out.reserve(seq.size());
  for (py::handle item : seq) {
    if (!PyIndex_Check(item.ptr())) {
      throw py::type_error(std::string(what) + "(): argument must be a tuple of ints, but found element of type " +
                           py::str(item.get_type().attr("__name__")).cast<std::string>());
    }
    out.push_back(PyNumber_AsSsize_t(item.ptr(), PyExc_OverflowError));
    if (PyErr_Occurred()) throw py::error_already_set();
  }
  return out;
}

std::vector<int64_t> sizes_from_args(const py::args& args, const char* what) {
  if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) return int_list(args[0], what);
  std::vector<int64_t> out;
  out.reserve(args.size());
  for (py::handle a : args) {
    if (!PyIndex_Check(a.ptr())) {
      throw py::type_error(std::string(what) + "(): argument must be ints or one tuple of ints, but found " +
                           py::str(a.get_type().attr("__name__")).cast<std::string>());
    }
    out.push_back(PyNumber_AsSsize_t(a.ptr(), PyExc_OverflowError));
    if (PyErr_Occurred()) throw py::error_already_set();
  }
  return out;
}

std::optional<std::vector<int64_t>> optional_dims(py::handle h) {
  if (h.is_none()) return std::nullopt;
  return int_list(h, "dim");
}

py::tuple shape_tuple(tg::IntArrayRef sizes) {
  py::tuple out(sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) out[i] = py::int_(sizes[i]);
  return out;
}

// ---- numpy ---------------------------------------------------------------------------------
py::array to_numpy(const Tensor& t) {
  const auto item = static_cast<int64_t>(t.element_size());
  std::vector<py::ssize_t> shape(t.sizes().begin(), t.sizes().end());
  std::vector<py::ssize_t> strides;
  for (int64_t s : t.strides()) strides.push_back(s * item);
  // The array keeps the storage alive through a capsule owning a Tensor.
  // An alias of its own (detach), not t: `t.data = other` replaces t's storage in
  // place, and the array must keep reading the storage it was made from.
  py::capsule owner(new Tensor(t.detach()), [](void* p) { delete static_cast<Tensor*>(p); });
  void* data = t.data_ptr();
  static char empty_data = 0;
  return py::array(numpy_dtype(t.dtype()), shape, strides, data ? data : &empty_data, owner);
}

Tensor from_numpy(const py::array& a) {
  const tg::ScalarType dtype = [&] {
    const py::dtype dt = a.dtype();
    const char kind = dt.kind();
    if (kind == 'f' && dt.itemsize() == 4) return tg::kFloat;
    if (kind == 'f' && dt.itemsize() == 8) return tg::kDouble;
    if (kind == 'i' && dt.itemsize() == 8) return tg::kLong;
    if (kind == 'b') return tg::kBool;
    throw py::type_error("can't convert np.ndarray of type numpy." + py::str(py::handle(dt)).cast<std::string>() +
                         ". The only supported types are: float64, float32, int64, and bool.");
  }();
  const auto item = static_cast<int64_t>(a.itemsize());
  std::vector<int64_t> sizes(a.shape(), a.shape() + a.ndim());
  std::vector<int64_t> strides;
  int64_t extent = 1;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    const int64_t s = a.strides(d);
    if (s < 0) {
      throw py::value_error(
          "At least one stride in the given numpy array is negative, and tensors with negative strides are not "
          "currently supported. (You can probably work around this by making a copy of your array  with "
          "array.copy().) ");
    }
    if (s % item != 0) {
      throw py::value_error("given numpy array strides not a multiple of the element byte size. Copy the numpy "
                            "array to reallocate the memory.");
    }
    strides.push_back(s / item);
    if (sizes[d] == 0) extent = 0;
    else if (extent) extent += (sizes[d] - 1) * (s / item);
  }
  // The storage holds a reference to the array and drops it (with the GIL) when freed.
  PyObject* owner = a.ptr();
  Py_INCREF(owner);
  auto release = [](void*, void* ctx) {
    if (!Py_IsInitialized()) return;
    py::gil_scoped_acquire gil;
    Py_DECREF(static_cast<PyObject*>(ctx));
  };
  void* data = const_cast<void*>(a.data());
  auto storage = tg::make_intrusive<tg::StorageImpl>(data, static_cast<size_t>(extent * item), release, owner);
  return Tensor(tg::make_intrusive<tg::TensorImpl>(std::move(storage), dtype, sizes, strides, 0));
}

}  // namespace tgpy
