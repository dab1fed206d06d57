//===- TensorPeak.h - activation peak of tensor-level IR ---------*- C++ -*-===//
//
// Schedule-choosing passes (the patch schedule) compare many candidate
// rewrites; bufferizing and planning each would take seconds. This models
// what one-shot bufferization and the fixed-order bound will make of a
// block of tensor IR: every value needs a buffer unless it is a view
// (extract_slice, casts, reshapes) or a destination-style result written
// into an operand that dies there; a buffer is live from its definition to
// the last use of any alias. A loop adds its body's own peak to what is
// live around it (per-iteration buffers are reused by every iteration).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_TENSORPEAK_H
#define MNEMO_MEMORY_TENSORPEAK_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Block.h"

#include <optional>
#include <vector>

namespace mnemo::memory {

/// The live bytes of a block over its ops.
struct LiveProfile {
  int64_t peak = 0; ///< the most bytes live at once
  int peakAt = 0;   ///< position in the block of the first op at the peak
  int64_t area = 0; ///< live bytes summed over the block's ops
  std::vector<int64_t> live; ///< live bytes at each op of the block
};

/// The profile of the buffers the ops of `block` allocate (values defined
/// outside it, function arguments and constants are not counted; values the
/// block returns stay live to its end).
LiveProfile estimateLiveProfile(mlir::Block &block);

/// Peak bytes of `block`'s buffers (estimateLiveProfile(block).peak).
int64_t estimateTensorPeak(mlir::Block &block);

/// Multiply-accumulates of a linalg op with reductions (its loop ranges'
/// product; elementwise ops count nothing), or 0.
int64_t multiplyAccumulates(mlir::Operation *op);

/// Multiply-accumulates of everything in `root`, each op counted once per
/// iteration of the static `scf.for` loops around it up to `root`.
int64_t totalMultiplyAccumulates(mlir::Operation *root);

/// Fills and broadcasts of constants: the inits ops accumulate into. Cheap
/// to recompute; mnemo-unshare-inits gives every consumer its own copy.
bool isInitProducer(mlir::Operation *op);

/// The integer contraction (reduction loops, one static i32 result; one
/// use unless `tiling`, when the tiles of its consumer read it too) that
/// produces `v`, or null: an integer layer's accumulator.
mlir::linalg::GenericOp integerAccumulator(mlir::Value v, bool tiling = false);

/// The tiles mnemo-fuse-accumulators runs `consumer` in (an all-parallel,
/// static generic reading an integer accumulator through a permutation):
/// the largest whole slices of its outer loops whose i32 accumulators fit
/// `limit` bytes. Nothing when it is not such a consumer, when the whole
/// accumulator fits, or when the best divisor is tiny (a prime extent).
/// The peak estimate counts the accumulator as one such tile.
std::optional<llvm::SmallVector<int64_t>>
accumulatorTile(mlir::linalg::GenericOp consumer, int64_t limit);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_TENSORPEAK_H
