"""Stride-1 KxK convolutions of the shapes the pitched kernel takes (maps
of 28, 14, 9 and 7 columns, padding 0/1/2, dilation 2, batch 2, odd
channel counts, with and without bias, a ReLU epilogue storing into the
next convolution's padded input), with numpy's float64 answers as the
expected outputs.

  python3 conv_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(0)


def conv(x, w, b, pad, dil):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = h + 2 * pad - dil * (kh - 1)
    ow = wd + 2 * pad - dil * (kw - 1)
    y = np.zeros((n, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i * dil:i * dil + oh, j * dil:j * dil + ow]
            y += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j].astype(np.float64))
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y


inits, nodes, inputs, outputs, feeds, want = [], [], [], [], [], []


def tensor(name, shape, scale=1.0):
    a = (rng.standard_normal(shape) * scale).astype(np.float32)
    inits.append(numpy_helper.from_array(a, name))
    return a


def add_conv(x_name, x, f, k, pad, dil, bias, name):
    w = tensor(name + "_w", (f, x.shape[1], k, k), (x.shape[1] * k * k) ** -0.5)
    b = tensor(name + "_b", (f,)) if bias else None
    ins = [x_name, name + "_w"] + ([name + "_b"] if bias else [])
    nodes.append(helper.make_node("Conv", ins, [name], name=name, pads=[pad] * 4,
                                  dilations=[dil, dil], kernel_shape=[k, k]))
    return conv(x, w, b, pad, dil)


def add_input(name, shape):
    a = rng.standard_normal(shape).astype(np.float32)
    inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    feeds.append(a)
    return a


def add_output(name, value):
    outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
    want.append(value.astype(np.float32))


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

g = helper.make_graph(nodes, "convs", inputs, outputs, inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
d = os.path.join(out, "test_data_set_0")
os.makedirs(d, exist_ok=True)
onnx.save(m, os.path.join(out, "model.onnx"))
for i, a in enumerate(feeds):
    with open(os.path.join(d, "input_%d.pb" % i), "wb") as f:
        f.write(numpy_helper.from_array(a).SerializeToString())
for i, w in enumerate(want):
    with open(os.path.join(d, "output_%d.pb" % i), "wb") as f:
        f.write(numpy_helper.from_array(w).SerializeToString())
