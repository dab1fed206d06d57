//===- Tiers.h - on-chip / off-chip placement with spills -------*- C++ -*-===//
//
// With an on-chip (SRAM) budget, every buffer must be on chip at the steps
// that touch it and may be spilled to off-chip memory (DRAM) in between and
// reloaded later. A step tiled for the budget may instead leave a buffer in
// DRAM and stream it through a staging area of one tile's size. The planner
// picks residencies that minimize off-chip traffic (spilled, reloaded and
// streamed bytes), then places each on-chip residency and staging area at
// an SRAM offset and each spilled or streamed buffer at a DRAM offset.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_TIERS_H
#define MNEMO_MEMORY_TIERS_H

#include "mnemo/Memory/Planning/Planner.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Error.h"

namespace mnemo::memory {

/// One on-chip residency of a buffer: steps [first, last] at `offset`.
struct Residency {
  int64_t first = 0, last = 0, offset = 0;
  bool reloadBefore = false; // read back from DRAM before `first`
  bool spillAfter = false;   // written to DRAM after `last`
};

struct TierPlan {
  int64_t budget = 0;
  int64_t sramBytes = 0, dramBytes = 0;
  int64_t trafficBytes = 0; // spilled + reloaded bytes per run
  std::vector<std::vector<Residency>> residencies; // per buffer
  std::vector<int64_t> dramOffset;                 // per buffer; -1: none
  /// Per step: where its tiles are staged on chip when it streams a
  /// buffer from DRAM; -1 when it streams none.
  std::vector<int64_t> stagingOffset;
  int64_t streamedTrafficBytes = 0; // part of trafficBytes
  /// Whether buffer `i` is on chip at step `s`.
  bool onChip(int i, int64_t s) const {
    return llvm::any_of(residencies[i], [&](const Residency &r) {
      return r.first <= s && s <= r.last;
    });
  }
  double solveSeconds = 0;
  bool ilpOptimal = false;
  std::string method; // "ilp" or "belady" (the fallback)
};

/// The least on-chip bytes any plan needs: the most a single step touches
/// (or stages, when it can stream). `step` receives that step.
int64_t minimumOnChipBytes(const Problem &p, int64_t *step = nullptr);

/// Plans tiers for `budget` SRAM bytes. The residency choice is an ILP
/// (per buffer and step: on chip or not; spill and reload bytes as
/// objective; on-chip bytes per step within the capacity) solved with CBC
/// for at most `timeLimitSeconds`, warm-started from Belady's rule (evict
/// the buffer used farthest in the future). Residencies are then placed by
/// greedy-by-size; when fragmentation pushes the arena past the budget the
/// capacity is lowered and the residency ILP re-solved. Fails when no plan
/// fits, naming the smallest budget the planner meets.
llvm::Expected<TierPlan> planTiers(const Problem &p, int64_t budget,
                                   double timeLimitSeconds);

/// Violations of a tier plan (touched buffers off chip, overlapping on-chip
/// residencies or DRAM copies, a residency outside the budget); empty when
/// valid.
std::vector<std::string> checkTierPlan(const Problem &p, const TierPlan &t);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_TIERS_H
