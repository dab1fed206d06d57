"""An elementwise chain of N alternating Neg and Relu nodes (argv: out N)."""
import sys

import onnx
from onnx import TensorProto as T
from onnx import helper as h

out, n = sys.argv[1], int(sys.argv[2])
nodes, prev = [], "x"
for i in range(n):
    y = "y" if i == n - 1 else f"t{i}"
    nodes.append(h.make_node("Relu" if i % 2 else "Neg", [prev], [y]))
    prev = y
graph = h.make_graph(nodes, "chain",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 8])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 8])])
onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), out)
