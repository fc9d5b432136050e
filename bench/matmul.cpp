// Square float32 matrix products without grad, n = 256 to 2048. bench/compare.sh
// turns the times into GFLOP/s (2 n^3 per product) and a fraction of the peak
// that bench_fma_peak measures.
#include <benchmark/benchmark.h>

#include "bench_common.h"

namespace {

void BM_Matmul(benchmark::State& state) {
  T::manual_seed(0);
  const int64_t n = state.range(0);
  const T::Tensor a = T::randn({n, n}), b = T::randn({n, n});
  benchmark::DoNotOptimize(T::mm(a, b).data_ptr());  // warm-up: kernel generation
  for (auto _ : state) {
    T::Tensor c = T::mm(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * static_cast<double>(n * n * n),
                                                benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Matmul)->RangeMultiplier(2)->Range(256, 2048)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
