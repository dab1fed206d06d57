"""Quantized ONNX ops on shapes of real layers, against exact integer
arithmetic in numpy (not a saturating kernel): QLinearConv as a 3x3,
a strided, a depthwise and a 1x1 layer with per-channel int8 weights and
uint8 / int8 activations and an int32 bias; ConvInteger; QLinearMatMul
and MatMulInteger with per-column zero points; QuantizeLinear and
DequantizeLinear per axis; DynamicQuantizeLinear. The case from issue 22
is included: a 1x1 QLinearConv whose u8 x s8 pair products exceed int16
(255 * 127 * 2), where AVX2's vpmaddubsw saturates and onnxruntime was
seen returning 101 instead of 200.

Requantization follows the ONNX reference: acc * (x_scale * w_scale /
y_scale) in float32, rounded half to even, plus the zero point, saturated.

  python3 quant_model.py OUT   # OUT/model.onnx, OUT/test_data_set_0/
"""
import os
import sys

import numpy as np
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import TypedCase, save_case  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(7)
case = TypedCase()
nodes, init, inp, output = case.nodes, case.init, case.inp, case.output


def conv_i32(x, w, stride, pad, group):
    """Exact int64 convolution of already-centered NCHW x and MCkk w."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, m, oh, ow), np.int64)
    mg = m // group
    for f in range(m):
        g = f // mg
        for i in range(kh):
            for j in range(kw):
                patch = x[:, g * cg:(g + 1) * cg, i:i + stride * oh:stride, j:j + stride * ow:stride]
                y[:, f] += np.einsum("nchw,c->nhw", patch, w[f, :, i, j].astype(np.int64))
    return y


def requant(acc, mult, zp, dtype):
    lo, hi = (0, 255) if dtype == np.uint8 else (-128, 127)
    v = np.rint(acc.astype(np.float32) * mult.astype(np.float32)) + zp
    return np.clip(v, lo, hi).astype(dtype)


def qlinear_conv(name, xdt, shape, m, k, stride, pad, group, xs=0.02, ys=0.05):
    n, c, h, w = shape
    lo, hi = (0, 256) if xdt == np.uint8 else (-128, 128)
    x = rng.integers(lo, hi, shape).astype(xdt)
    xzp = np.array(rng.integers(lo, hi) // 2, xdt)
    wq = rng.integers(-127, 128, (m, c // group, k, k)).astype(np.int8)
    wzp = np.zeros(m, np.int8)  # per channel, symmetric (as quantizers write)
    wsc = rng.uniform(0.002, 0.01, m).astype(np.float32)
    bias = rng.integers(-20000, 20000, m).astype(np.int32)
    yzp = np.array(128 if xdt == np.uint8 else 0, xdt)
    xsc, ysc = np.array(xs, np.float32), np.array(ys, np.float32)
    ins = [inp(name + "_x", x), init(name + "_xs", xsc), init(name + "_xzp", xzp),
           init(name + "_w", wq), init(name + "_ws", wsc), init(name + "_wzp", wzp),
           init(name + "_ys", ysc), init(name + "_yzp", yzp), init(name + "_b", bias)]
    nodes.append(helper.make_node("QLinearConv", ins, [name], strides=[stride] * 2,
                                  pads=[pad] * 4, group=group))
    acc = conv_i32(x.astype(np.int64) - int(xzp), wq.astype(np.int64), stride, pad, group)
    acc += bias.reshape(1, m, 1, 1)
    mult = (xsc * wsc / ysc).astype(np.float32).reshape(1, m, 1, 1)
    output(name, requant(acc, mult, int(yzp), xdt))


qlinear_conv("conv3x3_u8", np.uint8, (1, 16, 12, 12), 24, 3, 1, 1, 1)
qlinear_conv("conv_s2_s8", np.int8, (1, 8, 15, 15), 16, 3, 2, 1, 1)
qlinear_conv("depthwise_u8", np.uint8, (1, 32, 10, 10), 32, 3, 1, 1, 32)
qlinear_conv("pointwise_u8", np.uint8, (1, 64, 7, 7), 48, 1, 1, 0, 1)

# Issue 22's case: x = 255 everywhere, w = 127, 1x1 over 2 channels: every
# u8 x s8 pair sums to 64770 (> int16), exact answer 200 after requant.
x = np.full((1, 2, 1, 1), 255, np.uint8)
ins = [inp("sat_x", x), init("sat_xs", np.array(1.0, np.float32)),
       init("sat_xzp", np.array(0, np.uint8)), init("sat_w", np.full((1, 2, 1, 1), 127, np.int8)),
       init("sat_ws", np.array([1.0], np.float32)), init("sat_wzp", np.array([0], np.int8)),
       init("sat_ys", np.array(64770 / 200, np.float32)), init("sat_yzp", np.array(0, np.uint8))]
nodes.append(helper.make_node("QLinearConv", ins, ["saturation"]))
output("saturation", requant(np.array([[[[64770]]]]), np.array(1 / np.float32(64770 / 200), np.float32),
                             0, np.uint8))

# ConvInteger (no requantization), u8 activations with a zero point.
x = rng.integers(0, 256, (2, 4, 9, 9)).astype(np.uint8)
wq = rng.integers(0, 256, (6, 4, 3, 3)).astype(np.uint8)
nodes.append(helper.make_node("ConvInteger", [inp("ci_x", x), init("ci_w", wq),
                                              init("ci_xzp", np.array(100, np.uint8)),
                                              init("ci_wzp", np.array(128, np.uint8))],
                              ["conv_integer"], pads=[1, 1, 1, 1]))
output("conv_integer", conv_i32(x.astype(np.int64) - 100, wq.astype(np.int64) - 128, 1, 1, 1)
       .astype(np.int32))

# QLinearMatMul [2, 16, 64] x [64, 40], per-column b scale and zero point.
a = rng.integers(0, 256, (2, 16, 64)).astype(np.uint8)
b = rng.integers(-128, 128, (64, 40)).astype(np.int8)
bs = rng.uniform(0.001, 0.01, 40).astype(np.float32)
bzp = rng.integers(-3, 4, 40).astype(np.int8)
ins = [inp("qm_a", a), init("qm_as", np.array(0.03, np.float32)), init("qm_azp", np.array(120, np.uint8)),
       init("qm_b", b), init("qm_bs", bs), init("qm_bzp", bzp),
       init("qm_ys", np.array(0.2, np.float32)), init("qm_yzp", np.array(128, np.uint8))]
nodes.append(helper.make_node("QLinearMatMul", ins, ["qlinear_matmul"]))
acc = np.matmul(a.astype(np.int64) - 120, b.astype(np.int64) - bzp.astype(np.int64))
output("qlinear_matmul", requant(acc, np.float32(0.03) * bs / np.float32(0.2), 128, np.uint8))

# MatMulInteger with a per-row a zero point [M] and per-column b zero point.
a = rng.integers(-128, 128, (5, 33)).astype(np.int8)
b = rng.integers(0, 256, (33, 7)).astype(np.uint8)
azp = rng.integers(-5, 6, 5).astype(np.int8)
bzp = rng.integers(120, 136, 7).astype(np.uint8)
nodes.append(helper.make_node("MatMulInteger", [inp("mi_a", a), inp("mi_b", b), init("mi_azp", azp),
                                                init("mi_bzp", bzp)], ["matmul_integer"]))
output("matmul_integer", ((a.astype(np.int64) - azp.reshape(5, 1)) @
                          (b.astype(np.int64) - bzp.astype(np.int64))).astype(np.int32))

# QuantizeLinear per axis 1 (int8, with ties at .5 to check half-to-even)
# and DequantizeLinear back.
xs = rng.uniform(0.01, 0.1, 3).astype(np.float32)
x = (rng.integers(-300, 300, (2, 3, 4, 5)) / 2.0).astype(np.float32) * xs.reshape(1, 3, 1, 1)
zp = np.array([-3, 0, 5], np.int8)
nodes.append(helper.make_node("QuantizeLinear", [inp("q_x", x), init("q_s", xs), init("q_zp", zp)],
                              ["quantized"], axis=1))
q = np.clip(np.rint(x / xs.reshape(1, 3, 1, 1)) + zp.reshape(1, 3, 1, 1), -128, 127).astype(np.int8)
output("quantized", q)
nodes.append(helper.make_node("DequantizeLinear", ["quantized", "q_s", "q_zp"], ["dequantized"], axis=1))
output("dequantized", ((q.astype(np.int32) - zp.reshape(1, 3, 1, 1)).astype(np.float32)
                       * xs.reshape(1, 3, 1, 1)))

# DynamicQuantizeLinear over activations of both signs.
x = rng.standard_normal((4, 50)).astype(np.float32) * 3
nodes.append(helper.make_node("DynamicQuantizeLinear", [inp("dq_x", x)], ["dyn_y", "dyn_scale", "dyn_zp"]))
lo, hi = min(0.0, x.min()), max(0.0, x.max())
scale = np.float32((np.float32(hi) - np.float32(lo)) / np.float32(255))
zpd = np.clip(np.rint(np.float32(0) - np.float32(lo) / scale), 0, 255).astype(np.uint8)
output("dyn_y", np.clip(np.rint(x / scale) + zpd, 0, 255).astype(np.uint8))
output("dyn_scale", np.array(scale, np.float32))
output("dyn_zp", np.array(zpd, np.uint8))

g = helper.make_graph(nodes, "quant", case.inputs, case.outputs, case.inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
save_case(out, m, case.feeds, case.want)
