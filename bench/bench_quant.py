#!/usr/bin/env python3
"""Quantized CNNs: accuracy against onnxruntime, memory and latency, in one
invocation.

For each torchvision CNN (random weights with BatchNorm statistics from
random images, test/scripts/export_model.py) the float model is quantized
with onnxruntime's quantizer (test/scripts/quantize_model.py: static,
per-channel int8 weights, uint8 activations) in the QDQ and the QOperator
format. mnemo compiles the float model and both quantized ones; per model
and format the table gives:

- dev: mnemo's max abs deviation from onnxruntime's reference (graph
  optimizations off: the quantized graph's own arithmetic), next to ORT's
  fused int8 path's deviation from the same reference (`ort dev`), and
  whether mnemo's top-1 equals the reference's;
- memory from mnemo's plan report: the layer-by-layer peak (live bytes of
  the fixed op order, the planner's lower bound), the planned arena, and
  the float model's arena for comparison;
- latency at 1 thread (median of --repeat): mnemo vs onnxruntime on the
  same quantized model.

  .venv/bin/python bench/bench_quant.py --bindir build/bin [--models a,b]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench")
ap.add_argument("--repeat", type=int, default=30)
ap.add_argument("--models", default="mobilenet_v2,mnasnet1_0,shufflenet_v2_x1_0,"
                "squeezenet1_1,mobilenet_v3_small,resnet18")
ap.add_argument("--formats", default="qdq,qoperator")
ap.add_argument("--json", default="", help="also write the rows here")
args = ap.parse_args()


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", **kw)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    return p


def exported(name):
    d = os.path.join(args.workdir, name)
    if not os.path.exists(os.path.join(d, "model.onnx")):
        run(["/usr/bin/python3", os.path.join(ROOT, "test", "scripts", "export_model.py"), name, d])
    return d


def quantized(name, fmt):
    d = os.path.join(args.workdir, f"{name}.{fmt}")
    if not os.path.exists(os.path.join(d, "ort.json")):
        run([sys.executable, os.path.join(ROOT, "test", "scripts", "quantize_model.py"),
             exported(name), d, "--format", fmt])
    return d


def tensors(d, prefix):
    out, i = [], 0
    while os.path.exists(os.path.join(d, f"{prefix}_{i}.pb")):
        out.append(numpy_helper.to_array(onnx.load_tensor(os.path.join(d, f"{prefix}_{i}.pb"))))
        i += 1
    return out


def mnemo(name, d):
    """Compiles d/model.onnx; the artifact dir, the report and the remarks."""
    out = os.path.join(args.workdir, "artifacts", name)
    report = out + ".report.json"
    p = run([os.path.join(args.bindir, "mnemoc"), os.path.join(d, "model.onnx"), "-o", out,
             "--report", report])
    return out, json.load(open(report)), p.stdout


def mnemo_outputs(artifact, data):
    got = artifact + ".outputs"
    run([os.path.join(args.bindir, "mnemo-run"), "--artifact", artifact, "--inputs", data,
         "--save-outputs", got, "--rtol", "1e9", "--atol", "1e9"])
    return np.load(os.path.join(got, "output_0.npy"))


def mnemo_ms(artifact, data):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    p = run([os.path.join(args.bindir, "mnemo-run"), "--artifact", artifact, "--inputs", data,
             "--repeat", str(args.repeat), "--rtol", "1e9", "--atol", "1e9"], env=env)
    return float(re.search(r"median latency: ([0-9.]+) ms", p.stdout).group(1))


def ort_ms(model, xs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(s.get_inputs(), xs)}
    for _ in range(3):
        s.run(None, feeds)
    ts = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        s.run(None, feeds)
        ts.append((time.perf_counter() - t0) * 1e3)
    return sorted(ts)[len(ts) // 2]


def cpu_name():
    text = open("/proc/cpuinfo").read()
    m = re.search(r"model name\s*:\s*(.*)", text)
    flags = re.search(r"flags\s*:\s*(.*)", text).group(1).split()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    vnni = " VNNI" if "avx512_vnni" in flags or "avx_vnni" in flags else ""
    return f"{m.group(1).strip() if m else '?'} ({isa}{vnni}, {os.cpu_count()} cores)"


print(f"machine: {cpu_name()}; onnxruntime {ort.__version__}")
hdr = (f"{'model':20} {'format':9} {'dev':>8} {'ort dev':>8} {'top1':>5} "
       f"{'fp32 arena':>11} {'int8 l-b-l':>11} {'int8 arena':>11} {'ratio':>6} "
       f"{'mnemo ms':>9} {'ort ms':>8} {'x ort':>6}")
print(hdr)
print("-" * len(hdr))
rows = []
for name in args.models.split(","):
    fp = exported(name)
    _, fp_report, _ = mnemo(name + ".fp32", fp)
    for fmt in args.formats.split(","):
        d = quantized(name, fmt)
        data = os.path.join(d, "test_data_set_0")
        ref = tensors(data, "output")[0]
        rec = json.load(open(os.path.join(d, "ort.json")))
        art, report, remarks = mnemo(f"{name}.{fmt}", d)
        y = mnemo_outputs(art, data)
        dev = float(np.abs(y.astype(np.float64) - ref).max())
        top1 = int(y.reshape(-1).argmax()) == rec["ref_top1"]
        ms = mnemo_ms(art, data)
        oms = ort_ms(os.path.join(d, "model.onnx"), tensors(data, "input"))
        folded = re.search(r"qdq: (\d+) layers folded.*?(\d+) left in float", remarks)
        row = dict(model=name, format=fmt, dev=dev, ort_dev=rec["ort_fused_max_abs"],
                   top1_match=top1, fp32_arena=fp_report["arena_bytes"],
                   int8_layer_by_layer=report["lower_bound_bytes"],
                   int8_arena=report["arena_bytes"], mnemo_ms=ms, ort_ms=oms,
                   folded=int(folded.group(1)) if folded else 0,
                   left_in_float=int(folded.group(2)) if folded else 0)
        rows.append(row)
        print(f"{name:20} {fmt:9} {dev:8.4f} {row['ort_dev']:8.4f} {'yes' if top1 else 'NO':>5} "
              f"{row['fp32_arena']:11d} {row['int8_layer_by_layer']:11d} {row['int8_arena']:11d} "
              f"{row['fp32_arena'] / row['int8_arena']:5.2f}x {ms:9.2f} {oms:8.2f} "
              f"{ms / oms:5.2f}x", flush=True)
if args.json:
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)
