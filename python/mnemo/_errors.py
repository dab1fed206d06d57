"""mnemo's exceptions."""


class CompileError(RuntimeError):
    """The model could not be compiled; the message holds the compiler's
    diagnostics, each naming the ONNX node (and op type) it is about."""


class RunError(RuntimeError):
    """An artifact's entry point returned an error code."""
