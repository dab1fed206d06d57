//===- StepOrder.h - reorder a bufferized function for peak memory -*- C++ -*-===//
//
// Applies OperatorOrder to a bufferized entry function: its units are the
// top-level ops that do work (a loop planned per iteration is one unit), a
// unit depends on another when it uses a value the other computes or touches
// a buffer (under any view) the other writes, or writes one the other reads.
// Ops with effects the analysis cannot attribute to a buffer keep their
// place relative to every other unit. Allocations, views and index
// arithmetic move with the units that use them.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_STEPORDER_H
#define MNEMO_MEMORY_STEPORDER_H

#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/OperatorOrder.h"

namespace mnemo::memory {

/// Whether `name` is an operator order: program or memory.
inline bool isOperatorOrderName(llvm::StringRef name) {
  return name == "program" || name == "memory";
}

/// The planning problem of `fn`, after moving its top-level ops into the
/// order with the smallest fixed-order bound that `chooseOrder` finds in
/// `timeLimitSeconds` (when `reorder`; the program order is kept when it is
/// as good). `report` gets the figures when reordering was tried.
mlir::FailureOr<BufferLiveness> analyzeInBestOrder(
    mlir::func::FuncOp fn,
    llvm::function_ref<mlir::FailureOr<int64_t>(mlir::memref::AllocOp)>
        bytesOf,
    int64_t alignment, bool reorder, double timeLimitSeconds,
    std::optional<OrderReport> &report);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_STEPORDER_H
