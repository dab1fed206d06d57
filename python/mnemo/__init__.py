"""mnemo: a memory-aware compiler for ONNX models, from Python.

    import mnemo
    art = mnemo.compile("model.onnx", dims={"batch": (1, 8)}, sram_budget="256KiB")
    out = art.run(image)            # {"probs": numpy array}
    art.workspace_bytes, art.report # the memory plan

The compile runs in this process (the driver library, no subprocess); the
artifact is the one mnemoc writes (lib<name>.so, header, JSON), kept in
output_dir or a temporary directory.
"""
import os
import re
import tempfile

from . import _mnemo
from ._artifact import Artifact, Tensor
from ._errors import CompileError, RunError
from ._options import OPTIONS, check as _check_options
from ._plot import plot_memory

__all__ = ["compile", "load", "import_onnx", "run_pipeline", "plot_memory", "Artifact", "Tensor", "CompileError",
           "RunError", "OPTIONS"]


def _model_bytes(model):
    """(bytes, name, base directory for external data) of a path, bytes or
    onnx.ModelProto."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        with open(path, "rb") as f:
            return f.read(), os.path.basename(path), os.path.dirname(os.path.abspath(path))
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "model.onnx", ""
    if hasattr(model, "SerializeToString"):
        return model.SerializeToString(), (getattr(model.graph, "name", "") or "model") + ".onnx", ""
    raise TypeError("model must be a path, bytes or an onnx.ModelProto, not %s"
                    % type(model).__name__)


def _c_name(name):
    """The C symbol prefix mnemoc derives from a file name (sanitizeName)."""
    ident = re.sub(r"[^0-9A-Za-z]", "_", os.path.splitext(name)[0])
    return "m_" + ident if not ident or ident[0].isdigit() else ident


def compile(model, output_dir=None, report=True, **options):
    """Compiles `model` (a path, bytes or an onnx.ModelProto) and returns
    its Artifact. Options mirror mnemoc's flags with Python names and types
    (mnemo.OPTIONS lists them): target="cpu", sram_budget="256KiB" or an
    int, planner="ilp", dims={"past_len": (1, 4096)}, patch_schedule=True,
    kv_cache="paged", max_seq=..., opt_level=3, ... Unknown options raise
    TypeError, bad values ValueError (naming the option); a model that
    cannot be compiled raises CompileError with the diagnostics."""
    opts = _check_options(options)
    data, name, base = _model_bytes(model)
    c_name = _c_name(name)
    if output_dir is None:
        output_dir = tempfile.mkdtemp(prefix="mnemo-")
    os.makedirs(output_dir, exist_ok=True)
    opts["c_name"] = c_name
    if report:
        opts["reports"] = [os.path.join(output_dir, "report.json")]
    log = _mnemo.compile(data, name, base, os.path.abspath(output_dir), opts)
    art = Artifact(output_dir, c_name)
    art.log = log
    return art


def load(directory, name=None):
    """The artifact mnemoc or mnemo.compile wrote into `directory`."""
    if name is None:
        names = [f[:-5] for f in os.listdir(directory)
                 if f.endswith(".json") and f != "report.json"
                 and os.path.exists(os.path.join(directory, "lib%s.so" % f[:-5]))]
        if len(names) != 1:
            raise ValueError("%s holds %d artifacts; give name=" % (directory, len(names)))
        name = names[0]
    return Artifact(directory, name)


def import_onnx(model):
    """The model as mnemo's graph-dialect MLIR text."""
    data, name, base = _model_bytes(model)
    return _mnemo.import_onnx(data, name, base)


def run_pipeline(mlir_text, pipeline):
    """Runs a textual pass pipeline (any mnemo or upstream pass, or a named
    pipeline, as mnemo-opt takes them: "mnemo-shape-inference,canonicalize"
    or "builtin.module(...)") on MLIR text and returns the result. A parse
    error, a bad pipeline or a failing pass raises CompileError with the
    diagnostics."""
    if not isinstance(mlir_text, str) or not isinstance(pipeline, str):
        raise TypeError("run_pipeline takes the MLIR text and the pipeline as strings")
    return _mnemo.run_pipeline(mlir_text, pipeline)
