#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), configures and builds tensorgrad.
#
#   scripts/build.sh [--sanitize] [target...]
#
# Builds in build/ (Release, -O3, with the benchmarks, whose smoke run is part of
# the tests), or with --sanitize in build-sanitize/: everything compiled with
# -fsanitize=address,undefined, the pooled allocators bypassed (TG_NO_POOL), the
# libtorch parity tests and the benchmarks left out, since libtorch itself is not
# instrumented. TG_BUILD_DIR overrides the directory, TG_JOBS the parallelism (2).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ${1:-} == --sanitize ]]; then
  shift
  dir=${TG_BUILD_DIR:-build-sanitize}
  options=(-DTG_SANITIZE=ON -DTG_WITH_TORCH=OFF -DTG_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
           "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1")
else
  dir=${TG_BUILD_DIR:-build}
  options=(-DCMAKE_BUILD_TYPE=Release -DTG_BUILD_BENCH=ON)
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done

scripts/setup.sh
# ccache (when CMake finds it) then shares compiled objects between clones and
# build directories at the same depth, whatever their absolute path.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
cmake -S . -B "$dir" "${options[@]}"
cmake --build "$dir" -j "${TG_JOBS:-2}" "${targets[@]}"
