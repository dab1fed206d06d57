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
- a second table, memory from mnemo's plan report for the float model and
  each quantized one: the layer-by-layer peak (live bytes of the fixed op
  order, the planner's lower bound), the order-free bound, the planned
  arena, the arena with patch-based inference and feature slicing
  (each in the op order chosen for memory and in the model's order)
  (--patch-schedule --feature-slice, schedule chosen automatically within
  15% extra MACs over the whole network, --max-network-recompute=0.15) and
  those extra MACs;
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
                "squeezenet1_1,mobilenet_v3_small,resnet18,mobilenet_v2_035_144")
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


def mnemo(name, d, flags=()):
    """Compiles d/model.onnx; the artifact dir, the report and the remarks."""
    out = os.path.join(args.workdir, "artifacts", name)
    report = out + ".report.json"
    p = run([os.path.join(args.bindir, "mnemoc"), os.path.join(d, "model.onnx"), "-o", out,
             "--report", report] + list(flags))
    return out, json.load(open(report)), p.stdout


def network_macs(remarks, total):
    """Extra MACs of the patches over the whole network, from the remark's
    stage figures (stage MACs before -> after) and the network's total."""
    m = re.search(r"extra MACs [0-9.]+% \((\d+) -> (\d+)\)", remarks)
    return (int(m.group(2)) - int(m.group(1))) / total if m and total else 0.0


def total_macs(model_dir):
    """Multiply-accumulates of the whole float network (its Conv, Gemm and
    MatMul layers with weights), from ONNX shape inference."""
    import onnx.shape_inference
    model = onnx.shape_inference.infer_shapes(onnx.load(os.path.join(model_dir, "model.onnx")))
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(model.graph.value_info) + list(model.graph.output)}
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    total = 0
    for n in model.graph.node:
        w = inits.get(n.input[1]) if len(n.input) > 1 else None
        if n.op_type not in ("Conv", "Gemm", "MatMul") or w is None or n.output[0] not in shapes:
            continue
        if n.op_type == "Conv":
            k = int(np.prod(w[1:]))
        elif n.op_type == "Gemm":
            trans_b = any(a.name == "transB" and a.i for a in n.attribute)
            k = w[1] if trans_b else w[0]
        else:
            k = w[0]
        total += int(np.prod(shapes[n.output[0]])) * k
    return total


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


PATCH = ["--patch-schedule", "--feature-slice", "--max-network-recompute=0.15"]


def peaks(report, patched_report):
    """Layer-by-layer (the model's op order's live bytes, the planner's
    lower bound in that order), the order-free bound, the planned arena and
    the patched one, each in the op order chosen for memory (the default)
    and in the model's order."""
    o, po = report["operator_order"], patched_report["operator_order"]
    return dict(lbl=o["fixed_order_bound_bytes"], bound=report["order_free_bound_bytes"],
                arena=report["arena_bytes"], arena_program=o["fixed_order_arena_bytes"],
                patched=patched_report["arena_bytes"],
                patched_program=po["fixed_order_arena_bytes"])


print(f"machine: {cpu_name()}; onnxruntime {ort.__version__}")
hdr = (f"{'model':20} {'format':9} {'dev':>8} {'ort dev':>8} {'top1':>5} "
       f"{'mnemo ms':>9} {'ort ms':>8} {'x ort':>6}")
print(hdr)
print("-" * len(hdr))
rows, mem = [], []
for name in args.models.split(","):
    fp = exported(name)
    _, fp_report, _ = mnemo(name + ".fp32", fp)
    _, fp_preport, fp_premarks = mnemo(name + ".fp32.patched", fp, PATCH)
    net_macs = total_macs(fp)
    fp_peaks = peaks(fp_report, fp_preport)
    mem.append(dict(model=name, format="fp32", extra_macs=network_macs(fp_premarks, net_macs),
                    **fp_peaks))
    for fmt in args.formats.split(","):
        d = quantized(name, fmt)
        data = os.path.join(d, "test_data_set_0")
        ref = tensors(data, "output")[0]
        rec = json.load(open(os.path.join(d, "ort.json")))
        art, report, remarks = mnemo(f"{name}.{fmt}", d)
        part, preport, premarks = mnemo(f"{name}.{fmt}.patched", d, PATCH)
        pdev = float(np.abs(mnemo_outputs(part, data).astype(np.float64) - ref).max())
        y = mnemo_outputs(art, data)
        dev = float(np.abs(y.astype(np.float64) - ref).max())
        top1 = int(y.reshape(-1).argmax()) == rec["ort_fused_top1"]
        ms = mnemo_ms(art, data)
        oms = ort_ms(os.path.join(d, "model.onnx"), tensors(data, "input"))
        folded = re.search(r"qdq: (\d+) layers folded.*?(\d+) left in float", remarks)
        pk = peaks(report, preport)
        row = dict(model=name, format=fmt, dev=dev, ort_dev=rec["ort_fused_max_abs"],
                   top1_match=top1, fp32_arena=fp_report["arena_bytes"],
                   int8_layer_by_layer=pk["lbl"], int8_bound=pk["bound"],
                   int8_arena=pk["arena"], int8_patched=pk["patched"],
                   patched_dev=pdev, mnemo_ms=ms, ort_ms=oms,
                   folded=int(folded.group(1)) if folded else 0,
                   left_in_float=int(folded.group(2)) if folded else 0)
        row["extra_macs"] = network_macs(premarks, net_macs)
        rows.append(row)
        mem.append(dict(model=name, format=fmt, extra_macs=row["extra_macs"], **pk))
        print(f"{name:20} {fmt:9} {dev:8.4f} {row['ort_dev']:8.4f} {'yes' if top1 else 'NO':>5} "
              f"{ms:9.2f} {oms:8.2f} {ms / oms:5.2f}x", flush=True)

print()
print("Peak memory (bytes): layer-by-layer = live bytes in the model's op order; "
      "bound = order-free lower bound; planned, patched = arenas with the op order "
      "chosen for memory (prog = in the model's order, --operator-order=program); "
      "patched = --patch-schedule --feature-slice within 15% extra MACs over the network")
hdr = (f"{'model':20} {'format':9} {'l-b-l':>10} {'bound':>10} {'planned':>10} "
       f"{'prog':>10} {'patched':>10} {'prog':>10} {'l-b-l/pt':>8} {'+MACs':>6}")
print(hdr)
print("-" * len(hdr))
for m in mem:
    print(f"{m['model']:20} {m['format']:9} {m['lbl']:10d} {m['bound']:10d} {m['arena']:10d} "
          f"{m['arena_program']:10d} {m['patched']:10d} {m['patched_program']:10d} "
          f"{m['lbl'] / m['patched']:7.2f}x {100 * m['extra_macs']:5.1f}%")
if args.json:
    with open(args.json, "w") as f:
        json.dump(dict(accuracy=rows, memory=mem), f, indent=1)
