// The fast path from Python to the engine for the calls a training loop makes most
// (operators, indexing, elementwise methods): CPython-level slots and methods on
// tensorgrad.Tensor instead of pybind11's dispatcher, and Python Tensors made
// without pybind11's per-call type lookups. The results, errors and GIL policy
// are those of the pybind11 bindings (common.h: fast paths).
#include <memory>
#include <new>

#include "common.h"

namespace tgpy {
namespace {

const py::detail::type_info* tensor_info() {
  static const py::detail::type_info* info = py::detail::get_type_info(typeid(Tensor), /*throw_if_missing=*/true);
  return info;
}

// A type whose slots are set, so that CPython makes the slot wrappers (`__add__`,
// `__radd__`, `__getitem__`, ...) of its dict: their wrapperbase (CPython's table
// entry for the slot, static) is what a wrapper of Tensor's own needs.
PyObject* dummy_binary(PyObject*, PyObject*) { Py_RETURN_NOTIMPLEMENTED; }
PyObject* dummy_unary(PyObject* o) { return Py_NewRef(o); }

PyTypeObject* slot_template() {
  static PyTypeObject* type = [] {
    static PyType_Slot slots[] = {
        {Py_nb_add, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_subtract, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_multiply, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_true_divide, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_matrix_multiply, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_negative, reinterpret_cast<void*>(&dummy_unary)},
        {Py_nb_absolute, reinterpret_cast<void*>(&dummy_unary)},
        {Py_nb_inplace_add, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_inplace_subtract, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_inplace_multiply, reinterpret_cast<void*>(&dummy_binary)},
        {Py_nb_inplace_true_divide, reinterpret_cast<void*>(&dummy_binary)},
        {Py_mp_subscript, reinterpret_cast<void*>(&dummy_binary)},
        {0, nullptr},
    };
    static PyType_Spec spec = {"tensorgrad._C._SlotTemplate", static_cast<int>(sizeof(PyObject)), 0,
                               Py_TPFLAGS_DEFAULT, slots};
    PyObject* t = PyType_FromSpec(&spec);  // kept for the module's lifetime
    if (!t) throw py::error_already_set();
    return reinterpret_cast<PyTypeObject*>(t);
  }();
  return type;
}

}  // namespace

PyObject* new_reference(Tensor t) {
  if (!t.defined()) return Py_NewRef(Py_None);
  // What pybind11's cast of a returned Tensor does (type_caster_generic::cast with
  // return_value_policy::move, then class_<Tensor>::init_instance), with the
  // type_info looked up once.
  const py::detail::type_info* info = tensor_info();
  auto self = py::reinterpret_steal<py::object>(py::detail::make_new_instance(info->type));
  if (!self) throw py::error_already_set();
  auto* inst = reinterpret_cast<py::detail::instance*>(self.ptr());
  py::detail::value_and_holder v_h = inst->get_value_and_holder(info, /*throw_if_missing=*/true);
  auto* value = new Tensor(std::move(t));
  v_h.value_ptr() = value;
  inst->owned = true;
  py::detail::register_instance(inst, value, info);
  v_h.set_instance_registered();
  new (std::addressof(v_h.holder<std::unique_ptr<Tensor>>())) std::unique_ptr<Tensor>(value);
  v_h.set_holder_constructed();
  return self.release().ptr();
}

void set_python_error() noexcept {
  // pybind11's dispatcher: error_already_set restores its error, anything else goes
  // through the registered translators (module-local first), errors.cpp's included.
  try {
    throw;
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (...) {
    try {
      if (py::detail::apply_exception_translators(py::detail::get_local_internals().registered_exception_translators))
        return;
      if (py::detail::apply_exception_translators(py::detail::get_internals().registered_exception_translators))
        return;
    } catch (...) {
    }
    PyErr_SetString(PyExc_SystemError, "Exception escaped from default exception translator!");
  }
}

void set_slot(py::class_<Tensor>& cls, const char* name, void* fn) {
  PyObject* model = PyDict_GetItemString(slot_template()->tp_dict, name);
  if (!model || !Py_IS_TYPE(model, &PyWrapperDescr_Type)) {
    throw std::logic_error(std::string("tensorgrad: no slot wrapper named ") + name);
  }
  wrapperbase* base = reinterpret_cast<PyWrapperDescrObject*>(model)->d_base;
  auto descr = py::reinterpret_steal<py::object>(
      PyDescr_NewWrapper(reinterpret_cast<PyTypeObject*>(cls.ptr()), base, fn));
  if (!descr) throw py::error_already_set();
  // type.__setattr__ updates the slot (and the slots of subclasses made later
  // inherit it: a slot wrapper in the MRO, unlike a pybind11 function, is taken as is).
  if (PyObject_SetAttrString(cls.ptr(), name, descr.ptr()) != 0) throw py::error_already_set();
}

void set_method(py::class_<Tensor>& cls, PyMethodDef* def) {
  auto descr = py::reinterpret_steal<py::object>(PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(cls.ptr()), def));
  if (!descr) throw py::error_already_set();
  if (PyObject_SetAttrString(cls.ptr(), def->ml_name, descr.ptr()) != 0) throw py::error_already_set();
}

PyObject* call_fallback(PyObject* fn, PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  const Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  std::vector<PyObject*> stack;
  stack.reserve(static_cast<size_t>(1 + nargs + nkw));
  stack.push_back(self);
  stack.insert(stack.end(), args, args + nargs + nkw);
  return PyObject_Vectorcall(fn, stack.data(), static_cast<size_t>(1 + nargs), kwnames);
}

}  // namespace tgpy
