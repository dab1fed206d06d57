"""Writes long_reductions.onnx and its test data (numpy references) into
argv[1]: rows long enough for several warps per block (4096, 1000, 300
elements) in a sum, a softmax's max and sum, and an int64 max."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
g = helper.make_graph(
    [helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=0),
     helper.make_node("Softmax", ["y"], ["p"], axis=-1),
     helper.make_node("ReduceMax", ["z"], ["m"], axes=[1], keepdims=0)],
    "long_reductions",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 4096]),
     helper.make_tensor_value_info("y", TensorProto.FLOAT, [8, 1000]),
     helper.make_tensor_value_info("z", TensorProto.INT64, [3, 300])],
    [helper.make_tensor_value_info("s", TensorProto.FLOAT, [4]),
     helper.make_tensor_value_info("p", TensorProto.FLOAT, [8, 1000]),
     helper.make_tensor_value_info("m", TensorProto.INT64, [3])],
    [helper.make_tensor("axes", TensorProto.INT64, [1], [1])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(out, "long_reductions.onnx"))

rng = np.random.default_rng(0)
x = rng.standard_normal((4, 4096)).astype(np.float32)
y = (rng.standard_normal((8, 1000)) * 3).astype(np.float32)
z = rng.integers(-1000, 1000, (3, 300)).astype(np.int64)
e = np.exp(y - y.max(-1, keepdims=True))
refs = [x.astype(np.float64).sum(1).astype(np.float32),
        (e / e.sum(-1, keepdims=True)).astype(np.float32), z.max(1)]
data = os.path.join(out, "data")
os.makedirs(data, exist_ok=True)
for i, (n, a) in enumerate([("x", x), ("y", y), ("z", z)]):
    with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(a, n).SerializeToString())
for i, (n, a) in enumerate([("s", refs[0]), ("p", refs[1]), ("m", refs[2])]):
    with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(a, n).SerializeToString())
