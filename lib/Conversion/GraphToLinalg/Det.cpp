//===- Det.cpp - Det to Gaussian elimination ------------------------------===//
//
// The determinant of each matrix: Gaussian elimination with partial
// pivoting on a copy (scf loops over tensors), the product of the pivots
// with one sign flip per row swap. A zero pivot makes the determinant 0
// and its column's eliminations no-ops (no division by zero).
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct DetPattern : GraphPattern<g::DetOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::DetOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!xT || !xT.hasStaticShape() || !isa<FloatType>(xT.getElementType()))
      return cannotLower(rw, op, "det needs a static float input");
    Location loc = op.getLoc();
    int64_t r = xT.getRank(), n = xT.getDimSize(r - 1);
    Type elt = xT.getElementType();
    auto yT = RankedTensorType::get(xT.getShape().drop_back(2), elt);
    Value c0 = indexConst(rw, loc, 0), c1 = indexConst(rw, loc, 1);
    Value cn = indexConst(rw, loc, n);
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d = 0; d + 2 < r; ++d) {
      lbs.push_back(c0);
      ubs.push_back(indexConst(rw, loc, xT.getDimSize(d)));
      steps.push_back(c1);
    }
    Value y0 = tensor::EmptyOp::create(rw, loc, yT.getShape(), elt);
    scf::LoopNest nest = scf::buildLoopNest(
        rw, loc, lbs, ubs, steps, ValueRange{y0},
        [&](OpBuilder &b, Location l, ValueRange batch,
            ValueRange acc) -> scf::ValueVector {
          // This matrix, as a tensor of its own to eliminate in.
          SmallVector<OpFoldResult> at, sizes, ones(r, b.getIndexAttr(1));
          for (Value v : batch) {
            at.push_back(v);
            sizes.push_back(b.getIndexAttr(1));
          }
          at.append({b.getIndexAttr(0), b.getIndexAttr(0)});
          sizes.append({b.getIndexAttr(n), b.getIndexAttr(n)});
          auto mT = RankedTensorType::get({n, n}, elt);
          Value m = tensor::ExtractSliceOp::create(b, l, mT, adaptor.getX(), at,
                                                   sizes, ones);
          Value one = scalarConst(b, l, elt, 1), zero = scalarConst(b, l, elt, 0);
          auto elim = scf::ForOp::create(
              b, l, c0, cn, c1, ValueRange{m, one},
              [&](OpBuilder &kb, Location kl, Value k, ValueRange st) {
                auto get = [&](OpBuilder &gb, Location gl, Value t, Value i, Value j) {
                  return tensor::ExtractOp::create(gb, gl, t, ValueRange{i, j}).getResult();
                };
                // The pivot row: the largest |a[i, k]| for i >= k.
                Value start = get(kb, kl, st[0], k, k);
                auto pivot = scf::ForOp::create(
                    kb, kl, k, cn, c1,
                    ValueRange{k, math::AbsFOp::create(kb, kl, start)},
                    [&](OpBuilder &pb, Location pl, Value i, ValueRange best) {
                      Value v = math::AbsFOp::create(pb, pl, get(pb, pl, st[0], i, k));
                      Value gt = arith::CmpFOp::create(pb, pl, arith::CmpFPredicate::OGT,
                                                       v, best[1]);
                      scf::YieldOp::create(
                          pb, pl,
                          ValueRange{arith::SelectOp::create(pb, pl, gt, i, best[0]),
                                     arith::SelectOp::create(pb, pl, gt, v, best[1])});
                    });
                Value p = pivot.getResult(0);
                // Swap rows p and k (a no-op when p == k).
                auto swapped = scf::ForOp::create(
                    kb, kl, c0, cn, c1, ValueRange{st[0]},
                    [&](OpBuilder &sb, Location sl, Value j, ValueRange t) {
                      Value a = get(sb, sl, t[0], k, j), c = get(sb, sl, t[0], p, j);
                      Value u = tensor::InsertOp::create(sb, sl, c, t[0], ValueRange{k, j});
                      u = tensor::InsertOp::create(sb, sl, a, u, ValueRange{p, j});
                      scf::YieldOp::create(sb, sl, ValueRange{u});
                    });
                Value a = swapped.getResult(0);
                Value moved = arith::CmpIOp::create(kb, kl, arith::CmpIPredicate::ne, p, k);
                Value piv = get(kb, kl, a, k, k);
                Value det = arith::MulFOp::create(kb, kl, st[1], piv);
                det = arith::SelectOp::create(kb, kl, moved,
                                              arith::NegFOp::create(kb, kl, det), det);
                Value isZero = arith::CmpFOp::create(kb, kl, arith::CmpFPredicate::OEQ,
                                                     piv, zero);
                Value safe = arith::SelectOp::create(kb, kl, isZero, one, piv);
                // Eliminate column k below the pivot.
                Value k1 = arith::AddIOp::create(kb, kl, k, c1);
                auto rows = scf::ForOp::create(
                    kb, kl, k1, cn, c1, ValueRange{a},
                    [&](OpBuilder &rb, Location rl, Value i, ValueRange t) {
                      Value factor = arith::DivFOp::create(rb, rl, get(rb, rl, t[0], i, k), safe);
                      factor = arith::SelectOp::create(rb, rl, isZero, zero, factor);
                      auto cols = scf::ForOp::create(
                          rb, rl, k, cn, c1, ValueRange{t[0]},
                          [&](OpBuilder &cb, Location cl, Value j, ValueRange u) {
                            Value v = arith::SubFOp::create(
                                cb, cl, get(cb, cl, u[0], i, j),
                                arith::MulFOp::create(cb, cl, factor, get(cb, cl, u[0], k, j)));
                            scf::YieldOp::create(
                                cb, cl, ValueRange{tensor::InsertOp::create(
                                            cb, cl, v, u[0], ValueRange{i, j})});
                          });
                      scf::YieldOp::create(rb, rl, cols.getResults());
                    });
                scf::YieldOp::create(kb, kl, ValueRange{rows.getResult(0), det});
              });
          return {tensor::InsertOp::create(b, l, elim.getResult(1), acc[0], batch)};
        });
    rw.replaceOp(op, nest.results[0]);
    return success();
  }
};

} // namespace

void mnemo::lowering::populateDetPatterns(const TypeConverter &tc,
                                          RewritePatternSet &p) {
  p.add<DetPattern>(tc, p.getContext());
}
