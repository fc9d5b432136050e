#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, in build-fuzz/) and runs each for
# SECONDS, all at once, starting from the seed corpora in fuzz/corpus/<target>/.
#
#   fuzz/run.sh SECONDS [target...]     e.g. fuzz/run.sh 60, fuzz/run.sh 600 op_sequence
#
# New inputs found go to a scratch corpus (build-fuzz/corpus/<target>/), crashing
# inputs to build-fuzz/artifacts/; the seed corpora in the repository stay
# unchanged. Prints each target's executions and coverage, and fails if any
# target found a crash, a sanitizer report, a leak or a hang (-timeout).
# TG_FUZZ_BUILD_DIR overrides the build directory, TG_JOBS the build parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: fuzz/run.sh SECONDS [target...]}
shift
targets=("$@")
if ((${#targets[@]} == 0)); then
  for src in fuzz/*.cpp; do targets+=("$(basename "$src" .cpp)"); done
fi
dir=${TG_FUZZ_BUILD_DIR:-build-fuzz}

scripts/setup.sh --fuzz
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER=clang++-16 -DTG_FUZZ=ON -DTG_BUILD_TESTS=OFF -DTG_BUILD_BENCH=OFF \
  -DTG_BUILD_TOOLS=OFF -DTG_WITH_TORCH=OFF -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
cmake --build "$dir" -j "${TG_JOBS:-2}" "${build_targets[@]}"

# Reports name functions and lines (clang 16's symbolizer, from its package).
symbolizer=$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer || true)
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$symbolizer}
export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
mkdir -p "$dir/artifacts"
pids=()
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t"
  # -timeout: an input running longer than 10 s counts as a hang.
  "$dir/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/$t-" "$dir/corpus/$t" "fuzz/corpus/$t" >"$dir/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  if wait "${pids[$i]}"; then result=ok; else result=FAILED; status=1; fi
  stats=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$dir/$t.log" | tail -1 || true)
  execs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$dir/$t.log" | grep -Eo '[0-9]+$' || echo '?')
  printf 'fuzz %-20s %-6s executions %-10s %s\n' "$t" "$result" "$execs" "$stats"
  if [[ $result == FAILED ]]; then
    echo "---- $dir/$t.log (tail)"
    tail -60 "$dir/$t.log"
  fi
done
exit "$status"
