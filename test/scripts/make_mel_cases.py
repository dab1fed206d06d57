"""Writes the MelWeightMatrix cases of test/Driver/mel-weight-matrix.test
with onnx.reference's outputs: the node test's form (all five operands
graph inputs) at other sizes, rates and edges, and a float64 output.
Run with the project's venv:
  .venv/bin/python test/scripts/make_mel_cases.py test/Driver/Inputs/mel
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from onnx_cases import save_model
from onnx.reference import ReferenceEvaluator


def case(name, out_type, feeds_list):
    names = ["num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz",
             "upper_edge_hertz"]
    types = [TensorProto.INT64, TensorProto.INT64, TensorProto.INT64,
             TensorProto.FLOAT, TensorProto.FLOAT]
    node = helper.make_node("MelWeightMatrix", names, ["w"], output_datatype=out_type)
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info(n, t, []) for n, t in zip(names, types)],
        [helper.make_tensor_value_info("w", out_type, ["S", "M"])])
    model, d = save_model(sys.argv[1], name, graph, 17)
    ref = ReferenceEvaluator(model)
    for k, feeds in enumerate(feeds_list):
        ds = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(ds, exist_ok=True)
        arrays = {n: np.array(v, np.int64 if t == TensorProto.INT64 else np.float32)
                  for (n, t), v in zip(zip(names, types), feeds)}
        for i, n in enumerate(names):
            open(os.path.join(ds, f"input_{i}.pb"), "wb").write(
                numpy_helper.from_array(arrays[n], n).SerializeToString())
        (w,) = ref.run(None, arrays)
        open(os.path.join(ds, "output_0.pb"), "wb").write(
            numpy_helper.from_array(w, "w").SerializeToString())


case("mel_f32", TensorProto.FLOAT, [(12, 64, 16000, 30.0, 7000.0),
                                    (5, 30, 8000, 0.0, 4000.0)])
case("mel_f64", TensorProto.DOUBLE, [(20, 128, 22050, 125.0, 3800.0)])
