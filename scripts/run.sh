#!/usr/bin/env bash
# Sets up, builds and runs tensorgrad's main job; arguments go to the program.
# Until the training command exists, the main job is the API tour (examples/api_tour.cpp).
set -euo pipefail
cd "$(dirname "$0")/.."

main_target=example_api_tour
main_program=${TG_BUILD_DIR:-build}/examples/example_api_tour

scripts/build.sh "$main_target"
exec "$main_program" "$@"
