#pragma once
// Free functions of the tg namespace: creation, the differentiable operations
// and comparisons, with libtorch 1.13's names, argument order and defaults.
#include <string>
#include <tuple>
#include <vector>

#include "tensorgrad/tensor.h"

namespace tg {

// ---- creation -----------------------------------------------------------------
namespace detail {
// Holds the nested braced lists given to tg::tensor(...) (1-D to 4-D and deeper).
class TensorDataContainer {
 public:
  TensorDataContainer(bool v) : scalar_(v), type_(kBool) {}  // NOLINT: implicit by design
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  TensorDataContainer(T v) : scalar_(static_cast<int64_t>(v)), type_(kLong) {}  // NOLINT
  template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  TensorDataContainer(T v) : scalar_(static_cast<double>(v)), type_(get_default_dtype()) {}  // NOLINT
  TensorDataContainer(std::initializer_list<TensorDataContainer> list);  // NOLINT
  TensorDataContainer(const std::vector<float>& v);  // NOLINT
  TensorDataContainer(const std::vector<double>& v);  // NOLINT
  TensorDataContainer(const std::vector<int64_t>& v);  // NOLINT
  TensorDataContainer(const std::vector<int>& v);  // NOLINT
  TensorDataContainer(const std::vector<bool>& v);  // NOLINT
  TensorDataContainer(ArrayRef<double> v);  // NOLINT

  Tensor to_tensor(const TensorOptions& options) const;

 private:
  void fill(char* dst, ScalarType dtype, int64_t& pos) const;
  std::vector<int64_t> sizes_;
  Scalar scalar_;
  ScalarType type_;
  std::vector<TensorDataContainer> children_;
  Tensor flat_;  // set when built from a std::vector
  bool is_scalar_ = true;
};
}  // namespace detail

Tensor tensor(detail::TensorDataContainer data, const TensorOptions& options = {});
Tensor empty(IntArrayRef size, const TensorOptions& options = {});
Tensor zeros(IntArrayRef size, const TensorOptions& options = {});
Tensor ones(IntArrayRef size, const TensorOptions& options = {});
Tensor full(IntArrayRef size, const Scalar& fill_value, const TensorOptions& options = {});
// The *_like functions, clone and to(dtype) keep a dense t's strides (libtorch's
// memory format "preserve": zeros_like(x.t()) is transposed); any other t gives a
// contiguous result. Elementwise ops lay their results out in the dim order of
// their inputs' strides, as libtorch's (exp(x.t()) is transposed).
Tensor empty_like(const Tensor& t, const TensorOptions& options = {});
Tensor zeros_like(const Tensor& t, const TensorOptions& options = {});
Tensor ones_like(const Tensor& t, const TensorOptions& options = {});
Tensor full_like(const Tensor& t, const Scalar& fill_value, const TensorOptions& options = {});
Tensor rand(IntArrayRef size, const TensorOptions& options = {});
Tensor randn(IntArrayRef size, const TensorOptions& options = {});
Tensor rand_like(const Tensor& t, const TensorOptions& options = {});
Tensor randn_like(const Tensor& t, const TensorOptions& options = {});
Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& options = kLong);
Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& options = kLong);
Tensor randperm(int64_t n, const TensorOptions& options = kLong);
Tensor bernoulli(const Tensor& probabilities);
Tensor arange(const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& options = {});
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& options = {});
Tensor eye(int64_t n, const TensorOptions& options = {});
Tensor eye(int64_t n, int64_t m, const TensorOptions& options = {});
// Wraps memory the caller owns (no copy); it must outlive the tensor.
Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& options = {});
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& options = {});
// Like from_blob, calling deleter(data) when the last tensor using it is gone.
Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter,
                 const TensorOptions& options = {});

void manual_seed(uint64_t seed);
void set_num_threads(int n);
int get_num_threads();

// ---- arithmetic ------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Scalar& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Scalar& b);
Tensor neg(const Tensor& a);
Tensor pow(const Tensor& base, const Scalar& exponent);
Tensor pow(const Tensor& base, const Tensor& exponent);
Tensor pow(const Scalar& base, const Tensor& exponent);
Tensor square(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor rsqrt(const Tensor& a);
Tensor reciprocal(const Tensor& a);
Tensor erf(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor clamp(const Tensor& a, const optional<Scalar>& min, const optional<Scalar>& max = nullopt);
Tensor clamp_min(const Tensor& a, const Scalar& min);
Tensor clamp_max(const Tensor& a, const Scalar& max);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor gelu(const Tensor& a, const std::string& approximate = "none");
Tensor leaky_relu(const Tensor& a, const Scalar& negative_slope = 0.01);
Tensor prelu(const Tensor& a, const Tensor& weight);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& condition, const Scalar& a, const Scalar& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);

// ---- linear algebra ----------------------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, const Scalar& beta = 1,
             const Scalar& alpha = 1);
Tensor t(const Tensor& a);
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& a, IntArrayRef dims);

// ---- shape ---------------------------------------------------------------------------
Tensor reshape(const Tensor& a, IntArrayRef shape);
Tensor flatten(const Tensor& a, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor squeeze(const Tensor& a);
Tensor squeeze(const Tensor& a, int64_t dim);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor cat(TensorList tensors, int64_t dim = 0);
Tensor stack(TensorList tensors, int64_t dim = 0);
Tensor select(const Tensor& a, int64_t dim, int64_t index);
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length);
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1,
                 bool scale_grad_by_freq = false, bool sparse = false);
Tensor clone(const Tensor& a);

// ---- reductions ------------------------------------------------------------------------
Tensor sum(const Tensor& a, optional<ScalarType> dtype = nullopt);
Tensor sum(const Tensor& a, IntArrayRef dim, bool keepdim = false, optional<ScalarType> dtype = nullopt);
Tensor mean(const Tensor& a, optional<ScalarType> dtype = nullopt);
Tensor mean(const Tensor& a, IntArrayRef dim, bool keepdim = false, optional<ScalarType> dtype = nullopt);
Tensor max(const Tensor& a);
Tensor min(const Tensor& a);
std::tuple<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor amax(const Tensor& a, IntArrayRef dim = {}, bool keepdim = false);
Tensor amin(const Tensor& a, IntArrayRef dim = {}, bool keepdim = false);
Tensor argmax(const Tensor& a, optional<int64_t> dim = nullopt, bool keepdim = false);
Tensor argmin(const Tensor& a, optional<int64_t> dim = nullopt, bool keepdim = false);
Tensor logsumexp(const Tensor& a, IntArrayRef dim, bool keepdim = false);
Tensor softmax(const Tensor& a, int64_t dim, optional<ScalarType> dtype = nullopt);
Tensor log_softmax(const Tensor& a, int64_t dim, optional<ScalarType> dtype = nullopt);

// ---- comparisons -------------------------------------------------------------------------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Scalar& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Scalar& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Scalar& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Scalar& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Scalar& b);
bool equal(const Tensor& a, const Tensor& b);
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false);
Tensor isnan(const Tensor& a);
Tensor isfinite(const Tensor& a);

// The dtype libtorch's type promotion gives an op on these operands.
ScalarType result_type(const Tensor& a, const Tensor& b);
ScalarType result_type(const Tensor& a, const Scalar& b);

}  // namespace tg
