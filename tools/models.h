#pragma once
// The models `tensorgrad` trains, by name. Each is a Sequential whose layers are
// named ("fc1", "conv1", ...), which gives the weights file readable tensor names
// ("fc1.weight").
#include <string>
#include <vector>

#include <tensorgrad/nn.h>

namespace tg::cli {

// "mlp", "cnn".
const std::vector<std::string>& model_names();

// mlp: 784-256-128-10 with ReLU; cnn: conv 32 3x3 pad 1, relu, max-pool 2, conv 64
// 3x3 pad 1, relu, max-pool 2, linear 128, relu, linear 10. Both take images
// {N, 1, 28, 28} and return logits {N, 10}, initialised from tg's generator
// (tg::manual_seed). An unknown name raises tg::Error.
nn::Sequential make_model(const std::string& name);

}  // namespace tg::cli
