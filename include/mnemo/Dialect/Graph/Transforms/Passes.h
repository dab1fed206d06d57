//===- Passes.h - graph dialect passes --------------------------*- C++ -*-===//

#ifndef MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_H
#define MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_H

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mnemo::graph {
#define GEN_PASS_DECL
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace mnemo::graph

#endif // MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_H
