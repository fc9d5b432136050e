#include "kernels/reduce.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "core/shape.h"
#include "ops/ops_internal.h"

namespace tg::kernels {

ReducedSpan reduced_span(const Tensor& x, uint64_t mask) {
  // A dim of size 1 may count as reduced or not, whichever makes one block.
  const int64_t nd = x.dim();
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < nd; ++d)
    if ((mask >> d & 1) && x.size(d) != 1) {
      if (first < 0) first = d;
      last = d;
    }
  if (first < 0)  // every reduced dim has size 1 (or none is reduced)
    for (int64_t d = 0; d < nd; ++d)
      if (mask >> d & 1) first = last = d;
  bool block = first >= 0;
  for (int64_t d = first; block && d <= last; ++d) block = (mask >> d & 1) || x.size(d) == 1;
  return {first, last, block};
}

ReduceLayout plan_reduction(const Tensor& x, uint64_t mask) {
  ReduceLayout L;
  const int64_t nd = x.dim();
  L.kept_shape = x.sizes();
  for (int64_t d = 0; d < nd; ++d) {
    if (mask >> d & 1) L.kept_shape[d] = 1;
    else L.out_shape.push_back(x.size(d));
  }
  if (nd == 0) {
    L.input = x;
    return L;
  }
  const auto [first, last, block] = reduced_span(x, mask);
  if (first < 0) {  // nothing reduced
    L.input = ops::contiguous_raw(x);
    L.outer = x.numel();
    return L;
  }
  if (block) {
    L.input = ops::contiguous_raw(x);
    for (int64_t d = 0; d < first; ++d) L.outer *= x.size(d);
    for (int64_t d = first; d <= last; ++d) L.reduce *= x.size(d);
    for (int64_t d = last + 1; d < nd; ++d) L.inner *= x.size(d);
    return L;
  }
  // Bring the reduced dims to the end, then copy.
  DimVector perm;
  for (int64_t d = 0; d < nd; ++d)
    if (!(mask >> d & 1)) perm.push_back(d);
  for (int64_t d = 0; d < nd; ++d)
    if (mask >> d & 1) perm.push_back(d);
  DimVector sizes, strides;
  for (int64_t d : perm) {
    sizes.push_back(x.size(d));
    strides.push_back(x.stride(d));
  }
  Tensor permuted = ops::alias(x, sizes, strides, x.storage_offset());
  L.input = ops::contiguous_raw(permuted);
  for (int64_t d = 0; d < nd; ++d) {
    if (mask >> d & 1) L.reduce *= x.size(d);
    else L.outer *= x.size(d);
  }
  return L;
}

namespace {

// Elements per block and accumulator lanes for contiguous sums: the block size
// fixes the summation tree, so it must never depend on the thread count.
constexpr int64_t kBlock = 4096;
constexpr int kLanes = 16;
// Rows summed sequentially before partials are combined pairwise (strided sums).
constexpr int64_t kRowChunk = 128;

template <class T>
T block_sum(const T* p, int64_t n) {
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += p[i + l];
  for (int l = 0; i < n; ++i, ++l) acc[l] += p[i];
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

// Combines partials pairwise in place; returns the total.
template <class T>
T pairwise_combine(T* partial, int64_t n) {
  if (n == 0) return T(0);
  for (int64_t width = 1; width < n; width *= 2)
    for (int64_t i = 0; i + width < n; i += 2 * width) partial[i] += partial[i + width];
  return partial[0];
}

template <class T>
T contiguous_sum(const T* p, int64_t n, bool parallel) {
  if (n <= kBlock) return block_sum(p, n);
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
  std::vector<T> partial(nblocks);
  auto run = [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) partial[k] = block_sum(p + k * kBlock, std::min(kBlock, n - k * kBlock));
  };
  if (parallel) core::parallel_for(nblocks, 8, run);
  else run(0, nblocks);
  return pairwise_combine(partial.data(), nblocks);
}

// out[i] = sum_r in[r * inner + i] for i in [i0, i1): sequential within chunks
// of rows, chunk partials combined pairwise.
template <class T>
void strided_sum(const T* in, T* out, int64_t reduce, int64_t inner, int64_t i0, int64_t i1) {
  const int64_t w = i1 - i0;
  const int64_t nchunks = (reduce + kRowChunk - 1) / kRowChunk;
  std::vector<T> partial(static_cast<size_t>(nchunks * w), T(0));
  for (int64_t c = 0; c < nchunks; ++c) {
    T* acc = partial.data() + c * w;
    const int64_t r1 = std::min(reduce, (c + 1) * kRowChunk);
    for (int64_t r = c * kRowChunk; r < r1; ++r) {
      const T* row = in + r * inner + i0;
      for (int64_t i = 0; i < w; ++i) acc[i] += row[i];
    }
  }
  for (int64_t width = 1; width < nchunks; width *= 2)
    for (int64_t c = 0; c + width < nchunks; c += 2 * width) {
      T* a = partial.data() + c * w;
      const T* b = partial.data() + (c + width) * w;
      for (int64_t i = 0; i < w; ++i) a[i] += b[i];
    }
  std::memcpy(out + i0, partial.data(), static_cast<size_t>(w) * sizeof(T));
}

}  // namespace

template <class T>
void sum(const T* in, T* out, int64_t outer, int64_t reduce, int64_t inner) {
  if (reduce == 0) {
    std::fill(out, out + outer * inner, T(0));
    return;
  }
  if (inner == 1) {
    if (outer == 1) {
      out[0] = contiguous_sum(in, reduce, true);
      return;
    }
    core::parallel_for(outer, std::max<int64_t>(1, core::kElementwiseGrain / reduce), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) out[o] = contiguous_sum(in + o * reduce, reduce, false);
    });
    return;
  }
  for (int64_t o = 0; o < outer; ++o) {
    const T* src = in + o * reduce * inner;
    T* dst = out + o * inner;
    // Split the inner extent over threads: each output still sums in one order.
    core::parallel_for(inner, std::max<int64_t>(16, core::kElementwiseGrain / reduce),
                       [&](int64_t b, int64_t e) { strided_sum(src, dst, reduce, inner, b, e); });
  }
}

// Integer sums wrap around as tensorgrad's integer arithmetic and libtorch's do:
// summed as uint64 (the same bits), where overflow is defined.
template <>
void sum<int64_t>(const int64_t* in, int64_t* out, int64_t outer, int64_t reduce, int64_t inner) {
  sum<uint64_t>(reinterpret_cast<const uint64_t*>(in), reinterpret_cast<uint64_t*>(out), outer, reduce, inner);
}

template <class T, bool Max>
void extremum(const T* in, T* out, int64_t* indices, int64_t outer, int64_t reduce, int64_t inner) {
  auto better = [](T candidate, T best) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(best)) return false;
      if (std::isnan(candidate)) return true;
    }
    return Max ? candidate > best : candidate < best;
  };
  const int64_t total = outer * inner;
  core::parallel_for(total, std::max<int64_t>(1, core::kElementwiseGrain / std::max<int64_t>(reduce, 1)),
                     [&](int64_t b, int64_t e) {
                       for (int64_t k = b; k < e; ++k) {
                         const int64_t o = k / inner, i = k % inner;
                         const T* p = in + o * reduce * inner + i;
                         T best = p[0];
                         int64_t arg = 0;
                         for (int64_t r = 1; r < reduce; ++r) {
                           if (better(p[r * inner], best)) {
                             best = p[r * inner];
                             arg = r;
                           }
                         }
                         out[k] = best;
                         if (indices) indices[k] = arg;
                       }
                     });
}

#define TG_INSTANTIATE(T)                                                                   \
  template void sum<T>(const T*, T*, int64_t, int64_t, int64_t);                            \
  template void extremum<T, true>(const T*, T*, int64_t*, int64_t, int64_t, int64_t);       \
  template void extremum<T, false>(const T*, T*, int64_t*, int64_t, int64_t, int64_t);
TG_INSTANTIATE(float)
TG_INSTANTIATE(double)
TG_INSTANTIATE(int64_t)
#undef TG_INSTANTIATE
template void extremum<bool, true>(const bool*, bool*, int64_t*, int64_t, int64_t, int64_t);
template void extremum<bool, false>(const bool*, bool*, int64_t*, int64_t, int64_t, int64_t);

}  // namespace tg::kernels
