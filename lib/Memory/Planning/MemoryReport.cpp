//===- MemoryReport.cpp - the mnemo-memory-report pass --------------------===//

#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/MemoryPlan.h"
#include "mnemo/Memory/Planning/StepOrder.h"
#include "mnemo/Memory/Planning/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mnemo {
#define GEN_PASS_DEF_MEMORYREPORTPASS
#include "mnemo/Memory/Planning/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

struct MemoryReportPass
    : public mnemo::impl::MemoryReportPassBase<MemoryReportPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = mnemo::memory::lookupEntry(module, entry);
    if (!fn)
      return signalPassFailure();
    if (alignment < 1) {
      module.emitError("memory-report alignment must be positive");
      return signalPassFailure();
    }
    if (!mnemo::memory::isOperatorOrderName(operatorOrder)) {
      module.emitError() << "operator-order must be program or memory, not '"
                         << operatorOrder << "'";
      return signalPassFailure();
    }
    std::optional<mnemo::memory::OrderReport> order;
    FailureOr<mnemo::memory::BufferLiveness> live =
        mnemo::memory::analyzeInBestOrder(
            fn, mnemo::memory::staticAllocBytes, alignment,
            operatorOrder == "memory", ilpTimeLimit, order);
    if (failed(live))
      return signalPassFailure();
    FailureOr<mnemo::memory::MemoryPlan> plan = mnemo::memory::planFunction(
        fn, *live, planner, ilpTimeLimit, /*sramBudget=*/0, fn.getName(), {},
        std::move(order));
    if (failed(plan))
      return signalPassFailure();
    mnemo::memory::printSummary(*plan, llvm::outs());
    Builder b(&getContext());
    for (auto [alloc, offset] :
         llvm::zip(live->allocs, plan->chosen.offsets))
      alloc->setAttr("mnemo.offset", b.getI64IntegerAttr(offset));
    fn->setAttr("mnemo.arena_bytes",
                b.getI64IntegerAttr(plan->chosen.arenaBytes));
  }
};

} // namespace
