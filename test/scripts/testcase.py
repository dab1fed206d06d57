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
