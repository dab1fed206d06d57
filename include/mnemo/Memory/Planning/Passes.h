//===- Passes.h - memory analysis and planning passes ------------*- C++ -*-===//

#ifndef MNEMO_MEMORY_PLANNING_PASSES_H
#define MNEMO_MEMORY_PLANNING_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mnemo/Dialect/Mem/IR/Mem.h"

namespace mnemo {
#define GEN_PASS_DECL
#include "mnemo/Memory/Planning/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mnemo/Memory/Planning/Passes.h.inc"
} // namespace mnemo

#endif // MNEMO_MEMORY_PLANNING_PASSES_H
