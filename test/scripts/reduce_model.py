"""Reductions over contiguous inner runs, the shapes
mnemo-cpu-vectorize-reductions takes: global average pools of 13x13, 7x7
and 1x1 maps (169, 49 and 1 elements: whole unrolled steps, single
vectors and a masked rest), ReLU + pool fused, a ReduceMax and a
ReduceMin over the last axis with NaN and -inf in a row, a ReduceSum over
two inner axes of 37 x 5, a ReduceMean over a middle axis (not inner: the
output moves with the last dim), a ReduceSumSquare, a softmax over 1000
classes, a layer norm over 96 features, and a batched row dot product (a
MatMul by a [K, 1] vector); numpy's float64 answers are the expected
outputs.

  python3 reduce_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import Case, save_case  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(0)
case = Case(rng)
nodes, inputs, outputs = case.nodes, case.inputs, case.outputs
inits, feeds, want = case.inits, case.feeds, case.want
add_input, add_output = case.add_input, case.add_output




def node(op, ins, out_name, **attrs):
    nodes.append(helper.make_node(op, ins, [out_name], name=out_name, **attrs))


# Global average pools: 169 = 2 unrolled steps of 4 x 16 (or 5 x 32 at 8
# lanes) + whole vectors + a masked rest; 49; 1.
x1 = add_input("x1", [1, 40, 13, 13])
node("Relu", ["x1"], "x1_relu")
node("GlobalAveragePool", ["x1_relu"], "gap13")
add_output("gap13", np.maximum(x1.astype(np.float64), 0).mean(axis=(2, 3), keepdims=True))
x2 = add_input("x2", [2, 24, 7, 7])
node("GlobalAveragePool", ["x2"], "gap7")
add_output("gap7", x2.astype(np.float64).mean(axis=(2, 3), keepdims=True))
x3 = add_input("x3", [1, 8, 1, 1])
node("GlobalAveragePool", ["x3"], "gap1")
add_output("gap1", x3.astype(np.float64))

# Max and min over 75 elements; row 1 holds a NaN (it propagates), row 2
# only -inf and +inf.
x4 = add_input("x4", [3, 75])
x4[1, 40] = np.nan
x4[2, :] = -np.inf
x4[2, 70] = np.inf
node("ReduceMax", ["x4"], "rmax", axes=[1], keepdims=0)
add_output("rmax", x4.astype(np.float64).max(axis=1))
node("ReduceMin", ["x4"], "rmin", axes=[1], keepdims=0)
add_output("rmin", x4.astype(np.float64).min(axis=1))

# Two inner axes of 37 x 5 (flattened to 185), a middle axis, squares.
x5 = add_input("x5", [4, 6, 37, 5])
node("ReduceSum", ["x5", "axes_inner"], "rsum", keepdims=0)
inits.append(numpy_helper.from_array(np.array([2, 3], np.int64), "axes_inner"))
add_output("rsum", x5.astype(np.float64).sum(axis=(2, 3)))
node("ReduceMean", ["x5"], "rmean_mid", axes=[1], keepdims=1)
add_output("rmean_mid", x5.astype(np.float64).mean(axis=1, keepdims=True))
node("ReduceSumSquare", ["x5"], "rss", axes=[3], keepdims=0)
add_output("rss", (x5.astype(np.float64) ** 2).sum(axis=3))

# Softmax over 1000 classes (a max and a sum of exponentials).
x6 = add_input("x6", [2, 1000])
node("Softmax", ["x6"], "softmax", axis=-1)
e = np.exp(x6.astype(np.float64) - x6.max(axis=-1, keepdims=True))
add_output("softmax", e / e.sum(axis=-1, keepdims=True))

# Layer norm over 96 features (mean, then variance).
x7 = add_input("x7", [5, 96])
gamma = rng.standard_normal(96).astype(np.float32)
beta = rng.standard_normal(96).astype(np.float32)
inits += [numpy_helper.from_array(gamma, "gamma"), numpy_helper.from_array(beta, "beta")]
node("LayerNormalization", ["x7", "gamma", "beta"], "ln", axis=-1, epsilon=1e-5)
x7d = x7.astype(np.float64)
mu = x7d.mean(axis=-1, keepdims=True)
var = ((x7d - mu) ** 2).mean(axis=-1, keepdims=True)
add_output("ln", (x7d - mu) / np.sqrt(var + 1e-5) * gamma + beta)

# Row dot products: [3, 50] x [50, 1].
x8 = add_input("x8", [3, 50])
v = rng.standard_normal((50, 1)).astype(np.float32)
inits.append(numpy_helper.from_array(v, "v"))
node("MatMul", ["x8", "v"], "dot")
add_output("dot", x8.astype(np.float64) @ v.astype(np.float64))

g = helper.make_graph(nodes, "reductions", inputs, outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
save_case(out, m, feeds, want)
