#pragma once
// What the binding files share: the Tensor <-> Python conversions, argument
// parsing in PyTorch's conventions, and the GIL policy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
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
void bind_function(py::module_& m);
void bind_gradcheck(py::module_& m);
void bind_nn(py::module_& m);
void bind_optim(py::module_& m);
void bind_data(py::module_& m);
void bind_serialize(py::module_& m);

}  // namespace tgpy
