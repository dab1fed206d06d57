//===- Reduction.cpp - Reduce*, ArgMax/ArgMin to linalg -------------------===//

#include "Utils.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

enum class Kind { Sum, Mean, Max, Min, Prod, L1, L2, SumSquare, LogSum, LogSumExp };

template <typename OpTy, Kind kind>
struct ReducePattern : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = this->resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!outType || !inT)
      return rw.notifyMatchFailure(op, "unranked reduction");
    Type elt = outType.getElementType();
    bool isFloat = isa<FloatType>(elt);
    bool isUnsigned = isUnsignedInt(origElt(op.getData()));
    if (!isFloat && (kind == Kind::L2 || kind == Kind::LogSumExp ||
                     kind == Kind::LogSum))
      return rw.notifyMatchFailure(op, "integer norm");
    // Empty axes: all dims, or a no-op when noop_with_empty_axes.
    bool emptyAxes = g::isNone(op.getAxes());
    if (!emptyAxes) {
      auto c = constInts(op.getAxes());
      if (!c)
        return rw.notifyMatchFailure(op, "axes known only at run time");
      emptyAxes = c->empty();
    }
    if (emptyAxes && op.getNoopWithEmptyAxes()) {
      rw.replaceOp(op, adaptor.getData());
      return success();
    }
    auto axes = constantAxes(op.getAxes(), inT.getRank(), /*emptyMeansAll=*/true);
    if (failed(axes))
      return rw.notifyMatchFailure(op, "bad axes");
    Value init;
    switch (kind) {
    case Kind::Max:
      init = lowestValue(rw, loc, elt, isUnsigned);
      break;
    case Kind::Min:
      init = highestValue(rw, loc, elt, isUnsigned);
      break;
    case Kind::Prod:
      init = scalarConst(rw, loc, elt, 1);
      break;
    default:
      init = scalarConst(rw, loc, elt, 0);
    }
    auto add = [&](OpBuilder &b, Location l, Value x, Value y) -> Value {
      return isFloat ? (Value)arith::AddFOp::create(b, l, x, y)
                     : (Value)arith::AddIOp::create(b, l, x, y);
    };
    auto mul = [&](OpBuilder &b, Location l, Value x, Value y) -> Value {
      return isFloat ? (Value)arith::MulFOp::create(b, l, x, y)
                     : (Value)arith::MulIOp::create(b, l, x, y);
    };
    auto combine = [&](OpBuilder &b, Location l, Value acc, Value x) -> Value {
      switch (kind) {
      case Kind::Max:
        return isFloat ? (Value)arith::MaximumFOp::create(b, l, acc, x)
               : isUnsigned ? (Value)arith::MaxUIOp::create(b, l, acc, x)
                            : (Value)arith::MaxSIOp::create(b, l, acc, x);
      case Kind::Min:
        return isFloat ? (Value)arith::MinimumFOp::create(b, l, acc, x)
               : isUnsigned ? (Value)arith::MinUIOp::create(b, l, acc, x)
                            : (Value)arith::MinSIOp::create(b, l, acc, x);
      case Kind::Prod:
        return mul(b, l, acc, x);
      default:
        return add(b, l, acc, x);
      }
    };
    auto pre = [&](OpBuilder &b, Location l, Value x) -> Value {
      switch (kind) {
      case Kind::L1:
        return isFloat ? (Value)math::AbsFOp::create(b, l, x)
               : isUnsigned ? x
                            : (Value)math::AbsIOp::create(b, l, x);
      case Kind::L2:
      case Kind::SumSquare:
        return mul(b, l, x, x);
      case Kind::LogSumExp:
        return math::ExpOp::create(b, l, x);
      default:
        return x;
      }
    };
    Value r = buildReduction(rw, loc, adaptor.getData(), *axes,
                             op.getKeepdims() != 0, outType, init, combine, pre);
    if (kind == Kind::Mean || kind == Kind::L2 || kind == Kind::LogSumExp ||
        kind == Kind::LogSum) {
      Value countE = countOver(rw, loc, adaptor.getData(), *axes, elt);
      r = buildElementwise(
          rw, loc, outType, r,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            if (kind == Kind::L2)
              return math::SqrtOp::create(b, l, a[0]);
            if (kind == Kind::LogSumExp || kind == Kind::LogSum)
              return math::LogOp::create(b, l, a[0]);
            if (isFloat)
              return arith::DivFOp::create(b, l, a[0], countE);
            return isUnsigned
                       ? (Value)arith::DivUIOp::create(b, l, a[0], countE)
                       : (Value)arith::DivSIOp::create(b, l, a[0], countE);
          },
          mixedSizes(rw, loc, r));
    }
    rw.replaceOp(op, r);
    return success();
  }
};

/// ArgMax/ArgMin: a reduction carrying (best value, best index).
template <typename OpTy, bool isMax>
struct ArgPattern : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    RankedTensorType outType = this->resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!outType || !inT)
      return rw.notifyMatchFailure(op, "unranked argmax");
    int64_t rank = inT.getRank();
    int64_t axis = normalizedAxis(op.getAxis(), rank);
    Type elt = inT.getElementType();
    bool isFloat = isa<FloatType>(elt);
    bool isUnsigned = isUnsignedInt(origElt(op.getData()));
    bool last = op.getSelectLastIndex();
    SmallVector<int64_t> shape;
    SmallVector<OpFoldResult> sizes, keptSizes;
    SmallVector<AffineExpr> oe;
    SmallVector<OpFoldResult> inSizes = mixedSizes(rw, loc, adaptor.getData());
    SmallVector<utils::IteratorType> iters;
    for (int64_t d = 0; d < rank; ++d) {
      iters.push_back(d == axis ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
      keptSizes.push_back(d == axis ? rw.getIndexAttr(1) : inSizes[d]);
      if (d == axis)
        continue;
      shape.push_back(inT.getDimSize(d));
      sizes.push_back(inSizes[d]);
      oe.push_back(getAffineDimExpr(d, ctx));
    }
    auto valType = RankedTensorType::get(shape, elt);
    auto idxType = RankedTensorType::get(shape, rw.getI64Type());
    Value vInit = filledTensor(rw, loc, valType, sizes,
                               isMax ? lowestValue(rw, loc, elt, isUnsigned)
                                     : highestValue(rw, loc, elt, isUnsigned));
    Value iInit = filledTensor(rw, loc, idxType, sizes,
                               scalarConst(rw, loc, rw.getI64Type(), 0));
    AffineMap outMap = AffineMap::get(rank, 0, oe, ctx);
    auto generic = linalg::GenericOp::create(
        rw, loc, TypeRange{valType, idxType}, ValueRange{adaptor.getData()},
        ValueRange{vInit, iInit},
        ArrayRef<AffineMap>{rw.getMultiDimIdentityMap(rank), outMap, outMap},
        iters, [&](OpBuilder &b, Location l, ValueRange a) {
          Value idx = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value better;
          if (isFloat) {
            auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                                      : arith::CmpFPredicate::OGT)
                              : (last ? arith::CmpFPredicate::OLE
                                      : arith::CmpFPredicate::OLT);
            better = arith::CmpFOp::create(b, l, pred, a[0], a[1]);
          } else {
            auto pred =
                isMax ? (last ? (isUnsigned ? arith::CmpIPredicate::uge
                                            : arith::CmpIPredicate::sge)
                              : (isUnsigned ? arith::CmpIPredicate::ugt
                                            : arith::CmpIPredicate::sgt))
                      : (last ? (isUnsigned ? arith::CmpIPredicate::ule
                                            : arith::CmpIPredicate::sle)
                              : (isUnsigned ? arith::CmpIPredicate::ult
                                            : arith::CmpIPredicate::slt));
            better = arith::CmpIOp::create(b, l, pred, a[0], a[1]);
          }
          // The first element always wins so an all -inf row gives 0.
          Value first = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::eq, idx,
              arith::ConstantIntOp::create(b, l, b.getI64Type(), 0));
          Value take = arith::OrIOp::create(b, l, better, first);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, take, a[0], a[1]),
                         arith::SelectOp::create(b, l, take, idx, a[2])});
        });
    Value r = generic.getResult(1);
    if (op.getKeepdims())
      r = reshapeTensor(rw, loc, r, outType, keptSizes);
    rw.replaceOp(op, r);
    return success();
  }
};

} // namespace

void mnemo::populateGraphReductionToLinalgPatterns(const TypeConverter &tc,
                                                   RewritePatternSet &p) {
  MLIRContext *ctx = p.getContext();
  p.add<ReducePattern<g::ReduceSumOp, Kind::Sum>,
        ReducePattern<g::ReduceMeanOp, Kind::Mean>,
        ReducePattern<g::ReduceMaxOp, Kind::Max>,
        ReducePattern<g::ReduceMinOp, Kind::Min>,
        ReducePattern<g::ReduceProdOp, Kind::Prod>,
        ReducePattern<g::ReduceL1Op, Kind::L1>,
        ReducePattern<g::ReduceL2Op, Kind::L2>,
        ReducePattern<g::ReduceSumSquareOp, Kind::SumSquare>,
        ReducePattern<g::ReduceLogSumExpOp, Kind::LogSumExp>,
        ReducePattern<g::ReduceLogSumOp, Kind::LogSum>,
        ArgPattern<g::ArgMaxOp, true>, ArgPattern<g::ArgMinOp, false>>(tc, ctx);
}
