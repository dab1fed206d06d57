#!/usr/bin/env python3
"""Memory planning benchmark: for MobileNetV2, ResNet-18, SqueezeNet-1.1,
MnasNet (torchvision, exported here) and ../shared/models/gpt2_tiny_decode
(past_len bounded to 1..4096), compiles each model with mnemoc
--planner=ilp --report=...json, then prints naive (no reuse), first-fit,
greedy, ILP and the fixed-order and order-free bounds in bytes, the ILP's
solve time and gap, the ratio ILP / fixed-order bound, checks that the
artifact's <name>_workspace_bytes() equals the plan's arena_bytes, and
gives the ILP arena of a --low-memory compile. A second table sweeps
--sram-budget: SRAM and DRAM arenas and off-chip traffic.

  python3 bench/bench_memory.py --bindir build/bin
"""
import argparse
import ctypes
import json
import os
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench")
ap.add_argument("--shared", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
ap.add_argument("--ilp-time-limit", default="10")
ap.add_argument("--models", default="mobilenet_v2,resnet18,squeezenet1_1,mnasnet1_0,gpt2_tiny_decode")
args = ap.parse_args()
os.makedirs(args.workdir, exist_ok=True)

# One exporter for tests and benchmarks.
EXPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test",
                      "scripts", "export_model.py")


def model_path(name):
    if name == "gpt2_tiny_decode":
        return os.path.join(args.shared, "models", name, "model.onnx"), [
            "--dim", "past_len=1..4096", "--dim", "total_len=2..4097"]
    d = os.path.join(args.workdir, "mem_" + name)
    path = os.path.join(d, "model.onnx")
    if not os.path.exists(path):
        os.makedirs(d, exist_ok=True)
        subprocess.run(["/usr/bin/python3", EXPORT, name, d], check=True,
                       capture_output=True)
    return path, []


rows = []
for name in args.models.split(","):
    path, extra = model_path(name)
    if not os.path.exists(path):
        print(f"SKIP {name}: {path} not found")
        continue
    out = os.path.join(args.workdir, "mem_" + name, "artifact")
    report = os.path.join(out, "report.json")
    cmd = [os.path.join(args.bindir, "mnemoc"), path, "-o", out, "--name", "m",
           "--planner=ilp", "--ilp-time-limit", args.ilp_time_limit,
           "--report=" + report, "--report=" + os.path.join(out, "report.html")] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        sys.exit(f"mnemoc failed on {name}:\n{p.stderr[-3000:]}")
    r = json.load(open(report))
    lib = ctypes.CDLL(os.path.join(out, "libm.so"))
    lib.m_workspace_bytes.restype = ctypes.c_size_t
    ws = lib.m_workspace_bytes()
    # The same model compiled memory-first (--low-memory).
    low = os.path.join(args.workdir, "mem_" + name, "low")
    p = subprocess.run([os.path.join(args.bindir, "mnemoc"), path, "-o", low, "--name", "m",
                        "--emit=mlir", "--low-memory", "--ilp-time-limit", args.ilp_time_limit,
                        "--report=" + os.path.join(low, "report.json")] + extra,
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        sys.exit(f"mnemoc --low-memory failed on {name}:\n{p.stderr[-3000:]}")
    rows.append((name, r, ws, json.load(open(os.path.join(low, "report.json")))))

print("bytes; ILP warm-started from the better of first-fit and greedy, "
      f"time limit {args.ilp_time_limit} s; bound = fixed-order lower bound "
      "(max live bytes over the schedule, in the order chosen for memory); "
      "program-order = the ILP arena with the model's op order "
      "(--operator-order=program); order = how the order was chosen, "
      "moved = units not at their program place")
hdr = (f"{'model':18} {'naive':>11} {'first-fit':>11} {'greedy':>11} {'ilp':>11} "
       f"{'bound':>11} {'order-free':>11} {'ilp/bound':>9} {'gap':>7} {'solve s':>8} "
       f"{'naive/ilp':>9} {'ws==arena':>9} {'low-mem ilp':>11} "
       f"{'program-order':>13} {'order':>8} {'moved':>7} {'order s':>7}")
print(hdr)
ok = True
for name, r, ws, lowr in rows:
    ilp = r["ilp_bytes"]
    same = ws == r["arena_bytes"]
    o = r["operator_order"]  # the ops' order chosen for memory (default)
    ok &= same and ilp <= r["greedy_bytes"] and ilp <= o["fixed_order_arena_bytes"]
    print(f"{name:18} {r['naive_bytes']:11} {r['first_fit_bytes']:11} {r['greedy_bytes']:11} "
          f"{ilp:11} {r['lower_bound_bytes']:11} {r['order_free_bound_bytes']:11} "
          f"{ilp / r['lower_bound_bytes']:9.4f} {r['ilp_gap']:7.4f} {r['solve_seconds']:8.3f} "
          f"{r['naive_bytes'] / ilp:9.2f} {str(same):>9} {lowr['arena_bytes']:11} "
          f"{o['fixed_order_arena_bytes']:13} {o['method']:>8} {o['moved']:3}/{o['units']:<3} "
          f"{o['solve_seconds']:7.3f}")

# On-chip budgets (--sram-budget implies --low-memory, so the bounds are the
# low-memory run's): the smallest possible (the order-free bound: one step's
# inputs + outputs), halfway to the fixed-order bound, and the bound itself
# (no spills needed). Traffic = bytes spilled + reloaded per inference.
print()
print("SRAM budget sweep (--sram-budget): SRAM and DRAM arenas, off-chip traffic")
print(f"{'model':18} {'budget':>11} {'sram':>11} {'dram':>11} {'traffic':>11} "
      f"{'method':>10} {'solve s':>8}")
for name, _, _, r in rows:
    path, extra = model_path(name)
    lo, hi = r["order_free_bound_bytes"], r["lower_bound_bytes"]
    budgets = sorted({lo, (lo + hi) // 2 // 64 * 64, hi})
    for budget in budgets:
        out = os.path.join(args.workdir, "mem_" + name, f"sram_{budget}")
        rep = os.path.join(out, "report.json")
        p = subprocess.run([os.path.join(args.bindir, "mnemoc"), path, "-o", out,
                            "--name", "m", "--emit=mlir", f"--sram-budget={budget}",
                            "--ilp-time-limit", args.ilp_time_limit, "--report=" + rep] + extra,
                           capture_output=True, text=True, errors="replace")
        if p.returncode != 0:
            print(f"{name:18} {budget:11} infeasible: {p.stderr.strip().splitlines()[-1][-120:]}")
            continue
        t = json.load(open(rep))
        ok &= t["sram_bytes"] <= budget
        print(f"{name:18} {budget:11} {t['sram_bytes']:11} {t['dram_bytes']:11} "
              f"{t['offchip_traffic_bytes']:11} {t['planner']:>10} {t['solve_seconds']:8.3f}")
sys.exit(0 if ok else 1)
