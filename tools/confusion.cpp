#include "confusion.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace tg::cli {

ConfusionMatrix::ConfusionMatrix(int64_t classes)
    : classes_(classes), counts_(static_cast<size_t>(classes * classes), 0) {}

void ConfusionMatrix::add(int64_t target, int64_t prediction) {
  if (target < 0 || target >= classes_ || prediction < 0 || prediction >= classes_) {
    throw std::out_of_range("confusion matrix of " + std::to_string(classes_) + " classes: target " +
                            std::to_string(target) + ", prediction " + std::to_string(prediction));
  }
  counts_[static_cast<size_t>(target * classes_ + prediction)] += 1;
}

int64_t ConfusionMatrix::count(int64_t target, int64_t prediction) const {
  return counts_.at(static_cast<size_t>(target * classes_ + prediction));
}

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int64_t c : counts_) sum += c;
  return sum;
}

int64_t ConfusionMatrix::correct() const {
  int64_t sum = 0;
  for (int64_t k = 0; k < classes_; ++k) sum += count(k, k);
  return sum;
}

double ConfusionMatrix::accuracy() const {
  const int64_t n = total();
  return n > 0 ? static_cast<double>(correct()) / static_cast<double>(n) : 0.0;
}

double ConfusionMatrix::recall(int64_t target) const {
  int64_t row = 0;
  for (int64_t p = 0; p < classes_; ++p) row += count(target, p);
  return row > 0 ? static_cast<double>(count(target, target)) / static_cast<double>(row) : 0.0;
}

namespace {
std::string pad_left(const std::string& text, size_t width) {
  return std::string(width > text.size() ? width - text.size() : 0, ' ') + text;
}
}  // namespace

std::string ConfusionMatrix::format(const std::vector<std::string>& class_names) const {
  std::vector<std::string> labels;
  size_t label_width = 0;
  for (int64_t k = 0; k < classes_; ++k) {
    const auto i = static_cast<size_t>(k);
    labels.push_back(std::to_string(k) + (i < class_names.size() ? " " + class_names[i] : ""));
    label_width = std::max(label_width, labels.back().size());
  }
  const int64_t largest = counts_.empty() ? 0 : *std::max_element(counts_.begin(), counts_.end());
  const size_t cell = std::max<size_t>(5, std::to_string(largest).size() + 2);

  std::ostringstream out;
  out << std::string(label_width, ' ');
  for (int64_t p = 0; p < classes_; ++p) out << pad_left(std::to_string(p), cell);
  out << "  recall\n";
  for (int64_t t = 0; t < classes_; ++t) {
    const std::string& label = labels[static_cast<size_t>(t)];
    out << label << std::string(label_width - label.size(), ' ');
    for (int64_t p = 0; p < classes_; ++p) out << pad_left(std::to_string(count(t, p)), cell);
    char recall_text[16];
    std::snprintf(recall_text, sizeof recall_text, "%.1f%%", 100.0 * recall(t));
    out << pad_left(recall_text, 8) << "\n";
  }
  return out.str();
}

}  // namespace tg::cli
