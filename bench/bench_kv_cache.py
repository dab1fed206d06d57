#!/usr/bin/env python3
"""KV-cache layout benchmark (issue 6): a decoder step as exported (past
K/V in, present K/V out: Concat copies the cache every step) against the
step rewritten by `mnemoc --kv-cache=LAYOUT` (a cache of --max-seq
positions updated in place), for past lengths T in {128, 512, 2048, 4096}.
Models: the Llama-style step of test/scripts/export_model.py
(tiny_llama_decode: 2 layers, 2 KV heads of 16, rotary positions, vocab
32000) at every T, and the shared GPT-2 step
(../shared/models/gpt2_tiny_decode, 4 heads of 16, vocab 50257) at T =
128 only: its learned position table has 256 rows. For each T and layout, mnemo-run --decode-steps runs 8 greedy
steps of both artifacts in lockstep (same invocation) from a random past of
T tokens and prints:

  - KV bytes written per step: the exported step's present outputs (the
    whole cache, T + 1 tokens, written by the step), and for the rewritten
    step the bytes of the caller's cache that changed (measured by
    comparing the cache before and after the call, so a lower bound on
    what was written; 1024 bytes per token for the fp32 layouts);
  - median step latency of each (1 thread; the caller's copy of presents
    back into pasts is not timed, so the exported step is favoured);
  - the largest logits difference between the two over the 8 steps (for
    int8 and kivi2: the drift the quantized cache causes against the fp32
    cache of the exported step);
  - the cache's bytes per token: every cache tensor of the artifact (its
    JSON signature), minus the fixed full-precision group of the
    quantized layouts, over --max-seq positions; that group's bytes are
    printed beside it.

  python3 bench/bench_kv_cache.py --bindir build/bin
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

import numpy as np
from onnx import numpy_helper

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench/kv")
ap.add_argument("--shared", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
ap.add_argument("--lengths", default="128,512,2048,4096")
ap.add_argument("--layouts", default="head-major,token-major,paged,int8,kivi2")
ap.add_argument("--steps", type=int, default=8)
args = ap.parse_args()

lengths = [int(t) for t in args.lengths.split(",")]
max_seq = (max(lengths) + args.steps + 15) // 16 * 16
os.makedirs(args.workdir, exist_ok=True)
env = dict(os.environ, OMP_NUM_THREADS="1")


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit("bench_kv_cache: %s failed:\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


mnemoc = os.path.join(args.bindir, "mnemoc")
mrun = os.path.join(args.bindir, "mnemo-run")
here = os.path.dirname(os.path.abspath(__file__))
llama_dir = os.path.join(args.workdir, "tiny_llama_decode")
if not os.path.exists(os.path.join(llama_dir, "model.onnx")):
    subprocess.run([sys.executable, os.path.join(here, "..", "test", "scripts", "export_model.py"),
                    "tiny_llama_decode", llama_dir], check=True, capture_output=True)
models = [("llama", os.path.join(llama_dir, "model.onnx"), 2, lengths, ["--dim", "seq=1..1"])]
gpt2 = os.path.join(args.shared, "models", "gpt2_tiny_decode", "model.onnx")
if os.path.exists(gpt2):
    models.append(("gpt2", gpt2, 4, [t for t in lengths if t < 250], []))
else:
    print("SKIP gpt2_tiny_decode: %s not found (give --shared)" % gpt2)

def cache_bytes(art):
    """(bytes per token, fixed bytes) of an artifact's caches."""
    sig = json.load(open(glob.glob(os.path.join(art, "*.json"))[0]))
    per_token, fixed = 0.0, 0
    for t in sig["inputs"]:
        kv = t.get("kv")
        if not kv or kv.get("role") != "cache":
            continue
        n = int(np.prod(t["shape"])) * np.dtype(DTYPES[t["dtype"]]).itemsize
        if kv["part"] == "group":
            fixed += n
        else:
            per_token += n / kv["max_seq"]
    return per_token, fixed


DTYPES = {"float32": np.float32, "int8": np.int8, "int64": np.int64}
rng = np.random.default_rng(0)
rows = []
for mname, model, kv_heads, ts, extra in models:
    if not ts:
        continue
    bounds = ["--dim", "total_len=1..%d" % max_seq] + extra
    wd = os.path.join(args.workdir, mname)
    orig = os.path.join(wd, "exported")
    run([mnemoc, model, "-o", orig, "--dim", "past_len=0..%d" % (max_seq - 1)] + bounds)
    arts = {}
    for layout in args.layouts.split(","):
        arts[layout] = os.path.join(wd, layout)
        run([mnemoc, model, "-o", arts[layout], "--kv-cache=" + layout,
             "--max-seq=%d" % max_seq] + bounds)
    for t in ts:
        d = os.path.join(wd, "inputs_T%d" % t)
        os.makedirs(d, exist_ok=True)
        tensors = [("input_ids", np.array([[464]], dtype=np.int64))]
        if mname == "llama":
            tensors.append(("position_ids", np.array([[t]], dtype=np.int64)))
        tensors.append(("attention_mask", np.ones((1, t + 1), dtype=np.int64)))
        for layer in range(2):
            for kind in ("key", "value"):
                tensors.append(("past_key_values.%d.%s" % (layer, kind),
                                rng.standard_normal((1, kv_heads, t, 16)).astype(np.float32)))
        for i, (name, value) in enumerate(tensors):
            with open(os.path.join(d, "input_%d.pb" % i), "wb") as f:
                f.write(numpy_helper.from_array(value, name).SerializeToString())
        for layout, art in arts.items():
            quant = layout in ("int8", "kivi2")
            tol = ["--rtol", "0", "--atol", "10"] if quant else ["--rtol", "1e-5", "--atol", "1e-6"]
            out = run([mrun, "--artifact", art, "--inputs", d, "--decode-steps", str(args.steps),
                       "--reference-artifact", orig] + tol)
            steps = re.findall(r"max_abs_err (\S+) \w+, kv bytes written (\d+) \(reference (\d+)\)", out)
            med = re.search(r"median step ([\d.]+) ms \(reference ([\d.]+) ms\)", out)
            err = max(float(x[0]) for x in steps)
            mine = max(int(x[1]) for x in steps)
            ref = int(steps[-1][2])
            per_token, fixed = cache_bytes(art)
            rows.append((mname, t, layout, ref, mine, float(med.group(2)), float(med.group(1)), err,
                         per_token, fixed))

print("| model | past T | layout | exported: KV bytes written/step | rewritten: cache bytes changed/step (max) | exported step ms | rewritten step ms | speedup | max logits diff | cache bytes/token (+ fixed) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for mname, t, layout, ref, mine, ms_ref, ms, err, per_token, fixed in rows:
    print("| %s | %d | %s | %d | %d | %.3f | %.3f | %.2fx | %.2g | %.0f%s |" % (
        mname, t, layout, ref, mine, ms_ref, ms, ms_ref / ms, err, per_token,
        " (+ %d)" % fixed if fixed else ""))
