#!/usr/bin/env python3
"""The GEMV share of a GPT-2 decode step on the PIM target, for the real
GPT-2 sizes, in one table:

- PIM (modelled): every layer's four GEMVs (QKV d x 3d, attention
  projection d x d, MLP d x 4d and 4d x d) and the LM head (d x 50257) as
  `pim.gemv`, mapped and emitted by mnemo's own passes (the programs
  `mnemoc --target=pim` writes), concatenated in step order and timed by
  mnemo-pim-sim with the AiM default device: cycles, time, energy.
- GPU roofline: the same weights in bf16 read once at an HBM bandwidth
  (--gpu-tbps, 3.35 TB/s: an H100 SXM), no compute time.
- CPU (measured, sizes listed in --cpu-sizes): a model of exactly these
  GEMVs (one activation row; random weights, built with the onnx helper)
  compiled by mnemoc for this CPU and timed with mnemo-run at 1 and 2
  threads; the same model with --target=pim is run end to end once, its
  outputs checked against the CPU artifact at bf16 tolerance, and its
  modelled device time printed next to the one above.

- Attention against the KV cache in the banks at --context tokens (the
  step's append and the scores and weighted-sum GEMVs of every layer,
  `mnemo-pim-sim --kv-step`, as mnemo-run's device runs them); the GPU
  roofline then also reads the cache (bf16 K and V).

A second table runs whole decode steps end to end (--decode-sizes): a
GPT-2 step of that size with random weights (bench/gpt2_step.py: past
of --context - 8 tokens, 8 greedy steps), compiled for the CPU with
--kv-cache=head-major and timed by mnemo-run at 1 thread, and compiled
with --target=pim --kv-cache=head-major and run by mnemo-run in lockstep
with the exported step's CPU artifact: the device's modelled time and
energy per token (the prompt's upload left out), the host's share
measured on this CPU (step wall time minus the time inside the device
calls, which is simulation), and the worst logit error.

  .venv/bin/python bench/bench_pim.py [--bindir build/bin] [--cpu-sizes 124M]
      [--decode-sizes 124M] [--context 1024]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

SIZES = {  # name: (layers, d)
    "124M": (12, 768),
    "355M": (24, 1024),
    "774M": (36, 1280),
    "1.5B": (48, 1600),
}
VOCAB = 50257

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--sizes", default="124M,355M,774M,1.5B")
ap.add_argument("--cpu-sizes", default="124M",
                help="sizes also measured on this CPU (each builds an f32 model on disk)")
ap.add_argument("--gpu-tbps", type=float, default=3.35)
ap.add_argument("--repeat", type=int, default=20)
ap.add_argument("--workdir", default=None)
ap.add_argument("--context", type=int, default=1024,
                help="tokens in the KV cache (GPT-2's context is 1024)")
ap.add_argument("--decode-sizes", default="124M",
                help="sizes run as whole decode steps (empty: none)")
ap.add_argument("--steps", type=int, default=8)
args = ap.parse_args()
# Without --workdir the traces and artifacts go to a folder removed at exit.
scratch = None if args.workdir else tempfile.TemporaryDirectory(prefix="mnemo-bench-pim-")
work = args.workdir or scratch.name
os.makedirs(work, exist_ok=True)


def tool(name):
    return os.path.join(args.bindir, name)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit("failed: %s\n%s%s" % (" ".join(cmd), p.stdout[-2000:], p.stderr[-2000:]))
    return p.stdout


def layer_shapes(d):
    return [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)]


def time_gemvs(shapes, tag):
    """The programs of `shapes` (in order), one trace, timed."""
    lines = ["func.func @step() {"]
    for i, (k, n) in enumerate(shapes):
        lines.append("  %%w%d = arith.constant dense<0.0> : tensor<%dx%dxf32>" % (i, k, n))
        lines.append("  %%x%d_ = arith.constant dense<0.0> : tensor<1x%dxf32>" % (i, k))
        lines.append("  %%y%d = pim.gemv %%x%d_, %%w%d : tensor<1x%dxf32>, tensor<%dx%dxf32> -> tensor<1x%dxf32>"
                     % (i, i, i, k, k, n, n))
    lines.append("  return\n}")
    src = os.path.join(work, tag + ".mlir")
    open(src, "w").write("\n".join(lines) + "\n")
    mapped = os.path.join(work, tag + ".pim.mlir")
    run([tool("mnemo-opt"), src, "--mnemo-pim-map-gemv", "--mnemo-pim-emit-programs", "-o", mapped])
    asm = run([tool("mnemo-translate"), "--emit-pim-asm", mapped])
    body = [l for l in asm.splitlines() if l and not l.startswith("#") and l != "AiM EOC"]
    trace = os.path.join(work, tag + ".trace")
    open(trace, "w").write("\n".join(body + ["AiM EOC"]) + "\n")
    return json.loads(run([tool("mnemo-pim-sim"), trace, "--json"]))


def build_cpu_model(layers, d, path):
    """One activation row through exactly the step's GEMVs."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    nodes, inits = [], []

    weights = {}

    def weight(name, k, n):
        w = (rng.standard_normal((k, n), dtype=np.float32) / np.sqrt(k)).astype(np.float32)
        weights[name] = w
        inits.append(numpy_helper.from_array(w, name))
        return name

    def gemm(x, w, y):
        nodes.append(helper.make_node("Gemm", [x, w], [y], name=y))
        return y

    inits += [numpy_helper.from_array(np.array([0], np.int64), "zero"),
              numpy_helper.from_array(np.array([d], np.int64), "dlen"),
              numpy_helper.from_array(np.array([1], np.int64), "one"),
              numpy_helper.from_array(np.array(1 / np.sqrt(2), np.float32), "half_sqrt2")]
    h = "h"
    for l in range(layers):
        qkv = gemm(h, weight("w_qkv%d" % l, d, 3 * d), "qkv%d" % l)
        nodes.append(helper.make_node("Slice", [qkv, "zero", "dlen", "one"], ["q%d" % l]))
        p = gemm("q%d" % l, weight("w_proj%d" % l, d, d), "proj%d" % l)
        f = gemm(p, weight("w_fc%d" % l, d, 4 * d), "fc%d" % l)
        o = gemm(f, weight("w_fc2_%d" % l, 4 * d, d), "fc2_%d" % l)
        # The residual, scaled to keep the stream's spread (as the real
        # model's norms do): errors are then comparable across depths.
        nodes.append(helper.make_node("Add", [o, h], ["sum%d" % l]))
        nodes.append(helper.make_node("Mul", ["sum%d" % l, "half_sqrt2"], ["res%d" % l]))
        h = "res%d" % l
    gemm(h, weight("w_head", d, VOCAB), "logits")
    g = helper.make_graph(nodes, "gemv_step",
                          [helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, d])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, VOCAB])],
                          inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, path)
    data = os.path.join(os.path.dirname(path), "data")
    os.makedirs(data, exist_ok=True)
    x = rng.standard_normal((1, d), dtype=np.float32)
    open(os.path.join(data, "input_0.pb"), "wb").write(numpy_helper.from_array(x, "h").SerializeToString())
    # The expected logits in float64.
    h = x.astype(np.float64)
    for l in range(layers):
        q = (h @ weights["w_qkv%d" % l])[:, :d]
        o = ((q @ weights["w_proj%d" % l]) @ weights["w_fc%d" % l]) @ weights["w_fc2_%d" % l]
        h = (o + h) * np.float32(1 / np.sqrt(2))
    want = (h @ weights["w_head"]).astype(np.float32)
    open(os.path.join(data, "output_0.pb"), "wb").write(numpy_helper.from_array(want, "logits").SerializeToString())
    return data, float(want.std())


def median_ms(artifact, data, threads, std):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    # f32 against the float64 reference through the whole GEMV chain
    # (the residual stream grows with depth: tolerance relative to the
    # logits' spread).
    out = run([tool("mnemo-run"), "--artifact", artifact, "--inputs", data,
               "--repeat", str(args.repeat), "--rtol", "1e-3", "--atol", "%g" % (1e-3 * std)],
              env=env)
    return float(re.search(r"median latency: ([0-9.]+) ms", out).group(1))


def time_attention(layers, d):
    """One step's attention against a cache of --context tokens, all layers."""
    out = {}
    for kind in ("key", "value"):
        out[kind] = json.loads(run([tool("mnemo-pim-sim"), "--kv-step", "%s,%d,64,%d,%d" % (
            kind, d // 64, args.context, args.context), "--json"]))
    return (layers * sum(o["seconds"] for o in out.values()),
            layers * sum(o["energy_pj"]["total"] for o in out.values()) * 1e-6)


rows = []
for name in args.sizes.split(","):
    # A GPT-2 size, or LAYERSxD (2x64: a smoke test).
    layers, d = SIZES[name] if name in SIZES else map(int, name.split("x"))
    layer = time_gemvs(layer_shapes(d), "layer_" + name)
    head = time_gemvs([(d, VOCAB)], "head_" + name)
    seconds = layers * layer["seconds"] + head["seconds"]
    energy_uj = (layers * layer["energy_pj"]["total"] + head["energy_pj"]["total"]) * 1e-6
    params = layers * sum(k * n for k, n in layer_shapes(d)) + d * VOCAB
    gpu_s = 2.0 * params / (args.gpu_tbps * 1e12)
    attn_s, attn_uj = time_attention(layers, d)
    kv_bytes = 2 * 2 * layers * args.context * d  # bf16 K and V
    row = {"size": name, "params": params, "pim_us": seconds * 1e6, "pim_uj": energy_uj,
           "gpu_us": gpu_s * 1e6, "util": 2.0 * params / seconds / (layer["peak_gflops"] * 1e9),
           "attn_us": attn_s * 1e6, "attn_uj": attn_uj,
           "gpu_kv_us": (gpu_s + kv_bytes / (args.gpu_tbps * 1e12)) * 1e6}
    if name in args.cpu_sizes.split(","):
        d_dir = os.path.join(work, "cpu_" + name)
        os.makedirs(d_dir, exist_ok=True)
        model = os.path.join(d_dir, "model.onnx")
        data, std = build_cpu_model(layers, d, model)
        cpu_art, pim_art = os.path.join(d_dir, "cpu"), os.path.join(d_dir, "pim")
        run([tool("mnemoc"), model, "-o", cpu_art])
        run([tool("mnemoc"), model, "--target=pim", "-o", pim_art])
        row["cpu1_ms"] = median_ms(cpu_art, data, 1, std)
        row["cpu2_ms"] = median_ms(cpu_art, data, 2, std)
        # bf16 tolerance: inputs and weights rounded to 8-bit mantissas in
        # every GEMV of the chain (49 to 193 of them, no norm between the
        # products of a layer); the worst of 50257 logits within 10% of
        # their spread. The measured worst error is printed.
        out = run([tool("mnemo-run"), "--artifact", pim_art, "--inputs", data,
                   "--rtol", "5e-2", "--atol", "%g" % (0.1 * std)])
        err = re.search(r"max_abs_err ([0-9.e+-]+)", out)
        row["err_std"] = float(err.group(1)) / std if err else None
        m = re.search(r"pim device: .*?\(([0-9.]+) us modelled\)", out)
        row["pim_e2e_us"] = float(m.group(1)) if m else None
        row["match"] = "ok" if " ok" in out and "FAIL" not in out else "MISMATCH"
    rows.append(row)

print("GEMV share of one GPT-2 decode step (1 token; d x 3d, d x d, d x 4d, 4d x d per layer"
      " and the d x %d LM head)" % VOCAB)
print("PIM: GDDR6-AiM default (32 channels, 16.4 TFLOPS peak), mnemo-pim-sim; "
      "GPU: bf16 weights once at %.2f TB/s" % args.gpu_tbps)
hdr = "%-5s %8s %12s %11s %8s %12s %12s %12s %10s %12s %s" % (
    "size", "params", "PIM us", "PIM uJ/tok", "PIM util", "GPU roof us", "CPU 1t ms",
    "CPU 2t ms", "CPU/PIM", "PIM e2e us", "outputs")
print(hdr)
for r in rows:
    cpu1 = r.get("cpu1_ms")
    print("%-5s %7.0fM %12.1f %11.1f %7.1f%% %12.1f %12s %12s %10s %12s %s" % (
        r["size"], r["params"] / 1e6, r["pim_us"], r["pim_uj"], 100 * r["util"], r["gpu_us"],
        "%.1f" % cpu1 if cpu1 else "-", "%.1f" % r["cpu2_ms"] if cpu1 else "-",
        "%.0fx" % (cpu1 * 1e3 / r["pim_us"]) if cpu1 else "-",
        "%.1f" % r["pim_e2e_us"] if r.get("pim_e2e_us") else "-",
        r.get("match", "-") + (" (max err %.1f%% of std)" % (100 * r["err_std"])
                               if r.get("err_std") is not None else "")))
print("PIM vs GPU roofline: " + ", ".join(
    "%s %.2fx" % (r["size"], r["gpu_us"] / r["pim_us"]) for r in rows))

print()
print("Attention against the KV cache in the banks, %d tokens (append + q K^T + p V, "
      "every layer), and the device's whole step" % args.context)
print("%-5s %12s %12s %14s %14s %18s %10s" % ("size", "attn us", "attn uJ", "step PIM us",
                                             "step PIM uJ", "GPU roof+KV us", "GPU/PIM"))
for r in rows:
    step = r["pim_us"] + r["attn_us"]
    print("%-5s %12.1f %12.1f %14.1f %14.1f %18.1f %9.2fx" % (
        r["size"], r["attn_us"], r["attn_uj"], step, r["pim_uj"] + r["attn_uj"], r["gpu_kv_us"],
        r["gpu_kv_us"] / step))


def decode_row(name):
    """A whole GPT-2 decode step of size `name`, CPU and PIM, end to end."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gpt2_step
    layers, d = SIZES[name] if name in SIZES else map(int, name.split("x"))
    past = args.context - args.steps
    top = os.path.join(work, "decode_" + name)
    model, data = gpt2_step.build(top, layers, d, past)
    dims = ["--dim", "total_len=1..%d" % args.context]
    kv = ["--kv-cache=head-major", "--max-seq=%d" % args.context]
    arts = {k: os.path.join(top, k) for k in ("ref", "cpu", "pim")}
    run([tool("mnemoc"), model, "--dim", "past_len=0..%d" % (args.context - 1)] + dims
        + ["-o", arts["ref"]])
    run([tool("mnemoc"), model] + kv + dims + ["-o", arts["cpu"]])
    run([tool("mnemoc"), model, "--target=pim"] + kv + dims + ["-o", arts["pim"]])
    env1 = dict(os.environ, OMP_NUM_THREADS="1")
    steps = ["--decode-steps", str(args.steps)]
    cpu = run([tool("mnemo-run"), "--artifact", arts["cpu"], "--inputs", data] + steps, env=env1)
    cpu_ms = float(re.search(r"median step ([0-9.]+) ms", cpu).group(1))
    # bf16 GEMVs (and scores) through 12-48 layers: the worst logit within
    # 10% of the logits' spread counts as a match; the worst seen is shown.
    pim = run([tool("mnemo-run"), "--artifact", arts["pim"], "--inputs", data, "--reference-artifact",
               arts["ref"], "--rtol", "5e-2", "--atol", "0.1"] + steps, env=env1)
    step_ms = [float(m) for m in re.findall(r", ([0-9.]+) ms, next token", pim)]
    errs = [float(e) for e in re.findall(r"logits max_abs_err ([0-9.e+-]+)", pim)]
    tot = re.search(r"pim device: \d+ GEMV calls, \d+ program runs, (\d+) cycles \(([0-9.]+) us "
                    r"modelled\).*energy ([0-9.]+) uJ", pim)
    call_s = float(re.search(r"([0-9.]+) s of wall time inside the device calls", pim).group(1))
    kv = re.search(r"(\d+) calls, (\d+) tokens written, (\d+) of the cycles .*prompt's (\d+) tokens "
                   r"uploaded in (\d+) cycles, ([0-9.]+) uJ", pim)
    cycles, us, uj = int(tot.group(1)), float(tot.group(2)), float(tot.group(3))
    us_per_cycle = us / cycles
    upload_cycles, upload_uj = int(kv.group(5)), float(kv.group(6))
    n = len(step_ms)
    return {"size": name, "cpu_ms": cpu_ms,
            "dev_us": (cycles - upload_cycles) * us_per_cycle / n,
            "attn_us": (int(kv.group(3)) - upload_cycles) * us_per_cycle / n,
            "dev_uj": (uj - upload_uj) / n,
            "host_ms": (sum(step_ms) - 1e3 * call_s) / n,
            "err": max(errs) if errs else None, "match": "logits match" in pim}


if args.decode_sizes:
    drows = [decode_row(n) for n in args.decode_sizes.split(",")]
    print()
    print("Whole decode steps, %d steps from a past of %d tokens (KV cache in the banks; host: "
          "this CPU, 1 thread)" % (args.steps, args.context - args.steps))
    print("%-5s %12s %14s %14s %14s %14s %14s %10s %s" % (
        "size", "CPU ms/tok", "PIM dev us", "of it attn us", "PIM uJ/tok", "host ms/tok",
        "PIM+host ms", "CPU/(PIM+host)", "logits vs CPU"))
    for r in drows:
        total = r["dev_us"] * 1e-3 + r["host_ms"]
        print("%-5s %12.2f %14.1f %14.1f %14.1f %14.3f %14.3f %9.1fx %s" % (
            r["size"], r["cpu_ms"], r["dev_us"], r["attn_us"], r["dev_uj"], r["host_ms"], total,
            r["cpu_ms"] / total, ("match" if r["match"] else "MISMATCH") +
            (" (max abs err %.3g)" % r["err"] if r["err"] is not None else "")))
