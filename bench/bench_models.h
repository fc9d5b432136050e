#pragma once
// The models the benchmarks train, written once for both libraries (bench_common.h):
// the MLP 784-256-128-10 and the CNN of the training issue's acceptance runs.
#include "bench_common.h"

struct MlpImpl : T::nn::Module {
  MlpImpl()
      : fc1(register_module("fc1", T::nn::Linear(784, 256))),
        fc2(register_module("fc2", T::nn::Linear(256, 128))),
        fc3(register_module("fc3", T::nn::Linear(128, 10))) {}
  // x: [B, 784] or images [B, 1, 28, 28].
  T::Tensor forward(const T::Tensor& x) {
    T::Tensor h = T::relu(fc1->forward(x.flatten(1)));
    h = T::relu(fc2->forward(h));
    return fc3->forward(h);
  }
  T::nn::Linear fc1, fc2, fc3;
};

// conv 32 3x3 pad 1 - relu - maxpool 2 - conv 64 3x3 pad 1 - relu - maxpool 2 -
// linear 128 - relu - linear 10, on [B, 1, 28, 28].
struct CnnImpl : T::nn::Module {
  CnnImpl()
      : conv1(register_module("conv1", T::nn::Conv2d(T::nn::Conv2dOptions(1, 32, 3).padding(1)))),
        conv2(register_module("conv2", T::nn::Conv2d(T::nn::Conv2dOptions(32, 64, 3).padding(1)))),
        fc1(register_module("fc1", T::nn::Linear(64 * 7 * 7, 128))),
        fc2(register_module("fc2", T::nn::Linear(128, 10))) {}
  T::Tensor forward(const T::Tensor& x) {
    namespace F = T::nn::functional;
    T::Tensor h = F::max_pool2d(T::relu(conv1->forward(x)), F::MaxPool2dFuncOptions(2));
    h = F::max_pool2d(T::relu(conv2->forward(h)), F::MaxPool2dFuncOptions(2));
    h = T::relu(fc1->forward(h.flatten(1)));
    return fc2->forward(h);
  }
  T::nn::Conv2d conv1, conv2;
  T::nn::Linear fc1, fc2;
};

// One training step: forward, cross-entropy, backward, optimizer step, zero_grad;
// returns the loss.
template <class Net>
T::Tensor train_step(Net& net, T::optim::Optimizer& optimizer, const T::Tensor& x, const T::Tensor& y) {
  T::Tensor loss = T::nn::functional::cross_entropy(net.forward(x), y);
  loss.backward();
  optimizer.step();
  optimizer.zero_grad();
  return loss;
}
