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
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

def FuseAccumulatorsPass
    : Pass<"mnemo-fuse-accumulators", "::mlir::func::FuncOp"> {
  let summary = "Integer accumulators exist one tile at a time.";
  let description = [{
    An elementwise consumer (the requantization) of an integer contraction
    into i32 (ConvInteger, MatMulInteger) is tiled over its parallel loops,
    and the contraction and the fill of its accumulator are fused into the
    tiles: the i32 accumulator, four times the bytes of the 8-bit output,
    then never exists whole. Tiles are the largest whole slices of the
    outer loops whose accumulators fit `tile-bytes`; the loop nest carries
    `mnemo.tiled` like other tiled nests.
  }];
  let options = [
    Option<"tileBytes", "tile-bytes", "int64_t", "65536",
           "Bytes of i32 accumulators one tile may hold "
           "(memory::kAccumulatorTileBytes; memory-first pipelines pass "
           "kLowMemoryAccumulatorTileBytes, which the peak estimates assume)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FuseElementwisePass
    : Pass<"mnemo-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Elementwise fusion that never recomputes a producer.";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` patterns (producer-consumer
    fusion of generics, reshape propagation by expansion, constant folding)
    with a control function: a single-use producer is fused, except into a
    consumer with reduction loops whose indexing map for it is not a
    permutation of all loops. Such a consumer would re-run the producer's
    body for every reduction step that re-reads an element (a division fused
    into a matmul), and would no longer be a plain contraction for the
    CPU lowering.
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def UnshareInitsPass : Pass<"mnemo-unshare-inits", "::mlir::func::FuncOp"> {
  let summary = "One init producer per accumulating consumer.";
  let description = [{
    When the result of a parallel linalg op (a zero fill, a bias broadcast)
    is the init (outs) operand of several linalg ops, as after CSE, each
    further consumer gets its own clone of the producer. One-shot
    bufferization then computes every init in place in its consumer's
    buffer instead of filling one buffer and copying it per consumer. Runs
    right before bufferization (a later CSE would merge the clones again).
  }];
}

#endif // MNEMO_CONVERSION_PASSES_TD
