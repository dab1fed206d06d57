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
