#pragma once
// tensorgrad's random number generator (tg::manual_seed makes it deterministic;
// its stream is its own, not libtorch's).
#include <cstdint>
#include <mutex>
#include <random>

namespace tg::core {

class Generator {
 public:
  static Generator& global();
  void seed(uint64_t s);
  // Runs fn(engine) under the generator's lock.
  template <class F>
  auto with(F&& fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    return fn(engine_);
  }

 private:
  std::mutex mutex_;
  std::mt19937_64 engine_{0x5eed};
};

}  // namespace tg::core
