#!/usr/bin/env bash
# Installs the tensorgrad of a build tree into a temporary prefix, then configures,
# builds and runs tests/consumer against that prefix alone, as an outside project would.
#
#   tests/consumer/run.sh <tensorgrad build dir> <c++ compiler>
set -euo pipefail
build=$1
cxx=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tg-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT

cmake --build "$build" --target tensorgrad
cmake --install "$build" --prefix "$work/prefix"
for f in include/tensorgrad/tensorgrad.h lib/libtensorgrad.a lib/cmake/tensorgrad/tensorgrad-config.cmake \
         lib/cmake/tensorgrad/tensorgrad-config-version.cmake lib/cmake/tensorgrad/tensorgradTargets.cmake; do
  [[ -f $work/prefix/$f ]] || { echo "consumer: $f was not installed" >&2; exit 1; }
done

cmake -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Release
cmake --build "$work/build"
"$work/build/app"
