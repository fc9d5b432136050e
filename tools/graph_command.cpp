#include "graph_command.h"

#include <spawn.h>
#include <sys/wait.h>

#include <ostream>
#include <vector>

#include <tensorgrad/graph.h>
#include <tensorgrad/nn/functional.h>
#include <tensorgrad/ops.h>

#include "files.h"
#include "models.h"

extern char** environ;

namespace tg::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Runs `dot -Tsvg dot_file -o svg_file`; false when Graphviz is not installed.
bool render_svg(const std::string& dot_file, const std::string& svg_file) {
  std::vector<std::string> argv_text = {"dot", "-Tsvg", dot_file, "-o", svg_file};
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "dot", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("dot -Tsvg " + dot_file + " -o " + svg_file + " failed");
  return true;
}

}  // namespace

CommandSpec graph_spec() {
  CommandSpec spec{"graph", "draw the autograd graph of one training step",
                   "Runs one training step's forward pass (a random batch, cross-entropy of random\n"
                   "labels) and draws the graph backward() walks: a box per operation with the\n"
                   "tensors it saved for backward, the parameters as leaves. Prints the graph's\n"
                   "size and memory. Writes SVG through Graphviz's dot when it is installed (the\n"
                   "DOT text beside it), else only the DOT text.",
                   {}};
  using K = ValueKind;
  spec.options = {
      {.name = "model", .value_name = "NAME", .help = "the model to draw", .kind = K::kChoice,
       .choices = model_names(), .default_value = "mlp"},
      {.name = "out", .value_name = "FILE",
       .help = "the picture: a path ending in .svg (or in .dot for the text only)", .required = true},
      {.name = "batch-size", .value_name = "N", .help = "images in the batch", .kind = K::kInteger,
       .min_integer = 1, .default_value = "8"},
  };
  return spec;
}

int run_graph(const ParsedArgs& args, const Console& console) {
  const std::string& out = args.text("out");
  const bool svg = ends_with(out, ".svg");
  if (!svg && !ends_with(out, ".dot")) throw UsageError("--out must name a .svg or a .dot file, got '" + out + "'");
  const std::string& name = args.text("model");
  const int64_t batch = args.integer("batch-size");

  manual_seed(0);
  nn::Sequential model = make_model(name);
  Tensor images = randn({batch, 1, 28, 28});
  Tensor labels = randint(10, {batch});
  Tensor loss = nn::functional::cross_entropy(model->forward(images), labels);

  const std::string dot_file = svg ? out.substr(0, out.size() - 4) + ".dot" : out;
  write_text_file(dot_file, autograd::to_dot(loss));
  console.out << "model " << name << ", batch " << batch << ": " << autograd::graph_stats(loss) << "\n";
  if (!svg) {
    console.out << "wrote " << dot_file << "\n";
  } else if (render_svg(dot_file, out)) {
    console.out << "wrote " << out << " (and " << dot_file << ")\n";
  } else {
    console.out << "Graphviz's dot is not installed: wrote " << dot_file << " (render it with dot -Tsvg " << dot_file
                << " -o " << out << ")\n";
  }
  return 0;
}

}  // namespace tg::cli
