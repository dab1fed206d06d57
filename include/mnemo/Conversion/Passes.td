//===- Passes.td - mnemo conversion passes -----------------*- tablegen -*-===//

#ifndef MNEMO_CONVERSION_PASSES_TD
#define MNEMO_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertGraphToLinalgPass
    : Pass<"convert-graph-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lowers graph ops to linalg, tensor, arith and math.";
  let description = [{
    Every graph op becomes upstream tensor-level IR: named linalg ops where
    upstream has one (matmul, batch_matmul, conv_2d_nchw_fchw,
    depthwise_conv_2d_nchw_chw, transpose), linalg.generic for broadcasting
    elementwise ops, reductions and pooling, and tensor ops for data movement.
    Unsigned element types become signless (the ops keep the signedness
    they need). A graph op that cannot be lowered, or a `graph.onnx_node`,
    fails the pass with one error per node naming the ONNX node and op type.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect",
    "::mlir::func::FuncDialect"
  ];
}

#endif // MNEMO_CONVERSION_PASSES_TD
