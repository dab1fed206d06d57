//===- MemoryTiers.cpp - the mnemo-memory-tiers pass ----------------------===//
//
// The tier plan of a module with static shapes, for mnemo-opt and lit tests
// (mnemo-cpu-abi runs the same planning with symbolic dim bounds).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Mem/IR/Mem.h"
#include "mnemo/Memory/BufferLiveness.h"
#include "mnemo/Memory/MemoryPlan.h"
#include "mnemo/Memory/Passes.h"
#include "mnemo/Memory/TierRewrite.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mnemo {
#define GEN_PASS_DEF_MEMORYTIERSPASS
#include "mnemo/Memory/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo;

namespace {

struct MemoryTiersPass
    : public mnemo::impl::MemoryTiersPassBase<MemoryTiersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>(entry);
    if (!fn) {
      module.emitError() << "entry function '" << entry << "' not found";
      return signalPassFailure();
    }
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
    llvm::Expected<memory::TierPlan> tiers =
        memory::planTiers(live->problem, sramBudget, ilpTimeLimit);
    if (!tiers) {
      fn.emitError() << llvm::toString(tiers.takeError());
      return signalPassFailure();
    }
    llvm::Expected<memory::MemoryPlan> plan = memory::planMemory(
        live->problem, "greedy", ilpTimeLimit,
        modelName.empty() ? fn.getName() : StringRef(modelName));
    if (!plan) {
      fn.emitError() << llvm::toString(plan.takeError());
      return signalPassFailure();
    }
    plan->tiers = *tiers;
    for (const std::string &path : reports)
      if (llvm::Error err = memory::writeReport(*plan, path)) {
        module.emitError() << llvm::toString(std::move(err));
        return signalPassFailure();
      }
    if (failed(memory::applyTierPlan(fn, *live, *tiers, alignment)))
      return signalPassFailure();
  }

};

} // namespace
