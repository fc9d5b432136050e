#include "models.h"

#include <tensorgrad/error.h>

namespace tg::cli {

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = {"mlp", "cnn"};
  return names;
}

nn::Sequential make_model(const std::string& name) {
  if (name == "mlp") {
    return nn::Sequential({{"flatten", nn::Flatten()},
                           {"fc1", nn::Linear(28 * 28, 256)},
                           {"relu1", nn::ReLU()},
                           {"fc2", nn::Linear(256, 128)},
                           {"relu2", nn::ReLU()},
                           {"fc3", nn::Linear(128, 10)}});
  }
  if (name == "cnn") {
    return nn::Sequential({{"conv1", nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1))},
                           {"relu1", nn::ReLU()},
                           {"pool1", nn::MaxPool2d(2)},
                           {"conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1))},
                           {"relu2", nn::ReLU()},
                           {"pool2", nn::MaxPool2d(2)},
                           {"flatten", nn::Flatten()},
                           {"fc1", nn::Linear(64 * 7 * 7, 128)},
                           {"relu3", nn::ReLU()},
                           {"fc2", nn::Linear(128, 10)}});
  }
  throw Error("unknown model '" + name + "' (expected mlp or cnn)");
}

}  // namespace tg::cli
