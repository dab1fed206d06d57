#!/usr/bin/env python3
"""Prepares CUDA artifacts for scripts/gpu-check.sh run on a GPU machine.

For each conformance test on the CPU's expected-pass list (and each real
model given), compiles it with `mnemo-run --target=cuda --keep` (which
exits 77 here: no GPU) and writes into OUT/<test>/ the shared library, a
check.txt manifest (symbol prefix, dim values, workspace bytes, inputs,
outputs with dtype, element count and tolerances) and the inputs and
reference outputs as raw tensors, so the GPU side needs no LLVM, protobuf
or Python (tools/mnemo-cuda-check)."""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

from onnx import TensorProto, numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("--run", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--expected")
ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
ap.add_argument("--model", action="append", default=[],
                help="DIR or MODEL.onnx:DATA, with @tf32, @fp16 or @bf16 appended: compiled "
                     "with that --gpu-precision and compared at rtol = atol = 2e-2")
ap.add_argument("--rtol", default="1e-3")
ap.add_argument("--atol", default="1e-4")
args = ap.parse_args()

tests = []
if args.expected and os.path.isdir(args.data):
    for line in open(args.expected):
        t = line.strip()
        if t and not t.startswith("#"):
            tests.append((t.replace("/", "_"), os.path.join(args.data, t, "model.onnx"),
                          os.path.join(args.data, t, "test_data_set_0"), "fp32"))
for spec in args.model:
    spec, _, precision = spec.partition("@")
    precision = precision or "fp32"
    suffix = "" if precision == "fp32" else "_" + precision
    if ".onnx:" in spec:
        m, d = spec.split(".onnx:", 1)
        tests.append(("model_" + os.path.basename(m) + suffix, m + ".onnx", d, precision))
    else:
        tests.append(("model_" + os.path.basename(os.path.normpath(spec)) + suffix,
                      os.path.join(spec, "model.onnx"), os.path.join(spec, "test_data_set_0"),
                      precision))


def tensors(data, prefix):
    out = []
    for f in sorted(glob.glob(os.path.join(data, prefix + "_*.pb")),
                    key=lambda p: int(p.rsplit("_", 1)[1][:-3])):
        t = TensorProto()
        t.ParseFromString(open(f, "rb").read())
        out.append((t.name, numpy_helper.to_array(t)))
    return out


made = failed = 0
for label, model, data, precision in tests:
    d = os.path.join(args.out, label)
    shutil.rmtree(d, ignore_errors=True)
    # tf32 and fp16 keep 10 mantissa bits of each product's inputs, bf16 7
    # (the products' own references are rounded as the kernels do).
    rtol, atol = (args.rtol, args.atol) if precision == "fp32" else ("2e-2", "2e-2")
    p = subprocess.run([args.run, model, "--inputs", data, "--target=cuda",
                        "--gpu-precision=" + precision,
                        "--specialize-shape-inputs", "--keep", d],
                       capture_output=True, text=True, errors="replace")
    sigs = [f for f in glob.glob(os.path.join(d, "*.json")) if not f.endswith(".kernels.json")]
    if p.returncode not in (0, 77) or not sigs:
        print(f"SKIP {label}: did not compile ({p.returncode})")
        shutil.rmtree(d, ignore_errors=True)
        failed += 1
        continue
    sig = json.load(open(sigs[0]))
    try:
        ins, outs = tensors(data, "input"), tensors(data, "output")
    except (ValueError, TypeError):  # a sequence or optional: no raw tensor
        print(f"SKIP {label}: inputs or outputs are not plain tensors")
        shutil.rmtree(d, ignore_errors=True)
        failed += 1
        continue
    by_name = {n: a for n, a in ins}
    lines = [f"name {sig['name']}",
             "dims %d %s" % (len(sig["dims"]), " ".join(str(x["lo"]) for x in sig["dims"])),
             f"workspace {sig['workspace_bytes']}"]
    for i, t in enumerate(sig["inputs"]):
        a = by_name.get(t["name"], ins[i][1] if i < len(ins) else None)
        f = f"in{i}.bin"
        a.tofile(os.path.join(d, f))
        lines.append(f"input {a.nbytes} {f}")
    for j, (_, a) in enumerate(outs[:len(sig["outputs"])]):
        f = f"out{j}.bin"
        a.tofile(os.path.join(d, f))
        lines.append(f"output {sig['outputs'][j]['dtype']} {a.size} {f} {rtol} {atol}")
    open(os.path.join(d, "check.txt"), "w").write("\n".join(lines) + "\n")
    for f in os.listdir(d):  # keep what the GPU side reads
        if not (f.endswith(".so") or f.endswith(".bin") or f == "check.txt"
                or f.endswith(".kernels.json")):
            os.remove(os.path.join(d, f))
    made += 1
print(f"prepared {made} artifacts in {args.out} ({failed} skipped)")
