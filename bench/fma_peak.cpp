// The machine's peak float32 FMA throughput: each thread runs independent chains
// of 512-bit (AVX-512) or 256-bit (AVX2) fused multiply-adds on registers, enough
// chains to cover the FMA latency on every FMA pipe. The matmul benchmark reports
// its GFLOP/s as a fraction of this.
//
//   bench_fma_peak [--threads N] [--smoke]
//
// Prints "fma_peak <isa> <threads> threads: <GFLOP/s> GFLOP/s", the best of 15
// short trials, so that on a shared machine one quiet moment is enough.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

// Independent accumulators: latency 4 x 2 pipes needs 8. AVX-512 has 32 vector
// registers, so 16 chains leave slack for CPUs with longer latency or more pipes;
// AVX2 has 16, and 12 chains plus the two constants fit (16 spilled to the stack
// and measured 40% below the peak).
constexpr int kChains512 = 16;
constexpr int kChains256 = 12;

// The two loops are written out because intrinsics only inline into functions
// compiled for their instruction set. The loops are unrolled so the accumulators
// live in registers; each chain's result depends on every step (floating-point
// arithmetic is not reassociated), so no step can be optimised away.
__attribute__((target("avx512f"))) float chains_avx512(long iterations) {
  __m512 acc[kChains512];
  for (int c = 0; c < kChains512; ++c) acc[c] = _mm512_set1_ps(1.0f + 1e-3f * static_cast<float>(c));
  const __m512 mul = _mm512_set1_ps(0.999999f), inc = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains512; ++c) acc[c] = _mm512_fmadd_ps(acc[c], mul, inc);
  }
  for (int c = 1; c < kChains512; ++c) acc[0] = _mm512_add_ps(acc[0], acc[c]);
  float lanes[16];
  _mm512_storeu_ps(lanes, acc[0]);
  return lanes[0];
}

__attribute__((target("avx2,fma"))) float chains_avx2(long iterations) {
  __m256 acc[kChains256];
  for (int c = 0; c < kChains256; ++c) acc[c] = _mm256_set1_ps(1.0f + 1e-3f * static_cast<float>(c));
  const __m256 mul = _mm256_set1_ps(0.999999f), inc = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (int c = 0; c < kChains256; ++c) acc[c] = _mm256_fmadd_ps(acc[c], mul, inc);
  }
  for (int c = 1; c < kChains256; ++c) acc[0] = _mm256_add_ps(acc[0], acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, acc[0]);
  return lanes[0];
}

// GFLOP/s of `threads` threads each running `iterations` rounds of the chains.
double trial(bool avx512, int threads, long iterations) {
  std::vector<std::thread> pool;
  // The results land in memory the threads share, so no loop is optimised away.
  std::atomic<float> sink{0};
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] { sink.store(avx512 ? chains_avx512(iterations) : chains_avx2(iterations)); });
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double lanes = avx512 ? 16 : 8;
  return 2.0 * lanes * (avx512 ? kChains512 : kChains256) * static_cast<double>(iterations) * threads / seconds / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--smoke]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1) threads = 1;
  const bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    std::puts("fma_peak: neither AVX-512 nor AVX2+FMA available");
    return 0;
  }
  const long iterations = smoke ? 1000 : 20'000'000;
  const int trials = smoke ? 1 : 15;
  double best = 0;
  for (int k = 0; k < trials; ++k) best = std::max(best, trial(avx512, threads, iterations));
  std::printf("fma_peak %s %d threads: %.1f GFLOP/s\n", avx512 ? "avx512" : "avx2", threads, best);
  return 0;
}
