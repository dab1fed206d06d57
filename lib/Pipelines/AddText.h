//===- AddText.h - textual pipelines inside the named ones ------*- C++ -*-===//

#ifndef MNEMO_LIB_PIPELINES_ADDTEXT_H
#define MNEMO_LIB_PIPELINES_ADDTEXT_H

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace mnemo {
/// Adds a textual pipeline of registered passes (kept as text so the stages
/// read like the mnemo-opt command lines that reproduce them).
void addText(mlir::OpPassManager &pm, llvm::StringRef text);

/// mnemo-cpu-abi's options from a target's pipeline options (the
/// workspace plan is the same on every target).
template <typename PipelineOptions>
CPUABIPassOptions abiOptions(const PipelineOptions &options) {
  CPUABIPassOptions abi;
  abi.modelName = options.name;
  abi.dimBounds.assign(options.dims.begin(), options.dims.end());
  abi.planner = options.planner;
  abi.ilpTimeLimit = options.ilpTimeLimit;
  abi.operatorOrder = options.operatorOrder;
  abi.reports.assign(options.reports.begin(), options.reports.end());
  return abi;
}
} // namespace mnemo

#endif // MNEMO_LIB_PIPELINES_ADDTEXT_H
