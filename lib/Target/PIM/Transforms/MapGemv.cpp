//===- MapGemv.cpp - GEMV weights laid out in the banks -------------------===//

#include "mnemo/Target/PIM/Transforms/Passes.h"

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Target/PIM/GemvMapping.h"
#include "mnemo/Target/PIM/KVMapping.h"

namespace mnemo {
#define GEN_PASS_DEF_PIMMAPGEMVPASS
#include "mnemo/Target/PIM/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::pim;

namespace {

struct PIMMapGemvPass : public mnemo::impl::PIMMapGemvPassBase<PIMMapGemvPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<Device> dev = parseDevice(device);
    if (!dev) {
      module.emitError(llvm::toString(dev.takeError()));
      return signalPassFailure();
    }
    module->setAttr("pim.device", getDeviceAttr(&getContext(), *dev));
    // The GEMVs' rows one after another, in program order (a layout given
    // by hand keeps its rows and moves the next ones past them).
    int64_t next = rowBase;
    WalkResult r = module.walk([&](GemvOp gemv) {
      auto w = cast<RankedTensorType>(gemv.getW().getType());
      if (GemvLayoutAttr l = gemv.getLayoutAttr()) {
        next = std::max(next, l.getRowBase() + l.getSlots() * l.getPasses());
        return WalkResult::advance();
      }
      llvm::Expected<GemvPlan> plan =
          planGemv(*dev, w.getDimSize(0), w.getDimSize(1), next);
      if (!plan) {
        std::string name = mnemo::graph::getOnnxNodeName(gemv);
        InFlightDiagnostic diag = gemv.emitError();
        if (!name.empty())
          diag << "node '" << name << "': ";
        diag << llvm::toString(plan.takeError());
        if (next > rowBase)
          diag << " (the GEMVs before it use rows " << int64_t(rowBase) << ".."
               << next - 1 << ")";
        return WalkResult::interrupt();
      }
      gemv.setLayoutAttr(GemvLayoutAttr::get(&getContext(), plan->k, plan->n,
                                             plan->rowBase, plan->slots,
                                             plan->passes));
      next += plan->rows();
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      return signalPassFailure();
    // The KV caches after the weights: a cache's rows are written as the
    // decode runs, the weights' only once.
    r = module.walk([&](KVAttendOp kv) {
      int64_t base = kv.getRowBase().value_or(next);
      auto cache = cast<RankedTensorType>(kv.getCache().getType());
      llvm::Expected<KVPlan> plan = planKV(
          *dev, kv.getKind() == "key" ? KVKind::Key : KVKind::Value,
          cache.getDimSize(1), cache.getDimSize(3), cache.getDimSize(2), base);
      if (!plan) {
        std::string name = mnemo::graph::getOnnxNodeName(kv);
        InFlightDiagnostic diag = kv.emitError();
        if (!name.empty())
          diag << "node '" << name << "': ";
        diag << llvm::toString(plan.takeError());
        return WalkResult::interrupt();
      }
      kv.setRowBase(base);
      next = std::max(next, base + plan->rows(*dev));
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
