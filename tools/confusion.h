#pragma once
// Counting a classifier's test predictions by true and predicted class.
#include <cstdint>
#include <string>
#include <vector>

namespace tg::cli {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes);

  // Counts one sample of class `target` predicted as `prediction`; both must be in
  // [0, classes) (std::out_of_range otherwise).
  void add(int64_t target, int64_t prediction);

  int64_t classes() const { return classes_; }
  int64_t count(int64_t target, int64_t prediction) const;
  int64_t total() const;
  int64_t correct() const;
  // correct / total; 0 for an empty matrix.
  double accuracy() const;
  // Of the samples of class `target`, the fraction predicted as such; 0 if there are none.
  double recall(int64_t target) const;

  // A table, one row per true class labelled "<index> <name>", one column per
  // predicted class headed by its index, and each row's recall:
  //                    0     1  ...  recall
  //   0 T-shirt/top  812     3  ...   81.2%
  std::string format(const std::vector<std::string>& class_names) const;

 private:
  int64_t classes_;
  std::vector<int64_t> counts_;  // row-major [target][prediction]
};

}  // namespace tg::cli
