"""Writes the run-time-k TopK case of test/Driver/top-k-runtime.test: k is
a graph input (not specialized), with onnxruntime's outputs for k = 2 and
k = 6 (all) as the reference and a third data set with k = 7, past the
axis. Run with the project's venv:
  .venv/bin/python test/scripts/make_top_k_cases.py test/Driver/Inputs/top_k_runtime
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(5)
g = helper.make_graph(
    [helper.make_node("TopK", ["X", "K"], ["V", "I"], axis=1, largest=0)],
    "top_k_runtime",
    [helper.make_tensor_value_info("X", TensorProto.FLOAT, [3, 6]),
     helper.make_tensor_value_info("K", TensorProto.INT64, [1])],
    [helper.make_tensor_value_info("V", TensorProto.FLOAT, [3, None]),
     helper.make_tensor_value_info("I", TensorProto.INT64, [3, None])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
onnx.save(m, os.path.join(d, "model.onnx"))
sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
x = rng.standard_normal((3, 6)).astype(np.float32)
for n, k in enumerate([2, 6, 7]):
    ds = os.path.join(d, f"test_data_set_{n}")
    os.makedirs(ds, exist_ok=True)
    feeds = {"X": x, "K": np.array([k], np.int64)}
    for i, (name, v) in enumerate(feeds.items()):
        with open(os.path.join(ds, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, name).SerializeToString())
    if k <= 6:
        for i, (name, v) in enumerate(zip(["V", "I"], sess.run(None, feeds))):
            with open(os.path.join(ds, f"output_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(v, name).SerializeToString())
