#!/usr/bin/env bash
# Sets up, builds and runs every test with ctest.
#
#   scripts/test.sh               the suite in build/, libtorch parity tests included
#   scripts/test.sh --sanitize    the suite under AddressSanitizer + UBSan in build-sanitize/
#   scripts/test.sh --tsan        the thread tests under ThreadSanitizer in build-tsan/
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --tsan ]]; then
  # docs/THREADS.md: the kernels stay on the calling thread (OMP_NUM_THREADS=1),
  # where the uninstrumented oneDNN and OpenBLAS run, except in the tests that
  # run the kernels' own pool on purpose.
  dir=${TG_BUILD_DIR:-build-tsan}
  scripts/setup.sh
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  cmake -S . -B "$dir" -DTG_TSAN=ON -DTG_WITH_TORCH=OFF -DTG_BUILD_BENCH=OFF -DTG_BUILD_TOOLS=OFF \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1"
  cmake --build "$dir" -j "${TG_JOBS:-2}" --target test_threads
  OMP_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1 "$dir/tests/test_threads"
  exit
fi

dir=${TG_BUILD_DIR:-build}
if [[ ${1:-} == --sanitize ]]; then
  dir=${TG_BUILD_DIR:-build-sanitize}
  # Any report fails the test that triggered it, with a full stack.
  export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
fi
scripts/build.sh "$@"
ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "${TG_JOBS:-2}"
# Then the Python module's tests (not under the sanitizers: python3 is not instrumented).
[[ ${1:-} == --sanitize ]] || python/run_tests.sh "$dir"
