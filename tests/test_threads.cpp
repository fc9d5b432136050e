// What docs/THREADS.md promises: independent graphs built and backpropagated from
// several threads at once give the serial run's gradients bit for bit, also when
// the threads share read-only parameters (autograd::grad) or accumulate into the
// same leaf (locked per leaf); grad mode is per thread; the global generator is
// locked; the storage pool is per thread. The suite also runs under
// ThreadSanitizer (TG_TSAN, see docs/THREADS.md).
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "core/allocator.h"
#include "core/parallel.h"
#include "support/test_support.h"

using namespace tg;
namespace F = tg::nn::functional;

namespace {

constexpr int kThreads = 4;
constexpr int kSteps = 1000;
// Each step uses one of this many batches, so that any thread's step can be
// compared with the serial run of the same batch.
constexpr int kBatches = 7;

struct Params {
  Tensor w1, b1, w2;
};
using Grads = std::vector<Tensor>;

// Deterministic values that do not draw from the (shared) global generator.
Tensor pattern(std::vector<int64_t> shape, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> dist;
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<float> v(static_cast<size_t>(n));
  for (float& e : v) e = dist(gen);
  return tensor(v).reshape(shape);
}

Params make_params() {
  return {pattern({4, 16}, 1).requires_grad_(), pattern({16}, 2).requires_grad_(), pattern({16, 3}, 3).requires_grad_()};
}

// A two-layer MLP and its cross-entropy loss on batch `batch`.
Tensor loss_of(const Params& p, int batch) {
  const Tensor x = pattern({8, 4}, 100 + batch);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 8; ++i) labels.push_back((i + batch) % 3);
  const Tensor h = (x.matmul(p.w1) + p.b1).tanh();
  return F::cross_entropy(h.matmul(p.w2), tensor(labels));
}

// The gradients of one step with the thread's own leaves, through backward().
Grads own_leaves_step(int batch) {
  Params p = make_params();
  loss_of(p, batch).backward();
  return {p.w1.grad(), p.b1.grad(), p.w2.grad()};
}

// The gradients of one step with shared parameters, through autograd::grad (which
// leaves every .grad() untouched).
Grads shared_params_step(const Params& p, int batch) {
  return autograd::grad({loss_of(p, batch)}, {p.w1, p.b1, p.w2});
}

::testing::AssertionResult same_grads(const Grads& a, const Grads& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " gradients";
  for (size_t i = 0; i < a.size(); ++i)
    if (!a[i].defined() || !b[i].defined() || !a[i].equal(b[i]))
      return ::testing::AssertionFailure() << "gradient " << i << " differs";
  return ::testing::AssertionSuccess();
}

// Runs fn(thread, step) for kSteps steps on each of kThreads threads at once;
// returns how many steps disagreed with the reference of their batch.
template <class Fn>
int mismatches_in_parallel(const std::vector<Grads>& reference, Fn fn) {
  std::vector<int> bad(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int s = 0; s < kSteps; ++s) {
        const int batch = (s + t) % kBatches;
        if (!same_grads(fn(batch), reference[batch])) ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  int total = 0;
  for (int b : bad) total += b;
  return total;
}

}  // namespace

TEST(Threads, IndependentGraphsGiveTheSerialGradients) {
  std::vector<Grads> reference;
  for (int b = 0; b < kBatches; ++b) reference.push_back(own_leaves_step(b));
  // The batches differ, so agreeing with the reference means something.
  EXPECT_FALSE(reference[0][0].equal(reference[1][0]));
  EXPECT_EQ(mismatches_in_parallel(reference, own_leaves_step), 0);
}

TEST(Threads, SharedReadOnlyParametersWithAutogradGrad) {
  const Params shared = make_params();
  std::vector<Grads> reference;
  for (int b = 0; b < kBatches; ++b) reference.push_back(shared_params_step(shared, b));
  EXPECT_TRUE(same_grads(reference[3], own_leaves_step(3)));
  EXPECT_EQ(mismatches_in_parallel(reference, [&](int b) { return shared_params_step(shared, b); }), 0);
  // autograd::grad never wrote a .grad().
  EXPECT_FALSE(shared.w1.grad().defined());
  EXPECT_FALSE(shared.b1.grad().defined());
  EXPECT_FALSE(shared.w2.grad().defined());
}

TEST(Threads, BackwardIntoASharedLeafAccumulatesEveryPass) {
  // Every pass adds the same gradient, so the sum does not depend on the order in
  // which the threads' passes took the leaf's lock: it equals the serial sum.
  const Params shared = make_params();
  const Params serial = make_params();
  constexpr int kPasses = 250;
  for (int i = 0; i < kThreads * kPasses; ++i) loss_of(serial, 2).backward();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kPasses; ++i) loss_of(shared, 2).backward();
    });
  for (auto& th : threads) th.join();
  EXPECT_TRUE(shared.w1.grad().equal(serial.w1.grad()));
  EXPECT_TRUE(shared.b1.grad().equal(serial.b1.grad()));
  EXPECT_TRUE(shared.w2.grad().equal(serial.w2.grad()));
  const Grads one = own_leaves_step(2);
  EXPECT_TRUE(shared.b1.grad().allclose(one[1] * (kThreads * kPasses), 1e-4, 1e-5));
}

TEST(Threads, GradModeIsPerThread) {
  const Tensor x = ones({2}).requires_grad_();
  NoGradGuard no_grad;
  bool other_records = false, other_sees_enabled = false;
  std::thread([&] {
    other_sees_enabled = GradMode::is_enabled();
    other_records = (x * 2).requires_grad();
  }).join();
  EXPECT_TRUE(other_sees_enabled);
  EXPECT_TRUE(other_records);
  EXPECT_FALSE(GradMode::is_enabled());
  EXPECT_FALSE((x * 2).requires_grad());
}

TEST(Threads, TheGlobalGeneratorHandsOutEachTensorWhole) {
  // Each rand() call draws its values under the generator's lock, so the threads'
  // tensors are exactly the serial run's, in some order.
  constexpr int kPerThread = 500;
  manual_seed(42);
  std::vector<std::vector<double>> serial;
  for (int i = 0; i < kThreads * kPerThread; ++i) serial.push_back(tg::testing::values(rand({3}, kDouble)));
  manual_seed(42);
  std::vector<std::vector<std::vector<double>>> drawn(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) drawn[t].push_back(tg::testing::values(rand({3}, kDouble)));
    });
  for (auto& th : threads) th.join();
  std::vector<std::vector<double>> all;
  for (auto& d : drawn) all.insert(all.end(), d.begin(), d.end());
  std::sort(serial.begin(), serial.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, serial);
}

TEST(Threads, TheStoragePoolIsPerThread) {
  const size_t main_cached = core::cached_storage_bytes();
  size_t fresh = 1, after_free = 0;
  Tensor made_there;
  std::thread([&] {
    fresh = core::cached_storage_bytes();
    { Tensor t = zeros({1000}); }
    after_free = core::cached_storage_bytes();
    made_there = ones({500});
  }).join();
  EXPECT_EQ(fresh, 0u);
  // Sanitizer builds bypass the pool (TG_NO_POOL): nothing is ever cached there.
  const bool pooled = after_free != 0;
  EXPECT_EQ(after_free, pooled ? 4096u : 0u);  // 4000 bytes, in the 4 KiB size class
  EXPECT_EQ(core::cached_storage_bytes(), main_cached);
  // A tensor made on a thread that has ended stays valid; freed here, its block
  // joins this thread's pool.
  EXPECT_EQ(made_there.sum().item<float>(), 500.0f);
  const size_t before = core::cached_storage_bytes();
  made_there = Tensor();
  EXPECT_EQ(core::cached_storage_bytes(), before + (pooled ? 2048u : 0u));
}

// Large ops split over the kernels' pool while other application threads use it
// too: one job runs on the pool at a time and a caller that finds it busy runs
// its op alone (Note [Thread pool]), with the same results. Elementwise ops and
// reductions are bit-identical however the work is cut; a float32 product is
// cut into column blocks only when it has the pool, so it is compared to float32
// rounding.
TEST(Threads, KernelsSharedByApplicationThreadsGiveTheSerialResults) {
  set_num_threads(2);
  const Tensor x = pattern({1 << 17}, 11);  // above the elementwise grain
  const Tensor a = pattern({192, 256}, 12), b = pattern({256, 192}, 13);
  auto work = [&] { return std::vector<Tensor>{((x * 0.5).exp() + 1).sum(), x.softmax(0), a.mm(b)}; };
  const std::vector<Tensor> serial = work();
  std::vector<std::vector<Tensor>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) results[static_cast<size_t>(t)] = work();
    });
  for (auto& th : threads) th.join();
  for (const auto& r : results) {
    EXPECT_TRUE(r[0].equal(serial[0]));
    EXPECT_TRUE(r[1].equal(serial[1]));
    EXPECT_TRUE(allclose(r[2], serial[2], 1e-5, 1e-4));
  }
}

namespace {

// One parallel_for over [0, n) whose chunks each busy-wait `per_chunk` first.
// Note [Chunk affinity]: the calling thread claims chunks from the front of the
// range and the pool's helpers from the back, so however the race between them
// goes, the caller's chunks are a prefix of the range, the helpers' a suffix, and
// together they cover it once (sorted, the caller's then the helpers' chunks are
// contiguous). Adds the number of chunks the helpers ran to *helper_chunks.
::testing::AssertionResult front_and_back_cover(int64_t n, std::chrono::microseconds per_chunk, int* helper_chunks) {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> caller, helpers;
  const std::thread::id caller_id = std::this_thread::get_id();
  core::parallel_for(n, core::kElementwiseGrain, [&](int64_t begin, int64_t end) {
    const auto until = std::chrono::steady_clock::now() + per_chunk;
    while (std::chrono::steady_clock::now() < until) {
    }
    std::lock_guard<std::mutex> lock(mutex);
    (std::this_thread::get_id() == caller_id ? caller : helpers).emplace_back(begin, end);
  });
  std::sort(caller.begin(), caller.end());
  std::sort(helpers.begin(), helpers.end());
  *helper_chunks += static_cast<int>(helpers.size());
  // (The caller may run none: preempted after posting the job, it can find the
  // helper has taken every chunk.)
  std::vector<std::pair<int64_t, int64_t>> all(caller);
  all.insert(all.end(), helpers.begin(), helpers.end());
  if (all.empty() || all.front().first != 0 || all.back().second != n)
    return ::testing::AssertionFailure() << "the chunks do not span [0, " << n << ")";
  for (size_t i = 1; i < all.size(); ++i)
    if (all[i].first != all[i - 1].second)
      return ::testing::AssertionFailure() << "a chunk starts at " << all[i].first << ", not at "
                                           << all[i - 1].second;
  return ::testing::AssertionSuccess();
}

// Every thread of this process, the pool's helpers included, restricted to the
// CPU the constructing thread runs on, for the scope; then each thread gets its
// mask back (one started meanwhile gets the constructing thread's).
class AllThreadsOnOneCpu {
 public:
  AllThreadsOnOneCpu() {
    sched_getaffinity(0, sizeof own_, &own_);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    for (pid_t tid : threads()) {
      cpu_set_t mask;
      if (sched_getaffinity(tid, sizeof mask, &mask) == 0 && sched_setaffinity(tid, sizeof one, &one) == 0)
        previous_.emplace_back(tid, mask);
    }
  }
  ~AllThreadsOnOneCpu() {
    for (pid_t tid : threads()) {
      const auto it = std::find_if(previous_.begin(), previous_.end(), [tid](const auto& p) { return p.first == tid; });
      const cpu_set_t& mask = it != previous_.end() ? it->second : own_;
      sched_setaffinity(tid, sizeof mask, &mask);
    }
  }
  AllThreadsOnOneCpu(const AllThreadsOnOneCpu&) = delete;
  AllThreadsOnOneCpu& operator=(const AllThreadsOnOneCpu&) = delete;

 private:
  static std::vector<pid_t> threads() {
    std::vector<pid_t> tids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", error))
      tids.push_back(std::stoi(entry.path().filename().string()));
    return tids;
  }

  cpu_set_t own_;
  std::vector<std::pair<pid_t, cpu_set_t>> previous_;
};

}  // namespace

TEST(Threads, TheCallerRunsTheFrontOfAParallelRangeAndHelpersTheBack) {
  tg::testing::ThreadCountScope two_threads(2);
  int helper_chunks = 0;
  // Chunks long enough (50 us) for a sleeping helper to wake up during a pass.
  for (int pass = 0; pass < 200; ++pass)
    ASSERT_TRUE(front_and_back_cover(8 * core::kElementwiseGrain, std::chrono::microseconds(50), &helper_chunks))
        << "pass " << pass;
  // Two threads were asked for; the helper, once started, takes some of the work.
  EXPECT_GT(helper_chunks, 0);
}

// Note [Sharing a CPU]: with the caller and its helper on one CPU, each yields to
// the other while it waits. Every range is still run once, split as above, and
// kernels give the serial results.
TEST(Threads, ACallerAndHelperOnOneCpuStillRunEveryChunkOnce) {
  tg::testing::ThreadCountScope two_threads(2);
  const Tensor x = pattern({1 << 17}, 21);  // above the elementwise grain: the pool's helper starts here
  const Tensor a = pattern({192, 256}, 22), b = pattern({256, 192}, 23);
  const Tensor serial_sum = ((x * 0.5).exp() + 1).sum(), serial_product = a.mm(b);
  Tensor pinned_sum, pinned_product;
  {
    AllThreadsOnOneCpu pinned;
    int helper_chunks = 0;
    for (int pass = 0; pass < 100; ++pass)
      ASSERT_TRUE(front_and_back_cover(8 * core::kElementwiseGrain, std::chrono::microseconds(0), &helper_chunks))
          << "pass " << pass;
    pinned_sum = ((x * 0.5).exp() + 1).sum();
    pinned_product = a.mm(b);
  }
  EXPECT_TRUE(pinned_sum.equal(serial_sum));
  EXPECT_TRUE(allclose(pinned_product, serial_product, 1e-5, 1e-4));
}
