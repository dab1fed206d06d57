//===- ReshapesAsCasts.cpp - dynamic expand_shapes as reinterpret_casts ---===//

#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mnemo {
#define GEN_PASS_DEF_RESHAPESASCASTSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

struct ExpandAsCast : public OpRewritePattern<memref::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::ExpandShapeOp op,
                                PatternRewriter &rewriter) const override {
    MemRefType res = op.getResultType();
    // Only the case expand-strided-metadata crashes on: a group with more
    // than one dynamic size.
    SmallVector<ReassociationIndices> groups = op.getReassociationIndices();
    bool crashes = llvm::any_of(groups, [&](const ReassociationIndices &g) {
      return llvm::count_if(g, [&](int64_t d) { return res.isDynamicDim(d); }) >
             1;
    });
    if (!crashes)
      return rewriter.notifyMatchFailure(op, "expand-strided-metadata copes");
    Location loc = op.getLoc();
    auto meta = memref::ExtractStridedMetadataOp::create(rewriter, loc,
                                                         op.getSrc());
    SmallVector<OpFoldResult> srcStrides = meta.getConstifiedMixedStrides();
    SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
    SmallVector<OpFoldResult> strides(sizes.size());
    // Within a group, the source dim's stride times the sizes after each
    // dim; static while every factor is (the result type says the same).
    auto mul = [&](OpFoldResult a, OpFoldResult b) -> OpFoldResult {
      std::optional<int64_t> x = getConstantIntValue(a),
                             y = getConstantIntValue(b);
      if (x && y)
        return rewriter.getIndexAttr(*x * *y);
      return arith::MulIOp::create(rewriter, loc,
                                   getValueOrCreateConstantIndexOp(rewriter, loc, a),
                                   getValueOrCreateConstantIndexOp(rewriter, loc, b))
          .getResult();
    };
    for (auto [i, group] : llvm::enumerate(groups)) {
      OpFoldResult stride = srcStrides[i];
      for (int64_t d : llvm::reverse(group)) {
        strides[d] = stride;
        stride = mul(stride, sizes[d]);
      }
    }
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, res, op.getSrc(), meta.getConstifiedMixedOffset(), sizes, strides);
    return success();
  }
};

struct ReshapesAsCastsPass
    : public mnemo::impl::ReshapesAsCastsPassBase<ReshapesAsCastsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandAsCast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
