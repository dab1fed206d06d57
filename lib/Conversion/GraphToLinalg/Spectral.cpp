//===- Spectral.cpp - STFT to one contraction -----------------------------===//
//
// STFT(signal, step, window, N): out[b, f, k, c] = sum_n x[b, f*step + n]
// * w[n] * T[c, n, k], one linalg.generic whose signal map reads the
// frame through the affine index f*step + n (no frames are copied out).
// T holds cos(2 pi k n / N) and -sin(2 pi k n / N), the real and
// imaginary parts of the DFT kernel, as a constant; a complex signal adds
// its imaginary part through a second table (sin, cos).
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include <cmath>

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct STFTPattern : GraphPattern<g::STFTOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::STFTOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType outT = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getSignal().getType());
    std::optional<SmallVector<int64_t>> step = constInts(op.getFrameStep());
    if (!outT || !xT || !outT.hasStaticShape() || !xT.hasStaticShape() ||
        !step || step->size() != 1 || !isa<FloatType>(xT.getElementType()))
      return cannotLower(rw, op, "stft needs a static float signal and a "
                                 "constant frame_step and frame_length (an "
                                 "input feeding only them is specialized by "
                                 "mnemo-run --specialize-shape-inputs)");
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    Type elt = xT.getElementType();
    int64_t bins = outT.getDimSize(2), s = (*step)[0];
    // The frame length: frame_length, else the window's.
    int64_t n;
    if (!g::isNone(op.getFrameLength())) {
      auto len = constInts(op.getFrameLength());
      if (!len || len->size() != 1)
        return cannotLower(rw, op, "a run-time frame_length");
      n = (*len)[0];
    } else if (!g::isNone(op.getWindow())) {
      n = cast<RankedTensorType>(adaptor.getWindow().getType()).getDimSize(0);
    } else {
      return cannotLower(rw, op, "stft needs frame_length or a window");
    }
    bool complex = xT.getDimSize(2) == 2;
    // T[c, t, k]: the kernel's real (c = 0) and imaginary (c = 1) parts
    // for the real signal part; the imaginary part's table swaps them.
    auto table = [&](bool imagPart) {
      SmallVector<Attribute> v;
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t t = 0; t < n; ++t)
          for (int64_t k = 0; k < bins; ++k) {
            double a = 2 * M_PI * (double)((t * k) % n) / (double)n;
            double re = std::cos(a), im = -std::sin(a);
            // (xr + i xi)(re + i im): real xr re - xi im, imaginary xr im + xi re.
            double val = !imagPart ? (c == 0 ? re : im) : (c == 0 ? -im : re);
            v.push_back(FloatAttr::get(elt, val));
          }
      auto t = RankedTensorType::get({2, n, bins}, elt);
      return arith::ConstantOp::create(rw, loc, DenseElementsAttr::get(t, v))
          .getResult();
    };
    Value window = g::isNone(op.getWindow())
                       ? filledTensor(rw, loc, RankedTensorType::get({n}, elt),
                                      {}, scalarConst(rw, loc, elt, 1))
                       : adaptor.getWindow();
    // Dims (b, f, k, c, t): t is the reduction over the frame.
    AffineExpr b, f, k, c, t;
    bindDims(ctx, b, f, k, c, t);
    auto map = [&](ArrayRef<AffineExpr> r) {
      return AffineMap::get(5, 0, r, ctx);
    };
    auto zero = getAffineConstantExpr(0, ctx), one = getAffineConstantExpr(1, ctx);
    SmallVector<Value> inputs = {adaptor.getSignal(), window, table(false)};
    SmallVector<AffineMap> maps = {map({b, f * s + t, zero}), map({t}),
                                   map({c, t, k})};
    if (complex) {
      inputs.append({adaptor.getSignal(), table(true)});
      maps.append({map({b, f * s + t, one}), map({c, t, k})});
    }
    maps.push_back(map({b, f, k, c}));
    Value init = filledTensor(rw, loc, outT, {}, scalarConst(rw, loc, elt, 0));
    SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    auto gen = linalg::GenericOp::create(
        rw, loc, outT, inputs, ValueRange{init}, maps, iters,
        [&](OpBuilder &ob, Location l, ValueRange a) {
          Value xw = arith::MulFOp::create(ob, l, a[0], a[1]);
          Value acc = arith::AddFOp::create(
              ob, l, a.back(), arith::MulFOp::create(ob, l, xw, a[2]));
          if (complex) {
            Value iw = arith::MulFOp::create(ob, l, a[3], a[1]);
            acc = arith::AddFOp::create(ob, l, acc,
                                        arith::MulFOp::create(ob, l, iw, a[4]));
          }
          linalg::YieldOp::create(ob, l, acc);
        });
    rw.replaceOp(op, gen.getResult(0));
    return success();
  }
};

} // namespace

void mnemo::lowering::populateSpectralPatterns(const TypeConverter &tc,
                                               RewritePatternSet &p) {
  p.add<STFTPattern>(tc, p.getContext());
}
