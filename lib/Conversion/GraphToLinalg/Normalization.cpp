//===- Normalization.cpp - BatchNorm, LayerNorm, Softmax to linalg --------===//
//
// BatchNormalization folds its four parameter vectors into one scale and
// one shift per channel (tiny generics over [C]) and applies them in one
// broadcasting generic. LayerNormalization and (Log)Softmax are built from
// keepdims reductions followed by broadcasting generics; softmax subtracts
// the row maximum first for stability.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

Value fadd(OpBuilder &b, Location l, Value x, Value y) {
  return arith::AddFOp::create(b, l, x, y);
}
Value fsub(OpBuilder &b, Location l, Value x, Value y) {
  return arith::SubFOp::create(b, l, x, y);
}
Value fmul(OpBuilder &b, Location l, Value x, Value y) {
  return arith::MulFOp::create(b, l, x, y);
}
Value fdiv(OpBuilder &b, Location l, Value x, Value y) {
  return arith::DivFOp::create(b, l, x, y);
}

struct BatchNormPattern : GraphPattern<g::BatchNormalizationOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::BatchNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = resultType(op);
    auto sT = dyn_cast<RankedTensorType>(adaptor.getScale().getType());
    if (!outType || !sT || sT.getRank() != 1 || op->getNumResults() != 1 ||
        !isa<FloatType>(outType.getElementType()))
      return cannotLower(rw, op, "unsupported batch normalization form");
    Type elt = outType.getElementType();
    double eps = op.getEpsilon().convertToDouble();
    // a = scale / sqrt(var + eps); b = B - mean * a.
    SmallVector<OpFoldResult> cSize = mixedSizes(rw, loc, adaptor.getScale());
    auto cType = RankedTensorType::get(sT.getShape(), elt);
    auto cast1 = [&](Value v) {
      return v.getType() == cType
                 ? v
                 : (Value)tensor::CastOp::create(rw, loc, cType, v);
    };
    Value scale = cast1(adaptor.getScale()), bias = cast1(adaptor.getB()),
          mean = cast1(adaptor.getInputMean()),
          var = cast1(adaptor.getInputVar());
    Value a = buildElementwise(
        rw, loc, cType, ValueRange{scale, var},
        [&](OpBuilder &b, Location l, ValueRange x) -> Value {
          Value s = math::SqrtOp::create(
              b, l, fadd(b, l, x[1], scalarConst(b, l, elt, eps)));
          return fdiv(b, l, x[0], s);
        },
        cSize);
    Value sh = buildElementwise(
        rw, loc, cType, ValueRange{bias, mean, a},
        [&](OpBuilder &b, Location l, ValueRange x) -> Value {
          return fsub(b, l, x[0], fmul(b, l, x[1], x[2]));
        },
        cSize);
    // View [C] as [C, 1, ..., 1] so it broadcasts against [N, C, ...].
    int64_t rank = outType.getRank();
    SmallVector<int64_t> bShape(std::max<int64_t>(rank - 1, 1), 1);
    bShape[0] = sT.getDimSize(0);
    auto bType = RankedTensorType::get(bShape, elt);
    SmallVector<OpFoldResult> bSizes(bShape.size(), rw.getIndexAttr(1));
    bSizes[0] = cSize[0];
    Value aB = reshapeTensor(rw, loc, a, bType, bSizes);
    Value shB = reshapeTensor(rw, loc, sh, bType, bSizes);
    Value r = buildElementwise(
        rw, loc, outType, ValueRange{adaptor.getX(), aB, shB},
        [&](OpBuilder &b, Location l, ValueRange x) -> Value {
          return fadd(b, l, fmul(b, l, x[0], x[1]), x[2]);
        },
        mixedSizes(rw, loc, adaptor.getX()));
    rw.replaceOp(op, r);
    return success();
  }
};

/// Sizes of `x` with the dims in `axes` set to 1 (keepdims reductions).
SmallVector<OpFoldResult> keptSizes(OpBuilder &b, Location loc, Value x,
                                    ArrayRef<int64_t> axes) {
  SmallVector<OpFoldResult> s = mixedSizes(b, loc, x);
  for (int64_t a : axes)
    s[a] = b.getIndexAttr(1);
  return s;
}

RankedTensorType keptType(RankedTensorType t, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(t.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return RankedTensorType::get(shape, t.getElementType());
}

struct LayerNormPattern : GraphPattern<g::LayerNormalizationOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::LayerNormalizationOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!outType || !xT || op->getNumResults() != 1 ||
        !isa<FloatType>(outType.getElementType()))
      return cannotLower(rw, op, "unsupported layer normalization form");
    Type elt = outType.getElementType();
    int64_t rank = xT.getRank();
    int64_t axis = normalizedAxis(op.getAxis(), rank);
    SmallVector<int64_t> axes;
    for (int64_t d = axis; d < rank; ++d)
      axes.push_back(d);
    Value x = adaptor.getX();
    auto kT = keptType(xT, axes);
    auto kS = keptSizes(rw, loc, x, axes);
    Value n = countOver(rw, loc, x, axes, elt);
    Value zero = scalarConst(rw, loc, elt, 0);
    auto sum = [](OpBuilder &b, Location l, Value acc, Value v) {
      return fadd(b, l, acc, v);
    };
    Value s = buildReduction(rw, loc, x, axes, true, kT, zero, sum);
    Value mean = buildElementwise(
        rw, loc, kT, s,
        [&](OpBuilder &b, Location l, ValueRange v) { return fdiv(b, l, v[0], n); },
        kS);
    Value centered = buildElementwise(
        rw, loc, xT, ValueRange{x, mean},
        [&](OpBuilder &b, Location l, ValueRange v) { return fsub(b, l, v[0], v[1]); },
        mixedSizes(rw, loc, x));
    Value ss = buildReduction(
        rw, loc, centered, axes, true, kT, zero, sum,
        [](OpBuilder &b, Location l, Value v) { return fmul(b, l, v, v); });
    double eps = op.getEpsilon().convertToDouble();
    Value inv = buildElementwise(
        rw, loc, kT, ss,
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value var = fdiv(b, l, v[0], n);
          return math::RsqrtOp::create(
              b, l, fadd(b, l, var, scalarConst(b, l, elt, eps)));
        },
        kS);
    SmallVector<Value> ins = {centered, inv, adaptor.getScale()};
    bool hasBias = !g::isNone(op.getB());
    if (hasBias)
      ins.push_back(adaptor.getB());
    Value r = buildElementwise(
        rw, loc, outType, ins,
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value y = fmul(b, l, fmul(b, l, v[0], v[1]), v[2]);
          return hasBias ? fadd(b, l, y, v[3]) : y;
        },
        mixedSizes(rw, loc, x));
    rw.replaceOp(op, r);
    return success();
  }
};

template <typename OpTy, bool isLog>
struct SoftmaxPattern : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = this->resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!outType || !xT || !isa<FloatType>(outType.getElementType()))
      return cannotLower(rw, op, "unsupported softmax form");
    Type elt = outType.getElementType();
    int64_t rank = xT.getRank();
    int64_t axis = normalizedAxis(op.getAxis(), rank);
    Value x = adaptor.getInput();
    auto kT = keptType(xT, {axis});
    auto sizes = mixedSizes(rw, loc, x);
    Value mx = buildReduction(
        rw, loc, x, {axis}, true, kT, lowestValue(rw, loc, elt, false),
        [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
          return arith::MaximumFOp::create(b, l, acc, v);
        });
    Value e = buildElementwise(
        rw, loc, xT, ValueRange{x, mx},
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value d = fsub(b, l, v[0], v[1]);
          return isLog ? d : (Value)math::ExpOp::create(b, l, d);
        },
        sizes);
    Value s = buildReduction(
        rw, loc, e, {axis}, true, kT, scalarConst(rw, loc, elt, 0),
        [](OpBuilder &b, Location l, Value acc, Value v) { return fadd(b, l, acc, v); },
        [](OpBuilder &b, Location l, Value v) -> Value {
          return isLog ? (Value)math::ExpOp::create(b, l, v) : v;
        });
    Value r = buildElementwise(
        rw, loc, outType, ValueRange{e, s},
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          if (isLog)
            return fsub(b, l, v[0], math::LogOp::create(b, l, v[1]));
          return fdiv(b, l, v[0], v[1]);
        },
        sizes);
    rw.replaceOp(op, r);
    return success();
  }
};

} // namespace

void mnemo::populateGraphNormalizationToLinalgPatterns(const TypeConverter &tc,
                                                       RewritePatternSet &p) {
  p.add<BatchNormPattern, LayerNormPattern,
        SoftmaxPattern<g::SoftmaxOp, false>,
        SoftmaxPattern<g::LogSoftmaxOp, true>>(tc, p.getContext());
}
