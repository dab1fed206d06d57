"""The com.microsoft QOperator ops onnxruntime's quantizer writes (QLinearAdd,
QLinearMul, QLinearSigmoid, QLinearLeakyRelu, QLinearGlobalAveragePool,
QLinearAveragePool, QLinearConcat, QGemm with an 8-bit and with a float
output) on layer-sized shapes, against their definition computed in numpy:
dequantize in float32, the float op, quantize (round half to even, plus
the zero point, saturated).

  python3 qoperator_model.py OUT          # OUT/model.onnx, OUT/inputs/,
                                          # OUT/expected_<i>.npy
  python3 qoperator_model.py --check OUT GOT

--check compares GOT/output_<i>.npy (mnemo-run --save-outputs) with the
expected values: 8-bit outputs may differ by at most one quantization step
(the order of float operations inside a fused kernel may move a value
across a rounding boundary; onnxruntime's own kernels differ from the
definition the same way), float outputs by 1e-4 relative. Prints one line
per output and `N passed, M failed`; exits 1 on a failure.
"""
import os
import sys

import numpy as np

if sys.argv[1] == "--check":
    out, got = sys.argv[2], sys.argv[3]
    names = open(os.path.join(out, "names.txt")).read().split()
    passed = failed = 0
    for i, name in enumerate(names):
        want = np.load(os.path.join(out, f"expected_{i}.npy"))
        have = np.load(os.path.join(got, f"output_{i}.npy"))
        if want.dtype.kind in "iu":
            d = np.abs(want.astype(np.int64) - have.astype(np.int64))
            ok = have.shape == want.shape and d.max() <= 1
            print(f"{name}: {want.dtype} max_step_diff {d.max()} off_by_one {int((d == 1).sum())}"
                  f"/{d.size} {'ok' if ok else 'FAIL'}")
        else:
            ok = np.allclose(have, want, rtol=1e-4, atol=1e-5)
            print(f"{name}: {want.dtype} max_abs_err {np.abs(have - want).max():.3g} "
                  f"{'ok' if ok else 'FAIL'}")
        passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)

from onnx import helper, numpy_helper  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from testcase import TypedCase  # noqa: E402

out = sys.argv[1]
rng = np.random.default_rng(11)
case = TypedCase()
nodes, init, inp, output = case.nodes, case.init, case.inp, case.output
f32 = np.float32


def dq(x, s, z):
    return (x.astype(np.int32) - np.int32(z)).astype(f32) * f32(s)


def q(y, s, z, t):
    lo, hi = (0, 255) if t == np.uint8 else (-128, 127)
    return np.clip(np.rint(y.astype(f32) / f32(s)) + z, lo, hi).astype(t)


def ms(name, kind, ins, **attrs):
    nodes.append(helper.make_node(kind, ins, [name], domain="com.microsoft", **attrs))


# QLinearAdd: a residual add [1, 24, 14, 14] + a broadcast [24, 1, 1].
a = rng.integers(0, 256, (1, 24, 14, 14)).astype(np.uint8)
b = rng.integers(0, 256, (24, 1, 1)).astype(np.uint8)
ms("add", "QLinearAdd", [inp("add_a", a), init("add_as", f32(0.05)), init("add_az", np.uint8(120)),
                         init("add_b", b), init("add_bs", f32(0.02)), init("add_bz", np.uint8(128)),
                         init("add_ys", f32(0.07)), init("add_yz", np.uint8(100))])
output("add", q(dq(a, 0.05, 120) + dq(b, 0.02, 128), 0.07, 100, np.uint8))

# QLinearMul, int8: an SE block's gate times the features.
a = rng.integers(-128, 128, (1, 16, 7, 7)).astype(np.int8)
b = rng.integers(-128, 128, (1, 16, 1, 1)).astype(np.int8)
ms("mul", "QLinearMul", [inp("mul_a", a), init("mul_as", f32(0.03)), init("mul_az", np.int8(-2)),
                         inp("mul_b", b), init("mul_bs", f32(0.004)), init("mul_bz", np.int8(0)),
                         init("mul_ys", f32(0.01)), init("mul_yz", np.int8(3))])
output("mul", q(dq(a, 0.03, -2) * dq(b, 0.004, 0), 0.01, 3, np.int8))

# QLinearSigmoid and QLinearLeakyRelu (zero points omitted: 0, uint8).
x = rng.integers(0, 256, (2, 40, 5)).astype(np.uint8)
ms("sigmoid", "QLinearSigmoid", [inp("sig_x", x), init("sig_xs", f32(0.06)), "",
                                 init("sig_ys", f32(1 / 256)), ""])
output("sigmoid", q(1 / (1 + np.exp(-dq(x, 0.06, 0))), 1 / 256, 0, np.uint8))
x = rng.integers(0, 256, (1, 8, 6, 6)).astype(np.uint8)
ms("leaky", "QLinearLeakyRelu", [inp("lr_x", x), init("lr_xs", f32(0.1)), init("lr_xz", np.uint8(128)),
                                 init("lr_ys", f32(0.08)), init("lr_yz", np.uint8(30))], alpha=0.1)
y = dq(x, 0.1, 128)
output("leaky", q(np.where(y >= 0, y, y * f32(0.1)), 0.08, 30, np.uint8))

# QLinearGlobalAveragePool [1, 64, 7, 7] and QLinearAveragePool 3x3/2, pad 1
# (count_include_pad 0).
x = rng.integers(0, 256, (1, 64, 7, 7)).astype(np.uint8)
ms("gap", "QLinearGlobalAveragePool", [inp("gap_x", x), init("gap_xs", f32(0.04)),
                                       init("gap_xz", np.uint8(110)), init("gap_ys", f32(0.01)),
                                       init("gap_yz", np.uint8(128))], channels_last=0)
output("gap", q(dq(x, 0.04, 110).mean(axis=(2, 3), keepdims=True, dtype=f32), 0.01, 128, np.uint8))
x = rng.integers(0, 256, (1, 4, 9, 9)).astype(np.uint8)
ms("avgpool", "QLinearAveragePool", [inp("ap_x", x), init("ap_xs", f32(0.05)), init("ap_xz", np.uint8(7)),
                                     init("ap_ys", f32(0.03)), init("ap_yz", np.uint8(9))],
   kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
xf = np.pad(dq(x, 0.05, 7), ((0, 0), (0, 0), (1, 1), (1, 1)))
ones = np.pad(np.ones((9, 9), f32), 1)
ap = np.zeros((1, 4, 5, 5), f32)
for i in range(5):
    for j in range(5):
        win = xf[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
        ap[:, :, i, j] = win.sum(axis=(2, 3), dtype=f32) / ones[2 * i:2 * i + 3, 2 * j:2 * j + 3].sum()
output("avgpool", q(ap, 0.03, 9, np.uint8))

# QLinearConcat of three inputs with different scales along channels.
parts, ins, ref = [], [init("cat_ys", f32(0.05)), init("cat_yz", np.uint8(128))], []
for i, (s, z) in enumerate([(0.05, 128), (0.02, 100), (0.09, 140)]):
    x = rng.integers(0, 256, (1, 3 + i, 4, 4)).astype(np.uint8)
    ins += [inp(f"cat_x{i}", x), init(f"cat_s{i}", f32(s)), init(f"cat_z{i}", np.uint8(z))]
    ref.append(dq(x, s, z))
ms("concat", "QLinearConcat", ins, axis=1)
output("concat", q(np.concatenate(ref, axis=1), 0.05, 128, np.uint8))

# QGemm [4, 96] x [40, 96]^T, per-column int8 weights, an int32 bias, u8 out;
# and the same with a float output (no y_scale).
a = rng.integers(0, 256, (4, 96)).astype(np.uint8)
w = rng.integers(-128, 128, (40, 96)).astype(np.int8)
ws = rng.uniform(0.001, 0.01, 40).astype(f32)
bias = rng.integers(-2000, 2000, 40).astype(np.int32)
common = [inp("g_a", a), init("g_as", f32(0.03)), init("g_az", np.uint8(125)), init("g_w", w),
          init("g_ws", ws), init("g_wz", np.zeros(40, np.int8)), init("g_b", bias)]
ms("qgemm", "QGemm", common + [init("g_ys", f32(0.15)), init("g_yz", np.uint8(128))], transB=1)
acc = (dq(a, 0.03, 125) @ dq(w, 1, 0).T * ws) + bias.astype(f32) * (f32(0.03) * ws)
output("qgemm", q(acc, 0.15, 128, np.uint8))
ms("qgemm_f32", "QGemm", ["g_a", "g_as", "g_az", "g_w", "g_ws", "g_wz", "g_b"], transB=1)
output("qgemm_f32", acc.astype(f32))

# A QDQ Gemm (standard ops) with alpha and beta: graph-fold-qdq folds alpha
# into the weights' scales and beta into the int32 bias.
a = rng.integers(0, 256, (4, 96)).astype(np.uint8)
w = rng.integers(-128, 128, (24, 96)).astype(np.int8)
ws = rng.uniform(0.001, 0.01, 24).astype(f32)
c = rng.uniform(-0.5, 0.5, 24).astype(f32)
nodes.append(helper.make_node("DequantizeLinear", [inp("ab_a", a), init("ab_as", f32(0.03)),
                                                   init("ab_az", np.uint8(125))], ["ab_da"]))
nodes.append(helper.make_node("DequantizeLinear", [init("ab_w", w), init("ab_ws", ws),
                                                   init("ab_wz", np.zeros(24, np.int8))],
                              ["ab_dw"], axis=0))
nodes.append(helper.make_node("Gemm", ["ab_da", "ab_dw", init("ab_c", c)], ["ab_y"],
                              alpha=0.5, beta=2.0, transB=1))
nodes.append(helper.make_node("QuantizeLinear", ["ab_y", init("ab_ys", f32(0.1)),
                                                 init("ab_yz", np.uint8(128))], ["gemm_alpha_beta"]))
acc = f32(0.5) * (dq(a, 0.03, 125) @ (dq(w, 1, 0) * ws[:, None]).T) + f32(2.0) * c
output("gemm_alpha_beta", q(acc, 0.1, 128, np.uint8))

g = helper.make_graph(nodes, "qoperator", case.inputs, case.outputs, case.inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                        helper.make_opsetid("com.microsoft", 1)])
d = os.path.join(out, "inputs")
os.makedirs(d, exist_ok=True)
import onnx  # noqa: E402
onnx.save(m, os.path.join(out, "model.onnx"))
for i, a in enumerate(case.feeds):
    with open(os.path.join(d, f"input_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(a).SerializeToString())
for i, a in enumerate(case.want):
    np.save(os.path.join(out, f"expected_{i}.npy"), a)
with open(os.path.join(out, "names.txt"), "w") as f:
    f.write("\n".join(case.names))
