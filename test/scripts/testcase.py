"""Writes a generated test case as the ONNX backend tests lay one out:
OUT/model.onnx and OUT/test_data_set_0/{input,output}_<i>.pb (the layout
mnemo-run --inputs reads). Shared by the *_model.py generators."""
import os

import onnx
from onnx import numpy_helper


def save_case(out, model, inputs, outputs):
    d = os.path.join(out, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    for kind, arrays in (("input", inputs), ("output", outputs)):
        for i, a in enumerate(arrays):
            with open(os.path.join(d, "%s_%d.pb" % (kind, i)), "wb") as f:
                f.write(numpy_helper.from_array(a).SerializeToString())


def conv(x, w, b, pad, dil, group=1, stride=1):
    """A grouped 2-D convolution in float64 (NCHW, FCHW weights, square
    pads, strides and dilations), the generators' reference."""
    import numpy as np
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    ow = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    y = np.zeros((n, f, oh, ow))
    fg = f // group
    for g in range(group):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg, i * dil:i * dil + stride * (oh - 1) + 1:stride,
                           j * dil:j * dil + stride * (ow - 1) + 1:stride]
                y[:, g * fg:(g + 1) * fg] += np.einsum(
                    "nchw,fc->nfhw", patch, w[g * fg:(g + 1) * fg, :, i, j].astype(np.float64))
    if b is not None:
        y += b.astype(np.float64)[None, :, None, None]
    return y


class Case:
    """A generated graph's lists, and the helpers that fill them: inputs
    drawn from `rng`, outputs with their expected values (as float32)."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes, self.inputs, self.outputs = [], [], []
        self.inits, self.feeds, self.want = [], [], []

    def add_input(self, name, shape):
        import numpy as np
        from onnx import TensorProto, helper
        a = self.rng.standard_normal(shape).astype(np.float32)
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        self.feeds.append(a)
        return a

    def add_output(self, name, value):
        import numpy as np
        from onnx import TensorProto, helper
        self.outputs.append(
            helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
        self.want.append(value.astype(np.float32))


class TypedCase:
    """A generated graph whose tensors keep their own element types (the
    integer tests): initializers, inputs with their feeds, outputs with their
    expected values, all typed from the numpy arrays."""

    def __init__(self):
        self.nodes, self.inputs, self.outputs = [], [], []
        self.inits, self.feeds, self.want, self.names = [], [], [], []

    @staticmethod
    def _type(a):
        import numpy as np
        from onnx import TensorProto
        return {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8,
                np.int32: TensorProto.INT32, np.float32: TensorProto.FLOAT}[a.dtype.type]

    def init(self, name, a):
        self.inits.append(numpy_helper.from_array(a, name))
        return name

    def inp(self, name, a):
        from onnx import helper
        self.inputs.append(helper.make_tensor_value_info(name, self._type(a), list(a.shape)))
        self.feeds.append(a)
        return name

    def output(self, name, a):
        from onnx import helper
        self.outputs.append(helper.make_tensor_value_info(name, self._type(a), list(a.shape)))
        self.want.append(a)
        self.names.append(name)
