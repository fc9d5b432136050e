#!/usr/bin/env bash
# Installs with apt-get (Debian 12) whatever tensorgrad's build, tests, benchmarks
# and main job need and the machine lacks. With everything present it only asks
# dpkg, once, and returns: scripts/run.sh and scripts/test.sh call it every time.
#
#   scripts/setup.sh --fuzz               also what fuzz/run.sh needs (clang, libFuzzer)
#   TG_SETUP_DRY_RUN=1 scripts/setup.sh   prints what it would install, installs nothing
set -euo pipefail

packages=(
  g++ cmake make                 # compiler and build (ccache is used when present, never installed:
                                 # see CMakeLists.txt)
  libopenblas-dev                # float64 GEMM (cblas)
  libdnnl-dev ocl-icd-opencl-dev # float32 GEMM (dnnl_sgemm); its CMake package requires OpenCL
  zlib1g-dev                     # reading the gzip-compressed data sets
  nlohmann-json3-dev             # JSON (run logs, configs)
  libgtest-dev                   # tests
  libbenchmark-dev               # bench/
  libtorch-dev                   # parity tests and benchmark twins (the libtorch 1.13 oracle)
  dataset-fashion-mnist          # the main job's data (/usr/share/datasets/fashion-mnist)
  graphviz                       # dot, to render autograd graphs
  python3-dev pybind11-dev       # the Python module (python/)
  python3-numpy python3-pytest   # its numpy bridge and its tests
  python3-torch                  # PyTorch, for the Python parity tests and benchmarks
)
if [[ ${1:-} == --fuzz ]]; then
  # clang 16 (the first to capture structured bindings in lambdas) with its libFuzzer
  # and sanitizer runtimes, and its OpenMP
  packages+=(clang-16 libclang-rt-16-dev libomp-16-dev)
fi

# One dpkg-query for all of them; a package dpkg has never heard of is simply absent
# from its answer.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p installed" <<<"$installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "setup: installing ${missing[*]}"
if [[ ${TG_SETUP_DRY_RUN:-0} == 1 ]]; then
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "setup: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600)
"${apt[@]}" update
"${apt[@]}" install --no-install-recommends "${missing[@]}"
