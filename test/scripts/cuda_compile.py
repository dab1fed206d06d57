#!/usr/bin/env python3
"""The CUDA target over the CPU's conformance list and real models.

Every libonnx-testdata test on the CPU's expected-pass list, and the real
models given with --model DIR (model.onnx + test_data_set_0), goes through
`mnemo-run MODEL --target=cuda`: it compiles for the GPU (every kernel
assembled by ptxas for --cuda-arch, which rejects bad PTX), then runs and
compares where a GPU is present, or exits 77 (no device) where none is.

Per test: compiled (and not run: no GPU), passed (ran on a GPU and matched
its reference), or failed (did not compile, was rejected by ptxas, or gave
a wrong answer on a GPU). Known failures (--known FILE: one test per line
with the reason) are listed and not counted. Prints the kernels ptxas
reported (count, registers, spills) and closes with `N passed, N failed`
for CI, where passed counts compiled and GPU-passed tests alike and the
first line says how many ran on a GPU."""
import argparse
import collections
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--run", required=True, help="path to mnemo-run")
ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
ap.add_argument("--expected", required=True, help="the CPU's expected-pass list")
ap.add_argument("--known", help="tests known to fail on CUDA, with reasons")
ap.add_argument("--model", action="append", default=[],
                help="a real model: a directory (model.onnx, test_data_set_0) "
                "or MODEL.onnx:DATA_DIR")
ap.add_argument("--export", default="",
                help="torchvision models to export (export_model.py, with "
                "Debian's python3-torchvision) into --workdir and add")
ap.add_argument("--workdir", default=None)
ap.add_argument("--cuda-arch", default="sm_90")
ap.add_argument("--toolkit", default="",
                help="the CUDA toolkit mnemo was built with (empty: none; then "
                     "models whose kernels need libdevice are listed as not "
                     "compiled, not failed)")
ap.add_argument("--report", help="write per-test results (tsv) here")
ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
ap.add_argument("--filter", default="")
args = ap.parse_args()

tests = []
if os.path.isdir(args.data):
    with open(args.expected) as f:
        for line in f:
            name = line.strip()
            if not name or name.startswith("#") or args.filter not in name:
                continue
            d = os.path.join(args.data, name)
            tests.append((name, os.path.join(d, "model.onnx"),
                          os.path.join(d, "test_data_set_0")))
else:
    print(f"SKIP conformance tests: {args.data} not found")
models = list(args.model)
if args.export and args.workdir:
    export = os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_model.py")
    torch_ok = subprocess.call(["/usr/bin/python3", "-c", "import torch, torchvision"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
    for name in args.export.split(","):
        out = os.path.join(args.workdir, name)
        if not torch_ok:
            print(f"SKIP model {name}: python3-torchvision is not installed")
            continue
        if not os.path.exists(os.path.join(out, "model.onnx")):
            subprocess.run(["/usr/bin/python3", export, name, out], check=True,
                           capture_output=True)
        models.append(out)
for spec in models:
    if ".onnx:" in spec:
        m, data = spec.split(".onnx:", 1)
        m += ".onnx"
        label = os.path.splitext(os.path.basename(m))[0]
    else:
        m = os.path.join(spec, "model.onnx")
        data = os.path.join(spec, "test_data_set_0")
        label = os.path.basename(os.path.normpath(spec))
    if os.path.exists(m) and os.path.isdir(data):
        tests.append(("model/" + label, m, data))
    else:
        print(f"SKIP model {spec}: no model and test data")

work = tempfile.mkdtemp(prefix="mnemo-cuda-sweep-")


def run(item):
    name, model, data = item
    out_dir = os.path.join(work, name.replace("/", "_"))
    try:
        p = subprocess.run([args.run, model, "--inputs", data, "--target=cuda",
                            "--cuda-arch", args.cuda_arch, "--specialize-shape-inputs",
                            "--keep", out_dir, "--rtol", "1e-3", "--atol", "1e-4"],
                           capture_output=True, text=True, errors="replace", timeout=600)
    except subprocess.TimeoutExpired:
        return item, "fail", "timed out", []
    kernels = []
    for f in os.listdir(out_dir) if os.path.isdir(out_dir) else []:
        if f.endswith(".kernels.json"):
            with open(os.path.join(out_dir, f)) as fh:
                kernels = json.load(fh)["kernels"]
    out = (p.stdout + p.stderr).strip()
    if p.returncode == 77:
        return item, "compiled", "", kernels
    if p.returncode == 0:
        return item, "passed", "", kernels
    if not args.toolkit and "calls libdevice's" in out:
        return item, "libdevice", "", kernels
    why = "crash" if p.returncode < 0 else f"exit {p.returncode}"
    return item, "fail", f"{why}: " + " | ".join(out.splitlines()[-3:]), kernels


known = {}
if args.known and os.path.exists(args.known):
    with open(args.known) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.strip().partition(" ")
                known[name] = reason.strip()

counts = collections.Counter()
results, all_kernels = {}, []
with concurrent.futures.ThreadPoolExecutor(args.j) as pool:
    for (name, _, _), status, why, kernels in pool.map(run, tests):
        if status == "fail" and name in known:
            status = "known"
        # An artifact is kept only for a new failure (a look at its PTX):
        # the sweep's 1000 artifacts would otherwise stay in /tmp.
        if status != "fail":
            shutil.rmtree(os.path.join(work, name.replace("/", "_")), ignore_errors=True)
        counts[status] += 1
        results[name] = (status, why, kernels)
        all_kernels += [(name, k) for k in kernels]

spilling = [(n, k) for n, k in all_kernels if k.get("spill_stores", 0) > 0
            or k.get("spill_loads", 0) > 0]
regs = [k["registers"] for _, k in all_kernels if k.get("registers", -1) >= 0]
print(f"CUDA {args.cuda_arch}: {counts['compiled']} compiled (no GPU to run them), "
      f"{counts['passed']} ran on a GPU and matched, {counts['fail']} failed, "
      f"{counts['known']} known failures, of {len(tests)}")
if counts["libdevice"]:
    print(f"{counts['libdevice']} not compiled: their kernels call libdevice "
          "and this build has no CUDA toolkit (mnemoc says so at the node)")
print(f"ptxas: {len(all_kernels)} kernels assembled"
      + (f", registers {min(regs)}..{max(regs)} (median {sorted(regs)[len(regs) // 2]})"
         if regs else "")
      + f", {len(spilling)} with spills")
for name, k in spilling[:20]:
    print(f"SPILL {name}: {k['kernel']} {k['spill_stores']} B stored, "
          f"{k['spill_loads']} B loaded")
for name in sorted(results):
    status, why, _ = results[name]
    if status == "fail":
        print(f"FAIL {name}: {why[:300]}")
    elif status == "known":
        print(f"KNOWN {name}: {known[name]}")
if args.report:
    with open(args.report, "w") as f:
        for name in sorted(results):
            status, why, kernels = results[name]
            f.write(f"{name}\t{status}\t{len(kernels)}\t{why}\n")
if counts["fail"]:
    print(f"the failed tests' artifacts: {work}")
else:
    shutil.rmtree(work, ignore_errors=True)
print(f"{counts['compiled'] + counts['passed']} passed, {counts['fail']} failed")
sys.exit(1 if counts["fail"] else 0)
