// Op table: where, maximum/minimum, and the comparisons (kBool results).
#include <cmath>

#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(compare) {
  // ---- where -------------------------------------------------------------------------------------
  add(TG_OP("where", T::where(x[0], x[1], x[2])))
      .sample("same_shape", {mask({2, 3}), normal({2, 3}), normal({2, 3})})
      .sample("broadcast", {mask({2, 3}), normal({3}), normal({2, 1})})
      .sample("broadcast_condition", {mask({3}), normal({2, 3}), normal({2, 3})})
      .sample("promote_int_double", {mask({3}), constant(tensor({1, 2, 3})), normal({3})})
      .error("float_condition", {normal({2}), normal({2}), normal({2})},
             "where expected condition to be a boolean tensor, but got a tensor with dtype Double");
  add(TG_OP("where_scalar_other", T::where(x[0], x[1], 0.5)))
      .sample("matrix", {mask({2, 3}), normal({2, 3})})
      .sample("int_self", {mask({3}), constant(tensor({1, 2, 3}))});
  add(TG_OP("where_scalar_self", T::where(x[0], -1.5, x[1]))).sample("matrix", {mask({2, 3}), normal({2, 3})});
  add(TG_OP("where_scalars", T::where(x[0], 1, 2.5)))
      .sample("mask", {mask({4})})
      .not_differentiable("no tensor operand");
  // The unselected branch is NaN where x <= 0, but its gradient there is finite
  // (1/x), so the result's gradient has no NaN.
  add(TG_OP("where_guarded_log", T::where(x[0] > 0, x[0].log(), x[0] * 2)))
      .sample("mixed_signs", {away_from_zero({2, 3})});

  // ---- maximum / minimum --------------------------------------------------------------------------
  add(TG_OP("maximum", T::maximum(x[0], x[1])))
      .sample("same_shape", {normal({2, 3}), normal({2, 3})})
      .sample("broadcast", {normal({2, 3}), normal({3, 1, 1})})
      .sample("promote_int_double", {constant(tensor({0, 1, -1})), normal({3})})
      .edge("ties", {values(tensor({1.0, 2.0, -1.0})), values(tensor({1.0, 0.0, -1.0}))},
            "ties split the gradient in half")
      .edge("nan", {values(tensor({std::nan(""), 1.0})), values(tensor({0.0, std::nan("")}))}, "NaN propagates");
  add(TG_OP("maximum_method", x[0].maximum(x[1]))).sample("same_shape", {normal({4}), normal({4})});
  add(TG_OP("minimum", T::minimum(x[0], x[1])))
      .sample("same_shape", {normal({2, 3}), normal({2, 3})})
      .sample("broadcast", {normal({3, 1}), normal({2})})
      .edge("ties", {values(tensor({1.0, 2.0, -1.0})), values(tensor({1.0, 0.0, -1.0}))},
            "ties split the gradient in half");
  add(TG_OP("minimum_method", x[0].minimum(x[1]))).sample("same_shape", {normal({4}), normal({4})});

  // ---- comparisons ----------------------------------------------------------------------------------
  // Values from a small set, so that equal elements occur.
  const Tensor a = tensor({{1.0, 2.0, 3.0}, {3.0, 2.0, 1.0}});
  const Tensor b = tensor({2.0, 2.0, 1.0});
  const char* why = "comparisons return kBool";
  add(TG_OP("eq", T::eq(x[0], x[1])))
      .sample("broadcast", {values(a), values(b)})
      .sample("int_vs_double", {constant(tensor({1, 2, 3})), values(tensor({1.0, 2.5, 3.0}))})
      .not_differentiable(why);
  add(TG_OP("ne", x[0].ne(x[1]))).sample("broadcast", {values(a), values(b)}).not_differentiable(why);
  add(TG_OP("lt", x[0] < x[1]))
      .sample("broadcast", {values(a), values(b)})
      .sample("bool_vs_int", {constant(tensor({true, false})), constant(tensor({1, 0}))})
      .not_differentiable(why);
  add(TG_OP("le", x[0] <= x[1])).sample("broadcast", {values(a), values(b)}).not_differentiable(why);
  add(TG_OP("gt", T::gt(x[0], x[1]))).sample("broadcast", {values(a), values(b)}).not_differentiable(why);
  add(TG_OP("ge", x[0] >= x[1])).sample("broadcast", {values(a), values(b)}).not_differentiable(why);
  add(TG_OP("eq_operator", x[0] == x[1])).sample("broadcast", {values(a), values(b)}).not_differentiable(why);
  add(TG_OP("ne_operator", x[0] != x[1])).sample("broadcast", {values(a), values(b)}).not_differentiable(why);
  add(TG_OP("gt_operator", x[0] > x[1])).sample("broadcast", {values(a), values(b)}).not_differentiable(why);
  add(TG_OP("lt_scalar", x[0] < 2.0))
      .sample("matrix", {values(a)})
      .sample("int_vs_float_scalar", {constant(tensor({1, 2, 3}))})
      .not_differentiable(why);
  add(TG_OP("le_scalar", x[0].le(2))).sample("matrix", {values(a)}).not_differentiable(why);
  add(TG_OP("eq_scalar", x[0] == 2)).sample("matrix", {values(a)}).not_differentiable(why);
  add(TG_OP("ne_scalar", T::ne(x[0], 2.0))).sample("matrix", {values(a)}).not_differentiable(why);
  add(TG_OP("gt_scalar", x[0] > 1.5)).sample("matrix", {values(a)}).not_differentiable(why);
  add(TG_OP("ge_scalar", x[0].ge(3))).sample("matrix", {values(a)}).not_differentiable(why);
}

}  // namespace tg::optable
