//===- WarpCombine.h - values combined across lanes and warps ---*- C++ -*-===//
//
// The reduction kernels (block reductions, the row kernels, the
// FlashAttention rows) combine one value per thread: over a warp's lanes
// with xor shuffles, and over a block's warps through shared memory. The
// block reductions and the row kernels also lay out their threads the same
// way: a block per row, or a warp per short row.
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

/// How a kernel that reduces rows lays out its threads: a block of whole
/// warps per row (`blockSize` threads; no more than a static row has
/// elements), or, for a static row shorter than `warpBelow` elements, a
/// warp per row and `blockSize` / 32 rows a block.
struct RowLayout {
  /// `length`: elements per row, negative when not static.
  RowLayout(int64_t length, int64_t blockSize, int64_t warpBelow);

  int64_t threads;      // per block
  int64_t rowsPerBlock; // 1: a block per row
  /// Warps whose values meet in shared memory (1 for a warp per row).
  int64_t warps() const { return rowsPerBlock == 1 ? threads / 32 : 1; }
  /// Threads that share a row.
  int64_t rowThreads() const { return rowsPerBlock == 1 ? threads : 32; }
  /// Blocks for `rows` rows.
  mlir::Value grid(mlir::ImplicitLocOpBuilder &b, mlir::Value rows) const;

  /// Where a thread is in the kernel: its row, its number among the row's
  /// threads, and (a warp per row) whether the row exists: a warp past the
  /// last of the rows reads the last one, since its lanes must take part
  /// in the shuffles, and stores nothing (null with a block per row).
  struct Place {
    mlir::Value row, rowThread, exists;
  };
  Place place(mlir::ImplicitLocOpBuilder &b, mlir::Value bid, mlir::Value tid,
              mlir::Value rows) const;
};

} // namespace mnemo::cuda

#endif // MNEMO_TARGET_CUDA_WARPCOMBINE_H
