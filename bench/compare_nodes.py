#!/usr/bin/env python3
"""Per ONNX node: mnemo's time against onnxruntime's, in one invocation.

mnemo's times come from bench/profile_nodes.py (perf samples per node of a
`-g` artifact, scaled to its median latency; needs Linux perf), onnxruntime's
from its own profiler (CPU provider, same thread count, fused nodes credited
to the Conv / Gemm they start from: onnxruntime names a fused node after its
last output). Prints the nodes with the largest difference first, then the
totals per op kind (depthwise convolutions apart). onnxruntime fuses
residual Adds and activations into its convolutions, so those show as 0
on its side. Run with the project's venv (scripts/bench.sh makes it):

  .venv/bin/python bench/compare_nodes.py MODEL.onnx DATA_DIR [--threads 1]
      [--cpu host] [--repeat 200] [--top 30]
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

import onnx
import onnxruntime as ort
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("data")
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--cpu", default="host")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--repeat", type=int, default=200)
ap.add_argument("--top", type=int, default=30)
args = ap.parse_args()

model = onnx.load(args.model)
producer = {o: n for n in model.graph.node for o in n.output}
weights = {i.name: list(i.dims) for i in model.graph.initializer}


def start_of_fusion(output):
    """The node a fused onnxruntime node is credited to: back from its last
    output through activations to the Conv / Gemm / MatMul it starts from."""
    n = producer.get(output)
    while n is not None and n.op_type in ("Relu", "Clip", "HardSwish", "HardSigmoid",
                                          "Sigmoid", "LeakyRelu") \
            and n.input and n.input[0] in producer:
        n = producer[n.input[0]]
    return n


def kind(node):
    if node.op_type != "Conv":
        return node.op_type
    group = next((a.i for a in node.attribute if a.name == "group"), 1)
    w = weights.get(node.input[1], [0, 0, 1, 1])
    return "Conv%s %dx%d" % (" dw" if group > 1 else "", w[2], w[3])


# onnxruntime, profiled.
so = ort.SessionOptions()
so.intra_op_num_threads = args.threads
so.enable_profiling = True
# Both tools' profiles go to one temporary folder, removed at exit.
scratch = tempfile.TemporaryDirectory(prefix="mnemo-compare-")
so.profile_file_prefix = os.path.join(scratch.name, "prof")
sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
feed = {}
for i, inp in enumerate(sess.get_inputs()):
    t = onnx.TensorProto()
    with open(os.path.join(args.data, "input_%d.pb" % i), "rb") as f:
        t.ParseFromString(f.read())
    feed[inp.name] = numpy_helper.to_array(t)
for _ in range(args.repeat):
    sess.run(None, feed)
with open(sess.end_profiling()) as f:
    events = json.load(f)
ort_us, runs = collections.Counter(), collections.Counter()
for e in events:
    if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
        continue
    name = e["name"][:-len("_kernel_time")]
    name = name[:-len("_nchwc")] if name.endswith("_nchwc") else name
    node = start_of_fusion(name)
    key = node.name if node is not None else name
    ort_us[key] += e["dur"]
    runs[key] += 1
ort_us = {k: v / runs[k] for k, v in ort_us.items()}

# mnemo, from profile_nodes.py.
ours_json = os.path.join(scratch.name, "nodes.json")
p = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "profile_nodes.py"), args.model,
                    args.data, "--bindir", args.bindir, "--cpu", args.cpu, "--threads",
                    str(args.threads), "--repeat", str(args.repeat), "--json", ours_json],
                   capture_output=True, text=True,
                   # Under bench/tools/avx2_only.so (onnxruntime held to AVX2)
                   # the preload stays out of mnemo's tools: their crash
                   # handlers would take its CPUID traps.
                   env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"})
if p.returncode != 0:
    sys.exit("compare_nodes: profile_nodes.py failed:\n" + p.stderr[-2000:])
with open(ours_json) as f:
    ours = json.load(f)
latency = ours["median_ms"]
if latency is None:
    sys.exit("compare_nodes: mnemo-run printed no median latency:\n" + p.stdout[-2000:])
by_name = {n.name: n for n in model.graph.node}
rows = [(by_name[name], pct * latency * 10, ort_us.get(name))  # percent of ms -> us
        for name, pct in ours["nodes"].items() if name in by_name]

# Both run under their profilers (perf sampling, onnxruntime's per-node
# timers), which inflate their totals: compare nodes with each other, not
# these totals with the benchmark's medians.
print(f"{os.path.basename(args.model)}: --cpu={args.cpu}, {args.threads} thread(s); mnemo "
      f"median {latency:.3f} ms under perf; onnxruntime {ort.__version__}: "
      f"{sum(ort_us.values()) / 1000:.3f} ms of node time under its profiler")
print(f"{'mnemo us':>9} {'ort us':>8} {'diff':>8}  {'kind':14} node")
for node, ours, theirs in sorted(rows, key=lambda r: -(r[1] - (r[2] or 0)))[:args.top]:
    print(f"{ours:9.1f} {theirs if theirs is not None else float('nan'):8.1f} "
          f"{ours - (theirs or 0):8.1f}  {kind(node):14} {node.name}")
per_kind = collections.defaultdict(lambda: [0.0, 0.0])
for node, ours, theirs in rows:
    per_kind[kind(node)][0] += ours
    per_kind[kind(node)][1] += theirs or 0
print("\nper kind (us): " + ", ".join(
    f"{k} {a:.0f} vs {b:.0f}" for k, (a, b) in sorted(per_kind.items(), key=lambda kv: -kv[1][0])))
