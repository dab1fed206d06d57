//===- MemoryTiers.cpp - the mnemo-memory-tiers pass ----------------------===//
//
// The tier plan of a module with static shapes, for mnemo-opt and lit tests
// (mnemo-cpu-abi runs the same planning with symbolic dim bounds).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Mem/IR/Mem.h"
#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/MemoryPlan.h"
#include "mnemo/Memory/Planning/Passes.h"
#include "mnemo/Memory/Planning/TierRewrite.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mnemo {
#define GEN_PASS_DEF_MEMORYTIERSPASS
#include "mnemo/Memory/Planning/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo;

namespace {

struct MemoryTiersPass
    : public mnemo::impl::MemoryTiersPassBase<MemoryTiersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = memory::lookupEntry(module, entry);
    if (!fn)
      return signalPassFailure();
    if (sramBudget <= 0 || alignment < 1) {
      module.emitError("memory-tiers needs a positive sram-budget and "
                       "alignment");
      return signalPassFailure();
    }
    if (!fn.getBody().hasOneBlock()) {
      fn.emitError("memory planning needs a single-block function");
      return signalPassFailure();
    }
    Block &block = fn.front();
    memory::cloneViewsPerUser(block);
    FailureOr<memory::BufferLiveness> live = memory::analyzeBufferLiveness(
        fn, memory::staticAllocBytes, alignment);
    if (failed(live))
      return signalPassFailure();
    FailureOr<memory::MemoryPlan> plan = memory::planFunction(
        fn, *live, "greedy", ilpTimeLimit, sramBudget,
        modelName.empty() ? fn.getName() : StringRef(modelName), reports);
    if (failed(plan))
      return signalPassFailure();
    if (failed(memory::applyTierPlan(fn, *live, *plan->tiers, alignment)))
      return signalPassFailure();
  }
};

} // namespace
