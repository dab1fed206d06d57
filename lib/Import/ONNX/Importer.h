//===- Importer.h - ONNX importer internals ---------------------*- C++ -*-===//
//
// Shared state of one model import, used by the graph walker
// (ImportONNX.cpp), the tensor reader (TensorImport.cpp) and the per-op
// converters (OpConversions.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_IMPORT_ONNX_IMPORTER_H
#define MNEMO_LIB_IMPORT_ONNX_IMPORTER_H

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Import/ONNX/ImportONNX.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <string>

namespace mnemo::onnx_import {

class Importer;

/// A value as the importer knows it: a tensor (an SSA value), or a
/// sequence or an optional, both resolved at import (mnemo has neither
/// type at run time: a sequence is the list of its tensors, an optional
/// whether it holds a value and which).
struct ImportedValue {
  enum Kind { Tensor, Sequence, Optional };
  Kind kind = Tensor;
  /// An optional: whether it holds a value, and whether that is a sequence.
  bool present = true, ofSequence = false;
  /// The tensor; a sequence's elements; an optional's value (its elements
  /// when it holds a sequence).
  llvm::SmallVector<mlir::Value> tensors;

  static ImportedValue tensor(mlir::Value v) { return {Tensor, true, false, {v}}; }
  static ImportedValue sequence(mlir::ValueRange elements) {
    return {Sequence, true, false, llvm::SmallVector<mlir::Value>(elements)};
  }
  /// An optional holding `v` (a tensor or a sequence), or none.
  static ImportedValue optional(const ImportedValue *v, bool ofSequence) {
    if (!v)
      return {Optional, false, ofSequence, {}};
    return {Optional, true, v->kind == Sequence, v->tensors};
  }
  bool isTensor() const { return kind == Tensor; }
  /// What the optional holds (a present one), as a value of its own.
  ImportedValue element() const {
    return {ofSequence ? Sequence : Tensor, true, false, tensors};
  }
  /// Same kind, presence and number of tensors (what two branches of a
  /// run-time If must agree on).
  bool sameStructure(const ImportedValue &o) const {
    return kind == o.kind && present == o.present &&
           ofSequence == o.ofSequence && tensors.size() == o.tensors.size();
  }
  /// "a tensor", "a sequence of 3 tensors", "an empty optional", ...
  std::string describe() const;
};

/// What a converter sees of one node: its inputs (omitted optional inputs
/// are graph.none values), its attributes converted to MLIR attributes, and
/// the opset of its domain. Converters consume attributes with take().
struct NodeContext {
  Importer &imp;
  const onnx::NodeProto &node;
  int64_t opset;
  mlir::Location loc;
  llvm::SmallVector<mlir::Value> inputs;
  llvm::SmallVector<mlir::NamedAttribute> attrs;
  /// Number of outputs the node names (trailing empty names dropped).
  unsigned numOutputs = 0;
  /// Set by a converter that cannot handle this form of the op; the node
  /// then imports as a generic graph.onnx_node.
  std::string unsupported;
  /// Per input, the sequence or optional it names (none for a tensor; its
  /// entry in `inputs` is then a graph.none). Only the ops that take them
  /// see any (Sequences.cpp, ControlFlow.cpp).
  llvm::SmallVector<std::optional<ImportedValue>> structuredIns;
  /// Per output, set by a converter whose output is a sequence or an
  /// optional (its entry in the converter's results is a graph.none).
  llvm::SmallVector<std::optional<ImportedValue>> structuredOuts;

  mlir::Attribute take(llvm::StringRef name);
  /// Appends the next output, `v`: a tensor to `outs`, a sequence or an
  /// optional to `structuredOuts` (and a graph.none to `outs`).
  void addOutput(const ImportedValue &v,
                 llvm::SmallVectorImpl<mlir::Value> &outs);
  mlir::Value input(unsigned i) const;
  bool hasInput(unsigned i) const;
};

/// A converter returns the node's output values, or failure after emitting a
/// diagnostic, or success with `ctx.unsupported` set.
using ConvertFn = llvm::LogicalResult (*)(NodeContext &ctx,
                                          llvm::SmallVectorImpl<mlir::Value> &);

/// The converter for an op type of the default ONNX domain, or null.
ConvertFn lookupConverter(llvm::StringRef opType);
/// The converter of an ONNX function op imported as its body
/// (FunctionOps.cpp) for a node with `numOutputs` outputs, or null.
ConvertFn lookupFunctionConverter(llvm::StringRef opType, unsigned numOutputs);
/// The converter of If, Loop and Scan (ControlFlow.cpp), or null.
ConvertFn lookupControlFlowConverter(llvm::StringRef opType);
/// ai.onnx.preview.training Gradient by reverse-mode differentiation of
/// the ops built so far (Gradient.cpp).
llvm::LogicalResult convertGradient(NodeContext &c,
                                    llvm::SmallVectorImpl<mlir::Value> &outs);
/// Whether `opType` (default domain) makes or reads a sequence or an
/// optional (the sequence ops, Optional*, SequenceMap).
bool isSequenceOp(llvm::StringRef opType);
/// Whether an op of `opType` may read a sequence or an optional: the
/// sequence ops, Identity, If and Loop.
bool takesStructuredInputs(llvm::StringRef opType);
/// A sequence or optional op on the importer's lists (Sequences.cpp), and
/// Identity of one: reads `c.structuredIns`, yields tensors in `outs` and
/// sequences or optionals in `c.structuredOuts`.
llvm::LogicalResult convertSequenceOp(NodeContext &c,
                                      llvm::SmallVectorImpl<mlir::Value> &outs);
/// Names of a tensor type's symbolic dims ("" for static or anonymous
/// ones), each after `prefix`, kept as an argument attribute so later
/// stages bind run-time sizes by name; null when it has none.
mlir::ArrayAttr dimParams(mlir::Builder &b, const onnx::TypeProto &type,
                          llvm::StringRef prefix = "");
/// Appends graph output `out`, holding `v`, to the function's results: a
/// tensor as itself, a sequence's elements as `name[i]`, an optional's
/// value or nothing (StructuredIO.cpp).
void appendGraphOutput(mlir::Builder &b, const onnx::ValueInfoProto &out,
                       const ImportedValue &v,
                       llvm::SmallVectorImpl<mlir::Value> &results,
                       llvm::SmallVectorImpl<mlir::DictionaryAttr> &attrs);
/// The kOutputStructureAttr value of `graph`'s outputs.
mlir::ArrayAttr outputStructure(mlir::Builder &b, const onnx::GraphProto &graph,
                                llvm::ArrayRef<ImportedValue> outputs);
/// The converter for an op type of ai.onnx.preview.training, or null.
ConvertFn lookupTrainingConverter(llvm::StringRef opType);
/// The converter for an op type of the com.microsoft domain, or null.
ConvertFn lookupMicrosoftConverter(llvm::StringRef opType);

class Importer {
public:
  Importer(mlir::MLIRContext *ctx, const ImportOptions &options,
           llvm::StringRef modelName, llvm::StringRef baseDir);

  mlir::OwningOpRef<mlir::ModuleOp> importModel(const onnx::ModelProto &model);
  /// The same, freeing each top-level initializer's data in `model` once
  /// it is imported: the weights are then held once (as resource blobs),
  /// not twice, at the import's peak.
  mlir::OwningOpRef<mlir::ModuleOp> importModelConsuming(onnx::ModelProto &model) {
    // (mutable_graph() would give a model without one an empty graph.)
    if (model.has_graph())
      consumed = model.mutable_graph();
    return importModel(model);
  }

  mlir::MLIRContext *getContext() const { return ctx; }
  mlir::OpBuilder &getBuilder() { return builder; }

  /// ONNX element type -> MLIR element type; null for unsupported ones.
  mlir::Type convertElementType(int32_t onnxType);
  /// TensorProto -> elements attribute (dense or dense_resource).
  mlir::FailureOr<mlir::ElementsAttr>
  importTensor(const onnx::TensorProto &tensor, mlir::Location loc);
  /// AttributeProto -> MLIR attribute.
  mlir::FailureOr<mlir::Attribute>
  convertAttribute(const onnx::AttributeProto &attr, mlir::Location loc);

  /// Small constants used by converters when normalizing old opsets.
  mlir::Value none(mlir::Location loc);
  mlir::Value constI64(llvm::ArrayRef<int64_t> values, mlir::Location loc,
                       bool scalar = false);
  mlir::Value constant(mlir::ElementsAttr value, mlir::Location loc);

  /// Imports `graph` as the single block of `region`: its inputs become the
  /// block's arguments, of `argTypes` (the op that runs the body knows them
  /// better than the subgraph's declarations, which may omit shapes), its
  /// initializers and nodes the block's ops, its outputs a graph.yield.
  /// Names of the enclosing graphs stay visible (ONNX's outer-scope
  /// capture); the subgraph's own go out of scope after it.
  /// With `structure`, outputs that are sequences or optionals yield their
  /// tensors (flattened in order) and `structure` gets every output's
  /// form; without, such an output is an error.
  mlir::LogicalResult
  importSubgraph(const onnx::GraphProto &graph, mlir::Region &region,
                 mlir::TypeRange argTypes,
                 llvm::SmallVectorImpl<ImportedValue> *structure = nullptr);
  /// Imports `graph`'s nodes at the builder's insertion point, its inputs
  /// bound to `args`: one iteration of a Loop unrolled at import, one
  /// element of a SequenceMap. Its outputs go to `results`; the names it
  /// defines go out of scope after.
  mlir::LogicalResult importInline(const onnx::GraphProto &graph,
                                   llvm::ArrayRef<ImportedValue> args,
                                   llvm::SmallVectorImpl<ImportedValue> &results);
  /// The type the model declares for value `name` (value_info or a graph
  /// output), or null.
  mlir::Type declaredType(llvm::StringRef name) const {
    return valueInfoTypes.lookup(name);
  }
  const ImportOptions &getOptions() const { return options; }
  /// The tensor value named `name` in scope, or null.
  mlir::Value lookupValue(llvm::StringRef name) const {
    return values.lookup(name);
  }

  /// Builds a typed graph op: checks the attributes against the op's
  /// definition, infers result types, verifies, and folds when asked.
  template <typename OpTy>
  mlir::LogicalResult build(NodeContext &ctx, mlir::ValueRange operands,
                            llvm::ArrayRef<mlir::NamedAttribute> attrs,
                            llvm::SmallVectorImpl<mlir::Value> &results);

private:
  mlir::LogicalResult importGraph(const onnx::GraphProto &graph,
                                  mlir::func::FuncOp func);
  mlir::LogicalResult importNode(const onnx::NodeProto &node, unsigned index);
  void collectDeclaredTypes(const onnx::GraphProto &graph,
                            mlir::Location loc);
  /// The graph whose initializers' data importInitializers frees.
  onnx::GraphProto *consumed = nullptr;
  /// Imports `graph`'s initializers as constants under their names.
  mlir::LogicalResult importInitializers(const onnx::GraphProto &graph,
                                         mlir::Location loc);
  /// The values of `graph`'s outputs, or an error naming one that no node,
  /// initializer or input produces.
  mlir::LogicalResult lookupOutputs(const onnx::GraphProto &graph,
                                    mlir::Location loc, llvm::StringRef what,
                                    llvm::SmallVectorImpl<ImportedValue> &results);
  /// A sequence or optional graph input as the AOT contract compiles it
  /// (ImportOptions::inputStructure): its tensors become arguments of
  /// `entry`, named `name[i]` for a sequence's elements.
  mlir::FailureOr<ImportedValue>
  importStructuredInput(const onnx::ValueInfoProto &in, unsigned index,
                        mlir::Block *entry,
                        llvm::SmallVectorImpl<mlir::Type> &argTypes,
                        llvm::SmallVectorImpl<mlir::DictionaryAttr> &argAttrs);
  /// What importSubgraph and importInline share: `graph`'s inputs bound to
  /// `args`, its initializers and nodes imported at the insertion point,
  /// its outputs looked up.
  mlir::LogicalResult importBody(const onnx::GraphProto &graph,
                                 mlir::Location loc,
                                 llvm::ArrayRef<ImportedValue> args,
                                 llvm::SmallVectorImpl<ImportedValue> &outputs);
  /// Binds `name` to `v` in the scope being imported (a tensor name hides
  /// a sequence or optional of the same name and the other way round).
  void bind(llvm::StringRef name, const ImportedValue &v);
  mlir::LogicalResult importGeneric(NodeContext &ctx,
                                    llvm::SmallVectorImpl<mlir::Value> &outs);
  mlir::FailureOr<mlir::Type> convertType(const onnx::TypeProto &type,
                                          mlir::Location loc);
  mlir::LogicalResult finishOp(mlir::Operation *op, NodeContext &ctx,
                               llvm::SmallVectorImpl<mlir::Value> &results);
  mlir::FailureOr<std::string> readExternal(const onnx::TensorProto &tensor,
                                            mlir::Location loc);
  mlir::Location nodeLoc(const onnx::NodeProto &node, unsigned index);

  mlir::MLIRContext *ctx;
  ImportOptions options;
  std::string modelName, baseDir;
  mlir::OpBuilder builder;
  llvm::StringMap<mlir::Value> values;
  /// Sequences and optionals by name (Sequences.cpp).
  llvm::StringMap<ImportedValue> structured;
  llvm::StringMap<mlir::Type> valueInfoTypes;
  llvm::StringMap<int64_t> opsets;
  mlir::Value noneValue;
};

/// "ONNX node 'name' (OpType)": the prefix of every diagnostic about a node.
/// Unnamed nodes are called OpType_<index in the graph>.
std::string describeNode(const onnx::NodeProto &node, unsigned index);

} // namespace mnemo::onnx_import

#endif // MNEMO_LIB_IMPORT_ONNX_IMPORTER_H
