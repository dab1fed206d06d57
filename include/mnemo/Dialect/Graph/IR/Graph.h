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
#include "mlir/Interfaces/ControlFlowInterfaces.h"
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

/// The ONNX node name the importer recorded in `op`'s location (NameLoc), or
/// "" when there is none.
std::string getOnnxNodeName(mlir::Operation *op);
/// The ONNX op type `op` was imported from: `op_type` of a graph.onnx_node,
/// else the CamelCase form of the graph op's mnemonic (max_pool -> MaxPool).
std::string getOnnxOpType(mlir::Operation *op);
/// The name of dynamic dim `dim` of a function argument or result with
/// attributes `attrs`: its `graph.dim_params` entry (the ONNX dim_param),
/// else "<graph.name or fallback>_dim<dim>". mnemoc's --dim bounds, the
/// header and mnemo-run all name symbolic dims this way.
std::string symbolicDimName(mlir::DictionaryAttr attrs,
                            llvm::StringRef fallback, int64_t dim);

/// "ONNX node 'name' (OpType)" for diagnostics.
std::string describeOnnxNode(mlir::Operation *op);
} // namespace mnemo::graph

#endif // MNEMO_DIALECT_GRAPH_IR_GRAPH_H
