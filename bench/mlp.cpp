// The MLP 784-256-128-10 (ReLU): one training step (forward, cross-entropy,
// backward, SGD with momentum 0.9, zero_grad) at batch 32, 128 and 512, and
// inference at batch 512 without grad.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench_models.h"

namespace {

void BM_MlpTrainStep(benchmark::State& state) {
  T::manual_seed(0);
  const int64_t batch = state.range(0);
  auto net = std::make_shared<MlpImpl>();
  T::optim::SGD optimizer(net->parameters(), T::optim::SGDOptions(0.01).momentum(0.9));
  const T::Tensor x = T::randn({batch, 784});
  const T::Tensor y = T::randint(0, 10, {batch});
  // One untimed step first: the first GEMM calls generate their kernels.
  train_step(*net, optimizer, x, y);
  for (auto _ : state) benchmark::DoNotOptimize(train_step(*net, optimizer, x, y).data_ptr());
}
BENCHMARK(BM_MlpTrainStep)->Arg(32)->Arg(128)->Arg(512)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_MlpInference(benchmark::State& state) {
  T::manual_seed(0);
  auto net = std::make_shared<MlpImpl>();
  const T::Tensor x = T::randn({state.range(0), 784});
  T::NoGradGuard no_grad;
  benchmark::DoNotOptimize(net->forward(x).data_ptr());  // warm-up, as above
  for (auto _ : state) {
    T::Tensor out = net->forward(x);
    benchmark::DoNotOptimize(out.data_ptr());
  }
}
BENCHMARK(BM_MlpInference)->Arg(512)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
