//===- EmitPrograms.cpp - one pim.program per mapped GEMV -----------------===//

#include "mnemo/Target/PIM/Transforms/Passes.h"

#include "mnemo/Target/PIM/GemvMapping.h"

#include "mlir/IR/SymbolTable.h"

namespace mnemo {
#define GEN_PASS_DEF_PIMEMITPROGRAMSPASS
#include "mnemo/Target/PIM/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::pim;

namespace {

struct PIMEmitProgramsPass
    : public mnemo::impl::PIMEmitProgramsPassBase<PIMEmitProgramsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto devAttr = module->getAttrOfType<DeviceAttr>("pim.device");
    Device dev = devAttr ? devAttr.getDevice() : Device();
    SmallVector<GemvOp> gemvs;
    module.walk([&](GemvOp g) {
      if (g.getLayoutAttr() && !g.getProgramAttr())
        gemvs.push_back(g);
    });
    SymbolTable symbols(module);
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    for (auto [i, gemv] : llvm::enumerate(gemvs)) {
      GemvLayoutAttr l = gemv.getLayoutAttr();
      GemvPlan plan;
      plan.k = l.getK();
      plan.n = l.getN();
      plan.rowBase = l.getRowBase();
      plan.slots = l.getSlots();
      plan.passes = l.getPasses();
      GemvRegisters regs = gemvRegisters(dev, plan, bool(gemv.getBias()));
      auto program = ProgramOp::create(b, gemv.getLoc(), "pim_gemv_" + std::to_string(i),
                                       devAttr);
      Block *body = new Block();
      program.getBody().push_back(body);
      OpBuilder pb = OpBuilder::atBlockEnd(body);
      for (const Command &c : emitGemv(dev, plan, regs, 1))
        buildCommand(pb, gemv.getLoc(), c);
      buildCommand(pb, gemv.getLoc(), Command()); // EOC
      program->setAttr("pim.x_gpr", b.getI64IntegerAttr(regs.x));
      program->setAttr("pim.y_gpr", b.getI64IntegerAttr(regs.y));
      program->setAttr("pim.zero_gpr", b.getI64IntegerAttr(regs.zero));
      if (regs.bias >= 0)
        program->setAttr("pim.bias_gpr", b.getI64IntegerAttr(regs.bias));
      symbols.insert(program);
      gemv.setProgramAttr(FlatSymbolRefAttr::get(program.getSymNameAttr()));
    }
  }
};

} // namespace
