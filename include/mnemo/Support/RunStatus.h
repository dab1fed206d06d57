//===- RunStatus.h - errors a compiled run finds in its data ----*- C++ -*-===//
//
// Most of what `<name>_run` returns is checked before the model runs (dims,
// pointers, alignment). Some errors show only while it runs on the data:
// the lowering that can hit one stores its code in the module's run
// status, a thread-local i32 LLVM global (runs on different threads do not
// see each other's), and the CPU ABI clears it before the model and
// returns it after.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_SUPPORT_RUNSTATUS_H
#define MNEMO_SUPPORT_RUNSTATUS_H

#include "llvm/ADT/StringRef.h"
#include <cstdint>

namespace mnemo {

/// The symbol of the module's run status global.
inline constexpr llvm::StringLiteral kRunStatusGlobal = "__mnemo_run_status";

/// A data-dependent size went past the bound it was compiled for (a Loop
/// ran more iterations than its scan outputs have rows, TopK's run-time k
/// exceeds its axis).
inline constexpr int32_t kStatusBoundExceeded = 9;

/// The weights were not given (`--weights=file`: call _set_weights first).
inline constexpr int32_t kStatusNoWeights = 10;
/// _set_weights got bytes that are not this artifact's weights file.
inline constexpr int32_t kStatusBadWeights = 11;

/// The base pointer of an artifact's external weights (`--weights=file`),
/// set by `<name>_set_weights`.
inline constexpr llvm::StringLiteral kWeightsGlobal = "__mnemo_weights";
/// Bytes before the first weight in a weights file: "MNEMOWT1", the file's
/// size (u64), the data's hash (u64), zeros.
inline constexpr int64_t kWeightsHeaderBytes = 64;

} // namespace mnemo

#endif // MNEMO_SUPPORT_RUNSTATUS_H
