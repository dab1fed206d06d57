"""What the case generators (make_*_cases.py) share: a model checked by
onnx's checker and saved as ROOT/NAME/model.onnx, the folder its
test_data_set_K folders go in."""
import os

import onnx
from onnx import helper


def save_model(root, name, graph, opset):
    """The checked model of `graph` at `opset`, and its folder."""
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    return model, d
