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

/// The Keys cubic weights (coefficient `a`) of the taps at distances
/// 1 + t, t, 1 - t and 2 - t from a point t in [0, 1) past a sample, in
/// f64, as ONNX's reference computes them for Resize and GridSample.
SmallVector<Value> keysWeights(OpBuilder &b, Location l, Value t, double a) {
  Type f64 = b.getF64Type();
  auto cf = [&](double v) { return scalarConst(b, l, f64, v); };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulFOp::create(b, l, x, y);
  };
  auto add = [&](Value x, double y) -> Value {
    return arith::AddFOp::create(b, l, x, cf(y));
  };
  auto far = [&](Value x) { // 1 <= |x| < 2
    return add(mul(add(mul(add(mul(x, cf(a)), -5 * a), x), 8 * a), x), -4 * a);
  };
  auto near = [&](Value x) { // |x| <= 1
    return add(mul(mul(add(mul(x, cf(a + 2)), -(a + 3)), x), x), 1);
  };
  Value oneMinus = arith::SubFOp::create(b, l, cf(1), t);
  return {far(add(t, 1)), near(t), near(oneMinus), far(add(oneMinus, 1))};
}

/// One tap of an interpolation along a dim: where it reads (an index, or
/// a coordinate the reader maps) and its weight (null: the dim's only tap).
using Tap = std::pair<Value, Value>;

/// The sum, from 0, over every choice of one tap per dim, of `read` at the
/// chosen positions times the product of their weights (f64).
Value blendTaps(OpBuilder &b, Location l, ArrayRef<SmallVector<Tap>> taps,
                function_ref<Value(ArrayRef<Value>)> read) {
  Type f64 = b.getF64Type();
  Value acc = scalarConst(b, l, f64, 0);
  SmallVector<size_t> pick(taps.size(), 0);
  while (true) {
    SmallVector<Value> at;
    Value weight = scalarConst(b, l, f64, 1);
    for (auto [d, tap] : llvm::enumerate(taps)) {
      auto [pos, w] = tap[pick[d]];
      at.push_back(pos);
      if (w)
        weight = arith::MulFOp::create(b, l, weight, w);
    }
    acc = arith::AddFOp::create(b, l, acc,
                                arith::MulFOp::create(b, l, read(at), weight));
    int64_t d = (int64_t)taps.size() - 1;
    while (d >= 0 && ++pick[d] == taps[d].size())
      pick[d--] = 0;
    if (d < 0)
      return acc;
  }
}

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
    if (mode != "nearest" && mode != "linear" && mode != "cubic")
      return cannotLower(rw, op, "mode '" + mode + "'");
    if (op.getAntialias() || op.getAxes() ||
        op.getKeepAspectRatioPolicy() != "stretch")
      return cannotLower(rw, op, "unsupported resize attributes");
    int64_t r = inT.getRank();
    // tf_crop_and_resize reads the crop box [starts..., ends...] (normalized
    // coordinates), at run time when it is an input.
    bool crop = ctm == "tf_crop_and_resize";
    Value roi = adaptor.getRoi();
    auto roiT = dyn_cast<RankedTensorType>(roi.getType());
    if (crop && (!roiT || roiT.getRank() != 1 ||
                 (roiT.hasStaticShape() && roiT.getDimSize(0) != 2 * r) ||
                 !isa<FloatType>(roiT.getElementType())))
      return cannotLower(rw, op, "tf_crop_and_resize needs a float roi of "
                                 "2 x rank values");
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
          auto clampI = [&](Value i, int64_t size) {
            return clampIndex(b, l, i, indexConst(b, l, size));
          };
          // Input coordinate of every dim; a crop's coordinate outside the
          // input reads the extrapolation value.
          SmallVector<Value> coord;
          Value outside;
          for (int64_t d = 0; d < r; ++d) {
            Value o = toF(linalg::IndexOp::create(b, l, d));
            int64_t in = inT.getDimSize(d), out = t.getDimSize(d);
            double s = scales[d];
            Value c;
            // ONNX measures the resized length as in * scale (unrounded)
            // when scales are given.
            double resized = given ? in * s : (double)out;
            if (crop) {
              // In the roi's type, as onnxruntime and the reference compute
              // it (0.1f * 5 is 0.5 in f32, a bit more in f64: nearest
              // rounding would differ).
              Type re = roiT.getElementType();
              auto rc = [&](double v) { return scalarConst(b, l, re, v); };
              auto roiAt = [&](int64_t i) {
                return tensor::ExtractOp::create(
                           b, l, roi, ValueRange{indexConst(b, l, i)})
                    .getResult();
              };
              Value start = roiAt(d), end = roiAt(r + d);
              Value span = rc(double(in - 1));
              Value oi = castScalar(b, l, o, f64, re);
              // start (in - 1) + o (end - start) (in - 1) / (out - 1), or
              // the box's centre for one output.
              Value cr =
                  out > 1
                      ? (Value)arith::AddFOp::create(
                            b, l, arith::MulFOp::create(b, l, start, span),
                            arith::DivFOp::create(
                                b, l,
                                arith::MulFOp::create(
                                    b, l,
                                    arith::MulFOp::create(
                                        b, l, oi,
                                        arith::SubFOp::create(b, l, end, start)),
                                    span),
                                rc(double(out - 1))))
                      : (Value)arith::MulFOp::create(
                            b, l,
                            arith::MulFOp::create(
                                b, l, arith::AddFOp::create(b, l, start, end),
                                rc(0.5)),
                            span);
              Value past = arith::OrIOp::create(
                  b, l,
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, cr, rc(0)),
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, cr, span));
              outside = outside ? arith::OrIOp::create(b, l, outside, past) : past;
              c = castScalar(b, l, cr, re, f64);
            } else if (ctm == "align_corners")
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
              idx.push_back(clampI(toI(n), inT.getDimSize(d)));
            }
            result = tensor::ExtractOp::create(b, l, x, idx);
          } else {
            // Blend the neighbours along every dim that changes size:
            // linear reads floor(c) and floor(c) + 1 (c clamped into the
            // input), cubic floor(c) - 1 .. floor(c) + 2 with the Keys
            // weights of ONNX's reference (edge-padded reads; with
            // exclude_outside the taps outside the input weigh 0 and the
            // rest are renormalized).
            bool cubic = mode == "cubic";
            double cubicA = op.getCubicCoeffA().convertToDouble();
            SmallVector<int64_t> lin;
            for (int64_t d = 0; d < r; ++d)
              if (inT.getDimSize(d) != t.getDimSize(d) || scales[d] != 1.0)
                lin.push_back(d);
            // Per dim: the taps' indices and weights.
            SmallVector<SmallVector<Tap>> taps(r);
            for (int64_t d = 0; d < r; ++d) {
              int64_t in = inT.getDimSize(d);
              Value c = coord[d];
              if (!cubic || !llvm::is_contained(lin, d))
                c = arith::MaximumFOp::create(
                    b, l, arith::MinimumFOp::create(b, l, c, cf(in - 1)), cf(0));
              Value f = math::FloorOp::create(b, l, c);
              Value frac = arith::SubFOp::create(b, l, c, f);
              Value base = toI(f);
              if (!llvm::is_contained(lin, d)) {
                taps[d].push_back({clampI(base, in), Value()});
                continue;
              }
              auto at = [&](int64_t k) {
                return arith::AddIOp::create(b, l, base, indexConst(b, l, k));
              };
              if (!cubic) {
                taps[d].push_back({clampI(at(0), in),
                                   arith::SubFOp::create(b, l, cf(1), frac)});
                taps[d].push_back({clampI(at(1), in), frac});
                continue;
              }
              SmallVector<Value> w = keysWeights(b, l, frac, cubicA);
              SmallVector<Value> idx;
              for (int64_t k = -1; k <= 2; ++k)
                idx.push_back(at(k));
              if (op.getExcludeOutside()) {
                Value sum = cf(0);
                for (int64_t k = 0; k < 4; ++k) {
                  w[k] = arith::SelectOp::create(
                      b, l, inRange(b, l, idx[k], indexConst(b, l, in)), w[k],
                      cf(0));
                  sum = arith::AddFOp::create(b, l, sum, w[k]);
                }
                for (Value &wk : w)
                  wk = arith::DivFOp::create(b, l, wk, sum);
              }
              for (int64_t k = 0; k < 4; ++k)
                taps[d].push_back({clampI(idx[k], in), w[k]});
            }
            Value acc = blendTaps(b, l, taps, [&](ArrayRef<Value> idx) {
              return castScalar(b, l, tensor::ExtractOp::create(b, l, x, idx),
                                elt, f64);
            });
            result = castScalar(b, l, acc, f64, elt);
          }
          if (outside)
            result = arith::SelectOp::create(
                b, l, outside,
                scalarConst(b, l, elt,
                            op.getExtrapolationValue().convertToDouble()),
                result);
          linalg::YieldOp::create(b, l, result);
        });
    rw.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// GridSample on 2-D maps, as ONNX's reference computes it: the grid's
/// (x, y) in [-1, 1] mapped to pixel coordinates (align_corners), rounded
/// half to even for nearest; a coordinate past the border [-0.5, len -
/// 0.5] ([0, len - 1] with align_corners) is clamped into the map
/// (border) or reflected back (reflection); then nearest, linear (2 x 2)
/// or cubic (4 x 4, Keys a = -0.75) taps read with the padding mode: 0
/// outside the map (zeros), the nearest edge (border), or the reflected
/// index (reflection).
struct GridSamplePattern : GraphPattern<g::GridSampleOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GridSampleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!t || !xT || !t.hasStaticShape() || !xT.hasStaticShape() ||
        xT.getRank() != 4 || !isa<FloatType>(t.getElementType()))
      return cannotLower(rw, op, "grid_sample needs static float 4-D tensors "
                                 "(2-D maps)");
    Location loc = op.getLoc();
    Value x = adaptor.getX(), grid = adaptor.getGrid();
    Type elt = t.getElementType(), f64 = rw.getF64Type();
    Type gridElt = cast<RankedTensorType>(grid.getType()).getElementType();
    bool align = op.getAlignCorners();
    StringRef mode = op.getMode(), pad = op.getPaddingMode();
    int64_t dims[2] = {xT.getDimSize(2), xT.getDimSize(3)}; // H, W
    Value result = indexGeneric(
        rw, loc, t, {}, {}, {},
        [&](OpBuilder &b, Location l, ValueRange iv, ValueRange) -> Value {
          auto cf = [&](double v) { return scalarConst(b, l, f64, v); };
          // A grid value of NaN or +-inf must not become a poison index:
          // coordinates are bounded first (maxnumf/minnumf drop a NaN).
          auto toIdx = [&](Value f) -> Value {
            f = arith::MinNumFOp::create(
                b, l, arith::MaxNumFOp::create(b, l, f, cf(-8)),
                cf(std::max(dims[0], dims[1]) + 8));
            return arith::IndexCastOp::create(
                b, l, b.getIndexType(),
                arith::FPToSIOp::create(b, l, b.getI64Type(), f));
          };
          auto lt = [&](Value a, Value c) {
            return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, a, c);
          };
          auto sel = [&](Value c, Value a, Value d) -> Value {
            return arith::SelectOp::create(b, l, c, a, d);
          };
          // Reflects v by the near border until it lies in [lo, hi].
          auto reflect = [&](Value v, double lo, double hi) {
            double rng = hi - lo;
            auto side = [&](Value dx, double from, double to, bool down) {
              Value n = math::TruncOp::create(
                  b, l, arith::DivFOp::create(b, l, dx, cf(rng)));
              Value r = arith::SubFOp::create(
                  b, l, dx, arith::MulFOp::create(b, l, n, cf(rng)));
              Value odd = arith::TruncIOp::create(
                  b, l, b.getI1Type(),
                  arith::FPToSIOp::create(b, l, b.getI64Type(), n));
              Value even = down ? arith::AddFOp::create(b, l, cf(from), r).getResult()
                                : arith::SubFOp::create(b, l, cf(from), r).getResult();
              Value other = down ? arith::SubFOp::create(b, l, cf(to), r).getResult()
                                 : arith::AddFOp::create(b, l, cf(to), r).getResult();
              return sel(odd, other, even);
            };
            Value below = side(arith::SubFOp::create(b, l, cf(lo), v), lo, hi, true);
            Value above = side(arith::SubFOp::create(b, l, v, cf(hi)), hi, lo, false);
            return sel(lt(v, cf(lo)), below, sel(lt(cf(hi), v), above, v));
          };
          double lo[2], hi[2];
          Value coord[2];
          for (int d = 0; d < 2; ++d) {
            lo[d] = align ? 0.0 : -0.5;
            hi[d] = align ? dims[d] - 1.0 : dims[d] - 0.5;
            // grid[n, oh, ow] holds (x, y): dim d (H, W) reads entry 1 - d.
            Value g = castScalar(
                b, l,
                tensor::ExtractOp::create(
                    b, l, grid, ValueRange{iv[0], iv[2], iv[3], indexConst(b, l, 1 - d)}),
                gridElt, f64);
            Value one = arith::AddFOp::create(b, l, g, cf(1));
            Value c = align ? arith::MulFOp::create(b, l, one,
                                                    cf((dims[d] - 1) / 2.0))
                            : arith::MulFOp::create(
                                  b, l,
                                  arith::SubFOp::create(
                                      b, l,
                                      arith::MulFOp::create(b, l, one, cf(dims[d])),
                                      cf(1)),
                                  cf(0.5));
            if (mode == "nearest")
              c = math::RoundEvenOp::create(b, l, c);
            Value outside = arith::OrIOp::create(b, l, lt(c, cf(lo[d])),
                                                 lt(cf(hi[d]), c));
            if (pad == "border")
              c = sel(outside,
                      arith::MaximumFOp::create(
                          b, l, arith::MinimumFOp::create(b, l, c, cf(dims[d] - 1)),
                          cf(0)),
                      c);
            else if (pad == "reflection")
              c = sel(outside, reflect(c, lo[d], hi[d]), c);
            coord[d] = c;
          }
          // The pixel at integer coordinates (as f64) under the padding
          // mode, in f64.
          auto pixel = [&](Value fy, Value fx) -> Value {
            Value f[2] = {fy, fx}, idx[2], inside = Value();
            for (int d = 0; d < 2; ++d) {
              Value v = f[d];
              if (pad == "reflection")
                v = math::TruncOp::create(b, l, reflect(v, lo[d], hi[d]));
              Value i = toIdx(v), size = indexConst(b, l, dims[d]);
              if (pad == "zeros") {
                Value in = inRange(b, l, i, size);
                inside = inside ? arith::AndIOp::create(b, l, inside, in).getResult()
                                : in;
              }
              // Clamped in every mode, so no read leaves the map.
              idx[d] = clampIndex(b, l, i, size);
            }
            Value v = castScalar(
                b, l,
                tensor::ExtractOp::create(
                    b, l, x, ValueRange{iv[0], iv[1], idx[0], idx[1]}),
                elt, f64);
            return inside ? sel(inside, v, cf(0)) : v;
          };
          Value acc;
          if (mode == "nearest") {
            acc = pixel(coord[0], coord[1]);
          } else {
            // Taps (coordinate floor + offset, weight) per dim.
            SmallVector<SmallVector<Tap>> taps(2);
            for (int d = 0; d < 2; ++d) {
              Value base = math::FloorOp::create(b, l, coord[d]);
              Value frac = arith::SubFOp::create(b, l, coord[d], base);
              auto at = [&](int64_t k) -> Value {
                return arith::AddFOp::create(b, l, base, cf(k));
              };
              if (mode == "linear") {
                taps[d] = {{at(0), arith::SubFOp::create(b, l, cf(1), frac)},
                           {at(1), frac}};
              } else {
                SmallVector<Value> w = keysWeights(b, l, frac, -0.75);
                for (int k = 0; k < 4; ++k)
                  taps[d].push_back({at(k - 1), w[k]});
              }
            }
            acc = blendTaps(b, l, taps, [&](ArrayRef<Value> yx) {
              return pixel(yx[0], yx[1]);
            });
          }
          return castScalar(b, l, acc, f64, elt);
        });
    rw.replaceOp(op, result);
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
  p.add<ResizePattern, GridSamplePattern, CumSumPattern>(tc, p.getContext());
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
