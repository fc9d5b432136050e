// Per-op overhead on tiny tensors: forward without grad, and forward + backward
// of a recorded op; a chain of recorded ops (linear in its length).
#include <benchmark/benchmark.h>

#include "bench_common.h"

namespace {

void BM_MulNoGrad(benchmark::State& state) {
  T::Tensor x = T::ones({state.range(0)});
  for (auto _ : state) {
    T::Tensor y = x * 2.0;
    benchmark::DoNotOptimize(y.data_ptr());
  }
}
BENCHMARK(BM_MulNoGrad)->Arg(1)->Arg(16)->UseRealTime();

void BM_AddTensorsNoGrad(benchmark::State& state) {
  T::Tensor x = T::ones({state.range(0)}), z = T::ones({state.range(0)});
  for (auto _ : state) {
    T::Tensor y = x + z;
    benchmark::DoNotOptimize(y.data_ptr());
  }
}
BENCHMARK(BM_AddTensorsNoGrad)->Arg(1)->Arg(16)->UseRealTime();

// A row broadcast over the rows of a matrix, [rows, columns] + [columns]: the
// elementwise loop's cost per row shows at short rows.
void BM_AddRowBroadcastNoGrad(benchmark::State& state) {
  T::Tensor x = T::ones({state.range(0), state.range(1)}), row = T::ones({state.range(1)});
  for (auto _ : state) {
    T::Tensor y = x + row;
    benchmark::DoNotOptimize(y.data_ptr());
  }
}
BENCHMARK(BM_AddRowBroadcastNoGrad)->Args({4096, 16})->Args({256, 256})->UseRealTime();

// Ten recorded multiplications then one backward: time per op (forward + its
// share of backward).
void BM_RecordedOpWithBackward(benchmark::State& state) {
  T::Tensor x = T::ones({state.range(0)}, T::requires_grad());
  T::Tensor g = T::ones({state.range(0)});
  for (auto _ : state) {
    T::Tensor y = x;
    for (int i = 0; i < 10; ++i) y = y * 1.5;
    y.backward(g);
    x.mutable_grad() = T::Tensor();
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_RecordedOpWithBackward)->Arg(1)->Arg(16)->UseRealTime();

// A chain of n recorded ops, forward + backward.
void BM_Chain(benchmark::State& state) {
  const int64_t n = state.range(0);
  T::Tensor x = T::ones({1}, T::requires_grad());
  for (auto _ : state) {
    T::Tensor y = x;
    for (int64_t i = 0; i < n; ++i) y = y * 1.0;
    y.sum().backward();
    x.mutable_grad() = T::Tensor();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Chain)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

// The shared-subgraph ladder: a = x*2; b = x*3; x = a + b, 200 rungs.
void BM_Ladder(benchmark::State& state) {
  T::Tensor x0 = T::ones({1}, T::requires_grad());
  for (auto _ : state) {
    T::Tensor x = x0;
    for (int i = 0; i < state.range(0); ++i) {
      T::Tensor a = x * 2.0, b = x * 3.0;
      x = a + b;
    }
    x.sum().backward();
    x0.mutable_grad() = T::Tensor();
  }
}
BENCHMARK(BM_Ladder)->Arg(200)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
