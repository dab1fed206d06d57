//===- MemRefPointers.h - memrefs over raw pointers -------------*- C++ -*-===//
//
// Entry points receive buffers as raw pointers (the C ABI); the CUDA target
// also turns device copies of constants into memrefs.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_MEMREFPOINTERS_H
#define MNEMO_TARGET_CPU_MEMREFPOINTERS_H

#include "mlir/IR/Builders.h"

namespace mnemo {

/// A memref of `type` over raw pointer `ptr` (an !llvm.ptr), row-major,
/// with `sizes` (index values, one per dim): an LLVM descriptor struct
/// cast to the memref type, which the memref-to-LLVM conversion folds away.
mlir::Value memrefFromPointer(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value ptr, mlir::MemRefType type,
                              llvm::ArrayRef<mlir::Value> sizes);

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_MEMREFPOINTERS_H
