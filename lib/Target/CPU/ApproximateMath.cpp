//===- ApproximateMath.cpp - vectorizable f32 transcendentals -------------===//
//
// libm calls for exp, tanh, pow, ... are scalar: LLVM's loop vectorizer
// cannot widen a loop around them without a vector math library, so a
// softmax or a GELU runs one call per element. Upstream's polynomial
// approximations write the f32 functions as arith ops instead, and pow by
// 2 or 3 becomes products.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringSwitch.h"

namespace mnemo {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// powf(x, 2) and powf(x, 3) as products: the same result for every x,
/// infinities and NaN included (a cube rounds twice: within an ulp).
/// Upstream's algebraic simplification also turns powf(x, 0.5) into a
/// square root, which is NaN for -inf where pow gives +inf: not used.
struct PowBySmallInteger : OpRewritePattern<math::PowFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::PowFOp op,
                                PatternRewriter &rewriter) const override {
    FloatAttr e;
    Attribute attr;
    if (!matchPattern(op.getRhs(), m_Constant(&attr)))
      return failure();
    if (auto splat = dyn_cast<SplatElementsAttr>(attr))
      e = dyn_cast<FloatAttr>(splat.getSplatValue<Attribute>());
    else
      e = dyn_cast<FloatAttr>(attr);
    if (!e || (e.getValueAsDouble() != 2.0 && e.getValueAsDouble() != 3.0))
      return failure();
    Value x = op.getLhs();
    Value y = arith::MulFOp::create(rewriter, op.getLoc(), x, x);
    if (e.getValueAsDouble() == 3.0)
      y = arith::MulFOp::create(rewriter, op.getLoc(), y, x);
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct ApproximateMathPass
    : public mnemo::impl::ApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PowBySmallInteger>(&getContext());
    // The functions whose approximations stay within a few ulp over the
    // whole f32 range and keep infinities and NaN (test/Driver/math.test).
    // Not log, log1p, log2: they flush denormal inputs (log(1e-40) gives
    // -87.3 instead of -92.1).
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return llvm::StringSwitch<bool>(name)
          .Cases({"math.exp", "math.expm1", "math.tanh", "math.erf"}, true)
          .Default(false);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
