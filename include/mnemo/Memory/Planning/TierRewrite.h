//===- TierRewrite.h - a tier plan as mem dialect IR ------------*- C++ -*-===//

#ifndef MNEMO_MEMORY_TIERREWRITE_H
#define MNEMO_MEMORY_TIERREWRITE_H

#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/Tiers.h"

namespace mnemo::memory {

/// Gives every user step its own copy of each top-level view chain, placed
/// right before the user, so a view belongs to exactly one step and can be
/// re-rooted at that step's residency. Run before analyzeBufferLiveness.
void cloneViewsPerUser(mlir::Block &block);

/// Replaces the allocations of `live` by the tier plan:
/// - `mem.arena` for SRAM (and DRAM when anything spills) at function start;
/// - one `mem.view` per on-chip residency and per DRAM copy, at the
///   allocation;
/// - every use rewired to the residency covering its step;
/// - `mem.reload` before and `mem.spill` after residency boundaries.
mlir::LogicalResult applyTierPlan(mlir::func::FuncOp fn, BufferLiveness &live,
                                  const TierPlan &tiers, int64_t alignment);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_TIERREWRITE_H
