#!/usr/bin/env bash
# Builds the Python module (tensorgrad._C, TG_PYTHON=ON) in a build directory and
# runs python/tests with Debian's python3 and pytest. scripts/test.sh calls it.
#
#   python/run_tests.sh [build-dir] [pytest args...]     (build-dir defaults to build)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:-build}
shift $(($# > 0 ? 1 : 0))
cmake -S . -B "$dir" -DTG_PYTHON=ON >/dev/null
cmake --build "$dir" -j "${TG_JOBS:-2}" --target tensorgrad_python
PYTHONPATH="$PWD/$dir/python" /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests "$@"
