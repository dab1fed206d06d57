//===- Passes.h - mnemo conversion passes -----------------------*- C++ -*-===//

#ifndef MNEMO_CONVERSION_PASSES_H
#define MNEMO_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mnemo {
#define GEN_PASS_DECL
#include "mnemo/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mnemo/Conversion/Passes.h.inc"
} // namespace mnemo

#endif // MNEMO_CONVERSION_PASSES_H
