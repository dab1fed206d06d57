//===- Passes.td - graph dialect passes --------------------*- tablegen -*-===//

#ifndef MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
#define MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Shape inference
//===----------------------------------------------------------------------===//

def GraphInferShapesPass : Pass<"graph-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Folds shape arithmetic and refines graph result types.";
  let description = [{
    Runs the graph folders and canonicalization patterns to a fixed point,
    re-inferring every op's result type as constants appear, then refines
    the function's result types to what its return now yields. Shape chains
    (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) on static shapes
    collapse to constants; dims that depend on run-time sizes stay `?`.

    Every graph op's result is then checked against the size limit: more
    bytes than `max-tensor-bytes` (0: the module's `graph.max_tensor_bytes`,
    which the driver sets from --max-tensor-bytes, else 16 GiB), or a size
    that overflows 64 bits, is an error naming the ONNX node.
  }];
  let options = [
    Option<"maxTensorBytes", "max-tensor-bytes", "int64_t", "0",
           "Most bytes one tensor may hold (0: the module's limit)">,
  ];
  let dependentDialects = ["::mnemo::graph::GraphDialect"];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def GraphExpandQuantizedPass
    : Pass<"graph-expand-quantized", "::mlir::func::FuncOp"> {
  let summary = "Rewrites the ONNX quantization ops into primitive graph ops.";
  let description = [{
    QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger,
    QLinearMatMul and QLinearConv become the graph ops their ONNX
    definitions are written in (the way ONNX function bodies expand):
    integer operands widen to i32 and have their zero points subtracted,
    products accumulate in i32, a convolution becomes ConvInteger (which
    lowers directly from the 8-bit tensors), an i32 bias is added, and
    requantization multiplies by the combined scale, rounds half to even,
    adds the zero point and saturates to the 8-bit type before the cast.
    Per-axis scales and zero points are reshaped to broadcast along their
    axis. Every integer step is exact; only the scale products are float,
    as in ONNX's reference.
  }];
  let dependentDialects = ["::mnemo::graph::GraphDialect"];
}

def GraphFoldQDQPass : Pass<"graph-fold-qdq", "::mlir::func::FuncOp"> {
  let summary = "Turns QDQ-quantized layers into integer ops.";
  let description = [{
    A QDQ model (onnxruntime's quantize_static; QOperator models import in
    the same form) writes each quantized layer as DequantizeLinear on its
    8-bit inputs, the float op, and QuantizeLinear on its output. This pass
    folds `Q(Conv(DQ(x), DQ(w), bias))` into QLinearConv,
    `Q(MatMul(DQ(a), DQ(b)))` and `Q(Gemm(DQ(a), DQ(w), C))` into
    QLinearMatMul (with an i32 bias), `Q(GlobalAveragePool(DQ(x)))` into an
    i32 sum requantized per channel, and data movement, max pooling and
    Concat with one scale and zero point on both sides into the same op on
    the 8-bit values, so layers compute in integers (i32 accumulation) as
    the quantized model means them to. A bias (a DequantizeLinear of int32
    values or a float constant) becomes int32 at x_scale * w_scale, rounded
    half to even. Only per-tensor activations and per-tensor or
    per-output-channel weights are folded; anything else keeps its float
    form, which is exact too. Elementwise layers stay as they are (lowered,
    each becomes one loop from 8-bit tensors to an 8-bit tensor). A remark
    counts the folded layers, the elementwise ones, and what is left in
    float.
  }];
  let dependentDialects = ["::mnemo::graph::GraphDialect"];
}

#endif // MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
