//===- TopK.cpp - TopK to scf loops ---------------------------------------===//
//
// TopK keeps, for every line along `axis`, a sorted buffer of the k best
// elements seen so far (the two result tensors themselves): each new
// element walks the buffer from the front and swaps with every slot it
// beats, strictly, so equal elements keep their order (the lower index
// first, as ONNX's reference sorts). O(n k) per line, which suits the
// small k of the models that use it.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mnemo/Support/RunStatus.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct TopKPattern : GraphPattern<g::TopKOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    auto vT = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getValues().getType()));
    auto iT = dyn_cast_or_null<RankedTensorType>(
        getTypeConverter()->convertType(op.getIndices().getType()));
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!vT || !iT || !xT || !xT.hasStaticShape())
      return cannotLower(rw, op, "top_k needs a static input shape");
    Location loc = op.getLoc();
    int64_t r = xT.getRank();
    int64_t axis = normalizedAxis(op.getAxis(), r);
    int64_t n = xT.getDimSize(axis), k = vT.getDimSize(axis);
    // A k known only at run time: the top n (all, sorted) are computed and
    // the first k kept, bounded by n like NonZero's count; k past n is an
    // error the run returns (ONNX requires k <= n).
    Value runtimeK;
    if (ShapedType::isDynamic(k)) {
      runtimeK = toIndex(rw, loc, firstElement(rw, loc, adaptor.getK()));
      Value past = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sgt,
                                         runtimeK, indexConst(rw, loc, n));
      scf::IfOp::create(rw, loc, past, [&](OpBuilder &b, Location l) {
        storeRunStatus(b, l, op, kStatusBoundExceeded);
        scf::YieldOp::create(b, l);
      });
      k = n;
      SmallVector<int64_t> shape(vT.getShape());
      shape[axis] = n;
      vT = RankedTensorType::get(shape, vT.getElementType());
      iT = RankedTensorType::get(shape, iT.getElementType());
    }
    if (!vT.hasStaticShape())
      return cannotLower(rw, op, "top_k needs a static input shape");
    Type elt = vT.getElementType();
    bool largest = op.getLargest();
    Value x = adaptor.getX();
    Value vals = tensor::EmptyOp::create(rw, loc, vT.getShape(), elt);
    Value idxs = tensor::EmptyOp::create(rw, loc, iT.getShape(),
                                         iT.getElementType());
    // The lines: every dim but axis.
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d = 0; d < r; ++d) {
      lbs.push_back(indexConst(rw, loc, 0));
      ubs.push_back(indexConst(rw, loc, d == axis ? 1 : xT.getDimSize(d)));
      steps.push_back(indexConst(rw, loc, 1));
    }
    scf::LoopNest lines = scf::buildLoopNest(
        rw, loc, lbs, ubs, steps, ValueRange{vals, idxs},
        [&](OpBuilder &b, Location l, ValueRange line,
            ValueRange acc) -> scf::ValueVector {
          auto at = [&](Value pos) {
            SmallVector<Value> ivs(line);
            ivs[axis] = pos;
            return ivs;
          };
          auto elems = scf::ForOp::create(
              b, l, indexConst(b, l, 0), indexConst(b, l, n), indexConst(b, l, 1), acc,
              [&](OpBuilder &eb, Location el, Value j, ValueRange bufs) {
                Value cand = tensor::ExtractOp::create(eb, el, x, at(j));
                Value candIdx =
                    arith::IndexCastOp::create(eb, el, eb.getI64Type(), j);
                SmallVector<Value> init = {bufs[0], bufs[1], cand, candIdx};
                // Slots at or past j are still empty.
                Value last = arith::MinSIOp::create(eb, el, j, indexConst(eb, el, k - 1));
                auto slots = scf::ForOp::create(
                    eb, el, indexConst(eb, el, 0),
                    arith::AddIOp::create(eb, el, last, indexConst(eb, el, 1)),
                    indexConst(eb, el, 1), init,
                    [&](OpBuilder &sb, Location sl, Value p, ValueRange st) {
                      Value cur = tensor::ExtractOp::create(sb, sl, st[0], at(p));
                      Value curIdx =
                          tensor::ExtractOp::create(sb, sl, st[1], at(p));
                      Value empty = arith::CmpIOp::create(
                          sb, sl, arith::CmpIPredicate::sge, p, j);
                      Value beats;
                      if (isa<FloatType>(elt))
                        beats = arith::CmpFOp::create(
                            sb, sl,
                            largest ? arith::CmpFPredicate::OGT
                                    : arith::CmpFPredicate::OLT,
                            st[2], cur);
                      else
                        beats = arith::CmpIOp::create(
                            sb, sl,
                            largest ? arith::CmpIPredicate::sgt
                                    : arith::CmpIPredicate::slt,
                            st[2], cur);
                      Value take = arith::OrIOp::create(sb, sl, empty, beats);
                      auto sel = [&](Value a, Value b2) {
                        return arith::SelectOp::create(sb, sl, take, a, b2)
                            .getResult();
                      };
                      Value v = tensor::InsertOp::create(
                          sb, sl, sel(st[2], cur), st[0], at(p));
                      Value i = tensor::InsertOp::create(
                          sb, sl, sel(st[3], curIdx), st[1], at(p));
                      scf::YieldOp::create(
                          sb, sl,
                          ValueRange{v, i, sel(cur, st[2]), sel(curIdx, st[3])});
                    });
                scf::YieldOp::create(
                    eb, el,
                    ValueRange{slots.getResult(0), slots.getResult(1)});
              });
          return {elems.getResult(0), elems.getResult(1)};
        });
    if (!runtimeK) {
      rw.replaceOp(op, lines.results);
      return success();
    }
    SmallVector<Value> results;
    for (auto [v, t] : llvm::zip(lines.results, op->getResultTypes())) {
      Value cut = boundedSlice(rw, loc, v, axis, runtimeK, n);
      results.push_back(tensor::CastOp::create(
          rw, loc, getTypeConverter()->convertType(t), cut));
    }
    rw.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mnemo::lowering::populateTopKPatterns(const TypeConverter &tc,
                                           RewritePatternSet &p) {
  p.add<TopKPattern>(tc, p.getContext());
}
