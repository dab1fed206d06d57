"""Writes the control-flow cases of test/Driver/control-flow.test: If, Loop
and Scan in the forms the ONNX node tests leave out (a while loop ended by
its condition, an If nested in a Loop reading outer-scope values, Scan over
several inputs and outputs along other axes and backwards, a run-time If
taken both ways, a Loop past its compiled bound), with onnxruntime's
outputs as the reference. Run with the project's venv:
  .venv/bin/python test/scripts/make_control_flow_cases.py test/Driver/Inputs/control_flow
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnx_cases import save_model

rng = np.random.default_rng(11)
F = TensorProto.FLOAT
I64 = TensorProto.INT64
BOOL = TensorProto.BOOL


def vi(name, elt, shape):
    return helper.make_tensor_value_info(name, elt, shape)


def save(name, graph, feeds_list, opset=16):
    model, d = save_model(sys.argv[1], name, graph, opset)
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    for k, feeds in enumerate(feeds_list):
        ds = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(ds, exist_ok=True)
        for i, (n, v) in enumerate(feeds.items()):
            t = numpy_helper.from_array(v, n)
            open(os.path.join(ds, f"input_{i}.pb"), "wb").write(t.SerializeToString())
        outs = sess.run(None, feeds)
        for i, (o, v) in enumerate(zip(graph.output, outs)):
            t = numpy_helper.from_array(v, o.name)
            open(os.path.join(ds, f"output_{i}.pb"), "wb").write(t.SerializeToString())


def while_loop():
    """x <- 0.5 x + 1 while sum(x) < 5.5 (no trip count: 4 rounds); every x scanned.
    The scan output's size is symbolic: compiled with --max-loop-iterations."""
    body = helper.make_graph(
        [helper.make_node("Mul", ["x_in", "half"], ["m"]),
         helper.make_node("Add", ["m", "one"], ["x_out"]),
         helper.make_node("ReduceSum", ["x_out"], ["s"], keepdims=0),
         helper.make_node("Less", ["s", "ten"], ["cond_out"]),
         helper.make_node("Identity", ["x_out"], ["scan"])],
        "body",
        [vi("i", I64, []), vi("cond_in", BOOL, []), vi("x_in", F, [3])],
        [vi("cond_out", BOOL, []), vi("x_out", F, [3]), vi("scan", F, [3])],
        [numpy_helper.from_array(np.float32(0.5), "half"),
         numpy_helper.from_array(np.float32(1.0), "one"),
         numpy_helper.from_array(np.float32(5.5), "ten")])
    g = helper.make_graph(
        [helper.make_node("Loop", ["", "c0", "x0"], ["x", "xs"], body=body)],
        "while_loop", [vi("c0", BOOL, []), vi("x0", F, [3])],
        [vi("x", F, [3]), vi("xs", F, ["n", 3])])
    save("while_loop", g, [{"c0": np.array(True), "x0": np.array([0.1, -0.3, 0.7], np.float32)}])


def loop_bound():
    """A run-time trip count; the model declares 4 rows of scan output. The
    second data set asks for 6 iterations, past the bound."""
    body = helper.make_graph(
        [helper.make_node("Add", ["y_in", "step"], ["y_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Identity", ["y_out"], ["scan"])],
        "body",
        [vi("i", I64, []), vi("cond_in", BOOL, []), vi("y_in", F, [2])],
        [vi("cond_out", BOOL, []), vi("y_out", F, [2]), vi("scan", F, [2])])
    g = helper.make_graph(
        [helper.make_node("Loop", ["m", "", "y0"], ["y", "ys"], body=body)],
        "loop_bound", [vi("m", I64, []), vi("y0", F, [2]), vi("step", F, [2])],
        [vi("y", F, [2]), vi("ys", F, [4, 2])])
    y0 = np.array([1.0, -2.0], np.float32)
    step = np.array([0.25, 0.5], np.float32)
    save("loop_bound", g, [{"m": np.array(3, np.int64), "y0": y0, "step": step},
                           {"m": np.array(6, np.int64), "y0": y0, "step": step}])


def loop_nested_if():
    """Four iterations; the body's If multiplies by the outer weight on even
    iterations and adds the outer bias on odd ones."""
    then_g = helper.make_graph(
        [helper.make_node("MatMul", ["h_in", "W"], ["t"])], "then", [],
        [vi("t", F, [2, 3])])
    else_g = helper.make_graph(
        [helper.make_node("Add", ["h_in", "bias"], ["e"])], "else", [],
        [vi("e", F, [2, 3])])
    body = helper.make_graph(
        [helper.make_node("Mod", ["i", "two"], ["r"]),
         helper.make_node("Equal", ["r", "zero"], ["even"]),
         helper.make_node("If", ["even"], ["h_next"], then_branch=then_g,
                          else_branch=else_g),
         helper.make_node("Tanh", ["h_next"], ["h_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("ReduceMax", ["h_out"], ["peak"], axes=[1], keepdims=0)],
        "body",
        [vi("i", I64, []), vi("cond_in", BOOL, []), vi("h_in", F, [2, 3])],
        [vi("cond_out", BOOL, []), vi("h_out", F, [2, 3]), vi("peak", F, [2])],
        [numpy_helper.from_array(np.int64(2), "two"),
         numpy_helper.from_array(np.int64(0), "zero")])
    W = (rng.standard_normal((3, 3)) * 0.8).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Loop", ["four", "", "h0"], ["h", "peaks"], body=body)],
        "loop_nested_if", [vi("h0", F, [2, 3]), vi("bias", F, [3])],
        [vi("h", F, [2, 3]), vi("peaks", F, [None, 2])],
        [numpy_helper.from_array(W, "W"),
         numpy_helper.from_array(np.int64(4), "four")])
    save("loop_nested_if", g, [{
        "h0": rng.standard_normal((2, 3)).astype(np.float32),
        "bias": rng.standard_normal(3).astype(np.float32)}], opset=13)


def scan_axes():
    """Two scan inputs (axis 1 backwards, axis 0 forwards), a matmul state,
    two scan outputs (stacked along axis 1, and along axis 0 backwards)."""
    body = helper.make_graph(
        [helper.make_node("MatMul", ["s_in", "W"], ["sw"]),
         helper.make_node("Add", ["sw", "a"], ["t"]),
         helper.make_node("Mul", ["t", "b"], ["s_out"]),
         helper.make_node("ReduceSum", ["s_out", "ax1"], ["tot"], keepdims=0),
         helper.make_node("Relu", ["s_out"], ["r"])],
        "body",
        [vi("s_in", F, [2, 3]), vi("a", F, [2, 3]), vi("b", F, [3])],
        [vi("s_out", F, [2, 3]), vi("tot", F, [2]), vi("r", F, [2, 3])],
        [numpy_helper.from_array(np.array([1], np.int64), "ax1")])
    W = (rng.standard_normal((3, 3)) * 0.5).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Scan", ["s0", "A", "B"], ["s", "tots", "rs"], body=body,
                          num_scan_inputs=2, scan_input_axes=[1, 0],
                          scan_input_directions=[1, 0], scan_output_axes=[1, -3],
                          scan_output_directions=[0, 1])],
        "scan_axes",
        [vi("s0", F, [2, 3]), vi("A", F, [2, 5, 3]), vi("B", F, [5, 3])],
        [vi("s", F, [2, 3]), vi("tots", F, [2, 5]), vi("rs", F, [5, 2, 3])],
        [numpy_helper.from_array(W, "W")])
    save("scan_axes", g, [{
        "s0": rng.standard_normal((2, 3)).astype(np.float32),
        "A": rng.standard_normal((2, 5, 3)).astype(np.float32),
        "B": rng.standard_normal((5, 3)).astype(np.float32)}])


def if_runtime():
    """A run-time condition taken both ways (two data sets)."""
    then_g = helper.make_graph(
        [helper.make_node("Mul", ["x", "x"], ["sq"])], "then", [], [vi("sq", F, [4])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["ng"])], "else", [], [vi("ng", F, [4])])
    g = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g),
         helper.make_node("Add", ["y", "x"], ["z"])],
        "if_runtime", [vi("c", BOOL, []), vi("x", F, [4])], [vi("z", F, [4])])
    x = rng.standard_normal(4).astype(np.float32)
    save("if_runtime", g, [{"c": np.array(True), "x": x}, {"c": np.array(False), "x": x}])


if __name__ == "__main__":
    while_loop()
    loop_bound()
    loop_nested_if()
    scan_axes()
    if_runtime()
