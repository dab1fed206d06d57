"""Writes the recurrent-layer cases of test/Driver/recurrent.test: small
RNN/GRU/LSTM models with random weights in the forms the ONNX node tests
leave out (reverse and bidirectional, per-entry sequence lengths, batch-
major layout, linear_before_reset, input_forget, clip, Relu), with
onnxruntime's outputs as the reference. Run with the project's venv:
  .venv/bin/python test/scripts/make_recurrent_cases.py test/Driver/Inputs/recurrent
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)
T, B, I, H = 3, 3, 2, 4
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def case(name, op, attrs, lens=None, initial=False, peepholes=False, layout=0):
    dirs = 2 if attrs.get("direction") == "bidirectional" else 1
    g = GATES[op]
    x = rng.standard_normal((B, T, I) if layout else (T, B, I)).astype(np.float32)
    feeds = {"X": x,
             "W": rng.standard_normal((dirs, g * H, I)).astype(np.float32) * 0.5,
             "R": rng.standard_normal((dirs, g * H, H)).astype(np.float32) * 0.5,
             "B": rng.standard_normal((dirs, 2 * g * H)).astype(np.float32) * 0.2}
    inputs = ["X", "W", "R", "B"]
    if lens is not None or initial or peepholes:
        feeds["L"] = np.array(lens if lens is not None else [T] * B, np.int32)
        inputs.append("L")
    if initial or peepholes:
        shape = (B, dirs, H) if layout else (dirs, B, H)
        feeds["H0"] = rng.standard_normal(shape).astype(np.float32) * 0.3
        inputs.append("H0")
        if op == "LSTM":
            feeds["C0"] = rng.standard_normal(shape).astype(np.float32) * 0.3
            inputs.append("C0")
    if peepholes:
        feeds["P"] = rng.standard_normal((dirs, 3 * H)).astype(np.float32) * 0.3
        inputs.append("P")
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, inputs, outputs, hidden_size=H, layout=layout, **attrs)
    vi = [helper.make_tensor_value_info(n, numpy_helper.from_array(v).data_type, v.shape)
          for n, v in feeds.items()]
    graph = helper.make_graph([node], name, vi,
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                               for o in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    d = os.path.join(sys.argv[1], name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    if layout:
        # onnxruntime runs batch-major layers only in the time-major form:
        # the same layer on transposed inputs, its outputs transposed back.
        node0 = helper.make_node(op, inputs, outputs, hidden_size=H, **attrs)
        vi0 = [helper.make_tensor_value_info(n, numpy_helper.from_array(v).data_type,
                                             None) for n, v in feeds.items()]
        m0 = helper.make_model(helper.make_graph([node0], name, vi0, graph.output),
                               opset_imports=[helper.make_opsetid("", 14)])
        f0 = {n: (np.swapaxes(v, 0, 1) if n in ("X", "H0", "C0") else v)
              for n, v in feeds.items()}
        r0 = ort.InferenceSession(m0.SerializeToString()).run(None, f0)
        results = [np.transpose(r0[0], (2, 0, 1, 3))] + [np.swapaxes(r, 0, 1) for r in r0[1:]]
    else:
        results = ort.InferenceSession(model.SerializeToString()).run(None, feeds)
    for i, v in enumerate(feeds.values()):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v).SerializeToString())
    for i, v in enumerate(results):
        with open(os.path.join(d, "test_data_set_0", f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v).SerializeToString())


case("lstm_bidirectional_lens", "LSTM", {"direction": "bidirectional"},
     lens=[3, 1, 2], initial=True, peepholes=True)
case("lstm_input_forget_clip", "LSTM", {"input_forget": 1, "clip": 0.7})
case("gru_reverse_lbr_lens", "GRU", {"direction": "reverse", "linear_before_reset": 1},
     lens=[2, 3, 1])
case("gru_bidirectional_batch_major", "GRU", {"direction": "bidirectional"},
     initial=True, layout=1)
case("rnn_reverse_relu", "RNN", {"direction": "reverse", "activations": ["Relu"]})
case("rnn_bidirectional_lens", "RNN", {"direction": "bidirectional"}, lens=[1, 3, 2])
