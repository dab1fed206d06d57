#!/usr/bin/env python3
"""Quantizes an exported model with onnxruntime's quantizer (PyPI) and
writes onnxruntime's reference outputs for it:

  .venv/bin/python test/scripts/quantize_model.py SRC OUT --format qdq|qoperator|dynamic

SRC holds model.onnx and test_data_set_0/input_*.pb (test/scripts/
export_model.py writes them). `qdq` and `qoperator` are quantize_static
(per-channel int8 weights, uint8 activations, calibrated on 8 seeded random
inputs of the model's input shape plus the test input); `dynamic` is
quantize_dynamic (int8 weights; activations quantized at run time by
DynamicQuantizeLinear), the form used for transformers.

OUT gets model.onnx, test_data_set_0/{input,output}_*.pb with onnxruntime's
outputs with graph optimizations disabled (the quantized graph's own
arithmetic, the reference), and ort.json: onnxruntime's default (fused int8
kernels) outputs' max abs deviation from that reference and both top-1s,
which is the deviation a compiler's integer path is held to."""
import argparse
import json
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

ap = argparse.ArgumentParser()
ap.add_argument("src")
ap.add_argument("out")
ap.add_argument("--format", choices=["qdq", "qoperator", "dynamic"], required=True)
ap.add_argument("--calib", type=int, default=8)
args = ap.parse_args()


def read_tensors(d, prefix):
    out, i = [], 0
    while os.path.exists(os.path.join(d, f"{prefix}_{i}.pb")):
        out.append(numpy_helper.to_array(onnx.load_tensor(os.path.join(d, f"{prefix}_{i}.pb"))))
        i += 1
    return out


src_model = os.path.join(args.src, "model.onnx")
data = os.path.join(args.src, "test_data_set_0")
model = onnx.load(src_model)
init_names = {t.name for t in model.graph.initializer}
inputs = [v for v in model.graph.input if v.name not in init_names]
xs = read_tensors(data, "input")
feed = {v.name: x for v, x in zip(inputs, xs)}

os.makedirs(args.out, exist_ok=True)
dst = os.path.join(args.out, "model.onnx")
rng = np.random.default_rng(0)


class Calibration(CalibrationDataReader):
    """Seeded random inputs like the test input (floats ~ N(0, 1); integer
    inputs such as token ids are sampled from the test input's values)."""

    def __init__(self):
        batches = [feed]
        for _ in range(args.calib):
            b = {}
            for name, x in feed.items():
                if np.issubdtype(x.dtype, np.floating):
                    b[name] = rng.standard_normal(x.shape).astype(x.dtype)
                else:
                    b[name] = rng.choice(x.reshape(-1), size=x.shape).astype(x.dtype)
            batches.append(b)
        self.batches = iter(batches)

    def get_next(self):
        return next(self.batches, None)


# onnxruntime's recommended pre-processing (shape inference, constant
# folding, Conv+BatchNorm fusion) first, as a user would run it.
pre = os.path.join(args.out, "preprocessed.onnx")
quant_pre_process(src_model, pre, skip_symbolic_shape=True)
if args.format == "dynamic":
    quantize_dynamic(pre, dst, weight_type=QuantType.QInt8)
else:
    fmt = QuantFormat.QDQ if args.format == "qdq" else QuantFormat.QOperator
    quantize_static(pre, dst, Calibration(), quant_format=fmt, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)


def run(level):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = level
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(dst, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feed), [o.name for o in sess.get_outputs()]


ref, names = run(ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
fused, _ = run(ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
out_data = os.path.join(args.out, "test_data_set_0")
shutil.rmtree(out_data, ignore_errors=True)
os.makedirs(out_data)
for i, (v, x) in enumerate(zip(inputs, xs)):
    onnx.save_tensor(numpy_helper.from_array(x, v.name), os.path.join(out_data, f"input_{i}.pb"))
for i, (n, y) in enumerate(zip(names, ref)):
    onnx.save_tensor(numpy_helper.from_array(y, n), os.path.join(out_data, f"output_{i}.pb"))
record = {
    "format": args.format,
    "ort_fused_max_abs": float(np.abs(fused[0].astype(np.float64) - ref[0]).max()),
    "ref_top1": int(ref[0].reshape(-1).argmax()),
    "ort_fused_top1": int(fused[0].reshape(-1).argmax()),
    "ops": sorted({n.op_type for n in onnx.load(dst).graph.node}),
}
with open(os.path.join(args.out, "ort.json"), "w") as f:
    json.dump(record, f, indent=1)
print(json.dumps(record))
