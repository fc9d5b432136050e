// How far apart the machine's first two CPUs are: the time one cache line takes
// to go from one to the other and back, two threads pinned to them handing a
// counter back and forth. The host of a VM may move its vCPUs: on the 2-vCPU
// Zen 5 VM of bench/RESULTS.md they were found on two cores 414-510 ns apart
// (every line the threads share crosses slowly), on two cores 115-120 ns apart,
// and on the two hyperthreads of one core (74 ns; two threads then reach only
// one thread's FMA peak in bench_fma_peak). bench/compare.sh records it with the
// one- and two-thread peaks before each program, so that each figure can be read
// with the placement it ran on.
//
//   bench_line_round_trip [--smoke]
//
// Prints "line_round_trip cpu A - cpu B: <ns> ns", the best of 7 trials.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace {

bool pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// The line the two threads hand back and forth, alone in its cache line.
struct alignas(64) Line {
  std::atomic<long> turn{0};
};

// Mean round trip in ns over `round_trips` hand-overs between cpu a and cpu b;
// negative when a thread could not be pinned (the figure would then say nothing
// about the two CPUs).
double trial(int a, int b, long round_trips) {
  Line line;
  std::atomic<bool> other_pinned{false};
  if (!pin_to(a)) return -1;
  std::thread other([&] {
    // Unpinned, it still answers, so that this thread's loop ends.
    other_pinned = pin_to(b);
    for (long i = 0; i < round_trips; ++i) {
      while (line.turn.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      line.turn.store(2 * i + 2, std::memory_order_release);
    }
  });
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < round_trips; ++i) {
    line.turn.store(2 * i + 1, std::memory_order_release);
    while (line.turn.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  other.join();
  return other_pinned ? ns / static_cast<double>(round_trips) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
    else {
      std::fprintf(stderr, "usage: %s [--smoke]\n", argv[0]);
      return 2;
    }
  }
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    std::perror("line_round_trip: sched_getaffinity");
    return 1;
  }
  int cpus[2], found = 0;
  for (int c = 0; c < CPU_SETSIZE && found < 2; ++c)
    if (CPU_ISSET(c, &allowed)) cpus[found++] = c;
  if (found < 2) {
    std::puts("line_round_trip: this process may run on one CPU only");
    return 0;
  }
  const long round_trips = smoke ? 1000 : 200'000;
  const int trials = smoke ? 1 : 7;
  double best = trial(cpus[0], cpus[1], round_trips);
  for (int k = 1; k < trials && best >= 0; ++k) {
    const double t = trial(cpus[0], cpus[1], round_trips);
    best = t < 0 ? t : std::min(best, t);
  }
  if (best < 0) {
    std::fprintf(stderr, "line_round_trip: could not pin threads to cpu %d and cpu %d\n", cpus[0], cpus[1]);
    return 1;
  }
  std::printf("line_round_trip cpu %d - cpu %d: %.0f ns\n", cpus[0], cpus[1], best);
  return 0;
}
