// Op table: the functional losses (mse, binary cross entropy with and without
// logits, cross entropy with class indices or probabilities, nll) with their
// reductions and options.
#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(losses) {
  add(TG_OP("mse_loss", T::nn::functional::mse_loss(x[0], x[1])))
      .sample("matrix", {normal({2, 3}), normal({2, 3})});
  add(TG_OP("mse_loss_sum", T::nn::functional::mse_loss(x[0], x[1], T::nn::functional::MSELossFuncOptions(T::kSum))))
      .sample("matrix", {normal({2, 3}), normal({2, 3})});
  add(TG_OP("mse_loss_none", T::nn::functional::mse_loss(x[0], x[1], T::nn::functional::MSELossFuncOptions(T::kNone))))
      .sample("matrix", {normal({2, 3}), normal({2, 3})});
  add(TG_OP("binary_cross_entropy", T::nn::functional::binary_cross_entropy(x[0], x[1])))
      .sample("probabilities", {uniform({2, 3}, 0.05, 0.95), uniform({2, 3}, 0.0, 1.0)});
  add(TG_OP("binary_cross_entropy_weighted",
            T::nn::functional::binary_cross_entropy(
                x[0], x[1], T::nn::functional::BinaryCrossEntropyFuncOptions().weight(x[2]).reduction(T::kSum))))
      .sample("probabilities", {uniform({2, 3}, 0.05, 0.95), uniform({2, 3}, 0.0, 1.0), positive({3}).no_grad()});
  add(TG_OP("bce_with_logits", T::nn::functional::binary_cross_entropy_with_logits(x[0], x[1])))
      .sample("logits", {normal({2, 3}), uniform({2, 3}, 0.0, 1.0)})
      .sample("large_logits", {values(tensor({-60.0, 60.0, 0.5})), values(tensor({1.0, 0.0, 0.25}))});
  add(TG_OP("bce_with_logits_pos_weight",
            T::nn::functional::binary_cross_entropy_with_logits(
                x[0], x[1], T::nn::functional::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(x[2]))))
      .sample("logits", {normal({2, 3}), uniform({2, 3}, 0.0, 1.0), positive({3}).no_grad()})
      .error("pos_weight_requires_grad", {normal({2, 3}), uniform({2, 3}, 0.0, 1.0), positive({3})},
             "The function 'binary_cross_entropy_with_logits' is not differentiable with respect to argument "
             "'pos_weight'. This input cannot have requires_grad True.");
  add(TG_OP("cross_entropy", T::nn::functional::cross_entropy(x[0], x[1])))
      .sample("class_indices", {normal({3, 4}), constant(tensor({0, 3, 1}))})
      .sample("probabilities", {normal({3, 4}), uniform({3, 4}, 0.0, 1.0)})
      .sample("large_logits", {values(tensor({{1e4, 0.0, -1e4}, {0.0, 0.0, 800.0}})), constant(tensor({2, 2}))})
      .sample("spatial", {normal({2, 3, 2}), constant(tensor({{0, 2}, {1, 1}}))});
  add(TG_OP("cross_entropy_options",
            T::nn::functional::cross_entropy(
                x[0], x[1],
                T::nn::functional::CrossEntropyFuncOptions().weight(x[2]).ignore_index(1).label_smoothing(0.1))))
      .sample("class_indices", {normal({4, 3}), constant(tensor({0, 1, 2, 2})), positive({3}).no_grad()});
  add(TG_OP("nll_loss", T::nn::functional::nll_loss(x[0], x[1])))
      .sample("log_probabilities", {normal({3, 4}), constant(tensor({1, 0, 3}))})
      .error("target_out_of_bounds", {normal({2, 3}), constant(tensor({0, 3}))}, "Target 3 is out of bounds.");
  add(TG_OP("nll_loss_weighted_sum",
            T::nn::functional::nll_loss(
                x[0], x[1], T::nn::functional::NLLLossFuncOptions().weight(x[2]).reduction(T::kSum).ignore_index(0))))
      .sample("log_probabilities", {normal({4, 3}), constant(tensor({1, 0, 2, 2})), positive({3}).no_grad()});
}

}  // namespace tg::optable
