//===- RoiAlign.cpp - RoiAlign to scf loops -------------------------------===//
//
// Per region, channel and bin: a grid of sample points (fixed by
// sampling_ratio, or ceil(region size / bins) per axis, a run-time loop
// bound), each bilinear-interpolated as ONNX's reference does (points
// beyond [-1, size] count as 0, coordinates clamped at the last row and
// column), then averaged or, in max mode, the largest weighted corner.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct RoiAlignPattern : GraphPattern<g::RoiAlignOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::RoiAlignOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType outT = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!outT || !xT || !outT.hasStaticShape() || !xT.hasStaticShape() ||
        !isa<FloatType>(xT.getElementType()))
      return cannotLower(rw, op, "roi_align needs static float shapes");
    Location loc = op.getLoc();
    Type elt = xT.getElementType();
    int64_t height = xT.getDimSize(2), width = xT.getDimSize(3);
    int64_t oh = outT.getDimSize(2), ow = outT.getDimSize(3);
    bool halfPixel = op.getCoordinateTransformationMode() == "half_pixel";
    bool isMax = op.getMode() == "max";
    int64_t ratio = op.getSamplingRatio();
    auto f = [&](OpBuilder &b, Location l, double v) {
      return scalarConst(b, l, elt, v);
    };
    Value c0 = indexConst(rw, loc, 0), c1 = indexConst(rw, loc, 1);
    Value init = tensor::EmptyOp::create(rw, loc, outT.getShape(), elt);
    scf::LoopNest rois = scf::buildLoopNest(
        rw, loc, {c0}, {indexConst(rw, loc, outT.getDimSize(0))}, {c1},
        ValueRange{init},
        [&](OpBuilder &b, Location l, ValueRange rIv,
            ValueRange acc) -> scf::ValueVector {
          Value r = rIv[0];
          auto coord = [&](int64_t k) {
            Value v = tensor::ExtractOp::create(
                b, l, adaptor.getRois(), ValueRange{r, indexConst(b, l, k)});
            v = castScalar(b, l, v, origElt(op.getRois()), elt);
            v = arith::MulFOp::create(b, l, v, f(b, l, op.getSpatialScale().convertToDouble()));
            return arith::SubFOp::create(b, l, v, f(b, l, halfPixel ? 0.5 : 0.0))
                .getResult();
          };
          Value x0 = coord(0), y0 = coord(1), x1 = coord(2), y1 = coord(3);
          Value rw_ = arith::SubFOp::create(b, l, x1, x0);
          Value rh = arith::SubFOp::create(b, l, y1, y0);
          if (!halfPixel) {
            rw_ = arith::MaximumFOp::create(b, l, rw_, f(b, l, 1));
            rh = arith::MaximumFOp::create(b, l, rh, f(b, l, 1));
          }
          Value binH = arith::DivFOp::create(b, l, rh, f(b, l, oh));
          Value binW = arith::DivFOp::create(b, l, rw_, f(b, l, ow));
          auto grid = [&](Value bin) -> Value {
            if (ratio > 0)
              return indexConst(b, l, ratio);
            Value g = math::CeilOp::create(b, l, bin);
            return arith::MaxSIOp::create(
                b, l,
                arith::IndexCastOp::create(
                    b, l, b.getIndexType(),
                    arith::FPToSIOp::create(b, l, b.getI64Type(), g)),
                c0);
          };
          Value gh = grid(binH), gw = grid(binW);
          Value count = arith::MaxSIOp::create(
              b, l, arith::MulIOp::create(b, l, gh, gw), c1);
          Value countF = arith::SIToFPOp::create(
              b, l, elt, arith::IndexCastOp::create(b, l, b.getI64Type(), count));
          Value batch = toIndex(
              b, l, tensor::ExtractOp::create(b, l, adaptor.getBatchIndices(),
                                              ValueRange{r}));
          scf::LoopNest bins = scf::buildLoopNest(
              b, l, {c0, c0, c0},
              {indexConst(b, l, xT.getDimSize(1)), indexConst(b, l, oh),
               indexConst(b, l, ow)},
              {c1, c1, c1}, acc,
              [&](OpBuilder &bb, Location bl, ValueRange cIv,
                  ValueRange out) -> scf::ValueVector {
                Value ch = cIv[0];
                auto index = [&](Value i) {
                  return arith::SIToFPOp::create(
                      bb, bl, elt,
                      arith::IndexCastOp::create(bb, bl, bb.getI64Type(), i));
                };
                // Sample s of bin p along an axis: start + p*bin + (s+0.5)*bin/grid.
                auto sampleAt = [&](OpBuilder &sb, Location sl, Value start,
                                    Value p, Value bin, Value s, Value g) {
                  Value gf = arith::SIToFPOp::create(
                      sb, sl, elt, arith::IndexCastOp::create(sb, sl, sb.getI64Type(), g));
                  Value off = arith::MulFOp::create(
                      sb, sl, arith::AddFOp::create(sb, sl, index(s), f(sb, sl, 0.5)),
                      arith::DivFOp::create(sb, sl, bin, gf));
                  return arith::AddFOp::create(
                      sb, sl, arith::AddFOp::create(sb, sl, start,
                                                    arith::MulFOp::create(sb, sl, index(p), bin)),
                      off).getResult();
                };
                Value first = f(bb, bl, isMax ? -INFINITY : 0.0);
                auto ys = scf::ForOp::create(
                    bb, bl, c0, gh, c1, ValueRange{first, arith::ConstantOp::create(bb, bl, bb.getBoolAttr(false))},
                    [&](OpBuilder &yb, Location yl, Value iy, ValueRange ya) {
                      Value y = sampleAt(yb, yl, y0, cIv[1], binH, iy, gh);
                      auto xs = scf::ForOp::create(
                          yb, yl, c0, gw, c1, ya,
                          [&](OpBuilder &xb, Location xl, Value ix, ValueRange xa) {
                            Value x = sampleAt(xb, xl, x0, cIv[2], binW, ix, gw);
                            auto [val, seen] = sample(xb, xl, adaptor.getX(), batch, ch,
                                                      y, x, height, width, elt, isMax,
                                                      xa);
                            scf::YieldOp::create(xb, xl, ValueRange{val, seen});
                          });
                      scf::YieldOp::create(yb, yl, xs.getResults());
                    });
                Value v = ys.getResult(0);
                if (isMax)
                  // No sample at all (an empty grid): 0, as the reference.
                  v = arith::SelectOp::create(bb, bl, ys.getResult(1), v, f(bb, bl, 0));
                else
                  v = arith::DivFOp::create(bb, bl, v, countF);
                return {tensor::InsertOp::create(
                    bb, bl, v, out[0], ValueRange{r, ch, cIv[1], cIv[2]})};
              });
          return {bins.results[0]};
        });
    rw.replaceOp(op, rois.results[0]);
    return success();
  }

  /// One sample's contribution: the bilinear sum (avg) accumulated, or the
  /// largest weighted corner (max) kept; `state` = (value, any seen).
  static std::pair<Value, Value> sample(OpBuilder &b, Location l, Value x,
                                        Value batch, Value ch, Value y,
                                        Value xc, int64_t height, int64_t width,
                                        Type elt, bool isMax,
                                        ValueRange state) {
    auto f = [&](double v) { return scalarConst(b, l, elt, v); };
    auto cmp = [&](arith::CmpFPredicate p, Value a, Value c) {
      return arith::CmpFOp::create(b, l, p, a, c).getResult();
    };
    // Outside [-1, size]: every weight 0.
    Value outside = arith::OrIOp::create(
        b, l,
        arith::OrIOp::create(b, l, cmp(arith::CmpFPredicate::OLT, y, f(-1)),
                             cmp(arith::CmpFPredicate::OGT, y, f(height))),
        arith::OrIOp::create(b, l, cmp(arith::CmpFPredicate::OLT, xc, f(-1)),
                             cmp(arith::CmpFPredicate::OGT, xc, f(width))));
    // One axis: (low, high, weight of high).
    auto axis = [&](Value v, int64_t size) {
      v = arith::MaximumFOp::create(b, l, v, f(0));
      Value low = arith::FPToSIOp::create(b, l, b.getI64Type(), v);
      Value last = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(size - 1));
      Value atEnd = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, low, last);
      low = arith::SelectOp::create(b, l, atEnd, last, low);
      Value high = arith::SelectOp::create(
          b, l, atEnd, last,
          arith::AddIOp::create(b, l, low,
                                arith::ConstantOp::create(b, l, b.getI64IntegerAttr(1))));
      Value lowF = arith::SIToFPOp::create(b, l, elt, low);
      v = arith::SelectOp::create(b, l, atEnd, lowF, v);
      Value frac = arith::SubFOp::create(b, l, v, lowF);
      auto idx = [&](Value i) {
        return arith::IndexCastOp::create(b, l, b.getIndexType(), i).getResult();
      };
      return std::tuple(idx(low), idx(high), frac);
    };
    auto [yl, yh, ly] = axis(y, height);
    auto [xl, xh, lx] = axis(xc, width);
    Value hy = arith::SubFOp::create(b, l, f(1), ly);
    Value hx = arith::SubFOp::create(b, l, f(1), lx);
    auto at = [&](Value i, Value j) {
      return tensor::ExtractOp::create(b, l, x, ValueRange{batch, ch, i, j})
          .getResult();
    };
    auto mul = [&](Value a, Value c) {
      return arith::MulFOp::create(b, l, a, c).getResult();
    };
    Value t1 = mul(mul(hy, hx), at(yl, xl)), t2 = mul(mul(hy, lx), at(yl, xh));
    Value t3 = mul(mul(ly, hx), at(yh, xl)), t4 = mul(mul(ly, lx), at(yh, xh));
    Value seen = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
    if (!isMax) {
      Value sum = arith::AddFOp::create(
          b, l, arith::AddFOp::create(b, l, t1, t2),
          arith::AddFOp::create(b, l, t3, t4));
      sum = arith::SelectOp::create(b, l, outside, f(0), sum);
      return {arith::AddFOp::create(b, l, state[0], sum), seen};
    }
    Value m = arith::MaximumFOp::create(
        b, l, arith::MaximumFOp::create(b, l, t1, t2),
        arith::MaximumFOp::create(b, l, t3, t4));
    // An outside point's weights are 0: its value is 0.
    m = arith::SelectOp::create(b, l, outside, f(0), m);
    Value best = arith::SelectOp::create(
        b, l, state[1], arith::MaximumFOp::create(b, l, state[0], m), m);
    return {best, seen};
  }
};

} // namespace

void mnemo::lowering::populateRoiAlignPatterns(const TypeConverter &tc,
                                               RewritePatternSet &p) {
  p.add<RoiAlignPattern>(tc, p.getContext());
}
