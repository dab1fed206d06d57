//===- Passes.h - memory-aware rewrites -------------------------*- C++ -*-===//

#ifndef MNEMO_MEMORY_TRANSFORMS_PASSES_H
#define MNEMO_MEMORY_TRANSFORMS_PASSES_H

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Mem/IR/Mem.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mnemo {
#define GEN_PASS_DECL
#include "mnemo/Memory/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mnemo/Memory/Transforms/Passes.h.inc"

/// A past K/V input and the present output the exported step builds from
/// it (Concat(past, new) along axis 2, returned), as mnemo-kv-cache
/// matches them.
struct KVCacheIO {
  unsigned pastArg;
  unsigned presentResult;
};
llvm::SmallVector<KVCacheIO> findKVCacheIO(mlir::func::FuncOp fn);
} // namespace mnemo

#endif // MNEMO_MEMORY_TRANSFORMS_PASSES_H
