#include "progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <utility>

namespace tg::cli {

std::string format_duration(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "--:--";
  const auto total = static_cast<int64_t>(std::llround(*seconds));
  const int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  char buffer[48];
  if (h > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                  static_cast<long long>(s));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", static_cast<long long>(m), static_cast<long long>(s));
  }
  return buffer;
}

double samples_per_second(int64_t samples, double seconds) {
  return seconds > 0 ? static_cast<double>(samples) / seconds : 0.0;
}

std::optional<double> eta_seconds(int64_t done, int64_t total, double elapsed_seconds) {
  if (done <= 0) return std::nullopt;
  return elapsed_seconds / static_cast<double>(done) * static_cast<double>(std::max<int64_t>(total - done, 0));
}

std::string render_bar(int64_t done, int64_t total, int width) {
  const double fraction = total > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0) : 0;
  const auto filled = static_cast<int>(fraction * width);
  std::string cells(static_cast<size_t>(width), ' ');
  std::fill_n(cells.begin(), filled, '=');
  if (filled < width && done > 0) cells[static_cast<size_t>(filled)] = '>';
  return "[" + cells + "]";
}

namespace {

// "47/469 loss 0.6234 11520 samples/s ETA 0:04"
std::string counters(const ProgressState& s) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "%lld/%lld loss %.4f %.0f samples/s ETA %s",
                static_cast<long long>(s.batches_done), static_cast<long long>(s.total_batches), s.mean_loss,
                samples_per_second(s.samples_done, s.elapsed_seconds),
                format_duration(eta_seconds(s.batches_done, s.total_batches, s.elapsed_seconds)).c_str());
  return buffer;
}

}  // namespace

std::string plain_progress_line(const ProgressState& state) { return state.label + " batch " + counters(state); }

std::string interactive_progress_line(const ProgressState& state, int terminal_width) {
  constexpr int kWidest = 30, kNarrowest = 10;
  const std::string text = counters(state);
  int width = kWidest;
  if (terminal_width > 0) {
    // Writing into the last column makes some terminals wrap, which breaks the redraw.
    const int room = terminal_width - 1 - static_cast<int>(state.label.size() + text.size()) - 4;
    width = std::clamp(room, kNarrowest, kWidest);
  }
  return state.label + " " + render_bar(state.batches_done, state.total_batches, width) + " " + text;
}

bool plain_report_due(int64_t batches_done, int64_t total_batches) {
  const int64_t every = std::max<int64_t>((total_batches + 9) / 10, 1);
  return batches_done == 1 || batches_done == total_batches || batches_done % every == 0;
}

ProgressBar::ProgressBar(std::ostream& out, bool interactive, std::string label, int64_t total_batches,
                         int terminal_width)
    : out_(out), interactive_(interactive), terminal_width_(terminal_width), start_(std::chrono::steady_clock::now()) {
  state_.label = std::move(label);
  state_.total_batches = total_batches;
}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(int64_t samples, double loss) {
  constexpr double kRedrawSeconds = 0.1;
  state_.batches_done += 1;
  state_.samples_done += samples;
  loss_sum_ += loss * static_cast<double>(samples);
  state_.mean_loss = loss_sum_ / static_cast<double>(std::max<int64_t>(state_.samples_done, 1));
  state_.elapsed_seconds = elapsed_seconds();
  const bool last = state_.batches_done == state_.total_batches;
  if (interactive_) {
    if (!last && state_.elapsed_seconds - last_draw_ < kRedrawSeconds) return;
    last_draw_ = state_.elapsed_seconds;
    // \r returns to the line's start, ESC[K clears what a longer previous line left.
    out_ << '\r' << interactive_progress_line(state_, terminal_width_) << "\x1b[K" << std::flush;
  } else if (plain_report_due(state_.batches_done, state_.total_batches)) {
    out_ << plain_progress_line(state_) << '\n' << std::flush;
  }
}

void ProgressBar::finish(const std::string& summary) {
  if (interactive_) out_ << "\r\x1b[K";
  out_ << summary << '\n' << std::flush;
}

}  // namespace tg::cli
