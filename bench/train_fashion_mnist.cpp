// The training acceptance figures (issue 4), one source for both libraries: the
// MLP (784-256-128-10, SGD lr 0.1 momentum 0.9, batch 128, 3 epochs) or the CNN
// (conv 32 - pool - conv 64 - pool - 128 - 10, Adam lr 1e-3, batch 64, 2 epochs)
// on Fashion-MNIST, its images standardised as `tensorgrad train` standardises them,
// printing each epoch's training time and test accuracy.
//
//   bench_train_fashion_mnist{,_torch} mlp|cnn DATA_DIR [SEED [LIMIT]]
//
// LIMIT (the CI smoke run): one epoch on the first LIMIT training images only.
// DATA_DIR must hold the four IDX files uncompressed: libtorch's MNIST reader does
// not read the .gz files Debian ships (bench/compare.sh unpacks them with gunzip).
// Batches come from the same seeded permutation in both builds, so the libraries'
// own data loaders are not part of the comparison; each library's MNIST class gives
// the batch in its own way (batch_of below). Each epoch's
// training time is given as wall time and as the process's CPU time (all threads):
// on a shared machine the wall time depends on the load, the CPU time much less.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_models.h"

namespace F = T::nn::functional;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double cpu_seconds_since(std::clock_t start) { return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC; }

using T::data::datasets::MNIST;

// The images {B, 1, 28, 28} float32 in [0, 1] and labels {B} of the samples
// indices[0, count).
#ifdef BACKEND_TORCH
// libtorch's MNIST holds every image as float32: an index_select of them.
T::data::Example<> batch_of(const MNIST& set, const int64_t* indices, int64_t count) {
  const T::Tensor index = T::from_blob(const_cast<int64_t*>(indices), {count}, T::kLong);
  return {set.images().index_select(0, index), set.targets().index_select(0, index)};
}
#else
// tensorgrad's MNIST holds the pixels as bytes and converts a batch at a time.
T::data::Example<> batch_of(const MNIST& set, const int64_t* indices, int64_t count) {
  return set.batch(T::IntArrayRef(indices, static_cast<size_t>(count)));
}
#endif

// As batch_of, standardised with the training images' pixel mean and standard
// deviation, as `tensorgrad train` does (libtorch's MNIST example's Normalize).
T::data::Example<> standardised_batch(const MNIST& set, const int64_t* indices, int64_t count) {
  T::data::Example<> batch = batch_of(set, indices, count);
  batch.data.sub_(0.2860).div_(0.3530);
  return batch;
}

template <class Net>
double test_accuracy(Net& net, const MNIST& test_set) {
  T::NoGradGuard no_grad;
  net->eval();
  int64_t correct = 0;
  const auto n = static_cast<int64_t>(*test_set.size());
  std::vector<int64_t> indices(static_cast<size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  for (int64_t start = 0; start < n; start += 1000) {
    const auto batch = standardised_batch(test_set, indices.data() + start, std::min<int64_t>(1000, n - start));
    T::Tensor predicted = net->forward(batch.data).argmax(1);
    correct += predicted.eq(batch.target).sum().template item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

template <class Net>
int run(Net net, std::unique_ptr<T::optim::Optimizer> optimizer, const std::string& name, int epochs,
        int64_t batch_size, const std::string& root, uint64_t seed, int64_t limit) {
  MNIST train_set(root, MNIST::Mode::kTrain), test_set(root, MNIST::Mode::kTest);
  const auto size = static_cast<int64_t>(*train_set.size());
  const int64_t n = limit > 0 ? std::min<int64_t>(limit, size) : size;
  if (limit > 0) epochs = 1;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::mt19937_64 rng(seed);

  double total_seconds = 0, total_cpu_seconds = 0, accuracy = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    net->train();
    double loss_sum = 0;
    int64_t batches = 0;
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (int64_t first = 0; first < n; first += batch_size) {
      const auto batch = standardised_batch(train_set, order.data() + first, std::min(batch_size, n - first));
      optimizer->zero_grad();
      T::Tensor loss = F::cross_entropy(net->forward(batch.data), batch.target);
      loss.backward();
      optimizer->step();
      loss_sum += loss.template item<double>();
      ++batches;
    }
    const double seconds = seconds_since(start), cpu_seconds = cpu_seconds_since(cpu_start);
    total_seconds += seconds;
    total_cpu_seconds += cpu_seconds;
    const auto eval_start = std::chrono::steady_clock::now();
    accuracy = test_accuracy(net, test_set);
    std::printf("%s %s epoch %d: %.2f s (CPU %.2f s), train loss %.4f, test accuracy %.2f%% (evaluation %.2f s)\n",
                backend_name(), name.c_str(), epoch, seconds, cpu_seconds, loss_sum / static_cast<double>(batches),
                100 * accuracy, seconds_since(eval_start));
    std::fflush(stdout);
  }
  std::printf("%s %s: %.2f s per epoch (CPU %.2f s), final test accuracy %.2f%%\n", backend_name(), name.c_str(),
              total_seconds / epochs, total_cpu_seconds / epochs, 100 * accuracy);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || (std::string(argv[1]) != "mlp" && std::string(argv[1]) != "cnn")) {
    std::fprintf(stderr, "usage: %s mlp|cnn DATA_DIR [SEED [LIMIT]]   (DATA_DIR: uncompressed IDX files)\n",
                 argv[0]);
    return 2;
  }
  const std::string model = argv[1], root = argv[2];
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
  const int64_t limit = argc > 4 ? std::strtoll(argv[4], nullptr, 10) : 0;
  T::manual_seed(seed);
  try {
    if (model == "mlp") {
      auto net = std::make_shared<MlpImpl>();
      auto optimizer = std::make_unique<T::optim::SGD>(net->parameters(), T::optim::SGDOptions(0.1).momentum(0.9));
      return run(net, std::move(optimizer), model, 3, 128, root, seed, limit);
    }
    auto net = std::make_shared<CnnImpl>();
    auto optimizer = std::make_unique<T::optim::Adam>(net->parameters(), T::optim::AdamOptions(1e-3));
    return run(net, std::move(optimizer), model, 2, 64, root, seed, limit);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
