//===- Registration.cpp - every dialect, pass and pipeline ----------------===//
//
// One list for mnemo-opt, mnemoc and the Python package, so a pass or
// dialect added to mnemo is visible to all of them.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Driver/Compile.h"

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Mem/IR/Mem.h"
#include "mnemo/Dialect/PIM/IR/PIM.h"
#include "mnemo/Pipelines/Pipelines.h"
#include "mnemo/Target/CPU/IntrinsicEffects.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;

void mnemo::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in process.
  registerAllToLLVMIRTranslations(registry);
  registry.insert<graph::GraphDialect, mem::MemDialect, pim::PIMDialect>();
  // The kernels' x86 intrinsic calls as the pure register arithmetic they are.
  registerIntrinsicEffects(registry);
}

void mnemo::registerCompilerPasses() { registerAllPassesAndPipelines(); }

FailureOr<std::string> mnemo::runPipeline(MLIRContext &ctx, StringRef mlirText,
                                          StringRef pipeline, std::string &why) {
  registerCompilerPasses();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(mlirText, &ctx);
  if (!module) {
    why = "cannot parse the MLIR text";
    return failure();
  }
  PassManager pm(&ctx, ModuleOp::getOperationName());
  std::string parseErrors;
  llvm::raw_string_ostream errs(parseErrors);
  // The pass manager is anchored on the module: its passes are the list
  // inside "builtin.module(...)" (given with or without it). Parsed whole,
  // the anchor would nest a second module pass manager that runs on
  // nothing.
  StringRef text = pipeline.trim();
  if (text.starts_with("builtin.module(") && text.ends_with(")"))
    text = text.drop_front(strlen("builtin.module(")).drop_back();
  if (failed(parsePassPipeline(text, pm, errs))) {
    why = "bad pipeline '" + pipeline.str() + "': " + parseErrors;
    return failure();
  }
  if (failed(pm.run(*module))) {
    why = "the pipeline failed";
    return failure();
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  module->print(os);
  return out;
}
