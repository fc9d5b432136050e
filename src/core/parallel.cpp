#include "core/parallel.h"

#include <atomic>

#include <cblas.h>

#include "tensorgrad/error.h"
#include "tensorgrad/ops.h"

namespace tg {
namespace core {
namespace {
std::atomic<int> configured_threads{0};
}
int num_threads() {
  int n = configured_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}
}  // namespace core

void set_num_threads(int n) {
  TG_CHECK(n > 0, "set_num_threads expects a positive integer");
  core::configured_threads.store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() { return core::num_threads(); }

}  // namespace tg
