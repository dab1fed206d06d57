"""Writes the RoiAlign cases of test/Driver/roi-align.test: max mode and
adaptive sampling (sampling_ratio 0), which the node tests leave out, with
onnx.reference's outputs (the node tests' expected outputs are rounded to
4 decimals). Run with the project's venv:
  .venv/bin/python test/scripts/make_roi_align_cases.py test/Driver/Inputs/roi_align
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

rng = np.random.default_rng(3)
CASES = {
    "max_adaptive": dict(mode="max", output_height=3, output_width=2,
                         sampling_ratio=0, spatial_scale=0.5),
    "avg_adaptive_output_half_pixel": dict(
        coordinate_transformation_mode="output_half_pixel", output_height=4,
        output_width=4, sampling_ratio=0, spatial_scale=0.25),
}
for name, attrs in CASES.items():
    node = helper.make_node("RoiAlign", ["X", "rois", "bi"], ["Y"], **attrs)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 3, 12, 10]),
         helper.make_tensor_value_info("rois", TensorProto.FLOAT, [4, 4]),
         helper.make_tensor_value_info("bi", TensorProto.INT64, [4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    # Regions inside, overlapping the border, partly outside, tiny.
    feeds = {"X": rng.standard_normal((2, 3, 12, 10)).astype(np.float32),
             "rois": np.array([[0, 0, 9, 9], [2.5, 1.2, 18.3, 22.7],
                               [-3, 4, 6, 30], [10, 10, 12, 11]], np.float32),
             "bi": np.array([0, 1, 1, 0], np.int64)}
    ref = ReferenceEvaluator(model).run(None, feeds)[0]
    d = os.path.join(sys.argv[1], name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, v in enumerate(feeds.values()):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(ref).SerializeToString())
