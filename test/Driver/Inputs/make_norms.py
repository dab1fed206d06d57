"""Writes normalization models and their test data (numpy references in
float64) into argv[1]/<name>/{model.onnx,data}:

- gn21: GroupNormalization at opset 21 (scale and bias per channel), 2 x 8
  x 6 x 6 in 4 groups (72-element rows: a block of 3 warps on CUDA);
- gn18: opset 18 (scale and bias per group), 3 x 12 x 5 in 3 groups;
- inorm: InstanceNormalization, 2 x 16 x 32 x 32 (1024-element rows: a
  block of 256), eps 1e-3;
- inorm_small: 3 x 8 x 5 x 7 (35-element rows: a warp per row);
- ln_pow: a layer norm over the last 96 of 2 x 10 x 96 as exporters wrote
  it before opset 17 (ReduceMean, Sub, Pow by 2, ReduceMean, Add eps,
  Sqrt, Div, Mul by the weight, Add the bias; opset 13)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def group_norm(x, scale, bias, groups, eps, per_group):
    n, c = x.shape[:2]
    g = x.astype(np.float64).reshape(n, groups, -1)
    g = (g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)
    if per_group:
        scale, bias = np.repeat(scale, c // groups), np.repeat(bias, c // groups)
    shape = (c,) + (1,) * (x.ndim - 2)
    return g.reshape(x.shape) * scale.reshape(shape) + bias.reshape(shape)


def write(name, node, opset, shape, params, ref):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    inits = [numpy_helper.from_array(v, k) for k, v in params.items()]
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "data"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    with open(os.path.join(d, "data", "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    with open(os.path.join(d, "data", "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(ref(x).astype(np.float32), "y").SerializeToString())


def params(n):
    return {"s": rng.standard_normal(n).astype(np.float32),
            "b": rng.standard_normal(n).astype(np.float32)}


for name, opset, shape, groups in (("gn21", 21, (2, 8, 6, 6), 4),
                                   ("gn18", 18, (3, 12, 5), 3)):
    p = params(shape[1] if opset >= 21 else groups)
    node = helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"],
                            num_groups=groups, epsilon=1e-5, name=name)
    write(name, node, opset, shape, p,
          lambda x, p=p, g=groups, o=opset: group_norm(x, p["s"], p["b"], g, 1e-5, o < 21))
for name, shape in (("inorm", (2, 16, 32, 32)), ("inorm_small", (3, 8, 5, 7))):
    p = params(shape[1])
    node = helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"],
                            epsilon=1e-3, name=name)
    write(name, node, 17, shape, p,
          lambda x, p=p, c=shape[1]: group_norm(x, p["s"], p["b"], c, 1e-3, False))

h = helper
w = rng.standard_normal(96).astype(np.float32)
bias = rng.standard_normal(96).astype(np.float32)
consts = {"w": w, "bias": bias, "two": np.array(2.0, np.float32),
          "eps": np.array(1e-5, np.float32)}
nodes = [h.make_node("ReduceMean", ["x"], ["m"], axes=[-1], name="mean"),
         h.make_node("Sub", ["x", "m"], ["d"], name="sub"),
         h.make_node("Pow", ["d", "two"], ["d2"], name="pow"),
         h.make_node("ReduceMean", ["d2"], ["v"], axes=[-1], name="var"),
         h.make_node("Add", ["v", "eps"], ["ve"], name="addeps"),
         h.make_node("Sqrt", ["ve"], ["sd"], name="sqrt"),
         h.make_node("Div", ["d", "sd"], ["n"], name="div"),
         h.make_node("Mul", ["n", "w"], ["nw"], name="mul"),
         h.make_node("Add", ["nw", "bias"], ["y"], name="add")]


def layer_norm(x):
    x = x.astype(np.float64)
    c = x - x.mean(-1, keepdims=True)
    return c / np.sqrt((c * c).mean(-1, keepdims=True) + 1e-5) * w + bias


shape = (2, 10, 96)
x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
graph = h.make_graph(nodes, "ln_pow",
                     [h.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                     [h.make_tensor_value_info("y", TensorProto.FLOAT, list(shape))],
                     [numpy_helper.from_array(v, k) for k, v in consts.items()])
d = os.path.join(out, "ln_pow")
os.makedirs(os.path.join(d, "data"), exist_ok=True)
onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 13)]),
          os.path.join(d, "model.onnx"))
with open(os.path.join(d, "data", "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "x").SerializeToString())
with open(os.path.join(d, "data", "output_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(layer_norm(x).astype(np.float32), "y").SerializeToString())
