//===- Passes.h - PIM target passes -----------------------------*- C++ -*-===//

#ifndef MNEMO_TARGET_PIM_TRANSFORMS_PASSES_H
#define MNEMO_TARGET_PIM_TRANSFORMS_PASSES_H

#include "mnemo/Dialect/PIM/IR/PIM.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mnemo {
#define GEN_PASS_DECL
#include "mnemo/Target/PIM/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mnemo/Target/PIM/Transforms/Passes.h.inc"
} // namespace mnemo

#endif // MNEMO_TARGET_PIM_TRANSFORMS_PASSES_H
