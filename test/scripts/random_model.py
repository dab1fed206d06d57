"""Statistics of mnemo's random ops, computed inside the model so that
mnemo-run compares them with their expected values: RandomUniform (f32,
f64, f16), RandomNormal, the *Like forms of an input with a symbolic dim,
Bernoulli, two nodes with one seed (the same numbers) and two without
(independent ones). The generator is counter-based, so the outputs are
the same on every run; the tolerance (atol 0.006 in test/Driver/random.test)
is at least 4 standard errors of each statistic, so a correct generator
passes and a biased, correlated or badly scaled one fails.

  python3 random_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import math
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import save_case  # noqa: E402

out = sys.argv[1]
N = 1 << 20
nodes, inits, outputs, want = [], [], [], []


def node(op, ins, name, **attrs):
    nodes.append(helper.make_node(op, ins, [name], name=name, **attrs))
    return name


def const(name, value, dtype=np.float32):
    inits.append(numpy_helper.from_array(np.array(value, dtype), name))
    return name


def mean(x, axes=None):
    name = x + "_mean" + ("" if axes is None else "_ax")
    if axes is None:
        return node("ReduceMean", [x], name, keepdims=0)
    return node("ReduceMean", [x, const(name + "_axes", axes, np.int64)],
                name, keepdims=0)


def sub(a, b):
    return node("Sub", [a, b], a + "_minus_" + b)


def mul(a, b):
    return node("Mul", [a, b], a + "_times_" + b)


def as_vec(x):
    return node("Unsqueeze", [x, const(x + "_ax0", [0], np.int64)], x + "_v")


def output(name, parts, value):
    node("Concat", [as_vec(p) for p in parts], name, axis=0)
    outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                 [len(parts)]))
    want.append(np.array(value, np.float32))


def stats(x):
    """mean, variance, min, max."""
    m = mean(x)
    d = sub(x, m)
    return [m, mean(mul(d, d)),
            node("ReduceMin", [x], x + "_min", keepdims=0),
            node("ReduceMax", [x], x + "_max", keepdims=0)]


const("zero", 0.0)
const("two", 2.0)
const("half", 0.5)
const("one", 1.0)

# Uniform in [-1, 3): mean 1, variance 16/12; the extremes reach the
# interval's ends (1M draws) and never pass them.
u = node("RandomUniform", [], "u", low=-1.0, high=3.0, shape=[N])
output("uniform", stats(u), [1.0, 16 / 12, -1.0, 3.0])

# Normal(2, 0.5): mean, variance, the fraction within one deviation, and
# the correlation of neighbours (0 for independent draws).
n = node("RandomNormal", [], "n", mean=2.0, scale=0.5, shape=[N])
z = node("Div", [sub(n, "two"), "half"], "z")
within = node("Cast", [node("Less", [node("Abs", [z], "z_abs"), "one"],
                            "z_within")], "z_within_f", to=TensorProto.FLOAT)
starts, ends = const("slice_s0", [0], np.int64), const("slice_e0", [N - 1], np.int64)
starts1, ends1 = const("slice_s1", [1], np.int64), const("slice_e1", [N], np.int64)
z0 = node("Slice", [z, starts, ends], "z_head")
z1 = node("Slice", [z, starts1, ends1], "z_tail")
nm = mean(n)
nd = sub(n, nm)
output("normal", [nm, mean(mul(nd, nd)), mean(within), mean(mul(z0, z1))],
       [2.0, 0.25, math.erf(1 / math.sqrt(2)), 0.0])

# f64 and f16 draws.
d = node("Cast", [node("RandomUniform", [], "u64", dtype=TensorProto.DOUBLE,
                       shape=[N])], "u64_f", to=TensorProto.FLOAT)
h = node("Cast", [node("RandomUniform", [], "u16", dtype=TensorProto.FLOAT16,
                       shape=[N])], "u16_f", to=TensorProto.FLOAT)
output("narrow_wide", [mean(d), mean(h)], [0.5, 0.5])

# The *Like ops on an input with a symbolic dim (sizes at run time).
x = "x"
ul = node("RandomUniformLike", [x], "ul")
nl = node("Cast", [node("RandomNormalLike", [x], "nl64",
                        dtype=TensorProto.DOUBLE)], "nl", to=TensorProto.FLOAT)
output("like", [mean(ul), mean(nl), mean(mul(nl, nl))], [0.5, 0.0, 1.0])

# Bernoulli: P(1) = p, per row.
rows_mean = mean(node("Bernoulli", ["p"], "b"), [1])
output("bernoulli", [node("Gather", [rows_mean, const(f"i{i}", i, np.int64)],
                          f"b_row{i}", axis=0) for i in (0, 1)], [0.2, 0.9])

# One seed: the same numbers; no seeds: independent streams.
s1 = node("RandomNormal", [], "s1", seed=7.0, shape=[N])
s2 = node("RandomNormal", [], "s2", seed=7.0, shape=[N])
a1 = node("RandomNormal", [], "a1", shape=[N])
a2 = node("RandomNormal", [], "a2", shape=[N])
same = node("ReduceMax", [node("Abs", [sub(s1, s2)], "s_abs")], "s_max",
            keepdims=0)
output("seeds", [same, mean(mul(a1, a2)),
                 mean(node("Abs", [sub(a1, a2)], "a_abs"))],
       [0.0, 0.0, 2 / math.sqrt(math.pi)])

rows = 2048
feeds = [np.zeros((rows, 512), np.float32),
         np.repeat(np.array([[0.2], [0.9]], np.float32), N // 2, axis=1)]
inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", 512]),
          helper.make_tensor_value_info("p", TensorProto.FLOAT, [2, N // 2])]
g = helper.make_graph(nodes, "random", inputs, outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)])
save_case(out, m, feeds, want)
