//===- LaunchHostOps.cpp - leftover compute into one-thread launches ------===//

#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_LAUNCHHOSTOPSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Ops that stay on the host: they touch no buffer's contents (views and
/// shapes only compute addresses and sizes) or launch work.
bool isHostOp(Operation *op) {
  return isa<gpu::LaunchOp, gpu::LaunchFuncOp, gpu::MemcpyOp, gpu::MemsetOp,
             func::ReturnOp, func::CallOp, memref::AllocOp, memref::DeallocOp,
             memref::AllocaOp, memref::ViewOp, memref::SubViewOp,
             memref::ReinterpretCastOp, memref::CollapseShapeOp,
             memref::ExpandShapeOp, memref::CastOp, memref::DimOp,
             memref::ExtractStridedMetadataOp,
             memref::ExtractAlignedPointerAsIndexOp, memref::GetGlobalOp>(op) ||
         op->hasTrait<OpTrait::IsTerminator>();
}

/// Host ops that may move up, past device ops that do not feed them, so
/// that those device ops stay one run (shapes and allocations interleaved
/// with scalar code unrolled from tiny tensors).
bool isHoistable(Operation *op) {
  return isa<memref::AllocOp, memref::AllocaOp, memref::ViewOp,
             memref::SubViewOp, memref::ReinterpretCastOp,
             memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp,
             memref::DimOp, memref::ExtractStridedMetadataOp,
             memref::GetGlobalOp>(op);
}

/// Scalar arithmetic with no memory effects (index math, constants): on the
/// host unless it reads a value a device op computes.
bool isScalarArith(Operation *op) {
  if (!isa<arith::ArithDialect, affine::AffineDialect>(op->getDialect()) &&
      op->getName().getDialectNamespace() != "index")
    return false;
  return op->getNumRegions() == 0 &&
         llvm::none_of(op->getOperandTypes(),
                       [](Type t) { return isa<MemRefType>(t); });
}

void reportHostUse(Operation *op) {
  op->emitError() << "'" << op->getName()
                  << "' computes a value the host needs (a shape or size read "
                     "from device data): the CUDA target cannot run it";
}

struct LaunchHostOpsPass
    : public mnemo::impl::LaunchHostOpsPassBase<LaunchHostOpsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    // Maximal runs of consecutive ops that must run on the device, per
    // block of the function body (their regions' nested ops move with
    // them). A loop or branch that already launches kernels (an argmax
    // over its axis: a kernel per step) stays on the host, and its own
    // blocks are searched the same way.
    SmallVector<Block *> blocks;
    for (Block &block : fn.getBody())
      blocks.push_back(&block);
    SmallVector<SmallVector<Operation *>> runs;
    while (!blocks.empty()) {
      Block &block = *blocks.pop_back_val();
      SmallVector<Operation *> run;
      llvm::SmallPtrSet<Operation *, 8> inRun;
      auto close = [&] {
        if (!run.empty())
          runs.push_back(std::move(run));
        run.clear();
        inRun.clear();
      };
      for (Operation &op : llvm::make_early_inc_range(block)) {
        Operation *producer = nullptr;
        for (Value v : op.getOperands())
          if (inRun.contains(v.getDefiningOp()))
            producer = v.getDefiningOp();
        bool launches = op.getNumRegions() && !isa<gpu::LaunchOp>(op) &&
                        op.walk([](gpu::LaunchOp) {
                            return WalkResult::interrupt();
                          }).wasInterrupted();
        if (launches) {
          for (Region &r : op.getRegions())
            for (Block &b : r)
              blocks.push_back(&b);
        }
        if (!run.empty() && !producer && !launches &&
            (isHoistable(&op) || isScalarArith(&op))) {
          op.moveBefore(run.front());
          continue;
        }
        if (isHostOp(&op) || launches) {
          if (producer && !op.hasTrait<OpTrait::IsTerminator>()) {
            reportHostUse(producer);
            return signalPassFailure();
          }
          close();
          continue;
        }
        if (isScalarArith(&op) && !producer) {
          close();
          continue;
        }
        run.push_back(&op);
        inRun.insert(&op);
      }
      if (!run.empty())
        runs.push_back(std::move(run));
    }
    for (ArrayRef<Operation *> run : runs) {
      llvm::SmallPtrSet<Operation *, 8> inRun(run.begin(), run.end());
      Block *block = run.front()->getBlock();
      for (Operation *op : run)
        for (Value r : op->getResults())
          for (Operation *user : r.getUsers())
            if (!inRun.contains(block->findAncestorOpInBlock(*user))) {
              reportHostUse(op);
              return signalPassFailure();
            }
      OpBuilder b(run.front());
      Location loc = run.front()->getLoc();
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
      Block &body = launch.getBody().front();
      OpBuilder inner = OpBuilder::atBlockEnd(&body);
      auto term = gpu::TerminatorOp::create(inner, loc);
      for (Operation *op : run)
        op->moveBefore(term);
    }
  }
};

} // namespace
