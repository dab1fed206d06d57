//===- Gathers.cpp - Resize, CumSum, ConvTranspose to linalg --------------===//
//
// Ops lowered as generics over their output that read their inputs at
// computed indices (tensor.extract). Resize is a generic over the output whose body maps each output index
// back to an input coordinate (coordinate_transformation_mode), then reads
// the nearest element or blends the 2^k neighbours of the k resized dims
// with tensor.extract. CumSum is a generic with an inner reduction loop
// masked to the prefix (quadratic in the scanned dim, which is short in
// the models that use it).
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct ResizePattern : GraphPattern<g::ResizeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!t || !inT || !t.hasStaticShape() || !inT.hasStaticShape() ||
        !isa<FloatType>(t.getElementType()))
      return cannotLower(rw, op, "needs static float tensors");
    StringRef mode = op.getMode(), ctm = op.getCoordinateTransformationMode();
    if (mode != "nearest" && mode != "linear")
      return cannotLower(rw, op, "only nearest and linear modes");
    if (op.getAntialias() || ctm == "tf_crop_and_resize" || op.getAxes() ||
        op.getKeepAspectRatioPolicy() != "stretch")
      return cannotLower(rw, op, "unsupported resize attributes");
    int64_t r = inT.getRank();
    SmallVector<double> scales(r);
    auto given = graph::getConstantFloats(op.getScales());
    for (int64_t d = 0; d < r; ++d)
      scales[d] = given && (int64_t)given->size() == r
                      ? (*given)[d]
                      : (double)t.getDimSize(d) / inT.getDimSize(d);
    Location loc = op.getLoc();
    Type elt = t.getElementType();
    Type f64 = rw.getF64Type();
    Value x = adaptor.getX();
    StringRef nearestMode = op.getNearestMode();
    Value init = emptyTensor(rw, loc, t, {});
    SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rw, loc, TypeRange{t}, ValueRange{}, ValueRange{init},
        ArrayRef<AffineMap>{rw.getMultiDimIdentityMap(r)}, iters,
        [&](OpBuilder &b, Location l, ValueRange) {
          auto cf = [&](double v) { return scalarConst(b, l, f64, v); };
          auto toF = [&](Value i) {
            return arith::SIToFPOp::create(
                b, l, f64, arith::IndexCastOp::create(b, l, b.getI64Type(), i));
          };
          auto toI = [&](Value f) {
            return arith::IndexCastOp::create(
                b, l, b.getIndexType(),
                arith::FPToSIOp::create(b, l, b.getI64Type(), f));
          };
          auto clampI = [&](Value i, int64_t hi) {
            Value z = arith::ConstantIndexOp::create(b, l, 0);
            Value h = arith::ConstantIndexOp::create(b, l, hi);
            return arith::MinSIOp::create(
                b, l, arith::MaxSIOp::create(b, l, i, z), h);
          };
          // Input coordinate of every dim.
          SmallVector<Value> coord;
          for (int64_t d = 0; d < r; ++d) {
            Value o = toF(linalg::IndexOp::create(b, l, d));
            int64_t in = inT.getDimSize(d), out = t.getDimSize(d);
            double s = scales[d];
            Value c;
            // ONNX measures the resized length as in * scale (unrounded)
            // when scales are given.
            double resized = given ? in * s : (double)out;
            if (ctm == "align_corners")
              c = resized <= 1.0
                      ? cf(0)
                      : (Value)arith::MulFOp::create(
                            b, l, o, cf(double(in - 1) / (resized - 1)));
            else if (ctm == "asymmetric")
              c = arith::DivFOp::create(b, l, o, cf(s));
            else if (ctm == "tf_half_pixel_for_nearest")
              c = arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, o, cf(0.5)),
                                        cf(s));
            else if (ctm == "pytorch_half_pixel" && out == 1)
              c = cf(0);
            else // half_pixel, pytorch_half_pixel
              c = arith::SubFOp::create(
                  b, l,
                  arith::DivFOp::create(b, l, arith::AddFOp::create(b, l, o, cf(0.5)),
                                        cf(s)),
                  cf(0.5));
            coord.push_back(c);
          }
          Value result;
          if (mode == "nearest") {
            SmallVector<Value> idx;
            for (int64_t d = 0; d < r; ++d) {
              Value c = coord[d], n;
              if (nearestMode == "floor")
                n = math::FloorOp::create(b, l, c);
              else if (nearestMode == "ceil")
                n = math::CeilOp::create(b, l, c);
              else if (nearestMode == "round_prefer_ceil")
                n = math::FloorOp::create(b, l, arith::AddFOp::create(b, l, c, cf(0.5)));
              else // round_prefer_floor: halves go down
                n = math::CeilOp::create(b, l, arith::SubFOp::create(b, l, c, cf(0.5)));
              idx.push_back(clampI(toI(n), inT.getDimSize(d) - 1));
            }
            result = tensor::ExtractOp::create(b, l, x, idx);
          } else {
            // Blend the neighbours along every dim that changes size.
            SmallVector<int64_t> lin;
            for (int64_t d = 0; d < r; ++d)
              if (inT.getDimSize(d) != t.getDimSize(d) || scales[d] != 1.0)
                lin.push_back(d);
            SmallVector<Value> lo(r), hi(r), w(r);
            for (int64_t d = 0; d < r; ++d) {
              int64_t in = inT.getDimSize(d);
              Value c = arith::MaximumFOp::create(
                  b, l, arith::MinimumFOp::create(b, l, coord[d], cf(in - 1)), cf(0));
              Value f = math::FloorOp::create(b, l, c);
              lo[d] = clampI(toI(f), in - 1);
              hi[d] = clampI(arith::AddIOp::create(
                                 b, l, lo[d], arith::ConstantIndexOp::create(b, l, 1)),
                             in - 1);
              w[d] = arith::SubFOp::create(b, l, c, f);
            }
            Value acc = cf(0);
            for (int64_t corner = 0; corner < (1 << lin.size()); ++corner) {
              SmallVector<Value> idx;
              Value weight = cf(1);
              for (int64_t d = 0; d < r; ++d) {
                auto pos = llvm::find(lin, d);
                if (pos == lin.end()) {
                  idx.push_back(lo[d]);
                  continue;
                }
                bool upper = corner & (1 << (pos - lin.begin()));
                idx.push_back(upper ? hi[d] : lo[d]);
                Value wd = upper ? w[d]
                                 : (Value)arith::SubFOp::create(b, l, cf(1), w[d]);
                weight = arith::MulFOp::create(b, l, weight, wd);
              }
              Value v = tensor::ExtractOp::create(b, l, x, idx);
              Value v64 = castScalar(b, l, v, elt, f64);
              acc = arith::AddFOp::create(b, l, acc,
                                          arith::MulFOp::create(b, l, v64, weight));
            }
            result = castScalar(b, l, acc, f64, elt);
          }
          linalg::YieldOp::create(b, l, result);
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct CumSumPattern : GraphPattern<g::CumSumOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::CumSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto axisC = constInts(op.getAxis());
    if (!t || !axisC || axisC->size() != 1)
      return cannotLower(rw, op, "axis must be a constant");
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    int64_t r = t.getRank();
    int64_t axis = normalizedAxis((*axisC)[0], r);
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    Type elt = t.getElementType();
    Value x = adaptor.getX();
    // Loops (d_0 .. d_{r-1}, j): y[.., i, ..] += x[.., j, ..] for j in the
    // prefix (or suffix) of i.
    SmallVector<AffineExpr> xe, ye;
    for (int64_t d = 0; d < r; ++d) {
      xe.push_back(getAffineDimExpr(d == axis ? r : d, ctx));
      ye.push_back(getAffineDimExpr(d, ctx));
    }
    SmallVector<utils::IteratorType> iters(r, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    Value init = filledTensor(rw, loc, t, mixedSizes(rw, loc, x),
                              scalarConst(rw, loc, elt, 0));
    bool isFloat = isa<FloatType>(elt);
    auto generic = linalg::GenericOp::create(
        rw, loc, TypeRange{t}, ValueRange{x}, ValueRange{init},
        ArrayRef<AffineMap>{AffineMap::get(r + 1, 0, xe, ctx),
                            AffineMap::get(r + 1, 0, ye, ctx)},
        iters, [&](OpBuilder &b, Location l, ValueRange a) {
          Value i = linalg::IndexOp::create(b, l, axis);
          Value j = linalg::IndexOp::create(b, l, r);
          arith::CmpIPredicate p =
              reverse ? (exclusive ? arith::CmpIPredicate::sgt
                                   : arith::CmpIPredicate::sge)
                      : (exclusive ? arith::CmpIPredicate::slt
                                   : arith::CmpIPredicate::sle);
          Value in = arith::CmpIOp::create(b, l, p, j, i);
          Value sum = isFloat ? (Value)arith::AddFOp::create(b, l, a[1], a[0])
                              : (Value)arith::AddIOp::create(b, l, a[1], a[0]);
          linalg::YieldOp::create(b, l,
                                  arith::SelectOp::create(b, l, in, sum, a[1]).getResult());
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mnemo::lowering::populateResizePatterns(const TypeConverter &tc,
                                             RewritePatternSet &p) {
  p.add<ResizePattern, CumSumPattern>(tc, p.getContext());
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

namespace {

/// ConvTranspose as a gather over the output: out[n, oc, o] sums
/// X[n, ic, t / stride] * W[ic, oc % Cout_g, k] over the group's input
/// channels and the kernel, where t = o + pad_begin - k * dilation must be a
/// non-negative multiple of the stride inside the input. No zero-stuffed
/// copy of the input is made.
struct ConvTransposePattern : GraphPattern<g::ConvTransposeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConvTransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    auto wT = dyn_cast<RankedTensorType>(adaptor.getW().getType());
    if (!t || !xT || !wT || !t.hasStaticShape() || !xT.hasStaticShape() ||
        !wT.hasStaticShape() || !isa<FloatType>(t.getElementType()))
      return cannotLower(rw, op, "needs static float tensors");
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    int64_t sp = xT.getRank() - 2, group = op.getGroup();
    SmallVector<int64_t> kernel(wT.getShape().drop_front(2));
    auto strides = intsOr(op.getStrides(), sp, 1);
    auto dil = intsOr(op.getDilations(), sp, 1);
    auto outPad = intsOr(op.getOutputPadding(), sp, 0);
    // Begin pads: given, or derived from the output size (output_shape and
    // SAME_* put the larger half at the end for SAME_UPPER).
    SmallVector<int64_t> padBegin = intsOr(op.getPads(), 2 * sp, 0);
    padBegin.resize(sp);
    StringRef autoPad = op.getAutoPad();
    bool derive = op.getOutputShape() || autoPad == "SAME_UPPER" ||
                  autoPad == "SAME_LOWER";
    for (int64_t i = 0; i < sp; ++i) {
      if (autoPad == "VALID")
        padBegin[i] = 0;
      if (!derive)
        continue;
      int64_t ek = (kernel[i] - 1) * dil[i] + 1;
      int64_t total = strides[i] * (xT.getDimSize(i + 2) - 1) + outPad[i] + ek -
                      t.getDimSize(i + 2);
      total = std::max<int64_t>(total, 0);
      padBegin[i] = autoPad == "SAME_LOWER" ? total - total / 2 : total / 2;
    }
    int64_t cinG = xT.getDimSize(1) / group, coutG = wT.getDimSize(1);
    Type elt = t.getElementType();
    Value x = adaptor.getX(), w = adaptor.getW();
    int64_t rank = t.getRank(), loops = rank + 1 + sp;
    // Reduction extents (ic within the group, kernel) come from a
    // shape-only operand, as in the pooling lowering.
    SmallVector<int64_t> redShape = {cinG};
    redShape.append(kernel.begin(), kernel.end());
    Value red = tensor::EmptyOp::create(rw, loc, redShape, elt);
    SmallVector<AffineExpr> re, oe;
    for (int64_t i = rank; i < loops; ++i)
      re.push_back(getAffineDimExpr(i, ctx));
    for (int64_t i = 0; i < rank; ++i)
      oe.push_back(getAffineDimExpr(i, ctx));
    SmallVector<utils::IteratorType> iters(loops, utils::IteratorType::parallel);
    for (int64_t i = rank; i < loops; ++i)
      iters[i] = utils::IteratorType::reduction;
    Value init;
    if (!g::isNone(op.getB())) {
      SmallVector<int64_t> bShape(sp + 1, 1);
      bShape[0] = t.getDimSize(1);
      Value bias = reshapeTensor(rw, loc, adaptor.getB(),
                                 RankedTensorType::get(bShape, elt), {});
      init = buildElementwise(
          rw, loc, t, bias,
          [](OpBuilder &, Location, ValueRange v) { return v[0]; },
          mixedSizes(rw, loc, emptyTensor(rw, loc, t, {})));
    } else {
      init = filledTensor(rw, loc, t, {}, scalarConst(rw, loc, elt, 0));
    }
    auto generic = linalg::GenericOp::create(
        rw, loc, TypeRange{t}, ValueRange{red}, ValueRange{init},
        ArrayRef<AffineMap>{AffineMap::get(loops, 0, re, ctx),
                            AffineMap::get(loops, 0, oe, ctx)},
        iters, [&](OpBuilder &b, Location l, ValueRange a) {
          auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, l, v); };
          Value n = linalg::IndexOp::create(b, l, 0);
          Value oc = linalg::IndexOp::create(b, l, 1);
          Value icg = linalg::IndexOp::create(b, l, rank);
          Value grp = arith::DivUIOp::create(b, l, oc, idx(coutG));
          Value ic = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, grp, idx(cinG)), icg);
          Value ocg = arith::RemUIOp::create(b, l, oc, idx(coutG));
          Value valid = arith::ConstantIntOp::create(b, l, b.getI1Type(), 1);
          SmallVector<Value> xi = {n, ic}, wi = {ic, ocg};
          for (int64_t i = 0; i < sp; ++i) {
            Value o = linalg::IndexOp::create(b, l, 2 + i);
            Value k = linalg::IndexOp::create(b, l, rank + 1 + i);
            Value tt = arith::SubIOp::create(
                b, l, arith::AddIOp::create(b, l, o, idx(padBegin[i])),
                arith::MulIOp::create(b, l, k, idx(dil[i])));
            Value q = arith::DivSIOp::create(b, l, tt, idx(strides[i]));
            Value rem = arith::RemSIOp::create(b, l, tt, idx(strides[i]));
            Value ok = arith::AndIOp::create(
                b, l,
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, tt, idx(0)),
                arith::AndIOp::create(
                    b, l,
                    arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, rem, idx(0)),
                    arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, q,
                                          idx(xT.getDimSize(2 + i)))));
            valid = arith::AndIOp::create(b, l, valid, ok);
            // Clamp so the read stays in bounds when it does not count.
            xi.push_back(arith::SelectOp::create(b, l, ok, q, idx(0)));
            wi.push_back(k);
          }
          Value xv = tensor::ExtractOp::create(b, l, x, xi);
          Value wv = tensor::ExtractOp::create(b, l, w, wi);
          Value prod = arith::MulFOp::create(b, l, xv, wv);
          Value sum = arith::AddFOp::create(b, l, a[1], prod);
          linalg::YieldOp::create(b, l,
                                  arith::SelectOp::create(b, l, valid, sum, a[1]).getResult());
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void mnemo::lowering::populateConvTransposePatterns(const TypeConverter &tc,
                                                    RewritePatternSet &p) {
  p.add<ConvTransposePattern>(tc, p.getContext());
}
