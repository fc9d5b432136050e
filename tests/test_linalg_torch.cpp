// Parity of the matrix products with libtorch 1.13: the same call on the same
// random inputs (contiguous, transposed, strided and broadcast) in both libraries.
// Forward values (float32 to 1e-5, float64 to 1e-12 relative), grad_fn names,
// gradients for a random incoming gradient, and error messages must agree.
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <random>
#include <sstream>

#include "support/test_support.h"
#include "support/torch_support.h"
#include "tensorgrad/nn/functional.h"

namespace {

enum class Layout { Contiguous, Transposed, Strided };

struct Spec {
  std::vector<int64_t> shape;
  Layout layout = Layout::Contiguous;
};
Spec T(std::vector<int64_t> shape) { return {std::move(shape), Layout::Transposed}; }
Spec S(std::vector<int64_t> shape) { return {std::move(shape), Layout::Strided}; }

using TgFn = std::function<tg::Tensor(const std::vector<tg::Tensor>&)>;
using TorchFn = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;

struct Case {
  std::string name;
  TgFn tg_fn;
  TorchFn torch_fn;
  std::vector<Spec> inputs;
};

// The call written once, compiled for both libraries (`N` is tg or torch).
#define BOTH(expr)                                                           \
  TgFn([](const std::vector<tg::Tensor>& x) {                                \
    namespace N = tg;                                                        \
    return expr;                                                             \
  }),                                                                        \
      TorchFn([](const std::vector<torch::Tensor>& x) {                      \
        namespace N = torch;                                                 \
        return expr;                                                         \
      })

std::vector<Case> cases() {
  return {
      {"mm", BOTH(N::mm(x[0], x[1])), {{{5, 7}}, {{7, 3}}}},
      {"mm_transposed", BOTH(N::mm(x[0], x[1])), {T({5, 7}), T({7, 3})}},
      {"mm_strided", BOTH(N::mm(x[0], x[1])), {S({5, 7}), S({7, 3})}},
      {"mm_method_large", BOTH(x[0].mm(x[1])), {{{33, 130}}, T({130, 65})}},
      {"bmm", BOTH(N::bmm(x[0], x[1])), {{{4, 3, 5}}, {{4, 5, 2}}}},
      {"bmm_transposed", BOTH(x[0].bmm(x[1])), {T({4, 3, 5}), T({4, 5, 2})}},
      {"bmm_many_small", BOTH(N::bmm(x[0], x[1])), {{{50, 3, 4}}, S({50, 4, 3})}},
      {"addmm_vector_bias", BOTH(N::addmm(x[0], x[1], x[2])), {{{4}}, {{3, 6}}, {{6, 4}}}},
      {"addmm_beta_alpha", BOTH(N::addmm(x[0], x[1], x[2], 0.5, -2)), {{{1, 4}}, T({3, 6}), T({6, 4})}},
      {"addmm_full_bias", BOTH(N::addmm(x[0], x[1], x[2], 0, 1.5)), {{{3, 4}}, {{3, 6}}, S({6, 4})}},
      {"matmul_dot", BOTH(N::matmul(x[0], x[1])), {{{6}}, S({6})}},
      {"matmul_mv", BOTH(N::matmul(x[0], x[1])), {T({4, 6}), {{6}}}},
      {"matmul_vm", BOTH(N::matmul(x[0], x[1])), {{{6}}, {{6, 4}}}},
      {"matmul_mm", BOTH(x[0].matmul(x[1])), {{{3, 6}}, T({6, 4})}},
      {"matmul_fold_matrix", BOTH(N::matmul(x[0], x[1])), {{{2, 3, 6}}, {{6, 4}}}},
      {"matmul_fold_vector", BOTH(N::matmul(x[0], x[1])), {{{2, 3, 6}}, {{6}}}},
      {"matmul_fold_4d_strided", BOTH(N::matmul(x[0], x[1])), {S({2, 2, 3, 6}), T({6, 4})}},
      {"matmul_permuted_batch", BOTH(N::matmul(x[0], x[1])), {T({2, 3, 6}), {{6, 4}}}},
      {"matmul_vector_batch", BOTH(N::matmul(x[0], x[1])), {{{3}}, {{2, 3, 4}}}},
      {"matmul_matrix_batch", BOTH(N::matmul(x[0], x[1])), {{{5, 3}}, {{2, 3, 4}}}},
      {"matmul_matrix_permuted_batch", BOTH(N::matmul(x[0], x[1])), {{{5, 3}}, T({2, 3, 4})}},
      {"matmul_batch_batch", BOTH(N::matmul(x[0], x[1])), {{{2, 3, 4}}, T({2, 4, 5})}},
      {"matmul_broadcast_batch", BOTH(N::matmul(x[0], x[1])), {{{2, 1, 3, 4}}, {{5, 4, 2}}}},
      {"matmul_broadcast_expanded", BOTH(N::matmul(x[0].expand({3, 2, 4}), x[1])), {{{2, 4}}, {{3, 4, 5}}}},
      {"linear_2d_bias", BOTH(N::nn::functional::linear(x[0], x[1], x[2])), {{{4, 6}}, {{3, 6}}, {{3}}}},
      {"linear_2d", BOTH(N::nn::functional::linear(x[0], x[1])), {T({4, 6}), {{3, 6}}}},
      {"linear_3d_bias", BOTH(N::nn::functional::linear(x[0], x[1], x[2])), {{{2, 4, 6}}, {{3, 6}}, {{3}}}},
      {"linear_4d_strided", BOTH(N::nn::functional::linear(x[0], x[1], x[2])), {S({2, 2, 4, 6}), T({3, 6}), {{3}}}},
      {"linear_1d", BOTH(N::nn::functional::linear(x[0], x[1], x[2])), {{{6}}, {{3, 6}}, {{3}}}},
  };
}

// The same values for both libraries, laid out as the spec says: transposed means
// stored with the last two dims swapped and viewed back; strided means every other
// element of a buffer twice as long in the last dim.
struct Pair {
  tg::Tensor tg;
  torch::Tensor torch;
};

Pair make(const Spec& spec, torch::ScalarType dtype, std::mt19937_64& gen) {
  std::normal_distribution<double> dist;
  std::vector<int64_t> stored = spec.shape;
  const size_t nd = stored.size();
  if (spec.layout == Layout::Transposed) std::swap(stored[nd - 1], stored[nd - 2]);
  if (spec.layout == Layout::Strided) stored[nd - 1] *= 2;
  int64_t n = 1;
  for (int64_t s : stored) n *= s;
  std::vector<double> v(static_cast<size_t>(n));
  for (double& e : v) e = dist(gen);
  torch::Tensor th = torch::tensor(v, torch::kDouble).reshape(stored).to(dtype);
  tg::Tensor t = tg::tensor(v, tg::dtype(tg::kDouble)).reshape(stored).to(dtype == torch::kFloat ? tg::kFloat : tg::kDouble);
  if (spec.layout == Layout::Transposed) {
    th = th.transpose(-1, -2);
    t = t.transpose(-1, -2);
  }
  if (spec.layout == Layout::Strided) {
    th = th.slice(-1, 0, stored.back(), 2);
    t = t.slice(-1, 0, stored.back(), 2);
  }
  return {t.requires_grad_(true), th.requires_grad_(true)};
}

std::vector<double> torch_values(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Shapes and values within rtol * max(1, |libtorch's|).
::testing::AssertionResult same(const tg::Tensor& got, const torch::Tensor& expected, double rtol) {
  if (!got.defined() || !expected.defined())
    return ::testing::AssertionFailure() << "undefined: " << got.defined() << " vs libtorch " << expected.defined();
  if (got.sizes().vec() != expected.sizes().vec()) {
    std::ostringstream os;
    os << "shape " << got.sizes() << " vs libtorch " << expected.sizes();
    return ::testing::AssertionFailure() << os.str();
  }
  std::vector<double> a = tg::testing::values(got), b = torch_values(expected);
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::abs(a[i] - b[i]) <= rtol * std::max(1.0, std::abs(b[i]))))
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs libtorch " << b[i];
  return ::testing::AssertionSuccess();
}

std::string name_of(const tg::Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "none"; }
std::string name_of(const torch::Tensor& t) { return t.grad_fn() ? t.grad_fn()->name() : "none"; }

// One check of a case in one dtype.
void check_case(const Case& c, torch::ScalarType dtype) {
  const double rtol = dtype == torch::kDouble ? 1e-12 : 1e-5;
  std::mt19937_64 gen(std::hash<std::string>{}(c.name));
  std::vector<tg::Tensor> tg_in;
  std::vector<torch::Tensor> torch_in;
  for (const Spec& s : c.inputs) {
    Pair pair = make(s, dtype, gen);
    tg_in.push_back(pair.tg);
    torch_in.push_back(pair.torch);
  }
  tg::Tensor got = c.tg_fn(tg_in);
  torch::Tensor expected = c.torch_fn(torch_in);
  ASSERT_TRUE(same(got, expected, rtol));
  EXPECT_EQ(name_of(got), name_of(expected));

  Pair g = make({expected.sizes().vec()}, dtype, gen);
  got.backward(g.tg.detach());
  expected.backward(g.torch.detach());
  for (size_t i = 0; i < tg_in.size(); ++i) {
    EXPECT_TRUE(same(tg_in[i].grad(), torch_in[i].grad(), rtol)) << "gradient of input " << i;
    // A contiguous leaf gets a contiguous gradient (W in x @ W.t() too: the backward
    // computes it transposed). Views as leaves are left out: libtorch then gives the
    // gradient the leaf's own strides, which is the engine's business, not the op's.
    if (c.inputs[i].layout == Layout::Contiguous)
      EXPECT_TRUE(tg_in[i].grad().is_contiguous()) << "gradient of input " << i;
  }
}

// All cases in one test: each ctest process pays for loading libtorch once.
TEST(LinalgParity, ForwardNameAndGradientsMatch) {
  for (const Case& c : cases())
    for (torch::ScalarType t : {torch::kFloat, torch::kDouble}) {
      SCOPED_TRACE(c.name + (t == torch::kFloat ? " float32" : " float64"));
      check_case(c, t);
    }
}

// ---- error messages ----------------------------------------------------------------------------
struct ErrorCase {
  std::string name;
  TgFn tg_fn;
  TorchFn torch_fn;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<torch::ScalarType> dtypes;  // per input; float when absent
};

std::vector<ErrorCase> error_cases() {
  const auto D = torch::kDouble, L = torch::kLong, B = torch::kBool, F = torch::kFloat;
  return {
      {"mm_shapes", BOTH(N::mm(x[0], x[1])), {{2, 3}, {4, 5}}, {}},
      {"mm_self_not_matrix", BOTH(N::mm(x[0], x[1])), {{3}, {3, 4}}, {}},
      {"mm_mat2_not_matrix", BOTH(N::mm(x[0], x[1])), {{2, 3}, {3}}, {}},
      {"mm_dtype", BOTH(N::mm(x[0], x[1])), {{2, 3}, {3, 4}}, {F, D}},
      {"mm_long_float", BOTH(N::mm(x[0], x[1])), {{2, 3}, {3, 4}}, {L, F}},
      {"mm_bool", BOTH(N::mm(x[0], x[1])), {{2, 3}, {3, 4}}, {B, B}},
      {"bmm_batch1", BOTH(N::bmm(x[0], x[1])), {{2, 3}, {2, 3, 4}}, {}},
      {"bmm_batch2", BOTH(N::bmm(x[0], x[1])), {{2, 3, 4}, {4, 5}}, {}},
      {"bmm_sizes", BOTH(N::bmm(x[0], x[1])), {{2, 3, 4}, {3, 4, 5}}, {}},
      {"bmm_dtype", BOTH(N::bmm(x[0], x[1])), {{2, 3, 4}, {2, 4, 5}}, {F, D}},
      {"bmm_bool", BOTH(N::bmm(x[0], x[1])), {{2, 3, 4}, {2, 4, 5}}, {B, B}},
      {"addmm_self_dtype", BOTH(N::addmm(x[0], x[1], x[2])), {{4}, {2, 3}, {3, 4}}, {D, F, F}},
      {"addmm_mat1_dtype", BOTH(N::addmm(x[0], x[1], x[2])), {{4}, {2, 3}, {3, 4}}, {F, D, F}},
      {"addmm_mat1_dim", BOTH(N::addmm(x[0], x[1], x[2])), {{4}, {3}, {3, 4}}, {}},
      {"addmm_mat2_dim", BOTH(N::addmm(x[0], x[1], x[2])), {{4}, {2, 3}, {3}}, {}},
      {"addmm_shapes", BOTH(N::addmm(x[0], x[1], x[2])), {{4}, {2, 3}, {4, 5}}, {}},
      {"addmm_bias", BOTH(N::addmm(x[0], x[1], x[2])), {{3}, {2, 3}, {3, 4}}, {}},
      {"matmul_0d", BOTH(N::matmul(x[0], x[1])), {{}, {2, 3}}, {}},
      {"matmul_dot_sizes", BOTH(N::matmul(x[0], x[1])), {{3}, {4}}, {}},
      {"matmul_dot_dtype", BOTH(N::matmul(x[0], x[1])), {{3}, {4}}, {F, D}},
      {"matmul_dot_bool", BOTH(N::matmul(x[0], x[1])), {{3}, {3}}, {B, B}},
      {"matmul_mv_sizes", BOTH(N::matmul(x[0], x[1])), {{2, 3}, {4}}, {}},
      {"matmul_mv_dtype", BOTH(N::matmul(x[0], x[1])), {{2, 3}, {3}}, {F, D}},
      {"matmul_vm_sizes", BOTH(N::matmul(x[0], x[1])), {{4}, {3, 4}}, {}},
      {"matmul_fold_sizes", BOTH(N::matmul(x[0], x[1])), {{2, 3, 4}, {5, 6}}, {}},
      {"matmul_fold_vector_sizes", BOTH(N::matmul(x[0], x[1])), {{5}, {2, 3, 4}}, {}},
      {"matmul_batch_sizes", BOTH(N::matmul(x[0], x[1])), {{2, 3, 4}, {2, 3, 4}}, {}},
      {"matmul_batch_broadcast", BOTH(N::matmul(x[0], x[1])), {{2, 3, 4}, {3, 4, 5}}, {}},
      {"matmul_batch_dtype", BOTH(N::matmul(x[0], x[1])), {{2, 3, 4}, {2, 4, 5}}, {F, D}},
      {"linear_weight_3d", BOTH(N::nn::functional::linear(x[0], x[1])), {{2, 3}, {2, 5, 3}}, {}},
      {"linear_bias_size", BOTH(N::nn::functional::linear(x[0], x[1], x[2])), {{2, 3}, {5, 3}, {4}}, {}},
  };
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

// dot is libtorch's: BLAS's sdot / ddot (the same OpenBLAS, so the same bits),
// also for an expanded vector (increment 0).
TEST(LinalgParity, DotGivesLibtorchsBitsForEveryLengthAndStride) {
  using tg::testing::to_torch;
  for (tg::ScalarType dtype : {tg::kFloat, tg::kDouble})
    for (int64_t n : {1, 2, 7, 16, 33, 1000, 1024, 5003})
      for (int layout = 0; layout < 3; ++layout) {
        std::ostringstream what;
        what << dtype << ", n = " << n << ", layout " << layout;
        SCOPED_TRACE(what.str());
        tg::manual_seed(static_cast<uint64_t>(n));
        const tg::Tensor base = (tg::randn({2 * n}, tg::kDouble) * tg::randn({2 * n}, tg::kDouble).exp()).to(dtype);
        const tg::Tensor y = tg::randn({n}, tg::kDouble).to(dtype);
        // Contiguous, every other element, or one element expanded.
        const tg::Tensor x = layout == 0   ? base.narrow(0, 0, n)
                             : layout == 1 ? base.slice(0, 0, 2 * n, 2)
                                           : base.narrow(0, 1, 1).expand({n});
        const torch::Tensor tbase = to_torch(base);
        const torch::Tensor tx = layout == 0   ? tbase.narrow(0, 0, n)
                                 : layout == 1 ? tbase.slice(0, 0, 2 * n, 2)
                                               : tbase.narrow(0, 1, 1).expand({n});
        const tg::Tensor got = tg::matmul(x, y);
        const torch::Tensor expected = torch::matmul(tx, to_torch(y));
        if (dtype == tg::kFloat) EXPECT_EQ(got.item<float>(), expected.item<float>());
        else EXPECT_EQ(got.item<double>(), expected.item<double>());
      }
  const tg::Tensor ints = tg::arange(1, 101);
  EXPECT_EQ(tg::matmul(ints, ints).item<int64_t>(), 338350);
}

TEST(LinalgParity, SameErrorMessages) {
  for (const ErrorCase& c : error_cases()) {
    SCOPED_TRACE(c.name);
    std::vector<tg::Tensor> tg_in;
    std::vector<torch::Tensor> torch_in;
    for (size_t i = 0; i < c.shapes.size(); ++i) {
      const torch::ScalarType t = i < c.dtypes.size() ? c.dtypes[i] : torch::kFloat;
      torch_in.push_back(torch::zeros(c.shapes[i], t));
      tg_in.push_back(tg::zeros(c.shapes[i], t == torch::kFloat    ? tg::kFloat
                                             : t == torch::kDouble ? tg::kDouble
                                             : t == torch::kLong   ? tg::kLong
                                                                   : tg::kBool));
    }
    std::string torch_message;
    try {
      c.torch_fn(torch_in);
    } catch (const c10::Error& e) {
      torch_message = first_line(e.what_without_backtrace());
    }
    EXPECT_FALSE(torch_message.empty()) << "libtorch accepted it";
    std::string tg_message;
    try {
      c.tg_fn(tg_in);
    } catch (const tg::Error& e) {
      tg_message = first_line(e.what());
    }
    EXPECT_EQ(tg_message, torch_message);
  }
}

}  // namespace
