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
/// ran more iterations than its scan outputs have rows).
inline constexpr int32_t kStatusBoundExceeded = 9;

} // namespace mnemo

#endif // MNEMO_SUPPORT_RUNSTATUS_H
