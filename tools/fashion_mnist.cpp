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
  const auto size = static_cast<int64_t>(*dataset.size());
  // Valid IDX files, but a run on them would report a loss of 0 and succeed.
  TG_CHECK(size > 0, "the ", train ? "training" : "test", " set in '", dir, "' holds no images");
  return {dataset, std::min(size, limit.value_or(size))};
}

data::Batch Split::batch(IntArrayRef indices) const {
  data::Batch b = dataset.batch(indices);
  b.data.sub_(kPixelMean).div_(kPixelStd);
  return b;
}

ConfusionMatrix evaluate_model(nn::Sequential& model, data::DataLoader batches) {
  NoGradGuard no_grad;
  model->eval();
  ConfusionMatrix matrix(static_cast<int64_t>(fashion_mnist_classes().size()));
  for (data::Batch& batch : batches) {
    const Tensor predictions = model->forward(batch.data).argmax(1).contiguous();
    const int64_t* predicted = predictions.data_ptr<int64_t>();
    const int64_t* actual = batch.target.data_ptr<int64_t>();
    for (int64_t i = 0; i < batch.target.numel(); ++i) matrix.add(actual[i], predicted[i]);
  }
  return matrix;
}

ConfusionMatrix evaluate_model(nn::Sequential& model, const Split& split) {
  return evaluate_model(model, data::DataLoader(split, kEvalBatchSize));
}

}  // namespace tg::cli
