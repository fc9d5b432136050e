// The MLP of `tensorgrad train` (784-256-128-10, ReLU) in libtorch style: a module
// with TORCH_MODULE, SGD with momentum, the DataLoader, three epochs, test accuracy,
// the images standardised as `tensorgrad train` standardises them.
// Usage: example_mlp_fashion_mnist [DATA_DIR]   (default /usr/share/datasets/fashion-mnist)
#include <tensorgrad/tensorgrad.h>

#include <cstdio>

struct NetImpl : tg::nn::Module {
  NetImpl()
      : fc1(register_module("fc1", tg::nn::Linear(784, 256))),
        fc2(register_module("fc2", tg::nn::Linear(256, 128))),
        fc3(register_module("fc3", tg::nn::Linear(128, 10))) {}
  tg::Tensor forward(tg::Tensor x) {
    x = tg::relu(fc1->forward(x.flatten(1)));
    x = tg::relu(fc2->forward(x));
    return fc3->forward(x);
  }
  tg::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Net);

// Pixels in [0, 1] standardised with the training set's mean and standard deviation.
tg::Tensor standardised(const tg::Tensor& images) { return (images - 0.2860) / 0.3530; }

int main(int argc, char** argv) try {
  using tg::data::datasets::MNIST;
  const char* root = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  MNIST train_set(root, MNIST::Mode::kTrain), test_set(root, MNIST::Mode::kTest);
  tg::manual_seed(0);
  Net net;
  tg::optim::SGD optimizer(net->parameters(), tg::optim::SGDOptions(0.1).momentum(0.9));
  tg::data::DataLoader loader(train_set, /*batch_size=*/128, /*shuffle=*/true, /*seed=*/0);

  for (int epoch = 1; epoch <= 3; ++epoch) {
    net->train();
    double loss_sum = 0;
    for (auto& batch : loader) {
      optimizer.zero_grad();
      tg::Tensor loss = tg::nn::functional::cross_entropy(net->forward(standardised(batch.data)), batch.target);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
    }
    tg::NoGradGuard no_grad;
    net->eval();
    int64_t correct = 0;
    for (auto& batch : tg::data::DataLoader(test_set, /*batch_size=*/1000)) {
      correct += net->forward(standardised(batch.data)).argmax(1).eq(batch.target).sum().item<int64_t>();
    }
    std::printf("epoch %d: train loss %.4f, test accuracy %.2f%%\n", epoch, loss_sum / loader.size(),
                100.0 * static_cast<double>(correct) / static_cast<double>(*test_set.size()));
  }
} catch (const tg::Error& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
