"""mnemo.run_pipeline, plot_memory, the passes' log (nothing printed behind
the caller's back), explicit workspaces, and the runtime shared with
mnemo-run: greedy decoding with KV caches and a PIM artifact on the
simulator (on the shared GPT-2 decode step, skipped where ../shared is
absent)."""
import os

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import mnemo

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
CNN = os.path.join(ROOT, "examples", "tiny_cnn.onnx")
SHARED = os.environ.get("MNEMO_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
GPT2 = os.path.join(SHARED, "models", "gpt2_tiny_decode")


def example(name, kind, i=0):
    return numpy_helper.to_array(onnx.load_tensor(
        os.path.join(ROOT, "examples", name, "%s_%d.pb" % (kind, i))))


def test_run_pipeline():
    text = mnemo.import_onnx(CNN)
    assert "tensor<?x16x32x32xf32>" in text
    # A fixed batch, then shape inference refines every op.
    fixed = text.replace("tensor<?x3x64x64xf32>", "tensor<1x3x64x64xf32>")
    out = mnemo.run_pipeline(fixed, "func.func(graph-infer-shapes)")
    assert "tensor<1x16x32x32xf32>" in out and "tensor<?x16" not in out
    # Down to linalg with a named pass; the full builtin.module form too.
    lin = mnemo.run_pipeline(out, "builtin.module(mnemo-graph-to-linalg)")
    assert "linalg." in lin and "graph.conv" not in lin


def test_run_pipeline_errors():
    with pytest.raises(mnemo.CompileError, match="does not refer to a registered pass"):
        mnemo.run_pipeline("module {}", "no-such-pass")
    with pytest.raises(mnemo.CompileError, match="custom op 'foo' is unknown"):
        mnemo.run_pipeline("module { foo }", "canonicalize")
    with pytest.raises(TypeError):
        mnemo.run_pipeline(b"module {}", "canonicalize")


def test_log_and_nothing_printed(tmp_path, capfd):
    art = mnemo.compile(CNN, tmp_path, dims={"batch": 1}, patch_schedule=True,
                        sram_budget="160KiB")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert any(l.startswith("patch schedule: cut after '/blocks/blocks.1/MaxPool'")
               for l in art.log), art.log
    # A fixed batch is compiled static: no dims left to bound.
    assert art.dims == [] and art.inputs[0].shape == (1, 3, 64, 64)
    np.testing.assert_allclose(art.run(example("tiny_cnn_data", "input"))["probs"],
                               example("tiny_cnn_data", "output"), rtol=1e-4, atol=1e-5)
    # The peak is inside the patch loop (its per-iteration buffers).
    peak = art.report["peak_step"]
    assert any(l["first_step"] <= peak <= l["last_step"] for l in art.report["loops"])


def test_plot_memory(tmp_path):
    art = mnemo.compile(CNN, tmp_path / "a", dims={"batch": 1}, patch_schedule=True,
                        sram_budget="160KiB")
    pytest.importorskip("matplotlib")
    png, svg = tmp_path / "plan.png", tmp_path / "plan.svg"
    fig = mnemo.plot_memory(art.report, png)
    mnemo.plot_memory(art, svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20000
    text = svg.read_text()
    assert "tiny_cnn.onnx" in text and f"peak: step {art.report['peak_step']}" in text
    # Two panels: the timeline and the on-chip address map.
    assert len(fig.axes) == 2
    with pytest.raises(TypeError):
        mnemo.plot_memory(42)


def test_explicit_workspace_and_outputs_own_memory(tmp_path):
    art = mnemo.compile(CNN, tmp_path, dims={"batch": (1, 2)})
    raw = np.zeros(art.workspace_bytes + 64, np.uint8)
    off = (-raw.ctypes.data) % 64
    ws = raw[off:off + art.workspace_bytes]
    x = example("tiny_cnn_data", "input")
    a = art.run(x, workspace=ws)["probs"]
    lo, hi = ws.ctypes.data, ws.ctypes.data + ws.nbytes
    assert not lo <= a.ctypes.data < hi  # the result is not in the workspace
    ws[:] = 0xFF  # clobbering the workspace leaves the result alone
    np.testing.assert_allclose(a, example("tiny_cnn_data", "output"), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="64-byte aligned"):
        art.run(x, workspace=raw[off + 1:off + 1 + art.workspace_bytes])


def test_decode_needs_token_ids(tmp_path):
    art = mnemo.compile(CNN, tmp_path, dims={"batch": 1})
    with pytest.raises(mnemo.RunError, match="no token ids"):
        art.decode({"image": example("tiny_cnn_data", "input")}, steps=2)
    with pytest.raises(TypeError):
        art.decode([1, 2], steps=2)


def gpt2_inputs():
    if not os.path.isdir(GPT2):
        pytest.skip("the shared GPT-2 decode step is not here (%s)" % GPT2)
    model = onnx.load(os.path.join(GPT2, "model.onnx"), load_external_data=False)
    names = [i.name for i in model.graph.input]
    data = os.path.join(GPT2, "test_data_set_0")
    return {n: numpy_helper.to_array(onnx.load_tensor(os.path.join(data, "input_%d.pb" % i)))
            for i, n in enumerate(names)}


@pytest.fixture(scope="module")
def gpt2_exported(tmp_path_factory):
    inputs = gpt2_inputs()
    art = mnemo.compile(os.path.join(GPT2, "model.onnx"), tmp_path_factory.mktemp("orig"),
                        dims={"past_len": (0, 127), "total_len": (1, 128)})
    return art, inputs


def test_decode_kv_cache_in_lockstep(gpt2_exported, tmp_path):
    ref, inputs = gpt2_exported
    hm = mnemo.compile(os.path.join(GPT2, "model.onnx"), tmp_path, kv_cache="head-major",
                       max_seq=128, dims={"total_len": (1, 128)})
    r = hm.decode(inputs, steps=4, reference=ref, rtol=1e-5, atol=1e-6)
    assert r["ok"], r["text"]
    assert len(r["tokens"]) == 4 and [s["position"] for s in r["steps"]] == [32, 33, 34, 35]
    # The cache is written in place: a token's keys and values, not the
    # whole past (the exported step rewrites 33792 bytes at step 0).
    assert all(s["kv_bytes_written"] <= 1024 for s in r["steps"])
    assert r["steps"][0]["reference_kv_bytes_written"] == 33792
    # Without a reference the same tokens come out.
    alone = hm.decode(inputs, steps=4)
    assert alone["tokens"] == r["tokens"]


def test_pim_artifact_runs_on_the_simulator(gpt2_exported, tmp_path):
    ref, inputs = gpt2_exported
    pim = mnemo.compile(os.path.join(GPT2, "model.onnx"), tmp_path, target="pim",
                        kv_cache="head-major", max_seq=128, dims={"total_len": (1, 128)})
    assert pim.target == "pim"
    assert any("pim partition:" in l and "-> PIM" in l for l in pim.log)
    # bf16 weights on the device: the tolerance of pim-kv-cache.test.
    r = pim.decode(inputs, steps=3, reference=ref, rtol=1e-2, atol=3e-3)
    assert r["ok"], r["text"]
    assert all(s["kv_bytes_written"] == 0 for s in r["steps"])  # caches live in the banks


# Every option reaches the driver and the result still matches the
# reference outputs (rtol 1e-4 / 1e-3 as in test_mnemo.py); a pass that
# runs says so in the log.
CNN_OPTIONS = [
    ({"opt_level": 0}, None),
    ({"planner": "first-fit"}, None),
    ({"planner": "ilp", "ilp_time_limit": 5}, None),
    ({"cpu": "x86-64-v3", "cpu_features": "-avx512f"}, None),
    ({"debug_info": True, "block_channels": False}, None),
    ({"low_memory": True}, None),
    ({"weights": "file"}, None),
    ({"patch_schedule": True, "max_recompute": 0.5}, "patch schedule: cut"),
    ({"patch_schedule": True, "max_network_recompute": 0.5}, "patch schedule: cut"),
    ({"patches": 2, "patch_cut": "/blocks/blocks.1/MaxPool"}, "patch schedule: cut after '/blocks/blocks.1/MaxPool', 2x2"),
    ({"feature_slice": True, "max_slices": 4}, "feature slice:"),
    ({"tile_for_budget": True, "tile_budget": "16KiB"}, "tile for budget:"),
    ({"sram_budget": 160 * 1024}, "tile for budget:"),
]


@pytest.mark.parametrize("options,logged", CNN_OPTIONS,
                         ids=[",".join(o) for o, _ in CNN_OPTIONS])
def test_option_paths_cnn(tmp_path, options, logged):
    art = mnemo.compile(CNN, tmp_path, dims={"batch": 1}, **options)
    out = art.run(example("tiny_cnn_data", "input"))
    np.testing.assert_allclose(out["probs"], example("tiny_cnn_data", "output"),
                               rtol=1e-4, atol=1e-5)
    if logged:
        assert any(l.startswith(logged) for l in art.log), art.log
    if "planner" in options:
        assert art.report["planner"] == options["planner"]
    if "cpu" in options:
        assert art.signature["target"]["cpu"] == options["cpu"]


GPT = os.path.join(ROOT, "examples", "tiny_gpt.onnx")


def test_option_paths_gpt(tmp_path):
    x, want = example("tiny_gpt_data", "input"), example("tiny_gpt_data", "output")
    # The vocabulary in 2 parts on one device, and the LM head's argmax.
    art = mnemo.compile(GPT, tmp_path / "vp", vocab_parallel=2)
    np.testing.assert_allclose(art.run(x)["logits"], want, rtol=1e-3, atol=1e-5)
    am = mnemo.compile(GPT, tmp_path / "am", lm_head_output="last-argmax")
    ids = next(iter(am.run(x).values()))
    assert int(ids.reshape(-1)[-1]) == int(want[0, -1].argmax())
    # PIM: a 32-token prefill stays on the host by the cost model; two
    # GEMVs forced to the banks run there on the simulator in bf16 (max
    # error 6.5e-3 on logits up to 1.9).
    pim = mnemo.compile(GPT, tmp_path / "pim", target="pim",
                        pim_ops=["/blocks.0/c_fc/MatMul", "/lm_head/MatMul"])
    assert pim.target == "pim"
    assert sum("-> PIM (forced)" in l for l in pim.log) == 2, pim.log
    np.testing.assert_allclose(pim.run(x)["logits"], want, rtol=0, atol=2e-2)
    with pytest.raises(ValueError, match="vocab_rank needs vocab_parallel"):
        mnemo.compile(GPT, tmp_path, vocab_rank=1)
    with pytest.raises(ValueError, match="lm_head_output='best'"):
        mnemo.compile(GPT, tmp_path, lm_head_output="best")


def test_cuda_artifact_without_a_device(tmp_path):
    if not os.path.exists("/usr/local/cuda/bin/ptxas"):
        with pytest.raises(mnemo.CompileError):
            mnemo.compile(CNN, tmp_path, dims={"batch": 1}, target="cuda")
        return
    art = mnemo.compile(CNN, tmp_path, dims={"batch": 1}, target="cuda")
    assert art.target == "cuda"
    try:
        out = art.run(example("tiny_cnn_data", "input"))
    except mnemo.RunError as e:
        # This machine has no GPU: the load says so.
        assert "no device" in str(e)
        return
    np.testing.assert_allclose(out["probs"], example("tiny_cnn_data", "output"),
                               rtol=1e-4, atol=1e-5)
    assert art.device_ms is not None
