//===- Graph.h - mnemo graph dialect ----------------------------*- C++ -*-===//
//
// Declarations of the `graph` dialect and its operations.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DIALECT_GRAPH_IR_GRAPH_H
#define MNEMO_DIALECT_GRAPH_IR_GRAPH_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mnemo/Dialect/Graph/IR/GraphShapeFunctions.h"

#include "mnemo/Dialect/Graph/IR/GraphDialect.h.inc"

#define GET_OP_CLASSES
#include "mnemo/Dialect/Graph/IR/GraphOps.h.inc"

namespace mnemo::graph {
/// Patterns that refine graph op result types from their shape functions
/// (used by the `graph-infer-shapes` pass and canonicalization).
void populateRefineTypesPatterns(mlir::RewritePatternSet &patterns);
} // namespace mnemo::graph

#endif // MNEMO_DIALECT_GRAPH_IR_GRAPH_H
