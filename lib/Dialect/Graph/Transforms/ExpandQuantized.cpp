//===- ExpandQuantized.cpp - graph-expand-quantized pass ------------------===//
//
// The ONNX quantization ops as the primitive graph ops of their
// definitions, except the integer products that lower straight from 8-bit
// tensors (ConvInteger, and MatMulInteger against a 2-D B). Integer arithmetic stays integer (i32 accumulation); the
// float steps are those of the ONNX reference: x / scale, and the combined
// requantization scale (a_scale * b_scale / y_scale) times the i32 result,
// rounded half to even, offset by the zero point and saturated.
//
//===----------------------------------------------------------------------===//

#include "Expander.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Support/ConstantData.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mnemo::graph {
#define GEN_PASS_DEF_GRAPHEXPANDQUANTIZEDPASS
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace mnemo::graph

using namespace mlir;
namespace g = mnemo::graph;
using mnemo::graph::Expander;

namespace {

Type outputElt(Operation *op) {
  return cast<ShapedType>(op->getResult(0).getType()).getElementType();
}

struct QuantizeLinear : OpRewritePattern<g::QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    Expander e{b, q.getLoc()};
    int64_t rank = e.rankOf(q.getX());
    if (rank < 0)
      return b.notifyMatchFailure(q, "unranked input");
    Type f = b.getF32Type();
    Value x = e.cast(q.getX(), f);
    Value scale = e.cast(e.alongAxis(q.getYScale(), rank, q.getAxis()), f);
    Value zp = e.alongAxis(q.getYZeroPoint(), rank, q.getAxis());
    return e.replace(
        q, e.requantize(e.op<g::DivOp>({x, scale}), zp, outputElt(q)));
  }
};

/// DequantizeLinear of constants (the weights of a layer left in float)
/// as a float constant: computed at run time it would be a tensor of the
/// activation arena, the size of the float weights, live from the start.
/// Same arithmetic as the expansion: (x - zp) in i32, to float, times the
/// scale.
LogicalResult foldConstantDequantize(g::DequantizeLinearOp d,
                                     PatternRewriter &b) {
  auto xt = dyn_cast<RankedTensorType>(d.getX().getType());
  auto yt = dyn_cast<RankedTensorType>(d.getType());
  if (!xt || !yt || !xt.hasStaticShape() || !yt.getElementType().isF32() ||
      !d.getX().getDefiningOp<g::ConstantOp>())
    return failure();
  std::optional<SmallVector<double>> values = g::dequantizedConstant(d);
  if (!values)
    return failure();
  SmallVector<float> out(values->begin(), values->end());
  std::string name = "dequantized";
  if (auto named = dyn_cast<NameLoc>(d.getLoc()))
    name = named.getName().str() + "_dequantized";
  b.replaceOpWithNewOp<g::ConstantOp>(d, mnemo::f32Elements(yt, out, name));
  return success();
}

struct DequantizeLinear : OpRewritePattern<g::DequantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::DequantizeLinearOp d,
                                PatternRewriter &b) const override {
    if (succeeded(foldConstantDequantize(d, b)))
      return success();
    Expander e{b, d.getLoc()};
    int64_t rank = e.rankOf(d.getX());
    if (rank < 0)
      return b.notifyMatchFailure(d, "unranked input");
    Value zp = e.alongAxis(d.getXZeroPoint(), rank, d.getAxis());
    Type f = outputElt(d);
    Value v = e.cast(e.centered(d.getX(), zp), f);
    Value scale = e.alongAxis(d.getXScale(), rank, d.getAxis());
    return e.replace(d, e.op<g::MulOp>({v, scale}));
  }
};

struct DynamicQuantizeLinear : OpRewritePattern<g::DynamicQuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::DynamicQuantizeLinearOp d,
                                PatternRewriter &b) const override {
    Expander e{b, d.getLoc()};
    Type f = b.getF32Type(), u8 = outputElt(d);
    Value x = d.getX(), zero = e.constant(f, 0);
    auto keep0 = b.getNamedAttr("keepdims", b.getI64IntegerAttr(0));
    // The range always includes 0 (ONNX: min(0, min(x)), max(0, max(x))).
    Value lo =
        e.op<g::MinOp>({e.op<g::ReduceMinOp>({x, e.none()}, keep0), zero});
    Value hi =
        e.op<g::MaxOp>({e.op<g::ReduceMaxOp>({x, e.none()}, keep0), zero});
    Value scale =
        e.op<g::DivOp>({e.op<g::SubOp>({hi, lo}), e.constant(f, 255)});
    // zero point = saturate(round(0 - lo / scale)).
    Value zp = e.requantize(e.op<g::SubOp>({zero, e.op<g::DivOp>({lo, scale})}),
                            e.none(), u8);
    Value y = e.requantize(e.op<g::DivOp>({x, scale}), zp, u8);
    return e.replace(d, {y, scale, zp});
  }
};

/// (A - a_zp) x (B - b_zp) in i32; a per-row a_zp [M] runs along A's rows.
Value integerMatMul(Expander &e, Value a, Value b, Value azp, Value bzp) {
  int64_t ra = e.rankOf(a);
  return e.op<g::MatMulOp>(
      {e.centered(a, e.alongAxis(azp, ra, ra - 2)), e.centered(b, bzp)});
}

/// ConvInteger of x and w with `conv`'s attributes (lowered directly from
/// the 8-bit tensors), plus an i32 `bias` per output channel.
Value integerConv(Expander &e, Operation *conv, Value x, Value w, Value xzp,
                  Value wzp, Value bias) {
  Value acc =
      e.op<g::ConvIntegerOp>({x, w, xzp, wzp}, g::convWindowAttrs(conv));
  if (g::isNone(bias))
    return acc;
  return e.op<g::AddOp>({acc, e.alongAxis(bias, e.rankOf(acc), 1)});
}

/// The i32 product (A - a_zp) x (B - b_zp): a MatMulInteger read from the
/// 8-bit tensors where that form lowers directly, else widened operands.
Value integerProduct(Expander &e, Value a, Value b, Value azp, Value bzp) {
  if (g::isDirectMatMulInteger(a, b, azp, bzp))
    return e.op<g::MatMulIntegerOp>({a, b, azp, bzp});
  return integerMatMul(e, a, b, azp, bzp);
}

/// Only the forms that do not lower directly are expanded.
struct MatMulInteger : OpRewritePattern<g::MatMulIntegerOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::MatMulIntegerOp m,
                                PatternRewriter &b) const override {
    if (g::isDirectMatMulInteger(m.getA(), m.getB(), m.getAZeroPoint(),
                                 m.getBZeroPoint()))
      return b.notifyMatchFailure(m, "lowers directly");
    Expander e{b, m.getLoc()};
    return e.replace(m, integerMatMul(e, m.getA(), m.getB(), m.getAZeroPoint(),
                                      m.getBZeroPoint()));
  }
};

/// i32 `acc` * (s1 * s2 / y_scale) requantized to y's type; `s2` may be
/// per output channel (shaped to broadcast against acc).
Value requantizeProduct(Expander &e, Value acc, Value s1, Value s2,
                        Value yScale, Value yZp, Type outElt) {
  Type f = e.b.getF32Type();
  Value mult = e.op<g::DivOp>(
      {e.op<g::MulOp>({e.cast(s1, f), e.cast(s2, f)}), e.cast(yScale, f)});
  return e.requantize(e.op<g::MulOp>({e.cast(acc, f), mult}), yZp, outElt);
}

struct QLinearMatMul : OpRewritePattern<g::QLinearMatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::QLinearMatMulOp m,
                                PatternRewriter &b) const override {
    Expander e{b, m.getLoc()};
    Value acc = integerProduct(e, m.getA(), m.getB(), m.getAZeroPoint(),
                               m.getBZeroPoint());
    if (!g::isNone(m.getBias()))
      acc = e.op<g::AddOp>({acc, m.getBias()});
    // a's scale may be per row, b's per column (the last dim).
    int64_t ra = e.rankOf(m.getA());
    Value as = e.alongAxis(m.getAScale(), ra, ra - 2);
    return e.replace(m,
                     requantizeProduct(e, acc, as, m.getBScale(), m.getYScale(),
                                       m.getYZeroPoint(), outputElt(m)));
  }
};

struct QLinearConv : OpRewritePattern<g::QLinearConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(g::QLinearConvOp c,
                                PatternRewriter &b) const override {
    Expander e{b, c.getLoc()};
    Value acc = integerConv(e, c, c.getX(), c.getW(), c.getXZeroPoint(),
                            c.getWZeroPoint(), c.getB());
    Value ws = e.alongAxis(c.getWScale(), e.rankOf(c.getX()), 1);
    return e.replace(c,
                     requantizeProduct(e, acc, c.getXScale(), ws, c.getYScale(),
                                       c.getYZeroPoint(), outputElt(c)));
  }
};

struct GraphExpandQuantizedPass
    : public mnemo::graph::impl::GraphExpandQuantizedPassBase<
          GraphExpandQuantizedPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
                 MatMulInteger, QLinearMatMul, QLinearConv>(&getContext());
    // Only the quantization ops are rewritten (no folding here).
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    // A quantization op left (an unranked operand) cannot lower.
    getOperation().walk([&](Operation *op) {
      auto mm = dyn_cast<g::MatMulIntegerOp>(op);
      if (isa<g::QuantizeLinearOp, g::DequantizeLinearOp,
              g::DynamicQuantizeLinearOp, g::QLinearMatMulOp,
              g::QLinearConvOp>(op) ||
          (mm && !g::isDirectMatMulInteger(mm.getA(), mm.getB(),
                                           mm.getAZeroPoint(),
                                           mm.getBZeroPoint()))) {
        op->emitError("cannot expand this quantization op: its operands' "
                      "ranks are unknown");
        signalPassFailure();
      }
    });
  }
};

} // namespace
