#pragma once
// `tensorgrad train`: trains a model on Fashion-MNIST, evaluating it on the test
// set after each epoch, and writes metrics.csv, model.safetensors and curves.svg.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "console.h"
#include "metrics.h"

namespace tg::cli {

struct TrainOptions {
  std::string model;
  int64_t epochs = 0;
  int64_t batch_size = 0;
  std::string optimizer;  // "sgd" (momentum 0.9) or "adam"
  double lr = 0;
  uint64_t seed = 0;
  std::string data;
  std::string out;
  std::optional<int> threads;
  std::optional<int64_t> limit;
};

inline constexpr double kSgdMomentum = 0.9;

CommandSpec train_spec();
// The options of a parsed command line, with the defaults that depend on other
// options filled in (lr from the optimizer, out from the model).
TrainOptions train_options(const ParsedArgs& args);
// Trains as `options` say, reporting progress on the console; returns each epoch's figures.
std::vector<EpochMetrics> train(const TrainOptions& options, const Console& console);
int run_train(const ParsedArgs& args, const Console& console);

}  // namespace tg::cli
