#!/usr/bin/env bash
# Builds every benchmark against tensorgrad and libtorch (Release) and runs them
# side by side, then prints the markdown report (workload, tensorgrad, libtorch,
# ratio) and writes it into bench/RESULTS.md with the machine and the date.
#
#   bench/compare.sh [--rounds N] [--reps N] [--min-time S] [--only PROGRAM]
#                    [--no-fashion] [--no-cnn-training] [--quick]
#
# Configurations, always in this invocation order:
#   tensorgrad  its defaults at 2 threads (OMP_NUM_THREADS=2, nothing else set)
#   torch1      libtorch with OMP_NUM_THREADS=1
#   torch2p     libtorch with 2 threads and OMP_WAIT_POLICY=passive
# libtorch's figure is the faster of its two configurations, per workload. Each
# configuration runs twice: with the OpenBLAS variables as the machine presets them
# (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE), and with both unset by `env -u` in the
# benchmark command alone (nothing else ever changes them).
#
# The machine is shared, so every figure is the minimum over --reps repetitions
# (Google Benchmark) times --rounds rounds; the load (uptime) before and after is
# recorded with the results, and so is where the two vCPUs are before each
# program runs under each setting (the host of a VM may move them during a run:
# bench/line_round_trip.cpp). The Fashion-MNIST runs train the MLP every round and
# the CNN (2 epochs, minutes per configuration) in round 1 only, unless
# --no-cnn-training. --quick: one short round, no Fashion-MNIST (checks that the
# script works, not a measurement). Raw results stay in
# $BUILD/bench-results/<date>/ (BUILD: TG_BENCH_BUILD_DIR, default build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 reps=5 min_time=0.1 only="" fashion=1 cnn_training=1
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    --only) only=$2; shift ;;
    --no-fashion) fashion=0 ;;
    --no-cnn-training) cnn_training=0 ;;
    --quick) rounds=1 reps=1 min_time=0.01 fashion=0 ;;
    *) echo "usage: $0 [--rounds N] [--reps N] [--min-time S] [--only PROGRAM] [--no-fashion] [--no-cnn-training]" \
         "[--quick]" >&2; exit 2 ;;
  esac
  shift
done

build=${TG_BENCH_BUILD_DIR:-build-bench}
programs=(op_overhead mlp cnn matmul checkpoint_memory)
[[ -n $only ]] && programs=("$only")

# --- build ---------------------------------------------------------------------
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTG_BUILD_BENCH=ON -DTG_WITH_TORCH=ON >/dev/null
targets=(--target bench_fma_peak --target bench_line_round_trip)
[[ -f bench/train_fashion_mnist.cpp ]] || fashion=0
((fashion)) && targets+=(--target bench_train_fashion_mnist --target bench_train_fashion_mnist_torch)
for p in "${programs[@]}"; do targets+=(--target "bench_$p" --target "bench_${p}_torch"); done
cmake --build "$build" -j 2 "${targets[@]}" >/dev/null
bin=$build/bench
[[ -x $bin/bench_op_overhead_torch || -n $only ]] || { echo "compare.sh: libtorch not found by CMake" >&2; exit 1; }

out=$build/bench-results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

# --- machine -------------------------------------------------------------------
model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cores=$(lscpu | sed -n 's/^Core(s) per socket: *//p' | head -1)
sockets=$(lscpu | sed -n 's/^Socket(s): *//p' | head -1)
cpus=$(nproc)
flags=$(grep -m1 '^flags' /proc/cpuinfo | grep -o 'avx512f' | head -1 || true)
# Virtual machines often report only the vendor's brand ("AMD EPYC"): the family,
# model and caches tell one CPU generation from another.
cpu_id=$(lscpu | awk -F': *' '/^CPU family:/ {f = $2} /^Model:/ {m = $2} END {if (f != "") print "family " f ", model " m}')
caches=$(lscpu | awk -F': *' '/^L2 cache:/ {l2 = $2} /^L3 cache:/ {l3 = $2} END {if (l2 != "") print "L2 " l2 ", L3 " l3}')
presets=$(env | grep -E '^OPENBLAS_(CORETYPE|L2_SIZE)=' | sort | tr '\n' ' ' || true)
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }

# --- runs ----------------------------------------------------------------------
# run SETTING CONFIG OUTPUT PROGRAM ARGS...: one invocation of bench_PROGRAM (or
# its libtorch twin) in the configuration's environment, stdout and stderr to
# OUTPUT, under the command in $wrap when set.
wrap=()
run() {
  local setting=$1 config=$2 output=$3 program=$4
  shift 4
  local env=(env)
  [[ $setting == unset ]] && env+=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
  case $config in
    tensorgrad) env+=(-u OMP_WAIT_POLICY OMP_NUM_THREADS=2) ;;
    torch1) env+=(-u OMP_WAIT_POLICY OMP_NUM_THREADS=1); program+=_torch ;;
    torch2p) env+=(OMP_NUM_THREADS=2 OMP_WAIT_POLICY=passive); program+=_torch ;;
  esac
  mkdir -p "$out/$setting/$config"
  "${env[@]}" sh -c 'env | grep -E "^(OPENBLAS|OMP)_" | sort | tr "\n" " "' >"$out/$setting/$config/env.txt"
  "${wrap[@]}" "${env[@]}" "$bin/bench_$program" "$@" >"$output" 2>&1
}
load() { uptime | sed 's/.*load average: //'; }
# placement LABEL: appends to placement.txt where the two vCPUs are at this moment
# (bench/line_round_trip.cpp): the one- and two-thread FMA peaks and a cache line's
# round trip between them, tab-separated after LABEL; "?" for a probe that fails
# (the run goes on without that figure).
placement() {
  local one two trip
  one=$("$bin/bench_fma_peak" --threads 1 | sed -n 's/.*: \([0-9.]*\) GFLOP\/s/\1/p') || true
  two=$("$bin/bench_fma_peak" --threads 2 | sed -n 's/.*: \([0-9.]*\) GFLOP\/s/\1/p') || true
  trip=$("$bin/bench_line_round_trip" | sed -n 's/.*: \([0-9.]*\) ns/\1/p') || true
  printf '%s\t%s\t%s\t%s\n' "$1" "${one:-?}" "${two:-?}" "${trip:-?}" >>"$out/placement.txt"
}

settings=(preset unset)
configs=(tensorgrad torch1 torch2p)

"$bin/bench_fma_peak" --threads 2 >"$out/fma_peak.txt"
echo "$(cat "$out/fma_peak.txt") (load $(load))" >&2

data=""
if ((fashion)); then
  src=/usr/share/datasets/fashion-mnist
  if [[ -d $src && -x /usr/bin/time ]]; then
    # libtorch's MNIST reader needs the IDX files uncompressed.
    data=$(mktemp -d)
    trap 'rm -rf "$data"' EXIT
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
      gunzip -c "$src/$f.gz" >"$data/$f"
    done
  else
    echo "compare.sh: needs $src and /usr/bin/time for the training run; skipping it" >&2
  fi
fi

loads="start $(load)"
gbench=(--benchmark_repetitions="$reps" --benchmark_min_time="$min_time" --benchmark_out_format=json)
for ((r = 1; r <= rounds; ++r)); do
  for p in "${programs[@]}"; do
    for s in "${settings[@]}"; do
      placement "round $r, $p, $s"
      for c in "${configs[@]}"; do
        echo "round $r/$rounds: $p, $c, OpenBLAS variables $s (load $(load))" >&2
        run "$s" "$c" "$out/$s/$c/$p.r$r.log" "$p" "${gbench[@]}" --benchmark_out="$out/$s/$c/$p.r$r.json"
      done
    done
  done
  if [[ -n $data ]]; then
    wrap=(/usr/bin/time -v)  # its report includes the peak resident memory of the process
    for s in "${settings[@]}"; do
      placement "round $r, Fashion-MNIST, $s"
      for c in "${configs[@]}"; do
        echo "round $r/$rounds: Fashion-MNIST MLP, $c, OpenBLAS variables $s (load $(load))" >&2
        run "$s" "$c" "$out/$s/$c/fashion.r$r.txt" train_fashion_mnist mlp "$data" 0
        if ((cnn_training && r == 1)); then
          echo "round $r/$rounds: Fashion-MNIST CNN, $c, OpenBLAS variables $s (load $(load))" >&2
          run "$s" "$c" "$out/$s/$c/fashion_cnn.r$r.txt" train_fashion_mnist cnn "$data" 0
        fi
      done
    done
    wrap=()
  fi
  loads+="; after round $r $(load)"
done

# --- report --------------------------------------------------------------------
{
  cpu="$model${cpu_id:+ ($cpu_id)}, $((cores * sockets)) cores ($cpus CPUs online)${flags:+, AVX-512}"
  echo "Machine: $cpu${caches:+; $caches}."
  echo "OpenBLAS variables this machine presets: ${presets:-none (the two settings below then run alike)}."
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC'); load averages (1, 5, 15 min): $loads."
  echo "libtorch $(version libtorch-dev), oneDNN $(version libdnnl-dev), OpenBLAS $(version libopenblas0-pthread)."
  echo "Each figure: the minimum over $reps repetitions x $rounds rounds (Google Benchmark, min time ${min_time} s" \
    "per repetition; wall-clock time)."
} >"$out/machine.txt"
python3 bench/report.py "$out" >"$out/report.md"
cat "$out/report.md"

# bench/RESULTS.md: the generated report replaces the part between the markers;
# everything else in the file (notes, other sections) is kept.
results=bench/RESULTS.md
begin='<!-- compare.sh: begin -->' end='<!-- compare.sh: end -->'
[[ -f $results ]] || printf '# Benchmarks: tensorgrad vs libtorch\n\n%s\n%s\n' "$begin" "$end" >"$results"
grep -qF -- "$begin" "$results" || printf '\n%s\n%s\n' "$begin" "$end" >>"$results"
python3 - "$results" "$out/report.md" "$begin" "$end" <<'EOF'
import sys
path, report, begin, end = sys.argv[1:]
text = open(path).read()
head, rest = text.split(begin, 1)
tail = rest.split(end, 1)[1]
open(path, "w").write(head + begin + "\n" + open(report).read().rstrip() + "\n" + end + tail)
EOF
echo "written to $results (raw results in $out)" >&2
