#!/usr/bin/env bash
# Runs mnemo's fuzzers for longer than the tests do and keeps what they
# find as regression inputs.
#
#   bash scripts/fuzz.sh --minutes N [--asan] [--only import|compile]
#                        [--sweep-seeds K]
#
# Each fuzz target (the importer's, and the whole compile path's with the
# structure-aware mutator) runs N minutes from a corpus of every ONNX
# node-test model; a crash, abort, timeout or out-of-memory input is
# copied to fuzz/regressions/ with a .txt note, and the fuzzer restarts
# until its time is used. --sweep-seeds K also runs the mutation sweep
# with K mutants per test-data model (seeds after the test's three). --asan uses
# the sanitizer build of scripts/sanitize.sh (build-asan/), whose every
# file carries coverage; the default is build/. --only runs one target
# (two invocations use two cores). Prints executions and
# findings per target and a closing "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=5; build=build; sweep=0; targets="import compile"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --asan) build=build-asan; shift ;;
    --sweep-seeds) sweep="$2"; shift 2 ;;
    --only) targets="$2"; shift 2 ;;
    *) echo "usage: $0 --minutes N [--asan] [--only import|compile] [--sweep-seeds K]" >&2; exit 2 ;;
  esac
done
cmake --build "$build" --target mnemo-import-fuzzer mnemo-compile-fuzzer \
  mnemo-mutation-sweep || exit 1
export ASAN_OPTIONS=detect_leaks=0:max_allocation_size_mb=4096
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
nodes=/usr/share/libonnx-testdata/data/node
found=0; clean=0
for t in $targets; do
  fuzzer="$build/bin/mnemo-$t-fuzzer"
  corpus="$build/fuzz-corpus-$t"; findings="$build/fuzz-findings-$t"
  mkdir -p "$corpus" "$findings"
  for m in "$nodes"/*/model.onnx examples/*.onnx fuzz/regressions/*.onnx; do
    [ -f "$m" ] && cp -n "$m" "$corpus/$(echo "$m" | tr '/' '_')"
  done
  end=$(( $(date +%s) + minutes * 60 )); execs=0; crashes=0
  while [ "$(date +%s)" -lt "$end" ]; do
    left=$(( end - $(date +%s) ))
    log=$(mktemp)
    "$fuzzer" "$corpus" -max_total_time="$left" -timeout=60 \
      -rss_limit_mb=6144 -malloc_limit_mb=4096 -max_len=262144 -reduce_inputs=0 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    execs=$(( execs + ${n:-0} ))
    if [ "$rc" -ne 0 ]; then
      crashes=$(( crashes + 1 ))
      art=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | awk '{print $5}')
      if [ -n "$art" ] && [ -f "$art" ]; then
        name="$t-$(basename "$art")"
        cp "$art" "fuzz/regressions/$name.onnx"
        { echo "found by mnemo-$t-fuzzer ($build) on $(date -u +%F)"; \
          grep -m1 -E "ERROR|LLVM ERROR|runtime error|failed without" "$log"; \
          grep -E "^    #[0-9]+ " "$log" | head -12; } > "fuzz/regressions/$name.txt"
        echo "$t: finding kept as fuzz/regressions/$name.onnx"
      else
        tail -20 "$log"
      fi
    fi
    rm -f "$log"
  done
  echo "mnemo-$t-fuzzer: $minutes min, $execs executions, $crashes findings"
  if [ "$crashes" -eq 0 ]; then clean=$((clean + 1)); else found=$((found + 1)); fi
done
if [ "$sweep" -gt 0 ]; then
  if "$build/bin/mnemo-mutation-sweep" --seeds="$sweep" --first-seed=4 \
       --jobs="$(nproc)" --timeout=300 --keep=fuzz/regressions \
       /usr/share/libonnx-testdata/data; then
    clean=$((clean + 1))
  else
    found=$((found + 1))
  fi
fi
echo "$clean passed, $found failed"
[ "$found" -eq 0 ]
