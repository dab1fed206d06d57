//===- DeviceConstants.cpp - kernels read device copies of constants ------===//

#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Target/CPU/MemRefPointers.h"

#include "mlir/IR/Builders.h"

namespace mnemo {
#define GEN_PASS_DEF_DEVICECONSTANTSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

struct DeviceConstantsPass
    : public mnemo::impl::DeviceConstantsPassBase<DeviceConstantsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    SmallVector<memref::GetGlobalOp> reads;
    module.walk([&](memref::GetGlobalOp get) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      if (global && global.getConstant() && get.getType().hasStaticShape() &&
          !get->getParentOfType<gpu::LaunchOp>())
        reads.push_back(get);
    });
    if (reads.empty())
      return;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = b.getI64Type();
    func::FuncOp copy = module.lookupSymbol<func::FuncOp>("mnemo_cuda_constant");
    if (!copy) {
      copy = func::FuncOp::create(b, module.getLoc(), "mnemo_cuda_constant",
                                  FunctionType::get(ctx, {ptr, i64}, {ptr}));
      copy.setPrivate();
    }
    for (memref::GetGlobalOp get : reads) {
      // A host load keeps the host copy (LaunchHostOps left it there).
      auto onHost = [](OpOperand &use) {
        return isa<memref::LoadOp>(use.getOwner()) &&
               !use.getOwner()->getParentOfType<gpu::LaunchOp>();
      };
      if (llvm::all_of(get->getUses(), onHost))
        continue;
      Location loc = get.getLoc();
      b.setInsertionPointAfter(get);
      MemRefType type = get.getType();
      int64_t bytes = type.getNumElements() *
                      std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
      Value addr = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, get);
      Value addr64 = arith::IndexCastOp::create(b, loc, i64, addr);
      Value host = LLVM::IntToPtrOp::create(b, loc, ptr, addr64);
      Value size = arith::ConstantIntOp::create(b, loc, i64, bytes);
      Value dev = func::CallOp::create(b, loc, copy, ValueRange{host, size})
                      .getResult(0);
      SmallVector<Value> sizes;
      for (int64_t d : type.getShape())
        sizes.push_back(arith::ConstantIndexOp::create(b, loc, d));
      Value devMemref = mnemo::memrefFromPointer(b, loc, dev, type, sizes);
      get.getResult().replaceUsesWithIf(devMemref, [&](OpOperand &use) {
        return !onHost(use) &&
               use.getOwner() != addr.getDefiningOp();
      });
    }
  }
};

} // namespace
