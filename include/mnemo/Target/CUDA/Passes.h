//===- Passes.h - CUDA target passes ----------------------------*- C++ -*-===//

#ifndef MNEMO_TARGET_CUDA_PASSES_H
#define MNEMO_TARGET_CUDA_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mnemo {
#define GEN_PASS_DECL
#include "mnemo/Target/CUDA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

#endif // MNEMO_TARGET_CUDA_PASSES_H
