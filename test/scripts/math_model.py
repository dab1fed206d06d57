"""Transcendental elementwise ops as mnemo-cpu-approximate-math leaves
them (polynomials instead of libm): Exp, Tanh, Log, Erf, Sigmoid, a tanh
GELU (Pow by 3), Pow by 2 and by 0.5, Softplus (log1p of exp) and a
Softmax, over 1037 values spread across each function's range (a
vector loop and its rest) plus the special values: +-inf, NaN, +-0,
denormals, the largest finite floats and the edges where exp overflows
and underflows. numpy's float64 answers, rounded to float32, are the
expected outputs.

  python3 math_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import math
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import Case, save_case  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(0)
case = Case(rng)
nodes, inputs, outputs = case.nodes, case.inputs, case.outputs
inits, feeds, want = case.inits, case.feeds, case.want

SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-40, -1e-40,
                    3.4e38, -3.4e38, 88.7, 88.8, -87.3, -103.9, -104.0,
                    1.0, -1.0], np.float32)


def add(name, low, high, positive=False):
    x = rng.uniform(low, high, 1037 - len(SPECIAL)).astype(np.float32)
    special = np.abs(SPECIAL) if positive else SPECIAL
    x = np.concatenate([x, special]).astype(np.float32)
    inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [len(x)]))
    feeds.append(x)
    return x.astype(np.float64)


def node(op, ins, out_name, **attrs):
    nodes.append(helper.make_node(op, ins, [out_name], name=out_name, **attrs))


def const(name, value):
    inits.append(numpy_helper.from_array(np.array(value, np.float32), name))


with np.errstate(all="ignore"):
    x = add("x_exp", -100, 90)
    node("Exp", ["x_exp"], "exp")
    case.add_output("exp", np.exp(x))

    x = add("x_tanh", -12, 12)
    node("Tanh", ["x_tanh"], "tanh")
    case.add_output("tanh", np.tanh(x))

    x = add("x_log", 1e-30, 1e30, positive=True)
    x[:300] = rng.uniform(0.01, 4, 300)  # around 1 too
    feeds[-1][:300] = x[:300]
    node("Log", ["x_log"], "log")
    case.add_output("log", np.log(x))

    x = add("x_erf", -6, 6)
    node("Erf", ["x_erf"], "erf")
    case.add_output("erf", np.vectorize(math.erf)(np.nan_to_num(x, nan=0.0))
                    + np.where(np.isnan(x), np.nan, 0.0))

    x = add("x_sig", -30, 30)
    node("Sigmoid", ["x_sig"], "sigmoid")
    case.add_output("sigmoid", 1 / (1 + np.exp(-x)))

    # GPT-2's GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    x = add("x_gelu", -8, 8)
    for n, v in [("three", 3.0), ("c", 0.044715), ("k", math.sqrt(2 / math.pi)),
                 ("half", 0.5), ("one", 1.0), ("two", 2.0), ("sqrt_e", 0.5)]:
        const(n, v)
    node("Pow", ["x_gelu", "three"], "cube")
    node("Mul", ["cube", "c"], "cube_c")
    node("Add", ["x_gelu", "cube_c"], "inner0")
    node("Mul", ["inner0", "k"], "inner")
    node("Tanh", ["inner"], "th")
    node("Add", ["th", "one"], "th1")
    node("Mul", ["x_gelu", "half"], "hx")
    node("Mul", ["hx", "th1"], "gelu")
    case.add_output("gelu", 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))))

    x = add("x_pow", -50, 50)
    node("Pow", ["x_pow", "two"], "square")
    case.add_output("square", x ** 2)
    node("Pow", ["x_pow", "sqrt_e"], "sqrt")
    case.add_output("sqrt", np.power(x, 0.5))

    x = add("x_softplus", -30, 30)
    node("Softplus", ["x_softplus"], "softplus")
    case.add_output("softplus", np.logaddexp(0.0, x))  # stable for large x

x = case.add_input("x_softmax", [7, 300]) * 20
feeds[-1][:] = x
node("Softmax", ["x_softmax"], "softmax", axis=-1)
e = np.exp(x.astype(np.float64) - x.max(axis=-1, keepdims=True))
case.add_output("softmax", e / e.sum(axis=-1, keepdims=True))

g = helper.make_graph(nodes, "math", inputs, outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
save_case(out, m, feeds, want)
