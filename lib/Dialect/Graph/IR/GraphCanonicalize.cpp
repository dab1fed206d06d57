//===- GraphCanonicalize.cpp - graph canonicalization patterns ------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mnemo::graph;

namespace {
/// Re-runs an op's shape function and, when it yields strictly more static
/// result types (after an operand was folded to a constant or refined),
/// updates the results in place. Results returned from a function are left
/// to `graph-infer-shapes`, which also updates the signature.
struct RefineResultTypes : public RewritePattern {
  RefineResultTypes(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa_and_nonnull<GraphDialect>(op->getDialect()))
      return failure();
    SmallVector<Type> inferred;
    if (failed(inferResultTypes(op, inferred)) ||
        inferred.size() != op->getNumResults())
      return failure();
    bool changed = false;
    for (auto it : llvm::zip(op->getResults(), inferred)) {
      Value res = std::get<0>(it);
      Type t = std::get<1>(it);
      if (res.getType() == t || !isMoreStatic(t, res.getType()))
        continue;
      if (llvm::any_of(res.getUsers(), [](Operation *u) {
            return !isa_and_nonnull<GraphDialect>(u->getDialect());
          }))
        continue;
      rewriter.modifyOpInPlace(op, [&] { res.setType(t); });
      changed = true;
    }
    return success(changed);
  }

  /// True when `a` is compatible with `b` and knows strictly more.
  static bool isMoreStatic(Type a, Type b) {
    auto ta = dyn_cast<TensorType>(a), tb = dyn_cast<TensorType>(b);
    if (!ta || !tb || ta.getElementType() != tb.getElementType() ||
        failed(verifyCompatibleShape(ta, tb)))
      return false;
    if (!ta.hasRank())
      return false;
    if (!tb.hasRank())
      return true;
    bool more = false;
    for (auto [da, db] : llvm::zip(ta.getShape(), tb.getShape())) {
      if (ShapedType::isDynamic(da) && !ShapedType::isDynamic(db))
        return false;
      more |= !ShapedType::isDynamic(da) && ShapedType::isDynamic(db);
    }
    return more;
  }
};

/// reshape(reshape(x, s1), s2) -> reshape(x, s2) when s2 is a constant whose
/// entries do not copy dims of the intermediate (no 0 unless allowzero).
struct FoldReshapeChain : public OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getData().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    std::optional<SmallVector<int64_t>> s2 = getConstantInts(op.getShape());
    if (!s2 || (op.getAllowzero() == 0 && llvm::is_contained(*s2, 0)))
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.getDataMutable().assign(inner.getData());
    });
    return success();
  }
};

/// A reshape whose result type is fully static takes that shape as a
/// constant operand, which frees the shape computation for removal.
struct StaticReshapeShape : public OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto rt = dyn_cast<RankedTensorType>(op.getType());
    if (!rt || !rt.hasStaticShape() || getConstantInts(op.getShape()))
      return failure();
    auto shapeType =
        RankedTensorType::get({rt.getRank()}, rewriter.getI64Type());
    Value c = ConstantOp::create(
        rewriter, op.getLoc(),
        DenseElementsAttr::get(shapeType, rt.getShape()));
    rewriter.modifyOpInPlace(op, [&] {
      op.getShapeMutable().assign(c);
      op.setAllowzero(0);
    });
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *ctx) {
  results.add<FoldReshapeChain, StaticReshapeShape>(ctx);
}

void GraphDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  results.add<RefineResultTypes>(getContext());
}

void mnemo::graph::populateRefineTypesPatterns(RewritePatternSet &patterns) {
  patterns.add<RefineResultTypes>(patterns.getContext());
}
