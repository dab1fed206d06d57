#!/usr/bin/env python3
"""CPU latency of mnemo artifacts against onnxruntime, in one invocation.

For MobileNetV2 (exported from Debian's torchvision, random weights) and the
shared gpt2_tiny_decode step: compiles with mnemoc, times the artifact with
mnemo-run --repeat, times onnxruntime (PyPI) with 1 and 2 intra-op threads
(mnemo with OMP_NUM_THREADS 1 and 2), and prints a table with the ratio
mnemo / onnxruntime.

Run with the project's venv python (it needs onnxruntime):
  .venv/bin/python bench/bench_cpu.py --bindir build/bin
"""
import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench")
ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
ap.add_argument("--repeat", type=int, default=50)
args = ap.parse_args()
os.makedirs(args.workdir, exist_ok=True)


def mobilenet():
    out = os.path.join(args.workdir, "mobilenet_v2")
    model = os.path.join(out, "model.onnx")
    data = os.path.join(out, "test_data_set_0")
    if not os.path.exists(model):
        os.makedirs(data, exist_ok=True)
        code = ("import torch, torchvision; torch.manual_seed(0); "
                "m = torchvision.models.mobilenet_v2(weights=None).eval(); "
                f"torch.onnx.export(m, torch.randn(1, 3, 224, 224), '{model}', "
                "opset_version=17, input_names=['input'], output_names=['logits'])")
        subprocess.run(["/usr/bin/python3", "-c", code], check=True)
        x = np.random.RandomState(0).randn(1, 3, 224, 224).astype(np.float32)
        open(os.path.join(data, "input_0.pb"), "wb").write(
            numpy_helper.from_array(x, "input").SerializeToString())
    return "MobileNetV2", model, data


def gpt2():
    d = os.path.join(args.shared, "models", "gpt2_tiny_decode")
    return "gpt2_tiny_decode", os.path.join(d, "model.onnx"), os.path.join(d, "test_data_set_0")


def mnemo_ms(model, data, threads, repeat):
    # The artifact's parallel loops run on OpenMP threads.
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    p = subprocess.run([os.path.join(args.bindir, "mnemo-run"), model, "--inputs", data,
                        "--repeat", str(repeat), "--rtol", "1e-3", "--atol", "1e-4"],
                       capture_output=True, text=True, errors="replace", env=env)
    m = re.search(r"median latency: ([0-9.]+) ms", p.stdout)
    if not m:
        sys.exit(f"mnemo-run failed on {model}:\n{p.stdout}\n{p.stderr[-2000:]}")
    return float(m.group(1))


def ort_ms(model, data, threads, repeat):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    feeds = {}
    for i, inp in enumerate(s.get_inputs()):
        t = onnx.TensorProto()
        t.ParseFromString(open(os.path.join(data, f"input_{i}.pb"), "rb").read())
        feeds[inp.name] = numpy_helper.to_array(t)
    for _ in range(5):
        s.run(None, feeds)
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        s.run(None, feeds)
        ts.append((time.perf_counter() - t0) * 1e3)
    return sorted(ts)[len(ts) // 2]


rows = []
for name, model, data in (mobilenet(), gpt2()):
    if not os.path.exists(model):
        print(f"SKIP {name}: {model} not found")
        continue
    # Sub-millisecond models get 10x the runs: their medians are noisy.
    repeat = args.repeat * (10 if name.startswith("gpt2") else 1)
    for threads in (1, 2):
        mn = mnemo_ms(model, data, threads, repeat)
        o = ort_ms(model, data, threads, repeat)
        rows.append((name, threads, mn, o))

print(f"onnxruntime {ort.__version__}; median of {args.repeat} runs "
      f"({args.repeat * 10} for gpt2); "
      "threads = OMP_NUM_THREADS for mnemo, intra_op_num_threads for onnxruntime")
print(f"{'model':18} {'threads':>7} {'mnemo ms':>10} {'ort ms':>10} {'mnemo/ort':>10}")
for name, threads, mn, o in rows:
    print(f"{name:18} {threads:7} {mn:10.3f} {o:10.3f} {mn / o:10.2f}")
