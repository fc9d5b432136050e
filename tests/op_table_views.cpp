// Op table: views and reshapes (transpose, permute, t, mT, reshape, view, flatten,
// squeeze, unsqueeze, expand, slice, select, narrow, index), index_select,
// embedding, clone, contiguous, to(dtype), detach.
#include "op_table.h"

namespace tg::optable {

TG_OP_TABLE_AREA(views) {
  // ---- transpose / permute / t / mT -------------------------------------------------------------
  add(TG_OP("transpose", x[0].transpose(0, 1)))
      .sample("matrix", {normal({2, 3})})
      .error("dim_out_of_range", {normal({3})}, "Dimension out of range (expected to be in range of [-1, 0], but got 1)");
  add(TG_OP("transpose_negative", T::transpose(x[0], -1, -3))).sample("cube", {normal({2, 3, 4})});
  add(TG_OP("permute", x[0].permute({2, 0, 1})))
      .sample("cube", {normal({2, 3, 4})})
      .error("wrong_length", {normal({2, 3})}, "number of dimensions in the tensor input does not match the length of "
                                               "the desired ordering of dimensions");
  add(TG_OP("permute_negative", T::permute(x[0], {-1, 0, 1}))).sample("cube", {normal({2, 3, 4})});
  add(TG_OP("permute_repeated", x[0].permute({0, 0}))).error("matrix", {normal({2, 2})}, "permute(): duplicate dims are not allowed.");
  add(TG_OP("t", x[0].t()))
      .sample("matrix", {normal({2, 3})})
      .sample("vector", {normal({3})})
      .error("cube", {normal({2, 2, 2})}, "t() expects a tensor with <= 2 dimensions, but self is 3D");
  add(TG_OP("t_function", T::t(x[0]))).sample("matrix", {normal({3, 2})});
  add(TG_OP("mT", x[0].mT()))
      .sample("cube", {normal({2, 3, 4})})
      .error("vector", {normal({3})}, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.");

  // ---- reshape / view / flatten -------------------------------------------------------------------
  add(TG_OP("reshape", x[0].reshape({3, -1})))
      .sample("matrix", {normal({2, 3})})
      .error("indivisible", {normal({2, 2})}, "shape '[3, -1]' is invalid for input of size 4");
  add(TG_OP("reshape_function", T::reshape(x[0], {-1}))).sample("cube", {normal({2, 3, 2})});
  add(TG_OP("reshape_same_shape", x[0].reshape({2, 3}))).sample("matrix", {normal({2, 3})});
  add(TG_OP("reshape_as", x[0].reshape_as(x[1]))).sample("matrix", {normal({2, 3}), normal({3, 2})});
  add(TG_OP("view", x[0].view({3, 2})))
      .sample("matrix", {normal({2, 3})})
      .contiguous_only()
      .error("non_contiguous", {normal({2, 3}).transposed()},
             "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
             "two contiguous subspaces). Use .reshape(...) instead.");
  add(TG_OP("view_inferred", x[0].view({-1}))).sample("cube", {normal({2, 3, 2})}).contiguous_only();
  add(TG_OP("view_split_last", x[0].view({2, 3, 2}))).sample("strided_rows", {normal({2, 6}).strided()});
  add(TG_OP("flatten", x[0].flatten()))
      .sample("cube", {normal({2, 3, 2})})
      .sample("zero_dim", {normal({})});
  add(TG_OP("flatten_start", x[0].flatten(1))).sample("cube", {normal({2, 3, 2})});
  add(TG_OP("flatten_range", T::flatten(x[0], 0, -2)))
      .sample("cube", {normal({2, 3, 2})})
      .sample("matrix", {normal({3, 2})});
  add(TG_OP("flatten_reversed", x[0].flatten(-1, 0)))
      .sample("vector", {normal({4})})
      .error("matrix", {normal({2, 2})}, "flatten() has invalid args: start_dim cannot come after end_dim");

  // ---- squeeze / unsqueeze / expand ---------------------------------------------------------------
  add(TG_OP("squeeze", x[0].squeeze())).sample("ones", {normal({2, 1, 3, 1})});
  add(TG_OP("squeeze_dim", x[0].squeeze(1)))
      .sample("size_one", {normal({2, 1, 3})})
      .sample("not_size_one", {normal({2, 3})});
  add(TG_OP("squeeze_negative", T::squeeze(x[0], -1))).sample("trailing_one", {normal({3, 2, 1})});
  add(TG_OP("unsqueeze", x[0].unsqueeze(0)))
      .sample("matrix", {normal({2, 3})})
      .sample("zero_dim", {normal({})});
  add(TG_OP("unsqueeze_last", T::unsqueeze(x[0], -1))).sample("matrix", {normal({2, 3})});
  add(TG_OP("unsqueeze_3", x[0].unsqueeze(3)))
      .sample("cube", {normal({2, 2, 2})})
      .error("matrix", {normal({2, 2})}, "Dimension out of range (expected to be in range of [-3, 2], but got 3)");
  add(TG_OP("expand", x[0].expand({4, 2, 3})))
      .sample("matrix", {normal({2, 3})})
      .sample("row", {normal({1, 3})})
      .error("mismatch", {normal({3, 3})},
             "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 1.  "
             "Target sizes: [4, 2, 3].  Tensor sizes: [3, 3]");
  add(TG_OP("expand_keep", x[0].expand({2, -1}))).sample("column_broadcast", {normal({1, 3})});
  add(TG_OP("expand_as", x[0].expand_as(x[1]))).sample("column", {normal({3, 1}), normal({2, 3, 4})});

  // ---- slice / select / narrow -----------------------------------------------------------------------
  add(TG_OP("slice", x[0].slice(1, 0, 2))).sample("matrix", {normal({3, 4})});
  add(TG_OP("slice_negative", x[0].slice(-1, -3, 10))).sample("matrix", {normal({3, 4})});
  add(TG_OP("slice_step", x[0].slice(0, 1, 5, 2))).sample("matrix", {normal({5, 2})});
  add(TG_OP("slice_whole", x[0].slice(1))).sample("matrix", {normal({2, 3})});
  add(TG_OP("select", x[0].select(0, 1)))
      .sample("matrix", {normal({3, 4})})
      .error("out_of_range", {normal({1, 3})}, "select(): index 1 out of range for tensor of size [1, 3] at dimension 0");
  add(TG_OP("select_negative", T::select(x[0], -1, -1))).sample("cube", {normal({2, 3, 4})});
  add(TG_OP("subscript", x[0][1])).sample("matrix", {normal({2, 3})});
  add(TG_OP("narrow", x[0].narrow(1, 2, 2)))
      .sample("matrix", {normal({2, 5})})
      .error("too_long", {normal({2, 3})}, "start (2) + length (2) exceeds dimension size (3).");
  add(TG_OP("narrow_negative", T::narrow(x[0], -1, -2, 2))).sample("matrix", {normal({3, 4})});

  // ---- index with Slice / None / Ellipsis / integers --------------------------------------------------
  add(TG_OP("index_slice_none_ellipsis", x[0].index({Slice(1, None), None, Ellipsis})))
      .sample("matrix", {normal({3, 4})});
  add(TG_OP("index_ellipsis_int", x[0].index({Ellipsis, 0}))).sample("cube", {normal({2, 3, 4})});
  add(TG_OP("index_step_negative_int", x[0].index({Slice(None, None, 2), -1}))).sample("matrix", {normal({5, 3})});
  add(TG_OP("index_none_full_int", x[0].index({None, Slice(), 1}))).sample("matrix", {normal({3, 4})});
  add(TG_OP("index_int_slice", x[0].index({1, Slice(0, 2)}))).sample("matrix", {normal({3, 4})});
  add(TG_OP("index_negative_slice", x[0].index({Slice(-3, -1)}))).sample("matrix", {normal({4, 2})});
  add(TG_OP("index_ellipsis_only", x[0].index({Ellipsis}))).sample("matrix", {normal({2, 3})});
  add(TG_OP("index_int", x[0].index({4})))
      .sample("matrix", {normal({6, 2})})
      .error("out_of_bounds", {normal({3, 2})}, "index 4 is out of bounds for dimension 0 with size 3");
  add(TG_OP("index_two_ints", x[0].index({0, 1})))
      .sample("matrix", {normal({2, 2})})
      .error("too_many", {normal({3})}, "too many indices for tensor of dimension 1");
  // libtorch records IndexBackward0 (advanced indexing); tensorgrad's index()
  // with a tensor goes through index_select and records its node.
  const char* index_why = "tensor indices go through index_select (libtorch: IndexBackward0)";
  add(TG_OP("index_long_tensor", x[0].index({x[1]})))
      .sample("rows", {normal({4, 2}), constant(tensor({3, 0, 3}))})
      .sample("negative_rows", {normal({4, 2}), constant(tensor({-1, 0, -4}))})
      .error("out_of_bounds", {normal({4, 2}), constant(tensor({4}))},
             "index 4 is out of bounds for dimension 0 with size 4")
      .error("negative_out_of_bounds", {normal({4, 2}), constant(tensor({-5}))},
             "index -5 is out of bounds for dimension 0 with size 4")
      .known_grad_fn("IndexSelectBackward0", index_why);
  add(TG_OP("index_bool_mask", x[0].index({x[1]})))
      .sample("rows", {normal({4, 2}), constant(tensor({true, false, true, true}))})
      .known_grad_fn("IndexSelectBackward0", index_why);

  // ---- index_select / embedding -------------------------------------------------------------------------
  add(TG_OP("index_select", x[0].index_select(0, x[1])))
      .sample("repeated_rows", {normal({4, 3}), constant(tensor({2, 0, 2}))})
      .sample("zero_dim_index", {normal({4, 3}), constant(tensor(1))})
      .error("out_of_range", {normal({2, 3}), constant(tensor({2}))}, "index out of range in self")
      .error("negative_index", {normal({2, 3}), constant(tensor({-1}))}, "index out of range in self");
  add(TG_OP("index_select_negative_dim", T::index_select(x[0], -1, x[1])))
      .sample("columns", {normal({2, 4}), constant(tensor({3, 3, 0}))});
  add(TG_OP("embedding", T::embedding(x[0], x[1])))
      .sample("matrix_indices", {normal({5, 3}), constant(tensor({{1, 4, 1}, {0, 1, 2}}))})
      .sample("vector_indices", {normal({4, 2}), constant(tensor({3, 3}))})
      .error("out_of_range", {normal({3, 2}), constant(tensor({3}))}, "index out of range in self");
  add(TG_OP("embedding_padding_idx", T::embedding(x[0], x[1], 1)))
      .sample("padding_row_unused", {normal({4, 2}), constant(tensor({{0, 2}, {3, 2}}))})
      .edge("padding_row_used", {normal({4, 2}), constant(tensor({{1, 2}, {1, 3}}))},
            "the padding row gets no gradient by definition");

  // ---- copies and conversions ---------------------------------------------------------------------------
  add(TG_OP("clone", x[0].clone())).sample("matrix", {normal({2, 3})});
  add(TG_OP("clone_function", T::clone(x[0]))).sample("zero_dim", {normal({})});
  add(TG_OP("contiguous", x[0].contiguous())).sample("matrix", {normal({2, 3})});
  add(TG_OP("to_float32", x[0].to(T::kFloat)))
      .sample("matrix", {normal({2, 3})})
      .no_gradcheck("the result is float32: finite differences need float64");
  add(TG_OP("to_float64", x[0].to(T::kDouble))).sample("matrix", {normal({2, 3})});
  add(TG_OP("to_float64_from_int", x[0].to(T::kDouble)))
      .sample("int", {constant(tensor({1, -2}))})
      .not_differentiable("integer input");
  add(TG_OP("to_long", x[0].to(T::kLong)))
      .sample("matrix", {values(tensor({1.5, -2.5, 3.0}))})
      .not_differentiable("integer result");
  add(TG_OP("to_bool", x[0].to(T::kBool)))
      .sample("matrix", {values(tensor({0.0, -2.5, 3.0}))})
      .not_differentiable("boolean result");
  add(TG_OP("detach", x[0].detach())).sample("matrix", {normal({2, 3})}).not_differentiable("detach cuts the graph");
}

}  // namespace tg::optable
