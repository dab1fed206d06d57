"""A compiled artifact: its signature (the JSON mnemoc writes) and its
shared library, run through lib/Runtime/Artifact (mnemo-run's loader):
CPU artifacts in place, CUDA ones staged through device memory, PIM ones
on the simulator."""
import json
import os
import shutil

import numpy as np

from . import _mnemo
from ._errors import RunError

_DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
           "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
           "int32": np.int32, "uint32": np.uint32, "int64": np.int64,
           "uint64": np.uint64, "bool": np.bool_}

_RUN_ERRORS = {2: "the model has symbolic dims", 3: "a dim is outside its compiled bound",
               4: "this CPU lacks an ISA extension the artifact was built for"}


class Tensor:
    """One input or output: name, numpy dtype, shape (symbolic dims as
    their names)."""

    def __init__(self, sig):
        self.name = sig["name"]
        self.dtype = np.dtype(_DTYPES[sig["dtype"]]) if sig["dtype"] in _DTYPES else None
        dims = sig.get("dim_names") or [""] * len(sig["shape"])
        self.shape = tuple(d if d >= 0 else (n or None) for d, n in zip(sig["shape"], dims))
        self.max_bytes = sig.get("max_bytes", -1)

    def __repr__(self):
        return "Tensor(%r, %s, %s)" % (self.name, self.dtype, self.shape)


class Artifact:
    """A model compiled by mnemo.compile (or loaded with mnemo.load)."""

    def __init__(self, directory, name):
        self.directory = os.path.abspath(directory)
        self.name = name
        with open(os.path.join(self.directory, name + ".json")) as f:
            self.signature = json.load(f)
        self.inputs = [Tensor(t) for t in self.signature["inputs"]]
        self.outputs = [Tensor(t) for t in self.signature["outputs"]]
        self.dims = [(d["name"], d["lo"], d["hi"]) for d in self.signature.get("dims", [])]
        self.workspace_bytes = int(self.signature["workspace_bytes"])
        self.target = self.signature.get("target", {}).get("kind", "cpu")
        self._runner = None
        self.device_ms = None  # the last run's device time (CUDA)
        # What the compile's passes reported (the lines mnemoc prints:
        # patch schedule, slices, tiles, PIM placement); empty when loaded.
        self.log = []

    @property
    def report(self):
        """The memory plan (the --report JSON) when the compile wrote one."""
        path = os.path.join(self.directory, "report.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    def save(self, directory):
        """Copies the artifact to `directory`; returns the copy."""
        shutil.copytree(self.directory, directory, dirs_exist_ok=True)
        return Artifact(directory, self.name)

    def _loaded(self):
        if self._runner is None:
            self._runner = _mnemo.Runner(self.directory, self.name)
        return self._runner

    def run(self, *arrays, workspace=None, **named):
        """Runs the model: inputs by position or by name (numpy arrays; a
        contiguous array of the right dtype is passed without a copy).
        Returns {output name: numpy arrays of their own}. The GIL is
        released while the model runs; each call uses its own workspace
        unless one is given (a uint8 array of at least workspace_bytes,
        64-byte aligned), so threads may call run at once (CUDA and PIM
        artifacts, whose device state is shared, take turns)."""
        if arrays and named:
            raise TypeError("give the inputs by position or by name, not both")
        if named:
            unknown = set(named) - {t.name for t in self.inputs}
            if unknown:
                raise TypeError("unknown inputs: %s" % ", ".join(sorted(unknown)))
            missing = [t.name for t in self.inputs if t.name not in named]
            if missing:
                raise TypeError("missing inputs: %s" % ", ".join(missing))
            arrays = [named[t.name] for t in self.inputs]
        if len(arrays) != len(self.inputs):
            raise TypeError("the model takes %d inputs, got %d" % (len(self.inputs), len(arrays)))
        ins, dims = [], {}
        for t, a in zip(self.inputs, arrays):
            a = np.ascontiguousarray(a, dtype=t.dtype)
            if a.ndim != len(t.shape):
                raise ValueError("input %r has rank %d, the model's is %d" % (t.name, a.ndim, len(t.shape)))
            for want, got in zip(t.shape, a.shape):
                if isinstance(want, str):
                    if dims.setdefault(want, got) != got:
                        raise ValueError("dim %r is %d in one input and %d in another"
                                         % (want, dims[want], got))
                elif want is not None and want != got:
                    raise ValueError("input %r has shape %s, the model's is %s"
                                     % (t.name, a.shape, t.shape))
            ins.append(a)
        dim_values = []
        for name, lo, hi in self.dims:
            v = dims.get(name, hi)
            if not lo <= v <= hi:
                raise ValueError("dim %r = %d is outside the bound it was compiled for (%d..%d)"
                                 % (name, v, lo, hi))
            dim_values.append(v)
        outs = []
        for t in self.outputs:
            shape = [dims.get(d, None) if isinstance(d, str) else d for d in t.shape]
            if any(d is None for d in shape):
                n = max(t.max_bytes, 1) // t.dtype.itemsize
                outs.append(np.empty(n, dtype=t.dtype))
            else:
                outs.append(np.empty(shape, dtype=t.dtype))
        if workspace is None:
            raw = np.empty(self.workspace_bytes + 64, dtype=np.uint8)
            off = (-raw.ctypes.data) % 64
            workspace = raw[off:off + self.workspace_bytes]
        elif workspace.nbytes < self.workspace_bytes or workspace.ctypes.data % 64:
            raise ValueError("the workspace must hold %d bytes, 64-byte aligned" % self.workspace_bytes)
        ranks = sum(len(t.shape) for t in self.outputs)
        rc, shapes, self.device_ms = self._loaded().run(dim_values, ins, outs, workspace, ranks)
        if rc != 0:
            raise RunError("%s_run_dims returned %d (%s)" % (self.name, rc, _RUN_ERRORS.get(rc, "error")))
        result, k = {}, 0
        for t, a in zip(self.outputs, outs):
            shape = tuple(shapes[k:k + len(t.shape)])
            k += len(t.shape)
            n = int(np.prod(shape)) if shape else 1
            result[t.name] = a.reshape(-1)[:n].reshape(shape)
        return result

    def decode(self, inputs, steps, reference=None, rtol=1e-4, atol=1e-5):
        """Greedy decoding, as mnemo-run --decode-steps: `inputs` maps the
        exported step's input names (token ids [1, S] int64, mask, past
        K/V [B, H, P, D]) to arrays. Each step feeds back the last
        position's argmax; presents become the next pasts, or the caches
        of a --kv-cache build are updated in place. With `reference` (an
        Artifact, e.g. the same model without --kv-cache) both run in
        lockstep and each step's logits must agree within rtol/atol.
        Returns {"tokens": [...], "steps": [per-step dicts], "median_ms",
        "ok", "text"}; raises RunError when a step cannot run."""
        if not isinstance(inputs, dict):
            raise TypeError("inputs must map input names to arrays")
        if reference is not None and not isinstance(reference, Artifact):
            raise TypeError("reference must be an Artifact")
        tensors = []
        for name, a in inputs.items():
            a = np.ascontiguousarray(a)
            dtype = next((k for k, v in _DTYPES.items() if np.dtype(v) == a.dtype), None)
            if dtype is None:
                raise TypeError("input %r has dtype %s, which mnemo does not take" % (name, a.dtype))
            tensors.append((name, dtype, list(a.shape), a.tobytes()))
        r = self._loaded().decode(tensors, int(steps),
                                  reference._loaded() if reference else None, rtol, atol)
        if r["exit_code"] == 2 or (r["error"] and not r["steps"]):
            raise RunError(r["error"])
        if r["error"]:
            raise RunError("%s\n(after %d steps:\n%s)" % (r["error"], len(r["steps"]), r["text"]))
        return {"tokens": [s["next"] for s in r["steps"]], "steps": r["steps"],
                "median_ms": r["median_ms"], "ok": r["exit_code"] == 0, "text": r["text"]}

    def benchmark(self, n=10, *arrays, **named):
        """Median milliseconds of n runs."""
        import time
        ms = []
        for _ in range(n):
            t0 = time.perf_counter()
            self.run(*arrays, **named)
            ms.append((time.perf_counter() - t0) * 1e3)
        return sorted(ms)[len(ms) // 2]

    def __repr__(self):
        return "Artifact(%r, inputs=%r, outputs=%r, workspace_bytes=%d)" % (
            self.name, self.inputs, self.outputs, self.workspace_bytes)
