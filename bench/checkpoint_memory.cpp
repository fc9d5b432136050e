// Gradient checkpointing's trade: one training step (forward + backward) of a
// 16-layer MLP, plain and checkpointed every 4 layers. Before the timings, the peak
// memory of one step of each is measured in a child process: the rise of the peak
// resident set (reset through /proc/self/clear_refs) over the step. libtorch's C++
// frontend has no checkpoint, so its twin measures the plain step only.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench_common.h"

namespace {

constexpr int kLayers = 16;
constexpr int kPerSegment = 4;

struct Mlp {
  std::vector<T::Tensor> weight, bias;
  explicit Mlp(int64_t width) {
    T::manual_seed(0);
    for (int i = 0; i < kLayers; ++i) {
      weight.push_back((T::randn({width, width}) / 16.0).requires_grad_());
      bias.push_back(T::zeros({width}, T::requires_grad()));
    }
  }
  T::Tensor layers(T::Tensor h, int begin, int end) {
    for (int i = begin; i < end; ++i) h = T::relu(T::addmm(bias[i], h, weight[i].t()));
    return h;
  }
  // One step's forward and backward; per == 0 runs without checkpointing.
  void step(const T::Tensor& x, int per) {
    T::Tensor h = x;
#ifdef BACKEND_TORCH
    (void)per;
    h = layers(h, 0, kLayers);
#else
    if (per == 0) h = layers(h, 0, kLayers);
    for (int i = 0; per != 0 && i < kLayers; i += per)
      h = tg::autograd::checkpoint([this, i, per](const tg::Tensor& in) { return layers(in, i, i + per); }, h);
#endif
    h.pow(2).mean().backward();
    for (int i = 0; i < kLayers; ++i) {
      weight[i].mutable_grad() = T::Tensor();
      bias[i].mutable_grad() = T::Tensor();
    }
  }
};

long status_kib(const std::string& key) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  return -1;
}

// The rise of the peak resident set over one step, in KiB, measured in a child so
// that each variant starts from the same memory; -1 when it cannot be measured.
long peak_rise_kib(int64_t width, int64_t batch, int per) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Mlp mlp(width);
    // A step on a tiny batch first: threads, GEMM kernels and their buffers are set
    // up once per process, and are not what is measured.
    mlp.step(T::randn({2, width}), per);
    T::Tensor x = T::randn({batch, width});
    long rise = -1;
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5" << std::flush;  // resets the peak to the current resident set
    if (clear) {
      const long base = status_kib("VmRSS:");
      mlp.step(x, per);
      rise = status_kib("VmHWM:") - base;
    }
    const ssize_t n = write(fds[1], &rise, sizeof rise);
    _exit(n == static_cast<ssize_t>(sizeof rise) ? 0 : 1);
  }
  close(fds[1]);
  long rise = -1;
  if (pid < 0 || read(fds[0], &rise, sizeof rise) != static_cast<ssize_t>(sizeof rise)) rise = -1;
  close(fds[0]);
  if (pid > 0) waitpid(pid, nullptr, 0);
  return rise;
}

void report_peak_memory() {
  constexpr int64_t width = 256, batch = 1024;
  std::printf("%s: peak memory of one step, %d layers %lld wide, batch %lld (activations %lld KiB each)\n",
              backend_name(), kLayers, static_cast<long long>(width), static_cast<long long>(batch),
              static_cast<long long>(width * batch * 4 / 1024));
  const long plain = peak_rise_kib(width, batch, 0);
  std::printf("  plain:                           +%ld KiB\n", plain);
#ifndef BACKEND_TORCH
  const long ckpt = peak_rise_kib(width, batch, kPerSegment);
  std::printf("  checkpointed every %d layers:     +%ld KiB (%.0f%% of plain)\n", kPerSegment, ckpt,
              plain > 0 ? 100.0 * static_cast<double>(ckpt) / static_cast<double>(plain) : 0.0);
#endif
  std::fflush(stdout);
}

void BM_TrainingStep(benchmark::State& state) {
  const int per = static_cast<int>(state.range(0));
  Mlp mlp(128);
  T::Tensor x = T::randn({256, 128});
  for (auto _ : state) mlp.step(x, per);
  state.SetLabel(per == 0 ? "plain" : "checkpointed every 4 layers");
}
#ifdef BACKEND_TORCH
BENCHMARK(BM_TrainingStep)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
#else
BENCHMARK(BM_TrainingStep)->Arg(0)->Arg(kPerSegment)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

}  // namespace

int main(int argc, char** argv) {
  report_peak_memory();  // before any thread pool starts: the children are forked from here
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
