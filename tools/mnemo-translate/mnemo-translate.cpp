//===- mnemo-translate.cpp - translations into and out of mnemo IR --------===//
//
// `--import-onnx`: ONNX model (.onnx, or .onnxtext) -> graph dialect MLIR.
// `--list-unsupported` prints, in one message, every op type that imported
// as a generic graph.onnx_node (with opset and count) and exits non-zero.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Import/ONNX/ImportONNX.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<input model>"),
                                          cl::Required);
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"));
static cl::opt<bool> importOnnx("import-onnx",
                                cl::desc("Import an ONNX model (.onnx or "
                                         ".onnxtext) into the graph dialect"));
static cl::opt<bool> listUnsupported(
    "list-unsupported",
    cl::desc("List every op type without a typed conversion and fail if any"));
static cl::opt<bool> noFold("no-fold",
                            cl::desc("Do not fold constants while importing"));
static cl::opt<bool> inferShapes(
    "infer-shapes", cl::desc("Run graph-infer-shapes on the imported module"));
static cl::opt<bool> elideResources(
    "elide-resources",
    cl::desc("Print weights as elided resource handles (not re-parsable)"));
static cl::opt<bool> debugInfo(
    "debug-info",
    cl::desc("Print locations (ONNX node names) so later tools keep them"));

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "mnemo translation driver\n");
  if (!importOnnx) {
    llvm::errs() << "mnemo-translate: choose a translation (--import-onnx)\n";
    return 2;
  }
  DialectRegistry registry;
  mnemo::registerImportDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  mnemo::ImportOptions options;
  options.foldConstants = !noFold;
  OwningOpRef<ModuleOp> module =
      mnemo::importOnnxFile(inputFilename, &context, options);
  if (!module)
    return 1;
  if (inferShapes) {
    PassManager pm(&context);
    pm.addNestedPass<func::FuncOp>(mnemo::graph::createGraphInferShapesPass());
    if (failed(pm.run(*module)))
      return 1;
  }
  if (listUnsupported) {
    std::vector<mnemo::UnsupportedOp> ops = mnemo::listUnsupportedOps(*module);
    if (ops.empty()) {
      llvm::outs() << "all ops of '" << inputFilename << "' are supported\n";
      return 0;
    }
    std::string msg;
    llvm::raw_string_ostream os(msg);
    os << ops.size() << " unsupported op type(s) in '" << inputFilename
       << "':";
    for (const mnemo::UnsupportedOp &op : ops)
      os << "\n  " << (op.domain.empty() ? "" : op.domain + ".") << op.opType
         << " (opset " << op.opset << ") x" << op.count;
    emitError(module->getLoc()) << msg;
    return 1;
  }
  std::string error;
  auto output = openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  OpPrintingFlags flags;
  if (elideResources)
    flags.elideLargeResourceString();
  if (debugInfo)
    flags.enableDebugInfo();
  module->print(output->os(), flags);
  output->os() << "\n";
  output->keep();
  return 0;
}
