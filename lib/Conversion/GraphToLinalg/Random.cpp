//===- Random.cpp - counter-based random numbers -------------------------===//
//
// RandomUniform(Like), RandomNormal(Like) and training-mode dropout draw
// from one counter-based generator: element i (row-major) gets
// splitmix64(i + (seed + 1) * golden ratio). No state is carried between
// elements, so the lowering is one parallel linalg.generic that tiles,
// fuses and vectorizes like any other, and the numbers do not depend on
// the tiling, the thread count or the target.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

Value lowering::counterHash(OpBuilder &b, Location loc, ValueRange ivs,
                            ArrayRef<OpFoldResult> sizes, uint64_t seed) {
  Type i64 = b.getI64Type();
  auto k = [&](uint64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr((int64_t)v))
        .getResult();
  };
  auto asI64 = [&](OpFoldResult s) {
    if (std::optional<int64_t> c = getConstantIntValue(s))
      return k(*c);
    return arith::IndexCastOp::create(b, loc, i64, cast<Value>(s)).getResult();
  };
  Value z = k(0);
  for (auto [iv, n] : llvm::zip(ivs, sizes))
    z = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, z, asI64(n)),
                              arith::IndexCastOp::create(b, loc, i64, iv));
  z = arith::AddIOp::create(b, loc, z, k((seed + 1) * 0x9E3779B97F4A7C15ull));
  auto mix = [&](Value v, int64_t shift, uint64_t mul) {
    Value x = arith::XOrIOp::create(b, loc, v,
                                    arith::ShRUIOp::create(b, loc, v, k(shift)));
    return mul ? arith::MulIOp::create(b, loc, x, k(mul)).getResult() : x;
  };
  return mix(mix(mix(z, 30, 0xBF58476D1CE4E5B9ull), 27, 0x94D049BB133111EBull),
             31, 0);
}

namespace {

/// `bits` (an i64 below 2^width) as a float of `type` in [0, 1).
Value scaleToUnit(OpBuilder &b, Location loc, Value bits, unsigned width,
                  FloatType type) {
  Value v = arith::UIToFPOp::create(b, loc, type, bits);
  return arith::MulFOp::create(
      b, loc, v, scalarConst(b, loc, type, std::ldexp(1.0, -(int)width)));
}

/// The top `width` bits of a 64-bit hash.
Value topBits(OpBuilder &b, Location loc, Value h, unsigned width) {
  return arith::ShRUIOp::create(
      b, loc, h,
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(64 - width)));
}

/// One element of a RandomUniform: low + (high - low) * u, u in [0, 1)
/// from the hash's top 24 bits (53 for f64), so every value is exactly a
/// float of the type and below high.
Value uniformElement(OpBuilder &b, Location loc, Value h, FloatType ct,
                     double low, double high) {
  Value u = unitFromHash(b, loc, h, ct.getWidth() == 64 ? 53 : 24, ct);
  Value v = arith::MulFOp::create(b, loc, u, scalarConst(b, loc, ct, high - low));
  return arith::AddFOp::create(b, loc, v, scalarConst(b, loc, ct, low));
}

/// One element of a RandomNormal by Box-Muller on the hash's two halves:
/// u1 in (0, 1] (so log(u1) is finite), u2 in [0, 1),
/// z = sqrt(-2 log u1) cos(2 pi u2).
Value normalElement(OpBuilder &b, Location loc, Value h, FloatType ct,
                    double mean, double scale) {
  Value one = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
  Value hi = arith::AddIOp::create(b, loc, topBits(b, loc, h, 32), one);
  Value lo = arith::AndIOp::create(
      b, loc, h, arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0xFFFFFFFF)));
  Value u1 = scaleToUnit(b, loc, hi, 32, ct);
  Value u2 = scaleToUnit(b, loc, lo, 32, ct);
  Value r = math::SqrtOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, scalarConst(b, loc, ct, -2),
                            math::LogOp::create(b, loc, u1)));
  Value c = math::CosOp::create(
      b, loc,
      arith::MulFOp::create(b, loc, u2,
                            scalarConst(b, loc, ct, 2 * llvm::numbers::pi)));
  Value z = arith::MulFOp::create(b, loc, r, c);
  return arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, z, scalarConst(b, loc, ct, scale)),
      scalarConst(b, loc, ct, mean));
}

template <typename OpTy>
struct RandomPattern : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = this->resultType(op);
    if (!t)
      return cannotLower(rw, op, "the result's rank is not known");
    auto elt = cast<FloatType>(t.getElementType());
    Location loc = op.getLoc();
    SmallVector<OpFoldResult> sizes =
        g::isNone(adaptor.getLike())
            ? getAsIndexOpFoldResult(rw.getContext(), t.getShape())
            : mixedSizes(rw, loc, adaptor.getLike());
    // Narrow floats are drawn as f32 and rounded.
    FloatType ct = elt.getWidth() == 64 ? elt : rw.getF32Type();
    uint64_t seed = (uint64_t)op.getSeed();
    Value y = indexGeneric(
        rw, loc, t, sizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange ivs, ValueRange) {
          Value h = counterHash(b, l, ivs, sizes, seed);
          Value v;
          if constexpr (std::is_same_v<OpTy, g::RandomUniformOp>)
            v = uniformElement(b, l, h, ct, op.getLow().convertToDouble(),
                               op.getHigh().convertToDouble());
          else
            v = normalElement(b, l, h, ct, op.getMean().convertToDouble(),
                              op.getScale().convertToDouble());
          return ct == elt ? v
                           : arith::TruncFOp::create(b, l, elt, v).getResult();
        });
    rw.replaceOp(op, y);
    return success();
  }
};

} // namespace

Value lowering::unitFromHash(OpBuilder &b, Location loc, Value hash,
                             unsigned width, FloatType type) {
  return scaleToUnit(b, loc, topBits(b, loc, hash, width), width, type);
}

void lowering::populateRandomPatterns(const TypeConverter &tc,
                                      RewritePatternSet &p) {
  p.add<RandomPattern<g::RandomUniformOp>, RandomPattern<g::RandomNormalOp>>(
      tc, p.getContext());
}
