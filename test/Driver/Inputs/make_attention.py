"""Writes attention.onnx and its test data (numpy references, float64)
into argv[1]: two exported attention chains that mnemo-fuse-attention
turns into graph.attention, shaped to reach the FlashAttention kernel's
edges.

- `y`: 2 x 3 heads, 100 queries and 100 keys of 64 (neither a multiple of
  the tiles), scaled by 1/8, causal Where(mask, s, -inf) as exported;
- `z`: one query row (a decode step: a warp per row) over 77 keys, head
  dims 40 and 24 (below the 32 lanes of a row: guarded columns), an
  additive mask broadcast over the 4 heads;
- `x`: Llama's form, Where(pad, -inf, s) (the fill where the condition is
  true), 5 queries over 33 keys with random padding; the keys come as
  rows ([.., N, D], as cached), transposed and scaled by 0.5 before the
  product as GPT-2 exports them (the fusion reads the rows: k_rows)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
F = TensorProto.FLOAT


def chain(p, q, k, v, mask, scale, kind, k_rows=False):
    """MatMul(q, k) -> Mul(scale) -> mask -> Softmax -> MatMul(., v); with
    `k_rows`, k is [.., N, D] and MatMul reads Mul(Transpose(k), 0.5)."""
    nodes = []
    if k_rows:
        nodes += [helper.make_node("Transpose", [k], [p + "kt"],
                                   perm=[0, 1, 3, 2], name=p + "Transpose"),
                  helper.make_node("Mul", [p + "kt", p + "khalf"], [p + "ks"],
                                   name=p + "KMul")]
        k = p + "ks"
    nodes += [helper.make_node("MatMul", [q, k], [p + "s"], name=p + "MatMul"),
             helper.make_node("Mul", [p + "s", p + "scale"], [p + "t"],
                              name=p + "Mul")]
    if kind == "select":
        nodes.append(helper.make_node("Where", [mask, p + "t", p + "fill"],
                                      [p + "u"], name=p + "Where"))
    elif kind == "select_inverted":
        nodes.append(helper.make_node("Where", [mask, p + "fill", p + "t"],
                                      [p + "u"], name=p + "Where"))
    else:
        nodes.append(helper.make_node("Add", [p + "t", mask], [p + "u"],
                                      name=p + "Add"))
    nodes += [helper.make_node("Softmax", [p + "u"], [p + "w"], axis=-1,
                               name=p + "Softmax"),
              helper.make_node("MatMul", [p + "w", v], [p], name=p + "MatMul_1")]
    inits = [helper.make_tensor(p + "scale", F, [], [scale])]
    if k_rows:
        inits.append(helper.make_tensor(p + "khalf", F, [], [0.5]))
    if kind != "add":
        inits.append(helper.make_tensor(p + "fill", F, [], [-np.inf]))
    return nodes, inits


ny, iy = chain("y", "qy", "ky", "vy", "my", 0.125, "select")
nz, iz = chain("z", "qz", "kz", "vz", "mz", 1 / np.sqrt(40), "add")
nx, ix = chain("x", "qx", "kx", "vx", "mx", 0.25, "select_inverted",
               k_rows=True)
shapes = {"qy": [2, 3, 100, 64], "ky": [2, 3, 64, 100], "vy": [2, 3, 100, 64],
          "qz": [1, 4, 1, 40], "kz": [1, 4, 40, 77], "vz": [1, 4, 77, 24],
          "mz": [1, 1, 1, 77],
          "qx": [1, 2, 5, 16], "kx": [1, 2, 33, 16], "vx": [1, 2, 33, 16]}
inputs = [helper.make_tensor_value_info(n, F, s) for n, s in shapes.items()]
inputs.insert(3, helper.make_tensor_value_info("my", TensorProto.BOOL,
                                               [1, 1, 100, 100]))
inputs.append(helper.make_tensor_value_info("mx", TensorProto.BOOL,
                                            [1, 1, 5, 33]))
g = helper.make_graph(
    ny + nz + nx, "attention", inputs,
    [helper.make_tensor_value_info("y", F, [2, 3, 100, 64]),
     helper.make_tensor_value_info("z", F, [1, 4, 1, 24]),
     helper.make_tensor_value_info("x", F, [1, 2, 5, 16])], iy + iz + ix)
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(out, "attention.onnx"))

rng = np.random.default_rng(0)
vals = {n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
vals["my"] = np.tril(np.ones((100, 100), bool))[None, None]
vals["mz"] = np.where(rng.random((1, 1, 1, 77)) < 0.2, -1e4, 0).astype(np.float32)
# Padding: about a third of the keys hidden, the first key of a row kept.
vals["mx"] = rng.random((1, 1, 5, 33)) < 0.35
vals["mx"][..., 0] = False


def attention(q, k, v, scale, select=None, add=None):
    s = (q.astype(np.float64) @ k) * scale
    if select is not None:
        s = np.where(select, s, -np.inf)
    if add is not None:
        s = s + add
    e = np.exp(s - s.max(-1, keepdims=True))
    return ((e / e.sum(-1, keepdims=True)) @ v).astype(np.float32)


refs = {"y": attention(vals["qy"], vals["ky"], vals["vy"], 0.125,
                       select=vals["my"]),
        "z": attention(vals["qz"], vals["kz"], vals["vz"],
                       np.float32(1 / np.sqrt(40)), add=vals["mz"]),
        "x": attention(vals["qx"], vals["kx"].swapaxes(-1, -2) * 0.5,
                       vals["vx"], 0.25, select=~vals["mx"])}
data = os.path.join(out, "data")
os.makedirs(data, exist_ok=True)
for i, t in enumerate(inputs):
    with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(vals[t.name], t.name).SerializeToString())
for i, n in enumerate(["y", "z", "x"]):
    with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(refs[n], n).SerializeToString())
