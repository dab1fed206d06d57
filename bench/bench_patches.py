#!/usr/bin/env python3
"""Patch-based inference and feature slicing benchmark (issue 5): for
MobileNetV2, MnasNet and ResNet-18 (torchvision, random weights) and
tiny_gpt (a two-layer GPT-style prefill), exported by
test/scripts/export_model.py with torch's outputs as reference, prints the
planned activation peak (the ILP arena, bytes) of the layer-by-layer plan,
of --low-memory, with the patch schedule the compiler chooses at
--max-recompute 0.2 and 0.5 (and MobileNetV2's published cut, p = 4), and
with feature slicing (--feature-slice), tiled for 256 KiB of fast memory
(--tile-budget), with the schedule's extra MACs in
the stage, the
peak ratio, and the median latency of each patched artifact relative to
the unpatched one (mnemo-run --repeat, 1 thread, same invocation). Every
artifact is also checked against the reference outputs.

  python3 bench/bench_patches.py --bindir build/bin
"""
import argparse
import json
import os
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench")
ap.add_argument("--repeat", type=int, default=20)
ap.add_argument("--models", default="mobilenet_v2,mnasnet1_0,resnet18,tiny_gpt")
args = ap.parse_args()
os.makedirs(args.workdir, exist_ok=True)

# One exporter for tests and benchmarks (torchvision or tiny_gpt).
EXPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test",
                      "scripts", "export_model.py")

PUBLISHED_CUT = {"mobilenet_v2": "/features/features.4/conv/conv.2/Conv"}


def export(name):
    d = os.path.join(args.workdir, "patch_" + name)
    if not os.path.exists(os.path.join(d, "test_data_set_0", "output_0.pb")):
        os.makedirs(d, exist_ok=True)
        subprocess.run(["/usr/bin/python3", EXPORT, name, d], check=True,
                       capture_output=True)
    return d


def compile_and_run(d, label, flags):
    """Compiles with `flags`, checks the outputs, returns (arena bytes,
    schedule line, extra MAC fraction or None, median ms)."""
    out = os.path.join(d, label)
    rep = os.path.join(out, "r.json")
    os.makedirs(out, exist_ok=True)
    p = subprocess.run([os.path.join(args.bindir, "mnemoc"), os.path.join(d, "model.onnx"),
                        "-o", out, "--name", "m", "--report=" + rep] + flags,
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        sys.exit(f"mnemoc {' '.join(flags)} failed:\n{p.stderr[-2000:]}")
    sched = next((l for l in p.stdout.splitlines() if l.startswith("patch schedule")), "")
    m = re.search(r"extra MACs ([0-9.]+)%", sched)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run([os.path.join(args.bindir, "mnemo-run"), "--artifact=" + out,
                        "--inputs", os.path.join(d, "test_data_set_0"), "--rtol", "1e-3",
                        "--atol", "1e-4", "--repeat", str(args.repeat)],
                       capture_output=True, text=True, errors="replace", env=env)
    t = re.search(r"median latency: ([0-9.]+) ms", r.stdout)
    if r.returncode != 0 or not t:
        sys.exit(f"mnemo-run {label} failed:\n{r.stdout}\n{r.stderr[-2000:]}")
    return (json.load(open(rep))["arena_bytes"], sched,
            float(m.group(1)) / 100 if m else None, float(t.group(1)))


print("planned activation peak (ILP arena, bytes); extra = the stage's extra MACs; "
      f"latency = median of {args.repeat} runs, 1 thread, relative to layer-by-layer")
print(f"{'model':14} {'variant':28} {'peak':>10} {'vs l-b-l':>8} {'extra':>7} "
      f"{'ms':>8} {'latency':>7}")
ok = True
for name in args.models.split(","):
    d = export(name)
    variants = [("layer-by-layer", []), ("--low-memory", ["--low-memory"])]
    if name != "tiny_gpt":
        variants += [("patches, recompute <= 20%", ["--patch-schedule"]),
                     ("patches, recompute <= 50%", ["--patch-schedule",
                                                    "--max-recompute=0.5"])]
    variants.append(("with slicing", ["--feature-slice"]))
    # Tiles sized for 256 KiB of fast memory (attention fused into the
    # FlashAttention form for tiny_gpt); the arena shows what tiling does
    # to the live set, the latency what the tile loops cost.
    variants.append(("tiled for 256 KiB", ["--tile-budget=256KiB"]))
    if name in PUBLISHED_CUT:
        variants.append(("published cut, p = 4", ["--patches=4",
                                                 "--patch-cut=" + PUBLISHED_CUT[name]]))
    base = None
    for label, flags in variants:
        peak, sched, extra, ms = compile_and_run(d, re.sub(r"[^a-z0-9]+", "_", label), flags)
        base = base or (peak, ms)
        ok &= peak <= base[0]
        print(f"{name:14} {label:28} {peak:10} {base[0] / peak:7.2f}x "
              f"{'-' if extra is None else f'{extra:.1%}':>7} {ms:8.2f} {ms / base[1]:6.2f}x")
        if sched:
            print(f"{'':14}   {sched}")
sys.exit(0 if ok else 1)
