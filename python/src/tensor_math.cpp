// Arithmetic on tensorgrad.Tensor: the Python operators (plain, reflected and
// in-place), the elementwise methods, comparisons and matrix products.
#include <algorithm>
#include <string>

#include "common.h"

namespace tgpy {
namespace {

py::object not_implemented() { return py::reinterpret_borrow<py::object>(Py_NotImplemented); }

// Whether a non-tensor, non-number operand converts to a tensor (lists, tuples,
// numpy arrays); other types leave the operator to the other operand's method.
bool convertible(py::handle h) {
  return PyList_Check(h.ptr()) || PyTuple_Check(h.ptr()) || py::isinstance<py::array>(h);
}

tg::Scalar scalar_arg(py::handle h, const char* what) {
  tg::Scalar s;
  if (!as_scalar(h, s)) {
    throw py::type_error(std::string(what) + " must be a number, not " +
                         py::str(h.get_type().attr("__name__")).cast<std::string>());
  }
  return s;
}

enum Flags : unsigned {
  kOperator = 1,     // unsupported operands give NotImplemented, not a TypeError
  kWrapNumbers = 2,  // Python numbers become 0-dim tensors, as PyTorch's "wrapped numbers"
};

// PyTorch's Python front end passes a number to +, -, *, / as a 0-dim tensor, so
// x * 2 records MulBackward0 (libtorch's C++ x * 2 records MulBackward1). Where the
// number cannot change the result's dtype, it becomes a 0-dim tensor of a's dtype,
// which computes the same values and records PyTorch's nodes.
bool wrap_number(const Tensor& a, const tg::Scalar& s, unsigned flags, Tensor& out) {
  if (!(flags & kWrapNumbers) || tg::result_type(a, s) != a.dtype()) return false;
  // Converted unchecked, as a tensor is (x + 1e39 is inf, where full() would raise).
  out = a.dtype() == tg::kFloat ? tg::full({}, s, tg::kDouble).to(tg::kFloat) : tg::full({}, s, a.dtype());
  return true;
}

// A binary op with a tensor or a number on the right. Unsupported operands give
// NotImplemented for operators (Python then tries the reflected method) and a
// TypeError for named methods.
template <class OnTensor, class OnScalar>
py::object binary(const Tensor& a, py::handle b, unsigned flags, OnTensor on_tensor, OnScalar on_scalar) {
  tg::Scalar s;
  Tensor out, wrapped;
  if (is_tensor(b)) {
    const Tensor& bt = unwrap(b);
    ReleaseIfLarge r(std::max(a.numel(), bt.numel()));
    out = on_tensor(a, bt);
  } else if (as_scalar(b, s)) {
    ReleaseIfLarge r(a.numel());
    out = wrap_number(a, s, flags, wrapped) ? on_tensor(a, wrapped) : on_scalar(a, s);
  } else if (convertible(b)) {
    Tensor bt = to_tensor(b);
    ReleaseIfLarge r(std::max(a.numel(), bt.numel()));
    out = on_tensor(a, bt);
  } else if (flags & kOperator) {
    return not_implemented();
  } else {
    throw py::type_error("expected a Tensor or a number, got " + py::str(b.get_type().attr("__name__")).cast<std::string>());
  }
  return wrap(std::move(out));
}

// The in-place form: runs on self's tensor and returns self itself.
template <class OnTensor, class OnScalar>
py::object inplace(py::object self, py::handle b, OnTensor on_tensor, OnScalar on_scalar) {
  Tensor& a = const_cast<Tensor&>(unwrap_checked(self));
  tg::Scalar s;
  Tensor wrapped;
  if (is_tensor(b)) {
    on_tensor(a, unwrap(b));
  } else if (as_scalar(b, s)) {
    if (wrap_number(a, s, kWrapNumbers, wrapped)) on_tensor(a, wrapped);
    else on_scalar(a, s);
  } else {
    on_tensor(a, to_tensor(b));
  }
  return self;
}

template <class F>
auto unary(F f) {
  return [f](const Tensor& a) {
    ReleaseIfLarge r(a.numel());
    return f(a);
  };
}

// The elementwise methods without arguments (CPython methods: def_unary).
Tensor unary_neg(const Tensor& a) { return a.neg(); }
Tensor unary_abs(const Tensor& a) { return a.abs(); }
Tensor unary_exp(const Tensor& a) { return a.exp(); }
Tensor unary_log(const Tensor& a) { return a.log(); }
Tensor unary_sqrt(const Tensor& a) { return a.sqrt(); }
Tensor unary_rsqrt(const Tensor& a) { return a.rsqrt(); }
Tensor unary_reciprocal(const Tensor& a) { return a.reciprocal(); }
Tensor unary_square(const Tensor& a) { return a.square(); }
Tensor unary_erf(const Tensor& a) { return a.erf(); }
Tensor unary_sign(const Tensor& a) { return a.sign(); }
Tensor unary_tanh(const Tensor& a) { return a.tanh(); }
Tensor unary_sigmoid(const Tensor& a) { return a.sigmoid(); }
Tensor unary_relu(const Tensor& a) { return a.relu(); }
Tensor unary_logical_not(const Tensor& a) { return tg::logical_not(a); }
Tensor unary_isnan(const Tensor& a) { return tg::isnan(a); }
Tensor unary_isfinite(const Tensor& a) { return tg::isfinite(a); }

constexpr auto add_t = [](const Tensor& a, const Tensor& b) { return tg::add(a, b); };
constexpr auto add_s = [](const Tensor& a, const tg::Scalar& b) { return tg::add(a, b); };
constexpr auto sub_t = [](const Tensor& a, const Tensor& b) { return tg::sub(a, b); };
constexpr auto sub_s = [](const Tensor& a, const tg::Scalar& b) { return tg::sub(a, b); };
constexpr auto mul_t = [](const Tensor& a, const Tensor& b) { return tg::mul(a, b); };
constexpr auto mul_s = [](const Tensor& a, const tg::Scalar& b) { return tg::mul(a, b); };
constexpr auto div_t = [](const Tensor& a, const Tensor& b) { return tg::div(a, b); };
constexpr auto div_s = [](const Tensor& a, const tg::Scalar& b) { return tg::div(a, b); };
constexpr auto pow_t = [](const Tensor& a, const Tensor& b) { return tg::pow(a, b); };
constexpr auto pow_s = [](const Tensor& a, const tg::Scalar& b) { return tg::pow(a, b); };

// The operators, as self.__op__(other) and self.__rop__(other).
py::object add_op(const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, add_t, add_s); }
py::object sub_op(const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, sub_t, sub_s); }
py::object rsub_op(const Tensor& a, py::handle b) {
  return binary(a, b, kOperator, [](const Tensor& x, const Tensor& y) { return tg::sub(y, x); },
                [](const Tensor& x, const tg::Scalar& y) { return tg::rsub(x, y); });
}
py::object mul_op(const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, mul_t, mul_s); }
py::object div_op(const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, div_t, div_s); }
// PyTorch computes other / t as t.reciprocal() * other.
py::object rdiv_op(const Tensor& a, py::handle b) {
  return binary(a, b, kOperator | kWrapNumbers, [](const Tensor& x, const Tensor& y) { return x.reciprocal() * y; },
                [](const Tensor& x, const tg::Scalar& y) { return x.reciprocal() * y; });
}

// One slot function serves an operator and its reflected form: CPython passes the
// operands in the expression's order (t + x, and x + t when x gives up; t.__radd__(x)
// passes (x, t)), so whichever is not a Tensor is the other operand.
template <py::object (*Op)(const Tensor&, py::handle), py::object (*ROp)(const Tensor&, py::handle)>
PyObject* binary_slot(PyObject* v, PyObject* w) {
  return guarded([&]() -> PyObject* {
    if (is_tensor(v)) return Op(unwrap(v), w).release().ptr();
    if (is_tensor(w)) return ROp(unwrap(w), v).release().ptr();
    return Py_NewRef(Py_NotImplemented);
  });
}

template <py::object (*Op)(const Tensor&, py::handle), py::object (*ROp)(const Tensor&, py::handle)>
void def_operator(py::class_<Tensor>& cls, const char* name, const char* rname) {
  void* fn = reinterpret_cast<void*>(&binary_slot<Op, ROp>);
  set_slot(cls, name, fn);
  set_slot(cls, rname, fn);
}

py::object iadd_op(py::object self, py::handle b) {
  return inplace(self, b, [](Tensor& x, const Tensor& y) { x.add_(y); }, [](Tensor& x, const tg::Scalar& y) { x.add_(y); });
}
py::object isub_op(py::object self, py::handle b) {
  return inplace(self, b, [](Tensor& x, const Tensor& y) { x.sub_(y); }, [](Tensor& x, const tg::Scalar& y) { x.sub_(y); });
}
py::object imul_op(py::object self, py::handle b) {
  return inplace(self, b, [](Tensor& x, const Tensor& y) { x.mul_(y); }, [](Tensor& x, const tg::Scalar& y) { x.mul_(y); });
}
py::object idiv_op(py::object self, py::handle b) {
  return inplace(self, b, [](Tensor& x, const Tensor& y) { x.div_(y); }, [](Tensor& x, const tg::Scalar& y) { x.div_(y); });
}

// t += x: CPython calls the in-place slot of t's type only, so self is the Tensor.
template <py::object (*Op)(py::object, py::handle)>
PyObject* inplace_slot(PyObject* self, PyObject* other) {
  return guarded([&]() -> PyObject* {
    if (!is_tensor(self)) return Py_NewRef(Py_NotImplemented);
    return Op(py::reinterpret_borrow<py::object>(self), other).release().ptr();
  });
}

template <Tensor (*F)(const Tensor&)>
PyObject* unary_slot(PyObject* self) {
  return guarded([&] {
    const Tensor& a = unwrap(self);
    Tensor out;
    {
      ReleaseIfLarge r(a.numel());
      out = F(a);
    }
    return new_reference(std::move(out));
  });
}

void bind_arithmetic(py::class_<Tensor>& cls) {
  def_operator<add_op, add_op>(cls, "__add__", "__radd__");
  def_operator<sub_op, rsub_op>(cls, "__sub__", "__rsub__");
  def_operator<mul_op, mul_op>(cls, "__mul__", "__rmul__");
  def_operator<div_op, rdiv_op>(cls, "__truediv__", "__rtruediv__");
  set_slot(cls, "__neg__", reinterpret_cast<void*>(&unary_slot<unary_neg>));
  set_slot(cls, "__abs__", reinterpret_cast<void*>(&unary_slot<unary_abs>));
  set_slot(cls, "__iadd__", reinterpret_cast<void*>(&inplace_slot<iadd_op>));
  set_slot(cls, "__isub__", reinterpret_cast<void*>(&inplace_slot<isub_op>));
  set_slot(cls, "__imul__", reinterpret_cast<void*>(&inplace_slot<imul_op>));
  set_slot(cls, "__itruediv__", reinterpret_cast<void*>(&inplace_slot<idiv_op>));
  cls.def("__pow__", [=](const Tensor& a, py::handle b, py::handle) { return binary(a, b, kOperator, pow_t, pow_s); },
           py::arg("other"), py::arg("modulo") = py::none())
      .def("__rpow__", [](const Tensor& a, py::handle b) {
        return binary(a, b, kOperator | kWrapNumbers, [](const Tensor& x, const Tensor& y) { return tg::pow(y, x); },
                      [](const Tensor& x, const tg::Scalar& y) { return tg::pow(y, x); });
      })
      .def("__invert__", unary([](const Tensor& a) { return ~a; }));

  // Named methods: add(other, *, alpha=1) and friends.
  cls.def("add", [](const Tensor& a, py::handle b, py::handle alpha) {
        const tg::Scalar k = scalar_arg(alpha, "alpha");
        return binary(a, b, kWrapNumbers, [&](const Tensor& x, const Tensor& y) { return tg::add(x, y, k); },
                      [&](const Tensor& x, const tg::Scalar& y) { return tg::add(x, y, k); });
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("sub", [](const Tensor& a, py::handle b, py::handle alpha) {
        const tg::Scalar k = scalar_arg(alpha, "alpha");
        return binary(a, b, kWrapNumbers, [&](const Tensor& x, const Tensor& y) { return tg::sub(x, y, k); },
                      [&](const Tensor& x, const tg::Scalar& y) { return tg::sub(x, y, k); });
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("mul", [=](const Tensor& a, py::handle b) { return binary(a, b, kWrapNumbers, mul_t, mul_s); })
      .def("div", [=](const Tensor& a, py::handle b, py::handle rounding_mode) {
        if (!rounding_mode.is_none()) throw py::value_error("tensorgrad's div supports rounding_mode=None only");
        return binary(a, b, kWrapNumbers, div_t, div_s);
      }, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none())
      .def("pow", [=](const Tensor& a, py::handle b) { return binary(a, b, 0, pow_t, pow_s); })
      .def("maximum", [](const Tensor& a, const Tensor& b) { return tg::maximum(a, b); })
      .def("minimum", [](const Tensor& a, const Tensor& b) { return tg::minimum(a, b); })
      .def("where", [](const Tensor& a, const Tensor& condition, py::handle other) {
        tg::Scalar s;
        if (as_scalar(other, s)) return tg::where(condition, a, s);
        return tg::where(condition, a, to_tensor(other));
      })
      .def("clamp", [](const Tensor& a, py::handle min, py::handle max) {
        // The bounds are read with the GIL held; tensor bounds are elementwise
        // maximum/minimum (tensorgrad's clamp takes numbers).
        Tensor min_tensor, max_tensor;
        std::optional<tg::Scalar> lo, hi;
        if (is_tensor(min)) min_tensor = unwrap(min);
        else if (!min.is_none()) lo = scalar_arg(min, "min");
        if (is_tensor(max)) max_tensor = unwrap(max);
        else if (!max.is_none()) hi = scalar_arg(max, "max");
        const bool neither = min.is_none() && max.is_none();
        ReleaseIfLarge r(a.numel());
        Tensor out = a;
        if (min_tensor.defined()) out = tg::maximum(out, min_tensor);
        if (max_tensor.defined()) out = tg::minimum(out, max_tensor);
        // With neither bound, clamp raises libtorch's error.
        if (lo || hi || neither) out = out.clamp(lo, hi);
        return out;
      }, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clamp_min", [](const Tensor& a, py::handle v) { return a.clamp_min(scalar_arg(v, "min")); })
      .def("clamp_max", [](const Tensor& a, py::handle v) { return a.clamp_max(scalar_arg(v, "max")); });
  cls.attr("clip") = cls.attr("clamp");

  def_unary<unary_neg>(cls, "neg");
  def_unary<unary_abs>(cls, "abs");
  def_unary<unary_exp>(cls, "exp");
  def_unary<unary_log>(cls, "log");
  def_unary<unary_sqrt>(cls, "sqrt");
  def_unary<unary_rsqrt>(cls, "rsqrt");
  def_unary<unary_reciprocal>(cls, "reciprocal");
  def_unary<unary_square>(cls, "square");
  def_unary<unary_erf>(cls, "erf");
  def_unary<unary_sign>(cls, "sign");
  def_unary<unary_tanh>(cls, "tanh");
  def_unary<unary_sigmoid>(cls, "sigmoid");
  def_unary<unary_relu>(cls, "relu");
  def_unary<unary_logical_not>(cls, "logical_not");
  def_unary<unary_isnan>(cls, "isnan");
  def_unary<unary_isfinite>(cls, "isfinite");
  cls.attr("negative") = cls.attr("neg");
  cls.attr("absolute") = cls.attr("abs");
}

void bind_inplace(py::class_<Tensor>& cls) {
  cls.def("add_", [](py::object self, py::handle b, py::handle alpha) {
        const tg::Scalar k = scalar_arg(alpha, "alpha");
        return inplace(self, b, [&](Tensor& x, const Tensor& y) { x.add_(y, k); }, [&](Tensor& x, const tg::Scalar& y) { x.add_(y, k); });
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("sub_", [](py::object self, py::handle b, py::handle alpha) {
        const tg::Scalar k = scalar_arg(alpha, "alpha");
        return inplace(self, b, [&](Tensor& x, const Tensor& y) { x.sub_(y, k); }, [&](Tensor& x, const tg::Scalar& y) { x.sub_(y, k); });
      }, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("mul_", [](py::object self, py::handle b) {
        return inplace(self, b, [](Tensor& x, const Tensor& y) { x.mul_(y); }, [](Tensor& x, const tg::Scalar& y) { x.mul_(y); });
      })
      .def("div_", [](py::object self, py::handle b) {
        return inplace(self, b, [](Tensor& x, const Tensor& y) { x.div_(y); }, [](Tensor& x, const tg::Scalar& y) { x.div_(y); });
      })
      .def("zero_", [](py::object self) {
        Tensor& t = const_cast<Tensor&>(unwrap_checked(self));
        ReleaseIfLarge r(t.numel());
        t.zero_();
        return self;
      })
      .def("fill_", [](py::object self, py::handle value) {
        Tensor& t = const_cast<Tensor&>(unwrap_checked(self));
        t.fill_(is_tensor(value) ? unwrap(value).item() : scalar_arg(value, "fill value"));
        return self;
      })
      .def("copy_", [](py::object self, py::handle src, bool non_blocking) {
        Tensor& t = const_cast<Tensor&>(unwrap_checked(self));
        Tensor s = to_tensor(src);
        ReleaseIfLarge r(t.numel());
        t.copy_(s, non_blocking);
        return self;
      }, py::arg("src"), py::arg("non_blocking") = false);
}

void bind_comparisons(py::class_<Tensor>& cls) {
  auto def_cmp = [&](const char* op, const char* name, auto on_tensor, auto on_scalar) {
    cls.def(op, [=](const Tensor& a, py::handle b) { return binary(a, b, kOperator, on_tensor, on_scalar); });
    cls.def(name, [=](const Tensor& a, py::handle b) { return binary(a, b, 0, on_tensor, on_scalar); });
  };
  def_cmp("__eq__", "eq", [](const Tensor& a, const Tensor& b) { return tg::eq(a, b); },
          [](const Tensor& a, const tg::Scalar& b) { return tg::eq(a, b); });
  def_cmp("__ne__", "ne", [](const Tensor& a, const Tensor& b) { return tg::ne(a, b); },
          [](const Tensor& a, const tg::Scalar& b) { return tg::ne(a, b); });
  def_cmp("__lt__", "lt", [](const Tensor& a, const Tensor& b) { return tg::lt(a, b); },
          [](const Tensor& a, const tg::Scalar& b) { return tg::lt(a, b); });
  def_cmp("__le__", "le", [](const Tensor& a, const Tensor& b) { return tg::le(a, b); },
          [](const Tensor& a, const tg::Scalar& b) { return tg::le(a, b); });
  def_cmp("__gt__", "gt", [](const Tensor& a, const Tensor& b) { return tg::gt(a, b); },
          [](const Tensor& a, const tg::Scalar& b) { return tg::gt(a, b); });
  def_cmp("__ge__", "ge", [](const Tensor& a, const Tensor& b) { return tg::ge(a, b); },
          [](const Tensor& a, const tg::Scalar& b) { return tg::ge(a, b); });
  cls.def("equal", [](const Tensor& a, const Tensor& b) { return tg::equal(a, b); })
      .def("allclose", [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
        return tg::allclose(a, b, rtol, atol, equal_nan);
      }, py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
}

// The work of a product, to decide whether to release the GIL.
int64_t product_work(const Tensor& a, const Tensor& b) { return a.numel() * (b.dim() >= 2 ? b.size(-1) : 1); }

Tensor matmul_gil(const Tensor& a, const Tensor& b) {
  ReleaseIfLarge r(product_work(a, b));
  return tg::matmul(a, b);
}

py::object matmul_op(const Tensor& a, py::handle b) {
  if (is_tensor(b)) return wrap(matmul_gil(a, unwrap(b)));
  if (convertible(b)) return wrap(matmul_gil(a, to_tensor(b)));
  return not_implemented();
}

py::object rmatmul_op(const Tensor& a, py::handle b) {
  if (convertible(b)) return wrap(matmul_gil(to_tensor(b), a));
  return not_implemented();
}

void bind_products(py::class_<Tensor>& cls) {
  def_operator<matmul_op, rmatmul_op>(cls, "__matmul__", "__rmatmul__");
  cls.def("matmul", &matmul_gil)
      .def("mm", [](const Tensor& a, const Tensor& b) {
        ReleaseIfLarge r(product_work(a, b));
        return a.mm(b);
      })
      .def("bmm", [](const Tensor& a, const Tensor& b) {
        ReleaseIfLarge r(product_work(a, b));
        return a.bmm(b);
      });
}

}  // namespace

void bind_tensor_math(py::class_<Tensor>& cls) {
  bind_arithmetic(cls);
  bind_inplace(cls);
  bind_comparisons(cls);
  bind_products(cls);
}

}  // namespace tgpy
