//===- Shape.cpp - constants, shape queries and reshapes to tensor ops ----===//
//
// Constants become arith.constant (weights stay dense_resource blobs, so
// bufferization turns them into read-only globals). Reshape-like ops become
// collapse_shape/expand_shape views whose dynamic sizes are computed with
// index arithmetic from the shape operand (0 copies a dim, -1 infers it),
// which canonicalization folds to constants whenever the shape is static.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace mnemo::lowering {

Value extractScalar(OpBuilder &b, Location loc, Value t,
                    ArrayRef<int64_t> idx) {
  SmallVector<Value> iv;
  for (int64_t i : idx)
    iv.push_back(arith::ConstantIndexOp::create(b, loc, i));
  return tensor::ExtractOp::create(b, loc, t, iv);
}

Value firstElement(OpBuilder &b, Location loc, Value t) {
  int64_t r = cast<RankedTensorType>(t.getType()).getRank();
  return extractScalar(b, loc, t, SmallVector<int64_t>(r, 0));
}

SmallVector<Value> indexValues(OpBuilder &b, Location loc, Value orig,
                               Value conv, int64_t n) {
  SmallVector<Value> out;
  if (auto c = constInts(orig)) {
    for (int64_t v : *c)
      out.push_back(arith::ConstantIndexOp::create(b, loc, v));
    return out;
  }
  auto t = cast<RankedTensorType>(conv.getType());
  for (int64_t i = 0; i < n; ++i) {
    Value v = t.getRank() == 0 ? extractScalar(b, loc, conv, {})
                               : extractScalar(b, loc, conv, {i});
    if (!v.getType().isInteger(64))
      v = castScalar(b, loc, v, origElt(orig), b.getI64Type());
    out.push_back(toIndex(b, loc, v));
  }
  return out;
}

} // namespace mnemo::lowering

namespace {

struct ConstantPattern : GraphPattern<g::ConstantOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t)
      return cannotLower(rw, op, "unranked constant");
    ElementsAttr value = op.getValue();
    if (value.getType() != t) {
      if (auto dense = dyn_cast<DenseElementsAttr>(value))
        value = dense.bitcast(t.getElementType());
      else if (auto res = dyn_cast<DenseResourceElementsAttr>(value))
        value = DenseResourceElementsAttr::get(t, res.getRawHandle());
      else
        return cannotLower(rw, op, "unsupported constant attribute");
    }
    rw.replaceOpWithNewOp<arith::ConstantOp>(op, t, cast<TypedAttr>(value));
    return success();
  }
};

struct ConstantOfShapePattern : GraphPattern<g::ConstantOfShapeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConstantOfShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t)
      return cannotLower(rw, op, "unranked result");
    Location loc = op.getLoc();
    Value fill;
    if (auto v = op.getValue()) {
      auto dense = dyn_cast<DenseElementsAttr>(*v);
      if (!dense || dense.getNumElements() != 1)
        return cannotLower(rw, op, "value must be one dense element");
      Attribute a = dense.getValues<Attribute>()[0];
      if (auto f = dyn_cast<FloatAttr>(a))
        fill = scalarConst(rw, loc, t.getElementType(), f.getValueAsDouble());
      else
        fill = arith::ConstantOp::create(
            rw, loc,
            rw.getIntegerAttr(t.getElementType(),
                              cast<IntegerAttr>(a).getValue()));
    } else {
      fill = scalarConst(rw, loc, t.getElementType(), 0);
    }
    SmallVector<Value> dims =
        indexValues(rw, loc, op.getInput(), adaptor.getInput(), t.getRank());
    rw.replaceOp(op, filledTensor(rw, loc, t, getAsOpFoldResult(dims), fill));
    return success();
  }
};

struct RangePattern : GraphPattern<g::RangeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::RangeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t || t.getRank() != 1)
      return cannotLower(rw, op, "range result must be 1-D");
    Location loc = op.getLoc();
    Type elt = t.getElementType();
    auto scalar = [&](Value v) {
      auto vt = cast<RankedTensorType>(v.getType());
      return extractScalar(rw, loc, v, SmallVector<int64_t>(vt.getRank(), 0));
    };
    Value start = scalar(adaptor.getStart()), limit = scalar(adaptor.getLimit()),
          delta = scalar(adaptor.getDelta());
    OpFoldResult n;
    if (!t.isDynamicDim(0)) {
      n = rw.getIndexAttr(t.getDimSize(0));
    } else if (isa<FloatType>(elt)) {
      Value q = arith::DivFOp::create(
          rw, loc, arith::SubFOp::create(rw, loc, limit, start), delta);
      Value c = math::CeilOp::create(rw, loc, q);
      Value i = arith::FPToSIOp::create(rw, loc, rw.getI64Type(), c);
      n = arith::MaxSIOp::create(rw, loc, toIndex(rw, loc, i),
                                 arith::ConstantIndexOp::create(rw, loc, 0))
              .getResult();
    } else {
      Value d = toIndex(rw, loc, arith::SubIOp::create(rw, loc, limit, start));
      Value s = toIndex(rw, loc, delta);
      Value q = arith::CeilDivSIOp::create(rw, loc, d, s);
      n = arith::MaxSIOp::create(rw, loc, q,
                                 arith::ConstantIndexOp::create(rw, loc, 0))
              .getResult();
    }
    Value init = emptyTensor(rw, loc, t, {n});
    auto generic = linalg::GenericOp::create(
        rw, loc, TypeRange{t}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{rw.getMultiDimIdentityMap(1)},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange) {
          Value i = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                               linalg::IndexOp::create(b, l, 0));
          Value fi = castScalar(b, l, i, b.getI64Type(), elt);
          Value r = isa<FloatType>(elt)
                        ? (Value)arith::AddFOp::create(
                              b, l, start, arith::MulFOp::create(b, l, fi, delta))
                        : (Value)arith::AddIOp::create(
                              b, l, start, arith::MulIOp::create(b, l, fi, delta));
          linalg::YieldOp::create(b, l, r);
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct ShapePattern : GraphPattern<g::ShapeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ShapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!t || !in)
      return cannotLower(rw, op, "unranked shape input");
    Location loc = op.getLoc();
    int64_t r = in.getRank();
    auto clampAxis = [&](int64_t a) {
      if (a < 0)
        a += r;
      return std::clamp<int64_t>(a, 0, r);
    };
    int64_t s = clampAxis(op.getStart().value_or(0));
    int64_t e = clampAxis(op.getEnd().value_or(r));
    SmallVector<Value> dims;
    for (int64_t d = s; d < e; ++d)
      dims.push_back(arith::IndexCastOp::create(
          rw, loc, rw.getI64Type(),
          tensor::DimOp::create(rw, loc, adaptor.getData(), d)));
    if (dims.empty()) {
      rw.replaceOp(op, tensor::EmptyOp::create(rw, loc, t.getShape(),
                                               t.getElementType()));
      return success();
    }
    rw.replaceOpWithNewOp<tensor::FromElementsOp>(op, t, dims);
    return success();
  }
};

Value numElements(OpBuilder &b, Location loc, Value v) {
  Value n = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < cast<RankedTensorType>(v.getType()).getRank(); ++d)
    n = arith::MulIOp::create(b, loc, n, tensor::DimOp::create(b, loc, v, d));
  return n;
}

struct SizePattern : GraphPattern<g::SizeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::SizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!t || !in)
      return cannotLower(rw, op, "unranked size input");
    Location loc = op.getLoc();
    Value v = arith::IndexCastOp::create(rw, loc, rw.getI64Type(),
                                         numElements(rw, loc, adaptor.getData()));
    rw.replaceOpWithNewOp<tensor::FromElementsOp>(op, t, ValueRange{v});
    return success();
  }
};

struct ReshapePattern : GraphPattern<g::ReshapeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t || !isa<RankedTensorType>(adaptor.getData().getType()))
      return cannotLower(rw, op, "unranked reshape");
    Location loc = op.getLoc();
    Value data = adaptor.getData();
    SmallVector<OpFoldResult> sizes;
    if (!t.hasStaticShape() && isa<BlockArgument>(op.getShape()))
      return cannotLower(rw, 
          op, "the target shape is a graph input (data-dependent output "
              "shapes are unsupported)");
    if (!t.hasStaticShape()) {
      // 0 copies the input dim (unless allowzero), -1 takes what is left.
      SmallVector<Value> v =
          indexValues(rw, loc, op.getShape(), adaptor.getShape(), t.getRank());
      Value zero = arith::ConstantIndexOp::create(rw, loc, 0);
      Value minus1 = arith::ConstantIndexOp::create(rw, loc, -1);
      Value one = arith::ConstantIndexOp::create(rw, loc, 1);
      auto inT = cast<RankedTensorType>(data.getType());
      Value known = one;
      for (int64_t i = 0; i < t.getRank(); ++i) {
        if (!op.getAllowzero() && i < inT.getRank()) {
          Value isZero = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq,
                                               v[i], zero);
          v[i] = arith::SelectOp::create(
              rw, loc, isZero, tensor::DimOp::create(rw, loc, data, i), v[i]);
        }
        Value isInfer = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq,
                                              v[i], minus1);
        known = arith::MulIOp::create(
            rw, loc, known, arith::SelectOp::create(rw, loc, isInfer, one, v[i]));
      }
      Value total = numElements(rw, loc, data);
      Value inferred = arith::DivSIOp::create(rw, loc, total, known);
      for (int64_t i = 0; i < t.getRank(); ++i) {
        Value isInfer = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq,
                                              v[i], minus1);
        sizes.push_back(
            arith::SelectOp::create(rw, loc, isInfer, inferred, v[i]).getResult());
      }
    }
    rw.replaceOp(op, reshapeTensor(rw, loc, data, t, sizes));
    return success();
  }
};

/// Flatten, Squeeze and Unsqueeze: the target sizes are products or a
/// subsequence of the input sizes.
template <typename OpTy>
struct ViewPattern : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = this->resultType(op);
    Value data = adaptor.getOperands()[0];
    auto inT = dyn_cast<RankedTensorType>(data.getType());
    if (!t || !inT)
      return cannotLower(rw, op, "unranked view");
    Location loc = op.getLoc();
    int64_t r = inT.getRank();
    SmallVector<OpFoldResult> in = mixedSizes(rw, loc, data), sizes;
    if constexpr (std::is_same_v<OpTy, g::FlattenOp>) {
      int64_t axis = normalizedAxis(op.getAxis(), r);
      Value a = arith::ConstantIndexOp::create(rw, loc, 1), b = a;
      for (int64_t d = 0; d < r; ++d) {
        Value s = getValueOrCreateConstantIndexOp(rw, loc, in[d]);
        if (d < axis)
          a = arith::MulIOp::create(rw, loc, a, s);
        else
          b = arith::MulIOp::create(rw, loc, b, s);
      }
      sizes = {a, b};
    } else if constexpr (std::is_same_v<OpTy, g::SqueezeOp>) {
      auto axes = constantAxes(op.getAxes(), r, /*emptyMeansAll=*/false);
      if (failed(axes))
        return cannotLower(rw, op, "axes known only at run time");
      for (int64_t d = 0; d < r; ++d) {
        bool drop = axes->empty() ? inT.getDimSize(d) == 1
                                  : llvm::is_contained(*axes, d);
        if (!drop)
          sizes.push_back(in[d]);
      }
    } else {
      auto axes = constantAxes(op.getAxes(), t.getRank(), false);
      if (failed(axes))
        return cannotLower(rw, op, "axes known only at run time");
      unsigned next = 0;
      for (int64_t d = 0; d < t.getRank(); ++d)
        sizes.push_back(llvm::is_contained(*axes, d) ? rw.getIndexAttr(1)
                                                     : in[next++]);
    }
    if ((int64_t)sizes.size() != t.getRank())
      return cannotLower(rw, op, "rank mismatch");
    rw.replaceOp(op, reshapeTensor(rw, loc, data, t, sizes));
    return success();
  }
};

} // namespace

void mnemo::lowering::populateShapePatterns(const TypeConverter &tc,
                                            RewritePatternSet &p) {
  p.add<ConstantPattern, ConstantOfShapePattern, RangePattern, ShapePattern,
        SizePattern, ReshapePattern, ViewPattern<g::FlattenOp>,
        ViewPattern<g::SqueezeOp>, ViewPattern<g::UnsqueezeOp>>(tc,
                                                               p.getContext());
}
