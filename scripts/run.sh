#!/usr/bin/env bash
# Sets up, builds and runs tensorgrad's main job: `tensorgrad train` with its
# defaults (the MLP on Fashion-MNIST, 3 epochs, about a minute on 2 cores), which
# writes out/mlp/{metrics.csv,model.safetensors,curves.svg}.
#
#   scripts/run.sh                         tensorgrad train
#   scripts/run.sh train --model cnn ...   any tensorgrad command line
#   scripts/run.sh evaluate --weights out/mlp/model.safetensors
set -euo pipefail
cd "$(dirname "$0")/.."

main_target=tensorgrad_cli
main_program=${TG_BUILD_DIR:-build}/tools/tensorgrad

scripts/build.sh "$main_target"
if (($# == 0)); then
  set -- train
fi
exec "$main_program" "$@"
