// The CNN of the training acceptance run (conv 32 3x3 pad 1 - relu - maxpool 2 -
// conv 64 3x3 pad 1 - relu - maxpool 2 - linear 128 - relu - linear 10) on 28x28
// single-channel input: one training step with Adam at batch 64.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench_models.h"

namespace {

void BM_CnnTrainStep(benchmark::State& state) {
  T::manual_seed(0);
  const int64_t batch = state.range(0);
  auto net = std::make_shared<CnnImpl>();
  T::optim::Adam optimizer(net->parameters(), T::optim::AdamOptions(1e-3));
  const T::Tensor x = T::randn({batch, 1, 28, 28});
  const T::Tensor y = T::randint(0, 10, {batch});
  // One untimed step first: the first GEMM calls generate their kernels.
  train_step(*net, optimizer, x, y);
  for (auto _ : state) benchmark::DoNotOptimize(train_step(*net, optimizer, x, y).data_ptr());
}
BENCHMARK(BM_CnnTrainStep)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
