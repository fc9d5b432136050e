#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <cblas.h>
#include <omp.h>
#include <sched.h>

#include "tensorgrad/error.h"
#include "tensorgrad/ops.h"

namespace tg {
namespace core {
namespace {

std::atomic<int> configured_threads{0};
thread_local bool in_region = false;

// Records in `cpu` the CPU the calling thread runs on, and returns it. Written
// only when it changed: the other threads read it while they spin.
int note_cpu(std::atomic<int>& cpu) {
  const int now = sched_getcpu();
  if (cpu.load(std::memory_order_relaxed) != now) cpu.store(now, std::memory_order_relaxed);
  return now;
}

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Note [Thread pool]: parallel_for cuts its range into a few chunks per thread and
// every participating thread, the caller included, claims chunks one at a time
// from a shared counter until none is left. The caller therefore never waits for
// a helper that has not started: on a busy machine, where a helper may not get a
// CPU for milliseconds, the caller simply runs the chunks itself (it waits only
// for chunks a helper has already claimed). An idle helper spins briefly, then
// sleeps on a futex, so it does not take CPU time from other work for long. (With
// OpenMP's default wait policy, idle threads spin for milliseconds and every
// region ends in a barrier that waits for all of them; on a shared 2-core machine
// that made small parallel ops 10-100x slower.)
//
// Note [Chunk affinity]: the caller claims chunks from the front of the range and
// the helpers from the back, so two passes over the same array (backward's
// gradient accumulation, the optimizer step, zero_grad, the next forward's GEMM)
// give each thread about the same half every time, and the lines it touches are
// still in its own cache. Claiming alternately, each chunk went to whichever
// thread came first, and half the lines crossed between the cores on every pass:
// on the 2-vCPU Zen 5 VM, zero_grad of the MLP's 235k parameters took 49 us after
// a two-thread step and 9 us after a one-thread step. A product cut by rows over
// the threads (a weight gradient) leaves its block count on its storage
// (StorageImpl::writer_blocks), and the optimizer step and zero_grad cut that
// memory into as many chunks: each thread then updates exactly the rows it wrote,
// and a gradient written by one thread (fc2's at batch 32) stays on that thread.
// The update leaves the same count on the weight, and the next forward's product
// then gives each thread the block of the weight it updated (Note [GEMM threads]).
// MLP train step with it (alternating rounds, against the fixed 32k-element
// grain): 0.94 at batch 32, 0.92-0.95 at 128, 0.96-0.98 at 512.
//
// Note [Sharing a CPU]: when the caller and a helper run on the same CPU (more
// runnable threads than CPUs: other processes, or OpenBLAS's worker spinning on
// the other vCPU for the first ~100 ms of a process), each pause loop takes time
// slices from the other thread: a helper spinning for the next job slows the
// caller's serial work, and a caller spinning for a chunk slows the helper that
// runs it. So the caller records the CPU it posts each job from, each helper the
// CPU it last ran on, and a waiting thread that finds the other on its own CPU
// yields (sched_yield, every kSpinsPerCpuCheck spins; on a CPU of its own the
// call returns at once). Two processes of the MLP's training step at once on the
// 2-vCPU Zen 5 VM, four threads on two CPUs (mean time per step, three
// alternating rounds): batch 32 237-268 us against 271-326, batch 128 778-829
// against 882-1,113. One process alone: within the noise (bench_mlp, four
// alternating rounds, batch 32 224-248 us against 228-247 with the vCPUs far apart).
//
// One job runs at a time; a caller that finds the pool busy (another application
// thread's job) runs its loop alone.
constexpr int kChunksPerThread = 4;
// About 330 us of pause instructions on Zen 5 (17 ns each), 1 ms on older cores:
// long enough to bridge the gaps between the parallel kernels of a training step,
// so the helper is awake for the next one (a futex wake of a sleeping vCPU took
// tens of microseconds; 4,000 spins left the MLP step 5-10% slower).
constexpr int kSpinIterations = 20000;
constexpr uint64_t kMaxChunks = 0xffff;
// About 1.2 us of pauses on Zen 5 between looks at the CPU a thread runs on
// (sched_getcpu: 2 ns on the Zen 5 VM).
constexpr int kSpinsPerCpuCheck = 64;

class Pool {
 public:
  void run(int64_t n, int64_t grain, int threads, detail::ChunkFn fn, const void* ctx) {
    std::unique_lock<std::mutex> lock(submit_, std::try_to_lock);
    if (!lock.owns_lock()) return fn(ctx, 0, n);
    while (static_cast<int>(workers_.size()) < threads - 1) {
      const int index = static_cast<int>(workers_.size());
      Worker& worker = *workers_.emplace_back(std::make_unique<Worker>());
      worker.thread = std::thread([this, index, &worker] { work(index, worker.cpu); });
    }
    const int64_t pieces = std::min<int64_t>({(n + grain - 1) / grain, int64_t(threads) * kChunksPerThread,
                                              static_cast<int64_t>(kMaxChunks)});
    const int64_t chunk = (n + pieces - 1) / pieces;
    const uint64_t chunks = static_cast<uint64_t>((n + chunk - 1) / chunk);
    fn_.store(fn, std::memory_order_relaxed);
    ctx_.store(ctx, std::memory_order_relaxed);
    n_.store(n, std::memory_order_relaxed);
    chunk_.store(chunk, std::memory_order_relaxed);
    helpers_.store(threads - 1, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    chunks_.store(static_cast<uint32_t>(chunks), std::memory_order_relaxed);
    ++generation_;
    // The job's fields above are published by this release store; a helper reads
    // them only after claiming a chunk of this generation.
    note_cpu(caller_cpu_);
    claim_.store(generation_ << 32 | chunks << 16, std::memory_order_release);
    epoch_.fetch_add(1);
    if (sleeping_.load() > 0) epoch_.notify_all();

    in_region = true;
    while (claim_and_run(/*from_back=*/false)) {
    }
    in_region = false;

    const auto all = static_cast<uint32_t>(chunks);
    for (int spin = 1; done_.load(std::memory_order_acquire) < all && spin < kSpinIterations; ++spin) {
      if (spin % kSpinsPerCpuCheck == 0 && shares_cpu_with_a_helper(sched_getcpu())) sched_yield();
      cpu_relax();
    }
    if (done_.load(std::memory_order_acquire) < all) {
      main_waiting_.store(true);
      for (uint32_t d = done_.load(); d < all; d = done_.load()) done_.wait(d);
      main_waiting_.store(false);
    }
  }

 private:
  // Claims the next chunk of the current job from the front or the back of the
  // range (Note [Chunk affinity]) and runs it; false when none is left.
  bool claim_and_run(bool from_back) {
    uint64_t c = claim_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t back = (c >> 16) & kMaxChunks, front = c & kMaxChunks;
      if (front >= back) return false;
      const uint64_t claimed = from_back ? c - (uint64_t(1) << 16) : c + 1;
      if (claim_.compare_exchange_weak(c, claimed, std::memory_order_acq_rel, std::memory_order_acquire)) {
        const int64_t chunk = chunk_.load(std::memory_order_relaxed), n = n_.load(std::memory_order_relaxed);
        const uint32_t chunks = chunks_.load(std::memory_order_relaxed);
        const int64_t begin = static_cast<int64_t>(from_back ? back - 1 : front) * chunk;
        fn_.load(std::memory_order_relaxed)(ctx_.load(std::memory_order_relaxed), begin, std::min(n, begin + chunk));
        // seq_cst, like main_waiting_'s store and done_'s load in run(): either this
        // thread sees the caller waiting, or the caller sees the chunk done.
        if (done_.fetch_add(1) + 1 == chunks && main_waiting_.load()) done_.notify_one();
        return true;
      }
    }
  }

  // Whether a helper last ran on `cpu` (Note [Sharing a CPU]).
  bool shares_cpu_with_a_helper(int cpu) const {
    return std::any_of(workers_.begin(), workers_.end(),
                       [cpu](const std::unique_ptr<Worker>& w) { return w->cpu.load(std::memory_order_relaxed) == cpu; });
  }

  [[noreturn]] void work(int index, std::atomic<int>& my_cpu) {
    in_region = true;
    // oneDNN, called from kernels on this thread, must not start OpenMP threads.
    omp_set_num_threads(1);
    uint32_t seen = 0;
    for (;;) {
      uint32_t e = epoch_.load(std::memory_order_acquire);
      for (int spin = 0; e == seen; e = epoch_.load(std::memory_order_acquire)) {
        if (++spin < kSpinIterations) {
          if (spin % kSpinsPerCpuCheck == 0 && note_cpu(my_cpu) == caller_cpu_.load(std::memory_order_relaxed))
            sched_yield();
          cpu_relax();
          continue;
        }
        sleeping_.fetch_add(1);
        epoch_.wait(seen);
        sleeping_.fetch_sub(1);
        spin = 0;
      }
      seen = e;
      note_cpu(my_cpu);
      if (index < helpers_.load(std::memory_order_relaxed))
        while (claim_and_run(/*from_back=*/true)) {
        }
    }
  }

  struct Worker {
    std::thread thread;
    std::atomic<int> cpu{-1};  // the CPU the helper last ran on
  };

  std::mutex submit_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint64_t generation_ = 0;
  // generation << 32 | end of the unclaimed chunks << 16 | start of the unclaimed chunks.
  std::atomic<uint64_t> claim_{0};
  std::atomic<uint32_t> chunks_{0};  // chunks of the current job
  std::atomic<uint32_t> epoch_{0};  // bumped for every job: idle helpers wait on it
  std::atomic<uint32_t> done_{0};   // chunks of the current job finished
  std::atomic<int> sleeping_{0};
  std::atomic<bool> main_waiting_{false};
  std::atomic<detail::ChunkFn> fn_{nullptr};
  std::atomic<const void*> ctx_{nullptr};
  std::atomic<int64_t> n_{0}, chunk_{1};
  std::atomic<int> helpers_{0};
  std::atomic<int> caller_cpu_{-1};  // the CPU the last job was posted from
};

Pool& pool() {
  // Never destroyed: its threads sleep through static destruction and exit.
  static Pool* p = new Pool;
  return *p;
}

}  // namespace

int num_threads() {
  int n = configured_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

bool in_parallel_region() { return in_region || omp_in_parallel(); }

namespace detail {
void parallel_run(int64_t n, int64_t grain, int threads, ChunkFn fn, const void* ctx) {
  pool().run(n, grain, threads, fn, ctx);
}
}  // namespace detail

}  // namespace core

void set_num_threads(int n) {
  TG_CHECK(n > 0, "set_num_threads expects a positive integer");
  core::configured_threads.store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() { return core::num_threads(); }

}  // namespace tg
