"""Convolutions of the shapes the register kernel's special forms take:
stride-1 KxK convolutions on the input's pitch (maps of 28, 14, 9 and 7
columns, padding 0/1/2, dilation 2, batch 2, odd channel counts, with and
without bias, a ReLU epilogue storing into the next convolution's padded
input), a 1x1 convolution in column tiles, 1x1 convolutions on 7x7
maps in the channel-vector form, and inverted-residual blocks in the
channel-blocked layout (a stride-2 and a 5x5 depthwise convolution, ReLU6,
a residual add), and a max pool over NaNs; numpy's float64 answers are
the expected outputs.

  python3 conv_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import Case, conv, save_case  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(0)


case = Case(rng)
nodes, inputs, outputs = case.nodes, case.inputs, case.outputs
inits, feeds, want = case.inits, case.feeds, case.want
add_input, add_output = case.add_input, case.add_output


def tensor(name, shape, scale=1.0):
    a = (rng.standard_normal(shape) * scale).astype(np.float32)
    inits.append(numpy_helper.from_array(a, name))
    return a


def add_conv(x_name, x, f, k, pad, dil, bias, name, group=1, stride=1):
    cg = x.shape[1] // group
    w = tensor(name + "_w", (f, cg, k, k), (cg * k * k) ** -0.5)
    b = tensor(name + "_b", (f,)) if bias else None
    ins = [x_name, name + "_w"] + ([name + "_b"] if bias else [])
    nodes.append(helper.make_node("Conv", ins, [name], name=name, pads=[pad] * 4,
                                  dilations=[dil, dil], kernel_shape=[k, k], group=group,
                                  strides=[stride, stride]))
    return conv(x, w, b, pad, dil, group, stride)


def add_act(x_name, x, op, name):
    if op == "Relu":
        nodes.append(helper.make_node("Relu", [x_name], [name]))
        return np.maximum(x, 0)
    nodes.append(helper.make_node("Clip", [x_name, "zero", "six"], [name]))
    return np.clip(x, 0, 6)




# 14x14: conv + ReLU into the next conv's padded input, then a dilated conv.
x1 = add_input("x1", [1, 5, 14, 14])
a = add_conv("x1", x1, 24, 3, 1, 1, True, "a")
nodes.append(helper.make_node("Relu", ["a"], ["a_relu"]))
b = add_conv("a_relu", np.maximum(a, 0), 13, 3, 1, 1, True, "b")
add_output("b", b)
c = add_conv("b", b, 20, 3, 2, 2, False, "c")
add_output("c", c)
# 9x9, batch 2: padding 1 (pitch 11), a 5x5 kernel, and no padding (7x7).
x2 = add_input("x2", [2, 6, 9, 9])
add_output("d", add_conv("x2", x2, 17, 3, 1, 1, True, "d"))
add_output("e", add_conv("x2", x2, 9, 5, 2, 1, True, "e"))
add_output("g", add_conv("x2", x2, 30, 3, 0, 1, True, "g"))
# 28x28 with a ReLU in place.
x3 = add_input("x3", [1, 3, 28, 28])
h = add_conv("x3", x3, 8, 3, 1, 1, True, "h")
nodes.append(helper.make_node("Relu", ["h"], ["h_relu"]))
add_output("h_relu", np.maximum(h, 0))

# A 1x1 convolution with few input channels over a large map: column
# tiles (B's 4 x tile panel in L1, the row blocks inside), the last tile
# partial.
x4 = add_input("x4", [1, 4, 61, 67])
add_output("p", add_conv("x4", x4, 40, 1, 0, 1, True, "p"))

# 1x1 convolutions on 7x7 maps (49 columns: the channel-vector form with
# 16 lanes): with a bias and a ReLU stored into the padded input of a
# depthwise conv, and without a bias; 40 output channels (not a multiple
# of 16) keep the row form.
x5 = add_input("x5", [1, 24, 7, 7])
q1 = add_conv("x5", x5, 64, 1, 0, 1, True, "q1")
nodes.append(helper.make_node("Relu", ["q1"], ["q1_relu"]))
add_output("q", add_conv("q1_relu", np.maximum(q1, 0), 64, 3, 1, 1, True, "q", group=64))
add_output("s", add_conv("x5", x5, 32, 1, 0, 1, False, "s"))
add_output("t", add_conv("x5", x5, 40, 1, 0, 1, True, "t"))
# Depthwise 5x5 (pad 2, pitch 11) and 3x3 dilated (pad 2, pitch 11) on
# 7x7 maps, batch 2, 20 channels: pitched with the channels as rows.
x7 = add_input("x7", [2, 20, 7, 7])
add_output("v", add_conv("x7", x7, 20, 5, 2, 1, True, "v", group=20))
add_output("w", add_conv("x7", x7, 20, 3, 2, 2, False, "w", group=20))
# A 3x3 map: 9 columns fill few lanes at every width, so AVX2 and SSE
# code take the channel-vector form too (their scatters are scalar
# stores).
x6 = add_input("x6", [1, 16, 3, 3])
add_output("u", add_conv("x6", x6, 32, 1, 0, 1, True, "u"))

# Inverted-residual blocks (MobileNetV2 / MnasNet) whose depthwise
# convolutions run on maps of at most 14 columns: the channel-blocked
# layout (lanes-channel blocks), from a pointwise convolution reading the
# 24-channel NCHW input, through a stride-2 depthwise 3x3 with ReLU6, a
# 5x5 depthwise on 7x7, to a residual add of two blocked results.
inits.append(numpy_helper.from_array(np.array(0, np.float32), "zero"))
inits.append(numpy_helper.from_array(np.array(6, np.float32), "six"))
x8 = add_input("x8", [1, 24, 14, 14])
e1 = add_act("e1", add_conv("x8", x8, 96, 1, 0, 1, True, "e1"), "Clip", "e1_act")
d1 = add_act("d1", add_conv("e1_act", e1, 96, 3, 1, 1, True, "d1", group=96, stride=2),
             "Clip", "d1_act")
p1 = add_conv("d1_act", d1, 32, 1, 0, 1, True, "p1")
e2 = add_act("e2", add_conv("p1", p1, 64, 1, 0, 1, True, "e2"), "Relu", "e2_act")
d2 = add_act("d2", add_conv("e2_act", e2, 64, 5, 2, 1, True, "d2", group=64), "Relu", "d2_act")
p2 = add_conv("d2_act", d2, 32, 1, 0, 1, True, "p2")
nodes.append(helper.make_node("Add", ["p2", "p1"], ["r"]))
add_output("r", p2 + p1)

# A 3x3 stride-2 max pool whose input holds NaNs (at a window's first,
# middle and last element) and signed zeros: NaN propagates to every
# window that holds one, as numpy's max does.
x9 = add_input("x9", [1, 4, 11, 11])
x9[0, 0, 0, 0] = np.nan
x9[0, 1, 5, 5] = np.nan
x9[0, 3, 10, 10] = np.nan
x9[0, 2, 2:5, 2:5] = -0.0
nodes.append(helper.make_node("MaxPool", ["x9"], ["mp"], kernel_shape=[3, 3],
                              strides=[2, 2]))
windows = np.lib.stride_tricks.sliding_window_view(x9, (3, 3), axis=(2, 3))
add_output("mp", windows[:, :, ::2, ::2].max(axis=(-1, -2)))

# ShuffleNetV2's branch: a stride-2 depthwise convolution, a pointwise one
# and a ReLU, all channel-blocked; bufferization writes the ReLU into the
# depthwise result's buffer, which the pointwise kernel still reads, so
# the ReLU must not become that kernel's store.
x10 = add_input("x10", [1, 32, 14, 14])
dz = add_conv("x10", x10, 32, 3, 1, 1, True, "dz", group=32, stride=2)
add_output("z", add_act("pz", add_conv("dz", dz, 32, 1, 0, 1, True, "pz"), "Relu", "z"))

g = helper.make_graph(nodes, "convs", inputs, outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
save_case(out, m, feeds, want)
