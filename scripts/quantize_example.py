#!/usr/bin/env python3
"""Quantizes the bundled example CNN with onnxruntime's static quantizer
(QDQ format, per-channel int8 weights, uint8 activations, calibrated on
random images) and writes onnxruntime's own outputs on one image as the
reference (graph optimizations off, so they are the quantized graph's
arithmetic, not a fused kernel's):

  .venv/bin/python scripts/quantize_example.py   # needs onnxruntime (PyPI)

-> examples/tiny_cnn_int8.onnx, examples/tiny_cnn_int8_data/{input,output}_0.pb
The committed files are what the tests use; this script regenerates them."""
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_static)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
src = os.path.join(ROOT, "examples", "tiny_cnn.onnx")
dst = os.path.join(ROOT, "examples", "tiny_cnn_int8.onnx")
data = os.path.join(ROOT, "examples", "tiny_cnn_int8_data")

# The example has a symbolic batch; the quantized model is for batch 1.
model = onnx.load(src)
for v in list(model.graph.input) + list(model.graph.output):
    v.type.tensor_type.shape.dim[0].dim_value = 1
fixed = os.path.join(ROOT, "build", "tiny_cnn_b1.onnx")
os.makedirs(os.path.dirname(fixed), exist_ok=True)
onnx.save(model, fixed)

rng = np.random.default_rng(0)


class Images(CalibrationDataReader):
    def __init__(self):
        self.batches = iter([{"image": rng.standard_normal((1, 3, 64, 64)).astype(np.float32)}
                             for _ in range(16)])

    def get_next(self):
        return next(self.batches, None)


quantize_static(fixed, dst, Images(), quant_format=QuantFormat.QDQ, per_channel=True,
                activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)

x = numpy_helper.to_array(onnx.load_tensor(os.path.join(ROOT, "examples", "tiny_cnn_data",
                                                        "input_0.pb")))[:1]
opts = ort.SessionOptions()
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
sess = ort.InferenceSession(dst, opts, providers=["CPUExecutionProvider"])
y = sess.run(None, {"image": x})[0]
os.makedirs(data, exist_ok=True)
with open(os.path.join(data, "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "image").SerializeToString())
with open(os.path.join(data, "output_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(y, "probs").SerializeToString())
# onnxruntime's fused int8 path on the same model, for the record.
full = ort.InferenceSession(dst, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
print("wrote %s (%d bytes); ORT unfused vs fused max abs diff %.3g, top-1 %d / %d"
      % (dst, os.path.getsize(dst), np.abs(full - y).max(), y.argmax(), full.argmax()))
