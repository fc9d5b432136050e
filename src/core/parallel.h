#pragma once
// Splitting work over threads: tensorgrad's own small pool (Note [Thread pool] in
// parallel.cpp). oneDNN's float32 GEMM is called single-threaded and split over
// the same pool (kernels/gemm.cpp), so there is one set of threads, and none of
// them spins for long when idle.
#include <cstdint>

namespace tg::core {

// Below this many elements an elementwise op runs on the calling thread: waking
// another thread costs more than the work.
constexpr int64_t kElementwiseGrain = 32768;

// The number of threads kernels use: set_num_threads, else OMP_NUM_THREADS, else
// the number of CPUs the process may run on.
int num_threads();
// True on a thread that is running a chunk of parallel_for (nested calls then run
// on that thread alone).
bool in_parallel_region();

namespace detail {
using ChunkFn = void (*)(const void* ctx, int64_t begin, int64_t end);
// Runs fn over [0, n) in ranges of at least `grain` elements on up to `threads`
// threads (parallel_for without its serial shortcuts).
void parallel_run(int64_t n, int64_t grain, int threads, ChunkFn fn, const void* ctx);
}  // namespace detail

// Calls fn(begin, end) on disjoint ranges covering [0, n), each at least `grain`
// long (except a shorter last one), in parallel when there is more than one
// range. How [0, n) is cut depends on the thread count and on whether the pool
// is free (a caller that finds it busy runs [0, n) alone), so results must not
// depend on the cut (Note [Deterministic reductions]); fn must not throw.
template <class F>
void parallel_for(int64_t n, int64_t grain, const F& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  // A range within one grain (every op on a small tensor) runs here without asking
  // how many threads there are, which costs a call into the OpenMP runtime.
  if (n <= grain) {
    fn(int64_t(0), n);
    return;
  }
  const int nt = num_threads();
  if (nt <= 1 || in_parallel_region()) {
    fn(int64_t(0), n);
    return;
  }
  detail::parallel_run(n, grain, nt, [](const void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); },
                       &fn);
}

}  // namespace tg::core
