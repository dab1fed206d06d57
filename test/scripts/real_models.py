#!/usr/bin/env python3
"""Exports MobileNetV2, ResNet-18 and SqueezeNet-1.1 from Debian's
python3-torchvision (random weights) at opsets 13 and 17, then imports each,
and ../shared/models/gpt2_tiny_decode when present, with mnemo-translate:
every op must have a typed conversion, the module must verify, re-parse with
mnemo-opt and survive graph-infer-shapes. Prints one line per model."""
import argparse
import os
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--bindir", required=True)
ap.add_argument("--workdir", required=True)
ap.add_argument("--shared", default="")
args = ap.parse_args()
os.makedirs(args.workdir, exist_ok=True)
translate = os.path.join(args.bindir, "mnemo-translate")
opt = os.path.join(args.bindir, "mnemo-opt")

EXPORT = r"""
import sys, torch, torchvision
name, opset, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(0)
model = getattr(torchvision.models, name)(weights=None).eval()
x = torch.randn(1, 3, 224, 224)
torch.onnx.export(model, x, out, opset_version=opset, input_names=["input"],
                  output_names=["logits"], dynamic_axes={"input": {0: "batch"}})
"""

models = []
skipped = 0
torch_ok = subprocess.call(["/usr/bin/python3", "-c", "import torch, torchvision"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0
for name in ("mobilenet_v2", "resnet18", "squeezenet1_1"):
    for opset in (13, 17):
        path = os.path.join(args.workdir, f"{name}_op{opset}.onnx")
        if not torch_ok:
            print(f"SKIP {name} opset {opset}: python3-torchvision is not installed")
            skipped += 1
            continue
        if not os.path.exists(path):
            p = subprocess.run(["/usr/bin/python3", "-c", EXPORT, name, str(opset), path],
                               capture_output=True, text=True)
            if p.returncode != 0:
                print(f"FAIL {name} opset {opset}: export failed: {p.stderr[-500:]}")
                models.append((f"{name}_op{opset}", None))
                continue
        models.append((f"{name}_op{opset}", path))
gpt2 = os.path.join(args.shared, "models", "gpt2_tiny_decode", "model.onnx")
if args.shared and os.path.exists(gpt2):
    models.append(("gpt2_tiny_decode", gpt2))
else:
    print("SKIP gpt2_tiny_decode: ../shared/models not present")
    skipped += 1

passed = failed = 0
for name, path in models:
    if path is None:
        failed += 1
        continue
    p = subprocess.run([translate, "--import-onnx", "--list-unsupported", path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL {name}: {p.stderr.strip()}")
        failed += 1
        continue
    mlir = os.path.join(args.workdir, name + ".mlir")
    p = subprocess.run([translate, "--import-onnx", path, "-o", mlir],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL {name}: import: {p.stderr.strip()}")
        failed += 1
        continue
    p = subprocess.run([opt, "--graph-infer-shapes", mlir], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"FAIL {name}: re-parse / infer-shapes: {p.stderr.strip()[:800]}")
        failed += 1
        continue
    ops = sum(1 for line in p.stdout.splitlines() if "= graph." in line)
    sig = next((l.strip() for l in p.stdout.splitlines() if "func.func" in l), "")
    results = sig.split("->", 1)[-1][:120] if sig else "?"
    print(f"PASS {name}: {ops} graph ops, results {results}")
    passed += 1
    # The printed module holds the weights as text (up to 93 MB): kept only
    # when a check failed on it.
    os.remove(mlir)
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
