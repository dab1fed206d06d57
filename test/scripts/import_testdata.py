#!/usr/bin/env python3
"""Imports every model of Debian's libonnx-testdata with mnemo-translate and
prints, per directory, how many imported, how many hold an op without a typed
conversion, and how many failed with another error. Fails on any crash, and
on any error other than a type outside the graph dialect (strings,
sequences, optionals, maps): a model whose ops and types are all supported
must import."""
import argparse
import collections
import concurrent.futures
import os
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--translate", required=True)
ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
ap.add_argument("-v", action="store_true")
args = ap.parse_args()

if not os.path.isdir(args.data):
    print(f"SKIP: {args.data} not found (apt-get install libonnx-testdata)")
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(0)

# Types the graph dialect does not model; such models cannot import.
UNSUPPORTED_TYPE = ("unsupported element type", "only tensor types are supported",
                    # sequence and optional inputs need their structure
                    # (mnemoc --sequence-length / --absent-input; the
                    # conformance run takes it from the test data), and
                    # the importer resolves them at compile time
                    "the compiled artifact takes tensors, so give",
                    "mnemo resolves sequences",
                    "mnemo resolves them at compile time",
                    "carries a sequence or an optional")

models = []
for sub in ("node", "pytorch-converted", "pytorch-operator", "simple"):
    d = os.path.join(args.data, sub)
    if not os.path.isdir(d):
        continue
    for t in sorted(os.listdir(d)):
        m = os.path.join(d, t, "model.onnx")
        if os.path.exists(m):
            models.append((sub, t, m))


def run(item):
    sub, name, path = item
    try:
        p = subprocess.run([args.translate, "--import-onnx", "--list-unsupported", path],
                           capture_output=True, text=True, errors="replace",
                           timeout=120)
    except subprocess.TimeoutExpired:
        return item, "hang", "timed out"
    if p.returncode < 0 or p.returncode > 1:
        return item, "crash", f"exit {p.returncode}: {p.stderr[-400:]}"
    if p.returncode == 0:
        return item, "imported", ""
    if "unsupported op type(s)" in p.stderr:
        return item, "unsupported", p.stderr.strip().splitlines()[1:]
    if any(m in p.stderr for m in UNSUPPORTED_TYPE):
        return item, "unsupported type", p.stderr.strip().splitlines()[0]
    return item, "error", p.stderr.strip()


counts = collections.defaultdict(collections.Counter)
failures = []
ops = collections.Counter()
with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
    for (sub, name, _), kind, detail in pool.map(run, models):
        counts[sub][kind] += 1
        if kind == "unsupported":
            for line in detail:
                ops[line.strip().rsplit(" x", 1)[0]] += 1
        if kind in ("crash", "hang"):
            failures.append(f"{sub}/{name}: {kind}: {detail}")
        elif kind == "error":
            failures.append(f"{sub}/{name}: unexpected error: {detail}")
        if args.v and kind != "imported":
            print(f"{sub}/{name}: {kind}: {detail}")

cols = ("imported", "unsupported", "unsupported type", "error")
print(f"{'directory':<20}{'models':>8}{'imported':>10}{'unsupported op':>16}"
      f"{'unsupported type':>18}{'other error':>13}{'crash':>7}")
total = collections.Counter()
for sub, c in counts.items():
    total.update(c)
for sub, c in list(counts.items()) + [("total", total)]:
    print(f"{sub:<20}{sum(c.values()):>8}{c['imported']:>10}{c['unsupported']:>16}"
          f"{c['unsupported type']:>18}{c['error']:>13}{c['crash'] + c['hang']:>7}")
print("most frequent unsupported ops:", ", ".join(f"{k} ({v})" for k, v in ops.most_common(15)))
for f in failures:
    print("FAIL:", f)
passed = total["imported"] + total["unsupported"] + total["unsupported type"]
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
