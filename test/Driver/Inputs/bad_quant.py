"""Quantization forms mnemo refuses, as models (quantized-ops.test):
OUT/zp16.onnx (an int16 zero point), OUT/block.onnx (a block-wise scale,
opset 21's block_size), OUT/fp8.onnx (output_dtype 17, float8e4m3fn),
OUT/scale0.onnx (a scale of 0) and OUT/scalenan.onnx (a per-axis scale
with a NaN)."""
import os
import sys

import onnx
from onnx import TensorProto as T
from onnx import helper as h

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, node, x_type, y_type, inits, opset):
    g = h.make_graph([node], name, [h.make_tensor_value_info("x", x_type, [4, 4])],
                     [h.make_tensor_value_info("y", y_type, [4, 4])], inits)
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", opset)]),
              os.path.join(out, name + ".onnx"))


scale = h.make_tensor("s", T.FLOAT, [], [0.5])
save("zp16", h.make_node("QuantizeLinear", ["x", "s", "zp"], ["y"], name="q_int16"),
     T.FLOAT, T.INT16, [scale, h.make_tensor("zp", T.INT16, [], [0])], 13)
save("block", h.make_node("DequantizeLinear", ["x", "bs"], ["y"], name="dq_block", block_size=2),
     T.INT8, T.FLOAT, [h.make_tensor("bs", T.FLOAT, [4, 2], [0.5] * 8)], 21)
save("fp8", h.make_node("QuantizeLinear", ["x", "s"], ["y"], name="q_fp8", output_dtype=17),
     T.FLOAT, T.UINT8, [scale], 21)
save("scale0", h.make_node("QuantizeLinear", ["x", "s0"], ["y"], name="q_scale0"),
     T.FLOAT, T.UINT8, [h.make_tensor("s0", T.FLOAT, [], [0.0])], 13)
save("scalenan", h.make_node("DequantizeLinear", ["x", "sn"], ["y"], name="dq_nan", axis=1),
     T.INT8, T.FLOAT, [h.make_tensor("sn", T.FLOAT, [4], [0.5, float("nan"), 0.5, 0.5])], 13)
