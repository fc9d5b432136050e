// tensorgrad.autograd.Function subclasses written in Python: Function.apply runs
// the static forward(ctx, *args) with grad mode off and records one custom node
// (tensorgrad's CustomFunctionNode, named "<Class>Backward") whose backward calls
// the static backward(ctx, *grads) with the GIL held.
//
// The node keeps the Python ctx alive through a zero-element tensor in its
// saved_data whose storage deleter drops the reference (taking the GIL), so the
// ctx lives exactly as long as the node, whoever frees the node.
#include <string>

#include "common.h"

namespace tgpy {
namespace {

using tg::autograd::AutogradContext;

constexpr const char* kCtxKey = "tensorgrad.python_ctx";

// The ctx object forward and backward receive. Valid while its node lives (or,
// without a node, during forward only); attributes set on it are kept.
struct FunctionCtx {
  AutogradContext* ctx = nullptr;
  py::object cls;
  py::tuple needs_input_grad;

  AutogradContext& get() const {
    if (!ctx) throw std::runtime_error("this Function's context is no longer valid (its graph was freed)");
    return *ctx;
  }
};

std::vector<Tensor> tensors_of(const py::args& args) {
  std::vector<Tensor> out;
  for (py::handle h : args) out.push_back(h.is_none() ? Tensor() : unwrap_checked(h));
  return out;
}

void drop_ctx(void*, void* py_ctx) {
  if (!Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  auto* obj = static_cast<PyObject*>(py_ctx);
  py::handle(obj).cast<FunctionCtx&>().ctx = nullptr;
  Py_DECREF(obj);
}

// Ties the Python ctx to the node: the node's saved_data owns a reference.
void attach(AutogradContext& ctx, const py::object& py_ctx) {
  PyObject* obj = py_ctx.ptr();
  Py_INCREF(obj);
  auto storage = tg::make_intrusive<tg::StorageImpl>(obj, 0, &drop_ctx, obj);
  ctx.saved_data[kCtxKey] = tg::autograd::IValue(
      Tensor(tg::make_intrusive<tg::TensorImpl>(std::move(storage), tg::kFloat, std::vector<int64_t>{0},
                                                std::vector<int64_t>{1}, 0)));
}

tg::autograd::variable_list python_backward(AutogradContext* ctx, tg::autograd::variable_list grads) {
  py::gil_scoped_acquire gil;
  auto* obj = static_cast<PyObject*>(ctx->saved_data.at(kCtxKey).toTensor().data_ptr());
  py::handle py_ctx(obj);
  const FunctionCtx& fc = py_ctx.cast<const FunctionCtx&>();
  py::tuple args(grads.size() + 1);
  args[0] = py_ctx;
  for (size_t i = 0; i < grads.size(); ++i) args[i + 1] = wrap(grads[i]);
  py::object result = fc.cls.attr("backward")(*args);
  tg::autograd::variable_list out;
  if (PyTuple_Check(result.ptr()) || PyList_Check(result.ptr())) {
    for (py::handle h : result) out.push_back(h.is_none() ? Tensor() : unwrap_checked(h));
  } else {
    out.push_back(result.is_none() ? Tensor() : unwrap_checked(result));
  }
  return out;
}

py::object apply(py::object cls, const py::args& args) {
  std::vector<Tensor> held;
  held.reserve(args.size());
  std::vector<const Tensor*> tensors;
  std::vector<int> arg_to_edge;
  for (py::handle a : args) {
    if (is_tensor(a)) {
      arg_to_edge.push_back(static_cast<int>(tensors.size()));
      held.push_back(unwrap(a));
      tensors.push_back(&held.back());
    } else {
      arg_to_edge.push_back(-1);
    }
  }
  const std::string name = py::str(cls.attr("__name__")).cast<std::string>() + "Backward";
  AutogradContext local;
  AutogradContext* ctx = &local;
  auto node = tg::autograd::FunctionApply::begin(name.c_str(), &python_backward, tensors, arg_to_edge, &ctx);

  py::tuple needs(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    needs[i] = py::bool_(node && arg_to_edge[i] >= 0 && node->needs_input_grad(static_cast<size_t>(arg_to_edge[i])));
  }
  py::object py_ctx = py::cast(FunctionCtx{ctx, cls, needs});
  // Unless the node takes it, ctx points at `local` (or at a node that dies with
  // this call): a ctx that forward kept must not outlive it, also when forward
  // or the checks below raise.
  struct InvalidateUnlessAttached {
    py::handle py_ctx;
    bool attached = false;
    ~InvalidateUnlessAttached() {
      if (!attached) py_ctx.cast<FunctionCtx&>().ctx = nullptr;
    }
  } invalidate{py_ctx};
  py::tuple forward_args(args.size() + 1);
  forward_args[0] = py_ctx;
  for (size_t i = 0; i < args.size(); ++i) forward_args[i + 1] = args[i];

  py::object result;
  {
    tg::AutoGradMode no_grad(false);
    result = cls.attr("forward")(*forward_args);
  }
  const bool single = is_tensor(result);
  if (!single && !PyTuple_Check(result.ptr()) && !PyList_Check(result.ptr())) {
    throw py::type_error(name.substr(0, name.size() - 8) + ".forward must return a Tensor or a tuple of Tensors");
  }
  std::vector<Tensor> outputs;
  if (single) outputs.push_back(unwrap(result));
  else
    for (py::handle h : result) outputs.push_back(unwrap_checked(h));
  tg::autograd::FunctionApply::finish(node.get(), tensors, outputs);
  if (node) {
    attach(node->ctx, py_ctx);
    invalidate.attached = true;
  }
  return single ? wrap(outputs[0]) : py::object(wrap_all(outputs));
}

}  // namespace

void bind_function(py::module_& m) {
  py::class_<FunctionCtx>(m, "FunctionCtx", py::dynamic_attr())
      .def("save_for_backward", [](FunctionCtx& c, py::args tensors) { c.get().save_for_backward(tensors_of(tensors)); })
      .def_property_readonly("saved_tensors", [](const FunctionCtx& c) { return wrap_all(c.get().get_saved_variables()); })
      .def_property_readonly("needs_input_grad", [](const FunctionCtx& c) { return c.needs_input_grad; })
      .def("mark_dirty", [](FunctionCtx& c, py::args tensors) { c.get().mark_dirty(tensors_of(tensors)); })
      .def("mark_non_differentiable",
           [](FunctionCtx& c, py::args tensors) { c.get().mark_non_differentiable(tensors_of(tensors)); })
      .def("set_materialize_grads", [](FunctionCtx& c, bool value) { c.get().set_materialize_grads(value); });
  m.def("_function_apply", &apply);
}

}  // namespace tgpy
