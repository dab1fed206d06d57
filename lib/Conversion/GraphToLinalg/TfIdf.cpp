//===- TfIdf.cpp - TfIdfVectorizer to scf loops ---------------------------===//
//
// The pool becomes constant tables (each n-gram's tokens padded to the
// longest, its size, its output slot); per row and pool n-gram, loops over
// the skip distances and start positions count the matches (an n-gram of
// size n at skip distance d reads positions p, p + d, ..., and must fit in
// the row; unigrams count at distance 1 only, as the reference's trie
// walk does). The counts per slot are then weighted by `mode`.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct TfIdfPattern : GraphPattern<g::TfIdfVectorizerOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TfIdfVectorizerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType outT = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!outT || !xT || !xT.hasStaticShape() ||
        !isa<IntegerType>(xT.getElementType()))
      return cannotLower(rw, op, "tfidf_vectorizer needs static integer "
                                 "tokens");
    Location loc = op.getLoc();
    auto ints = [](ArrayAttr a) {
      SmallVector<int64_t> v;
      for (Attribute x : a)
        v.push_back(cast<IntegerAttr>(x).getInt());
      return v;
    };
    SmallVector<int64_t> counts = ints(op.getNgramCounts()),
                         slots = ints(op.getNgramIndexes()),
                         pool = ints(op.getPoolInt64s());
    // The pool's n-grams: level k (size k + 1) runs from counts[k] to the
    // next level's start.
    struct Gram {
      SmallVector<int64_t> tokens;
    };
    SmallVector<Gram> grams;
    for (size_t k = 0; k < counts.size(); ++k) {
      int64_t from = counts[k];
      int64_t to = k + 1 < counts.size() ? counts[k + 1] : (int64_t)pool.size();
      int64_t n = k + 1;
      if (from < 0 || to > (int64_t)pool.size() || from > to || (to - from) % n)
        return cannotLower(rw, op, "ngram_counts do not split the pool into "
                                   "whole n-grams");
      for (int64_t at = from; at < to; at += n)
        grams.push_back({SmallVector<int64_t>(pool.begin() + at,
                                              pool.begin() + at + n)});
    }
    // (Extra slots are ignored, as the reference does.)
    if (slots.size() < grams.size())
      return cannotLower(rw, op, "ngram_indexes must give a slot to every "
                                 "pool n-gram");
    slots.resize(grams.size());
    int64_t p = grams.size(), longest = counts.size();
    int64_t numSlots = outT.getShape().back();
    int64_t rows = xT.getRank() == 2 ? xT.getDimSize(0) : 1;
    int64_t len = xT.getShape().back();
    int64_t minN = op.getMinGramLength(), maxN = op.getMaxGramLength();
    int64_t skips = op.getMaxSkipCount();
    // Tables.
    SmallVector<int64_t> tok(p * std::max<int64_t>(longest, 1), 0), size(p);
    for (int64_t j = 0; j < p; ++j) {
      size[j] = grams[j].tokens.size();
      for (int64_t i = 0; i < size[j]; ++i)
        tok[j * longest + i] = grams[j].tokens[i];
    }
    auto table = [&](ArrayRef<int64_t> shape, ArrayRef<int64_t> v) {
      auto t = RankedTensorType::get(shape, rw.getI64Type());
      return arith::ConstantOp::create(rw, loc, DenseElementsAttr::get(t, v))
          .getResult();
    };
    Value tokT = table({p, std::max<int64_t>(longest, 1)}, tok);
    Value sizeT = table({p}, size), slotT = table({p}, slots);
    Type f32 = rw.getF32Type(), i64 = rw.getI64Type();
    Value c0 = indexConst(rw, loc, 0), c1 = indexConst(rw, loc, 1);
    auto freqT = RankedTensorType::get({rows, numSlots}, f32);
    Value freq = filledTensor(rw, loc, freqT, {}, scalarConst(rw, loc, f32, 0));
    Value x = adaptor.getX();
    bool twoD = xT.getRank() == 2;
    auto idx = [&](OpBuilder &b, Location l, Value v) {
      return arith::IndexCastOp::create(b, l, b.getIndexType(), v).getResult();
    };
    scf::LoopNest nest = scf::buildLoopNest(
        rw, loc, {c0, c0}, {indexConst(rw, loc, rows), indexConst(rw, loc, p)},
        {c1, c1}, ValueRange{freq},
        [&](OpBuilder &b, Location l, ValueRange rj,
            ValueRange acc) -> scf::ValueVector {
          Value row = rj[0], j = rj[1];
          Value n = idx(b, l, tensor::ExtractOp::create(b, l, sizeT, ValueRange{j}));
          Value wanted = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, n,
                                    indexConst(b, l, minN)),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, n,
                                    indexConst(b, l, maxN)));
          // Unigrams at distance 1 only; longer n-grams at 1 .. skips + 1.
          Value isUni = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                              n, c1);
          Value dists = arith::SelectOp::create(
              b, l, isUni, c1, indexConst(b, l, skips + 1));
          dists = arith::SelectOp::create(b, l, wanted, dists, c0);
          Value nm1 = arith::SubIOp::create(b, l, n, c1);
          Value zero = scalarConst(b, l, f32, 0), one = scalarConst(b, l, f32, 1);
          auto byDist = scf::ForOp::create(
              b, l, c0, dists, c1, ValueRange{zero},
              [&](OpBuilder &db, Location dl, Value dm1, ValueRange dc) {
                Value d = arith::AddIOp::create(db, dl, dm1, c1);
                auto byStart = scf::ForOp::create(
                    db, dl, c0, indexConst(db, dl, len), c1, dc,
                    [&](OpBuilder &sb, Location sl, Value start, ValueRange sc) {
                      Value last = arith::AddIOp::create(
                          sb, sl, start, arith::MulIOp::create(sb, sl, d, nm1));
                      Value fits = arith::CmpIOp::create(
                          sb, sl, arith::CmpIPredicate::slt, last,
                          indexConst(sb, sl, len));
                      auto match = scf::ForOp::create(
                          sb, sl, c0, n, c1, ValueRange{fits},
                          [&](OpBuilder &mb, Location ml, Value i, ValueRange ok) {
                            Value at = arith::AddIOp::create(
                                mb, ml, start, arith::MulIOp::create(mb, ml, d, i));
                            // Clamped: a read past the row only happens
                            // when `fits` is already false.
                            at = clampIndex(mb, ml, at, indexConst(mb, ml, len));
                            SmallVector<Value> xi = {at};
                            if (twoD)
                              xi.insert(xi.begin(), row);
                            Value v = tensor::ExtractOp::create(mb, ml, x, xi);
                            if (v.getType() != i64)
                              v = castScalar(mb, ml, v, origElt(op.getX()), i64);
                            Value t = tensor::ExtractOp::create(mb, ml, tokT,
                                                                ValueRange{j, i});
                            Value eq = arith::CmpIOp::create(
                                mb, ml, arith::CmpIPredicate::eq, v, t);
                            scf::YieldOp::create(
                                mb, ml, ValueRange{arith::AndIOp::create(mb, ml, ok[0], eq)});
                          });
                      Value add = arith::SelectOp::create(sb, sl, match.getResult(0),
                                                          one, zero);
                      scf::YieldOp::create(
                          sb, sl, ValueRange{arith::AddFOp::create(sb, sl, sc[0], add)});
                    });
                scf::YieldOp::create(db, dl, byStart.getResults());
              });
          Value slot = idx(b, l, tensor::ExtractOp::create(b, l, slotT, ValueRange{j}));
          Value prev = tensor::ExtractOp::create(b, l, acc[0], ValueRange{row, slot});
          Value sum = arith::AddFOp::create(b, l, prev, byDist.getResult(0));
          return {tensor::InsertOp::create(b, l, sum, acc[0], ValueRange{row, slot})};
        });
    // Weighting: TF the counts; IDF the slot's weight (1) where counted;
    // TFIDF the counts times the weight.
    SmallVector<float> w(numSlots, 1.0f);
    if (auto ws = op.getWeights())
      for (auto [i, a] : llvm::enumerate(*ws))
        if ((int64_t)i < numSlots)
          w[i] = cast<FloatAttr>(a).getValueAsDouble();
    StringRef mode = op.getMode();
    Value counts2d = nest.results[0];
    Value y = counts2d;
    if (mode != "TF") {
      Value wT = arith::ConstantOp::create(
          rw, loc,
          DenseElementsAttr::get(RankedTensorType::get({numSlots}, f32),
                                 ArrayRef<float>(w)));
      AffineMap id = rw.getMultiDimIdentityMap(2);
      AffineMap col = AffineMap::get(2, 0, rw.getAffineDimExpr(1), rw.getContext());
      bool idf = mode == "IDF";
      y = indexGeneric(rw, loc, freqT, {}, {counts2d, wT}, {id, col},
                       [&](OpBuilder &b, Location l, ValueRange, ValueRange in) {
                         if (!idf)
                           return arith::MulFOp::create(b, l, in[0], in[1]).getResult();
                         Value seen = arith::CmpFOp::create(
                             b, l, arith::CmpFPredicate::OGT, in[0],
                             scalarConst(b, l, f32, 0));
                         return arith::SelectOp::create(
                                    b, l, seen, in[1], scalarConst(b, l, f32, 0))
                             .getResult();
                       });
    }
    if (!twoD)
      y = reshapeTensor(rw, loc, y, outT, {});
    rw.replaceOp(op, y);
    return success();
  }
};

} // namespace

void mnemo::lowering::populateTfIdfPatterns(const TypeConverter &tc,
                                            RewritePatternSet &p) {
  p.add<TfIdfPattern>(tc, p.getContext());
}
