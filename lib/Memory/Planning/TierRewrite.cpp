//===- TierRewrite.cpp - a tier plan as mem dialect IR --------------------===//

#include "mnemo/Memory/Planning/TierRewrite.h"

#include "mnemo/Dialect/Mem/IR/Mem.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace mnemo::memory {

/// Gives every user step its own copy of each top-level view chain, placed
/// right before the user, so a view belongs to exactly one step and can be
/// re-rooted at that step's residency.
void cloneViewsPerUser(Block &block) {
  SmallVector<Operation *> views;
  for (Operation &op : block) {
    if (isScheduledLoop(&op))
      for (Region &region : op.getRegions())
        cloneViewsPerUser(region.front());
    if (isa<ViewLikeOpInterface>(op) && op.getNumResults() == 1 &&
        isa<MemRefType>(op.getResult(0).getType()))
      views.push_back(&op);
  }
  for (Operation *view : llvm::reverse(views)) {
    for (OpOperand &use : llvm::make_early_inc_range(view->getResult(0).getUses())) {
      Operation *top = block.findAncestorOpInBlock(*use.getOwner());
      if (!top || top == view->getNextNode())
        continue;
      OpBuilder b(top);
      use.set(b.clone(*view)->getResult(0));
    }
    if (view->use_empty())
      view->erase();
  }
}

/// Where a transfer of `alloc`'s buffer at `step` goes: the step itself, or
/// the outermost scheduled loop around it that the buffer outlives (its
/// residency spans the whole loop, see useSteps).
static Operation *transferAnchor(Operation *step, memref::AllocOp alloc) {
  Operation *anchor = step;
  for (Operation *p = step->getParentOp(); p && isScheduledLoop(p);
       p = p->getParentOp())
    if (!p->isAncestor(alloc))
      anchor = p;
  return anchor;
}

LogicalResult applyTierPlan(func::FuncOp fn, BufferLiveness &live,
                            const TierPlan &t, int64_t alignment) {
    MLIRContext *ctx = fn.getContext();
    Block &block = fn.front();
    OpBuilder b = OpBuilder::atBlockBegin(&block);
    Location loc = fn.getLoc();
    auto i8 = IntegerType::get(ctx, 8);
    auto arena = [&](mem::Space space, int64_t bytes) -> Value {
      return mem::ArenaOp::create(
          b, loc, MemRefType::get({std::max<int64_t>(bytes, alignment)}, i8),
          mem::SpaceAttr::get(ctx, space));
    };
    Value sram = arena(mem::Space::sram, t.sramBytes);
    Value dram = t.dramBytes > 0 ? arena(mem::Space::dram, t.dramBytes)
                                 : Value();
    // Where a streaming step stages its tiles in the SRAM arena: a
    // scratchpad target copies tiles there; on the CPU both tiers are host
    // memory and the loop reads its DRAM operands in place.
    for (auto [s, offset] : llvm::enumerate(t.stagingOffset))
      if (offset >= 0)
        live.stepOps[s]->setAttr("mem.staging_offset",
                                 b.getI64IntegerAttr(offset));
    for (auto [i, alloc] : llvm::enumerate(live.allocs)) {
      MemRefType type = alloc.getType();
      Location aloc = alloc.getLoc();
      // Views at the allocation: its dynamic sizes are defined there.
      OpBuilder vb(alloc);
      ValueRange sizes = alloc.getDynamicSizes();
      SmallVector<Value> views;
      for (const Residency &r : t.residencies[i])
        views.push_back(mem::ViewOp::create(
            vb, aloc, type, sram, vb.getI64IntegerAttr(r.offset), sizes));
      Value off = t.dramOffset[i] >= 0
                      ? mem::ViewOp::create(
                            vb, aloc, type, dram,
                            vb.getI64IntegerAttr(t.dramOffset[i]), sizes)
                            .getResult()
                      : Value();
      for (auto [k, r] : llvm::enumerate(t.residencies[i])) {
        if (r.reloadBefore) {
          OpBuilder rb(transferAnchor(live.stepOps[r.first], alloc));
          mem::ReloadOp::create(rb, aloc, off, views[k]);
        }
        if (r.spillAfter) {
          OpBuilder sb(ctx);
          sb.setInsertionPointAfter(transferAnchor(live.stepOps[r.last], alloc));
          mem::SpillOp::create(sb, aloc, views[k], off);
        }
      }
      for (OpOperand &use : llvm::make_early_inc_range(alloc->getUses())) {
        Operation *user = use.getOwner();
        if (isa<memref::DeallocOp>(user)) {
          user->erase();
          continue;
        }
        int64_t s = live.stepOf(user);
        Operation *top = block.findAncestorOpInBlock(*user);
        for (auto [k, r] : llvm::enumerate(t.residencies[i]))
          if (r.first <= s && s <= r.last)
            use.set(views[k]);
        // A step that streams the buffer reads and writes its DRAM copy
        // tile by tile.
        if (use.get() == alloc.getResult() && off && s >= 0 &&
            live.problem.streamable(s, i))
          use.set(off);
        // A top-level op that reads no data (memref.dim, a view nothing
        // uses) may sit outside every residency: any view has the shape.
        if (use.get() == alloc.getResult() && !views.empty() &&
            top == user && isMemoryEffectFree(user))
          use.set(views.front());
      }
      if (!alloc->use_empty())
        return alloc.emitError(
            "buffer used outside every on-chip residency");
      alloc.erase();
    }
    return success();
}

} // namespace mnemo::memory
