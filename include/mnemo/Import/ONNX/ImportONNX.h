//===- ImportONNX.h - ONNX model importer -----------------------*- C++ -*-===//
//
// Imports an ONNX model (binary protobuf, or the textual format read by
// libonnx's OnnxParser) into a module holding one func.func of `graph` ops.
// Every failure is reported through the MLIRContext's diagnostic engine with
// the ONNX node's name and op type, and yields a null module.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_IMPORT_ONNX_IMPORTONNX_H
#define MNEMO_IMPORT_ONNX_IMPORTONNX_H

#include "mnemo/Dialect/Graph/IR/GraphShapeFunctions.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mnemo {

/// What a sequence or optional graph input holds, as one compile fixes it:
/// the C ABI passes tensors, so a sequence of N tensors is N inputs (named
/// `name[0]` ... `name[N-1]`) and an optional is its value's inputs or none.
struct InputStructure {
  /// An optional: whether it holds a value (a sequence is always present).
  bool present = true;
  /// A sequence (or an optional holding one): its number of tensors.
  int64_t length = 0;
  /// Per tensor, its rank, for a model that declares none (-1 or absent:
  /// unknown); its dims are then symbolic.
  std::vector<int64_t> ranks;
};

/// The forms of structured graph inputs the importer asks about.
enum class StructuredInputKind { Sequence, OptionalTensor, OptionalSequence };

/// Answers, for graph input number `index` (initializers not counted)
/// called `name`, what it holds; nullopt when the caller does not know
/// (the import then fails and names the input).
using InputStructureFn = std::function<std::optional<InputStructure>(
    unsigned index, llvm::StringRef name, StructuredInputKind kind)>;

/// An InputStructureFn from mnemoc's options: `lengths` NAME=N for
/// sequences, `absent` the optional inputs compiled as empty.
InputStructureFn
inputStructureFromOptions(llvm::ArrayRef<std::string> lengths,
                          llvm::ArrayRef<std::string> absent,
                          std::string &error);

struct ImportOptions {
  /// Name of the imported function.
  std::string funcName = "main_graph";
  /// Fold ops whose inputs are constants while importing (shape arithmetic).
  bool foldConstants = true;
  /// Initializers with more bytes than this become dense_resource blobs.
  size_t denseLimitBytes = 4096;
  /// Most bytes one tensor (initializer, graph input, node output) may
  /// hold; a larger or overflowing size is an error naming the tensor or
  /// node, raised before anything is allocated.
  int64_t maxTensorBytes = graph::kDefaultMaxTensorBytes;
  /// Bound on a Loop's iterations when neither a constant trip count nor
  /// the model's declared output sizes give one (0: none); it sizes the
  /// buffers of the Loop's scan outputs.
  int64_t maxLoopIterations = 0;
  /// The structure of sequence and optional graph inputs (null: a model
  /// with such an input is rejected by name).
  InputStructureFn inputStructure;
};

/// The module attribute listing, per ONNX graph output, the artifact
/// outputs it became, when any output is a sequence or an optional: an
/// array of {name, kind = "tensor" | "sequence" | "optional", count,
/// present}; its outputs are consecutive in the function's results.
inline constexpr llvm::StringLiteral kOutputStructureAttr =
    "graph.output_structure";

/// Imports the model at `path`: `.onnx` (protobuf, external data resolved
/// next to it) or `.onnxtext` (the ONNX textual syntax).
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext *context,
                                                 const ImportOptions &options);

/// Imports a serialized ModelProto held in memory; `baseDir` resolves
/// external data (empty: external data is rejected).
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBytes(llvm::StringRef bytes, llvm::StringRef name,
                llvm::StringRef baseDir, mlir::MLIRContext *context,
                const ImportOptions &options);

/// One op type that imported as a generic `graph.onnx_node`.
struct UnsupportedOp {
  std::string opType, domain;
  int64_t opset;
  unsigned count;
};

/// Every generic `graph.onnx_node` in `module`, grouped by op type, domain
/// and opset, most frequent first.
std::vector<UnsupportedOp> listUnsupportedOps(mlir::ModuleOp module);

/// Registers the dialects an imported module uses.
void registerImportDialects(mlir::DialectRegistry &registry);

} // namespace mnemo

#endif // MNEMO_IMPORT_ONNX_IMPORTONNX_H
