//===- mnemo-translate.cpp - translations into and out of mnemo IR --------===//
//
// `--import-onnx`: ONNX model (.onnx, or .onnxtext) -> graph dialect MLIR.
// `--list-unsupported` prints, in one message, every op type that imported
// as a generic graph.onnx_node (with opset and count) and exits non-zero.
// `--emit-pim-asm` / `--emit-pim-bin`: the pim.program ops of an MLIR file
// as AiM trace text (every program, each after a `# pim.program @name`
// line, or the one `--program` names) or in mnemo's binary form (one
// program).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/PIM/IR/PIM.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Import/ONNX/ImportONNX.h"

#include "mlir/IR/AsmState.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Parser/Parser.h"
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

static cl::opt<int64_t> maxTensorBytes(
    "max-tensor-bytes",
    cl::desc("Most bytes one tensor may hold (default 16 GiB); larger is an "
             "error naming the node"),
    cl::init(mnemo::graph::kDefaultMaxTensorBytes));
static cl::list<std::string> sequenceLengths(
    "sequence-length",
    cl::desc("NAME=N: import a sequence input as N tensor inputs"));
static cl::list<std::string> absentInputs(
    "absent-input", cl::desc("NAME: import an optional input as empty"));
static cl::opt<bool> emitPimAsm(
    "emit-pim-asm", cl::desc("Print the pim.program ops of an MLIR file as AiM trace text"));
static cl::opt<bool> emitPimBin(
    "emit-pim-bin", cl::desc("Write one pim.program of an MLIR file in mnemo's binary form"));
static cl::opt<std::string> programName(
    "program", cl::desc("The pim.program to emit (by symbol name)"));

/// `file:line:col: severity: message`, the first line the source manager
/// would print.
static void printWithoutSource(Diagnostic &d) {
  Location loc = d.getLocation();
  while (auto name = dyn_cast<NameLoc>(loc))
    loc = name.getChildLoc();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    llvm::errs() << file.getFilename().getValue() << ":" << file.getLine()
                 << ":" << file.getColumn() << ": ";
  switch (d.getSeverity()) {
  case DiagnosticSeverity::Error: llvm::errs() << "error: "; break;
  case DiagnosticSeverity::Warning: llvm::errs() << "warning: "; break;
  case DiagnosticSeverity::Note: llvm::errs() << "note: "; break;
  case DiagnosticSeverity::Remark: llvm::errs() << "remark: "; break;
  }
  llvm::errs() << d.str() << "\n";
}

/// --emit-pim-asm / --emit-pim-bin: the programs of an MLIR module.
static int emitPim() {
  // The programs may sit in a module at any stage of the pipeline.
  DialectRegistry registry;
  registerAllDialects(registry);
  mnemo::registerImportDialects(registry);
  registry.insert<mnemo::pim::PIMDialect>();
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(inputFilename, sourceMgr, &context);
  if (!module)
    return 1;
  SmallVector<mnemo::pim::ProgramOp> programs;
  module->walk([&](mnemo::pim::ProgramOp p) {
    if (programName.empty() || p.getSymName() == programName)
      programs.push_back(p);
  });
  if (programs.empty()) {
    llvm::errs() << "mnemo-translate: no pim.program"
                 << (programName.empty() ? "" : " named '" + programName + "'")
                 << " in '" << inputFilename << "'\n";
    return 1;
  }
  if (emitPimBin && programs.size() != 1) {
    llvm::errs() << "mnemo-translate: --emit-pim-bin writes one program; name it "
                    "with --program (the file has "
                 << programs.size() << ")\n";
    return 1;
  }
  std::string error;
  auto output = openOutputFile(outputFilename, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  for (mnemo::pim::ProgramOp p : programs) {
    std::vector<mnemo::pim::Command> commands;
    for (Operation &op : p.getBody().front())
      commands.push_back(*mnemo::pim::commandOf(&op));
    if (emitPimBin) {
      output->os() << mnemo::pim::encodeBinary(commands);
      continue;
    }
    if (programName.empty())
      output->os() << "# pim.program @" << p.getSymName() << "\n";
    mnemo::pim::printTrace(output->os(), commands);
  }
  output->keep();
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "mnemo translation driver\n");
  if (emitPimAsm || emitPimBin)
    return emitPim();
  if (!importOnnx) {
    llvm::errs() << "mnemo-translate: choose a translation (--import-onnx, "
                    "--emit-pim-asm, --emit-pim-bin)\n";
    return 2;
  }
  DialectRegistry registry;
  mnemo::registerImportDialects(registry);
  MLIRContext context(registry);
  // A model is binary: diagnostics name its file and node index, without
  // echoing "source lines" of protobuf bytes.
  ScopedDiagnosticHandler diagHandler(&context, [](Diagnostic &d) {
    printWithoutSource(d);
    for (Diagnostic &note : d.getNotes())
      printWithoutSource(note);
    return success();
  });

  mnemo::ImportOptions options;
  options.foldConstants = !noFold;
  options.maxTensorBytes = maxTensorBytes;
  {
    std::string why;
    options.inputStructure =
        mnemo::inputStructureFromOptions(sequenceLengths, absentInputs, why);
    if (!options.inputStructure) {
      llvm::errs() << "mnemo-translate: " << why << "\n";
      return 2;
    }
  }
  OwningOpRef<ModuleOp> module =
      mnemo::importOnnxFile(inputFilename, &context, options);
  if (!module)
    return 1;
  if (inferShapes) {
    PassManager pm(&context);
    mnemo::graph::GraphInferShapesPassOptions infer;
    infer.maxTensorBytes = maxTensorBytes;
    pm.addNestedPass<func::FuncOp>(
        mnemo::graph::createGraphInferShapesPass(infer));
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
