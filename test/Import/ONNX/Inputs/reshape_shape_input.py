"""Reshapes whose target shape is a graph input of 0, 1 or 3 elements."""
import sys

import onnx
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
for name, dims in [("r0", [0]), ("r1", [1]), ("r3", [3])]:
    node = h.make_node("Reshape", ["x", "s"], ["y"], name="reshape_" + name)
    graph = h.make_graph(
        [node], "g",
        [h.make_tensor_value_info("x", T.FLOAT, [2, 3, 4]),
         h.make_tensor_value_info("s", T.INT64, dims)],
        [h.make_tensor_value_info("y", T.FLOAT, None)])
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 13)])
    onnx.save(model, f"{out}/{name}.onnx")
