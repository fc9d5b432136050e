#pragma once
// The per-epoch figures of a training run and their CSV form (metrics.csv).
#include <cstdint>
#include <string>
#include <vector>

namespace tg::cli {

struct EpochMetrics {
  int64_t epoch = 0;           // from 1
  double train_loss = 0;       // mean cross-entropy per training sample over the epoch
  double test_accuracy = 0;    // fraction of the test set classified correctly, in [0, 1]
  double seconds = 0;          // wall time of the epoch's training (not its evaluation)
};

// "epoch,train_loss,test_accuracy,seconds" then one row per epoch, e.g.
// "1,0.523412,0.8412,7.812" (loss to 6 decimals, accuracy 4, seconds 3).
std::string metrics_csv(const std::vector<EpochMetrics>& rows);

}  // namespace tg::cli
