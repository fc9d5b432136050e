// The tensorgrad command line's pieces (tools/): argument parsing and help, the
// progress display, metrics.csv, the SVG curves, the confusion matrix, the models
// and the evaluation loop. The real binary is exercised by the ctest cli_smoke
// (tools/smoke_test.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "confusion.h"
#include "evaluate.h"
#include "fashion_mnist.h"
#include "metrics.h"
#include "models.h"
#include "progress.h"
#include "support/test_support.h"
#include "svg_curves.h"
#include "train.h"

namespace tg::cli {
namespace {

ParsedArgs parse(const CommandSpec& spec, std::vector<std::string> args) { return parse_args(spec, args); }

TrainOptions train_with(std::vector<std::string> args) { return train_options(parse(train_spec(), std::move(args))); }

// Runs parse_args and returns the UsageError's message ("" if it did not throw).
std::string usage_error(const CommandSpec& spec, std::vector<std::string> args) {
  try {
    parse(spec, std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// ---- arguments ------------------------------------------------------------------------------------

TEST(CliArgs, TrainDefaults) {
  const TrainOptions o = train_with({});
  EXPECT_EQ(o.model, "mlp");
  EXPECT_EQ(o.epochs, 3);
  EXPECT_EQ(o.batch_size, 128);
  EXPECT_EQ(o.optimizer, "sgd");
  EXPECT_EQ(o.lr, 0.1);
  EXPECT_EQ(o.seed, 0u);
  EXPECT_EQ(o.data, "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(o.out, "out/mlp");
  EXPECT_FALSE(o.threads.has_value());
  EXPECT_FALSE(o.limit.has_value());
}

TEST(CliArgs, TrainEveryOption) {
  const TrainOptions o = train_with({"--model", "cnn", "--epochs", "2", "--batch-size", "64", "--optimizer", "adam",
                                     "--seed", "7", "--data", "/d", "--out", "/o", "--threads", "1", "--limit",
                                     "100"});
  EXPECT_EQ(o.model, "cnn");
  EXPECT_EQ(o.epochs, 2);
  EXPECT_EQ(o.batch_size, 64);
  EXPECT_EQ(o.optimizer, "adam");
  EXPECT_EQ(o.lr, 1e-3);  // adam's default
  EXPECT_EQ(o.seed, 7u);
  EXPECT_EQ(o.data, "/d");
  EXPECT_EQ(o.out, "/o");
  EXPECT_EQ(o.threads, 1);
  EXPECT_EQ(o.limit, 100);
}

TEST(CliArgs, EqualsFormLaterOptionWinsAndDerivedDefaults) {
  const TrainOptions o = train_with({"--lr=0.05", "--model=cnn", "--epochs", "4", "--epochs=5"});
  EXPECT_EQ(o.lr, 0.05);
  EXPECT_EQ(o.epochs, 5);
  EXPECT_EQ(o.out, "out/cnn");
  EXPECT_EQ(train_with({"--optimizer", "adam", "--lr", "0.01"}).lr, 0.01);
  EXPECT_EQ(train_with({"--lr", "1e-2"}).lr, 0.01);
}

TEST(CliArgs, InvalidArgumentsSayWhatIsWrong) {
  const CommandSpec spec = train_spec();
  EXPECT_EQ(usage_error(spec, {"--epoch", "3"}), "unknown option '--epoch'");
  EXPECT_EQ(usage_error(spec, {"--epochs"}), "option '--epochs' needs a value (N)");
  EXPECT_EQ(usage_error(spec, {"--epochs", "3x"}), "--epochs: expected an integer >= 1, got '3x'");
  EXPECT_EQ(usage_error(spec, {"--epochs", "0"}), "--epochs: expected an integer >= 1, got '0'");
  EXPECT_EQ(usage_error(spec, {"--seed", "-1"}), "--seed: expected an integer >= 0, got '-1'");
  EXPECT_EQ(usage_error(spec, {"--batch-size", "99999999999999999999"}),
            "--batch-size: expected an integer >= 1, got '99999999999999999999'");
  EXPECT_EQ(usage_error(spec, {"--lr", "-0.1"}), "--lr: expected a positive number, got '-0.1'");
  EXPECT_EQ(usage_error(spec, {"--lr", "nan"}), "--lr: expected a positive number, got 'nan'");
  EXPECT_EQ(usage_error(spec, {"--lr", "inf"}), "--lr: expected a positive number, got 'inf'");
  EXPECT_EQ(usage_error(spec, {"--model", "rnn"}), "--model: expected one of mlp, cnn, got 'rnn'");
  EXPECT_EQ(usage_error(spec, {"--optimizer", "SGD"}), "--optimizer: expected one of sgd, adam, got 'SGD'");
  EXPECT_EQ(usage_error(spec, {"--out="}), "--out: expected a value, got an empty string");
  EXPECT_EQ(usage_error(spec, {"mlp"}), "unexpected argument 'mlp'");
  EXPECT_EQ(usage_error(spec, {"--"}), "unexpected argument '--'");
  // An option followed by another has no value (a value starting with "--" is
  // given as --name=VALUE).
  EXPECT_EQ(usage_error(spec, {"--model", "--epochs", "1"}), "option '--model' needs a value (NAME)");
  EXPECT_EQ(usage_error(spec, {"--out", "--model", "mlp"}), "option '--out' needs a value (DIR)");
  EXPECT_EQ(parse(spec, {"--out=--model"}).text("out"), "--model");
  EXPECT_EQ(usage_error(evaluate_spec(), {"--model", "mlp"}), "option '--weights' is required");
  EXPECT_THROW(train_with({"--threads", "5000"}), UsageError);
}

TEST(CliArgs, HelpWinsOverEverythingElse) {
  EXPECT_TRUE(parse(train_spec(), {"--epochs", "0", "--help"}).help);
  EXPECT_TRUE(parse(train_spec(), {"-h"}).help);
  EXPECT_TRUE(parse(evaluate_spec(), {"--help"}).help);
  EXPECT_FALSE(parse(train_spec(), {}).help);
}

TEST(CliArgs, HelpListsEveryOptionWithItsDefault) {
  ASSERT_GE(commands().size(), 2u);
  for (const Command& command : commands()) {
    const std::string help = help_text(command.spec);
    EXPECT_EQ(help.rfind("usage: tensorgrad " + command.spec.name, 0), 0u) << help;
    EXPECT_NE(help.find("-h, --help"), std::string::npos);
    for (const OptionSpec& option : command.spec.options) {
      EXPECT_NE(help.find("--" + option.name + " " + option.value_name), std::string::npos)
          << command.spec.name << " --help lacks --" << option.name;
    }
  }
  const std::string train = help_text(train_spec());
  EXPECT_NE(train.find("  --model NAME      the model (mlp, cnn; default: mlp)\n"), std::string::npos) << train;
  EXPECT_NE(train.find("(default: 0.1 with sgd, 0.001 with adam)"), std::string::npos);
  EXPECT_NE(train.find("(default: /usr/share/datasets/fashion-mnist)"), std::string::npos);
  const std::string evaluate = help_text(evaluate_spec());
  EXPECT_EQ(evaluate.rfind("usage: tensorgrad evaluate --weights FILE [options]\n", 0), 0u) << evaluate;
  EXPECT_NE(evaluate.find("--weights FILE  the weights, a safetensors file (required)\n"), std::string::npos);
}

struct CliRun {
  int status;
  std::string out, err;
};

CliRun run(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int status = run_cli(args, Console{out}, err);
  return {status, out.str(), err.str()};
}

TEST(CliDispatch, ExitStatusesAndMessages) {
  CliRun r = run({});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, main_help_text());

  r = run({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, main_help_text());
  for (const Command& command : commands()) {
    EXPECT_NE(r.out.find("  " + command.spec.name + " "), std::string::npos) << command.spec.name;
  }

  r = run({"train", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, help_text(train_spec()));
  EXPECT_EQ(r.err, "");

  r = run({"fly"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tensorgrad: unknown command 'fly'\nRun 'tensorgrad --help' for the commands.\n");

  r = run({"train", "--batch-size", "0"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "tensorgrad train: --batch-size: expected an integer >= 1, got '0'\n"
            "Run 'tensorgrad train --help' for its options.\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliDispatch, MissingDataDirectoryGivesTheDataModulesError) {
  const CliRun r = run({"train", "--data", "/nonexistent/fashion", "--out", "/nonexistent/out"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("tensorgrad train: error: MNIST: directory '/nonexistent/fashion' does not exist.", 0), 0u)
      << r.err;
  EXPECT_NE(r.err.find("apt-get install dataset-fashion-mnist"), std::string::npos) << r.err;
}

TEST(CliDispatch, CommandNamesAreUnique) {
  const auto all = commands();
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = i + 1; j < all.size(); ++j) EXPECT_NE(all[i].spec.name, all[j].spec.name);
  }
}

// ---- progress -------------------------------------------------------------------------------------

TEST(CliProgress, Durations) {
  EXPECT_EQ(format_duration(0.0), "0:00");
  EXPECT_EQ(format_duration(7.4), "0:07");
  EXPECT_EQ(format_duration(59.6), "1:00");
  EXPECT_EQ(format_duration(754.0), "12:34");
  EXPECT_EQ(format_duration(3723.0), "1:02:03");
  EXPECT_EQ(format_duration(std::nullopt), "--:--");
  EXPECT_EQ(format_duration(-1.0), "--:--");
  EXPECT_EQ(format_duration(std::numeric_limits<double>::infinity()), "--:--");
}

TEST(CliProgress, RateAndEta) {
  EXPECT_EQ(samples_per_second(1280, 0.5), 2560.0);
  EXPECT_EQ(samples_per_second(1280, 0.0), 0.0);
  EXPECT_EQ(eta_seconds(25, 100, 10.0), 30.0);
  EXPECT_EQ(eta_seconds(100, 100, 10.0), 0.0);
  EXPECT_FALSE(eta_seconds(0, 100, 1.0).has_value());
}

TEST(CliProgress, Bar) {
  EXPECT_EQ(render_bar(0, 10, 10), "[          ]");
  EXPECT_EQ(render_bar(5, 10, 10), "[=====>    ]");
  EXPECT_EQ(render_bar(1, 3, 6), "[==>   ]");
  EXPECT_EQ(render_bar(10, 10, 10), "[==========]");
}

ProgressState sample_state() {
  ProgressState s;
  s.label = "epoch 1/3";
  s.batches_done = 47;
  s.total_batches = 469;
  s.samples_done = 6016;
  s.mean_loss = 0.62344;
  s.elapsed_seconds = 2.0;
  return s;
}

TEST(CliProgress, Lines) {
  // 6016 samples in 2 s; 422 batches left at 2/47 s each: 17.96 s.
  EXPECT_EQ(plain_progress_line(sample_state()), "epoch 1/3 batch 47/469 loss 0.6234 3008 samples/s ETA 0:18");
  const std::string counters = "47/469 loss 0.6234 3008 samples/s ETA 0:18";
  EXPECT_EQ(interactive_progress_line(sample_state(), 0), "epoch 1/3 " + render_bar(47, 469, 30) + " " + counters);
  // 80 columns leave room for a 24-cell bar and one spare column.
  const std::string fitted = interactive_progress_line(sample_state(), 80);
  EXPECT_EQ(fitted, "epoch 1/3 " + render_bar(47, 469, 24) + " " + counters);
  EXPECT_EQ(fitted.size(), 79u);
  EXPECT_EQ(interactive_progress_line(sample_state(), 20), "epoch 1/3 " + render_bar(47, 469, 10) + " " + counters);
}

TEST(CliProgress, PlainLinesAboutTenPerEpoch) {
  std::vector<int64_t> due;
  for (int64_t b = 1; b <= 469; ++b) {
    if (plain_report_due(b, 469)) due.push_back(b);
  }
  EXPECT_EQ(due, (std::vector<int64_t>{1, 47, 94, 141, 188, 235, 282, 329, 376, 423, 469}));
  for (int64_t b = 1; b <= 3; ++b) EXPECT_TRUE(plain_report_due(b, 3));
}

TEST(CliProgress, BarWritesPlainLinesWhenNotATerminal) {
  std::ostringstream out;
  ProgressBar bar(out, /*interactive=*/false, "epoch 2/2", 20);
  for (int i = 0; i < 20; ++i) bar.update(10, i < 10 ? 2.0 : 1.0);
  EXPECT_DOUBLE_EQ(bar.mean_loss(), 1.5);
  bar.finish("epoch 2/2: done");
  const std::string text = out.str();
  EXPECT_EQ(occurrences(text, "\n"), 12u);  // batches 1, 2, 4, ..., 20 and the summary
  EXPECT_EQ(text.rfind("epoch 2/2 batch 1/20 loss 2.0000 ", 0), 0u) << text;
  EXPECT_NE(text.find("\nepoch 2/2 batch 20/20 loss 1.5000 "), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 16), "epoch 2/2: done\n");
}

TEST(CliProgress, BarRedrawsInPlaceOnATerminal) {
  std::ostringstream out;
  ProgressBar bar(out, /*interactive=*/true, "epoch 1/1", 3, 80);
  bar.update(4, 1.0);
  bar.update(4, 3.0);
  bar.update(2, 0.5);  // the last batch is always drawn
  EXPECT_DOUBLE_EQ(bar.mean_loss(), 1.7);
  bar.finish("summary");
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("\repoch 1/1 [", 0), 0u) << text;
  EXPECT_NE(text.find("=] 3/3 loss 1.7000 "), std::string::npos) << text;
  EXPECT_EQ(occurrences(text, "\n"), 1u);
  EXPECT_EQ(text.substr(text.size() - 12), "\r\x1b[Ksummary\n");
}

// ---- metrics.csv ----------------------------------------------------------------------------------

TEST(CliMetrics, Csv) {
  EXPECT_EQ(metrics_csv({}), "epoch,train_loss,test_accuracy,seconds\n");
  EXPECT_EQ(metrics_csv({{1, 0.5234123, 0.84125, 7.8126}, {2, 0.41, 0.8512, 12.0}}),
            "epoch,train_loss,test_accuracy,seconds\n"
            "1,0.523412,0.8413,7.813\n"
            "2,0.410000,0.8512,12.000\n");
}

// ---- SVG ------------------------------------------------------------------------------------------

TEST(CliSvg, NiceTicks) {
  AxisTicks t = nice_ticks(0.4, 0.6);
  EXPECT_DOUBLE_EQ(t.step, 0.05);
  ASSERT_EQ(t.values.size(), 5u);
  EXPECT_DOUBLE_EQ(t.values.front(), 0.4);
  EXPECT_DOUBLE_EQ(t.values.back(), 0.6);
  EXPECT_EQ(t.decimals, 2);

  t = nice_ticks(0, 97);
  EXPECT_EQ(t.step, 20);
  EXPECT_EQ(t.values, (std::vector<double>{0, 20, 40, 60, 80, 100}));
  EXPECT_EQ(t.decimals, 0);

  t = nice_ticks(1, 1, 5, 1.0);  // one epoch: widened to 0..2, whole steps
  EXPECT_EQ(t.values, (std::vector<double>{0, 1, 2}));

  t = nice_ticks(1, 30, 5, 1.0);
  EXPECT_EQ(t.step, 10);
  EXPECT_EQ(t.values, (std::vector<double>{0, 10, 20, 30}));

  t = nice_ticks(std::nan(""), 1);
  EXPECT_EQ(t.lo, 0);
  EXPECT_EQ(t.hi, 1);
}

TEST(CliSvg, TwoEpochCurves) {
  // Panels are 420 x 320 with the plot in x [64, 404] (+420 for the second), y [36, 268].
  // Loss 0.62 and 0.41: ticks 0.40 .. 0.65 by 0.05, so y = 268 - (v - 0.40) / 0.25 * 232.
  // Accuracy 81.23% and 84.56%: ticks 81 .. 85 by 1, so y = 268 - (v - 81) / 4 * 232.
  const std::string svg = training_curves_svg({{1, 0.62, 0.8123, 5.0}, {2, 0.41, 0.8456, 5.0}});
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"840\" height=\"320\" viewBox=\"0 0 840 320\"",
                      0),
            0u)
      << svg;
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("points=\"64,63.84 404,258.72\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("points=\"484,254.66 824,61.52\""), std::string::npos) << svg;
  EXPECT_EQ(occurrences(svg, "<polyline"), 2u);
  EXPECT_EQ(occurrences(svg, "<circle"), 4u);
  EXPECT_EQ(occurrences(svg, "<g class=\"chart\">"), 2u);
  EXPECT_EQ(occurrences(svg, "</g>"), 2u);

  // Axes, their labels and titles.
  EXPECT_EQ(occurrences(svg, "class=\"x-axis\""), 2u);
  EXPECT_EQ(occurrences(svg, "class=\"y-axis\""), 2u);
  EXPECT_NE(svg.find("<line class=\"x-axis\" x1=\"64\" y1=\"268\" x2=\"404\" y2=\"268\""), std::string::npos);
  EXPECT_NE(svg.find("<line class=\"y-axis\" x1=\"484\" y1=\"36\" x2=\"484\" y2=\"268\""), std::string::npos);
  EXPECT_EQ(occurrences(svg, ">epoch</text>"), 2u);
  EXPECT_NE(svg.find(">train loss</text>"), std::string::npos);
  EXPECT_NE(svg.find(">test accuracy</text>"), std::string::npos);
  EXPECT_NE(svg.find(">cross-entropy per sample</text>"), std::string::npos);
  EXPECT_NE(svg.find(">accuracy (%)</text>"), std::string::npos);

  // Ticks: epochs 1 and 2 in each panel, six loss ticks, five accuracy ticks.
  EXPECT_EQ(occurrences(svg, "class=\"x-tick\""), 4u);
  EXPECT_EQ(occurrences(svg, "class=\"y-tick\""), 11u);
  EXPECT_NE(svg.find("<text class=\"x-tick\" x=\"404\" y=\"286\" text-anchor=\"middle\">2</text>"),
            std::string::npos);
  for (const char* label : {">0.40<", ">0.45<", ">0.50<", ">0.55<", ">0.60<", ">0.65<", ">81<", ">85<"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  EXPECT_NE(svg.find("<text class=\"y-tick\" x=\"56\" y=\"272\" text-anchor=\"end\">0.40</text>"), std::string::npos);
}

TEST(CliSvg, NonFiniteValuesAreLeftOutAndTextEscaped) {
  LineChart chart{"a < b & c", "x", "y", "black", {{1, 1.0}, {2, std::nan("")}, {3, 3.0}}, true};
  const std::string svg = line_charts_svg({chart});
  EXPECT_NE(svg.find(">a &lt; b &amp; c</text>"), std::string::npos);
  EXPECT_EQ(occurrences(svg, "<circle"), 2u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

// ---- confusion matrix -----------------------------------------------------------------------------

TEST(CliConfusion, CountsAccuracyRecall) {
  ConfusionMatrix m(3);
  const std::vector<int64_t> targets = {0, 0, 1, 1, 2, 2, 2}, predictions = {0, 1, 1, 1, 2, 0, 2};
  for (size_t i = 0; i < targets.size(); ++i) m.add(targets[i], predictions[i]);
  EXPECT_EQ(m.count(0, 0), 1);
  EXPECT_EQ(m.count(0, 1), 1);
  EXPECT_EQ(m.count(1, 1), 2);
  EXPECT_EQ(m.count(2, 0), 1);
  EXPECT_EQ(m.count(2, 2), 2);
  EXPECT_EQ(m.count(1, 0), 0);
  EXPECT_EQ(m.total(), 7);
  EXPECT_EQ(m.correct(), 5);
  EXPECT_DOUBLE_EQ(m.accuracy(), 5.0 / 7.0);
  EXPECT_DOUBLE_EQ(m.recall(0), 0.5);
  EXPECT_DOUBLE_EQ(m.recall(1), 1.0);
  EXPECT_DOUBLE_EQ(m.recall(2), 2.0 / 3.0);
  EXPECT_EQ(m.format({"cat", "dog", "bird"}),
            "          0    1    2  recall\n"
            "0 cat     1    1    0   50.0%\n"
            "1 dog     0    2    0  100.0%\n"
            "2 bird    1    0    2   66.7%\n");
  EXPECT_THROW(m.add(3, 0), std::out_of_range);
  EXPECT_THROW(m.add(0, -1), std::out_of_range);
  EXPECT_EQ(ConfusionMatrix(10).accuracy(), 0.0);
}

TEST(CliConfusion, FashionMnistClassNames) {
  EXPECT_EQ(fashion_mnist_classes(),
            (std::vector<std::string>{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                      "Sneaker", "Bag", "Ankle boot"}));
  ConfusionMatrix m(10);
  m.add(9, 9);
  const std::string table = m.format(fashion_mnist_classes());
  const std::string nine_zeros = "    0    0    0    0    0    0    0    0    0";
  EXPECT_EQ(table.substr(0, table.find('\n')),
            std::string(13, ' ') + "    0    1    2    3    4    5    6    7    8    9  recall");
  EXPECT_NE(table.find("\n0 T-shirt/top" + nine_zeros + "    0    0.0%\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\n9 Ankle boot " + nine_zeros + "    1  100.0%\n"), std::string::npos) << table;
}

// ---- models and evaluation ------------------------------------------------------------------------

std::vector<std::string> parameter_names(nn::Sequential& model) {
  std::vector<std::string> names;
  for (const auto& item : model->named_parameters()) {
    names.push_back(item.key() + " " + detail::str(item.value().sizes()));
  }
  return names;
}

TEST(CliModels, MlpLayersAndOutput) {
  nn::Sequential mlp = make_model("mlp");
  EXPECT_EQ(parameter_names(mlp), (std::vector<std::string>{"fc1.weight [256, 784]", "fc1.bias [256]",
                                                            "fc2.weight [128, 256]", "fc2.bias [128]",
                                                            "fc3.weight [10, 128]", "fc3.bias [10]"}));
  EXPECT_EQ(mlp->forward(zeros({2, 1, 28, 28})).sizes().vec(), (std::vector<int64_t>{2, 10}));
}

TEST(CliModels, CnnLayersAndOutput) {
  nn::Sequential cnn = make_model("cnn");
  EXPECT_EQ(parameter_names(cnn),
            (std::vector<std::string>{"conv1.weight [32, 1, 3, 3]", "conv1.bias [32]", "conv2.weight [64, 32, 3, 3]",
                                      "conv2.bias [64]", "fc1.weight [128, 3136]", "fc1.bias [128]",
                                      "fc2.weight [10, 128]", "fc2.bias [10]"}));
  EXPECT_EQ(cnn->forward(zeros({2, 1, 28, 28})).sizes().vec(), (std::vector<int64_t>{2, 10}));
  EXPECT_THROW_MSG(make_model("rnn"), "unknown model 'rnn'");
}

TEST(CliModels, EvaluateModelCountsEveryBatch) {
  // A linear model that always answers class 3: its bias decides.
  nn::Sequential model(nn::Flatten(), nn::Linear(4, 10));
  {
    NoGradGuard no_grad;
    for (Tensor& p : model->parameters()) p.zero_();
    model->parameters()[1][3].fill_(1.0);
  }
  const ConfusionMatrix m =
      evaluate_model(model, data::DataLoader(zeros({5, 1, 2, 2}), tensor({3, 3, 0, 9, 3}, kLong), /*batch_size=*/2));
  EXPECT_EQ(m.total(), 5);
  EXPECT_EQ(m.count(3, 3), 3);
  EXPECT_EQ(m.count(0, 3), 1);
  EXPECT_EQ(m.count(9, 3), 1);
  EXPECT_DOUBLE_EQ(m.accuracy(), 0.6);
  EXPECT_FALSE(model->is_training());
  EXPECT_TRUE(GradMode::is_enabled());
}

// Writes a split of `count` 28x28 images, image i holding pixel value 50 * i
// everywhere, with labels 4, 5, 6... (the IDX format: big-endian magic and sizes).
void write_split(const std::filesystem::path& dir, const std::string& prefix, uint32_t count) {
  auto header = [](std::ofstream& out, std::vector<uint32_t> fields) {
    for (uint32_t v : fields)
      for (int shift = 24; shift >= 0; shift -= 8) out.put(static_cast<char>((v >> shift) & 0xff));
  };
  std::filesystem::create_directories(dir);
  std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  header(images, {0x803, count, 28, 28});
  for (uint32_t i = 0; i < count; ++i) images << std::string(28 * 28, static_cast<char>(50 * i));
  std::ofstream labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  header(labels, {0x801, count});
  for (uint32_t i = 0; i < count; ++i) labels.put(static_cast<char>(4 + i));
}

void write_test_split(const std::filesystem::path& dir, uint32_t count = 3) { write_split(dir, "t10k", count); }

TEST(CliData, SplitBatchesAreStandardisedWithTheTrainingSetsStatistics) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "tg_cli_split";
  write_test_split(dir);
  const Split split = load_split(dir.string(), /*train=*/false, /*limit=*/2);
  EXPECT_EQ(split.size(), 2);
  const data::Batch b = split.batch({1, 0});
  ASSERT_EQ(b.data.sizes().vec(), (std::vector<int64_t>{2, 1, 28, 28}));
  const double pixel1 = (50.0 / 255.0 - 0.2860) / 0.3530, pixel0 = -0.2860 / 0.3530;
  EXPECT_NEAR(b.data[0].min().item<double>(), pixel1, 1e-6);
  EXPECT_NEAR(b.data[0].max().item<double>(), pixel1, 1e-6);
  EXPECT_NEAR(b.data[1].min().item<double>(), pixel0, 1e-6);
  EXPECT_NEAR(b.data[1].max().item<double>(), pixel0, 1e-6);
  EXPECT_EQ(b.target[0].item<int64_t>(), 5);
  EXPECT_EQ(b.target[1].item<int64_t>(), 4);
  std::filesystem::remove_all(dir);
}

// Valid IDX files of no images: a run on them reported a loss of 0 and succeeded.
TEST(CliData, AnEmptySplitIsRefused) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "tg_cli_empty_split";
  write_test_split(dir, 0);
  EXPECT_THROW_MSG(load_split(dir.string(), /*train=*/false, std::nullopt),
                   tg::detail::str("the test set in '", dir.string(), "' holds no images"));
  std::filesystem::remove_all(dir);
}

// An output directory that cannot take the results stops the run before it
// trains (it was found after the first epoch). metrics.csv.tmp being a directory
// makes the write fail even for root.
TEST(CliData, AnUnwritableOutputDirectoryIsFoundBeforeTraining) {
  const std::filesystem::path root = std::filesystem::path(::testing::TempDir()) / "tg_cli_unwritable";
  std::filesystem::remove_all(root);
  write_split(root / "data", "train", 3);
  write_test_split(root / "data");
  std::filesystem::create_directories(root / "out" / "metrics.csv.tmp");
  const CliRun r = run({"train", "--data", (root / "data").string(), "--out", (root / "out").string(), "--epochs",
                        "1", "--batch-size", "2", "--threads", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("tensorgrad train: error: cannot write '" + (root / "out" / "metrics.csv.tmp").string() + "'",
                        0),
            0u)
      << r.err;
  EXPECT_EQ(r.out, "");
  std::filesystem::remove_all(root);
}

// ---- graph ---------------------------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(CliGraph, DrawsOneTrainingStep) {
  const std::string dot = ::testing::TempDir() + "tg_cli_graph.dot";
  CliRun r = run({"graph", "--model", "mlp", "--out", dot, "--batch-size", "2"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("model mlp, batch 2: 9 nodes, 6 leaves, depth 7, 11 saved tensors holding ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nwrote " + dot + "\n"), std::string::npos) << r.out;
  const std::string text = read_file(dot);
  EXPECT_EQ(text.rfind("digraph autograd {\n", 0), 0u);
  EXPECT_NE(text.find("n0 [label=\"NllLossBackward0"), std::string::npos) << text;
  EXPECT_EQ(occurrences(text, "fillcolor=lightblue"), 6u);  // three weights, three biases
  EXPECT_EQ(occurrences(text, "AddmmBackward0"), 3u);

  if (std::system("command -v dot > /dev/null 2>&1") == 0) {
    const std::string svg = ::testing::TempDir() + "tg_cli_graph.svg";
    r = run({"graph", "--model", "mlp", "--out", svg, "--batch-size", "2"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("wrote " + svg + " (and " + dot + ")"), std::string::npos) << r.out;
    EXPECT_NE(read_file(svg).find("<svg"), std::string::npos);
  }

  r = run({"graph", "--out", "graph.png"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tensorgrad graph: --out must name a .svg or a .dot file, got 'graph.png'\n"
                   "Run 'tensorgrad graph --help' for its options.\n");
}

}  // namespace
}  // namespace tg::cli
