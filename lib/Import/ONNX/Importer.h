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

  mlir::Attribute take(llvm::StringRef name);
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
/// Whether `opType` (default domain) makes or reads a sequence.
bool isSequenceOp(llvm::StringRef opType);
/// A sequence op on the importer's lists (Sequences.cpp): `seqIns` holds
/// the list of each input that is a sequence; the op yields tensors in
/// `outs` or a list in `seqOut`.
llvm::LogicalResult
convertSequenceOp(NodeContext &c,
                  llvm::ArrayRef<std::optional<llvm::SmallVector<mlir::Value>>> seqIns,
                  llvm::SmallVectorImpl<mlir::Value> &outs,
                  std::optional<llvm::SmallVector<mlir::Value>> &seqOut);
/// The converter for an op type of ai.onnx.preview.training, or null.
ConvertFn lookupTrainingConverter(llvm::StringRef opType);
/// The converter for an op type of the com.microsoft domain, or null.
ConvertFn lookupMicrosoftConverter(llvm::StringRef opType);

class Importer {
public:
  Importer(mlir::MLIRContext *ctx, const ImportOptions &options,
           llvm::StringRef modelName, llvm::StringRef baseDir);

  mlir::OwningOpRef<mlir::ModuleOp> importModel(const onnx::ModelProto &model);

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
  mlir::LogicalResult importSubgraph(const onnx::GraphProto &graph,
                                     mlir::Region &region,
                                     mlir::TypeRange argTypes);
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
  /// Imports `graph`'s initializers as constants under their names.
  mlir::LogicalResult importInitializers(const onnx::GraphProto &graph,
                                         mlir::Location loc);
  /// The values of `graph`'s outputs, or an error naming one that no node,
  /// initializer or input produces.
  mlir::LogicalResult lookupOutputs(const onnx::GraphProto &graph,
                                    mlir::Location loc, llvm::StringRef what,
                                    llvm::SmallVectorImpl<mlir::Value> &results);
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
  /// Sequences by name, as the lists of their tensors (Sequences.cpp).
  llvm::StringMap<llvm::SmallVector<mlir::Value>> sequences;
  llvm::StringMap<mlir::Type> valueInfoTypes;
  llvm::StringMap<int64_t> opsets;
  mlir::Value noneValue;
};

/// "ONNX node 'name' (OpType)": the prefix of every diagnostic about a node.
/// Unnamed nodes are called OpType_<index in the graph>.
std::string describeNode(const onnx::NodeProto &node, unsigned index);

} // namespace mnemo::onnx_import

#endif // MNEMO_LIB_IMPORT_ONNX_IMPORTER_H
