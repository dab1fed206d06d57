"""3x3 stride-1 convolutions of the shapes mnemo-cpu-winograd rewrites
(at least 16 input and output channels): a 56x56 map in bands of tile
rows, odd maps (7x7, batch 2; 9x12 odd by even; 5x5 with 64 channels)
whose last tile overhangs, a 1x1 map, no padding (the input read as it is), fewer
input than output channels, a residual block (conv, ReLU, conv, add,
ReLU), and the shapes it leaves to the direct forms (dilation 2, stride 2,
15 channels); numpy's float64 answers are the expected outputs.

  python3 winograd_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import os
import sys

import numpy as np
from onnx import helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import Case, conv, save_case  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(0)
case = Case(rng)
nodes, inits, add_input, add_output = case.nodes, case.inits, case.add_input, case.add_output


def add_conv(x_name, x, f, pad, name, bias=True, dil=1, stride=1):
    c = x.shape[1]
    w = (rng.standard_normal((f, c, 3, 3)) * (c * 9) ** -0.5).astype(np.float32)
    inits.append(numpy_helper.from_array(w, name + "_w"))
    ins = [x_name, name + "_w"]
    b = None
    if bias:
        b = rng.standard_normal(f).astype(np.float32)
        inits.append(numpy_helper.from_array(b, name + "_b"))
        ins.append(name + "_b")
    nodes.append(helper.make_node("Conv", ins, [name], name=name, pads=[pad] * 4,
                                  dilations=[dil, dil], kernel_shape=[3, 3],
                                  strides=[stride, stride]))
    return conv(x, w, b, pad, dil, 1, stride)


def relu(x_name, x, name):
    nodes.append(helper.make_node("Relu", [x_name], [name]))
    return np.maximum(x, 0)


# 56x56, 32 channels: V and M of the whole map exceed L2, so bands.
x1 = add_input("x1", [1, 32, 56, 56])
add_output("a", relu("a0", add_conv("x1", x1, 32, 1, "a0"), "a"))
# 7x7, batch 2, 16 -> 24 channels: the last tile row and column overhang.
x2 = add_input("x2", [2, 16, 7, 7])
add_output("b", add_conv("x2", x2, 24, 1, "b"))
# 9x12 (odd rows, even columns), no bias.
x3 = add_input("x3", [1, 16, 9, 12])
add_output("c", add_conv("x3", x3, 16, 1, "c", bias=False))
# No padding: 10x10 -> 8x8, read in place.
x4 = add_input("x4", [1, 20, 10, 10])
add_output("d", add_conv("x4", x4, 40, 0, "d"))
# 5x5 with 64 channels.
x5 = add_input("x5", [1, 64, 5, 5])
add_output("e", add_conv("x5", x5, 64, 1, "e"))
# A residual block on 14x14.
x6 = add_input("x6", [1, 48, 14, 14])
h = relu("f1", add_conv("x6", x6, 48, 1, "f1"), "f1_relu")
f2 = add_conv("f1_relu", h, 48, 1, "f2")
nodes.append(helper.make_node("Add", ["f2", "x6"], ["f_add"]))
add_output("f", relu("f_add", f2 + x6, "f"))
# Left to the direct forms: dilation 2, stride 2, 15 input channels.
add_output("g", add_conv("x6", x6, 16, 2, "g", dil=2))
add_output("h", add_conv("x6", x6, 16, 1, "h", stride=2))
x7 = add_input("x7", [1, 15, 12, 12])
add_output("i", add_conv("x7", x7, 32, 1, "i"))

# A 1x1 map: one tile whose window overhangs by a row and a column (only
# the edge transforms run).
x8 = add_input("x8", [1, 16, 1, 1])
add_output("j", add_conv("x8", x8, 16, 1, "j"))

g = helper.make_graph(nodes, "winograd", case.inputs, case.outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
save_case(out, m, case.feeds, case.want)
