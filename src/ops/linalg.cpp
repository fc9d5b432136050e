// Matrix products: mm, bmm, addmm and matmul, which dispatches to dot, mv, mm or
// bmm exactly as libtorch 1.13's does (so results carry the same grad_fn), with
// their backward formulas from libtorch's derivatives.yaml.
#include <exception>
#include <optional>

#include "autograd/engine_internal.h"
#include "core/parallel.h"
#include "kernels/gemm.h"
#include "ops/op_helpers.h"

namespace tg {
namespace {
using namespace ops;

// A 2-D matrix or 3-D batch as the GEMM kernel reads it: the tensor itself when
// BLAS can read its strides (a transposed view goes through the transpose flag),
// else a contiguous copy.
struct Operand {
  Tensor t;
  kernels::BlasMatrix layout;
  int64_t batch_stride;
};

Operand operand(const Tensor& m) {
  const int64_t nd = m.dim();
  auto layout_of = [nd](const Tensor& x) {
    return kernels::blas_layout(x.size(nd - 2), x.size(nd - 1), x.stride(nd - 2), x.stride(nd - 1));
  };
  if (auto layout = layout_of(m)) return {m, *layout, nd == 3 ? m.stride(0) : 0};
  Tensor copy = contiguous_raw(m);
  return {copy, *layout_of(copy), nd == 3 ? copy.stride(0) : 0};
}

// A 2-D tensor whose rows all read the same contiguous row (a bias expanded over
// a batch).
bool is_row_broadcast(const Tensor& t) {
  return t.defined() && t.dim() == 2 && (t.size(0) == 1 || t.stride(0) == 0) && (t.size(1) == 1 || t.stride(1) == 1);
}

// A float32 product out = beta * out + alpha * a @ b (out's rows first set to
// `bias_row` when given) with its operands resolved: run() only calls the kernel,
// so it may run on any thread.
struct FloatProduct {
  Tensor out;
  Operand a, b;
  float alpha = 1, beta = 0;
  const float* bias_row = nullptr;

  void run() const {
    const int64_t M = out.size(-2), N = out.size(-1), K = a.t.size(-1);  // out may be one [1, M, N] batch
    // Note [Chunk affinity]: a weight the optimizer updated in blocks of rows is
    // read block by block, and the blocks of rows written are recorded.
    const bool b_blocks = b.layout.trans && writer_blocks(b.t) >= 2;
    set_writer_blocks(out, kernels::gemm_onto_rows(a.layout.trans, b.layout.trans, M, N, K, alpha,
                                                   a.t.data_ptr<float>(), a.layout.ld, b.t.data_ptr<float>(),
                                                   b.layout.ld, beta, bias_row, out.data_ptr<float>(), N, b_blocks));
  }
};

// out = beta * init + alpha * a @ b, for a [(B,) M, K] and b [(B,) K, N] of out's
// dtype and a contiguous out [(B,) M, N]; init (broadcast to out) is read only
// when beta != 0, and when it is undefined out already holds the addend. `op`
// names the operation in libtorch's dtype error.
void gemm_into(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta,
               const Tensor& init, const char* op) {
  const int64_t nd = a.dim();
  const int64_t M = a.size(nd - 2), K = a.size(nd - 1), N = b.size(nd - 1);
  const int64_t batch = nd == 3 ? a.size(0) : 1;
  kernels::visit_numeric(out.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (out.numel() == 0) return;
    const T be = beta.to<T>();
    // A linear layer's bias: the float GEMM sets each block's rows on the thread
    // that multiplies into them (kernels::gemm_onto_rows).
    const bool onto_bias_rows =
        std::is_same_v<T, float> && batch == 1 && be != T(0) && K > 0 && is_row_broadcast(init);
    if (be != T(0) && init.defined() && !onto_bias_rows) copy_raw(out, init);
    T* c = out.data_ptr<T>();
    if (K == 0) {
      kernels::gemm_batched<T>(batch, false, false, M, N, 0, alpha.to<T>(), nullptr, 1, 0, nullptr, 1, 0, be, c, N,
                               M * N);
      return;
    }
    const Operand A = operand(a), B = operand(b);
    if constexpr (std::is_same_v<T, float>) {
      if (batch == 1)
        return FloatProduct{out, A, B, alpha.to<T>(), be, onto_bias_rows ? init.data_ptr<T>() : nullptr}.run();
    }
    kernels::gemm_batched<T>(batch, A.layout.trans, B.layout.trans, M, N, K, alpha.to<T>(), A.t.data_ptr<T>(),
                             A.layout.ld, A.batch_stride, B.t.data_ptr<T>(), B.layout.ld, B.batch_stride, be, c, N,
                             M * N);
  });
}

void check_same_dtype(const Tensor& a, const Tensor& b) {
  TG_CHECK(a.dtype() == b.dtype(), "expected scalar type ", a.dtype(), " but found ", b.dtype());
}

void check_multipliable(const Tensor& a, const Tensor& b) {
  TG_CHECK(a.size(1) == b.size(0), "mat1 and mat2 shapes cannot be multiplied (", a.size(0), "x", a.size(1), " and ",
           b.size(0), "x", b.size(1), ")");
}

// libtorch's maybe_multiply: t itself when s is 1.
Tensor times(const Tensor& t, const Scalar& s) { return s.toDouble() == 1.0 ? t : t * s; }

// A transposed view of contiguous memory, such as the weight in x @ W.t().
bool column_major(const Tensor& m) { return m.stride(0) == 1 && m.stride(1) == m.size(0); }

// Adds a @ b into the accumulation target `out` (Note [Accumulating products] in
// autograd/engine.cpp) when the GEMM can write out's layout: contiguous, or the
// transpose of a contiguous matrix (then out.t() += b.t() @ a.t()), and when it
// does not share memory with an operand the GEMM reads.
bool add_product_into(const Tensor& out, const Tensor& a, const Tensor& b) {
  if (shares_memory(out, a) || shares_memory(out, b)) return false;
  if (out.is_contiguous()) gemm_into(out, a, b, 1, 1, Tensor(), "addmm_impl_cpu_");
  else if (column_major(out)) gemm_into(out.t(), b.t(), a.t(), 1, 1, Tensor(), "addmm_impl_cpu_");
  else return false;
  bump_version(out);
  return true;
}

// Where the product gradient of node n's forward input `input` may be added
// straight into a leaf's .grad (only for alpha 1: the GEMM then adds exactly the
// product that would have been returned).
autograd::AccumulationTarget product_target(Node& n, size_t input, const Scalar& alpha) {
  return alpha.toDouble() == 1.0 ? autograd::accumulation_target(n, input) : autograd::AccumulationTarget{};
}

// Gradients of alpha * mat1 @ mat2 (libtorch's mm_mat1_backward / mm_mat2_backward)
// for the node's forward input `input`, or undefined when added into the leaf's
// .grad. For a column-major input the product is computed transposed, so the
// gradient comes out with that input's layout (W.t()'s gradient transposes back to
// a contiguous gradient for W).
Tensor mm_mat1_backward(Node& n, size_t input, const Tensor& g, const Tensor& mat2, bool mat1_column_major,
                        const Scalar& alpha) {
  if (auto target = product_target(n, input, alpha); target && add_product_into(target.grad, g, mat2.t()))
    return Tensor();
  return times(mat1_column_major ? tg::mm(mat2, g.t()).t() : tg::mm(g, mat2.t()), alpha);
}
Tensor mm_mat2_backward(Node& n, size_t input, const Tensor& g, const Tensor& mat1, bool mat2_column_major,
                        const Scalar& alpha) {
  if (auto target = product_target(n, input, alpha); target && add_product_into(target.grad, mat1.t(), g))
    return Tensor();
  return times(mat2_column_major ? tg::mm(g.t(), mat1).t() : tg::mm(mat1.t(), g), alpha);
}

// One input's gradient x @ y as a float32 product still to run, with what the
// formula returns: into the leaf's .grad when it can take it (add_product_into's
// conditions; `target` then holds the leaf's lock until the product has run and
// the formula returns nothing), else into a new tensor, computed transposed for a
// column-major input (mm_mat1_backward's layouts). The other input's product
// runs at the same time, reading g and the saved operands: accumulation_target
// gives no .grad that shares memory with the saved ones, and g is checked here.
struct PendingGradient {
  FloatProduct product;
  Tensor result;
  autograd::AccumulationTarget target;
};

PendingGradient pending_gradient(Node& n, size_t input, const Tensor& x, const Tensor& y, bool column_major_input) {
  if (auto target = autograd::accumulation_target(n, input);
      target && !shares_memory(target.grad, x) && !shares_memory(target.grad, y)) {
    if (target.grad.is_contiguous()) {
      const Tensor out = target.grad;
      return {{out, operand(x), operand(y), 1, 1}, Tensor(), std::move(target)};
    }
    if (column_major(target.grad)) {
      const Tensor out = target.grad.t();
      return {{out, operand(y.t()), operand(x.t()), 1, 1}, Tensor(), std::move(target)};
    }
  }
  if (column_major_input) {
    Tensor out = empty({y.size(1), x.size(0)}, kFloat);
    return {{out, operand(y.t()), operand(x.t())}, out.t(), {}};
  }
  Tensor out = empty({x.size(0), y.size(1)}, kFloat);
  return {{out, operand(x), operand(y)}, out, {}};
}

// Multiply-adds a product needs before it is worth running on another thread
// beside a second one (a few microseconds of one core).
constexpr int64_t kMinWorkBeside = int64_t(1) << 18;

// The gradients of both inputs of mat1 @ mat2 [M, K] x [K, N] (mm_mat1_backward and
// mm_mat2_backward) when they are float32 products each too small to cut over the
// threads: one thread would run both while the other idles (the second layer's
// backward in the MLP at batch 32), so they run side by side, one per thread,
// prepared here on the calling thread (whose autograd state they read) and
// multiplied by the kernel alone. nullopt when they do not qualify.
std::optional<variable_list> mm_backward_side_by_side(Node& n, size_t input1, size_t input2, const Tensor& g,
                                                      const Tensor& mat1, const Tensor& mat2, bool mat1_column_major,
                                                      bool mat2_column_major, const Scalar& alpha) {
  if (alpha.toDouble() != 1.0 || g.dtype() != kFloat || mat1.dtype() != kFloat || mat2.dtype() != kFloat)
    return std::nullopt;
  const int64_t M = mat1.size(0), K = mat1.size(1), N = mat2.size(1);
  const int64_t work = M * K * N;  // each product's, both alike
  if (work < kMinWorkBeside || !kernels::float_gemm_runs_whole(M, N, K) || core::num_threads() < 2 ||
      core::in_parallel_region())
    return std::nullopt;
  // Two targets never share a leaf: a leaf reached twice expects two gradients,
  // and accumulation_target refuses it (so taking both locks cannot deadlock).
  PendingGradient grads[2] = {pending_gradient(n, input1, g, mat2.t(), mat1_column_major),
                              pending_gradient(n, input2, mat1.t(), g, mat2_column_major)};
  // The calling thread takes the first (chunks from the front): the first input's
  // gradient, which the rest of the backward pass goes on with in its cache. The
  // helper makes the second's, the weight's in x @ W.t(); the other way round, the
  // helper read W to make the first, and the optimizer step's writes to W on the
  // calling thread then took longer than the backward saved (MLP step at batch
  // 32: backward 17 us faster either way; step 2-13 us slower that way, unchanged
  // this way). Two .grads that overlap (user-assigned views of one buffer) are
  // added into one after the other.
  const bool overlap = grads[0].target && grads[1].target && shares_memory(grads[0].target.grad, grads[1].target.grad);
  std::exception_ptr errors[2];
  core::parallel_for(2, overlap ? 2 : 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        grads[i].product.run();
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  variable_list out(n.num_outputs());
  for (int i = 0; i < 2; ++i)
    if (grads[i].target) bump_version(grads[i].target.grad);
  out[input1] = std::move(grads[0].result);
  out[input2] = std::move(grads[1].result);
  return out;
}

// A vector as a rows x cols matrix sharing its memory (for mv).
Tensor vector_as_matrix(const Tensor& v, int64_t rows, int64_t cols) {
  const int64_t s = v.stride(0);
  return alias(v, {rows, cols}, {rows == 1 ? s * cols : s, rows == 1 ? s : 1}, v.storage_offset());
}

Tensor dot(const Tensor& a, const Tensor& b) {
  TG_CHECK(a.dtype() == b.dtype(), "dot : expected both vectors to have same dtype, but found ", a.dtype(), " and ",
           b.dtype());
  TG_CHECK(a.numel() == b.numel(), "inconsistent tensor size, expected tensor [", a.numel(), "] and src [", b.numel(),
           "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(), " elements respectively");
  const int64_t K = a.numel();
  Tensor out = empty({}, a.dtype());
  kernels::visit_numeric(a.dtype(), "dot", [&](auto tag) {
    using T = decltype(tag);
    *out.data_ptr<T>() = kernels::dot(K, a.data_ptr<T>(), a.stride(0), b.data_ptr<T>(), b.stride(0));
  });
  if (needs_tangent(a, b))
    set_tangent(out, a, [&](const Tensor& t) { return dot(t, b); }, b, [&](const Tensor& t) { return dot(a, t); });
  if (needs_record(a, b)) {
    auto node = make_node("DotBackward0", [](Node& n, const Tensor& g) -> variable_list {
      return {n.needs_input_grad(0) ? g * n.saved(1) : Tensor(), n.needs_input_grad(1) ? g * n.saved(0) : Tensor()};
    }, a, b);
    node->save(save_if(node->needs_input_grad(1), a), false);
    node->save(save_if(node->needs_input_grad(0), b), false);
    set_history(out, node);
  }
  return out;
}

Tensor mv(const Tensor& m, const Tensor& v) {
  TG_CHECK(m.size(1) == v.size(0), "size mismatch, got ", m.size(0), ", ", m.size(0), "x", m.size(1), ",", v.size(0));
  check_same_dtype(m, v);
  Tensor out = empty({m.size(0)}, m.dtype());
  gemm_into(alias(out, {m.size(0), 1}, {1, 1}, 0), m, vector_as_matrix(v, v.size(0), 1), 1, 0, Tensor(),
            "addmv_impl_cpu");
  if (needs_tangent(m, v))
    set_tangent(out, m, [&](const Tensor& t) { return mv(t, v); }, v, [&](const Tensor& t) { return mv(m, t); });
  if (needs_record(m, v)) {
    auto node = make_node("MvBackward0", [](Node& n, const Tensor& g) -> variable_list {
      return {n.needs_input_grad(0) ? g.unsqueeze(1) * n.saved(1) : Tensor(),
              n.needs_input_grad(1) ? mv(n.saved(0).t(), g) : Tensor()};
    }, m, v);
    node->save(save_if(node->needs_input_grad(1), m), false);
    node->save(save_if(node->needs_input_grad(0), v), false);
    set_history(out, node);
  }
  return out;
}

// A fresh product seen with another shape: libtorch's _unsafe_view, which is not a
// view for autograd (nothing else holds the product).
Tensor unsafe_view(const Tensor& t, IntArrayRef shape) {
  Tensor out = alias(t, shape, core::contiguous_strides(shape), t.storage_offset());
  auto to_input = [in_shape = DimVector(t.sizes())](const Tensor& g) { return g.reshape(in_shape); };
  if (needs_tangent(t)) set_view_tangent(out, t, "UnsafeViewBackward0", to_input);
  if (needs_record(t)) {
    auto node = make_node("UnsafeViewBackward0", [to_input](Node&, const Tensor& g) -> variable_list {
      return {to_input(g)};
    }, t);
    set_history(out, node);
  }
  return out;
}

// libtorch's in-place squeeze_(0) of the fresh product in vector @ matrix.
Tensor squeeze_first(const Tensor& t) {
  Tensor out = alias(t, t.sizes().slice(1), t.strides().slice(1), t.storage_offset());
  auto to_input = [](const Tensor& g) { return g.unsqueeze(0); };
  if (needs_tangent(t)) set_view_tangent(out, t, "SqueezeBackward3", to_input);
  if (needs_record(t)) {
    auto node = make_node("SqueezeBackward3", [to_input](Node&, const Tensor& g) -> variable_list {
      return {to_input(g)};
    }, t);
    set_history(out, node);
  }
  return out;
}

// libtorch 1.13's choice of one mm/mv over the batch of the larger operand folded
// into its rows: always for an N-D operand against a vector or matrix, except a
// 3-D one whose last two dims are transposed in place (a permute(0, 2, 1) of
// contiguous memory), which folding would copy while bmm reads it through the
// GEMM's transpose flag.
bool should_fold(const Tensor& t1, int64_t dim2) {
  if (t1.dim() < 3 || dim2 > 2) return false;
  return !(t1.dim() == 3 && dim2 == 2 && t1.stride(2) != 1 && t1.stride(0) == t1.size(1) * t1.size(2));
}

// N-D @ 1-D/2-D (or the reverse, computed transposed) as one mm or mv.
Tensor matmul_folded(const Tensor& a, const Tensor& b) {
  const bool transpose = b.dim() > a.dim();
  const Tensor t1 = transpose ? b.mT() : a;
  const Tensor t2 = !transpose ? b : a.dim() == 2 ? a.t() : a;
  DimVector out_shape(t1.sizes().slice(0, t1.dim() - 1));
  const Tensor folded = t1.reshape({core::numel_of(out_shape), t1.size(-1)});
  if (t2.dim() == 1) return unsafe_view(mv(folded, t2), out_shape);
  out_shape.push_back(t2.size(1));
  Tensor out = unsafe_view(tg::mm(folded, t2), out_shape);
  return transpose ? out.mT().contiguous() : out;
}

// Batched product with broadcast batch dims, both operands at least 2-D.
Tensor matmul_batched(const Tensor& a, const Tensor& b) {
  const int64_t n = a.size(-2), m1 = a.size(-1), m2 = b.size(-2), p = b.size(-1);
  const DimVector batch = core::broadcast_shapes(a.sizes().slice(0, a.dim() - 2), b.sizes().slice(0, b.dim() - 2));
  const int64_t count = core::numel_of(batch);
  DimVector a_shape(batch), b_shape(batch), out_shape(batch);
  a_shape.push_back(n);
  a_shape.push_back(m1);
  b_shape.push_back(m2);
  b_shape.push_back(p);
  out_shape.push_back(n);
  out_shape.push_back(p);
  const Tensor a3 = a.expand(a_shape).reshape({count, n, m1});
  const Tensor b3 = b.expand(b_shape).reshape({count, m2, p});
  return unsafe_view(tg::bmm(a3, b3), out_shape);
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  TG_CHECK(a.dim() == 2, "self must be a matrix");
  TG_CHECK(b.dim() == 2, "mat2 must be a matrix");
  check_multipliable(a, b);
  check_same_dtype(a, b);
  Tensor out = empty({a.size(0), b.size(1)}, a.dtype());
  gemm_into(out, a, b, 1, 0, Tensor(), "addmm_impl_cpu_");
  if (needs_tangent(a, b))
    set_tangent(out, a, [&](const Tensor& t) { return tg::mm(t, b); }, b, [&](const Tensor& t) { return tg::mm(a, t); });
  if (needs_record(a, b)) {
    const bool a_col = column_major(a), b_col = column_major(b);
    auto node = make_node("MmBackward0", [a_col, b_col](Node& n, const Tensor& g) -> variable_list {
      if (n.needs_input_grad(0) && n.needs_input_grad(1))
        if (auto both = mm_backward_side_by_side(n, 0, 1, g, n.saved(0), n.saved(1), a_col, b_col, 1)) return *both;
      return {n.needs_input_grad(0) ? mm_mat1_backward(n, 0, g, n.saved(1), a_col, 1) : Tensor(),
              n.needs_input_grad(1) ? mm_mat2_backward(n, 1, g, n.saved(0), b_col, 1) : Tensor()};
    }, a, b);
    node->save(save_if(node->needs_input_grad(1), a), false);
    node->save(save_if(node->needs_input_grad(0), b), false);
    set_history(out, node);
  }
  return out;
}

Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) {
  TG_CHECK(bias.dtype() == b.dtype(), "self and mat2 must have the same dtype");
  TG_CHECK(a.dtype() == b.dtype(), "mat1 and mat2 must have the same dtype");
  TG_CHECK(a.dim() == 2, "mat1 must be a matrix, got ", a.dim(), "-D tensor");
  TG_CHECK(b.dim() == 2, "mat2 must be a matrix, got ", b.dim(), "-D tensor");
  check_multipliable(a, b);
  const DimVector out_shape{a.size(0), b.size(1)};
  Tensor init;
  {
    AutoGradMode no_grad(false);
    init = bias.expand(out_shape);
  }
  Tensor out = empty(out_shape, a.dtype());
  gemm_into(out, a, b, alpha, beta, init, "addmm_impl_cpu_");
  if (needs_tangent(bias, a, b))
    set_tangent(out, bias, [&](const Tensor& t) { return times(t, beta); }, a,
                [&](const Tensor& t) { return times(tg::mm(t, b), alpha); }, b,
                [&](const Tensor& t) { return times(tg::mm(a, t), alpha); });
  if (needs_record(bias, a, b)) {
    const bool a_col = column_major(a), b_col = column_major(b);
    auto node = make_node("AddmmBackward0", [a_col, b_col, beta, alpha](Node& n, const Tensor& g) -> variable_list {
      if (n.needs_input_grad(1) && n.needs_input_grad(2))
        if (auto both = mm_backward_side_by_side(n, 1, 2, g, n.saved(0), n.saved(1), a_col, b_col, alpha)) {
          (*both)[0] = n.needs_input_grad(0) ? times(g, beta) : Tensor();
          return *both;
        }
      return {n.needs_input_grad(0) ? times(g, beta) : Tensor(),
              n.needs_input_grad(1) ? mm_mat1_backward(n, 1, g, n.saved(1), a_col, alpha) : Tensor(),
              n.needs_input_grad(2) ? mm_mat2_backward(n, 2, g, n.saved(0), b_col, alpha) : Tensor()};
    }, bias, a, b);
    node->save(save_if(node->needs_input_grad(2), a), false);
    node->save(save_if(node->needs_input_grad(1), b), false);
    set_history(out, node);
  }
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  TG_CHECK(a.dim() == 3, "batch1 must be a 3D tensor");
  TG_CHECK(b.dim() == 3, "batch2 must be a 3D tensor");
  TG_CHECK(b.size(0) == a.size(0) && b.size(1) == a.size(2),
           "Expected size for first two dimensions of batch2 tensor to be: [", a.size(0), ", ", a.size(2),
           "] but got: [", b.size(0), ", ", b.size(1), "].");
  check_same_dtype(a, b);
  Tensor out = empty({a.size(0), a.size(1), b.size(2)}, a.dtype());
  gemm_into(out, a, b, 1, 0, Tensor(), "bmm");
  if (needs_tangent(a, b))
    set_tangent(out, a, [&](const Tensor& t) { return t.bmm(b); }, b, [&](const Tensor& t) { return a.bmm(t); });
  if (needs_record(a, b)) {
    auto node = make_node("BmmBackward0", [](Node& n, const Tensor& g) -> variable_list {
      return {n.needs_input_grad(0) ? g.bmm(n.saved(1).transpose(1, 2)) : Tensor(),
              n.needs_input_grad(1) ? n.saved(0).transpose(1, 2).bmm(g) : Tensor()};
    }, a, b);
    node->save(save_if(node->needs_input_grad(1), a), false);
    node->save(save_if(node->needs_input_grad(0), b), false);
    set_history(out, node);
  }
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const int64_t da = a.dim(), db = b.dim();
  TG_CHECK(da != 0 && db != 0, "both arguments to matmul need to be at least 1D, but they are ", da, "D and ", db,
           "D");
  if (da == 1 && db == 1) return dot(a, b);
  if (da == 2 && db == 1) return mv(a, b);
  if (da == 1 && db == 2) return squeeze_first(tg::mm(a.unsqueeze(0), b));
  if (da == 2 && db == 2) return tg::mm(a, b);
  if (should_fold(a, db) || should_fold(b, da)) return matmul_folded(a, b);
  return matmul_batched(a, b);
}

Tensor Tensor::matmul(const Tensor& other) const { return tg::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return tg::mm(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return tg::bmm(*this, other); }

}  // namespace tg
