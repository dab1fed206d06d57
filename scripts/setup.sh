#!/usr/bin/env bash
# Installs what mnemo needs on Debian 12 (as root, or with sudo) when it is
# missing, then configures and builds mnemo into build/ with Ninja and ccache.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  cmake ninja-build ccache pkg-config
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  coinor-libcbc-dev libgtest-dev libclang-rt-22-dev libomp-22-dev
  lld-22 libzstd-dev binutils time
  libopenmpi-dev openmpi-bin
  python3 python3-onnx python3-numpy python3-torchvision
  python3-dev pybind11-dev python3-pytest python3-matplotlib
  chromium-headless-shell
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
fi
cmake --build build
