#include "core/random.h"

#include "tensorgrad/ops.h"

namespace tg {
namespace core {
Generator& Generator::global() {
  static Generator g;
  return g;
}
void Generator::seed(uint64_t s) {
  std::lock_guard<std::mutex> lock(mutex_);
  engine_.seed(s);
}
}  // namespace core

void manual_seed(uint64_t seed) { core::Generator::global().seed(seed); }
}  // namespace tg
