#!/usr/bin/env python3
"""ONNX backend conformance: runs every test of Debian's libonnx-testdata
through mnemo-run (compile, run on test_data_set_0, compare with its
outputs) and prints pass / fail / unsupported counts per directory.

  unsupported  the model holds an op or type mnemo does not lower (the
               compiler says so by name) - not a wrong answer

Inputs that decide shape operands (Reshape's shape, Resize's scales, a
Range's limit through scalar arithmetic, ...) are compiled as constants (mnemo-run --specialize-shape-inputs): the
backend tests pass them as inputs, and mnemo's ahead-of-time contract has
no data-dependent output shapes.
  fail         it compiled but gave a wrong answer, failed to compile for
               another reason, crashed or hung

With --expected FILE, every test listed there must pass (a regression
fails the run); --update rewrites the list from this run. The closing line
is `N passed, N failed` for CI."""
import argparse
import collections
import concurrent.futures
import os
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--run", required=True, help="path to mnemo-run")
ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
ap.add_argument("--expected", help="checked-in list of tests that must pass")
ap.add_argument("--update", action="store_true", help="rewrite --expected")
ap.add_argument("--known", help="tests known to fail, one per line with the reason")
ap.add_argument("--report", help="write per-test results (tsv) here")
ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
ap.add_argument("--filter", default="",
                help="only tests whose dir/name contains this (or, comma-separated, "
                     "any of these)")
ap.add_argument("--extra", action="append", default=[],
                help="another mnemo-run flag (repeatable)")
ap.add_argument("--cpu", default="host",
                help="mnemo-run --cpu: host, x86-64-v3 (AVX2 code), ...")
args = ap.parse_args()

if not os.path.isdir(args.data):
    print(f"SKIP: {args.data} not found (apt-get install libonnx-testdata)")
    print("0 passed, 0 failed")
    sys.exit(0)

UNSUPPORTED = ("no lowering for this op", "cannot lower this node",
               "unsupported element type", "only tensor types are supported",
               "unsupported op type", "result rank is unknown",
               "unsupported tensor element type", "cannot bound dim",
               "are unsupported", "cannot be specialized")

def selected(name):
    return any(f in name for f in args.filter.split(","))


tests = []
for sub in ("node", "pytorch-converted", "pytorch-operator", "simple"):
    d = os.path.join(args.data, sub)
    if not os.path.isdir(d):
        continue
    for t in sorted(os.listdir(d)):
        m = os.path.join(d, t, "model.onnx")
        data = os.path.join(d, t, "test_data_set_0")
        if os.path.exists(m) and os.path.isdir(data) and selected(f"{sub}/{t}"):
            tests.append((sub, t, m, data))


def run(item):
    sub, name, model, data = item
    try:
        p = subprocess.run([args.run, model, "--inputs", data, "-O1",
                            "--specialize-shape-inputs", "--cpu", args.cpu,
                            # small models: verifying after every pass is
                            # cheap and catches a pass's invalid IR there
                            "--verify-each"] + args.extra,
                           capture_output=True, text=True, errors="replace", timeout=300)
    except subprocess.TimeoutExpired:
        return item, "fail", "timed out"
    out = (p.stdout + p.stderr).strip()
    if p.returncode == 0:
        return item, "pass", ""
    if p.returncode == 2 and any(u in out for u in UNSUPPORTED):
        return item, "unsupported", out.splitlines()[0] if out else ""
    why = "crash" if p.returncode < 0 else f"exit {p.returncode}"
    return item, "fail", f"{why}: " + " | ".join(out.splitlines()[-3:])


counts = collections.defaultdict(collections.Counter)
results = {}
with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
    for (sub, name, _, _), status, why in pool.map(run, tests):
        counts[sub][status] += 1
        results[f"{sub}/{name}"] = (status, why)

print(f"{'directory':20} {'pass':>6} {'fail':>6} {'unsupported':>12} {'total':>6}")
for sub, c in counts.items():
    print(f"{sub:20} {c['pass']:6} {c['fail']:6} {c['unsupported']:12} "
          f"{sum(c.values()):6}")

if args.report:
    with open(args.report, "w") as f:
        for k in sorted(results):
            f.write(f"{k}\t{results[k][0]}\t{results[k][1]}\n")

known = {}
if args.known:
    with open(args.known) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.strip().partition(" ")
                known[name] = reason.strip()
fails = [(k, v[1]) for k, v in sorted(results.items())
         if v[0] == "fail" and k not in known]
for k, why in fails:
    print(f"FAIL {k}: {why[:300]}")
for k, reason in sorted(known.items()):
    if k in results and results[k][0] == "fail":
        print(f"KNOWN {k}: {reason}")

regressions = []
if args.expected:
    if args.update:
        passing = {k for k in results if results[k][0] == "pass"}
        # With --filter only the filtered tests ran: the others keep their
        # entries.
        if args.filter and os.path.exists(args.expected):
            with open(args.expected) as f:
                passing |= {l.strip() for l in f if l.strip()
                            and not l.startswith("#") and not selected(l)}
        with open(args.expected, "w") as f:
            f.write("# Tests of libonnx-testdata that must pass (conformance.py "
                    "--update).\n")
            for k in sorted(passing):
                f.write(k + "\n")
    else:
        with open(args.expected) as f:
            want = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        regressions = [k for k in want if k in results and results[k][0] != "pass"]
        for k in regressions:
            print(f"REGRESSION {k}: {results[k][1][:300]}")

passed = sum(c["pass"] for c in counts.values())
# A wrong answer on a test whose ops are all supported is a failure of its
# own; so is a regression against the expected-pass list.
failed = len(set(regressions) | {k for k, _ in fails})
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
