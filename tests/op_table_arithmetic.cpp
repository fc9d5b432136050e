// Op table: + - * / with tensors and scalars on either side, their named and
// in-place forms (add_ ... /=, zero_, fill_, copy_), neg, and pow in its three forms.
#include <limits>

#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(arithmetic) {
  // ---- add / sub ------------------------------------------------------------------------------
  add(TG_OP("add", x[0] + x[1]))
      .sample("same_shape", {normal({2, 3}), normal({2, 3})})
      .sample("broadcast_row", {normal({2, 3}), normal({3})})
      .sample("broadcast_both", {normal({2, 1, 3}), normal({4, 1})})
      .sample("zero_dim", {normal({}), normal({2, 3})})
      .sample("int_plus_double", {constant(tensor({1, 2, 3})), normal({3})})
      .sample("float32_plus_double_0dim", {constant(tensor({1.5, -2.0}, kFloat)), constant(tensor(2.25, kDouble))})
      .sample("bool_plus_int", {constant(tensor({true, false, true})), constant(tensor({4, 5, 6}))})
      .error("shape_mismatch", {normal({2, 3}), normal({4})},
             "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1")
      .error("two_mismatched_dims_name_the_last", {normal({2, 3}), normal({3, 2})},
             "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1");
  add(TG_OP("add_alpha", T::add(x[0], x[1], 2.5)))
      .sample("broadcast", {normal({2, 3}), normal({2, 1})})
      .error("float_alpha_on_ints", {constant(tensor({1, 2})), constant(tensor({3, 4}))}, "For integral input tensors, argument alpha must not be a floating point number.");
  add(TG_OP("add_scalar", x[0] + 2.5))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({1, -2, 3}))});
  add(TG_OP("add_int_scalar", x[0] + 2))
      .sample("int_tensor", {constant(tensor({1, -2, 3}))})
      .sample("bool_tensor", {constant(tensor({true, false}))})
      .sample("double", {normal({3})});
  add(TG_OP("radd_scalar", 2.5 + x[0])).sample("matrix", {normal({2, 3})});
  add(TG_OP("sub", x[0] - x[1]))
      .sample("broadcast", {normal({3, 1}), normal({4})})
      .sample("zero_dim", {normal({2, 2}), normal({})})
      .error("bools", {constant(tensor({true})), constant(tensor({false}))},
             "Subtraction, the `-` operator, with two bool tensors is not supported.");
  add(TG_OP("sub_alpha", T::sub(x[0], x[1], 0.5))).sample("same_shape", {normal({2, 3}), normal({2, 3})});
  add(TG_OP("sub_scalar", x[0] - 1.5))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({1, -2, 3}))});
  add(TG_OP("rsub_scalar", 1.5 - x[0]))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({1, -2, 3}))});
  add(TG_OP("rsub", T::rsub(x[0], 1.5, 2))).sample("vector", {normal({4})});

  // ---- mul / div / neg ------------------------------------------------------------------------
  add(TG_OP("mul", x[0] * x[1]))
      .sample("same_shape", {normal({2, 3}), normal({2, 3})})
      .sample("broadcast_both", {normal({3, 1}), normal({1, 4})})
      .sample("zero_dim", {normal({}), normal({3})})
      .sample("bool_times_double", {constant(tensor({true, false, true})), normal({3})});
  add(TG_OP("mul_scalar", x[0] * 2.5))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({1, -2, 3}))});
  add(TG_OP("rmul_scalar", -0.5 * x[0])).sample("matrix", {normal({2, 3})});
  add(TG_OP("div", x[0] / x[1]))
      .sample("same_shape", {normal({2, 3}), away_from_zero({2, 3})})
      .sample("broadcast", {normal({2, 3}), away_from_zero({3})})
      .sample("broadcast_divisor_bigger", {normal({3}), away_from_zero({2, 3})})
      .sample("int_by_int", {constant(tensor({1, 7, -3})), constant(tensor({2, 2, 4}))});
  add(TG_OP("div_scalar", x[0] / 4.0))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({1, 7, -3}))});
  add(TG_OP("rdiv_scalar", 2.5 / x[0]))
      .sample("matrix", {away_from_zero({2, 3})})
      .error("int_tensor", {constant(tensor({1, 2}))}, "result type Float can't be cast to the desired output type Long");
  add(TG_OP("neg", -x[0]))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({1, -2}))})
      .error("bool", {constant(tensor({true}))}, "Negation, the `-` operator, on a bool tensor is not supported.");
  add(TG_OP("neg_function", T::neg(x[0]))).sample("zero_dim", {normal({})});

  // ---- in-place forms (on a clone: the inputs are leaves) --------------------------------------
  add(TG_OP("add_inplace", x[0].clone().add_(x[1])))
      .sample("broadcast", {normal({2, 3}), normal({3})})
      .error("broadcast_into_smaller", {normal({3}), normal({2, 3})},
             "output with shape [3] doesn't match the broadcast shape [2, 3]")
      .error("float_into_int", {constant(tensor({1, 2})), constant(tensor({0.5, 1.5}, kDouble))},
             "result type Double can't be cast to the desired output type Long");
  add(TG_OP("add_inplace_alpha", x[0].clone().add_(x[1], -2))).sample("same_shape", {normal({2, 2}), normal({2, 2})});
  add(TG_OP("sub_inplace", x[0].clone().sub_(x[1]))).sample("broadcast", {normal({2, 3}), normal({2, 1})});
  add(TG_OP("mul_inplace", x[0].clone().mul_(x[1]))).sample("broadcast", {normal({2, 3}), normal({3})});
  add(TG_OP("div_inplace", x[0].clone().div_(x[1])))
      .sample("broadcast", {normal({2, 3}), away_from_zero({3})})
      .error("int_by_int", {constant(tensor({1, 2})), constant(tensor({2, 2}))},
             "result type Float can't be cast to the desired output type Long");
  add(TG_OP("scalar_inplace", x[0].clone().add_(1.5).mul_(-2).sub_(0.25).div_(4)))
      .sample("matrix", {normal({2, 3})});
  add(TG_OP("compound_assign", (x[0].clone() += x[1]) *= x[1]))
      .sample("broadcast", {normal({2, 3}), normal({3})});
  add(TG_OP("compound_assign_scalar", (x[0].clone() += 1.5) *= -2)).sample("matrix", {normal({2, 3})});
  add(TG_OP("sub_assign", x[0].clone() -= x[1]))
      .sample("same_shape", {normal({2, 3}), normal({2, 3})})
      .sample("broadcast", {normal({2, 3}), normal({2, 1})})
      .error("broadcast_into_smaller", {normal({3}), normal({2, 3})},
             "output with shape [3] doesn't match the broadcast shape [2, 3]");
  add(TG_OP("sub_assign_scalar", x[0].clone() -= 0.75)).sample("matrix", {normal({2, 3})});
  add(TG_OP("div_assign", x[0].clone() /= x[1]))
      .sample("same_shape", {normal({2, 3}), away_from_zero({2, 3})})
      .sample("broadcast", {normal({2, 3}), away_from_zero({3})})
      .error("int_by_int", {constant(tensor({1, 2})), constant(tensor({2, 2}))},
             "result type Float can't be cast to the desired output type Long");
  add(TG_OP("div_assign_scalar", x[0].clone() /= -4.0)).sample("matrix", {normal({2, 3})});

  // ---- fills and copies in place ---------------------------------------------------------------
  // The result no longer depends on the input: its gradient is zero.
  add(TG_OP("zero_", x[0].clone().zero_()))
      .sample("matrix", {normal({2, 3})})
      .sample("zero_dim", {normal({})})
      .sample("int_tensor", {constant(tensor({1, -2, 3}))});
  add(TG_OP("zero_then_add", x[0].clone().zero_() + x[0] * x[0])).sample("matrix", {normal({2, 3})});
  add(TG_OP("fill_", x[0].clone().fill_(2.5)))
      .sample("matrix", {normal({2, 3})})
      .sample("bool_tensor", {constant(tensor({true, false}))});
  add(TG_OP("fill_int_into_double", x[0].clone().fill_(-3) * x[0])).sample("vector", {normal({4})});
  add(TG_OP("fill_inf_into_long", x[0].clone().fill_(std::numeric_limits<double>::infinity())))
      .error("long", {constant(tensor({1, 2}))}, "value cannot be converted to type int64_t without overflow");
  // copy_ records libtorch's CopyBackwards, whose name() is the C++ type's:
  // "torch::autograd::CopyBackwards" in libtorch, "CopyBackwards" in tensorgrad.
  const char* copy_why = "libtorch's name() is its C++ type name torch::autograd::CopyBackwards";
  add(TG_OP("copy_", x[0].clone().copy_(x[1])))
      .sample("same_shape", {normal({2, 3}), normal({2, 3})})
      .sample("broadcast", {normal({2, 3}), normal({3})})
      .sample("broadcast_column", {normal({2, 3}), normal({2, 1})})
      .sample("from_int", {normal({3}), constant(tensor({1, -2, 3}))})
      .sample("from_float32", {normal({2}), constant(tensor({0.5, -1.25}, kFloat))})
      .known_grad_fn("CopyBackwards", copy_why)
      .error("shape_mismatch", {normal({3}), normal({2})},
             "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0")
      .error("shape_mismatch_inner", {normal({2, 3}), normal({2, 2})},
             "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1")
      .error("broadcast_into_smaller", {normal({3}), normal({2, 3})},
             "output with shape [3] doesn't match the broadcast shape [2, 3]");
  add(TG_OP("copy_into_int", x[0].clone().copy_(x[1])))
      .sample("truncates", {constant(tensor({0, 0, 0})), constant(tensor({1.5, -2.5, 3.0}, kDouble)).no_grad()})
      .not_differentiable("the result is int64");

  // ---- named forms ------------------------------------------------------------------------------
  add(TG_OP("add_method", x[0].add(x[1]))).sample("broadcast", {normal({2, 3}), normal({3})});
  add(TG_OP("add_method_alpha", x[0].add(x[1], -1.5))).sample("broadcast", {normal({2, 1}), normal({2, 3})});
  add(TG_OP("add_method_scalar", x[0].add(2.5, 2))).sample("matrix", {normal({2, 3})});
  add(TG_OP("sub_method", x[0].sub(x[1]))).sample("broadcast", {normal({2, 3}), normal({2, 1})});
  add(TG_OP("sub_method_alpha", x[0].sub(x[1], 3))).sample("same_shape", {normal({2, 3}), normal({2, 3})});
  add(TG_OP("sub_method_scalar", x[0].sub(0.5))).sample("matrix", {normal({2, 3})});
  add(TG_OP("mul_method", x[0].mul(x[1]))).sample("broadcast", {normal({3, 1}), normal({1, 4})});
  add(TG_OP("mul_method_scalar", x[0].mul(-3))).sample("matrix", {normal({2, 3})});
  add(TG_OP("mul_function", T::mul(x[0], x[1])))
      .sample("broadcast", {normal({2, 3}), normal({3})})
      .sample("int_times_double", {constant(tensor({2, -1, 0})), normal({3})});
  add(TG_OP("div_method", x[0].div(x[1]))).sample("broadcast", {normal({2, 3}), away_from_zero({2, 1})});
  add(TG_OP("div_method_scalar", x[0].div(0.25))).sample("matrix", {normal({2, 3})});
  add(TG_OP("div_function", T::div(x[0], x[1])))
      .sample("broadcast", {normal({3}), away_from_zero({2, 3})})
      .sample("int_by_int", {constant(tensor({1, 7, -3})), constant(tensor({2, 2, 4}))})
      .error("shape_mismatch", {normal({2, 3}), away_from_zero({2})},
             "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1");

  // ---- pow --------------------------------------------------------------------------------------
  add(TG_OP("pow_scalar_2", x[0].pow(2)))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({1, -2, 3}))});
  add(TG_OP("pow_scalar_3", T::pow(x[0], 3))).sample("matrix", {normal({2, 3})});
  add(TG_OP("pow_scalar_half", x[0].pow(0.5)))
      .sample("positive", {positive({2, 3})})
      .sample("int_tensor", {constant(tensor({1, 4, 9}))});
  add(TG_OP("pow_scalar_negative", x[0].pow(-1.5))).sample("positive", {positive({4})});
  add(TG_OP("pow_scalar_0", x[0].pow(0))).sample("matrix", {normal({2, 3})});
  add(TG_OP("pow_scalar_int_negative", x[0].pow(-1)))
      .sample("double", {away_from_zero({3})})
      .error("int_tensor", {constant(tensor({1, 2}))}, "Integers to negative integer powers are not allowed.");
  add(TG_OP("square", x[0].square())).sample("matrix", {normal({2, 3})});
  add(TG_OP("square_function", T::square(x[0])))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({-3, 0, 2}))});
  add(TG_OP("pow_tensor", T::pow(x[0], x[1])))
      .sample("same_shape", {positive({2, 3}), normal({2, 3})})
      .sample("broadcast_exponent", {positive({2, 3}), normal({3})})
      .sample("broadcast_base", {positive({3, 1}), normal({2, 3, 4})})
      .edge("zero_base", {values(tensor({0.0, 0.0, 2.0})), values(tensor({2.0, 0.0, 3.0}))},
            "d/d(exponent) of 0^e is defined as 0 by convention")
      .sample("int_tensors", {constant(tensor({2, 3})), constant(tensor({3, 0}))});
  add(TG_OP("pow_tensor_method", x[0].pow(x[1]))).sample("negative_base_int_exponent", {normal({3}), constant(tensor({2, 3, 1}))});
  add(TG_OP("pow_scalar_base", T::pow(2.5, x[0])))
      .sample("matrix", {normal({2, 3})})
      .sample("int_exponent", {constant(tensor({0, 1, 3}))});
  add(TG_OP("pow_int_scalar_base", T::pow(2, x[0])))
      .sample("double", {normal({3})})
      .sample("int_exponent", {constant(tensor({0, 1, 3}))});
}

}  // namespace tg::optable
