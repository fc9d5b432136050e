#include "evaluate.h"

#include <cstdio>
#include <ostream>

#include <tensorgrad/serialize.h>

#include "fashion_mnist.h"
#include "models.h"

namespace tg::cli {

CommandSpec evaluate_spec() {
  CommandSpec spec{"evaluate", "evaluate saved weights on the Fashion-MNIST test set",
                   "Evaluates saved weights (tensorgrad train's model.safetensors) on the Fashion-MNIST\n"
                   "test set, its images standardised as `train` standardises them: prints the accuracy\n"
                   "and the confusion matrix.",
                   {}};
  using K = ValueKind;
  spec.options = {
      {.name = "model", .value_name = "NAME", .help = "the model the weights are for", .kind = K::kChoice,
       .choices = model_names(), .default_value = "mlp"},
      {.name = "weights", .value_name = "FILE", .help = "the weights, a safetensors file", .required = true},
      {.name = "data", .value_name = "DIR", .help = "directory of the Fashion-MNIST files",
       .default_value = kDefaultDataDir},
      {.name = "limit", .value_name = "N", .help = "use only the first N test samples", .kind = K::kInteger,
       .min_integer = 1, .default_help = "all"},
  };
  return spec;
}

int run_evaluate(const ParsedArgs& args, const Console& console) {
  const std::string& name = args.text("model");
  const std::string& weights = args.text("weights");
  const Split test_split = load_split(args.text("data"), false, args.optional_integer("limit"));
  nn::Sequential model = make_model(name);
  load(model, weights);
  const ConfusionMatrix matrix = evaluate_model(model, test_split);

  char line[128];
  std::snprintf(line, sizeof line, "test accuracy: %.2f%% (%lld/%lld)", 100.0 * matrix.accuracy(),
                static_cast<long long>(matrix.correct()), static_cast<long long>(matrix.total()));
  console.out << "model " << name << ", weights " << weights << "\n"
              << line << "\n\n"
              << "confusion matrix (rows: true class, columns: predicted class)\n"
              << matrix.format(fashion_mnist_classes());
  return 0;
}

}  // namespace tg::cli
