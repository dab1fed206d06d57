//===- BufferLiveness.h - planning problem of a bufferized function -*- C++ -*-===//
//
// Builds the memory planning problem of a bufferized function: its steps are
// the top-level ops that do work (in program order; a loop nest is one step),
// its buffers the function's memref.alloc ops, live from the first to the
// last step that uses the allocation or a view of it (results returned by the
// function live to the end).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_BUFFERLIVENESS_H
#define MNEMO_MEMORY_BUFFERLIVENESS_H

#include "mnemo/Memory/Planning/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"

namespace mnemo::memory {

struct BufferLiveness {
  Problem problem;
  /// The allocation of each buffer of `problem`, same order.
  llvm::SmallVector<mlir::memref::AllocOp> allocs;
  /// The op of each step.
  llvm::SmallVector<mlir::Operation *> stepOps;
  /// Op of a schedule block (the entry's or a scheduled loop body's) ->
  /// its step; ops that are not steps map to the next one.
  llvm::DenseMap<mlir::Operation *, int64_t> stepAt;

  /// The step `op` or its closest ancestor in a schedule block belongs to.
  int64_t stepOf(mlir::Operation *op) const;
};

/// A sequential loop (scf.for, scf.while) whose body allocates
/// per-iteration buffers (the patch schedule's, a Scan's or a Loop's): its
/// body ops are steps of their own, so an iteration's
/// buffers are planned like the function's, at one address reused by every
/// iteration. Parallel loops never are (iterations would share addresses).
bool isScheduledLoop(mlir::Operation *op);

/// The byte size of a static, identity-layout allocation, or an error
/// naming it (for passes that plan without symbolic dim bounds).
mlir::FailureOr<int64_t> staticAllocBytes(mlir::memref::AllocOp alloc);

/// `bytesOf` gives an allocation's size in bytes (its upper bound for
/// dynamic shapes) or fails after emitting a diagnostic. Sizes are rounded
/// up to `alignment`.
mlir::FailureOr<BufferLiveness> analyzeBufferLiveness(
    mlir::func::FuncOp fn,
    llvm::function_ref<mlir::FailureOr<int64_t>(mlir::memref::AllocOp)>
        bytesOf,
    int64_t alignment);

/// Plans `live` with `planner` and, when `sramBudget` > 0, the tiers for
/// that budget; writes `reports`, with `order`'s figures when the order
/// was chosen for memory (the program order is planned too, for its arena).
/// Errors are emitted on `fn`.
mlir::FailureOr<MemoryPlan>
planFunction(mlir::func::FuncOp fn, const BufferLiveness &live,
             llvm::StringRef planner, double ilpTimeLimit, int64_t sramBudget,
             llvm::StringRef model, llvm::ArrayRef<std::string> reports,
             std::optional<OrderReport> order = std::nullopt);

/// The entry function `name` of `module`, or null after an error saying it
/// is missing.
mlir::func::FuncOp lookupEntry(mlir::ModuleOp module, llvm::StringRef name);

/// The name users know for the op at `loc`: the ONNX node name the importer
/// put in a NameLoc, else empty.
std::string nodeName(mlir::Location loc);

/// Element size in bytes of a memref element type.
int64_t elementBytes(mlir::Type t);

/// The buffer under any chain of views (ViewLikeOpInterface) of `v`.
mlir::Value rootBuffer(mlir::Value v);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_BUFFERLIVENESS_H
