#!/usr/bin/env python3
"""Where a mnemo artifact spends its time, per ONNX node and per op type.

Compiles the model with `mnemoc -g` (line tables: line = the ONNX node's
1-based index), runs it under `perf record` with mnemo-run --repeat, and
prints the hottest nodes (op type, weight shape, output shape) and the
total per op type. Needs Linux perf (Debian: linux-perf).

  /usr/bin/python3 bench/profile_nodes.py MODEL.onnx DATA_DIR [--cpu x86-64-v3]
      [--threads 1] [--repeat 100] [--top 30] [--json OUT.json]
"""
import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import onnx
from onnx import shape_inference

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("data")
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--cpu", default="host")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--atol", default="1e-4", help="tolerance of the reference check (a quantized model: one output step)")
ap.add_argument("--repeat", type=int, default=100)
ap.add_argument("--top", type=int, default=30)
ap.add_argument("--artifact", help="profile this mnemoc output (built with -g) instead of "
                "compiling the model with mnemo-run's defaults")
ap.add_argument("--json", help="also write {median_ms, nodes: {name: percent}} here")
args = ap.parse_args()
if not shutil.which("perf"):
    sys.exit("profile_nodes: perf not found (apt-get install linux-perf)")

work = tempfile.mkdtemp(prefix="mnemo-profile-")
art = args.artifact or os.path.join(work, "artifact")
if not args.artifact:
    subprocess.run([os.path.join(args.bindir, "mnemo-run"), args.model, "--inputs", args.data,
                    "--cpu", args.cpu, "--keep", art, "-g", "--rtol", "1e-3", "--atol", args.atol],
                   check=True, capture_output=True)
env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
data = os.path.join(work, "perf.data")
p = subprocess.run(["perf", "record", "-q", "-o", data, os.path.join(args.bindir, "mnemo-run"),
                    "--artifact", art, "--inputs", args.data, "--repeat", str(args.repeat)],
                   capture_output=True, text=True, env=env)
latency = re.search(r"median latency: ([0-9.]+) ms", p.stdout)
rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "srcline",
                      "--stdio"], capture_output=True, text=True).stdout

model = shape_inference.infer_shapes(onnx.load(args.model))
inits = {i.name: list(i.dims) for i in model.graph.initializer}
shapes = {v.name: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]
          for v in list(model.graph.value_info) + list(model.graph.output)}
stem = os.path.basename(args.model)
rows, per_type, other = [], collections.Counter(), 0.0
for line in rep.splitlines():
    m = re.match(r"\s+([0-9.]+)%\s+(\S+)", line)
    if not m:
        continue
    pct, where = float(m.group(1)), m.group(2)
    loc = re.match(re.escape(stem) + r":(\d+)$", where)
    if not loc or not 0 < int(loc.group(1)) <= len(model.graph.node):
        other += pct
        continue
    i = int(loc.group(1)) - 1
    node = model.graph.node[i]
    w = inits.get(node.input[1]) if len(node.input) > 1 else None
    group = next((a.i for a in node.attribute if a.name == "group"), 1)
    kind = node.op_type + (" (depthwise)" if node.op_type == "Conv" and group > 1 else "")
    rows.append((pct, i, kind, w, shapes.get(node.output[0]), node.name))
    per_type[kind] += pct

print(f"{stem}: --cpu={args.cpu}, {args.threads} thread(s), median "
      f"{latency.group(1) if latency else '?'} ms")
print(f"{'%':>6} {'node':>5} {'op':18} {'weight':18} {'output':20} name")
for pct, i, kind, w, out, name in sorted(rows, reverse=True)[:args.top]:
    print(f"{pct:6.2f} {i:5} {kind:18} {str(w or ''):18} {str(out or ''):20} {name}")
print("\nper op type: " + ", ".join(f"{k} {v:.1f}%" for k, v in per_type.most_common())
      + f", outside nodes (runtime, copies in/out) {other:.1f}%")
if args.json:
    with open(args.json, "w") as f:
        json.dump({"median_ms": float(latency.group(1)) if latency else None,
                   "nodes": {name: pct for pct, _, _, _, _, name in rows}}, f)
shutil.rmtree(work)
