//===- PIMRuntime.h - the host side of a PIM artifact -----------*- C++ -*-===//
//
// A PIM artifact's host library calls `_mlir_ciface_mnemo_pim_gemv` and
// `_mlir_ciface_mnemo_pim_kv_attend` (the device interface). This runtime implements it on the simulator: it loads
// OUT/pim (pim.json, the programs, the weight image), and per call writes
// each activation row into the program's registers, runs the program
// functionally and in time, and reads the outputs back. A process that
// hosts PIM artifacts links it and exports that symbol (mnemo-run does).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_RUNTIME_PIMRUNTIME_H
#define MNEMO_RUNTIME_PIMRUNTIME_H

#include "mnemo/Target/PIM/Simulator.h"

#include "llvm/Support/Error.h"

namespace mnemo::pim {

/// What the device did since the artifact was loaded (or last reset).
struct RuntimeTotals {
  int64_t calls = 0;      ///< GEMV calls from the host
  int64_t programRuns = 0; ///< programs run (one per activation row)
  int64_t cycles = 0;     ///< device time, summed over the runs
  double seconds = 0;
  double actPJ = 0, columnPJ = 0, macPJ = 0, movePJ = 0;
  double totalPJ() const { return actPJ + columnPJ + macPJ + movePJ; }
  double flops = 0;
  /// Attention against the device's KV caches (mnemo_pim_kv_attend): the
  /// calls, the tokens written into the banks, and their cycles (part of
  /// `cycles`).
  int64_t kvCalls = 0, kvTokensWritten = 0, kvCycles = 0;
  /// Of those, the prompt's tokens written from the host's cache input
  /// (once per sequence), their cycles and energy.
  int64_t kvUploadTokens = 0, kvUploadCycles = 0;
  double kvUploadPJ = 0;
  /// Wall time spent inside the device calls (simulating them): a run's
  /// wall time minus this is the host's share, measured.
  double callWallSeconds = 0;
};

/// Loads `<artifactDir>/pim` as the device the next calls run on.
llvm::Error loadPIMRuntime(llvm::StringRef artifactDir);
/// Whether an artifact's device part is loaded.
bool pimRuntimeLoaded();
RuntimeTotals pimRuntimeTotals();
void resetPIMRuntimeTotals();
/// The first error a call met (a call cannot return one), or empty.
std::string pimRuntimeError();

} // namespace mnemo::pim

#endif // MNEMO_RUNTIME_PIMRUNTIME_H
