"""Writes the sequence and optional cases of test/Driver/sequences.test:
forms the ONNX node tests leave out, with onnx.reference's outputs as the
reference (onnxruntime runs neither SequenceMap nor sequences in If
branches of these forms). Run with the project's venv:
  .venv/bin/python test/scripts/make_sequence_cases.py \
      test/Driver/Inputs/sequences test/Import/ONNX/Inputs/sequences

- seq_map_loop: a sequence input of three tensors of different shapes; a
  SequenceMap (Relu, ReduceSum) and a Loop over SequenceLength carrying a
  sequence (the form onnx's function expansion of SequenceMap takes), a
  ConcatFromSequence of the Loop's result, and the mapped sequence as an
  output.
- if_seq: a run-time If whose branches each yield a sequence of two
  tensors (taken both ways).
- optional_in: an optional tensor input, read through OptionalHasElement
  and a constant If whose untaken branch reads the value (test data with
  the value and without it).
"""
import os
import sys

import numpy as np
import onnx
import onnx.parser
from onnx import TensorProto, helper, numpy_helper
from onnx_cases import save_model
from onnx.reference import ReferenceEvaluator

rng = np.random.default_rng(5)
F = TensorProto.FLOAT
I64 = TensorProto.INT64
BOOL = TensorProto.BOOL


def seq_type(elt, shape):
    return helper.make_sequence_type_proto(helper.make_tensor_type_proto(elt, shape))


def to_proto(value, name, type_proto):
    if type_proto.HasField("sequence_type"):
        return numpy_helper.from_list(list(value), name)
    if type_proto.HasField("optional_type"):
        elem = type_proto.optional_type.elem_type
        kind = (onnx.OptionalProto.SEQUENCE if elem.HasField("sequence_type")
                else onnx.OptionalProto.TENSOR)
        return numpy_helper.from_optional(value, name, dtype=kind)
    return numpy_helper.from_array(np.asarray(value), name)


def save(name, graph, feeds_list, opset=18):
    model, d = save_model(sys.argv[1], name, graph, opset)
    ref = ReferenceEvaluator(model)
    for k, feeds in enumerate(feeds_list):
        ds = os.path.join(d, f"test_data_set_{k}")
        os.makedirs(ds, exist_ok=True)
        for i, inp in enumerate(graph.input):
            t = to_proto(feeds[inp.name], inp.name, inp.type)
            open(os.path.join(ds, f"input_{i}.pb"), "wb").write(t.SerializeToString())
        outs = ref.run(None, feeds)
        for i, (o, v) in enumerate(zip(graph.output, outs)):
            t = to_proto(v, o.name, o.type)
            open(os.path.join(ds, f"output_{i}.pb"), "wb").write(t.SerializeToString())


def seq_map_loop():
    map_body = helper.make_graph(
        [helper.make_node("Relu", ["e"], ["r"]),
         helper.make_node("ReduceSum", ["r", "ax"], ["s"], keepdims=1)],
        "map_body", [helper.make_tensor_value_info("e", F, None)],
        [helper.make_tensor_value_info("s", F, None)],
        [numpy_helper.from_array(np.array([1], np.int64), "ax")])
    loop_body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("SequenceAt", ["xs", "i"], ["e"]),
         helper.make_node("Mul", ["e", "two"], ["m"]),
         helper.make_node("SequenceInsert", ["acc_in", "m"], ["acc_out"])],
        "loop_body",
        [helper.make_tensor_value_info("i", I64, []),
         helper.make_tensor_value_info("c_in", BOOL, []),
         helper.make_value_info("acc_in", seq_type(F, None))],
        [helper.make_tensor_value_info("c_out", BOOL, []),
         helper.make_value_info("acc_out", seq_type(F, None))],
        [numpy_helper.from_array(np.float32(2.0), "two")])
    graph = helper.make_graph(
        [helper.make_node("SequenceMap", ["xs"], ["sums"], body=map_body),
         helper.make_node("SequenceLength", ["xs"], ["n"]),
         helper.make_node("SequenceEmpty", [], ["empty"], dtype=F),
         helper.make_node("Constant", [], ["go"], value=numpy_helper.from_array(np.array(True))),
         helper.make_node("Loop", ["n", "go", "empty"], ["doubled"], body=loop_body),
         helper.make_node("ConcatFromSequence", ["doubled"], ["cat"], axis=1)],
        "seq_map_loop",
        [helper.make_value_info("xs", seq_type(F, [2, "W"]))],
        [helper.make_value_info("sums", seq_type(F, [2, 1])),
         helper.make_tensor_value_info("cat", F, [2, None])])
    xs = [rng.standard_normal((2, w)).astype(np.float32) for w in (3, 5, 2)]
    save("seq_map_loop", graph, [{"xs": xs}])


def if_seq():
    def branch(name, scale):
        return helper.make_graph(
            [helper.make_node("Mul", ["x", f"k_{name}"], [f"a_{name}"]),
             helper.make_node("Neg", ["x"], [f"b_{name}"]),
             helper.make_node("SequenceConstruct", [f"a_{name}", f"b_{name}"],
                              [f"s_{name}"])],
            name, [], [helper.make_value_info(f"s_{name}", seq_type(F, [4]))],
            [numpy_helper.from_array(np.float32(scale), f"k_{name}")])
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["s"], then_branch=branch("then", 3.0),
                          else_branch=branch("else", -0.5))],
        "if_seq",
        [helper.make_tensor_value_info("c", BOOL, []),
         helper.make_tensor_value_info("x", F, [4])],
        [helper.make_value_info("s", seq_type(F, [4]))])
    x = rng.standard_normal(4).astype(np.float32)
    save("if_seq", graph, [{"c": np.array(True), "x": x},
                           {"c": np.array(False), "x": x}])


def optional_in():
    opt = helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [3]))
    then_b = helper.make_graph(
        [helper.make_node("OptionalGetElement", ["o"], ["v"]),
         helper.make_node("Add", ["v", "x"], ["r_then"])],
        "then", [], [helper.make_tensor_value_info("r_then", F, [3])])
    else_b = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["r_else"])],
        "else", [], [helper.make_tensor_value_info("r_else", F, [3])])
    graph = helper.make_graph(
        [helper.make_node("OptionalHasElement", ["o"], ["has"]),
         helper.make_node("If", ["has"], ["r"], then_branch=then_b,
                          else_branch=else_b)],
        "optional_in",
        [helper.make_value_info("o", opt),
         helper.make_tensor_value_info("x", F, [3])],
        [helper.make_tensor_value_info("has", BOOL, []),
         helper.make_tensor_value_info("r", F, [3])])
    x = rng.standard_normal(3).astype(np.float32)
    o = rng.standard_normal(3).astype(np.float32)
    save("optional_in", graph, [{"o": o, "x": x}, {"o": None, "x": x}])


IMPORT_MODELS = {
    "io": """\
<ir_version: 8, opset_import: ["" : 18]>
g (seq(float[N]) S, float[3] T, optional(float[2]) O, optional(float[2]) P) => (seq(float[N]) R, bool H, float[2] G) {
  R = SequenceInsert (S, T)
  H = OptionalHasElement (P)
  G = OptionalGetElement (O)
}
""",
    "map-loop": """\
<ir_version: 8, opset_import: ["" : 18]>
g (seq(float[N]) S) => (seq(float[N]) M, seq(float[N]) L) {
  M = SequenceMap <body = b (float[N] e) => (float[N] r) { r = Relu (e) }> (S)
  n = SequenceLength (S)
  go = Constant <value = bool {1}> ()
  empty = SequenceEmpty <dtype = 1> ()
  L = Loop (n, go, empty) <body = lb (int64 i, bool c, seq(float) acc) => (bool c2, seq(float) acc2) {
    c2 = Identity (c)
    e = SequenceAt (S, i)
    ne = Neg (e)
    acc2 = SequenceInsert (acc, ne)
  }>
}
""",
    "loop-rt": """\
<ir_version: 8, opset_import: ["" : 18]>
g (int64 n, float[2] X) => (float[2] Y) {
  empty = SequenceEmpty <dtype = 1> ()
  L = Loop (n, , empty) <body = lb (int64 i, bool c, seq(float) acc) => (bool c2, seq(float) acc2) {
    c2 = Identity (c)
    acc2 = SequenceInsert (acc, X)
  }>
  zero = Constant <value = int64 {0}> ()
  Y = SequenceAt (L, zero)
}
""",
    "if-forms": """\
<ir_version: 8, opset_import: ["" : 18]>
g (bool c, float[2] X) => (float[2] Y) {
  S = If (c) <then_branch = t () => (seq(float) s1) { s1 = SequenceConstruct (X) },
              else_branch = e () => (seq(float) s2) { s2 = SequenceConstruct (X, X) }>
  zero = Constant <value = int64 {0}> ()
  Y = SequenceAt (S, zero)
}
""",
}


def import_models():
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, text in IMPORT_MODELS.items():
        onnx.save(onnx.parser.parse_model(text), os.path.join(sys.argv[2], name + ".onnx"))


seq_map_loop()
if_seq()
optional_in()
import_models()
