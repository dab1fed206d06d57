#!/usr/bin/env python3
"""Compile time and memory against model size: does mnemoc stay linear?

Writes MLPs (MatMul + Add + Relu layers of [W x W] float32 weights) whose
weights are ONNX external data, from about 50 MB up to --max-mb (default
400), and compiles each with mnemoc -O3 --weights=file (the weights go to
OUT/<name>.weights, never to LLVM) and, up to --embed-max-mb, with the
weights embedded in the object. Prints one row per model and mode: wall
seconds, peak memory (mnemoc's own VmHWM report), the peak above mnemoc's
floor (a one-Relu model: the libraries it maps) as a multiple of the
weight bytes, and seconds per 100 MB; then checks one --weights=file
artifact against onnxruntime. Run with the project's venv:
  .venv/bin/python bench/bench_compile_scale.py --bindir build/bin
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench-compile-scale")
ap.add_argument("--width", type=int, default=2048)
ap.add_argument("--sizes-mb", default="50,100,200,400")
ap.add_argument("--embed-max-mb", type=int, default=100)
args = ap.parse_args()
os.makedirs(args.workdir, exist_ok=True)
mnemoc = os.path.join(args.bindir, "mnemoc")
W = args.width
layer_mb = W * W * 4 / 2**20


def mlp(layers):
    """An MLP of `layers` [W x W] layers, weights as external data."""
    name = f"mlp{layers}"
    d = os.path.join(args.workdir, name)
    path = os.path.join(d, "model.onnx")
    if os.path.exists(path):
        return path
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(layers)
    nodes, inits, x = [], [], "x"
    for i in range(layers):
        w = (rng.standard_normal((W, W)) / np.sqrt(W)).astype(np.float32)
        b = (rng.standard_normal(W) * 0.1).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"),
                  numpy_helper.from_array(b, f"b{i}")]
        nodes += [helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]),
                  helper.make_node("Relu", [f"a{i}"], [f"r{i}"])]
        x = f"r{i}"
    g = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, W])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, W])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=1024)
    return path


def relu_floor():
    d = os.path.join(args.workdir, "relu")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "model.onnx")
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              path)
    return path


def compile_one(model, out, weights):
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    p = subprocess.run([mnemoc, model, "-o", out, "--quiet", "--timing",
                        f"--weights={weights}"],
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    m = re.search(r"peak memory ([0-9.]+) MiB", p.stderr + p.stdout)
    if p.returncode != 0 or not m:
        sys.exit(f"mnemoc failed on {model}: {p.stderr[-500:]}")
    return wall, float(m.group(1))


cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
print(f"machine: {cpu}, {os.cpu_count()} cores")
_, floor = compile_one(relu_floor(), os.path.join(args.workdir, "relu_out"), "embed")
print(f"mnemoc floor (one Relu): {floor:.0f} MiB")
print(f"{'model':10} {'weights MB':>10} {'mode':6} {'wall s':>7} {'peak MiB':>9} "
      f"{'above floor / weights':>22} {'s per 100 MB':>12}")
for mb in [int(s) for s in args.sizes_mb.split(",")]:
    layers = max(1, round(mb / layer_mb))
    model = mlp(layers)
    wmb = layers * (W * W + W) * 4 / 2**20
    for mode in ("file", "embed"):
        if mode == "embed" and mb > args.embed_max_mb:
            continue
        wall, peak = compile_one(model, os.path.join(args.workdir, f"out{layers}_{mode}"), mode)
        print(f"mlp{layers:<7} {wmb:10.0f} {mode:6} {wall:7.1f} {peak:9.0f} "
              f"{(peak - floor) / wmb:21.2f}x {wall / wmb * 100:12.2f}")

# The smallest file-weights artifact against onnxruntime.
try:
    import onnxruntime as ort
    layers = max(1, round(int(args.sizes_mb.split(",")[0]) / layer_mb))
    model = mlp(layers)
    out = os.path.join(args.workdir, f"out{layers}_file")
    data = os.path.join(args.workdir, "check")
    os.makedirs(data, exist_ok=True)
    x = np.random.default_rng(1).standard_normal((1, W)).astype(np.float32)
    y = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    open(os.path.join(data, "input_0.pb"), "wb").write(numpy_helper.from_array(x, "x").SerializeToString())
    open(os.path.join(data, "output_0.pb"), "wb").write(numpy_helper.from_array(y, "y").SerializeToString())
    p = subprocess.run([os.path.join(args.bindir, "mnemo-run"), "--artifact", out,
                        "--inputs", data, "--rtol", "1e-3", "--atol", "1e-4"],
                       capture_output=True, text=True)
    print("check against onnxruntime:", (p.stdout + p.stderr).strip().splitlines()[-1])
except ImportError:
    print("check against onnxruntime: skipped (no onnxruntime)")
