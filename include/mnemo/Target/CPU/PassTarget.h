//===- PassTarget.h - a CPU pass's target options -----------------*- C++ -*-===//
//
// The CPU passes whose choices depend on the machine (block-channels,
// register-tile, vector-transposes) take `cpu` and `cpu-features` options
// and resolve them once, in initialize(), into the one CPUTarget.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_PASSTARGET_H
#define MNEMO_TARGET_CPU_PASSTARGET_H

#include "mnemo/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Support/LLVM.h"

#include <vector>

namespace mnemo {

/// The target a pass's options name; an unknown CPU or feature is reported
/// without a location (it is the pass's option, not an op's) and fails.
inline mlir::FailureOr<CPUTarget> resolvePassTarget(mlir::MLIRContext *ctx,
                                                    llvm::StringRef cpu,
                                                    llvm::StringRef features) {
  llvm::Expected<CPUTarget> target = resolveCPUTarget(cpu, features);
  if (!target) {
    mlir::emitError(mlir::UnknownLoc::get(ctx))
        << llvm::toString(target.takeError());
    return mlir::failure();
  }
  return std::move(*target);
}

/// `lanes` when an option gave it (> 0), else the target's f32 lanes.
inline mlir::FailureOr<int64_t> passF32Lanes(mlir::MLIRContext *ctx,
                                             int64_t lanes, llvm::StringRef cpu,
                                             llvm::StringRef features) {
  if (lanes > 0)
    return lanes;
  mlir::FailureOr<CPUTarget> target = resolvePassTarget(ctx, cpu, features);
  if (mlir::failed(target))
    return mlir::failure();
  return target->f32Lanes();
}

/// The vector-width check of the passes that take one: a power of 2, at
/// least 2; an error on `op` otherwise.
inline mlir::LogicalResult checkVectorWidth(mlir::Operation *op,
                                            int64_t lanes) {
  if (lanes >= 2 && llvm::isPowerOf2_64(lanes))
    return mlir::success();
  return op->emitError("vector-width must be a power of 2 (at least 2)");
}

/// Plans every linalg.generic under `root`, then rewrites the planned ones
/// (so no plan sees a half-rewritten function).
template <typename Plan, typename PlanFn, typename EmitFn>
void planThenRewrite(mlir::Operation *root, PlanFn plan, EmitFn emit) {
  std::vector<std::pair<mlir::linalg::GenericOp, Plan>> work;
  root->walk([&](mlir::linalg::GenericOp op) {
    if (std::optional<Plan> p = plan(op))
      work.push_back({op, *p});
  });
  mlir::IRRewriter rw(root->getContext());
  for (auto &[op, p] : work)
    emit(rw, op, p);
}

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_PASSTARGET_H
