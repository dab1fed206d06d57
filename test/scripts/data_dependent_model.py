"""A model whose outputs are sized by its data, with numpy's answers.

NonZero -> Transpose -> GatherND (the usual way models read the selected
elements) and Compress along an axis and flattened. Writes OUT/model.onnx
and OUT/test_data_set_0 (inputs and expected outputs as TensorProtos).
Debian's python3-onnx only: no onnxruntime.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
nodes = [
    helper.make_node("NonZero", ["x"], ["nz"]),
    helper.make_node("Transpose", ["nz"], ["t"], perm=[1, 0]),
    helper.make_node("GatherND", ["x", "t"], ["vals"]),
    helper.make_node("Compress", ["x", "c"], ["cols"], axis=1),
    helper.make_node("Compress", ["x", "c"], ["flat"]),
]
f32, b = TensorProto.FLOAT, TensorProto.BOOL
graph = helper.make_graph(
    nodes, "data_dependent",
    [helper.make_tensor_value_info("x", f32, [3, 4]),
     helper.make_tensor_value_info("c", b, [3])],
    [helper.make_tensor_value_info(n, t, None)
     for n, t in [("t", TensorProto.INT64), ("vals", f32), ("cols", f32),
                  ("flat", f32)]])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(out, "model.onnx"))

x = np.array([[0, 1, 0, 2], [3, 0, 0, 0], [0, 0, 5, 6]], np.float32)
c = np.array([True, False, True])
t = np.transpose(np.array(np.nonzero(x), np.int64))
expected = [t, x[tuple(t.T)], np.compress(c, x, axis=1), np.compress(c, x)]
data = os.path.join(out, "test_data_set_0")
for i, (name, v) in enumerate([("x", x), ("c", c)]):
    with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(v, name).SerializeToString())
for i, v in enumerate(expected):
    with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(v).SerializeToString())
