//===- MapParallelLoops.cpp - scf.parallel -> blocks x threads, coalesced -===//

#include "mnemo/Target/CUDA/LoopPoint.h"
#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_MAPPARALLELLOOPSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

gpu::ParallelLoopDimMappingAttr mapTo(MLIRContext *ctx, gpu::Processor p) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
}

struct MapParallelLoopsPass
    : public mnemo::impl::MapParallelLoopsPassBase<MapParallelLoopsPass> {
  using MapParallelLoopsPassBase::MapParallelLoopsPassBase;

  void runOnOperation() override {
    if (failed(mnemo::cuda::checkBlockSize(getOperation(), blockSize)))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    // Copies between buffers are loops too (memref.copy would call a host
    // runtime function); then every linalg op becomes its loop nest.
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies) {
      // Bufferization leaves copies of a buffer onto itself where an op
      // wrote its destination in place: nothing to launch.
      if (c.getSource() == c.getTarget()) {
        rewriter.eraseOp(c);
        continue;
      }
      rewriter.setInsertionPoint(c);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(c, c.getSource(), c.getTarget());
    }
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>())
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      if (!op.hasPureBufferSemantics()) {
        op.emitError("linalg op on tensors left after bufferization");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op))) {
        op.emitError("cannot lower to loops for the GPU");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }
    // Outermost loops only: nested ones run inside a thread.
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (auto p = dyn_cast<scf::ParallelOp>(op)) {
        if (!p->hasAttr(gpu::getMappingAttrName()))
          loops.push_back(p);
        return WalkResult::skip();
      }
      return WalkResult::advance();
    });
    for (scf::ParallelOp loop : loops) {
      if (loop.getNumReductions() != 0) {
        loop.emitError("scf.parallel with reductions has no GPU mapping yet");
        return signalPassFailure();
      }
      // Small static loops get one block of whole warps, not idle threads.
      int64_t threads = blockSize, trips = 1;
      for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                           loop.getUpperBound(), loop.getStep())) {
        std::optional<int64_t> l = getConstantIntValue(lb),
                               u = getConstantIntValue(ub),
                               st = getConstantIntValue(step);
        if (!l || !u || !st || *st <= 0) {
          trips = -1;
          break;
        }
        trips *= std::max<int64_t>(0, (*u - *l + *st - 1) / *st);
      }
      if (trips >= 0)
        threads = std::clamp<int64_t>((trips + 31) / 32 * 32, 32, blockSize);
      // One flat dim, innermost fastest.
      if (loop.getNumLoops() > 1) {
        std::vector<unsigned> all(loop.getNumLoops());
        for (unsigned i = 0; i < all.size(); ++i)
          all[i] = i;
        rewriter.setInsertionPoint(loop);
        auto next = std::next(Block::iterator(loop));
        collapseParallelLoops(rewriter, loop, {all});
        // The collapsed loop replaces the old one where it stood.
        loop = cast<scf::ParallelOp>(*std::prev(next));
      }
      auto [outer, inner] =
          scf::tileParallelLoop(loop, {threads}, /*noMinMaxBounds=*/true);
      if (failed(gpu::setMappingAttr(outer, {mapTo(ctx, gpu::Processor::BlockX)})) ||
          failed(gpu::setMappingAttr(inner, {mapTo(ctx, gpu::Processor::ThreadX)})))
        return signalPassFailure();
    }
  }
};

} // namespace
