//===- Passes.h - graph dialect passes --------------------------*- C++ -*-===//

#ifndef MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_H
#define MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_H

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Pass/Pass.h"

namespace mnemo::graph {
#define GEN_PASS_DECL
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"
/// A past K/V input and the present output the exported step builds from
/// it (Concat(past, new) along axis 2, returned), as mnemo-kv-cache
/// matches them.
struct KVCacheIO {
  unsigned pastArg;
  unsigned presentResult;
};
llvm::SmallVector<KVCacheIO> findKVCacheIO(mlir::func::FuncOp fn);

} // namespace mnemo::graph

#endif // MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_H
