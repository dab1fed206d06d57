//===- FoldQDQ.cpp - graph-fold-qdq pass ----------------------------------===//
//
// QDQ layers (DequantizeLinear -> float op -> QuantizeLinear) as the
// integer ops they stand for, so a quantized model computes in integers.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Support/Remarks.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mnemo::graph {
#define GEN_PASS_DEF_GRAPHFOLDQDQPASS
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace mnemo::graph

using namespace mlir;
namespace g = mnemo::graph;

namespace {

int64_t rankOf(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t ? t.getRank() : -1;
}

/// A DequantizeLinear whose scale is per tensor (a scalar or one value).
bool perTensor(Value scale) {
  auto t = dyn_cast<RankedTensorType>(scale.getType());
  return t && t.hasStaticShape() && t.getNumElements() == 1;
}

/// The zero point of `dq`, or a 0 of x's type where it has none (the
/// QLinear ops take one).
Value zeroPointOf(PatternRewriter &b, g::DequantizeLinearOp dq) {
  if (!g::isNone(dq.getXZeroPoint()))
    return dq.getXZeroPoint();
  Type elt = g::elementTypeOf(dq.getX());
  auto t = RankedTensorType::get({}, elt);
  return g::ConstantOp::create(
      b, dq.getLoc(), DenseElementsAttr::get(t, IntegerAttr::get(elt, 0)));
}

/// A graph op typed by its shape function, or null.
template <typename OpTy>
Value build(PatternRewriter &b, Location loc, ValueRange operands,
            ArrayRef<NamedAttribute> attrs) {
  Operation *op =
      g::createInferred(b, loc, OpTy::getOperationName(), operands, attrs);
  return op ? op->getResult(0) : Value();
}

/// The conv's float bias as values per output channel: a float constant,
/// or a DequantizeLinear of constants; nullopt otherwise.
std::optional<SmallVector<double>> biasValues(Value bias) {
  if (auto f = g::getConstantFloats(bias))
    return f;
  auto dq = bias.getDefiningOp<g::DequantizeLinearOp>();
  if (!dq)
    return std::nullopt;
  auto q = g::getConstantInts(dq.getX());
  auto s = g::getConstantFloats(dq.getXScale());
  std::optional<SmallVector<int64_t>> zp =
      g::isNone(dq.getXZeroPoint()) ? SmallVector<int64_t>{0}
                                    : g::getConstantInts(dq.getXZeroPoint());
  if (!q || !s || !zp || s->empty() || zp->empty())
    return std::nullopt;
  SmallVector<double> out;
  for (size_t i = 0; i < q->size(); ++i) {
    double scale = s->size() == 1 ? (*s)[0] : (*s)[i];
    int64_t z = zp->size() == 1 ? (*zp)[0] : (*zp)[i];
    out.push_back(((*q)[i] - z) * scale);
  }
  return out;
}

/// Q(Conv(DQ(x), DQ(w), bias)) -> QLinearConv.
struct FoldConv : OpRewritePattern<g::QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    auto conv = q.getX().getDefiningOp<g::ConvOp>();
    if (!conv || !conv->hasOneUse())
      return failure();
    auto dx = conv.getX().getDefiningOp<g::DequantizeLinearOp>();
    auto dw = conv.getW().getDefiningOp<g::DequantizeLinearOp>();
    if (!dx || !dw || !perTensor(dx.getXScale()) || !perTensor(q.getYScale()) ||
        g::isNone(q.getYZeroPoint()))
      return b.notifyMatchFailure(q, "not a per-tensor QDQ convolution");
    // Weights per tensor or per output channel (axis 0).
    if (!perTensor(dw.getXScale()) && dw.getAxis() != 0)
      return b.notifyMatchFailure(q, "weights quantized along another axis");
    Value bias = conv.getB();
    if (!g::isNone(bias)) {
      auto xs = g::getConstantFloats(dx.getXScale());
      auto ws = g::getConstantFloats(dw.getXScale());
      auto bf = biasValues(bias);
      if (!xs || !ws || !bf)
        return b.notifyMatchFailure(q, "the bias or scales are not constants");
      SmallVector<int32_t> bi;
      for (size_t m = 0; m < bf->size(); ++m) {
        double s = (*xs)[0] * (ws->size() == 1 ? (*ws)[0] : (*ws)[m]);
        if (!(s > 0))
          return b.notifyMatchFailure(q, "a scale is not positive");
        double v = std::nearbyint((*bf)[m] / s);
        if (!(std::fabs(v) < 2147483647.0))
          return b.notifyMatchFailure(q, "the bias overflows int32");
        bi.push_back((int32_t)v);
      }
      auto t = RankedTensorType::get({(int64_t)bi.size()}, b.getI32Type());
      bias = g::ConstantOp::create(
          b, conv.getLoc(), DenseElementsAttr::get(t, ArrayRef<int32_t>(bi)));
    }
    // The fused op sits at the conv (its name in diagnostics and reports).
    Value fused =
        build<g::QLinearConvOp>(b, conv.getLoc(),
                                {dx.getX(), dx.getXScale(), zeroPointOf(b, dx),
                                 dw.getX(), dw.getXScale(), zeroPointOf(b, dw),
                                 q.getYScale(), q.getYZeroPoint(), bias},
                                g::convWindowAttrs(conv));
    if (!fused || fused.getType() != q.getType())
      return b.notifyMatchFailure(q,
                                  "the fused op does not type as Q's result");
    b.replaceOp(q, fused);
    return success();
  }
};

/// Q(MatMul(DQ(a), DQ(b))) -> QLinearMatMul (b per tensor or per column).
struct FoldMatMul : OpRewritePattern<g::QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    auto mm = q.getX().getDefiningOp<g::MatMulOp>();
    if (!mm || !mm->hasOneUse())
      return failure();
    auto da = mm.getA().getDefiningOp<g::DequantizeLinearOp>();
    auto db = mm.getB().getDefiningOp<g::DequantizeLinearOp>();
    if (!da || !db || !perTensor(da.getXScale()) || !perTensor(q.getYScale()) ||
        g::isNone(q.getYZeroPoint()) || rankOf(db.getX()) < 2)
      return b.notifyMatchFailure(q, "not a per-tensor QDQ matmul");
    // The attribute holds a signed axis (-1: the last).
    int64_t rb = rankOf(db.getX()), axis = (int64_t)db.getAxis();
    if (!perTensor(db.getXScale()) && axis != rb - 1 && axis != -1)
      return b.notifyMatchFailure(q, "b quantized along another axis");
    Value fused = build<g::QLinearMatMulOp>(
        b, mm.getLoc(),
        {da.getX(), da.getXScale(), zeroPointOf(b, da), db.getX(),
         db.getXScale(), zeroPointOf(b, db), q.getYScale(), q.getYZeroPoint()},
        {});
    if (!fused || fused.getType() != q.getType())
      return b.notifyMatchFailure(q,
                                  "the fused op does not type as Q's result");
    b.replaceOp(q, fused);
    return success();
  }
};

/// Two quantization parameters that are the same value or equal constants.
bool sameParam(Value a, Value b) {
  if (a == b)
    return true;
  if (g::isNone(a) || g::isNone(b))
    return g::isNone(a) && g::isNone(b);
  if (auto fa = g::getConstantFloats(a))
    return fa == g::getConstantFloats(b);
  auto ia = g::getConstantInts(a);
  return ia && ia == g::getConstantInts(b) &&
         g::elementTypeOf(a) == g::elementTypeOf(b);
}

/// Q(MaxPool(DQ(x))) with the same scale and zero point -> MaxPool(x):
/// dequantization is monotonic (a positive scale), so the maximum of the
/// 8-bit values is the quantized maximum, exactly.
struct FoldMaxPool : OpRewritePattern<g::QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    auto pool = q.getX().getDefiningOp<g::MaxPoolOp>();
    if (!pool || !pool->hasOneUse() || pool->getNumResults() != 1)
      return failure();
    auto dq = pool.getX().getDefiningOp<g::DequantizeLinearOp>();
    if (!dq || !perTensor(dq.getXScale()) ||
        !sameParam(dq.getXScale(), q.getYScale()) ||
        !sameParam(dq.getXZeroPoint(), q.getYZeroPoint()) ||
        g::elementTypeOf(dq.getX()) != g::elementTypeOf(q))
      return b.notifyMatchFailure(q,
                                  "not the same quantization around MaxPool");
    auto s = g::getConstantFloats(dq.getXScale());
    if (!s || s->empty() || !((*s)[0] > 0))
      return b.notifyMatchFailure(q, "the scale is not a positive constant");
    Value pooled =
        build<g::MaxPoolOp>(b, pool.getLoc(), {dq.getX()}, pool->getAttrs());
    if (!pooled || pooled.getType() != q.getType())
      return b.notifyMatchFailure(q, "the pool does not type as Q's result");
    b.replaceOp(q, pooled);
    return success();
  }
};

struct GraphFoldQDQPass
    : public mnemo::graph::impl::GraphFoldQDQPassBase<GraphFoldQDQPass> {
  void runOnOperation() override {
    auto count = [&] {
      int64_t layers = 0, left = 0;
      getOperation().walk([&](Operation *op) {
        layers += isa<g::QLinearConvOp, g::QLinearMatMulOp>(op) ||
                  (isa<g::MaxPoolOp>(op) &&
                   !isa<FloatType>(g::elementTypeOf(op->getResult(0))));
        left += isa<g::ConvOp, g::MatMulOp, g::GemmOp>(op) &&
                llvm::any_of(op->getOperands(), [](Value v) {
                  return v.getDefiningOp<g::DequantizeLinearOp>();
                });
      });
      return std::make_pair(layers, left);
    };
    int64_t before = count().first;
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldConv, FoldMatMul, FoldMaxPool>(&getContext());
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    auto [after, left] = count();
    if (after > before || left > 0)
      mnemo::ReportLine(getOperation().getLoc())
          << "qdq: " << after - before << " layers folded into integer ops, "
          << left << " left in float (dequantized inputs)";
  }
};

} // namespace
