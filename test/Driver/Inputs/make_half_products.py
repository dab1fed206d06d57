"""Writes products.onnx and its test data into argv[1]: the products the
CUDA target's fp16 or bf16 (argv[2], default fp16) tensor-core kernels
claim, with references computed as those kernels define them (each operand
rounded to nearest f16 or bf16, products and sums in float64 here, f32
there), so a kernel that reads a fragment element from the wrong place, or
rounds at the wrong point, misses them by far more than the f32
summation's error.

- `y`: MatMul 100 x 70 by 70 x 90 (no dim a multiple of the tiles);
- `z`: Gemm with transB and a bias, one row by 1000 x 1280 (a classifier);
- `c`: a 3x3 convolution, stride 2, pad 1, 2 groups, over 2 x 16 x 15 x 15
  (an implicit GEMM with strided, grouped addresses and padded edges)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
half = sys.argv[2] if len(sys.argv) > 2 else "fp16"
F = TensorProto.FLOAT
rng = np.random.default_rng(7)


def f16(x):
    """x rounded to the kernels' 2-byte type, as float64."""
    if half == "fp16":
        return x.astype(np.float16).astype(np.float64)
    # bf16: the top 16 bits of the float32, rounded to nearest even.
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32).astype(np.float64)


a = rng.standard_normal((100, 70)).astype(np.float32)
b = rng.standard_normal((70, 90)).astype(np.float32)
u = rng.standard_normal((1, 1280)).astype(np.float32)
w = rng.standard_normal((1000, 1280)).astype(np.float32)
bias = rng.standard_normal((1000,)).astype(np.float32)
x = rng.standard_normal((2, 16, 15, 15)).astype(np.float32)
k = rng.standard_normal((12, 8, 3, 3)).astype(np.float32)

y = f16(a) @ f16(b)
z = f16(u) @ f16(w).T + bias
# Grouped, strided convolution by direct summation.
xp = np.pad(f16(x), ((0, 0), (0, 0), (1, 1), (1, 1)))
c = np.zeros((2, 12, 8, 8))
for g in range(2):
    for f in range(6 * g, 6 * g + 6):
        for ch in range(8):
            for i in range(3):
                for j in range(3):
                    c[:, f] += f16(k)[f, ch, i, j] * \
                        xp[:, 8 * g + ch, i:i + 15:2, j:j + 15:2]

nodes = [
    helper.make_node("MatMul", ["a", "b"], ["y"], name="mm"),
    helper.make_node("Gemm", ["u", "w", "bias"], ["z"], transB=1, name="gemm"),
    helper.make_node("Conv", ["x", "k"], ["c"], strides=[2, 2],
                     pads=[1, 1, 1, 1], group=2, name="conv"),
]
graph = helper.make_graph(
    nodes, "fp16_products",
    [helper.make_tensor_value_info(n, F, list(v.shape))
     for n, v in (("a", a), ("u", u), ("x", x))],
    [helper.make_tensor_value_info(n, F, list(v.shape))
     for n, v in (("y", y), ("z", z), ("c", c))],
    initializer=[numpy_helper.from_array(v, n)
                 for n, v in (("b", b), ("w", w), ("bias", bias), ("k", k))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, os.path.join(out, "products.onnx"))
data = os.path.join(out, "data")
os.makedirs(data, exist_ok=True)
for i, (n, v) in enumerate((("a", a), ("u", u), ("x", x))):
    with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(v, n).SerializeToString())
for i, (n, v) in enumerate((("y", y), ("z", z), ("c", c))):
    with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
        f.write(numpy_helper.from_array(v.astype(np.float32), n).SerializeToString())
