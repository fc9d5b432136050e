// Op table: the functional layers (conv2d, max_pool2d, layer_norm, dropout,
// embedding).
#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(nn) {
  add(TG_OP("conv2d", T::nn::functional::conv2d(x[0], x[1])))
      .sample("plain", {normal({1, 2, 4, 4}), normal({3, 2, 2, 2})})
      .sample("batch", {normal({2, 1, 3, 3}), normal({2, 1, 2, 2})})
      .error("channel_mismatch", {normal({1, 2, 4, 4}), normal({3, 3, 2, 2})},
             "expected input[1, 2, 4, 4] to have 3 channels, but got 2 channels instead");
  add(TG_OP("conv2d_options",
            T::nn::functional::conv2d(x[0], x[1],
                                      T::nn::functional::Conv2dFuncOptions().bias(x[2]).stride(2).padding(1))))
      .sample("strided_padded", {normal({1, 2, 5, 5}), normal({2, 2, 3, 3}), normal({2})});
  add(TG_OP("conv2d_groups_dilation",
            T::nn::functional::conv2d(x[0], x[1], T::nn::functional::Conv2dFuncOptions().groups(2).dilation(2))))
      .sample("two_groups", {normal({1, 4, 5, 5}), normal({2, 2, 2, 2})});
  add(TG_OP("max_pool2d", T::nn::functional::max_pool2d(x[0], T::nn::functional::MaxPool2dFuncOptions(2))))
      .sample("plain", {normal({1, 2, 4, 4})})
      .sample("three_dims", {normal({2, 4, 4})})
      .edge("ties", {values(ones({1, 1, 2, 4}))}, "a tie sends the gradient to one element");
  add(TG_OP("max_pool2d_options",
            T::nn::functional::max_pool2d(x[0], T::nn::functional::MaxPool2dFuncOptions(3).stride(1).padding(1))))
      .sample("overlapping", {normal({1, 1, 4, 4})});
  add(TG_OP("layer_norm", T::nn::functional::layer_norm(x[0], T::nn::functional::LayerNormFuncOptions({3}))))
      .sample("rows", {normal({2, 3})})
      .sample("sequence", {normal({2, 2, 3})});
  add(TG_OP("layer_norm_affine",
            T::nn::functional::layer_norm(
                x[0], T::nn::functional::LayerNormFuncOptions({2, 3}).weight(x[1]).bias(x[2]).eps(1e-3))))
      .sample("rows", {normal({2, 2, 3}), normal({2, 3}), normal({2, 3})});
  add(TG_OP("dropout_eval",
            T::nn::functional::dropout(x[0], T::nn::functional::DropoutFuncOptions().p(0.5).training(false))))
      .sample("matrix", {normal({2, 3})});
  add(TG_OP("dropout_p1", T::nn::functional::dropout(x[0], T::nn::functional::DropoutFuncOptions().p(1.0))))
      .sample("matrix", {normal({2, 3})});
  add(TG_OP("embedding_functional",
            T::nn::functional::embedding(x[1], x[0], T::nn::functional::EmbeddingFuncOptions().padding_idx(-1))))
      .edge("padding_last_row", {normal({4, 2}), constant(tensor({{0, 3}, {2, 2}}))},
            "the padding row gets no gradient by definition")
      .sample("padding_row_unused", {normal({4, 2}), constant(tensor({0, 1}))});
}

}  // namespace tg::optable
