//===- LoopPoint.h - a linalg op's loops as a kernel addresses them -*- C++ -*-===//
//
// The kernel builders (tiled contractions, block reductions) number a
// group of an op's loops with one flat index (a block's row, a thread's
// element) and need the loop values back to address the operands. This
// holds the loops' sizes and does that arithmetic: products of groups,
// flat index -> loop point (innermost fastest), and an operand's indices
// at a point through its own indexing map.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CUDA_LOOPPOINT_H
#define MNEMO_TARGET_CUDA_LOOPPOINT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mnemo::cuda {

class LoopPoints {
public:
  /// The loop sizes of `op`, created at `b`'s insertion point.
  LoopPoints(mlir::linalg::LinalgOp op, mlir::ImplicitLocOpBuilder &b);

  mlir::Value size(unsigned loop) const { return sizes[loop]; }
  /// The product of the sizes of `loops` (1 for none).
  mlir::Value product(llvm::ArrayRef<unsigned> loops);
  /// Writes into `point` the loops of `loops` (innermost fastest) at the
  /// flat index `flat` of their group.
  void delinearize(mlir::Value flat, llvm::ArrayRef<unsigned> loops,
                   llvm::SmallVectorImpl<mlir::Value> &point);
  /// Indices into operand `o` at the loop point (loops the operand does
  /// not use may be null).
  llvm::SmallVector<mlir::Value> indices(mlir::OpOperand &o,
                                         llvm::ArrayRef<mlir::Value> point);

private:
  mlir::linalg::LinalgOp op;
  mlir::ImplicitLocOpBuilder &b;
  llvm::SmallVector<mlir::Value> sizes;
};

/// Checks a kernel's threads per block: whole warps, at most 1024; the
/// error goes on `where`.
llvm::LogicalResult checkBlockSize(mlir::Operation *where, int64_t threads);

} // namespace mnemo::cuda

#endif // MNEMO_TARGET_CUDA_LOOPPOINT_H
