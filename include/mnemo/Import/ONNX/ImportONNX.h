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
#include "llvm/ADT/StringRef.h"
#include <string>
#include <vector>

namespace mnemo {

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
};

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
