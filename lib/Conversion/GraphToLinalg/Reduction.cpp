//===- Reduction.cpp - Reduce*, ArgMax/ArgMin to linalg -------------------===//

#include "Utils.h"

#include "mlir/Support/DebugStringHelper.h"

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
      return cannotLower(rw, op, "unranked reduction");
    Type elt = outType.getElementType();
    bool isFloat = isa<FloatType>(elt);
    bool isUnsigned = isUnsignedInt(origElt(op.getData()));
    if (!isFloat && (kind == Kind::L2 || kind == Kind::LogSumExp ||
                     kind == Kind::LogSum))
      return cannotLower(rw, op,
                         "L2, LogSum and LogSumExp reductions need float "
                         "elements, got " + debugString(origElt(op.getData())));
    // Empty axes: all dims, or a no-op when noop_with_empty_axes.
    bool emptyAxes = g::isNone(op.getAxes());
    if (!emptyAxes) {
      auto c = constInts(op.getAxes());
      if (!c)
        return cannotLower(rw, op, "axes known only at run time");
      emptyAxes = c->empty();
    }
    if (emptyAxes && op.getNoopWithEmptyAxes()) {
      rw.replaceOp(op, adaptor.getData());
      return success();
    }
    auto axes = constantAxes(op.getAxes(), inT.getRank(), /*emptyMeansAll=*/true);
    if (failed(axes))
      return cannotLower(rw, op, "bad axes");
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

/// `better(x, cur)` of an arg reduction: strict (or, selecting the last
/// index, non-strict) greater for ArgMax, less for ArgMin.
template <bool isMax>
Value argBetter(OpBuilder &b, Location l, Value x, Value cur, bool isFloat,
                bool isUnsigned, bool last) {
  if (isFloat) {
    auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                              : arith::CmpFPredicate::OGT)
                      : (last ? arith::CmpFPredicate::OLE
                              : arith::CmpFPredicate::OLT);
    return arith::CmpFOp::create(b, l, pred, x, cur);
  }
  auto pred = isMax ? (last ? (isUnsigned ? arith::CmpIPredicate::uge
                                          : arith::CmpIPredicate::sge)
                            : (isUnsigned ? arith::CmpIPredicate::ugt
                                          : arith::CmpIPredicate::sgt))
                    : (last ? (isUnsigned ? arith::CmpIPredicate::ule
                                          : arith::CmpIPredicate::sle)
                            : (isUnsigned ? arith::CmpIPredicate::ult
                                          : arith::CmpIPredicate::slt));
  return arith::CmpIOp::create(b, l, pred, x, cur);
}

/// An arg reduction along the innermost axis, vectorizable: the row is
/// viewed as [C / L, L] and each of L lanes keeps its own best (the lane
/// loop is parallel and innermost, so it becomes vector compares and
/// selects instead of one scalar chain per row), then the L lanes are
/// merged, ties going to the first (or, selecting the last, the last)
/// index. Index 0 always starts lane 0, as in the scalar form, so an all
/// -inf row (or a NaN at index 0) gives 0; lanes that never took a value
/// carry an index that loses every tie. Returns null when the axis is not
/// innermost or its static extent is not a multiple of L (then the scalar
/// reduction stays).
template <bool isMax>
Value laneArgReduce(OpBuilder &b, Location loc, Value data,
                        RankedTensorType inT, int64_t axis,
                        ArrayRef<OpFoldResult> outSizes, Type elt,
                        bool isUnsigned, bool last) {
  constexpr int64_t L = 16;
  int64_t rank = inT.getRank();
  int64_t c = inT.getDimSize(axis);
  if (axis != rank - 1 || ShapedType::isDynamic(c) || c % L != 0 || c < 4 * L)
    return nullptr;
  MLIRContext *ctx = b.getContext();
  bool isFloat = isa<FloatType>(elt);
  SmallVector<int64_t> exShape(inT.getShape());
  exShape.back() = c / L;
  exShape.push_back(L);
  SmallVector<ReassociationIndices> re;
  for (int64_t d = 0; d < rank - 1; ++d)
    re.push_back({d});
  re.push_back({rank - 1, rank});
  Value ex = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(exShape, elt), data, re);
  SmallVector<int64_t> laneShape(inT.getShape().drop_back());
  laneShape.push_back(L);
  SmallVector<OpFoldResult> laneSizes(outSizes);
  laneSizes.push_back(b.getIndexAttr(L));
  Type i64 = b.getI64Type();
  Value lowest = isMax ? lowestValue(b, loc, elt, isUnsigned)
                       : highestValue(b, loc, elt, isUnsigned);
  // An index past the row (or before it) loses every tie.
  int64_t none = last ? -1 : c;
  Value vInit = filledTensor(b, loc, RankedTensorType::get(laneShape, elt),
                             laneSizes, lowest);
  Value iInit = filledTensor(b, loc, RankedTensorType::get(laneShape, i64),
                             laneSizes, scalarConst(b, loc, i64, none));
  // Lanes: dims (outer..., j, l).
  SmallVector<AffineExpr> laneOut;
  for (int64_t d = 0; d < rank - 1; ++d)
    laneOut.push_back(getAffineDimExpr(d, ctx));
  laneOut.push_back(getAffineDimExpr(rank, ctx));
  AffineMap laneMap = AffineMap::get(rank + 1, 0, laneOut, ctx);
  SmallVector<utils::IteratorType> iters(rank + 1,
                                         utils::IteratorType::parallel);
  iters[rank - 1] = utils::IteratorType::reduction;
  auto lanes = linalg::GenericOp::create(
      b, loc, TypeRange{vInit.getType(), iInit.getType()}, ValueRange{ex},
      ValueRange{vInit, iInit},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank + 1), laneMap,
                          laneMap},
      iters, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value j = linalg::IndexOp::create(nb, l, rank - 1);
        Value lane = linalg::IndexOp::create(nb, l, rank);
        Value flat = arith::AddIOp::create(
            nb, l, arith::MulIOp::create(nb, l, j,
                                         arith::ConstantIndexOp::create(nb, l, L)),
            lane);
        Value idx = arith::IndexCastOp::create(nb, l, i64, flat);
        Value zero = arith::ConstantIntOp::create(nb, l, i64, 0);
        Value take = arith::OrIOp::create(
            nb, l,
            argBetter<isMax>(nb, l, a[0], a[1], isFloat, isUnsigned, last),
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, idx, zero));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, take, a[0], a[1]),
                       arith::SelectOp::create(nb, l, take, idx, a[2])});
      });
  // Merge the lanes: dims (outer..., l), l reduced.
  RankedTensorType valT = RankedTensorType::get(inT.getShape().drop_back(), elt);
  RankedTensorType idxT = RankedTensorType::get(inT.getShape().drop_back(), i64);
  Value vOut = filledTensor(b, loc, valT, outSizes, lowest);
  Value iOut = filledTensor(b, loc, idxT, outSizes,
                            scalarConst(b, loc, i64, none));
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank - 1; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  AffineMap outMap = AffineMap::get(rank, 0, outExprs, ctx);
  SmallVector<utils::IteratorType> mIters(rank, utils::IteratorType::parallel);
  mIters[rank - 1] = utils::IteratorType::reduction;
  auto merged = linalg::GenericOp::create(
      b, loc, TypeRange{valT, idxT}, lanes.getResults(), ValueRange{vOut, iOut},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank),
                          b.getMultiDimIdentityMap(rank), outMap, outMap},
      mIters, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value lane = linalg::IndexOp::create(nb, l, rank - 1);
        Value first = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::eq, lane,
            arith::ConstantIndexOp::create(nb, l, 0));
        Value strict =
            argBetter<isMax>(nb, l, a[0], a[2], isFloat, isUnsigned, false);
        Value equal =
            isFloat ? (Value)arith::CmpFOp::create(
                          nb, l, arith::CmpFPredicate::OEQ, a[0], a[2])
                    : (Value)arith::CmpIOp::create(
                          nb, l, arith::CmpIPredicate::eq, a[0], a[2]);
        Value order = arith::CmpIOp::create(
            nb, l, last ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt,
            a[1], a[3]);
        Value take = arith::OrIOp::create(
            nb, l, first,
            arith::OrIOp::create(nb, l, strict,
                                 arith::AndIOp::create(nb, l, equal, order)));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, take, a[0], a[2]),
                       arith::SelectOp::create(nb, l, take, a[1], a[3])});
      });
  return merged.getResult(1);
}

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
      return cannotLower(rw, op, "unranked argmax");
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
    // Lane-wise where the row allows it, else one scalar (value, index)
    // chain per row.
    Value r = laneArgReduce<isMax>(rw, loc, adaptor.getData(), inT, axis,
                                   sizes, elt, isUnsigned, last);
    if (!r) {
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
            Value better = argBetter<isMax>(b, l, a[0], a[1], isFloat,
                                            isUnsigned, last);
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
      r = generic.getResult(1);
    }
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
