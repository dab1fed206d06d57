"""The mnemo Python package on the bundled models: compile (from a path,
bytes and a ModelProto), run against the models' reference outputs
(onnxruntime's, in examples/*_data), options, errors, threads and
buffers that do not alias."""
import os
import threading

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import mnemo

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CNN = os.path.join(ROOT, "examples", "tiny_cnn.onnx")
GPT = os.path.join(ROOT, "examples", "tiny_gpt.onnx")


def data(name, kind, i):
    t = onnx.load_tensor(os.path.join(ROOT, "examples", name, "%s_%d.pb" % (kind, i)))
    return numpy_helper.to_array(t)


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    return mnemo.compile(CNN, tmp_path_factory.mktemp("cnn"), dims={"batch": (1, 8)})


def test_run_matches_reference(cnn):
    out = cnn.run(data("tiny_cnn_data", "input", 0))
    np.testing.assert_allclose(out["probs"], data("tiny_cnn_data", "output", 0),
                               rtol=1e-4, atol=1e-5)


def test_signature_and_report(cnn):
    assert [t.name for t in cnn.inputs] == ["image"]
    assert cnn.inputs[0].shape == ("batch", 3, 64, 64)
    assert cnn.outputs[0].dtype == np.float32
    assert cnn.dims == [("batch", 1, 8)]
    assert cnn.report["arena_bytes"] == cnn.workspace_bytes > 0
    assert cnn.report["source"] == "tiny_cnn.onnx"


def test_batch_and_named_inputs(cnn):
    x = np.random.default_rng(0).standard_normal((3, 3, 64, 64), dtype=np.float32)
    a = cnn.run(x)["probs"]
    b = cnn.run(image=x)["probs"]
    assert a.shape == (3, 10)
    np.testing.assert_array_equal(a, b)
    # Each image alone gives the same row (batch independence).
    np.testing.assert_allclose(cnn.run(x[1:2])["probs"][0], a[1], rtol=1e-5, atol=1e-6)


def test_from_bytes_and_model_proto(tmp_path):
    model = onnx.load(CNN)
    for src in (model, model.SerializeToString()):
        art = mnemo.compile(src, tmp_path / str(type(src).__name__), dims={"batch": 2})
        out = art.run(np.repeat(data("tiny_cnn_data", "input", 0), 2, axis=0))
        assert out["probs"].shape == (2, 10)


def test_save_and_load(cnn, tmp_path):
    copy = cnn.save(tmp_path / "copy")
    loaded = mnemo.load(tmp_path / "copy")
    assert loaded.name == copy.name == "tiny_cnn"
    x = data("tiny_cnn_data", "input", 0)
    np.testing.assert_array_equal(loaded.run(x)["probs"], cnn.run(x)["probs"])


def test_gpt_and_options(tmp_path):
    art = mnemo.compile(GPT, tmp_path, planner="greedy", opt_level=2, cpu="x86-64-v3",
                        tile_budget="16KiB")
    out = art.run(data("tiny_gpt_data", "input", 0))
    np.testing.assert_allclose(out["logits"], data("tiny_gpt_data", "output", 0),
                               rtol=1e-3, atol=1e-5)
    assert art.report["planner"] == "greedy"


def test_sram_budget(tmp_path):
    art = mnemo.compile(CNN, tmp_path, dims={"batch": (1, 8)}, sram_budget=1200000)
    assert art.report["sram_budget_bytes"] == 1200000
    out = art.run(data("tiny_cnn_data", "input", 0))
    np.testing.assert_allclose(out["probs"], data("tiny_cnn_data", "output", 0),
                               rtol=1e-4, atol=1e-5)


def test_compile_errors_name_the_problem(tmp_path):
    with pytest.raises(mnemo.CompileError, match="symbolic dim 'batch' needs a bound"):
        mnemo.compile(CNN, tmp_path)
    with pytest.raises(mnemo.CompileError, match="cannot import"):
        mnemo.compile(b"not a model", tmp_path)


def test_option_errors(tmp_path):
    with pytest.raises(TypeError, match="unknown option 'sram'"):
        mnemo.compile(CNN, tmp_path, sram="1KiB")
    with pytest.raises(ValueError, match="sram_budget='lots' is not a size"):
        mnemo.compile(CNN, tmp_path, sram_budget="lots")
    with pytest.raises(ValueError, match="planner='best' is not one of"):
        mnemo.compile(CNN, tmp_path, planner="best")
    with pytest.raises(TypeError, match="opt_level must be int"):
        mnemo.compile(CNN, tmp_path, opt_level="3")
    with pytest.raises(ValueError, match="kv_cache needs max_seq"):
        mnemo.compile(CNN, tmp_path, kv_cache="paged")
    with pytest.raises(ValueError, match=r"dims\['batch'\]"):
        mnemo.compile(CNN, tmp_path, dims={"batch": (8, 1)})


SEQ = os.path.join(ROOT, "test", "Driver", "Inputs", "sequences")


def test_sequence_and_optional_inputs(tmp_path):
    """A sequence input is its tensors (xs[0], xs[1], ...), compiled for the
    length given; outputs are flattened the same way; an optional input
    compiles present or absent."""
    d = os.path.join(SEQ, "seq_map_loop", "test_data_set_0")
    seq = onnx.SequenceProto()
    with open(os.path.join(d, "input_0.pb"), "rb") as f:
        seq.ParseFromString(f.read())
    xs = numpy_helper.to_list(seq)
    a = mnemo.compile(os.path.join(SEQ, "seq_map_loop", "model.onnx"), tmp_path / "seq",
                      sequence_lengths={"xs": len(xs)},
                      dims={"xs[%d].W" % i: x.shape[1] for i, x in enumerate(xs)})
    assert [t.name for t in a.inputs] == ["xs[0]", "xs[1]", "xs[2]"]
    out = a.run(*xs)
    for i, x in enumerate(xs):
        np.testing.assert_allclose(out["sums[%d]" % i],
                                   np.maximum(x, 0).sum(axis=1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(out["cat"], np.concatenate([2 * x for x in xs], axis=1))
    with pytest.raises(mnemo.CompileError, match="give its length"):
        mnemo.compile(os.path.join(SEQ, "seq_map_loop", "model.onnx"), tmp_path / "none")
    x = np.arange(3, dtype=np.float32)
    empty = mnemo.compile(os.path.join(SEQ, "optional_in", "model.onnx"),
                          tmp_path / "opt", absent_inputs=["o"])
    assert [t.name for t in empty.inputs] == ["x"]
    out = empty.run(x)
    assert not out["has"]
    np.testing.assert_allclose(out["r"], -x)
    with pytest.raises(TypeError, match="sequence_lengths must be a dict"):
        mnemo.compile(CNN, tmp_path, sequence_lengths=["xs=3"])


def test_run_errors(cnn):
    with pytest.raises(ValueError, match="outside the bound"):
        cnn.run(np.zeros((9, 3, 64, 64), np.float32))
    with pytest.raises(ValueError, match="has shape"):
        cnn.run(np.zeros((1, 3, 32, 32), np.float32))
    with pytest.raises(TypeError, match="unknown inputs: picture"):
        cnn.run(picture=np.zeros((1, 3, 64, 64), np.float32))


def test_threads_and_no_aliasing(cnn):
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((2, 3, 64, 64), dtype=np.float32) for _ in range(4)]
    want = [cnn.run(x)["probs"].copy() for x in xs]
    first = cnn.run(xs[0])["probs"]
    cnn.run(xs[1])  # a later run does not write into an earlier result
    np.testing.assert_array_equal(first, want[0])
    got = [None] * 4

    def work(i):
        for _ in range(5):
            got[i] = cnn.run(xs[i])["probs"]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_import_onnx():
    text = mnemo.import_onnx(CNN)
    assert "func.func @main_graph" in text and "graph.conv" in text
