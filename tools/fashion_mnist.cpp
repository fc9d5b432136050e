#include "fashion_mnist.h"

#include <algorithm>

#include <tensorgrad/autograd.h>
#include <tensorgrad/data.h>

namespace tg::cli {

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

Split load_split(const std::string& dir, bool train, std::optional<int64_t> limit) {
  using data::datasets::MNIST;
  MNIST dataset(dir, train ? MNIST::Mode::kTrain : MNIST::Mode::kTest);
  const int64_t n = std::min(dataset.images().size(0), limit.value_or(dataset.images().size(0)));
  return {dataset.images().narrow(0, 0, n), dataset.targets().narrow(0, 0, n)};
}

ConfusionMatrix evaluate_model(nn::Sequential& model, const Split& split, int64_t batch_size) {
  NoGradGuard no_grad;
  model->eval();
  ConfusionMatrix matrix(static_cast<int64_t>(fashion_mnist_classes().size()));
  const int64_t n = split.images.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t count = std::min(batch_size, n - start);
    const Tensor predictions = model->forward(split.images.narrow(0, start, count)).argmax(1).contiguous();
    const Tensor targets = split.targets.narrow(0, start, count).contiguous();
    const int64_t* predicted = predictions.data_ptr<int64_t>();
    const int64_t* actual = targets.data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) matrix.add(actual[i], predicted[i]);
  }
  return matrix;
}

}  // namespace tg::cli
