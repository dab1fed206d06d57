//===- GraphKernel.h - kernels built on the graph, before bufferizing -*- C++ -*-===//
//
// Some kernels replace a whole graph op (FlashAttention, the fused
// softmax): the tensor lowering would split it into several linalg ops,
// each its own kernel. They are built before the lowering, on tensors:
// operands are taken as read-only buffers and the result is a buffer the
// memory plan places, handed back as a tensor, so one-shot bufferization
// and the planner treat the kernel like any other op.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CUDA_GRAPHKERNEL_H
#define MNEMO_TARGET_CUDA_GRAPHKERNEL_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mnemo::cuda {

/// `tensor` as a read-only buffer of any strided layout
/// (`bufferization.to_buffer ... read_only`: bufferization picks it).
mlir::Value readOnlyBuffer(mlir::ImplicitLocOpBuilder &b, mlir::Value tensor);

/// A 64-byte aligned buffer for a result of `type` (`dynamicSizes`: one
/// per dynamic dim).
mlir::Value resultBuffer(mlir::ImplicitLocOpBuilder &b,
                         mlir::RankedTensorType type,
                         mlir::ValueRange dynamicSizes);

/// `buffer`, written by the kernel, as the op's result tensor
/// (`bufferization.to_tensor ... restrict writable`).
mlir::Value resultTensor(mlir::ImplicitLocOpBuilder &b,
                         mlir::RankedTensorType type, mlir::Value buffer);

} // namespace mnemo::cuda

#endif // MNEMO_TARGET_CUDA_GRAPHKERNEL_H
