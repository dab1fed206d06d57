//===- CompileModel.h - one model through the whole compile path -*- C++ -*-===//
//
// What both the compile fuzzer and the mutation sweep run on a candidate
// model: import, shape inference, the graph passes and the CPU pipeline
// down to LLVM IR (emit=llvm, no object). The property they check: it
// compiles, or it fails with at least one error diagnostic.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_FUZZ_COMPILEMODEL_H
#define MNEMO_FUZZ_COMPILEMODEL_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mnemo::fuzz {

enum class Outcome {
  Compiled,        // LLVM IR written
  ImportDiagnosed, // the importer rejected it with an error diagnostic
  Diagnosed,       // imported; a later stage failed with a diagnostic
  Silent,          // failed without one: a bug, as much as a crash
};

/// Compiles the serialized model `bytes` for the CPU into `outDir`; the
/// first error, if any, goes to `firstError`.
Outcome compileModel(llvm::StringRef bytes, llvm::StringRef outDir,
                     std::string &firstError);

} // namespace mnemo::fuzz

#endif // MNEMO_FUZZ_COMPILEMODEL_H
