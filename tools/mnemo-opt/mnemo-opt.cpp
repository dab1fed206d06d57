//===- mnemo-opt.cpp - mnemo optimizer driver -----------------------------===//
//
// The opt-style driver: every mnemo dialect, pass and named pipeline, plus
// all upstream dialects and passes, so each lowering stage can be inspected
// and lit-tested on its own.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Conversion/Passes.h"
#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Dialect/PIM/IR/PIM.h"
#include "mnemo/Target/PIM/Transforms/Passes.h"
#include "mnemo/Memory/Planning/Passes.h"
#include "mnemo/Memory/Transforms/Passes.h"
#include "mnemo/Pipelines/Pipelines.h"
#include "mnemo/Target/CPU/Passes.h"
#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mnemo::graph::registerGraphPasses();
  mnemo::registerMnemoConversionPasses();
  mnemo::registerMnemoCPUPasses();
  mnemo::registerMnemoCUDAPasses();
  mnemo::registerMnemoPIMPasses();
  mnemo::registerMnemoMemoryPlanningPasses();
  mnemo::registerMnemoMemoryTransformsPasses();
  mnemo::registerPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in process.
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<mnemo::graph::GraphDialect, mnemo::mem::MemDialect,
                  mnemo::pim::PIMDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "mnemo optimizer driver\n", registry));
}
