#pragma once
// What the binding files share: the Tensor <-> Python conversions, argument
// parsing in PyTorch's conventions, and the GIL policy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <tensorgrad/tensorgrad.h>

namespace py = pybind11;

// Autograd nodes are intrusively counted: Python holds them through tg::intrusive_ptr.
PYBIND11_DECLARE_HOLDER_TYPE(T, tg::intrusive_ptr<T>, true)

namespace tgpy {

using tg::Tensor;

// ---- the GIL ------------------------------------------------------------------------------
// Releases the GIL for a C++ call whose work (elements touched) is large enough that
// other Python threads should run meanwhile; for small work keeping it is cheaper.
class ReleaseIfLarge {
 public:
  static constexpr int64_t kThreshold = 1 << 15;
  explicit ReleaseIfLarge(int64_t work) {
    if (work >= kThreshold) release_.emplace();
  }

 private:
  std::optional<py::gil_scoped_release> release_;
};

// A Python object owned from C++ code that may drop it without the GIL (a hook kept
// in the graph, freed during a backward that released the GIL).
class GilObject {
 public:
  explicit GilObject(py::object o) : obj_(std::move(o)) {}
  GilObject(const GilObject&) = delete;
  GilObject& operator=(const GilObject&) = delete;
  ~GilObject();
  const py::object& get() const { return obj_; }

 private:
  py::object obj_;
};

// ---- tensors ------------------------------------------------------------------------------
// The Python object for t, or None when t is undefined (no gradient, no grad_fn input).
py::object wrap(Tensor t);
py::tuple wrap_all(const std::vector<Tensor>& ts);
bool is_tensor(py::handle h);
// A Tensor method of no argument, bound with a reference for self: pybind11 passes
// None to a member function pointer's self as a null pointer (Tensor.numel(None)
// crashed); a reference refuses it with an error.
template <auto Method>
auto method() {
  return [](const Tensor& t) { return (t.*Method)(); };
}

// The tensor inside a Python Tensor (the handle must be one: check is_tensor first).
const Tensor& unwrap(py::handle h);
// unwrap() after checking, with a TypeError naming the type otherwise.
const Tensor& unwrap_checked(py::handle h);

// PyTorch's conversion of an operand: a Tensor as is, a Python number as a Scalar,
// anything else (lists, numpy arrays and scalars) through tensorgrad.tensor().
bool as_scalar(py::handle h, tg::Scalar& out);
Tensor to_tensor(py::handle data, std::optional<tg::ScalarType> dtype = std::nullopt);
// Tensor or None (optional arguments such as a bias).
Tensor optional_tensor(py::handle h);

// ---- dtypes -------------------------------------------------------------------------------
// dtype= arguments: a tensorgrad dtype, or Python's float/int/bool; None gives nullopt.
std::optional<tg::ScalarType> parse_dtype(py::handle h);
py::object dtype_object(tg::ScalarType t);
py::dtype numpy_dtype(tg::ScalarType t);

// ---- shapes and dims ----------------------------------------------------------------------
// reshape(2, 3), reshape((2, 3)) and reshape([2, 3]) alike.
std::vector<int64_t> sizes_from_args(const py::args& args, const char* what);
std::vector<int64_t> int_list(py::handle h, const char* what);
// dim=None, an int, or a sequence of ints.
std::optional<std::vector<int64_t>> optional_dims(py::handle h);
py::tuple shape_tuple(tg::IntArrayRef sizes);

// ---- numpy --------------------------------------------------------------------------------
py::array to_numpy(const Tensor& t);
Tensor from_numpy(const py::array& a);

// ---- fast paths (fast.cpp) ------------------------------------------------------------------
// The hottest calls (operators, indexing, elementwise methods) are CPython slots and
// methods of Tensor rather than pybind11 functions: same results, errors and GIL policy,
// without the dispatcher's per-call work.
//
// A new reference to a Python Tensor holding t (None when t is undefined): wrap()
// without pybind11's per-call type lookup.
PyObject* new_reference(Tensor t);
// Inside a catch block: sets the Python error for the exception being handled, as
// pybind11's dispatcher would (error_already_set, then the registered translators).
void set_python_error() noexcept;
// Runs f (returning a new reference, or nullptr with a Python error set) for CPython.
template <class F>
PyObject* guarded(F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    set_python_error();
    return nullptr;
  }
}
// Tensor.<name> = a slot wrapper of fn (name: __add__/__radd__, __sub__/__rsub__,
// __mul__/__rmul__, __truediv__/__rtruediv__, __matmul__/__rmatmul__ with one binaryfunc
// per pair, taking the operands in Python's order; __iadd__, __isub__, __imul__,
// __itruediv__ and __getitem__ (binaryfunc); __neg__, __abs__ (unaryfunc)). The type's
// slot then calls fn directly.
void set_slot(py::class_<Tensor>& cls, const char* name, void* fn);
// Tensor.<def->ml_name> = a method descriptor of def (which must outlive the module).
void set_method(py::class_<Tensor>& cls, PyMethodDef* def);
// Calls fn(self, *args, **kwargs) with a vectorcall's arguments.
PyObject* call_fallback(PyObject* fn, PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);

// A method without arguments: F(self) returns the result (GIL released for large tensors).
template <Tensor (*F)(const Tensor&)>
void def_unary(py::class_<Tensor>& cls, const char* name) {
  static constexpr PyCFunction call = [](PyObject* self, PyObject*) -> PyObject* {
    return guarded([&] {
      const Tensor& a = unwrap(self);
      Tensor out;
      {
        ReleaseIfLarge r(a.numel());
        out = F(a);
      }
      return new_reference(std::move(out));
    });
  };
  // "$self, /" and "--" give the method its __text_signature__, as pybind11's signature line did.
  // Appended, not a chain of operator+: GCC 12 warns falsely (-Warray-bounds) on the
  // chain's moves when it inlines them.
  std::string* doc = new std::string(name);
  doc->append("($self, /)\n--\n\nThe tensor's elementwise ").append(name).append("() (a new tensor).");
  set_method(cls, new PyMethodDef{name, call, METH_NOARGS, doc->c_str()});
}

// Replaces the pybind11 method `name` (already defined) by one that first tries
// Fast(self, args, nargs, kwnames): a null object declines the call, which then goes
// to the pybind11 method (other arguments, keywords, their errors).
template <py::object (*Fast)(const Tensor&, PyObject* const*, Py_ssize_t, PyObject*)>
void def_with_fast_path(py::class_<Tensor>& cls, const char* name) {
  static PyObject* fallback = nullptr;  // one per instantiation, never freed (module lifetime)
  fallback = py::object(cls.attr(name)).release().ptr();
  const char* doc = (new std::string(py::str(py::handle(fallback).attr("__doc__"))))->c_str();  // pybind11's signatures
  auto call = [](PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) -> PyObject* {
    bool declined = false;
    PyObject* r = guarded([&]() -> PyObject* {
      py::object out = Fast(unwrap(self), args, nargs, kwnames);
      declined = !out;
      return out.release().ptr();
    });
    return declined ? call_fallback(fallback, self, args, nargs, kwnames) : r;
  };
  set_method(cls, new PyMethodDef{name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(+call)),
                                  METH_FASTCALL | METH_KEYWORDS, doc});
}

// ---- registration, one per file ----------------------------------------------------------
void bind_errors(py::module_& m);
void bind_dtypes(py::module_& m);
void bind_tensor_class(py::module_& m, py::class_<Tensor>& cls);
void bind_tensor_math(py::class_<Tensor>& cls);
void bind_tensor_shape(py::class_<Tensor>& cls);
void bind_tensor_reduce(py::module_& m, py::class_<Tensor>& cls);
void bind_indexing(py::class_<Tensor>& cls);
void bind_creation(py::module_& m);
void bind_autograd(py::module_& m);
void bind_tape(py::module_& m);
void bind_function(py::module_& m);
void bind_gradcheck(py::module_& m);
void bind_nn(py::module_& m);
void bind_optim(py::module_& m);
void bind_data(py::module_& m);
void bind_serialize(py::module_& m);

}  // namespace tgpy
