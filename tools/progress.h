#pragma once
// The per-epoch progress display of `tensorgrad train`: on a terminal one line
// redrawn in place (bar, batches, loss, samples/s, ETA); otherwise plain lines,
// about ten per epoch, that read well in a log file.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace tg::cli {

// "0:07", "12:34", "1:02:03" (seconds rounded to the nearest); "--:--" when unknown.
std::string format_duration(std::optional<double> seconds);
// 0 until some time has passed.
double samples_per_second(int64_t samples, double seconds);
// The time left if the remaining batches go at the pace of those done; unknown
// before the first batch.
std::optional<double> eta_seconds(int64_t done, int64_t total, double elapsed_seconds);
// "[=====>    ]" with `width` cells between the brackets; all '=' when done == total.
std::string render_bar(int64_t done, int64_t total, int width);

struct ProgressState {
  std::string label;  // "epoch 1/3"
  int64_t batches_done = 0;
  int64_t total_batches = 0;
  int64_t samples_done = 0;
  double mean_loss = 0;  // per sample, over the batches done so far in this epoch
  double elapsed_seconds = 0;
};

// "epoch 1/3 batch 47/469 loss 0.6234 11520 samples/s ETA 0:04"
std::string plain_progress_line(const ProgressState& state);
// "epoch 1/3 [====>     ] 47/469 loss 0.6234 11520 samples/s ETA 0:04", the bar
// narrowed (down to 10 cells) to fit `terminal_width` columns when that is known (> 0).
std::string interactive_progress_line(const ProgressState& state, int terminal_width);
// Plain lines are printed after the first batch, every ceil(total/10) batches and after the last.
bool plain_report_due(int64_t batches_done, int64_t total_batches);

class ProgressBar {
 public:
  // terminal_width: columns when `interactive`, 0 if unknown.
  ProgressBar(std::ostream& out, bool interactive, std::string label, int64_t total_batches, int terminal_width = 0);

  // Records one finished batch of `samples` with loss `loss`, and redraws when due.
  void update(int64_t samples, double loss);
  // Ends the epoch's display with `summary` on its own line (replacing the bar on a terminal).
  void finish(const std::string& summary);
  double elapsed_seconds() const;
  double mean_loss() const { return state_.mean_loss; }

 private:
  std::ostream& out_;
  bool interactive_;
  int terminal_width_;
  ProgressState state_;
  double loss_sum_ = 0;
  std::chrono::steady_clock::time_point start_;
  double last_draw_ = -1;
};

}  // namespace tg::cli
