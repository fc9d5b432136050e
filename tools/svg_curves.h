#pragma once
// A small SVG writer for line charts, and the training curves (curves.svg): train
// loss and test accuracy per epoch, side by side, with labelled axes and ticks.
#include <string>
#include <utility>
#include <vector>

#include "metrics.h"

namespace tg::cli {

// Round tick values covering [lo, hi]: a step of 1, 2 or 5 times a power of ten
// (at least min_step) giving about `target` intervals, and the range widened to
// whole steps. An empty range (lo == hi) is widened around its value first.
struct AxisTicks {
  double lo = 0, hi = 0, step = 0;
  std::vector<double> values;
  int decimals = 0;  // enough to tell the ticks apart ("0.45", "80")
};
AxisTicks nice_ticks(double lo, double hi, int target = 5, double min_step = 0);

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::string color;  // any SVG colour
  std::vector<std::pair<double, double>> points;
  bool integer_x = false;  // x ticks on whole numbers only (epochs)
};

// Geometry of each chart's panel, in SVG user units.
struct ChartLayout {
  static constexpr double kWidth = 420, kHeight = 320;
  static constexpr double kLeft = 64, kRight = 16, kTop = 36, kBottom = 52;
};

// The charts side by side in one SVG document. Each has a title, an x and a y axis
// with tick marks, tick labels and a label, light grid lines, and its points joined
// by a polyline with a dot at each.
std::string line_charts_svg(const std::vector<LineChart>& charts);

// "train loss" (cross-entropy) and "test accuracy" (%) against the epoch.
std::string training_curves_svg(const std::vector<EpochMetrics>& metrics);

}  // namespace tg::cli
