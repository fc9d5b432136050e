#!/usr/bin/env bash
# The training acceptance figures over several seeds, for both libraries: the
# final test accuracy of bench_train_fashion_mnist (same batches in both builds)
# for each seed, and each library's mean and range. One seed says little: the
# 3-epoch MLP (SGD lr 0.1, momentum 0.9) ends anywhere in a 2-point range, in
# libtorch as in tensorgrad.
#
#   bench/accuracy_seeds.sh [mlp|cnn] [SEEDS]      (defaults: mlp, 8 seeds: 0..7)
#
# libtorch runs on one thread (its best configuration here); tensorgrad with its
# defaults. Builds the two programs in build/ (TG_BUILD_DIR overrides it).
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:-mlp} seeds=${2:-8}
[[ $model == mlp || $model == cnn ]] || { echo "usage: $0 [mlp|cnn] [SEEDS]" >&2; exit 2; }
build=${TG_BUILD_DIR:-build}
src=/usr/share/datasets/fashion-mnist
[[ -d $src ]] || { echo "accuracy_seeds.sh: needs $src (apt-get install dataset-fashion-mnist)" >&2; exit 1; }

export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_BENCH=ON -DTG_WITH_TORCH=ON >/dev/null
cmake --build "$build" -j 2 --target bench_train_fashion_mnist --target bench_train_fashion_mnist_torch >/dev/null

# libtorch's MNIST reader needs the IDX files uncompressed.
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gunzip -c "$src/$f.gz" >"$data/$f"
done

accuracy() { sed -n 's/.*final test accuracy \([0-9.]*\)%.*/\1/p'; }
ours=() theirs=()
printf '| seed | tensorgrad | libtorch |\n|---|---|---|\n'
for ((seed = 0; seed < seeds; ++seed)); do
  ours+=("$("$build/bench/bench_train_fashion_mnist" "$model" "$data" "$seed" | accuracy)")
  theirs+=("$(OMP_NUM_THREADS=1 "$build/bench/bench_train_fashion_mnist_torch" "$model" "$data" "$seed" | accuracy)")
  printf '| %d | %s%% | %s%% |\n' "$seed" "${ours[-1]}" "${theirs[-1]}"
done
summary() { printf '%s\n' "$@" | awk '{s += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1}
  END {printf "%.2f%% (%.2f to %.2f)", s / NR, lo, hi}'; }
printf '| mean (range) | %s | %s |\n' "$(summary "${ours[@]}")" "$(summary "${theirs[@]}")"
