#include "svg_curves.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace tg::cli {

namespace {

// Coordinates with at most two decimals and no trailing zeros ("64", "233.33").
std::string num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  std::string text = buffer;
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string tick_label(double value, int decimals) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return std::string(buffer) == "-0" ? "0" : buffer;
}

// Tick positions are compared against rounding noise of a few ulps of the step.
constexpr double kTickSlack = 1e-9;

void draw_chart(std::ostringstream& svg, const LineChart& chart, double offset_x) {
  using L = ChartLayout;
  const double left = offset_x + L::kLeft, right = offset_x + L::kWidth - L::kRight;
  const double top = L::kTop, bottom = L::kHeight - L::kBottom;

  // A diverged run's NaN or infinite losses are left out rather than breaking the scale.
  std::vector<std::pair<double, double>> points;
  for (const auto& p : chart.points) {
    if (std::isfinite(p.first) && std::isfinite(p.second)) points.push_back(p);
  }
  double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
  if (!points.empty()) {
    auto [xmin, xmax] = std::minmax_element(points.begin(), points.end(),
                                            [](auto& a, auto& b) { return a.first < b.first; });
    auto [ymin, ymax] = std::minmax_element(points.begin(), points.end(),
                                            [](auto& a, auto& b) { return a.second < b.second; });
    x_lo = xmin->first, x_hi = xmax->first, y_lo = ymin->second, y_hi = ymax->second;
  }
  const AxisTicks xt = nice_ticks(x_lo, x_hi, 5, chart.integer_x ? 1.0 : 0.0);
  const AxisTicks yt = nice_ticks(y_lo, y_hi, 5);
  auto px = [&](double x) { return left + (x - xt.lo) / (xt.hi - xt.lo) * (right - left); };
  auto py = [&](double y) { return bottom - (y - yt.lo) / (yt.hi - yt.lo) * (bottom - top); };

  const double center = (left + right) / 2, middle = (top + bottom) / 2;
  svg << "<g class=\"chart\">\n";
  svg << "<text class=\"title\" x=\"" << num(center) << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
      << escape(chart.title) << "</text>\n";
  for (double x : xt.values) {
    const std::string sx = num(px(x));
    svg << "<line class=\"grid\" x1=\"" << sx << "\" y1=\"" << num(top) << "\" x2=\"" << sx << "\" y2=\""
        << num(bottom) << "\" stroke=\"#e0e0e0\"/>\n";
    svg << "<line class=\"tick\" x1=\"" << sx << "\" y1=\"" << num(bottom) << "\" x2=\"" << sx << "\" y2=\""
        << num(bottom + 5) << "\" stroke=\"black\"/>\n";
    svg << "<text class=\"x-tick\" x=\"" << sx << "\" y=\"" << num(bottom + 18) << "\" text-anchor=\"middle\">"
        << tick_label(x, xt.decimals) << "</text>\n";
  }
  for (double y : yt.values) {
    const std::string sy = num(py(y));
    svg << "<line class=\"grid\" x1=\"" << num(left) << "\" y1=\"" << sy << "\" x2=\"" << num(right) << "\" y2=\""
        << sy << "\" stroke=\"#e0e0e0\"/>\n";
    svg << "<line class=\"tick\" x1=\"" << num(left - 5) << "\" y1=\"" << sy << "\" x2=\"" << num(left)
        << "\" y2=\"" << sy << "\" stroke=\"black\"/>\n";
    svg << "<text class=\"y-tick\" x=\"" << num(left - 8) << "\" y=\"" << num(py(y) + 4)
        << "\" text-anchor=\"end\">" << tick_label(y, yt.decimals) << "</text>\n";
  }
  svg << "<line class=\"x-axis\" x1=\"" << num(left) << "\" y1=\"" << num(bottom) << "\" x2=\"" << num(right)
      << "\" y2=\"" << num(bottom) << "\" stroke=\"black\"/>\n";
  svg << "<line class=\"y-axis\" x1=\"" << num(left) << "\" y1=\"" << num(top) << "\" x2=\"" << num(left)
      << "\" y2=\"" << num(bottom) << "\" stroke=\"black\"/>\n";
  svg << "<text class=\"x-label\" x=\"" << num(center) << "\" y=\"" << num(L::kHeight - 12)
      << "\" text-anchor=\"middle\">" << escape(chart.x_label) << "</text>\n";
  const double label_x = offset_x + 16;
  svg << "<text class=\"y-label\" x=\"" << num(label_x) << "\" y=\"" << num(middle) << "\" transform=\"rotate(-90 "
      << num(label_x) << " " << num(middle) << ")\" text-anchor=\"middle\">" << escape(chart.y_label) << "</text>\n";
  svg << "<polyline fill=\"none\" stroke=\"" << chart.color << "\" stroke-width=\"2\" points=\"";
  for (size_t i = 0; i < points.size(); ++i) {
    svg << (i ? " " : "") << num(px(points[i].first)) << "," << num(py(points[i].second));
  }
  svg << "\"/>\n";
  for (const auto& [x, y] : points) {
    svg << "<circle cx=\"" << num(px(x)) << "\" cy=\"" << num(py(y)) << "\" r=\"3\" fill=\"" << chart.color
        << "\"/>\n";
  }
  svg << "</g>\n";
}

}  // namespace

AxisTicks nice_ticks(double lo, double hi, int target, double min_step) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo <= 0) {
    const double pad = lo == 0 ? 1.0 : std::max(std::abs(lo) * 0.1, min_step);
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(target, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  double step = (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
  step = std::max(step, min_step);

  AxisTicks ticks;
  ticks.step = step;
  const double first = std::floor(lo / step + kTickSlack), last = std::ceil(hi / step - kTickSlack);
  for (double k = first; k <= last + kTickSlack; k += 1) ticks.values.push_back(k * step);
  ticks.lo = ticks.values.front();
  ticks.hi = ticks.values.back();
  ticks.decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + kTickSlack)));
  return ticks;
}

std::string line_charts_svg(const std::vector<LineChart>& charts) {
  using L = ChartLayout;
  const double width = L::kWidth * static_cast<double>(std::max<size_t>(charts.size(), 1));
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\"" << num(L::kHeight)
      << "\" viewBox=\"0 0 " << num(width) << " " << num(L::kHeight)
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t i = 0; i < charts.size(); ++i) draw_chart(svg, charts[i], L::kWidth * static_cast<double>(i));
  svg << "</svg>\n";
  return svg.str();
}

std::string training_curves_svg(const std::vector<EpochMetrics>& metrics) {
  LineChart loss{"train loss", "epoch", "cross-entropy per sample", "#1f77b4", {}, true};
  LineChart accuracy{"test accuracy", "epoch", "accuracy (%)", "#d62728", {}, true};
  for (const EpochMetrics& m : metrics) {
    loss.points.emplace_back(static_cast<double>(m.epoch), m.train_loss);
    accuracy.points.emplace_back(static_cast<double>(m.epoch), 100.0 * m.test_accuracy);
  }
  return line_charts_svg({loss, accuracy});
}

}  // namespace tg::cli
