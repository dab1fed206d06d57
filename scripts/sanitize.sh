#!/usr/bin/env bash
# Builds mnemo with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ (MNEMO_SANITIZE=address,undefined; mnemo's code also carries
# libFuzzer's coverage instrumentation) and runs, under both sanitizers:
# the lit tests, the fuzz regressions, the mutation sweep over every model
# of the ONNX test data (3 mutants each) and both fuzz targets
# (MNEMO_FUZZ_SECONDS each, default 60). Prints the counts of each and a
# closing "N passed, N failed" line.
#
#   bash scripts/sanitize.sh [--seeds N] [--jobs J]
#
# Not part of scripts/test.sh: the build takes about as long again as the
# normal one on two cores. Needs what scripts/setup.sh installs.
set -uo pipefail
cd "$(dirname "$0")/.."
seeds=3; jobs=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) echo "usage: $0 [--seeds N] [--jobs J]" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh >/dev/null || exit 1

if [ ! -f build-asan/build.ninja ]; then
  cmake -G Ninja -S . -B build-asan \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DMNEMO_SANITIZE=address,undefined >/dev/null || exit 1
fi
cmake --build build-asan || exit 1

# Leaks are not findings here (MLIR keeps contexts' storage until exit);
# every other report aborts the process.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:max_allocation_size_mb=4096
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
passed=0; failed=0
step() { # name, command...
  local name="$1"; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); echo "== $name: ok"
  else failed=$((failed + 1)); echo "== $name: FAILED"; fi
}
step lit /usr/lib/llvm-22/bin/lit -s -j"$jobs" build-asan/test
step fuzz-regressions build-asan/bin/mnemo-mutation-sweep --seeds=0 \
  --timeout=300 fuzz/regressions
step mutation-sweep build-asan/bin/mnemo-mutation-sweep --seeds="$seeds" \
  --jobs="$jobs" --timeout=300 --keep=build-asan/mutation-findings \
  /usr/share/libonnx-testdata/data
for t in import compile; do
  step "$t-fuzz" env MNEMO_FUZZ_SECONDS="${MNEMO_FUZZ_SECONDS:-60}" \
    fuzz/run_fuzzer.sh "build-asan/bin/mnemo-$t-fuzzer" \
    "build-asan/fuzz-corpus-$t" examples/tiny_cnn.onnx
done
echo "sanitizer build: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
