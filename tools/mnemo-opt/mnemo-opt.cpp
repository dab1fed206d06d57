//===- mnemo-opt.cpp - mnemo optimizer driver -----------------------------===//
//
// The opt-style driver: every mnemo dialect, pass and named pipeline, plus
// all upstream dialects and passes, so each lowering stage can be inspected
// and lit-tested on its own.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Driver/Compile.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mnemo::registerCompilerPasses();
  mlir::DialectRegistry registry;
  mnemo::registerCompilerDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "mnemo optimizer driver\n", registry));
}
