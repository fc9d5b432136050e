#include "metrics.h"

#include <cstdio>

namespace tg::cli {

std::string metrics_csv(const std::vector<EpochMetrics>& rows) {
  std::string csv = "epoch,train_loss,test_accuracy,seconds\n";
  for (const EpochMetrics& row : rows) {
    char line[128];
    std::snprintf(line, sizeof line, "%lld,%.6f,%.4f,%.3f\n", static_cast<long long>(row.epoch), row.train_loss,
                  row.test_accuracy, row.seconds);
    csv += line;
  }
  return csv;
}

}  // namespace tg::cli
