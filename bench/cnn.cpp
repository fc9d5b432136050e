// The CNN of the training acceptance run (conv 32 3x3 pad 1 - relu - maxpool 2 -
// conv 64 3x3 pad 1 - relu - maxpool 2 - linear 128 - relu - linear 10) on 28x28
// single-channel input: one training step with Adam at batch 64.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench_common.h"

namespace {

namespace F = T::nn::functional;

struct CnnImpl : T::nn::Module {
  CnnImpl()
      : conv1(register_module("conv1", T::nn::Conv2d(T::nn::Conv2dOptions(1, 32, 3).padding(1)))),
        conv2(register_module("conv2", T::nn::Conv2d(T::nn::Conv2dOptions(32, 64, 3).padding(1)))),
        fc1(register_module("fc1", T::nn::Linear(64 * 7 * 7, 128))),
        fc2(register_module("fc2", T::nn::Linear(128, 10))) {}
  T::Tensor forward(const T::Tensor& x) {
    T::Tensor h = F::max_pool2d(T::relu(conv1->forward(x)), F::MaxPool2dFuncOptions(2));
    h = F::max_pool2d(T::relu(conv2->forward(h)), F::MaxPool2dFuncOptions(2));
    h = T::relu(fc1->forward(h.flatten(1)));
    return fc2->forward(h);
  }
  T::nn::Conv2d conv1, conv2;
  T::nn::Linear fc1, fc2;
};

// Forward, cross-entropy, backward, optimizer step, zero_grad; returns the loss.
T::Tensor train_step(CnnImpl& net, T::optim::Optimizer& optimizer, const T::Tensor& x, const T::Tensor& y) {
  T::Tensor loss = F::cross_entropy(net.forward(x), y);
  loss.backward();
  optimizer.step();
  optimizer.zero_grad();
  return loss;
}

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
