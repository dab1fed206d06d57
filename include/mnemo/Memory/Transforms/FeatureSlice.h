//===- FeatureSlice.h - feature slicing as a function ------------*- C++ -*-===//
//
// The greedy rounds of mnemo-feature-slice, callable on one function: the
// patch schedule runs them on its candidates to compare stages by what is
// left after the later layers are sliced, not by a peak slicing removes.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_TRANSFORMS_FEATURESLICE_H
#define MNEMO_MEMORY_TRANSFORMS_FEATURESLICE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mnemo::memory {

/// mnemo-feature-slice's options (Passes.td has their meaning).
struct SliceOptions {
  int64_t maxSlices = 16;
  int64_t window = 16;
  int64_t maxRounds = 32;
  double maxRecompute = 0.2;
  int64_t sramBudget = 0;
  bool print = false;
};

/// Slices the group at `fn`'s estimated peak while that lowers it (at most
/// maxRounds groups); returns how many groups were sliced.
int64_t sliceGreedily(mlir::func::FuncOp fn, const SliceOptions &options);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_TRANSFORMS_FEATURESLICE_H
