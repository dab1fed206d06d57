"""ArgMax / ArgMin over rows long enough for the lane-wise lowering (a
multiple of 16, at least 64), with ties, -inf rows, a NaN at index 0 and
select_last_index, and numpy's answers (first or last index among equal
extremes) as the expected outputs.

  python3 argmax_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import save_case  # noqa: E402

out = sys.argv[1]
rows, cols = 6, 96
rng = np.random.default_rng(0)
x = rng.integers(-3, 4, size=(rows, cols)).astype(np.float32)  # many ties
x[1, :] = -np.inf              # all -inf: index 0
x[2, 5] = x[2, 90] = 100.0     # tie across lanes and blocks
x[3, 17] = x[3, 33] = 50.0     # tie inside one lane (17 and 33 are lane 1)
x[4, 0] = np.nan               # NaN at index 0 wins, as ONNX Runtime and mnemo do
x[5, :] = 7.0                  # all equal

nodes, outs, want = [], [], []
for op, last in (("ArgMax", 0), ("ArgMax", 1), ("ArgMin", 0), ("ArgMin", 1)):
    name = "%s_last%d" % (op.lower(), last)
    nodes.append(helper.make_node(op, ["x"], [name], axis=1, keepdims=0,
                                  select_last_index=last))
    outs.append(helper.make_tensor_value_info(name, TensorProto.INT64, [rows]))
    finite = np.where(np.isnan(x), -np.inf if op == "ArgMax" else np.inf, x)
    pick = np.argmax if op == "ArgMax" else np.argmin
    if last:
        r = cols - 1 - pick(finite[:, ::-1], axis=1)
    else:
        r = pick(finite, axis=1)
    r[np.isnan(x[:, 0])] = 0
    want.append(r.astype(np.int64))
g = helper.make_graph(nodes, "args",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, cols])],
                      outs)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
save_case(out, m, [x], want)
