// Selecting slices by an index tensor: index_select, embedding, and index_add
// (their adjoint, the backward of both).
#include <cstring>

#include "ops/op_helpers.h"
#include "tensorgrad/nn/functional.h"

namespace tg {
namespace {
using namespace ops;

using core::DimSplit;
using core::split_at;

Tensor check_index(const Tensor& index, int64_t size, const char* op) {
  TG_CHECK(index.dtype() == kLong, op, "(): Expected dtype int32 or int64 for index");
  TG_CHECK_INDEX(index.dim() <= 1, op, "(): Index is supposed to be a vector");
  Tensor idx = contiguous_raw(index.reshape({-1}));
  const int64_t* p = idx.data_ptr<int64_t>();
  // As libtorch, negative indices are out of range here (Tensor::index wraps them first).
  for (int64_t i = 0; i < idx.numel(); ++i)
    TG_CHECK_INDEX(p[i] >= 0 && p[i] < size, "index out of range in self (index ", p[i], " for a dimension of size ",
                   size, ")");
  return idx;
}

// out = zeros(sizes); out.select(dim, index[k]) += src.select(dim, k) for every k.
Tensor index_add_into_zeros(const Tensor& src, int64_t dim, const Tensor& index, IntArrayRef sizes) {
  Tensor out = zeros(sizes, src.dtype());
  const DimSplit o = split_at(sizes, dim);
  Tensor s = contiguous_raw(src);
  const int64_t n = index.numel();
  const int64_t* idx = index.data_ptr<int64_t>();
  // Rows of one slice may repeat an index, so threads split the outer slices
  // and, when there are fewer slices than threads (dim 0: an embedding's
  // gradient), the columns; every element still sums its rows in index order.
  const int64_t threads = core::num_threads();
  const int64_t columns = o.outer >= threads ? o.inner : std::max<int64_t>(16, (o.inner + threads - 1) / threads);
  const int64_t column_blocks = o.inner == 0 ? 1 : (o.inner + columns - 1) / columns;
  const int64_t grain = std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(1, n * columns));
  kernels::visit_numeric(src.dtype(), "index_add", [&](auto tag) {
    using T = decltype(tag);
    const T* sp = s.data_ptr<T>();
    T* op = out.data_ptr<T>();
    core::parallel_for(o.outer * column_blocks, grain, [&](int64_t b, int64_t e) {
      for (int64_t block = b; block < e; ++block) {
        const int64_t a = block / column_blocks, first = block % column_blocks * columns;
        const int64_t last = std::min(o.inner, first + columns);
        for (int64_t k = 0; k < n; ++k) {
          T* dst = op + (a * o.size + idx[k]) * o.inner;
          const T* from = sp + (a * n + k) * o.inner;
          for (int64_t i = first; i < last; ++i) dst[i] += from[i];
        }
      }
    });
  });
  return out;
}

// out[a, k, :] = src[a, index[k], :], element by element (E: an unsigned type of
// the element's size) for short rows, where a memcpy per row costs more than it moves.
template <class E>
void gather_rows(const char* src, char* out, const int64_t* index, int64_t n, const DimSplit& s, int64_t begin,
                 int64_t end) {
  const E* from = reinterpret_cast<const E*>(src);
  E* to = reinterpret_cast<E*>(out);
  for (int64_t r = begin; r < end;) {
    const int64_t a = r / n, k0 = r % n, k1 = std::min(n, k0 + (end - r));
    const E* slice = from + a * s.size * s.inner;
    E* dst = to + a * n * s.inner;
    if (s.inner == 1) {
      for (int64_t k = k0; k < k1; ++k) dst[k] = slice[index[k]];
    } else {
      for (int64_t k = k0; k < k1; ++k)
        for (int64_t i = 0; i < s.inner; ++i) dst[k * s.inner + i] = slice[index[k] * s.inner + i];
    }
    r += k1 - k0;
  }
}

Tensor index_select_raw(const Tensor& a, int64_t d, const Tensor& idx) {
  DimVector out_shape(a.sizes());
  if (a.dim() > 0) out_shape[d] = idx.numel();
  Tensor out = empty(out_shape, a.dtype());
  Tensor src = contiguous_raw(a);
  const DimSplit s = split_at(a.sizes(), d);
  const int64_t n = idx.numel();
  if (n == 0 || out.numel() == 0) return out;
  const int64_t* ip = idx.data_ptr<int64_t>();
  const size_t row_bytes = static_cast<size_t>(s.inner) * a.element_size();
  const char* sp = static_cast<const char*>(src.data_ptr());
  char* op = static_cast<char*>(out.data_ptr());
  // Short rows (index_select along the last dims) are copied element by element:
  // one memcpy call per float took 2 ms for 1M of them, against 0.18 for libtorch.
  constexpr size_t kShortRowBytes = 64;
  core::parallel_for(s.outer * n, std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(s.inner, 1)),
                     [&](int64_t b, int64_t e) {
                       if (row_bytes <= kShortRowBytes) {
                         switch (a.element_size()) {
                           case 1: return gather_rows<uint8_t>(sp, op, ip, n, s, b, e);
                           case 4: return gather_rows<uint32_t>(sp, op, ip, n, s, b, e);
                           case 8: return gather_rows<uint64_t>(sp, op, ip, n, s, b, e);
                           default: break;  // by memcpy below
                         }
                       }
                       for (int64_t r = b; r < e; ++r) {
                         const int64_t a_i = r / n, k = r % n;
                         std::memcpy(op + r * row_bytes, sp + (a_i * s.size + ip[k]) * row_bytes, row_bytes);
                       }
                     });
  return out;
}

// Differentiable index_add into zeros (the backward of index_select/embedding);
// its own backward is index_select again.
Tensor index_add_zeros(const Tensor& g, int64_t d, const Tensor& idx, IntArrayRef sizes, const char* name) {
  Tensor out = index_add_into_zeros(g, d, idx, sizes);
  if (needs_tangent(g)) set_tangent(out, g, [&](const Tensor& t) { return index_add_zeros(t, d, idx, sizes, name); });
  if (needs_record(g)) {
    auto node = make_node(name, [d](Node& n, const Tensor& gg) -> variable_list {
      return {gg.index_select(d, n.saved(0))};
    }, g);
    node->save(idx, false);
    set_history(out, node);
  }
  return out;
}

}  // namespace

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
  const int64_t d = core::wrap_dim(dim, a.dim());
  const int64_t size = a.dim() == 0 ? 1 : a.size(d);
  // libtorch 1.13 reads past an empty index here; later versions raise this.
  TG_CHECK_INDEX(a.dim() > 0 || index.numel() == 1, "index_select(): Index to scalar can have only 1 value, got ",
                 index.numel(), " value(s)");
  Tensor idx = check_index(index, size, "index_select");
  Tensor out = index_select_raw(a, d, idx);
  if (index.dim() == 0 && a.dim() == 0) out = out.reshape({});
  if (needs_tangent(a)) set_tangent(out, a, [&](const Tensor& t) { return index_select(t, dim, index); });
  if (needs_record(a)) {
    DimVector in_shape(a.sizes());
    auto node = make_node("IndexSelectBackward0", [d, in_shape](Node& n, const Tensor& g) -> variable_list {
      return {index_add_zeros(g, d, n.saved(0), in_shape, "IndexAddBackward0")};
    }, a);
    node->save(idx, false);
    set_history(out, node);
  }
  return out;
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const { return tg::index_select(*this, dim, index); }

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx, bool, bool sparse) {
  TG_CHECK(!sparse, "tensorgrad has no sparse gradients: embedding(sparse=true) is not supported");
  TG_CHECK(weight.dim() == 2, "'weight' must be 2-D");
  TG_CHECK_INDEX(indices.dtype() == kLong, "Expected tensor for argument #1 'indices' to have one of the following "
                 "scalar types: Long, Int; but got ", indices.toString(), " instead (while checking arguments for embedding)");
  Tensor flat = check_index(indices.reshape({-1}), weight.size(0), "embedding");
  DimVector out_shape(indices.sizes());
  out_shape.push_back(weight.size(1));
  Tensor out = index_select_raw(weight, 0, flat).view(out_shape);
  if (needs_tangent(weight))
    set_tangent(out, weight, [&](const Tensor& t) { return embedding(t, indices, padding_idx); });
  if (needs_record(weight)) {
    DimVector w_shape(weight.sizes());
    // As at::embedding: -1 means no padding row (nn::functional wraps negative indices first).
    const int64_t pad = padding_idx;
    const bool has_pad = padding_idx >= 0;
    auto node = make_node("EmbeddingBackward0", [w_shape, pad, has_pad](Node& n, const Tensor& g) -> variable_list {
      Tensor idx = n.saved(0);
      Tensor rows = g.reshape({idx.numel(), w_shape[1]});  // not -1: ambiguous for 0-wide rows
      if (has_pad) rows = where((idx == pad).unsqueeze(1), 0, rows);
      return {index_add_zeros(rows, 0, idx, w_shape, "EmbeddingBackwardBackward0")};
    }, weight);
    node->save(flat, false);
    set_history(out, node);
  }
  return out;
}

namespace nn::functional {

// As libtorch's F::embedding: a negative padding_idx counts from the end.
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  int64_t padding_idx = -1;
  if (const auto& pad = options.padding_idx()) {
    const int64_t rows = weight.dim() > 0 ? weight.size(0) : 0;
    padding_idx = *pad;
    if (padding_idx > 0) {
      TG_CHECK(padding_idx < rows, "Padding_idx must be within num_embeddings");
    } else if (padding_idx < 0) {
      TG_CHECK(padding_idx >= -rows, "Padding_idx must be within num_embedding");
      padding_idx += rows;
    }
  }
  return tg::embedding(weight, input, padding_idx);
}

}  // namespace nn::functional
}  // namespace tg
