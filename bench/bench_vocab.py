#!/usr/bin/env python3
"""Vocabulary parallelism benchmark (issue 6): the vocabulary layers of a
decoder (token embedding E [V, D], LM head W [D, V]) on synthetic models
for V in {32000, 50257, 256000}, D = 64, a prefill of N = 128 tokens:

    input_ids [1, N] -> Gather(E) -> Tanh (stands for the decoder body)
                     -> MatMul(W) -> logits [1, N, V]

and for P in {1, 2, 4}:

  exported        mnemoc as is: the whole logits are the output
  argmax chunks   --vocab-parallel=P --lm-head-output=argmax: P head slices
                  in sequence, their argmax merged as they come
  argmax ranks    ... --vocab-ranks under mpirun -np P: each rank holds
                  V / P rows of E and W, merged with MPI_Allreduce
  logits ranks    the same returning all logits (an all-gather)

Per rank it prints the vocabulary weights it holds, its planned activation
memory (mnemoc's workspace arena plus the outputs), the max RSS mnemo-run
measured (process, code and weights paged in included), the median latency
of 20 runs (1 thread per rank; this machine has 2 cores, so 4 ranks are
oversubscribed and their latency is not a speedup measurement), and a
check: ids equal numpy's argmax of the exported logits, logits equal them.

  python3 bench/bench_vocab.py --bindir build/bin
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench/vocab")
ap.add_argument("--vocabs", default="32000,50257,256000")
ap.add_argument("--parts", default="1,2,4")
ap.add_argument("--tokens", type=int, default=128)
ap.add_argument("--dmodel", type=int, default=64)
ap.add_argument("--repeat", type=int, default=20)
args = ap.parse_args()

env = dict(os.environ, OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
           OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_btl="self,vader")
mnemoc = os.path.join(args.bindir, "mnemoc")
mrun = os.path.join(args.bindir, "mnemo-run")
N, D = args.tokens, args.dmodel


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit("bench_vocab: %s failed:\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def make_model(d, V):
    """A synthetic embedding + LM head and random token ids."""
    path = os.path.join(d, "model.onnx")
    if os.path.exists(path):
        return path
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    rng = np.random.default_rng(V)
    E = rng.standard_normal((V, D)).astype(np.float32)
    W = (rng.standard_normal((D, V)) / np.sqrt(D)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gather", ["E", "input_ids"], ["h"], name="embed"),
         helper.make_node("Tanh", ["h"], ["t"], name="body"),
         helper.make_node("MatMul", ["t", "W"], ["logits"], name="lm_head")],
        "vocab_layers",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, N])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, N, V])],
        [numpy_helper.from_array(E, "E"), numpy_helper.from_array(W, "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, path)
    ids = rng.integers(0, V, size=(1, N), dtype=np.int64)
    with open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(ids, "input_ids").SerializeToString())
    return path


def planned(art):
    """Workspace arena + outputs of an artifact (rank 0's for a rank build)."""
    if os.path.isdir(os.path.join(art, "rank0")):
        art = os.path.join(art, "rank0")
    sig = json.load(open(os.path.join(art, "model.json")))
    return sig["workspace_bytes"] + sum(max(o["max_bytes"], 0) for o in sig["outputs"])


def measure(art, inputs, ranks):
    out_dir = art + ".out"
    cmd = [mrun, "--artifact", art, "--inputs", inputs, "--repeat", str(args.repeat),
           "--save-outputs", out_dir]
    if ranks > 1:
        cmd = ["mpirun", "--oversubscribe", "-np", str(ranks)] + cmd
    text = run(cmd)
    ms = float(re.search(r"median latency: ([0-9.]+) ms", text).group(1))
    rss = float(re.search(r"max RSS: ([0-9.]+) MiB", text).group(1))
    return ms, rss, np.load(os.path.join(out_dir, "output_0.npy"))


rows = []
for V in [int(v) for v in args.vocabs.split(",")]:
    d = os.path.join(args.workdir, "v%d" % V)
    model = make_model(d, V)
    inputs = os.path.join(d, "test_data_set_0")
    weights = 2 * V * D * 4

    def build(name, *flags):
        art = os.path.join(d, name)
        if not os.path.exists(os.path.join(art, "model.json")) and \
                not os.path.exists(os.path.join(art, "rank0", "model.json")):
            run([mnemoc, model, "-o", art] + list(flags))
        return art

    art = build("exported")
    ms0, rss0, logits = measure(art, inputs, 1)
    want = logits.argmax(-1)
    rows.append((V, 1, "exported logits", weights, planned(art), rss0, ms0, "reference"))
    for P in [int(p) for p in args.parts.split(",")]:
        art = build("argmax_chunks%d" % P, "--vocab-parallel=%d" % P,
                    "--lm-head-output=argmax")
        ms, rss, ids = measure(art, inputs, 1)
        ok = "ids ok" if np.array_equal(ids, want) else "ids DIFFER"
        rows.append((V, P, "argmax chunks", weights, planned(art), rss, ms, ok))
        if P < 2:
            continue
        for out in ("argmax", "logits"):
            art = build("%s_ranks%d" % (out, P), "--vocab-parallel=%d" % P,
                        "--vocab-ranks", "--lm-head-output=%s" % out)
            ms, rss, got = measure(art, inputs, P)
            if out == "argmax":
                ok = "ids ok" if np.array_equal(got, want) else "ids DIFFER"
            else:
                ok = "logits equal" if np.array_equal(got, logits) else \
                    "max err %.2g" % np.abs(got - logits).max()
            rows.append((V, P, out + " ranks", weights // P, planned(art), rss, ms, ok))

print("vocabulary layers, D = %d, N = %d tokens, per rank (1 thread each)" % (D, N))
print("| V | P | mode | vocab weights MB | planned activations MB | vs exported | max RSS MiB | median ms | vs exported | check |")
print("|---|---|---|---|---|---|---|---|---|---|")
base = {}
for V, P, mode, w, act, rss, ms, ok in rows:
    if mode == "exported logits":
        base[V] = (act, ms)
    print("| %d | %d | %s | %.1f | %.2f | %.3fx | %.0f | %.3f | %.2fx | %s |" % (
        V, P, mode, w / 1e6, act / 1e6, act / base[V][0], rss, ms, ms / base[V][1], ok))
