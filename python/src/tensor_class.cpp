// tensorgrad.Tensor: construction, attributes (shape, dtype, requires_grad, grad,
// grad_fn, data), conversions (item, numpy, tolist) and the autograd methods.
#include <memory>
#include <string>

#include "common.h"

namespace tgpy {
namespace {

// What Tensor.register_hook returns: remove() takes the hook off again.
struct RemovableHandle {
  Tensor tensor;
  unsigned id;
  bool removed = false;
  void remove() {
    if (!removed) tensor.remove_hook(id);
    removed = true;
  }
};

// Tensor(), Tensor(2, 3), Tensor([1, 2]) and Tensor(other), as torch.Tensor's legacy
// constructor: data gives a float32 copy, sizes an uninitialised (here zeroed) tensor,
// a tensor an alias of its data.
Tensor construct(const py::args& args) {
  if (args.size() == 0) return tg::empty({0});
  if (args.size() == 1 && is_tensor(args[0])) return unwrap(args[0]).detach();
  if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) return to_tensor(args[0], tg::kFloat);
  return tg::zeros(sizes_from_args(args, "Tensor"));
}

// The one element as a Python number; PyTorch's Python front end raises ValueError
// for other sizes (libtorch's C++ item() a RuntimeError).
tg::Scalar scalar_of(const Tensor& t) {
  if (t.numel() != 1) throw py::value_error("only one element tensors can be converted to Python scalars");
  return t.item();
}

py::object item(const Tensor& t) {
  const tg::Scalar s = scalar_of(t);
  switch (t.dtype()) {
    case tg::kBool: return py::bool_(s.toBool());
    case tg::kLong: return py::int_(s.toLong());
    default: return py::float_(s.toDouble());
  }
}

void set_grad(const Tensor& self, py::handle value) {
  if (value.is_none()) {
    self.mutable_grad() = Tensor();
    return;
  }
  if (!is_tensor(value)) {
    throw py::type_error("assigned grad expected to be a Tensor or None but got grad of type " +
                         py::str(value.get_type().attr("__name__")).cast<std::string>());
  }
  const Tensor& g = unwrap(value);
  if (g.dtype() != self.dtype()) throw py::value_error("assigned grad has data of a different type");
  if (g.sizes() != self.sizes()) throw py::value_error("assigned grad has data of a different size");
  self.mutable_grad() = g;
}

// t.data = other: t keeps its identity (and autograd state) and takes other's data.
void set_data(const Tensor& self, py::handle value) {
  if (!is_tensor(value)) throw py::type_error("Tensor.data must be set to a Tensor");
  tg::TensorImpl* dst = self.unsafeGetTensorImpl();
  const tg::TensorImpl* src = unwrap(value).unsafeGetTensorImpl();
  dst->storage = src->storage;
  dst->storage_offset = src->storage_offset;
  dst->sizes = src->sizes;
  dst->strides = src->strides;
  dst->dtype = src->dtype;
  dst->refresh();
}

void backward(const Tensor& self, py::handle gradient, py::handle retain_graph, bool create_graph, py::handle inputs) {
  Tensor g = gradient.is_none() ? Tensor() : to_tensor(gradient);
  std::optional<bool> retain = retain_graph.is_none() ? std::nullopt : std::optional<bool>(retain_graph.cast<bool>());
  std::vector<Tensor> in;
  if (!inputs.is_none()) {
    if (is_tensor(inputs)) in.push_back(unwrap(inputs));
    else
      for (py::handle h : inputs) in.push_back(unwrap_checked(h));
  }
  py::gil_scoped_release release;
  if (inputs.is_none()) self.backward(g, retain, create_graph);
  else self.backward(g, retain, create_graph, tg::TensorList(in));
}

py::object to(py::object self, const py::args& args, py::handle dtype, bool non_blocking, bool copy) {
  const Tensor& t = unwrap_checked(self);
  std::optional<tg::ScalarType> target = parse_dtype(dtype);
  for (py::handle a : args) {
    if (is_tensor(a)) target = unwrap(a).dtype();
    else if (py::isinstance<py::str>(a)) {
      if (a.cast<std::string>() != "cpu") throw std::runtime_error("tensorgrad runs on the CPU only: cannot move to " + a.cast<std::string>());
    } else target = parse_dtype(a);
  }
  if (!target || (*target == t.dtype() && !copy)) return copy ? wrap(t.clone()) : self;
  return wrap(t.to(*target, non_blocking, copy));
}

}  // namespace

const Tensor& unwrap_checked(py::handle h) {
  if (!is_tensor(h)) {
    throw py::type_error("expected a Tensor, got " + py::str(h.get_type().attr("__name__")).cast<std::string>());
  }
  return unwrap(h);
}

void bind_tensor_class(py::module_& m, py::class_<Tensor>& cls) {
  py::class_<RemovableHandle>(m, "RemovableHandle")
      .def("remove", &RemovableHandle::remove)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](RemovableHandle& h, py::args) { h.remove(); });

  cls.def(py::init(&construct))
      .attr("__array_priority__") = 1000;
  cls.attr("__module__") = "tensorgrad";

  // ---- shape and type ------------------------------------------------------------------------
  cls.def_property_readonly("shape", [](const Tensor& t) { return shape_tuple(t.sizes()); })
      .def("size", [](const Tensor& t, py::handle dim) -> py::object {
        if (dim.is_none()) return shape_tuple(t.sizes());
        return py::int_(t.size(dim.cast<int64_t>()));
      }, py::arg("dim") = py::none())
      .def("dim", method<&Tensor::dim>())
      .def("ndimension", method<&Tensor::dim>())
      .def_property_readonly("ndim", method<&Tensor::dim>())
      .def("numel", method<&Tensor::numel>())
      .def("nelement", method<&Tensor::numel>())
      .def_property_readonly("dtype", [](const Tensor& t) { return dtype_object(t.dtype()); })
      .def("is_floating_point", method<&Tensor::is_floating_point>())
      .def("element_size", method<&Tensor::element_size>())
      .def_property_readonly("itemsize", method<&Tensor::element_size>())
      .def_property_readonly("nbytes", method<&Tensor::nbytes>())
      .def("stride", [](const Tensor& t, py::handle dim) -> py::object {
        if (dim.is_none()) return shape_tuple(t.strides());
        return py::int_(t.stride(dim.cast<int64_t>()));
      }, py::arg("dim") = py::none())
      .def("storage_offset", method<&Tensor::storage_offset>())
      .def("is_contiguous", method<&Tensor::is_contiguous>())
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def_property_readonly("device", [](const Tensor&) { return "cpu"; })
      .def_property_readonly("is_cuda", [](const Tensor&) { return false; })
      .def("cpu", [](py::object self) { return self; })
      .def("is_view_of", [](const Tensor& t, const Tensor& other) { return t.is_view_of(other); })
      .def_property_readonly("_version", method<&Tensor::_version>())
      .def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()); })
      .def("__len__", [](const Tensor& t) {
        if (t.dim() == 0) throw py::type_error("len() of a 0-d tensor");
        return t.size(0);
      });

  // ---- conversions ---------------------------------------------------------------------------
  cls.def("item", &item)
      .def("tolist", [](const Tensor& t) { return to_numpy(t.detach()).attr("tolist")(); })
      .def("numpy", [](const Tensor& t) {
        if (t.requires_grad()) {
          throw std::runtime_error("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
        }
        return to_numpy(t);
      })
      .def("__array__", [](const Tensor& t, py::handle dtype) -> py::object {
        if (t.requires_grad()) {
          throw std::runtime_error("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
        }
        py::array a = to_numpy(t);
        if (dtype.is_none()) return a;
        return a.attr("astype")(dtype, py::arg("copy") = false);
      }, py::arg("dtype") = py::none())
      .def("__float__", [](const Tensor& t) { return scalar_of(t).toDouble(); })
      .def("__int__", [](const Tensor& t) { return scalar_of(t).toLong(); })
      .def("__index__", [](const Tensor& t) {
        if (t.is_floating_point() || t.numel() != 1) {
          throw py::type_error("only integer tensors of a single element can be converted to an index");
        }
        return t.item().toLong();
      })
      .def("__bool__", [](const Tensor& t) {
        if (t.numel() != 1) {
          throw std::runtime_error("Boolean value of Tensor with more than one value is ambiguous");
        }
        return t.item().toBool();
      })
      .def("to", &to, py::arg("dtype") = py::none(), py::arg("non_blocking") = false, py::arg("copy") = false)
      .def("float", [](const Tensor& t) { return t.to(tg::kFloat); })
      .def("double", [](const Tensor& t) { return t.to(tg::kDouble); })
      .def("long", [](const Tensor& t) { return t.to(tg::kLong); })
      .def("bool", [](const Tensor& t) { return t.to(tg::kBool); })
      .def("type_as", [](const Tensor& t, const Tensor& other) { return t.to(other.dtype()); })
      .def("clone", [](const Tensor& t) {
        ReleaseIfLarge r(t.numel());
        return t.clone();
      })
      .def("contiguous", [](py::object self) -> py::object {
        const Tensor& t = unwrap_checked(self);
        if (t.is_contiguous()) return self;
        ReleaseIfLarge r(t.numel());
        return wrap(t.contiguous());
      });

  // ---- autograd ------------------------------------------------------------------------------
  cls.def_property("requires_grad", method<&Tensor::requires_grad>(),
                   [](const Tensor& t, bool r) { const_cast<Tensor&>(t).requires_grad_(r); })
      .def("requires_grad_", [](py::object self, bool r) {
        const_cast<Tensor&>(unwrap_checked(self)).requires_grad_(r);
        return self;
      }, py::arg("requires_grad") = true)
      .def_property("grad", [](const Tensor& t) { return wrap(t.grad()); }, &set_grad)
      .def_property_readonly("grad_fn", [](const Tensor& t) -> py::object {
        const auto& fn = t.grad_fn();
        if (!fn) return py::none();
        return py::cast(fn);
      })
      .def_property_readonly("is_leaf", method<&Tensor::is_leaf>())
      .def("retain_grad", method<&Tensor::retain_grad>())
      .def_property_readonly("retains_grad", method<&Tensor::retains_grad>())
      .def_property_readonly("output_nr", method<&Tensor::output_nr>())
      .def("zero_grad", method<&Tensor::zero_grad>())
      .def("detach", method<&Tensor::detach>())
      .def("detach_", [](py::object self) {
        const_cast<Tensor&>(unwrap_checked(self)).detach_();
        return self;
      })
      .def_property("data", method<&Tensor::detach>(), &set_data)
      .def("backward", &backward, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(),
           py::arg("create_graph") = false, py::arg("inputs") = py::none())
      .def("register_hook", [](const Tensor& t, py::object fn) {
        auto holder = std::make_shared<GilObject>(std::move(fn));
        const unsigned id = t.register_hook([holder](const Tensor& g) -> Tensor {
          py::gil_scoped_acquire gil;
          py::object r = holder->get()(wrap(g));
          if (r.is_none()) return Tensor();
          return unwrap_checked(r);
        });
        return RemovableHandle{t, id};
      });
}

}  // namespace tgpy
