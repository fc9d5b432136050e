// The kernels that select, gather, compare and reduce in vector lanes (where,
// clamp, leaky_relu, small integer powers, index_select, bool loads and stores, max / min / argmax in
// two passes: Note [Vectorised extrema] in src/kernels/reduce.cpp) give
// libtorch's bits on tensors long enough to fill the lanes, with the special
// values placed in the vector body, in the lane merge and in the scalar tail.
#include <torch/torch.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"
#include "support/torch_support.h"

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

using tg::testing::to_torch;

tg::Tensor from_values(const std::vector<double>& v, tg::ScalarType dtype) {
  return tg::tensor(v, tg::kDouble).to(dtype);
}

// Equal bits, except that any NaN matches any NaN (libtorch's max returns a NaN
// of its own sign), and, with any_zero_sign, a zero matches a zero of either sign.
::testing::AssertionResult same_bits(const tg::Tensor& got, const torch::Tensor& expected,
                                     bool any_zero_sign = false) {
  if (got.sizes().vec() != expected.sizes().vec())
    return ::testing::AssertionFailure() << "shape " << got.sizes() << " vs libtorch " << expected.sizes();
  if (to_torch(got.dtype()) != expected.scalar_type())
    return ::testing::AssertionFailure() << "dtype " << got.dtype() << " vs libtorch " << expected.scalar_type();
  const torch::Tensor ours = to_torch(got), theirs = expected.contiguous();
  const int64_t size = ours.element_size();
  const auto* a = static_cast<const unsigned char*>(ours.data_ptr());
  const auto* b = static_cast<const unsigned char*>(theirs.data_ptr());
  const bool floating = got.is_floating_point();
  for (int64_t i = 0; i < ours.numel(); ++i) {
    if (std::memcmp(a + i * size, b + i * size, static_cast<size_t>(size)) == 0) continue;
    const double x = ours.reshape({-1})[i].item<double>(), y = theirs.reshape({-1})[i].item<double>();
    if (floating && std::isnan(x) && std::isnan(y)) continue;
    if (any_zero_sign && x == 0 && y == 0) continue;
    return ::testing::AssertionFailure() << "element " << i << ": " << x << " (sign " << std::signbit(x)
                                         << ") vs libtorch " << y << " (sign " << std::signbit(y) << ")";
  }
  return ::testing::AssertionSuccess();
}

// Rows of `length` values drawn from a small set (so that ties are frequent),
// with special values planted at the given positions.
using Planted = std::vector<std::pair<int64_t, double>>;

std::vector<double> row_with(int64_t length, uint64_t seed, const Planted& planted) {
  std::vector<double> v(static_cast<size_t>(length));
  uint64_t state = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (double& x : v) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<double>(static_cast<int64_t>(state >> 59)) - 16.0;  // -16 .. 15
  }
  for (const auto& [at, value] : planted)
    if (at < length) v[static_cast<size_t>(at)] = value;
  return v;
}

// Lengths around the lane width (16), the block of long rows (16384) and beyond.
const std::vector<int64_t> kLengths = {1, 2, 15, 16, 17, 31, 32, 33, 47, 100, 1000, 16385, 70001};

struct Planting {
  const char* name;
  Planted (*positions)(int64_t length);
};

const std::vector<Planting> kPlantings = {
    {"ties", [](int64_t n) { return Planted{{n / 3, 99.0}, {n / 2, 99.0}, {n - 1, 99.0}}; }},
    {"nan_late", [](int64_t n) { return Planted{{n - 1, kNaN}, {n / 2, 99.0}}; }},
    {"two_nans", [](int64_t n) { return Planted{{n / 2 + 1, kNaN}, {n / 3, kNaN}}; }},
    {"infinities", [](int64_t n) { return Planted{{n / 4, kInf}, {n / 5, -kInf}}; }},
};

// Zeros of alternating sign after a `lead` element, so that the extremum's sign
// is that of the first zero, which no lane starts from when lead is not zero.
std::vector<double> signed_zeros(int64_t length, bool negative_first, double lead) {
  std::vector<double> v(static_cast<size_t>(length));
  for (int64_t i = 0; i < length; ++i) v[static_cast<size_t>(i)] = (i % 2 == 0) == negative_first ? -0.0 : 0.0;
  v[0] = lead;
  return v;
}

struct Reduction {
  const char* name;
  tg::Tensor (*tg_fn)(const tg::Tensor&);
  torch::Tensor (*torch_fn)(const torch::Tensor&);
  // libtorch's max(), min(), amax and amin return a zero whose sign depends on
  // where its vector lanes met the zeros; tensorgrad's is the first extreme
  // zero's, as libtorch's max(dim) values (checked by expect_first_extremes).
  bool any_zero_sign = false;
};

#define REDUCTION(name, ...)                                                                     \
  Reduction {                                                                                    \
    name, [](const tg::Tensor& x) -> tg::Tensor { namespace T = tg; return __VA_ARGS__; },       \
        [](const torch::Tensor& x) -> torch::Tensor { namespace T = torch; return __VA_ARGS__; } \
  }

// x is [rows, n]: reductions over the contiguous rows, over the strided
// columns, and over the whole tensor.
std::vector<Reduction> reductions() {
  std::vector<Reduction> list = {
    REDUCTION("max", x.max()),
    REDUCTION("min", x.min()),
    REDUCTION("argmax", x.argmax()),
    REDUCTION("argmin", x.argmin()),
    REDUCTION("amax_rows", x.amax(1)),
    REDUCTION("amin_rows", x.amin(1)),
    REDUCTION("max_rows_values", std::get<0>(x.max(1))),
    REDUCTION("max_rows_indices", std::get<1>(x.max(1))),
    REDUCTION("min_rows_indices", std::get<1>(x.min(1))),
    REDUCTION("argmax_rows", x.argmax(1)),
    REDUCTION("amax_columns", x.amax(0)),
    REDUCTION("max_columns_values", std::get<0>(x.max(0))),
    REDUCTION("max_columns_indices", std::get<1>(x.max(0))),
    REDUCTION("argmin_columns", x.argmin(0)),
    REDUCTION("max_transposed_rows", std::get<1>(x.t().max(0))),
  };
  for (Reduction& r : list)
    for (const char* value_only : {"max", "min", "amax_rows", "amin_rows", "amax_columns"})
      if (std::string(r.name) == value_only) r.any_zero_sign = true;
  return list;
}

// Each extreme value is, bit for bit, the element its index points to (the
// first extreme element: the indices are compared with libtorch's).
void expect_first_extremes(const tg::Tensor& x) {
  const tg::Tensor flat = x.reshape({-1});
  auto bits = [](const tg::Tensor& t) { return to_torch(t.reshape({1})); };
  EXPECT_TRUE(same_bits(x.max().reshape({1}), bits(flat[x.argmax().item<int64_t>()])));
  EXPECT_TRUE(same_bits(x.min().reshape({1}), bits(flat[x.argmin().item<int64_t>()])));
  for (int64_t r = 0; r < x.size(0); ++r) {
    const tg::Tensor row = x[r];
    EXPECT_TRUE(same_bits(x.amax(1)[r].reshape({1}), bits(row[x.argmax(1)[r].item<int64_t>()])));
    EXPECT_TRUE(same_bits(x.amin(1)[r].reshape({1}), bits(row[x.argmin(1)[r].item<int64_t>()])));
  }
  for (int64_t c = 0; c < std::min<int64_t>(x.size(1), 40); ++c) {
    const tg::Tensor column = x.select(1, c);
    EXPECT_TRUE(same_bits(x.amax(0)[c].reshape({1}), bits(column[x.argmax(0)[c].item<int64_t>()])));
  }
}

void expect_reductions_match(const tg::Tensor& x, const std::string& what) {
  const torch::Tensor tx = to_torch(x);
  for (const Reduction& r : reductions()) {
    SCOPED_TRACE(what + ", " + r.name);
    EXPECT_TRUE(same_bits(r.tg_fn(x), r.torch_fn(tx), r.any_zero_sign));
  }
  if (x.dtype() != tg::kBool) {
    SCOPED_TRACE(what + ", values at the indices");
    expect_first_extremes(x);
  }
}

TEST(VectorisedExtrema, RowsOfEveryLengthMatchLibtorchBitForBit) {
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble, tg::kLong}) {
    const bool floating = dtype != tg::kLong;
    for (int64_t n : kLengths) {
      // Two rows: the second differs, so row and column results are not all alike.
      const int64_t rows = n > 1000 ? 1 : 2;
      for (const Planting& planting : kPlantings) {
        const bool special = std::string(planting.name) != "ties";
        if (special && !floating) continue;
        std::vector<double> values = row_with(n, 1, planting.positions(n));
        if (rows == 2) {
          const std::vector<double> second = row_with(n, 2, planting.positions(n / 2 + 1));
          values.insert(values.end(), second.begin(), second.end());
        }
        std::ostringstream what;
        what << dtype << ", " << rows << " x " << n << ", " << planting.name;
        expect_reductions_match(from_values(values, dtype).reshape({rows, n}), what.str());
      }
    }
  }
}

TEST(VectorisedExtrema, SignedZerosAndAllNaNRowsMatchLibtorch) {
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble})
    for (int64_t n : kLengths) {
      for (bool negative_first : {true, false})
        for (double lead : {0.0, -0.0, -1.0, 1.0}) {
          std::ostringstream what;
          what << dtype << ", zeros of length " << n << (negative_first ? ", -0.0 first" : ", 0.0 first")
               << ", led by " << lead;
          expect_reductions_match(from_values(signed_zeros(n, negative_first, lead), dtype).reshape({1, n}),
                                  what.str());
        }
      std::ostringstream what;
      what << dtype << ", all NaN, length " << n;
      expect_reductions_match(from_values(std::vector<double>(static_cast<size_t>(n), kNaN), dtype).reshape({1, n}),
                              what.str());
    }
}

// Columns of tall slabs, through the register tiles of 64, 32, 16, 8 and 1
// columns (kernels/reduce.cpp, extremum_tile): values from a small set, so that
// a column often repeats its extreme, with NaNs planted in some columns.
TEST(VectorisedExtrema, ColumnsOfTallSlabsMatchLibtorchBitForBit) {
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble, tg::kLong})
    for (int64_t n : {1, 8, 17, 64, 100, 121, 300}) {
      const int64_t rows = 37;
      const bool floating = dtype != tg::kLong;
      const Planted nans = floating ? Planted{{n + 3, kNaN}, {7 * n, kNaN}} : Planted{};
      const tg::Tensor x = from_values(row_with(3 * rows * n, 5, nans), dtype).reshape({3, rows, n});
      const torch::Tensor tx = to_torch(x);
      std::ostringstream what;
      what << dtype << ", 3 x " << rows << " x " << n;
      SCOPED_TRACE(what.str());
      EXPECT_TRUE(same_bits(x.amax(1), tx.amax(1), true));
      EXPECT_TRUE(same_bits(std::get<0>(x.max(1)), std::get<0>(tx.max(1))));
      EXPECT_TRUE(same_bits(std::get<1>(x.max(1)), std::get<1>(tx.max(1))));
      EXPECT_TRUE(same_bits(std::get<1>(x.min(1)), std::get<1>(tx.min(1))));
      EXPECT_TRUE(same_bits(x.argmin(1), tx.argmin(1)));
      EXPECT_TRUE(same_bits(x[1].amin(0), tx[1].amin(0), true));
    }
}

TEST(VectorisedExtrema, BoolsReduceAsLibtorch) {
  for (int64_t n : kLengths) {
    std::vector<double> values(static_cast<size_t>(n), 0.0);
    values[static_cast<size_t>(n / 2)] = 1.0;
    const tg::Tensor x = from_values(values, tg::kBool).reshape({1, n});
    const torch::Tensor tx = to_torch(x);
    SCOPED_TRACE("length " + std::to_string(n));
    EXPECT_TRUE(same_bits(x.max(), tx.max()));
    EXPECT_TRUE(same_bits(x.min(), tx.min()));
    EXPECT_TRUE(same_bits(std::get<1>(x.max(1)), std::get<1>(tx.max(1))));
    EXPECT_TRUE(same_bits(std::get<1>(x.min(1)), std::get<1>(tx.min(1))));
  }
}

// Special values and the bounds themselves, repeated past the lane width, with
// a length that leaves a scalar tail.
std::vector<double> special_values(double lo, double hi) {
  const std::vector<double> base = {kNaN, kInf, -kInf, 0.0, -0.0, lo, hi, std::nextafter(lo, -kInf),
                                    std::nextafter(hi, kInf), 0.5, -0.5, 1e30, -1e30, 3.0, -3.0, 1e-40};
  std::vector<double> v;
  for (int k = 0; k < 5; ++k)
    for (double x : base) v.push_back(k % 2 ? -x : x);
  v.resize(v.size() - 3);
  return v;
}

TEST(VectorisedSelects, ClampMatchesLibtorchBitForBit) {
  struct Bounds {
    std::optional<double> lo, hi;
  };
  const std::vector<Bounds> bounds = {{-0.5, 0.5}, {0.0, std::nullopt}, {std::nullopt, 0.0}, {1.0, -1.0},
                                      {-0.0, 0.0}, {kNaN, 1.0}, {0.0, kNaN}, {kNaN, std::nullopt},
                                      {std::nullopt, kNaN}, {-kInf, kInf}};
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble})
    for (const Bounds& b : bounds) {
      std::ostringstream what;
      what << dtype << ", clamp(" << (b.lo ? std::to_string(*b.lo) : "none") << ", "
           << (b.hi ? std::to_string(*b.hi) : "none") << ")";
      SCOPED_TRACE(what.str());
      const tg::Tensor x = from_values(special_values(b.lo.value_or(-2.0), b.hi.value_or(2.0)), dtype).requires_grad_();
      const torch::Tensor tx = to_torch(x.detach()).requires_grad_();
      std::optional<tg::Scalar> lo, hi;
      c10::optional<torch::Scalar> tlo, thi;
      if (b.lo) lo = *b.lo, tlo = *b.lo;
      if (b.hi) hi = *b.hi, thi = *b.hi;
      const tg::Tensor y = x.clamp(lo, hi);
      const torch::Tensor ty = tx.clamp(tlo, thi);
      EXPECT_TRUE(same_bits(y, ty));
      y.backward(tg::ones_like(y) * 3.0);
      ty.backward(torch::ones_like(ty) * 3.0);
      EXPECT_TRUE(same_bits(x.grad(), tx.grad())) << "gradient";
    }
  // clamp_min / clamp_max with a NaN bound: NaN everywhere, unlike clamp with that one bound.
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble}) {
    const tg::Tensor x = from_values(special_values(-1.0, 1.0), dtype);
    EXPECT_TRUE(same_bits(x.clamp_min(kNaN), to_torch(x).clamp_min(kNaN)));
    EXPECT_TRUE(same_bits(x.clamp_max(kNaN), to_torch(x).clamp_max(kNaN)));
    EXPECT_TRUE(same_bits(x.clamp_min(0.25), to_torch(x).clamp_min(0.25)));
    EXPECT_TRUE(same_bits(x.clamp_max(-0.0), to_torch(x).clamp_max(-0.0)));
  }
  const tg::Tensor ints = tg::arange(-40, 40);
  EXPECT_TRUE(same_bits(ints.clamp(-7, 9), to_torch(ints).clamp(-7, 9)));
  EXPECT_TRUE(same_bits(ints.clamp_min(3), to_torch(ints).clamp_min(3)));
  EXPECT_TRUE(same_bits(ints.clamp(std::nullopt, -3), to_torch(ints).clamp(c10::nullopt, -3)));
}

TEST(VectorisedSelects, LeakyReluMatchesLibtorchBitForBit) {
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble})
    for (double slope : {0.01, 0.2, -1.5, 0.0}) {
      SCOPED_TRACE(std::to_string(slope));
      const tg::Tensor x = from_values(special_values(-1.0, 1.0), dtype).requires_grad_();
      const torch::Tensor tx = to_torch(x.detach()).requires_grad_();
      const tg::Tensor y = tg::leaky_relu(x, slope);
      const torch::Tensor ty = torch::leaky_relu(tx, slope);
      EXPECT_TRUE(same_bits(y, ty));
      const tg::Tensor g = from_values(special_values(-2.0, 2.0), dtype) * 0.7;
      y.backward(g);
      ty.backward(to_torch(g));
      EXPECT_TRUE(same_bits(x.grad(), tx.grad())) << "gradient";
    }
}

TEST(VectorisedSelects, WhereMatchesLibtorchForEveryOperandLayout) {
  const int64_t n = 83;
  std::vector<double> mask(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) mask[static_cast<size_t>(i)] = (i * 7 % 5) < 2;
  const tg::Tensor c = from_values(mask, tg::kBool);
  const torch::Tensor tc = to_torch(c);
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble, tg::kLong, tg::kBool}) {
    SCOPED_TRACE(std::to_string(static_cast<int>(dtype)));
    const bool floating = dtype == tg::kFloat || dtype == tg::kDouble;
    std::vector<double> a_values = floating ? special_values(-1.0, 1.0) : row_with(n, 3, {});
    a_values.resize(static_cast<size_t>(n), 2.5);
    const tg::Tensor a = from_values(a_values, dtype);
    const tg::Tensor b = from_values(row_with(n, 4, {{5, floating ? -0.0 : 1.0}}), dtype);
    const torch::Tensor ta = to_torch(a), tb = to_torch(b);
    EXPECT_TRUE(same_bits(tg::where(c, a, b), torch::where(tc, ta, tb)));
    EXPECT_TRUE(same_bits(tg::where(c, a, b[3]), torch::where(tc, ta, tb[3])));
    EXPECT_TRUE(same_bits(tg::where(c, a[2], b), torch::where(tc, ta[2], tb)));
    EXPECT_TRUE(same_bits(tg::where(c, a[2], b[3]), torch::where(tc, ta[2], tb[3])));
    // Broadcast along rows, and a strided condition.
    const tg::Tensor rows = c.narrow(0, 0, 80).reshape({5, 16});
    const torch::Tensor trows = tc.narrow(0, 0, 80).reshape({5, 16});
    EXPECT_TRUE(same_bits(tg::where(rows, a.narrow(0, 0, 16), b.narrow(0, 0, 80).reshape({5, 16})),
                          torch::where(trows, ta.narrow(0, 0, 16), tb.narrow(0, 0, 80).reshape({5, 16}))));
    EXPECT_TRUE(same_bits(tg::where(rows.t(), a.narrow(0, 0, 5), b[0]),
                          torch::where(trows.t(), ta.narrow(0, 0, 5), tb[0])));
  }
  EXPECT_TRUE(same_bits(tg::where(c, 1.5, -0.0), torch::where(tc, 1.5, -0.0)));
  EXPECT_TRUE(same_bits(tg::where(c, 2, 7), torch::where(tc, 2, 7)));
}

TEST(VectorisedSelects, BoolLoadsAndStoresMatchLibtorch) {
  const int64_t n = 83;
  std::vector<double> v = special_values(-1.0, 1.0);
  v.resize(static_cast<size_t>(n));
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble, tg::kLong}) {
    SCOPED_TRACE(std::to_string(static_cast<int>(dtype)));
    // Float to bool: NaN and any non-zero are true, -0.0 is false.
    const tg::Tensor x = dtype == tg::kLong ? from_values(row_with(n, 5, {}), dtype) : from_values(v, dtype);
    const torch::Tensor tx = to_torch(x);
    const tg::Tensor mask = x.to(tg::kBool);
    const torch::Tensor tmask = tx.to(torch::kBool);
    EXPECT_TRUE(same_bits(mask, tmask));
    EXPECT_TRUE(same_bits(mask.to(dtype), tmask.to(to_torch(dtype))));
    EXPECT_TRUE(same_bits(x > 0, tx > 0));
    EXPECT_TRUE(same_bits(x * mask, tx * tmask));
    // A strided bool source (the copy kernel's other loops).
    EXPECT_TRUE(same_bits(mask.reshape({1, n}).expand({3, n}).t().to(dtype),
                          tmask.reshape({1, n}).expand({3, n}).t().to(to_torch(dtype))));
  }
  const tg::Tensor mask = from_values(v, tg::kFloat) > 0;
  const torch::Tensor tmask = to_torch(mask);
  EXPECT_TRUE(same_bits(~mask, ~tmask));
  EXPECT_TRUE(same_bits(mask.sum(), tmask.sum()));
  EXPECT_TRUE(same_bits(mask.narrow(0, 1, n - 1) == mask.narrow(0, 0, n - 1),
                        tmask.narrow(0, 1, n - 1) == tmask.narrow(0, 0, n - 1)));
}

// x^3, x^-1 and x^-2 are libtorch's products and quotient ((x * x) * x, 1 / x,
// 1 / (x * x)), not the correctly rounded powers, which differ in about a
// quarter of random floats. The gradients of x^2, x^3, x^-1 and x^0.5 use such
// powers too (2 x, 3 x^2, -x^-2, 0.5 x^-0.5); those of x^-2 and x^-0.5 need x^-3
// and x^-1.5, std::pow's in tensorgrad and Sleef's in libtorch, which differ by an ulp.
TEST(VectorisedPowers, SmallIntegerExponentsMatchLibtorchBitForBit) {
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble})
    for (double e : {2.0, 3.0, -1.0, -2.0, 0.5, -0.5}) {
      std::ostringstream what;
      what << dtype << ", exponent " << e;
      SCOPED_TRACE(what.str());
      std::vector<double> values = special_values(-2.0, 2.0);
      const std::vector<double> random = row_with(300, 11, {});
      for (size_t i = 0; i < random.size(); ++i) values.push_back(random[i] * (1.0 + 0.001 * double(i)));
      const tg::Tensor x = from_values(values, dtype).requires_grad_();
      const torch::Tensor tx = to_torch(x.detach()).requires_grad_();
      const tg::Tensor y = x.pow(e);
      const torch::Tensor ty = tx.pow(e);
      EXPECT_TRUE(same_bits(y, ty));
      if (e == -2.0 || e == -0.5) continue;
      const tg::Tensor g = from_values(row_with(y.numel(), 12, {}), dtype) * 0.7;
      y.backward(g);
      ty.backward(to_torch(g));
      EXPECT_TRUE(same_bits(x.grad(), tx.grad())) << "gradient";
    }
}

// Along every dim (rows of 1-111 elements: element by element, or by memcpy
// from 64 bytes up), with repeated indices, on one and two threads; the
// gradient (index_add into zeros, split by columns when there is one slice).
TEST(VectorisedGathers, IndexSelectAndItsGradientMatchLibtorch) {
  const int threads = tg::get_num_threads();
  for (int t : {1, 2}) {
    tg::set_num_threads(t);
    for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble, tg::kLong, tg::kBool})
      for (int64_t dim : {0, 1, 2}) {
        std::ostringstream what;
        what << t << " thread(s), " << dtype << ", dim " << dim;
        SCOPED_TRACE(what.str());
        const tg::Tensor x = from_values(row_with(5 * 37 * 3, 7, {}), dtype).reshape({5, 37, 3});
        std::vector<int64_t> picks = {2, 0, 2, 1, 4, 2};
        for (int64_t& p : picks) p %= x.size(dim);
        const tg::Tensor index = tg::tensor(picks);
        EXPECT_TRUE(same_bits(x.index_select(dim, index), to_torch(x).index_select(dim, to_torch(index))));
        if (dtype != tg::kFloat && dtype != tg::kDouble) continue;
        const tg::Tensor leaf = x.detach().requires_grad_();
        const torch::Tensor tleaf = to_torch(x).requires_grad_();
        const tg::Tensor y = leaf.index_select(dim, index);
        const tg::Tensor g = from_values(row_with(y.numel(), 8, {}), dtype).reshape(y.sizes().vec()) * 0.37;
        y.backward(g);
        tleaf.index_select(dim, to_torch(index)).backward(to_torch(g));
        EXPECT_TRUE(same_bits(leaf.grad(), tleaf.grad())) << "gradient";
      }
    // Wide rows (the memcpy path) and an embedding's gradient over 128 columns.
    const tg::Tensor table = tg::randn({50, 128}, tg::kDouble).requires_grad_();
    const torch::Tensor ttable = to_torch(table.detach()).requires_grad_();
    const tg::Tensor ids = tg::randint(0, 50, {300}, tg::kLong);
    const tg::Tensor rows = tg::embedding(table, ids);
    const tg::Tensor g = tg::randn({300, 128}, tg::kDouble);
    EXPECT_TRUE(same_bits(rows, torch::embedding(ttable, to_torch(ids))));
    rows.backward(g);
    torch::embedding(ttable, to_torch(ids)).backward(to_torch(g));
    EXPECT_TRUE(same_bits(table.grad(), ttable.grad())) << "embedding gradient";
  }
  tg::set_num_threads(threads);
}

}  // namespace
