//===- WarpCombine.h - values combined across lanes and warps ---*- C++ -*-===//
//
// The reduction kernels (block reductions, the fused softmax, the
// FlashAttention rows) combine one value per thread: over a warp's lanes
// with xor shuffles, and over a block's warps through shared memory.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CUDA_WARPCOMBINE_H
#define MNEMO_TARGET_CUDA_WARPCOMBINE_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mnemo::cuda {

/// combine(x, y) for two values of a reduction.
using Combiner = llvm::function_ref<mlir::Value(mlir::Value, mlir::Value)>;

/// `v` combined over each group of `lanes` neighbouring lanes of a warp (a
/// power of two, at most 32; the groups aligned to it): `gpu.shuffle xor`
/// by lanes/2, ..., 1. Every lane of a group gets the group's result.
mlir::Value combineLanes(mlir::ImplicitLocOpBuilder &b, mlir::Value v,
                         int64_t lanes, Combiner combine);

/// `v` combined over the whole block of `warps` warps (thread id `tid`):
/// each warp's lanes, then lane 0 of each warp stores its result in
/// `smem` (a workgroup memref of at least `warps` elements) and after a
/// barrier every warp combines those the same way (lanes past `warps`
/// start from `identity`). Every thread gets the block's result. With one
/// warp, no shared memory and no barrier.
mlir::Value combineBlock(mlir::ImplicitLocOpBuilder &b, mlir::Value v,
                         mlir::Value tid, int64_t warps, mlir::Value smem,
                         mlir::Value identity, Combiner combine);

} // namespace mnemo::cuda

#endif // MNEMO_TARGET_CUDA_WARPCOMBINE_H
