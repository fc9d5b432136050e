#pragma once
// Splitting work over threads. OpenMP is used because oneDNN (our float32 GEMM)
// runs on libgomp too: one pool for both, so they never spin against each other.
#include <algorithm>
#include <cstdint>

#include <omp.h>

namespace tg::core {

// Below this many elements an elementwise op runs on the calling thread: waking
// another thread costs more than the work.
constexpr int64_t kElementwiseGrain = 32768;

int num_threads();

// Calls fn(begin, end) on disjoint chunks covering [0, n), each at least `grain`
// long, in parallel when there is more than one chunk. fn must not throw.
template <class F>
void parallel_for(int64_t n, int64_t grain, const F& fn) {
  if (n <= 0) return;
  int nt = num_threads();
  if (nt <= 1 || n <= grain || omp_in_parallel()) {
    fn(int64_t(0), n);
    return;
  }
  int64_t chunks = std::min<int64_t>(nt, (n + grain - 1) / std::max<int64_t>(grain, 1));
#pragma omp parallel num_threads(static_cast<int>(chunks))
  {
    int64_t t = omp_get_thread_num();
    int64_t nth = omp_get_num_threads();
    int64_t per = (n + nth - 1) / nth;
    int64_t b = t * per, e = std::min(n, b + per);
    if (b < e) fn(b, e);
  }
}

}  // namespace tg::core
