"""Writes the tf_crop_and_resize cases of test/Driver/resize-crop.test:
Resize with a run-time crop box (roi) in nearest, linear and cubic mode,
one output per dim, boxes reaching past the input (extrapolation_value),
with onnx.reference's outputs as the reference (onnxruntime rejects cubic
on these shapes). Run with the project's venv:
  .venv/bin/python test/scripts/make_resize_crop_cases.py test/Driver/Inputs/resize_crop
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

rng = np.random.default_rng(3)
CASES = [("nearest", [1, 1, 5, 2], [0, 0, 0.1, 0.3, 1, 1, 0.9, 1.4]),
         ("linear", [1, 2, 1, 4], [0, 0, 0.25, -0.2, 1, 1, 0.75, 0.8]),
         ("cubic", [1, 2, 4, 5], [0, 0, 0.0, 0.1, 1, 1, 1.0, 0.9])]
for mode, sizes, roi in CASES:
    name = f"crop_{mode}"
    g = helper.make_graph(
        [helper.make_node("Resize", ["X", "roi", "", "sizes"], ["Y"], mode=mode,
                          coordinate_transformation_mode="tf_crop_and_resize",
                          extrapolation_value=-3.0)],
        name,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2, 6, 7]),
         helper.make_tensor_value_info("roi", TensorProto.FLOAT, [8])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(sizes, np.int64), "sizes")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    d = os.path.join(sys.argv[1], name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    feeds = {"X": rng.standard_normal((1, 2, 6, 7)).astype(np.float32),
             "roi": np.array(roi, np.float32)}
    y = ReferenceEvaluator(m).run(None, feeds)[0]
    for i, (k, v) in enumerate(feeds.items()):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, k).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(y, "Y").SerializeToString())
