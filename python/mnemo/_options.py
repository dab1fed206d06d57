"""mnemo.compile's options: their Python names, types and checks, in one
place. Each maps onto a field of the driver's CompileOptions (mnemoc's
flags)."""
import re

TARGETS = ("cpu", "cuda", "pim")
PLANNERS = ("first-fit", "greedy", "ilp")
OPERATOR_ORDERS = ("memory", "program")
KV_CACHES = ("head-major", "token-major", "paged", "int8", "kivi2")
LM_HEAD_OUTPUTS = ("logits", "last-logits", "argmax", "last-argmax")

_UNITS = {"": 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000 ** 2,
          "mib": 1024 ** 2, "gb": 1000 ** 3, "gib": 1024 ** 3}


def byte_size(name, value):
    """An int, or a string like "256KiB" / "1MB", as bytes (> 0)."""
    if isinstance(value, bool):
        raise TypeError("%s must be a byte count or a size string, not a bool" % name)
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", value)
        if not m or m.group(2).lower() not in _UNITS:
            raise ValueError("%s=%r is not a size (e.g. 262144, '256KiB', '1MiB')"
                             % (name, value))
        n = int(m.group(1)) * _UNITS[m.group(2).lower()]
    else:
        raise TypeError("%s must be an int or a size string, not %s"
                        % (name, type(value).__name__))
    if n <= 0:
        raise ValueError("%s must be positive, got %r" % (name, value))
    return n


def _choice(choices):
    def check(name, value):
        if not isinstance(value, str):
            raise TypeError("%s must be a string, one of %s" % (name, ", ".join(choices)))
        if value not in choices:
            raise ValueError("%s=%r is not one of %s" % (name, value, ", ".join(choices)))
        return value
    return check


def _typed(kind, check=None):
    def convert(name, value):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise TypeError("%s must be %s, not %s" % (name, kind.__name__, type(value).__name__))
        if check and not check(value):
            raise ValueError("%s=%r is out of range" % (name, value))
        return value
    return convert


def _names(name, value):
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise TypeError("%s must be a list of names (strings)" % name)
    return list(value)


def _dims(name, value):
    """{"batch": (1, 8)} or {"batch": 4} -> ["batch=1..8", "batch=4..4"]."""
    if not isinstance(value, dict):
        raise TypeError("%s must be a dict of dim name -> (lo, hi) or value" % name)
    out = []
    for dim, bound in value.items():
        if not isinstance(dim, str):
            raise TypeError("%s: dim names are strings, got %r" % (name, dim))
        lo, hi = (bound, bound) if isinstance(bound, int) else tuple(bound)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)) \
                or lo < 0 or hi < lo:
            raise ValueError("%s[%r]=%r is not a bound lo <= hi of ints >= 0"
                             % (name, dim, bound))
        out.append("%s=%d..%d" % (dim, lo, hi))
    return out


def _lengths(name, value):
    """{"xs": 3} -> ["xs=3"]: a sequence input's number of tensors."""
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
            and v >= 0 for k, v in value.items()):
        raise TypeError("%s must be a dict of input name -> int >= 0" % name)
    return ["%s=%d" % kv for kv in value.items()]


def _float(name, value, check):
    """A float (an int is taken as one) that passes `check`."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return _typed(float, check)(name, value)


# Python name -> converter (value checked and turned into the driver's).
OPTIONS = {
    "target": _choice(TARGETS),
    "cuda_arch": _typed(str),
    "opt_level": _typed(int, lambda v: 0 <= v <= 3),
    "cpu": _typed(str),
    "cpu_features": _typed(str),
    "dims": _dims,
    "planner": _choice(PLANNERS),
    "ilp_time_limit": lambda n, v: _float(n, v, lambda x: x > 0),
    "operator_order": _choice(OPERATOR_ORDERS),
    "sram_budget": byte_size,
    "tile_budget": byte_size,
    "debug_info": _typed(bool),
    "low_memory": _typed(bool),
    "weights": _choice(("embed", "file")),
    "max_loop_iterations": _typed(int, lambda v: v >= 0),
    "sequence_lengths": _lengths,
    "absent_inputs": _names,
    "block_channels": _typed(bool),
    "winograd": _typed(bool),
    "patch_schedule": _typed(bool),
    "patches": _typed(int, lambda v: v == 0 or v >= 2),
    "patch_cut": _typed(str),
    "max_recompute": lambda n, v: _float(n, v, lambda x: x >= 0),
    "max_network_recompute": lambda n, v: _float(n, v, lambda x: x >= 0),
    "feature_slice": _typed(bool),
    "max_slices": _typed(int, lambda v: v >= 2),
    "tile_for_budget": _typed(bool),
    "kv_cache": _choice(KV_CACHES),
    "max_seq": _typed(int, lambda v: v > 0),
    "kv_block": _typed(int, lambda v: v > 0),
    "int8_group": _typed(int, lambda v: v > 0),
    "vocab_parallel": _typed(int, lambda v: v >= 0),
    "vocab_rank": _typed(int, lambda v: v >= 0),
    "lm_head_output": _choice(LM_HEAD_OUTPUTS),
    "pim_device": _typed(str),
    "pim_ops": _names,
    "host_ops": _names,
}


def check(options):
    """The driver's option dict for mnemo.compile(**options)."""
    out = {}
    for name, value in options.items():
        if name not in OPTIONS:
            raise TypeError("unknown option %r (known: %s)" % (name, ", ".join(sorted(OPTIONS))))
        if value is None:
            continue
        out[name] = OPTIONS[name](name, value)
    if "kv_cache" in out and "max_seq" not in out:
        raise ValueError("kv_cache needs max_seq (positions per cache)")
    if "vocab_rank" in out and out.get("vocab_parallel", 0) < 2:
        raise ValueError("vocab_rank needs vocab_parallel >= 2")
    if out.get("vocab_rank", 0) >= max(out.get("vocab_parallel", 1), 1):
        raise ValueError("vocab_rank must be below vocab_parallel")
    return out
