// Creating tensors: tg::tensor from nested lists, filled and random tensors,
// ranges, from_blob.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "core/random.h"
#include "core/shape.h"
#include "kernels/dispatch.h"
#include "kernels/elementwise.h"
#include "kernels/vec_math.h"
#include "ops/ops_internal.h"

namespace tg {
namespace {

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

void check_sizes(IntArrayRef size) {
  for (int64_t s : size)
    TG_CHECK(s >= 0, "Trying to create tensor with negative dimension ", s, ": ", size);
}

}  // namespace

// ---- tg::tensor ------------------------------------------------------------------
namespace detail {

TensorDataContainer::TensorDataContainer(std::initializer_list<TensorDataContainer> list)
    : scalar_(int64_t(0)), type_(kLong), is_scalar_(false) {
  children_.assign(list.begin(), list.end());
  sizes_.push_back(static_cast<int64_t>(children_.size()));
  if (children_.empty()) {
    type_ = get_default_dtype();
    return;
  }
  const auto& first = children_.front();
  for (const auto& c : children_) {
    TG_CHECK(c.sizes_ == first.sizes_, "Expected all sub-lists to have sizes: ", IntArrayRef(first.sizes_),
             " (e.g. ", first.sizes_.size(), "-D), but got sub-list with sizes: ", IntArrayRef(c.sizes_));
    TG_CHECK(c.type_ == first.type_, "Expected all elements of the tensor to have the same scalar type: ",
             first.type_, ", but got element of scalar type: ", c.type_);
  }
  type_ = first.type_;
  sizes_.insert(sizes_.end(), first.sizes_.begin(), first.sizes_.end());
}

// The values are kept in DTYPE (no rounding before an explicit dtype applies); the
// tensor's dtype without options is libtorch's: the default dtype for float and
// double vectors (as for floating literals), int64 for integers.
#define TG_VECTOR_CONTAINER(T, DTYPE, INFERRED)                                               \
  TensorDataContainer::TensorDataContainer(const std::vector<T>& v)                           \
      : scalar_(int64_t(0)), type_(INFERRED), is_scalar_(false) {                             \
    sizes_.push_back(static_cast<int64_t>(v.size()));                                         \
    flat_ = ops::empty({static_cast<int64_t>(v.size())}, DTYPE);                              \
    kernels::visit(DTYPE, [&](auto tag) {                                                     \
      using D = decltype(tag);                                                                \
      D* p = flat_.data_ptr<D>();                                                             \
      for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<D>(v[i]);                      \
    });                                                                                       \
  }
TG_VECTOR_CONTAINER(float, kFloat, get_default_dtype())
TG_VECTOR_CONTAINER(double, kDouble, get_default_dtype())
TG_VECTOR_CONTAINER(int64_t, kLong, kLong)
TG_VECTOR_CONTAINER(int, kLong, kLong)
TG_VECTOR_CONTAINER(bool, kBool, kBool)
#undef TG_VECTOR_CONTAINER

TensorDataContainer::TensorDataContainer(ArrayRef<double> v) : TensorDataContainer(v.vec()) {}

void TensorDataContainer::fill(char* dst, ScalarType dtype, int64_t& pos) const {
  if (is_scalar_) {
    kernels::visit(dtype, [&](auto tag) {
      using D = decltype(tag);
      reinterpret_cast<D*>(dst)[pos++] = scalar_.to<D>();
    });
    return;
  }
  if (flat_.defined()) {
    Tensor src = ops::cast(flat_, dtype);
    std::memcpy(dst + pos * element_size(dtype), src.data_ptr(), src.nbytes());
    pos += src.numel();
    return;
  }
  for (const auto& c : children_) c.fill(dst, dtype, pos);
}

Tensor TensorDataContainer::to_tensor(const TensorOptions& options) const {
  ScalarType dtype = options.has_dtype() ? options.dtype() : type_;
  Tensor t = ops::empty(sizes_, dtype);
  int64_t pos = 0;
  fill(static_cast<char*>(t.data_ptr()), dtype, pos);
  return t;
}

}  // namespace detail

Tensor tensor(detail::TensorDataContainer data, const TensorOptions& options) {
  return finish(data.to_tensor(options), options);
}

// ---- filled tensors -------------------------------------------------------------------
Tensor empty(IntArrayRef size, const TensorOptions& options) {
  check_sizes(size);
  return finish(ops::empty(size, options.dtype()), options);
}

Tensor full(IntArrayRef size, const Scalar& value, const TensorOptions& options) {
  check_sizes(size);
  ScalarType dtype = options.has_dtype() ? options.dtype()
                     : value.isFloatingPoint() ? get_default_dtype()
                                               : value.type();
  Tensor t = ops::empty(size, dtype);
  ops::fill_raw(t, value);
  return finish(t, options);
}

Tensor zeros(IntArrayRef size, const TensorOptions& options) {
  check_sizes(size);
  Tensor t = ops::empty(size, options.dtype());
  std::memset(t.data_ptr(), 0, t.nbytes());
  return finish(t, options);
}

Tensor ones(IntArrayRef size, const TensorOptions& options) { return full(size, 1, options.dtype(options.dtype())); }

namespace {
TensorOptions like(const Tensor& t, const TensorOptions& options) {
  return options.has_dtype() ? options : options.dtype(t.dtype());
}

// make(sizes, options) laid out as t, as libtorch's default memory format for the
// *_like functions, preserve: a dense t's result has t's strides (x.t()'s is
// transposed); any other t's is contiguous. Random values are drawn in memory
// order either way.
template <class Make>
Tensor made_like(const Tensor& t, const TensorOptions& o, const Make& make) {
  const TensorOptions options = like(t, o);
  if (t.is_contiguous() || !ops::is_non_overlapping_and_dense(t)) return make(t.sizes(), options);
  const Tensor contiguous = make(t.sizes(), options.requires_grad(false));
  return finish(ops::alias(contiguous, t.sizes(), t.strides(), 0), options);
}
}  // namespace

Tensor empty_like(const Tensor& t, const TensorOptions& o) {
  return made_like(t, o, [](IntArrayRef s, const TensorOptions& opt) { return empty(s, opt); });
}
Tensor zeros_like(const Tensor& t, const TensorOptions& o) {
  return made_like(t, o, [](IntArrayRef s, const TensorOptions& opt) { return zeros(s, opt); });
}
Tensor ones_like(const Tensor& t, const TensorOptions& o) {
  return made_like(t, o, [](IntArrayRef s, const TensorOptions& opt) { return ones(s, opt); });
}
Tensor full_like(const Tensor& t, const Scalar& v, const TensorOptions& o) {
  return made_like(t, o, [&v](IntArrayRef s, const TensorOptions& opt) { return full(s, v, opt); });
}
Tensor rand_like(const Tensor& t, const TensorOptions& o) {
  return made_like(t, o, [](IntArrayRef s, const TensorOptions& opt) { return rand(s, opt); });
}
Tensor randn_like(const Tensor& t, const TensorOptions& o) {
  return made_like(t, o, [](IntArrayRef s, const TensorOptions& opt) { return randn(s, opt); });
}

// ---- random ----------------------------------------------------------------------------
Tensor rand(IntArrayRef size, const TensorOptions& options) {
  check_sizes(size);
  Tensor t = ops::empty(size, options.dtype());
  kernels::visit_floating(t.dtype(), "rand", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data_ptr<T>();
    core::Generator::global().with([&](auto& eng) {
      // 24 (float) or 53 (double) random bits scaled into [0, 1).
      constexpr int bits = std::is_same_v<T, float> ? 24 : 53;
      for (int64_t i = 0; i < t.numel(); ++i)
        p[i] = static_cast<T>(static_cast<double>(eng() >> (64 - bits)) * std::ldexp(1.0, -bits));
      return 0;
    });
  });
  return finish(t, options);
}

Tensor randn(IntArrayRef size, const TensorOptions& options) {
  check_sizes(size);
  Tensor t = ops::empty(size, options.dtype());
  kernels::visit_floating(t.dtype(), "randn", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data_ptr<T>();
    const int64_t n = t.numel();
    core::Generator::global().with([&](auto& eng) {
      // Box-Muller: two uniforms, u1 in (0, 1] and u2 in [0, 1), give two
      // independent normals. The uniforms are drawn a block of pairs at a time
      // and transformed in vector lanes (vec_log, vec_sincos_turns): with libm's
      // log, cos and sin per pair, 1M normals took 16 ms, libtorch's 3.
      constexpr int64_t kPairs = 256;
      double u1[kPairs], u2[kPairs], first[kPairs], second[kPairs];
      for (int64_t start = 0; start < n; start += 2 * kPairs) {
        const int64_t pairs = std::min(kPairs, (n - start + 1) / 2);
        for (int64_t k = 0; k < pairs; ++k) {
          u1[k] = (static_cast<double>(eng() >> 11) + 1.0) * 0x1.0p-53;
          u2[k] = static_cast<double>(eng() >> 11) * 0x1.0p-53;
        }
        for (int64_t k = 0; k < pairs; ++k) {
          const double r = std::sqrt(-2.0 * kernels::vec_log(u1[k]));
          double sine, cosine;
          kernels::vec_sincos_turns(u2[k], sine, cosine);
          first[k] = r * cosine;
          second[k] = r * sine;
        }
        for (int64_t k = 0; k < pairs; ++k) {
          p[start + 2 * k] = static_cast<T>(first[k]);
          if (start + 2 * k + 1 < n) p[start + 2 * k + 1] = static_cast<T>(second[k]);
        }
      }
      return 0;
    });
  });
  return finish(t, options);
}

Tensor randint(int64_t high, IntArrayRef size, const TensorOptions& options) { return randint(0, high, size, options); }

Tensor randint(int64_t low, int64_t high, IntArrayRef size, const TensorOptions& options) {
  check_sizes(size);
  TG_CHECK(low < high, "random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  if (options.dtype() == kBool) {  // libtorch's bounds: the values must be bools, not cast to them
    TG_CHECK(low >= 0 && low <= 1, "from is out of bounds for bool");
    TG_CHECK(high - 1 <= 1, "to - 1 is out of bounds for bool");
  }
  Tensor t = ops::empty(size, kLong);
  int64_t* p = t.data_ptr<int64_t>();
  core::Generator::global().with([&](auto& eng) {
    std::uniform_int_distribution<int64_t> dist(low, high - 1);
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(eng);
    return 0;
  });
  return finish(options.dtype() == kLong ? t : ops::cast(t, options.dtype()), options);
}

Tensor randperm(int64_t n, const TensorOptions& options) {
  TG_CHECK(n >= 0, "n must be non-negative, got", n);
  Tensor t = ops::empty({n}, kLong);
  int64_t* p = t.data_ptr<int64_t>();
  std::iota(p, p + n, int64_t(0));
  core::Generator::global().with([&](auto& eng) {
    for (int64_t i = n - 1; i > 0; --i) {
      std::uniform_int_distribution<int64_t> dist(0, i);
      std::swap(p[i], p[dist(eng)]);
    }
    return 0;
  });
  return finish(options.dtype() == kLong ? t : ops::cast(t, options.dtype()), options);
}

Tensor bernoulli(const Tensor& probabilities) {
  Tensor p = ops::contiguous_raw(probabilities);
  Tensor out = ops::empty(p.sizes(), p.dtype());
  kernels::visit_floating(p.dtype(), "bernoulli", [&](auto tag) {
    using T = decltype(tag);
    const T* in = p.data_ptr<T>();
    T* o = out.data_ptr<T>();
    // libtorch's check and message; NaN fails it too.
    TG_CHECK(std::all_of(in, in + p.numel(), [](T v) { return v >= T(0) && v <= T(1); }),
             "Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
    core::Generator::global().with([&](auto& eng) {
      // The uniforms a block at a time, then compared in vector lanes: a branch
      // per element mispredicted at p = 0.5 (dropout of 1M floats took 10 ms).
      constexpr int64_t kBlock = 512;
      double u[kBlock];
      for (int64_t start = 0; start < p.numel(); start += kBlock) {
        const int64_t count = std::min(kBlock, p.numel() - start);
        for (int64_t k = 0; k < count; ++k) u[k] = static_cast<double>(eng() >> 11) * 0x1.0p-53;
        for (int64_t k = 0; k < count; ++k) o[start + k] = static_cast<T>(u[k] < static_cast<double>(in[start + k]));
      }
      return 0;
    });
  });
  return out;
}

// ---- ranges -------------------------------------------------------------------------------
Tensor arange(const Scalar& end, const TensorOptions& options) { return arange(0, end, 1, options); }
Tensor arange(const Scalar& start, const Scalar& end, const TensorOptions& options) {
  return arange(start, end, 1, options);
}

// As libtorch's arange_out: the bounds and step are first converted to the
// output's type (truncated, for int64), and the length is ceil((end - start) /
// step) of the converted values.
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, const TensorOptions& options) {
  const bool floating = start.isFloatingPoint() || end.isFloatingPoint() || step.isFloatingPoint();
  ScalarType dtype = options.has_dtype() ? options.dtype() : floating ? get_default_dtype() : kLong;
  TG_CHECK(dtype != kBool, "\"arange_cpu\" not implemented for 'Bool'");
  const bool integral = dtype == kLong;
  const int64_t first = integral ? start.toLong() : 0, last = integral ? end.toLong() : 0;
  const int64_t stride = integral ? step.toLong() : 0;
  const double s = integral ? static_cast<double>(first) : start.toDouble();
  const double e = integral ? static_cast<double>(last) : end.toDouble();
  const double st = integral ? static_cast<double>(stride) : step.toDouble();
  // end - start in int64 (wrapping, as libtorch's) before it is rounded to a double.
  const double span = integral ? static_cast<double>(static_cast<int64_t>(static_cast<uint64_t>(last) -
                                                                          static_cast<uint64_t>(first)))
                               : e - s;
  TG_CHECK(st != 0, "step must be nonzero");
  TG_CHECK(std::isfinite(s) && std::isfinite(e), "unsupported range: ", s, " -> ", e);
  TG_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), "upper bound and larger bound inconsistent with step sign");
  const double length = std::ceil(span / st);
  TG_CHECK(length >= 0 && length <= static_cast<double>(std::numeric_limits<int64_t>::max()),
           "invalid size, possible overflow?");
  const auto n = static_cast<int64_t>(length);
  Tensor t = ops::empty({n}, dtype);
  kernels::visit(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data_ptr<T>();
    // The scalars are read once, outside the loop, so that it vectorises.
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, int64_t>) p[i] = first + i * stride;
      else p[i] = static_cast<T>(s + static_cast<double>(i) * st);
    }
  });
  return finish(t, options);
}

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, const TensorOptions& options) {
  TG_CHECK(steps >= 0, "number of steps must be non-negative");
  Tensor t = ops::empty({steps}, options.dtype());
  double s = start.toDouble(), e = end.toDouble();
  double step = steps > 1 ? (e - s) / static_cast<double>(steps - 1) : 0;
  kernels::visit(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data_ptr<T>();
    // Fill from both ends, as libtorch does, so the last value is exactly `end`
    // (a single step is `start`).
    const int64_t half = steps == 1 ? 1 : steps / 2;
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(i < half ? s + step * static_cast<double>(i)
                                     : e - step * static_cast<double>(steps - 1 - i));
  });
  return finish(t, options);
}

Tensor eye(int64_t n, const TensorOptions& options) { return eye(n, n, options); }
Tensor eye(int64_t n, int64_t m, const TensorOptions& options) {
  TG_CHECK(n >= 0, "n must be greater or equal to 0, got ", n);
  TG_CHECK(m >= 0, "m must be greater or equal to 0, got ", m);
  Tensor t = zeros({n, m}, options.dtype(options.dtype()));
  kernels::visit(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  return finish(t, options);
}

// ---- external memory ------------------------------------------------------------------------
namespace {
// The number of elements the blob spans, after checking the sizes, the strides and
// the pointer.
int64_t blob_extent(const void* data, IntArrayRef sizes, IntArrayRef strides) {
  check_sizes(sizes);
  TG_CHECK(sizes.size() == strides.size(), "from_blob: sizes ", sizes, " and strides ", strides,
           " must have the same length");
  int64_t extent = 1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    TG_CHECK(strides[i] >= 0, "from_blob: negative strides are not supported");
    if (sizes[i] == 0) extent = 0;
    else if (extent) extent += (sizes[i] - 1) * strides[i];
  }
  TG_CHECK(data != nullptr || extent == 0, "from_blob: the data pointer is null, but sizes ", sizes, " need ",
           extent, " elements");
  return extent;
}

Tensor wrap_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& options,
                 StorageImpl::Deleter deleter, void* context) {
  const int64_t extent = blob_extent(data, sizes, strides);
  ScalarType dtype = options.dtype();
  auto storage = make_intrusive<StorageImpl>(data, static_cast<size_t>(extent) * element_size(dtype), deleter, context);
  return finish(Tensor(make_intrusive<TensorImpl>(std::move(storage), dtype, sizes, strides, 0)), options);
}
}  // namespace

Tensor from_blob(void* data, IntArrayRef sizes, const TensorOptions& options) {
  return wrap_blob(data, sizes, core::contiguous_strides(sizes), options, nullptr, nullptr);
}

Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, const TensorOptions& options) {
  return wrap_blob(data, sizes, strides, options, nullptr, nullptr);
}

Tensor from_blob(void* data, IntArrayRef sizes, const std::function<void(void*)>& deleter,
                 const TensorOptions& options) {
  blob_extent(data, sizes, core::contiguous_strides(sizes));  // before the deleter is owned
  auto* ctx = new std::function<void(void*)>(deleter);
  return wrap_blob(data, sizes, core::contiguous_strides(sizes), options,
                   [](void* d, void* c) {
                     auto* f = static_cast<std::function<void(void*)>*>(c);
                     (*f)(d);
                     delete f;
                   },
                   ctx);
}

}  // namespace tg
