//===- AddText.h - textual pipelines inside the named ones ------*- C++ -*-===//

#ifndef MNEMO_LIB_PIPELINES_ADDTEXT_H
#define MNEMO_LIB_PIPELINES_ADDTEXT_H

#include "mlir/Pass/PassManager.h"

namespace mnemo {
/// Adds a textual pipeline of registered passes (kept as text so the stages
/// read like the mnemo-opt command lines that reproduce them).
void addText(mlir::OpPassManager &pm, llvm::StringRef text);
} // namespace mnemo

#endif // MNEMO_LIB_PIPELINES_ADDTEXT_H
