// Op table: elementwise functions of one tensor (exp, log, activations, clamp, ...),
// prelu, and the predicates without gradient.
#include <cmath>
#include <limits>

#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(unary) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();

  add(TG_OP("exp", x[0].exp()))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({0, 1, 2}))});
  add(TG_OP("exp_function", T::exp(x[0]))).sample("zero_dim", {normal({})});
  add(TG_OP("log", x[0].log()))
      .sample("positive", {positive({2, 3})})
      .edge("negative", {values(tensor({-1.0, 2.0}))}, "log is NaN below 0");
  add(TG_OP("log_function", T::log(x[0])))
      .sample("positive", {positive({2, 3})})
      .sample("int_tensor", {constant(tensor({1, 2, 4}))});
  add(TG_OP("sqrt", x[0].sqrt())).sample("positive", {positive({2, 3})});
  add(TG_OP("sqrt_function", T::sqrt(x[0])))
      .sample("positive", {positive({2, 3})})
      .sample("int_tensor", {constant(tensor({1, 4, 9}))});
  add(TG_OP("rsqrt", x[0].rsqrt())).sample("positive", {positive({2, 3})});
  add(TG_OP("reciprocal", x[0].reciprocal()))
      .sample("away_from_zero", {away_from_zero({2, 3})})
      .sample("int_tensor", {constant(tensor({1, 2, -4}))});
  add(TG_OP("erf", x[0].erf())).sample("matrix", {normal({2, 3})});
  add(TG_OP("abs", x[0].abs()))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({-3, 0, 2}))})
      .edge("zeros", {values(tensor({0.0, -1.5, 0.0, 2.0}))}, "abs has a kink at 0 (subgradient 0)")
      .error("bool", {constant(tensor({true}))}, "\"abs_cpu\" not implemented for 'Bool'");
  add(TG_OP("abs_function", T::abs(x[0])))
      .sample("matrix", {normal({3, 2})})
      .edge("zeros", {values(tensor({0.0, -1.5, 0.0, 2.0}))}, "abs has a kink at 0 (subgradient 0)");
  add(TG_OP("sign", x[0].sign()))
      .sample("matrix", {normal({2, 3})})
      .edge("zeros", {values(tensor({0.0, -1.5, 2.0}))}, "sign jumps at 0");
  add(TG_OP("tanh", x[0].tanh()))
      .sample("matrix", {normal({2, 3})})
      .sample("large", {values(tensor({-30.0, 30.0, 0.5}))});
  add(TG_OP("tanh_function", T::tanh(x[0]))).sample("vector", {normal({4})});
  add(TG_OP("sigmoid", x[0].sigmoid()))
      .sample("matrix", {normal({2, 3})})
      .sample("large", {values(tensor({-40.0, 40.0, 0.5}))})
      .sample("int_tensor", {constant(tensor({-1, 0, 1}))});
  add(TG_OP("sigmoid_function", T::sigmoid(x[0]))).sample("vector", {normal({4})});
  add(TG_OP("relu", x[0].relu()))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor", {constant(tensor({-3, 0, 2}))})
      .edge("zeros", {values(tensor({0.0, -1.5, 0.0, 2.0}))}, "relu has a kink at 0 (subgradient 0)");
  add(TG_OP("relu_function", T::relu(x[0]))).sample("matrix", {normal({3, 2})});
  add(TG_OP("gelu", T::gelu(x[0])))
      .sample("matrix", {normal({2, 3})})
      .sample("wide", {uniform({8}, -6.0, 6.0)})
      .error("int_tensor", {constant(tensor({-3, 0, 2}))}, "\"GeluKernelImpl\" not implemented for 'Long'");
  add(TG_OP("gelu_tanh", T::gelu(x[0], "tanh")))
      .sample("matrix", {normal({2, 3})})
      .sample("wide", {uniform({8}, -6.0, 6.0)})
      .error("bool_tensor", {constant(tensor({true, false}))}, "\"GeluKernelImpl\" not implemented for 'Bool'");
  add(TG_OP("gelu_bad_mode", T::gelu(x[0], "sigmoid")))
      .error("vector", {normal({2})}, "approximate argument must be either none or tanh.");
  add(TG_OP("relu_functional", T::nn::functional::relu(x[0])))
      .sample("matrix", {normal({2, 3})})
      .edge("zeros", {values(tensor({0.0, -1.5, 0.0, 2.0}))}, "relu has a kink at 0 (subgradient 0)");
  add(TG_OP("relu_functional_inplace", T::nn::functional::relu(x[0].clone(), T::nn::functional::ReLUFuncOptions(true))))
      .sample("matrix", {normal({2, 3})});
  add(TG_OP("gelu_functional", T::nn::functional::gelu(x[0]))).sample("matrix", {normal({2, 3})});
  add(TG_OP("gelu_functional_tanh",
            T::nn::functional::gelu(x[0], T::nn::functional::GELUFuncOptions().approximate("tanh"))))
      .sample("matrix", {normal({2, 3})});
  add(TG_OP("leaky_relu_functional",
            T::nn::functional::leaky_relu(x[0], T::nn::functional::LeakyReLUFuncOptions().negative_slope(0.1))))
      .sample("matrix", {normal({2, 3})});
  add(TG_OP("leaky_relu", T::leaky_relu(x[0])))
      .sample("matrix", {normal({2, 3})})
      .edge("zeros", {values(tensor({0.0, -1.5, 2.0}))}, "leaky_relu has a kink at 0");
  add(TG_OP("leaky_relu_slope", T::leaky_relu(x[0], 0.2)))
      .sample("matrix", {normal({2, 3})})
      .edge("zeros", {values(tensor({0.0, -1.5, 2.0}))}, "leaky_relu has a kink at 0");

  // ---- clamp -------------------------------------------------------------------------------------
  add(TG_OP("clamp", x[0].clamp(-0.5, 0.5)))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor_float_bounds", {constant(tensor({-3, 0, 2}))})
      .edge("at_bounds", {values(tensor({-0.5, 0.5, 0.0, 1.0}))}, "clamp has kinks at its bounds")
      .edge("nan", {values(tensor({nan, 1.0}))}, "NaN passes through clamp");
  add(TG_OP("clamp_function", T::clamp(x[0], -1.0, 0.25))).sample("matrix", {normal({3, 2})});
  add(TG_OP("clamp_min_only", T::clamp(x[0], 0.1)))
      .sample("matrix", {normal({2, 3})})
      .sample("int_tensor_int_bound", {constant(tensor({-3, 0, 2}))})
      .edge("at_bound", {values(tensor({0.1, -1.0, 2.0}))}, "clamp has a kink at its bound");
  add(TG_OP("clamp_max_only", T::clamp(x[0], {}, -0.2))).sample("matrix", {normal({2, 3})});
  add(TG_OP("clamp_min", x[0].clamp_min(0.3)))
      .sample("matrix", {normal({2, 3})})
      .edge("at_bound", {values(tensor({0.3, -1.0, 2.0}))}, "clamp has a kink at its bound");
  add(TG_OP("clamp_max", x[0].clamp_max(0.3)))
      .sample("matrix", {normal({2, 3})})
      .edge("at_bound", {values(tensor({0.3, -1.0, 2.0}))}, "clamp has a kink at its bound");
  add(TG_OP("clamp_min_function", T::clamp_min(x[0], -0.3))).sample("vector", {normal({5})});
  add(TG_OP("clamp_max_function", T::clamp_max(x[0], -0.3))).sample("vector", {normal({5})});

  // ---- prelu -------------------------------------------------------------------------------------
  add(TG_OP("prelu", T::prelu(x[0], x[1])))
      .sample("per_channel", {normal({2, 3, 4}), uniform({3}, 0.05, 0.5)})
      .sample("shared", {normal({2, 3}), uniform({1}, 0.05, 0.5)})
      .sample("vector_shared", {normal({5}), uniform({1}, 0.05, 0.5)})
      .sample("zero_dim_weight", {normal({2, 2, 2}), uniform({}, 0.05, 0.5)})
      .sample("zero_dim_input", {normal({}), uniform({}, 0.05, 0.5)})
      .sample("negative_weight", {normal({3, 2}), uniform({2}, -0.5, -0.1)})
      .edge("zeros", {values(tensor({{0.0, -1.0}, {2.0, 0.0}})), values(tensor({0.25, 0.5}))},
            "prelu has a kink at 0")
      .error("weight_2d", {normal({2, 3}), normal({1, 3})},
             "prelu: Expected `weight` to be a scalar or 1D tensor, but got ndim = 2")
      .error("channel_mismatch", {normal({2, 3, 4}), normal({4})},
             "Mismatch of parameter numbers and input channel size. Found parameter numbers = 4 and channel size = 3.")
      .error("zero_dim_input", {normal({}), normal({3})}, "Not allow zero-dim input tensor.")
      .error("dtype_mismatch", {constant(tensor({1.0, 2.0}, kDouble)), constant(tensor({0.5}, kFloat))},
             "Found dtype Float but expected Double")
      .error("int", {constant(tensor({1, 2})), constant(tensor({1}))}, "\"prelu_cpu\" not implemented for 'Long'");

  // ---- predicates (no gradient) ----------------------------------------------------------------------
  add(TG_OP("logical_not", T::logical_not(x[0])))
      .sample("bool", {mask({2, 3})})
      .sample("double", {values(tensor({0.0, 1.5, -2.0}))})
      .not_differentiable("boolean result");
  add(TG_OP("bitwise_not", ~x[0]))
      .sample("bool", {mask({2, 3})})
      .sample("int", {constant(tensor({0, 5, -2}))})
      .not_differentiable("boolean and integer result");
  add(TG_OP("isnan", T::isnan(x[0])))
      .sample("special", {values(tensor({nan, inf, -inf, 1.0}))})
      .sample("int", {constant(tensor({1, 2}))})
      .not_differentiable("boolean result");
  add(TG_OP("isfinite", T::isfinite(x[0])))
      .sample("special", {values(tensor({nan, inf, -inf, 1.0}))})
      .not_differentiable("boolean result");
}

}  // namespace tg::optable
