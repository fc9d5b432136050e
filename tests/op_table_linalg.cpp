// Op table: matmul (every dispatch: dot, mv, mm, batched with broadcasting), mm,
// bmm, addmm and F::linear.
#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(linalg) {
  add(TG_OP("matmul", T::matmul(x[0], x[1])))
      .sample("matrices", {normal({2, 3}), normal({3, 4})})
      .sample("dot", {normal({3}), normal({3})})
      .sample("vector_matrix", {normal({3}), normal({3, 2})})
      .sample("matrix_vector", {normal({2, 3}), normal({3})})
      .sample("batched", {normal({2, 2, 3}), normal({2, 3, 2})})
      .sample("batch_times_matrix", {normal({2, 2, 3}), normal({3, 2})})
      .sample("broadcast_batch", {normal({2, 1, 2, 3}), normal({3, 3, 2})})
      .error("mismatch", {normal({2, 3}), normal({4, 2})},
             "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)");
  add(TG_OP("matmul_method", x[0].matmul(x[1]))).sample("matrix_batch", {normal({2, 3}), normal({2, 3, 2})});
  add(TG_OP("mm", T::mm(x[0], x[1])))
      .sample("matrices", {normal({3, 2}), normal({2, 4})})
      .error("mismatch", {normal({2, 3}), normal({2, 3})}, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
  add(TG_OP("mm_method", x[0].mm(x[1]))).sample("matrices", {normal({2, 2}), normal({2, 3})});
  add(TG_OP("bmm", T::bmm(x[0], x[1]))).sample("batches", {normal({2, 3, 2}), normal({2, 2, 3})});
  add(TG_OP("addmm", T::addmm(x[0], x[1], x[2])))
      .sample("bias_row", {normal({3}), normal({2, 4}), normal({4, 3})})
      .sample("bias_full", {normal({2, 3}), normal({2, 4}), normal({4, 3})});
  add(TG_OP("addmm_scaled", T::addmm(x[0], x[1], x[2], 0.5, -2)))
      .sample("bias_column", {normal({2, 1}), normal({2, 4}), normal({4, 3})});
  add(TG_OP("linear", T::nn::functional::linear(x[0], x[1], x[2])))
      .sample("batch", {normal({4, 3}), normal({2, 3}), normal({2})})
      .sample("sequence", {normal({2, 3, 3}), normal({2, 3}), normal({2})})
      .sample("vector_input", {normal({3}), normal({2, 3}), normal({2})});
  add(TG_OP("linear_no_bias", T::nn::functional::linear(x[0], x[1]))).sample("batch", {normal({4, 3}), normal({2, 3})});
}

}  // namespace tg::optable
