//===- GraphDialect.td - mnemo graph dialect ---------------*- tablegen -*-===//
//
// The `graph` dialect holds ONNX-level tensor operations with value semantics.
// It is the target of the ONNX importer and the level at which mnemo's
// memory-aware graph rewrites work.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DIALECT_GRAPH_IR_GRAPHDIALECT_TD
#define MNEMO_DIALECT_GRAPH_IR_GRAPHDIALECT_TD

include "mlir/IR/OpBase.td"

def Graph_Dialect : Dialect {
  let name = "graph";
  let cppNamespace = "::mnemo::graph";
  let summary = "ONNX-level tensor operations with value semantics.";
  let description = [{
    Each op mirrors one ONNX operator family at its newest opset: inputs that
    older opsets carried as attributes (axes, pads, split sizes, clip bounds,
    ...) are operands, so one op form covers every opset the importer reads.
    Omitted optional ONNX inputs are `graph.none` values, keeping operand
    positions identical to the ONNX operator's input positions. Attribute
    names are the ONNX attribute names.
  }];
  let hasConstantMaterializer = 1;
  let hasCanonicalizer = 1;
  // Attributes stay in the attribute dictionary: the importer builds ops
  // generically from ONNX attribute lists, and shape functions read them from
  // a DictionaryAttr before the op exists.
  let usePropertiesForAttributes = 0;
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // MNEMO_DIALECT_GRAPH_IR_GRAPHDIALECT_TD
