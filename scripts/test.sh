#!/usr/bin/env bash
# Sets up, builds and runs every test with ctest.
#
#   scripts/test.sh               the suite in build/, libtorch parity tests included
#   scripts/test.sh --sanitize    the suite under AddressSanitizer + UBSan in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."

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
