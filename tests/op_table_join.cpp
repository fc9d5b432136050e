// Op table: tg::cat and tg::stack (the whole input list is joined).
#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(join) {
  add(TG_OP("cat", T::cat(x, 0)))
      .sample("rows", {normal({2, 3}), normal({1, 3})})
      .sample("single", {normal({2, 2})})
      .sample("legacy_empty_skipped", {normal({0}), normal({2, 3}), normal({0})})
      .sample("all_empty", {normal({0}), normal({0})})
      .sample("promote_int_double", {constant(tensor({{1, 2}})), normal({2, 2})})
      .sample("promote_bool_int", {constant(tensor({true, false})), constant(tensor({3, 4}))})
      .error("empty_list", {}, "torch.cat(): expected a non-empty list of Tensors")
      .error("zero_dim", {normal({2}), normal({})}, "zero-dimensional tensor (at position 1) cannot be concatenated")
      .error("different_dims", {normal({2, 3}), normal({3})}, "Tensors must have same number of dimensions: got 2 and 1")
      .error("size_mismatch", {normal({2, 3}), normal({2, 4})},
             "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 "
             "in the list.");
  add(TG_OP("cat_last_dim", T::cat(x, -1)))
      .sample("three", {normal({2, 1}), normal({2, 3}), normal({2, 2})})
      .sample("cube", {normal({2, 2, 1}), normal({2, 2, 2})})
      .sample("empty_along_dim", {normal({2, 0}), normal({2, 3})})
      .error("dim_mismatch", {normal({2, 3}), normal({3, 3})},
             "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for tensor number 1 "
             "in the list.");
  add(TG_OP("cat_dim_2", T::cat(x, 2)))
      .sample("cube", {normal({1, 2, 2}), normal({1, 2, 1})})
      .error("matrix", {normal({2, 2}), normal({2, 2})},
             "Dimension out of range (expected to be in range of [-2, 1], but got 2)");
  add(TG_OP("stack", T::stack(x, 0)))
      .sample("matrices", {normal({2, 3}), normal({2, 3})})
      .sample("zero_dim", {normal({}), normal({}), normal({})})
      .sample("single", {normal({3})})
      .sample("promote_int_double", {constant(tensor({1, 2})), normal({2})})
      .error("empty_list", {}, "stack expects a non-empty TensorList")
      .error("unequal", {normal({2, 3}), normal({3, 2})},
             "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 2] at entry 1");
  add(TG_OP("stack_last", T::stack(x, -1)))
      .sample("matrices", {normal({2, 3}), normal({2, 3})})
      .sample("zero_dim", {normal({}), normal({})});
  add(TG_OP("stack_middle", T::stack(x, 1)))
      .sample("matrices", {normal({2, 3}), normal({2, 3}), normal({2, 3})})
      .error("zero_dim", {normal({}), normal({})}, "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
}

}  // namespace tg::optable
