//===- Passes.td - graph dialect passes --------------------*- tablegen -*-===//

#ifndef MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
#define MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Shape inference
//===----------------------------------------------------------------------===//

def GraphInferShapesPass : Pass<"graph-infer-shapes", "::mlir::func::FuncOp"> {
  let summary = "Folds shape arithmetic and refines graph result types.";
  let description = [{
    Runs the graph folders and canonicalization patterns to a fixed point,
    re-inferring every op's result type as constants appear, then refines
    the function's result types to what its return now yields. Shape chains
    (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) on static shapes
    collapse to constants; dims that depend on run-time sizes stay `?`.
  }];
  let dependentDialects = ["::mnemo::graph::GraphDialect"];
}

#endif // MNEMO_DIALECT_GRAPH_TRANSFORMS_PASSES_TD
