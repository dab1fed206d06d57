"""Writes small ONNX models whose weights live in external data files, with
the bad variants the importer must reject: escaping, absolute and linked
locations, a missing file and an out-of-range offset."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "sub"), exist_ok=True)
w = np.arange(64 * 32, dtype=np.float32).reshape(64, 32) / 100.0
with open(os.path.join(out, "weights.bin"), "wb") as f:
    f.write(b"\0" * 16)  # data starts at an offset
    f.write(w.tobytes())
with open(os.path.join(out, "outside.bin"), "wb") as f:
    f.write(w.tobytes())
if not os.path.lexists(os.path.join(out, "link.bin")):
    os.symlink(os.path.join(out, "weights.bin"), os.path.join(out, "link.bin"))


def model(location, offset=16, length=w.nbytes, folder=out, name="m"):
    t = TensorProto()
    t.name = "W"
    t.data_type = TensorProto.FLOAT
    t.dims.extend(w.shape)
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)),
                 ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    node = helper.make_node("MatMul", ["X", "W"], ["Y"], name="proj")
    g = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 32])],
        initializer=[t])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    with open(os.path.join(folder, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())
    return m


model("weights.bin", name="ok")
model("../outside.bin", folder=os.path.join(out, "sub"), name="escape")
model(os.path.join(out, "weights.bin"), name="absolute")
model("link.bin", name="symlink")
model("missing.bin", name="missing")
model("weights.bin", offset=1 << 20, name="offset")
good = open(os.path.join(out, "ok.onnx"), "rb").read()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(good[: len(good) // 2])
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\xff\xfe this is not a protobuf \x00\x01" * 8)
