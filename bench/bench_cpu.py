#!/usr/bin/env python3
"""CPU latency of mnemo artifacts per ISA level against onnxruntime and IREE,
in one invocation.

Models: six torchvision CNNs (random weights, exported by
test/scripts/export_model.py with Debian's torch), the shared GPT-2 decode
step and the Llama-style decode step of export_model.py. For each model:

- mnemo at --cpu=x86-64-v3 (AVX2 + FMA code, runs on any AVX2 machine), at
  --cpu=host, and at --cpu=x86-64-v4 where the host has AVX-512; compiled
  and checked against the model's reference outputs by mnemo-run, then
  timed with mnemo-run --repeat at OMP_NUM_THREADS 1 and 2;
- onnxruntime (PyPI, CPU provider, its own kernels for the host's best ISA)
  with 1 and 2 intra-op threads; on an AVX-512 host also onnxruntime held
  to its AVX2 kernels (bench/tools/avx2_only.c hides AVX-512 from CPUID
  through Linux CPUID faulting), the peer of mnemo's x86-64-v3 code;
- IREE (PyPI iree-base-compiler/-runtime, llvm-cpu backend,
  --iree-llvmcpu-target-cpu=host) through iree-benchmark-module:
  local-sync (1 thread) and local-task with 2 workers.

All contenders of one model and thread count are timed in interleaved
rounds (--rounds, default 5): each round runs each of them in turn, and a
contender's time is the lowest of its rounds' medians. On a shared machine
whose speed moves from minute to minute this compares like with like far
better than one long median per contender.

Prints the machine (CPU model, ISA, LLVM's name for it) and one table row
per model and thread count, with mnemo / onnxruntime and mnemo / IREE
ratios; then the compile cost per model: mnemoc (--cpu=host, -O3) wall
time and peak memory (the child's max RSS), the same above mnemoc's own
floor (a one-Relu model: the libraries it maps), as a multiple of the
model's weight bytes, and the private peak (RssAnon: without the shared
libraries' pages), embedded and with --weights=file, beside
iree-compile's time, peak and private peak. Run with the project's venv (scripts/bench.sh makes it):
  .venv/bin/python bench/bench_cpu.py --bindir build/bin [--models a,b]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--bindir", default="build/bin")
ap.add_argument("--workdir", default="build/bench")
ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared"))
ap.add_argument("--repeat", type=int, default=50,
                help="runs per model and thread count, spread over the rounds")
ap.add_argument("--rounds", type=int, default=5,
                help="interleaved rounds: each runs every contender in turn with "
                "repeat/rounds runs; a contender's time is its best round's median, "
                "so a minute of load from elsewhere on the machine hits all alike")
ap.add_argument("--models", default="", help="comma-separated subset")
ap.add_argument("--threads", default="1,2")
ap.add_argument("--levels", default="", help="mnemo --cpu values "
                "(default: x86-64-v3,host and x86-64-v4 on AVX-512 hosts)")
ap.add_argument("--no-iree", action="store_true")
ap.add_argument("--no-compile-cost", action="store_true",
                help="skip the compile time / memory table")
ap.add_argument("--ort-only", nargs=3, metavar=("MODEL", "DATA", "THREADS"),
                help=argparse.SUPPRESS)  # the AVX2-only onnxruntime child
args = ap.parse_args()
os.makedirs(args.workdir, exist_ok=True)
THREADS = [int(t) for t in args.threads.split(",")]

CNNS = ["mobilenet_v2", "mnasnet1_0", "shufflenet_v2_x1_0", "squeezenet1_1",
        "mobilenet_v3_small", "resnet18"]


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        text = f.read()
    name = re.search(r"model name\s*:\s*(.*)", text)
    flags = re.search(r"flags\s*:\s*(.*)", text)
    return (name.group(1).strip() if name else "unknown",
            set(flags.group(1).split()) if flags else set())


def exported(name):
    d = os.path.join(args.workdir, name)
    if not os.path.exists(os.path.join(d, "model.onnx")):
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "..", "test", "scripts",
                                                         "export_model.py"), name, d],
                       check=True, capture_output=True)
    return os.path.join(d, "model.onnx"), os.path.join(d, "test_data_set_0")


def models():
    out = [(n, *exported(n)) for n in CNNS]
    g = os.path.join(args.shared, "models", "gpt2_tiny_decode")
    if os.path.exists(os.path.join(g, "model.onnx")):
        out.append(("gpt2_tiny_decode", os.path.join(g, "model.onnx"),
                    os.path.join(g, "test_data_set_0")))
    else:
        print(f"SKIP gpt2_tiny_decode: {g} not found")
    out.append(("tiny_llama_decode", *exported("tiny_llama_decode")))
    if args.models:
        keep = args.models.split(",")
        out = [m for m in out if m[0] in keep]
    return out


def read_inputs(data):
    xs = []
    i = 0
    while os.path.exists(os.path.join(data, f"input_{i}.pb")):
        t = onnx.TensorProto()
        t.ParseFromString(open(os.path.join(data, f"input_{i}.pb"), "rb").read())
        xs.append(numpy_helper.to_array(t))
        i += 1
    return xs


def mnemo_compile(name, model, data, level):
    """Compiles and checks against the reference outputs; the artifact dir."""
    out = os.path.join(args.workdir, "artifacts", f"{name}.{level}")
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([os.path.join(args.bindir, "mnemo-run"), model, "--inputs", data,
                        "--cpu", level, "--keep", out, "--rtol", "1e-3", "--atol", "1e-4"],
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        sys.exit(f"mnemo-run failed on {name} --cpu={level}:\n{p.stdout}\n{p.stderr[-2000:]}")
    return out


def mnemo_ms(artifact, data, threads, repeat):
    # The artifact's parallel loops run on OpenMP threads.
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    p = subprocess.run([os.path.join(args.bindir, "mnemo-run"), "--artifact", artifact,
                        "--inputs", data, "--repeat", str(repeat),
                        "--rtol", "1e-3", "--atol", "1e-4"],
                       capture_output=True, text=True, errors="replace", env=env)
    m = re.search(r"median latency: ([0-9.]+) ms", p.stdout)
    if not m:
        sys.exit(f"mnemo-run failed on {artifact}:\n{p.stdout}\n{p.stderr[-2000:]}")
    return float(m.group(1))


def ort_session(model, xs, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(s.get_inputs(), xs)}
    for _ in range(5):
        s.run(None, feeds)
    return s, feeds


def ort_ms(session, repeat):
    s, feeds = session
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        s.run(None, feeds)
        ts.append((time.perf_counter() - t0) * 1e3)
    return sorted(ts)[len(ts) // 2]


def avx2_preload():
    """bench/tools/avx2_only.c built into the workdir, or (None, why)."""
    so = os.path.join(args.workdir, "avx2_only.so")
    src = os.path.join(HERE, "tools", "avx2_only.c")
    cc = shutil.which("cc") or shutil.which("clang-22") or shutil.which("gcc")
    if not cc:
        return None, "no C compiler"
    p = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", so, src],
                       capture_output=True, text=True)
    return (so, "") if p.returncode == 0 else (None, p.stderr.strip()[-200:])


def ort_avx2_ms(preload, model, data, threads, repeat):
    """onnxruntime in a child process that sees no AVX-512 in CPUID."""
    env = dict(os.environ, LD_PRELOAD=preload)
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--repeat", str(repeat),
                        "--ort-only", model, data, str(threads)],
                       capture_output=True, text=True, errors="replace", env=env)
    m = re.search(r"ort median ([0-9.]+)", p.stdout)
    return float(m.group(1)) if m else None


if args.ort_only:
    model, data, threads = args.ort_only
    print(f"ort median {ort_ms(ort_session(model, read_inputs(data), int(threads)), args.repeat)}")
    sys.exit(0)


def iree_bin(tool):
    return os.path.join(os.path.dirname(sys.executable), tool)


def iree_compile(name, model):
    """The vmfb, or (None, why)."""
    d = os.path.join(args.workdir, "iree", name)
    os.makedirs(d, exist_ok=True)
    mlir, vmfb = os.path.join(d, "model.mlir"), os.path.join(d, "model.vmfb")
    if os.path.exists(vmfb):
        return vmfb, ""
    for cmd in ([iree_bin("iree-import-onnx"), model, "-o", mlir],
                [iree_bin("iree-compile"), mlir, "--iree-hal-target-device=local",
                 "--iree-hal-local-target-device-backends=llvm-cpu",
                 "--iree-llvmcpu-target-cpu=host", "-o", vmfb]):
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        if p.returncode != 0:
            return None, os.path.basename(cmd[0]) + ": " + (p.stderr.strip().splitlines() or ["?"])[-1][:120]
    return vmfb, ""


TIME = "/usr/bin/time"


def timed_run(cmd, peak_pattern=None):
    """(wall seconds, peak RSS MiB, exit code, stderr tail, peak private
    MiB, process-tree peak MiB) of one child. The peak is the tool's own
    report (`peak_pattern` in its stderr) where it gives one, else the
    child's VmHWM polled every 20 ms (not ru_maxrss: that includes this
    Python process's footprint at the fork, which survives the exec). The
    private peak is the largest RssAnon polled: the memory the compile
    itself holds, without the pages of the code it maps (clean page cache
    that other processes share). The process-tree peak is what
    `/usr/bin/time -v` reports: the largest of the tool and every process it
    ran (the C compiler that links, ld, objcopy), from /usr/bin/time's
    own ru_maxrss (a small process: its fork adds nothing); 0 without it."""
    errf = os.path.join(args.workdir, "timed_run.err")
    hwm = anon = 0.0
    tree = os.path.exists(TIME)
    with open(errf, "w") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(([TIME, "-f", "mnemo-bench-tree-peak %M"] if tree else []) + cmd,
                             stdout=subprocess.DEVNULL, stderr=err)
        pid = None if tree else p.pid
        while p.poll() is None:
            try:
                if pid is None:
                    with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                        kids = f.read().split()
                    pid = int(kids[0]) if kids else None
                if pid is not None:
                    with open(f"/proc/{pid}/status") as f:
                        status = f.read()
                    m = re.search(r"VmHWM:\s*([0-9]+) kB", status)
                    if m:
                        hwm = max(hwm, int(m.group(1)) / 1024)
                    m = re.search(r"RssAnon:\s*([0-9]+) kB", status)
                    if m:
                        anon = max(anon, int(m.group(1)) / 1024)
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        wall = time.perf_counter() - t0
    text = open(errf, errors="replace").read()
    m = re.search(r"mnemo-bench-tree-peak ([0-9]+)", text)
    tree_peak = int(m.group(1)) / 1024 if m else 0.0
    text = re.sub(r"mnemo-bench-tree-peak [0-9]+\n?", "", text)
    m = re.search(peak_pattern, text) if peak_pattern else None
    return (wall, float(m.group(1)) if m else hwm, p.returncode,
            text.strip()[-300:], anon, tree_peak)


MNEMOC_PEAK = r"mnemoc: peak memory ([0-9.]+) MiB"


def weight_bytes(model):
    m = onnx.load(model)
    return sum(numpy_helper.to_array(t).nbytes for t in m.graph.initializer)


def dim_flags(model, data):
    """--dim NAME=N for each symbolic input dim, from the test data."""
    m = onnx.load(model, load_external_data=False)
    init = {t.name for t in m.graph.initializer}
    xs = read_inputs(data)
    flags = {}
    for x, inp in zip(xs, [i for i in m.graph.input if i.name not in init]):
        for d, dim in enumerate(inp.type.tensor_type.shape.dim):
            if dim.dim_param:
                flags[dim.dim_param] = x.shape[d]
    return [f"--dim={k}={v}" for k, v in flags.items()]


def compile_cost(name, model, data):
    """mnemoc's and iree-compile's (seconds, MiB) for one model."""
    out = os.path.join(args.workdir, "compile-cost", name)
    shutil.rmtree(out, ignore_errors=True)
    mn = timed_run([os.path.join(args.bindir, "mnemoc"), model, "-o", out, "--quiet",
                    "--timing", *dim_flags(model, data)], MNEMOC_PEAK)
    if mn[2] != 0:
        sys.exit(f"mnemoc failed on {name}: {mn[3]}")
    shutil.rmtree(out, ignore_errors=True)
    mf = timed_run([os.path.join(args.bindir, "mnemoc"), model, "-o", out, "--quiet",
                    "--timing", "--weights=file", *dim_flags(model, data)], MNEMOC_PEAK)
    if mf[2] != 0:
        sys.exit(f"mnemoc --weights=file failed on {name}: {mf[3]}")
    ir = None
    if not args.no_iree:
        mlir = os.path.join(args.workdir, "iree", name, "model.mlir")
        if os.path.exists(mlir):
            r = timed_run([iree_bin("iree-compile"), mlir, "--iree-hal-target-device=local",
                           "--iree-hal-local-target-device-backends=llvm-cpu",
                           "--iree-llvmcpu-target-cpu=host", "-o",
                           os.path.join(args.workdir, "compile-cost", name + ".vmfb")])
            ir = r if r[2] == 0 else None
    return mn, mf, ir


def iree_ms(vmfb, function, xs, threads, repeat):
    d = os.path.dirname(vmfb)
    inputs = []
    for i, x in enumerate(xs):
        path = os.path.join(d, f"input_{i}.npy")
        np.save(path, x)
        inputs.append(f"--input=@{path}")
    device = (["--device=local-sync"] if threads == 1 else
              ["--device=local-task", f"--task_topology_max_group_count={threads}"])
    p = subprocess.run([iree_bin("iree-benchmark-module"), f"--module={vmfb}",
                        f"--function={function}", *device, *inputs,
                        f"--benchmark_min_time={repeat}x",
                        "--benchmark_format=json"],
                       capture_output=True, text=True, errors="replace")
    try:
        bench = json.loads(p.stdout)["benchmarks"][0]
    except (ValueError, KeyError, IndexError):
        return None
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[bench.get("time_unit", "ns")]
    return bench["real_time"] * scale


name, flags = cpu_flags()
levels = args.levels.split(",") if args.levels else (
    ["x86-64-v3", "host"] + (["x86-64-v4"] if "avx512f" in flags else []))
isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
preload, why = (None, "the host has no AVX-512") if "avx512f" not in flags else (
    (None, "no cpuid_fault in /proc/cpuinfo") if "cpuid_fault" not in flags else avx2_preload())
if why:
    print(f"no AVX2-only onnxruntime column: {why}")
rows = []
costs = []
host_cpu = "?"
for model_name, model, data in models():
    repeat = args.repeat * (10 if "decode" in model_name else 1)
    arts = {lv: mnemo_compile(model_name, model, data, lv) for lv in levels}
    if "host" in arts:
        sig = json.load(open(os.path.join(arts["host"], "model.json")))
        host_cpu = sig.get("target", {}).get("llvm_cpu", "?")
    xs = read_inputs(data)
    vmfb, why = (None, "--no-iree") if args.no_iree else iree_compile(model_name, model)
    if why:
        print(f"IREE {model_name}: {why}")
    if not args.no_compile_cost:
        costs.append((model_name, weight_bytes(model), *compile_cost(model_name, model, data)))
    # iree-import-onnx names the function after the ONNX graph.
    function = onnx.load(model, load_external_data=False).graph.name
    for threads in THREADS:
        session = ort_session(model, xs, threads)
        per = max(repeat // args.rounds, 5)
        best = {}

        def take(key, value):
            if value is not None:
                best[key] = min(best.get(key, value), value)
        for _ in range(args.rounds):
            for lv, a in arts.items():
                take(lv, mnemo_ms(a, data, threads, per))
            take("ort", ort_ms(session, per))
            if preload:
                take("ort-avx2", ort_avx2_ms(preload, model, data, threads, per))
            if vmfb:
                take("iree", iree_ms(vmfb, function, xs, threads, per))
        del session
        mn = {lv: best[lv] for lv in arts}
        o, o2, ir = best["ort"], best.get("ort-avx2"), best.get("iree")
        rows.append((model_name, threads, mn, o, o2, ir))
        print(f"  {model_name} {threads}t: " + " ".join(f"{k} {v:.3f}" for k, v in mn.items())
              + f" ort {o:.3f} ort-avx2 {o2} iree {ir if ir is None else round(ir, 3)}",
              flush=True)

print()
print(f"CPU: {name} ({isa}; LLVM host CPU {host_cpu}); onnxruntime {ort.__version__}; "
      f"best of {args.rounds} interleaved rounds' medians, {args.repeat} runs in all "
      f"({args.repeat * 10} for decode steps); "
      "threads = OMP_NUM_THREADS (mnemo), intra_op_num_threads (onnxruntime), "
      "local-sync / local-task workers (IREE)")
avx2 = preload is not None and "x86-64-v3" in levels
if avx2:
    print("onnxruntime AVX2: the same onnxruntime with AVX-512 hidden from CPUID "
          "(bench/tools/avx2_only.c); x86-64-v3 / ort AVX2 compares AVX2 code with AVX2 code")
head = "| model | threads | " + " | ".join(f"mnemo {lv} ms" for lv in levels) + \
    " | onnxruntime ms | " + ("onnxruntime AVX2 ms | " if avx2 else "") + "IREE ms | " + \
    " | ".join(f"{lv} / ort" for lv in levels) + \
    (" | x86-64-v3 / ort AVX2" if avx2 else "") + " | best mnemo / IREE |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
na = "n/a"
for model_name, threads, mn, o, o2, ir in rows:
    best = min(mn.values())
    cells = [model_name, str(threads)] + [f"{mn[lv]:.3f}" for lv in levels] + \
        [f"{o:.3f}"] + ([na if o2 is None else f"{o2:.3f}"] if avx2 else []) + \
        [na if ir is None else f"{ir:.3f}"] + \
        [f"{mn[lv] / o:.2f}" for lv in levels] + \
        ([na if o2 is None else f"{mn['x86-64-v3'] / o2:.2f}"] if avx2 else []) + \
        [na if ir is None else f"{best / ir:.2f}"]
    print("| " + " | ".join(cells) + " |")

if costs:
    # mnemoc's floor: what a one-op model costs (the mapped libraries).
    relu = os.path.join(args.workdir, "relu.onnx")
    if not os.path.exists(relu):
        from onnx import helper, TensorProto
        g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), relu)
    floor = timed_run([os.path.join(args.bindir, "mnemoc"), relu, "-o",
                       os.path.join(args.workdir, "compile-cost", "relu"), "--quiet",
                       "--timing"], MNEMOC_PEAK)
    if floor[2] != 0:
        sys.exit(f"mnemoc failed on the one-Relu model: {floor[3]}")
    print()
    print(f"Compile cost (mnemoc --cpu=host -O3, one process per model, wall time and "
          f"peak RSS; mnemoc on a one-Relu model: {floor[0]:.2f} s, {floor[1]:.0f} MiB "
          f"({floor[4]:.0f} MiB private, {floor[5]:.0f} MiB process tree), the floor "
          "subtracted in 'above floor'; 'tree peak' is /usr/bin/time's maximum resident "
          "set size: mnemoc or any process it runs (the C compiler linking, ld, objcopy); "
          "'private' is the peak of RssAnon, the memory without the pages of the "
          "shared libraries mapped):")
    head = ("| model | weights MiB | mnemoc s | mnemoc peak MiB | above floor MiB | "
            "above floor / weights | private MiB | private / weights | "
            "tree peak MiB | tree peak / weights | "
            "--weights=file s | file peak MiB | file private MiB | file private / weights | "
            "iree-compile s | iree-compile peak MiB | iree private MiB |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for model_name, wb, mn, mf, ir in costs:
        above = mn[1] - floor[1]
        print(f"| {model_name} | {wb / 2**20:.1f} | {mn[0]:.2f} | {mn[1]:.0f} | {above:.0f} | "
              f"{above * 2**20 / wb:.1f}x | {mn[4]:.0f} | {mn[4] * 2**20 / wb:.1f}x | "
              f"{mn[5]:.0f} | {mn[5] * 2**20 / wb:.1f}x | "
              f"{mf[0]:.2f} | {mf[1]:.0f} | {mf[4]:.0f} | {mf[4] * 2**20 / wb:.1f}x | "
              + (f"{ir[0]:.2f} | {ir[1]:.0f} | {ir[4]:.0f} |" if ir else "n/a | n/a | n/a |"))
