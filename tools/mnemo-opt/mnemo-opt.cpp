//===- mnemo-opt.cpp - mnemo optimizer driver -----------------------------===//
//
// The opt-style driver: every mnemo dialect and pass, plus the upstream
// dialects and generic passes (canonicalize, cse, ...) they work with.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  mnemo::graph::registerGraphPasses();

  mlir::DialectRegistry registry;
  registry.insert<mnemo::graph::GraphDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "mnemo optimizer driver\n", registry));
}
