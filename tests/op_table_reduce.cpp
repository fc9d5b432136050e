// Op table: reductions (sum, mean, max/min whole and along a dim, amax/amin,
// argmax/argmin, logsumexp) and softmax / log_softmax.
#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(reduce) {
  // Ties: the maximum 3 and the minimum -1 occur twice.
  const Tensor ties = tensor({{3.0, -1.0, 3.0}, {0.5, -1.0, 2.0}});
  // Logits large enough to overflow exp() without the max shift.
  const Tensor large = tensor({{1e4, 1e4 - 1.0, -1e4}, {-800.0, 0.0, 800.0}});
  const char* tie_why = "finite differences split a tie differently from the subgradient";

  // ---- sum / mean ----------------------------------------------------------------------------------
  add(TG_OP("sum", x[0].sum()))
      .sample("matrix", {normal({2, 3})})
      .sample("zero_dim", {normal({})})
      .sample("int_tensor", {constant(tensor({1, 2, 3}))})
      .sample("bool_tensor", {constant(tensor({true, false, true}))});
  add(TG_OP("sum_function", T::sum(x[0]))).sample("cube", {normal({2, 2, 2})});
  add(TG_OP("sum_dtype", x[0].sum(T::kFloat64))).sample("matrix", {normal({2, 3})});
  add(TG_OP("sum_dim", x[0].sum(1)))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({{1, 2}, {3, 4}}))});
  add(TG_OP("sum_dim_keepdim_negative", x[0].sum({-1}, true))).sample("cube", {normal({2, 3, 2})});
  add(TG_OP("sum_dims", x[0].sum(std::vector<int64_t>{0, 2}))).sample("cube", {normal({2, 3, 2})});
  add(TG_OP("sum_dims_keepdim", T::sum(x[0], std::vector<int64_t>{-1, 0}, true))).sample("cube", {normal({2, 3, 2})});
  add(TG_OP("sum_dims_negative", x[0].sum(std::vector<int64_t>{1, -2})))
      .sample("matrix", {normal({2, 3})})
      .error("repeated_dim", {normal({2, 2, 2})}, "dim 1 appears multiple times in the list of dims");
  add(TG_OP("sum_dim_out_of_range", x[0].sum(2)))
      .sample("cube", {normal({2, 2, 2})})
      .error("matrix", {normal({2, 2})}, "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  add(TG_OP("mean", x[0].mean()))
      .sample("matrix", {normal({2, 3})})
      .error("int_tensor", {constant(tensor({1, 2}))},
             "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
             "Got: Long");
  add(TG_OP("mean_dim", x[0].mean(0))).sample("matrix", {normal({3, 2})});
  add(TG_OP("mean_dims_keepdim", x[0].mean(std::vector<int64_t>{0, -1}, true))).sample("cube", {normal({2, 3, 2})});
  add(TG_OP("mean_function", T::mean(x[0], {1}))).sample("cube", {normal({2, 3, 2})});

  // ---- max / min -------------------------------------------------------------------------------------
  add(TG_OP("max", x[0].max()))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({4, -2, 7}))})
      .edge("ties", {values(ties)}, tie_why)
      .error("empty", {normal({0})}, "Expected reduction dim to be specified for input.numel() == 0");
  add(TG_OP("min", T::min(x[0])))
      .sample("matrix", {normal({2, 3})})
      .edge("ties", {values(ties)}, tie_why);
  add(TG_OP("max_dim_values", std::get<0>(x[0].max(1))))
      .sample("matrix", {normal({3, 4})})
      .edge("ties", {values(ties)}, tie_why);
  add(TG_OP("max_dim_keepdim_negative", std::get<0>(T::max(x[0], -2, true))))
      .sample("cube", {normal({2, 3, 2})})
      .edge("ties", {values(ties)}, tie_why);
  add(TG_OP("max_dim_indices", std::get<1>(x[0].max(-1))))
      .sample("matrix", {normal({3, 4})})
      .sample("ties", {values(ties)})
      .not_differentiable("indices are int64");
  add(TG_OP("min_dim_values", std::get<0>(x[0].min(0))))
      .sample("matrix", {normal({3, 4})})
      .edge("ties", {values(ties.t())}, tie_why);
  add(TG_OP("min_dim_indices", std::get<1>(T::min(x[0], 1, true))))
      .sample("ties", {values(ties)})
      .not_differentiable("indices are int64");
  add(TG_OP("amax", x[0].amax(-1)))
      .sample("matrix", {normal({2, 3})})
      .edge("ties", {values(ties)}, tie_why);
  add(TG_OP("amax_dims_keepdim", T::amax(x[0], std::vector<int64_t>{0, 1}, true)))
      .sample("cube", {normal({2, 2, 3})})
      .edge("ties", {values(ties)}, tie_why);
  add(TG_OP("amax_all", x[0].amax())).sample("matrix", {normal({2, 3})});
  add(TG_OP("amin", x[0].amin(0)))
      .sample("matrix", {normal({2, 3})})
      .edge("ties", {values(ties.t())}, tie_why);
  add(TG_OP("amin_dims", T::amin(x[0], std::vector<int64_t>{-1, 0}))).sample("cube", {normal({2, 2, 3})});

  // ---- argmax / argmin (ties: the first index, as libtorch) ----------------------------------------------
  const char* idx_why = "indices are int64";
  add(TG_OP("argmax", x[0].argmax()))
      .sample("matrix", {normal({3, 4})})
      .sample("ties", {values(ties)})
      .not_differentiable(idx_why);
  add(TG_OP("argmax_dim", x[0].argmax(1)))
      .sample("ties", {values(ties)})
      .sample("int_tensor", {constant(tensor({{1, 5, 5}, {7, 7, 0}}))})
      .not_differentiable(idx_why);
  add(TG_OP("argmax_dim_keepdim", T::argmax(x[0], -1, true)))
      .sample("cube", {normal({2, 3, 4})})
      .not_differentiable(idx_why);
  add(TG_OP("argmin", x[0].argmin()))
      .sample("ties", {values(ties)})
      .not_differentiable(idx_why);
  add(TG_OP("argmin_dim", T::argmin(x[0], 0)))
      .sample("ties", {values(ties)})
      .not_differentiable(idx_why);

  // ---- logsumexp / softmax ------------------------------------------------------------------------------
  add(TG_OP("logsumexp", x[0].logsumexp(1)))
      .sample("matrix", {normal({2, 3})})
      .sample("large_logits", {values(large)})
      .sample("int_tensor", {constant(tensor({{1, 2}, {3, 4}}))});
  add(TG_OP("logsumexp_keepdim_negative", T::logsumexp(x[0], {-1}, true))).sample("cube", {normal({2, 3, 2})});
  add(TG_OP("logsumexp_dims", x[0].logsumexp(std::vector<int64_t>{0, 2}))).sample("cube", {normal({2, 3, 2})});
  // Integer inputs need a dtype: without one libtorch names the kernel that refuses them.
  const Tensor int_matrix = tensor({{1, 2, 3}, {4, 5, 6}});
  add(TG_OP("softmax", T::softmax(x[0], -1)))
      .sample("matrix", {normal({2, 3})})
      .sample("large_logits", {values(large)})
      .sample("middle_dim", {normal({2, 3, 2})})
      .sample("empty_int_tensor", {constant(zeros({0}, kLong))})
      .error("int_tensor", {constant(int_matrix)}, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'")
      .error("bool_tensor", {constant(tensor({true, false}))},
             "\"softmax_lastdim_kernel_impl\" not implemented for 'Bool'");
  add(TG_OP("softmax_dim0", x[0].softmax(0)))
      .sample("cube", {normal({3, 2, 2})})
      .error("int_tensor", {constant(int_matrix)}, "\"softmax_kernel_impl\" not implemented for 'Long'");
  add(TG_OP("softmax_dtype", T::softmax(x[0], 1, T::kFloat64)))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(int_matrix)});
  add(TG_OP("log_softmax", T::log_softmax(x[0], 1)))
      .sample("matrix", {normal({2, 3})})
      .sample("large_logits", {values(large)})
      .sample("middle_dim", {normal({2, 3, 2})})
      .error("int_tensor", {constant(int_matrix)}, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'");
  add(TG_OP("log_softmax_method", x[0].log_softmax(-3)))
      .sample("cube", {normal({2, 3, 2})})
      .error("int_tensor", {constant(int_matrix.unsqueeze(0))},
             "\"softmax_kernel_impl\" not implemented for 'Long'");
}

}  // namespace tg::optable
