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
  out = tg::full({}, s, a.dtype());
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
  Tensor& a = const_cast<Tensor&>(unwrap(self));
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

void bind_arithmetic(py::class_<Tensor>& cls) {
  auto add_t = [](const Tensor& a, const Tensor& b) { return tg::add(a, b); };
  auto add_s = [](const Tensor& a, const tg::Scalar& b) { return tg::add(a, b); };
  auto sub_t = [](const Tensor& a, const Tensor& b) { return tg::sub(a, b); };
  auto sub_s = [](const Tensor& a, const tg::Scalar& b) { return tg::sub(a, b); };
  auto mul_t = [](const Tensor& a, const Tensor& b) { return tg::mul(a, b); };
  auto mul_s = [](const Tensor& a, const tg::Scalar& b) { return tg::mul(a, b); };
  auto div_t = [](const Tensor& a, const Tensor& b) { return tg::div(a, b); };
  auto div_s = [](const Tensor& a, const tg::Scalar& b) { return tg::div(a, b); };
  auto pow_t = [](const Tensor& a, const Tensor& b) { return tg::pow(a, b); };
  auto pow_s = [](const Tensor& a, const tg::Scalar& b) { return tg::pow(a, b); };

  cls.def("__add__", [=](const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, add_t, add_s); })
      .def("__radd__", [=](const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, add_t, add_s); })
      .def("__sub__", [=](const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, sub_t, sub_s); })
      .def("__rsub__", [](const Tensor& a, py::handle b) {
        return binary(a, b, kOperator, [](const Tensor& x, const Tensor& y) { return tg::sub(y, x); },
                      [](const Tensor& x, const tg::Scalar& y) { return tg::rsub(x, y); });
      })
      .def("__mul__", [=](const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, mul_t, mul_s); })
      .def("__rmul__", [=](const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, mul_t, mul_s); })
      .def("__truediv__", [=](const Tensor& a, py::handle b) { return binary(a, b, kOperator | kWrapNumbers, div_t, div_s); })
      // PyTorch computes other / t as t.reciprocal() * other.
      .def("__rtruediv__", [](const Tensor& a, py::handle b) {
        return binary(a, b, kOperator | kWrapNumbers, [](const Tensor& x, const Tensor& y) { return x.reciprocal() * y; },
                      [](const Tensor& x, const tg::Scalar& y) { return x.reciprocal() * y; });
      })
      .def("__pow__", [=](const Tensor& a, py::handle b, py::handle) { return binary(a, b, kOperator, pow_t, pow_s); },
           py::arg("other"), py::arg("modulo") = py::none())
      .def("__rpow__", [](const Tensor& a, py::handle b) {
        return binary(a, b, kOperator | kWrapNumbers, [](const Tensor& x, const Tensor& y) { return tg::pow(y, x); },
                      [](const Tensor& x, const tg::Scalar& y) { return tg::pow(y, x); });
      })
      .def("__iadd__", [](py::object self, py::handle b) {
        return inplace(self, b, [](Tensor& x, const Tensor& y) { x.add_(y); }, [](Tensor& x, const tg::Scalar& y) { x.add_(y); });
      })
      .def("__isub__", [](py::object self, py::handle b) {
        return inplace(self, b, [](Tensor& x, const Tensor& y) { x.sub_(y); }, [](Tensor& x, const tg::Scalar& y) { x.sub_(y); });
      })
      .def("__imul__", [](py::object self, py::handle b) {
        return inplace(self, b, [](Tensor& x, const Tensor& y) { x.mul_(y); }, [](Tensor& x, const tg::Scalar& y) { x.mul_(y); });
      })
      .def("__itruediv__", [](py::object self, py::handle b) {
        return inplace(self, b, [](Tensor& x, const Tensor& y) { x.div_(y); }, [](Tensor& x, const tg::Scalar& y) { x.div_(y); });
      })
      .def("__neg__", unary([](const Tensor& a) { return a.neg(); }))
      .def("__abs__", unary([](const Tensor& a) { return a.abs(); }))
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
        ReleaseIfLarge r(a.numel());
        // Tensor bounds are elementwise maximum/minimum (tensorgrad's clamp takes numbers).
        Tensor out = a;
        std::optional<tg::Scalar> lo, hi;
        if (is_tensor(min)) out = tg::maximum(out, unwrap(min));
        else if (!min.is_none()) lo = scalar_arg(min, "min");
        if (is_tensor(max)) out = tg::minimum(out, unwrap(max));
        else if (!max.is_none()) hi = scalar_arg(max, "max");
        // With neither bound, clamp raises libtorch's error.
        if (lo || hi || (min.is_none() && max.is_none())) out = out.clamp(lo, hi);
        return out;
      }, py::arg("min") = py::none(), py::arg("max") = py::none())
      .def("clamp_min", [](const Tensor& a, py::handle v) { return a.clamp_min(scalar_arg(v, "min")); })
      .def("clamp_max", [](const Tensor& a, py::handle v) { return a.clamp_max(scalar_arg(v, "max")); });
  cls.attr("clip") = cls.attr("clamp");

  cls.def("neg", unary([](const Tensor& a) { return a.neg(); }))
      .def("abs", unary([](const Tensor& a) { return a.abs(); }))
      .def("exp", unary([](const Tensor& a) { return a.exp(); }))
      .def("log", unary([](const Tensor& a) { return a.log(); }))
      .def("sqrt", unary([](const Tensor& a) { return a.sqrt(); }))
      .def("rsqrt", unary([](const Tensor& a) { return a.rsqrt(); }))
      .def("reciprocal", unary([](const Tensor& a) { return a.reciprocal(); }))
      .def("square", unary([](const Tensor& a) { return a.square(); }))
      .def("erf", unary([](const Tensor& a) { return a.erf(); }))
      .def("sign", unary([](const Tensor& a) { return a.sign(); }))
      .def("tanh", unary([](const Tensor& a) { return a.tanh(); }))
      .def("sigmoid", unary([](const Tensor& a) { return a.sigmoid(); }))
      .def("relu", unary([](const Tensor& a) { return a.relu(); }))
      .def("logical_not", unary([](const Tensor& a) { return tg::logical_not(a); }))
      .def("isnan", unary([](const Tensor& a) { return tg::isnan(a); }))
      .def("isfinite", unary([](const Tensor& a) { return tg::isfinite(a); }));
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
        Tensor& t = const_cast<Tensor&>(unwrap(self));
        ReleaseIfLarge r(t.numel());
        t.zero_();
        return self;
      })
      .def("fill_", [](py::object self, py::handle value) {
        Tensor& t = const_cast<Tensor&>(unwrap(self));
        t.fill_(is_tensor(value) ? unwrap(value).item() : scalar_arg(value, "fill value"));
        return self;
      })
      .def("copy_", [](py::object self, py::handle src, bool non_blocking) {
        Tensor& t = const_cast<Tensor&>(unwrap(self));
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

void bind_products(py::class_<Tensor>& cls) {
  auto matmul = [](const Tensor& a, const Tensor& b) {
    ReleaseIfLarge r(product_work(a, b));
    return tg::matmul(a, b);
  };
  cls.def("matmul", matmul)
      .def("__matmul__", [=](const Tensor& a, py::handle b) -> py::object {
        if (is_tensor(b)) return wrap(matmul(a, unwrap(b)));
        if (convertible(b)) return wrap(matmul(a, to_tensor(b)));
        return not_implemented();
      })
      .def("__rmatmul__", [=](const Tensor& a, py::handle b) -> py::object {
        if (convertible(b)) return wrap(matmul(to_tensor(b), a));
        return not_implemented();
      })
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
