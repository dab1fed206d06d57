//===- DataDependent.cpp - ops whose output size depends on the data ------===//
//
// NonZero, Compress, NonMaxSuppression and Unique produce as many elements
// as the data selects. The
// AOT contract keeps one fixed workspace, so each lowers to a buffer of the
// largest possible size (every element selected), filled by a loop that
// counts what it writes, and returns the first `count` entries as a slice.
// The count is clamped to [0, bound] with min/max: the memory planner's
// size bounds (lib/Memory/Planning/SizeBounds.cpp) read that clamp as the
// slice's bound, so buffers downstream and the output are sized for the
// worst case and the run reports the actual shape through output_shapes.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

/// scf.if `cond` then `take(state)` else `state` unchanged; `state` is
/// (buffer, count) and `take` returns the new buffer (count + 1 follows).
scf::IfOp takeIf(OpBuilder &b, Location loc, Value cond, ValueRange state,
                 llvm::function_ref<Value(OpBuilder &, Location)> take) {
  return scf::IfOp::create(
      b, loc, cond,
      [&](OpBuilder &tb, Location tl) {
        Value next = arith::AddIOp::create(tb, tl, state[1],
                                           indexConst(tb, tl, 1));
        scf::YieldOp::create(tb, tl, ValueRange{take(tb, tl), next});
      },
      [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, state); });
}

/// A box's x and y extents: [y1, x1, y2, x2] with the corners in either
/// order, or [x_center, y_center, width, height].
struct BoxExtent {
  Value xMin, xMax, yMin, yMax;
};

BoxExtent boxExtent(OpBuilder &b, Location loc, Value boxes, Value batch,
                    Value box, bool centerPoint) {
  Value c[4];
  for (int64_t k = 0; k < 4; ++k)
    c[k] = tensor::ExtractOp::create(b, loc, boxes,
                                     ValueRange{batch, box, indexConst(b, loc, k)});
  auto mn = [&](Value x, Value y) {
    return arith::MinimumFOp::create(b, loc, x, y).getResult();
  };
  auto mx = [&](Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y).getResult();
  };
  if (!centerPoint)
    return {mn(c[1], c[3]), mx(c[1], c[3]), mn(c[0], c[2]), mx(c[0], c[2])};
  Value half = scalarConst(b, loc, c[0].getType(), 0.5);
  Value w = arith::MulFOp::create(b, loc, c[2], half);
  Value h = arith::MulFOp::create(b, loc, c[3], half);
  return {arith::SubFOp::create(b, loc, c[0], w),
          arith::AddFOp::create(b, loc, c[0], w),
          arith::SubFOp::create(b, loc, c[1], h),
          arith::AddFOp::create(b, loc, c[1], h)};
}

/// Whether box `q` is suppressed by box `p`: they intersect, both have
/// area, and IoU > threshold (onnx.reference's suppress_by_iou).
Value suppresses(OpBuilder &b, Location loc, const BoxExtent &p,
                 const BoxExtent &q, Value threshold) {
  auto f = [&](arith::CmpFPredicate pred, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, pred, x, y).getResult();
  };
  auto both = [&](Value x, Value y) {
    return arith::AndIOp::create(b, loc, x, y).getResult();
  };
  Value ix0 = arith::MaximumFOp::create(b, loc, p.xMin, q.xMin);
  Value ix1 = arith::MinimumFOp::create(b, loc, p.xMax, q.xMax);
  Value iy0 = arith::MaximumFOp::create(b, loc, p.yMin, q.yMin);
  Value iy1 = arith::MinimumFOp::create(b, loc, p.yMax, q.yMax);
  auto sub = [&](Value x, Value y) {
    return arith::SubFOp::create(b, loc, x, y).getResult();
  };
  auto mul = [&](Value x, Value y) {
    return arith::MulFOp::create(b, loc, x, y).getResult();
  };
  Value zero = scalarConst(b, loc, ix0.getType(), 0);
  Value inter = mul(sub(ix1, ix0), sub(iy1, iy0));
  Value areaP = mul(sub(p.xMax, p.xMin), sub(p.yMax, p.yMin));
  Value areaQ = mul(sub(q.xMax, q.xMin), sub(q.yMax, q.yMin));
  Value uni = sub(arith::AddFOp::create(b, loc, areaP, areaQ), inter);
  Value ok = both(f(arith::CmpFPredicate::OGT, ix1, ix0),
                  f(arith::CmpFPredicate::OGT, iy1, iy0));
  ok = both(ok, f(arith::CmpFPredicate::OGT, inter, zero));
  ok = both(ok, both(f(arith::CmpFPredicate::OGT, areaP, zero),
                     f(arith::CmpFPredicate::OGT, areaQ, zero)));
  ok = both(ok, f(arith::CmpFPredicate::OGT, uni, zero));
  // (A false `ok` can make the division meaningless; it is not used then.)
  Value iou = arith::DivFOp::create(b, loc, inter, uni);
  return both(ok, f(arith::CmpFPredicate::OGT, iou, threshold));
}

/// Per batch and class, N selection steps: each takes the best unvisited
/// candidate (a linear scan; strict > keeps the lower index among equal
/// scores, as the reference's sort does) and keeps it unless a box kept
/// before suppresses it. O(N^2) per class, for the few hundred boxes of a
/// detector's head.
struct NonMaxSuppressionPattern : GraphPattern<g::NonMaxSuppressionOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::NonMaxSuppressionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    auto bT = dyn_cast<RankedTensorType>(adaptor.getBoxes().getType());
    auto sT = dyn_cast<RankedTensorType>(adaptor.getScores().getType());
    if (!bT || !sT || !bT.hasStaticShape() || !sT.hasStaticShape() ||
        !isa<FloatType>(bT.getElementType()) ||
        sT.getElementType() != bT.getElementType())
      return cannotLower(rw, op, "non_max_suppression needs static float "
                                 "boxes and scores of one element type");
    Location loc = op.getLoc();
    int64_t nb = bT.getDimSize(0), n = bT.getDimSize(1);
    int64_t nc = sT.getDimSize(1);
    if (sT.getDimSize(0) != nb || sT.getDimSize(2) != n)
      return cannotLower(rw, op, "scores must be [batches, classes, boxes] "
                                 "of the boxes' batches and boxes");
    Type ft = bT.getElementType(), i64 = rw.getI64Type();
    Value boxes = adaptor.getBoxes(), scores = adaptor.getScores();
    // The run-time limits; a constant maximum also tightens the bound.
    int64_t perClass = n;
    Value maxOut = indexConst(rw, loc, 0);
    if (!g::isNone(op.getMaxOutputBoxesPerClass())) {
      if (auto c = constInts(op.getMaxOutputBoxesPerClass()); c && c->size() == 1)
        perClass = std::clamp<int64_t>((*c)[0], 0, n);
      maxOut = arith::MaxSIOp::create(
          rw, loc,
          toIndex(rw, loc,
                  firstElement(rw, loc, adaptor.getMaxOutputBoxesPerClass())),
          indexConst(rw, loc, 0));
    }
    Value iouThr = g::isNone(op.getIouThreshold())
                       ? scalarConst(rw, loc, ft, 0)
                       : firstElement(rw, loc, adaptor.getIouThreshold());
    bool hasScoreThr = !g::isNone(op.getScoreThreshold());
    Value scoreThr = hasScoreThr
                         ? firstElement(rw, loc, adaptor.getScoreThreshold())
                         : Value();
    bool center = op.getCenterPointBox() == 1;
    int64_t bound = nb * nc * perClass;
    Value out = tensor::EmptyOp::create(rw, loc, ArrayRef<int64_t>{bound, 3}, i64);
    Value visited0 = linalg::FillOp::create(
                         rw, loc, ValueRange{arith::ConstantOp::create(rw, loc, rw.getBoolAttr(false))},
                         ValueRange{tensor::EmptyOp::create(rw, loc, ArrayRef<int64_t>{n}, rw.getI1Type())})
                         .getResult(0);
    Value kept0 = tensor::EmptyOp::create(rw, loc, ArrayRef<int64_t>{n},
                                          rw.getIndexType());
    Value c0 = indexConst(rw, loc, 0), c1 = indexConst(rw, loc, 1);
    Value negOne = indexConst(rw, loc, -1);
    scf::LoopNest classes = scf::buildLoopNest(
        rw, loc, {c0, c0}, {indexConst(rw, loc, nb), indexConst(rw, loc, nc)},
        {c1, c1}, ValueRange{out, c0},
        [&](OpBuilder &b, Location l, ValueRange bc,
            ValueRange acc) -> scf::ValueVector {
          Value batch = bc[0], cls = bc[1];
          // State: output, total, visited mask, kept boxes, kept count.
          auto steps = scf::ForOp::create(
              b, l, c0, indexConst(b, l, n), c1,
              ValueRange{acc[0], acc[1], visited0, kept0, c0},
              [&](OpBuilder &sb, Location sl, Value, ValueRange st) {
                // The best unvisited candidate, or -1.
                Value lowest = lowestValue(sb, sl, ft, false);
                auto scan = scf::ForOp::create(
                    sb, sl, c0, indexConst(sb, sl, n), c1,
                    ValueRange{negOne, lowest},
                    [&](OpBuilder &qb, Location ql, Value i, ValueRange best) {
                      Value s = tensor::ExtractOp::create(
                          qb, ql, scores, ValueRange{batch, cls, i});
                      Value seen = tensor::ExtractOp::create(qb, ql, st[2], i);
                      Value ok = arith::XOrIOp::create(
                          qb, ql, seen,
                          arith::ConstantOp::create(qb, ql, qb.getBoolAttr(true)));
                      if (hasScoreThr)
                        ok = arith::AndIOp::create(
                            qb, ql, ok,
                            arith::CmpFOp::create(qb, ql, arith::CmpFPredicate::OGT,
                                                  s, scoreThr));
                      Value none = arith::CmpIOp::create(
                          qb, ql, arith::CmpIPredicate::slt, best[0], c0);
                      Value better = arith::OrIOp::create(
                          qb, ql, none,
                          arith::CmpFOp::create(qb, ql, arith::CmpFPredicate::OGT,
                                                s, best[1]));
                      Value take = arith::AndIOp::create(qb, ql, ok, better);
                      scf::YieldOp::create(
                          qb, ql,
                          ValueRange{arith::SelectOp::create(qb, ql, take, i, best[0]),
                                     arith::SelectOp::create(qb, ql, take, s, best[1])});
                    });
                Value cand = scan.getResult(0);
                Value active = arith::AndIOp::create(
                    sb, sl,
                    arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::sge, cand, c0),
                    arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::slt, st[4], maxOut));
                auto step = scf::IfOp::create(
                    sb, sl, active,
                    [&](OpBuilder &tb, Location tl) {
                      Value visited = tensor::InsertOp::create(
                          tb, tl, arith::ConstantOp::create(tb, tl, tb.getBoolAttr(true)),
                          st[2], ValueRange{cand});
                      BoxExtent q = boxExtent(tb, tl, boxes, batch, cand, center);
                      auto check = scf::ForOp::create(
                          tb, tl, c0, st[4], c1,
                          ValueRange{arith::ConstantOp::create(tb, tl, tb.getBoolAttr(true))},
                          [&](OpBuilder &kb, Location kl, Value k, ValueRange keep) {
                            Value prev = tensor::ExtractOp::create(kb, kl, st[3], k);
                            BoxExtent p = boxExtent(kb, kl, boxes, batch, prev, center);
                            Value sup = suppresses(kb, kl, p, q, iouThr);
                            Value still = arith::AndIOp::create(
                                kb, kl, keep[0],
                                arith::XOrIOp::create(
                                    kb, kl, sup,
                                    arith::ConstantOp::create(kb, kl, kb.getBoolAttr(true))));
                            scf::YieldOp::create(kb, kl, ValueRange{still});
                          });
                      auto kept = scf::IfOp::create(
                          tb, tl, check.getResult(0),
                          [&](OpBuilder &ab, Location al) {
                            Value row = st[0];
                            Value vals[3] = {batch, cls, cand};
                            for (int64_t k = 0; k < 3; ++k)
                              row = tensor::InsertOp::create(
                                  ab, al, arith::IndexCastOp::create(ab, al, i64, vals[k]),
                                  row, ValueRange{st[1], indexConst(ab, al, k)});
                            Value keptList = tensor::InsertOp::create(
                                ab, al, cand, st[3], ValueRange{st[4]});
                            scf::YieldOp::create(
                                ab, al,
                                ValueRange{row, arith::AddIOp::create(ab, al, st[1], c1),
                                           keptList,
                                           arith::AddIOp::create(ab, al, st[4], c1)});
                          },
                          [&](OpBuilder &eb, Location el) {
                            scf::YieldOp::create(
                                eb, el, ValueRange{st[0], st[1], st[3], st[4]});
                          });
                      scf::YieldOp::create(
                          tb, tl,
                          ValueRange{kept.getResult(0), kept.getResult(1), visited,
                                     kept.getResult(2), kept.getResult(3)});
                    },
                    [&](OpBuilder &eb, Location el) {
                      scf::YieldOp::create(eb, el, st);
                    });
                scf::YieldOp::create(sb, sl, step.getResults());
              });
          return {steps.getResult(0), steps.getResult(1)};
        });
    rw.replaceOp(op, boundedSlice(rw, loc, classes.results[0], 0,
                                  classes.results[1], bound));
    return success();
  }
};

/// Unique over M items (slices along the axis, S elements each, compared
/// as rows of an [M, S] matrix): first occurrences by pairwise equality,
/// the distinct items in first-occurrence order, then (sorted) a bubble
/// sort by lexicographic order; inverse indices and counts through each
/// item's rank. O(M^2 S): Unique is rare in models and small where it is.
struct UniquePattern : GraphPattern<g::UniqueOp> {
  using GraphPattern::GraphPattern;

  LogicalResult
  matchAndRewrite(g::UniqueOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!xT || !xT.hasStaticShape())
      return cannotLower(rw, op, "unique needs a static input shape");
    Location loc = op.getLoc();
    Value x = adaptor.getX();
    Type elt = xT.getElementType();
    int64_t axis = 0;
    if (op.getAxis()) {
      axis = normalizedAxis(*op.getAxis(), xT.getRank());
    } else {
      auto flat = RankedTensorType::get({xT.getNumElements()}, elt);
      x = reshapeTensor(rw, loc, x, flat, {});
      xT = flat;
    }
    int64_t m = xT.getDimSize(axis), r = xT.getRank();
    int64_t sz = m ? xT.getNumElements() / m : 0;
    Value items = itemMatrix(rw, loc, x, axis, m, sz);
    bool isUnsigned = isUnsignedInt(origElt(op.getX()));
    Value c0 = indexConst(rw, loc, 0), c1 = indexConst(rw, loc, 1);
    Value cm = indexConst(rw, loc, m);
    Type idx = rw.getIndexType(), i64 = rw.getI64Type();
    auto empty = [&](Type t) {
      return tensor::EmptyOp::create(rw, loc, ArrayRef<int64_t>{m}, t)
          .getResult();
    };
    auto forLoop = [&](OpBuilder &b, Location l, Value ub, ValueRange init,
                       function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                       Value, ValueRange)>
                           body) {
      return scf::ForOp::create(
          b, l, indexConst(b, l, 0), ub, indexConst(b, l, 1), init,
          [&](OpBuilder &lb, Location ll, Value iv, ValueRange st) {
            scf::YieldOp::create(lb, ll, body(lb, ll, iv, st));
          });
    };
    // Compares items i and j element by element: the first difference
    // decides (0: all equal, 1: i < j, 2: i > j).
    auto order = [&](OpBuilder &b, Location l, Value i, Value j) {
      return forLoop(
                 b, l, indexConst(b, l, sz), ValueRange{indexConst(b, l, 0)},
                 [&](OpBuilder &sb, Location sl, Value s, ValueRange st) {
                   Value a = tensor::ExtractOp::create(sb, sl, items, ValueRange{i, s});
                   Value c = tensor::ExtractOp::create(sb, sl, items, ValueRange{j, s});
                   Value lt, gt;
                   if (isa<FloatType>(elt)) {
                     lt = arith::CmpFOp::create(sb, sl, arith::CmpFPredicate::OLT, a, c);
                     gt = arith::CmpFOp::create(sb, sl, arith::CmpFPredicate::OGT, a, c);
                   } else {
                     lt = arith::CmpIOp::create(sb, sl, isUnsigned ? arith::CmpIPredicate::ult
                                                                   : arith::CmpIPredicate::slt, a, c);
                     gt = arith::CmpIOp::create(sb, sl, isUnsigned ? arith::CmpIPredicate::ugt
                                                                   : arith::CmpIPredicate::sgt, a, c);
                   }
                   Value here = arith::SelectOp::create(
                       sb, sl, lt, indexConst(sb, sl, 1),
                       arith::SelectOp::create(sb, sl, gt, indexConst(sb, sl, 2),
                                               indexConst(sb, sl, 0)));
                   Value undecided = arith::CmpIOp::create(
                       sb, sl, arith::CmpIPredicate::eq, st[0], indexConst(sb, sl, 0));
                   return SmallVector<Value>{
                       arith::SelectOp::create(sb, sl, undecided, here, st[0])};
                 })
          .getResult(0);
    };
    auto is = [&](OpBuilder &b, Location l, Value v, int64_t k) {
      return arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, v,
                                   indexConst(b, l, k))
          .getResult();
    };
    // first[m]: the first item equal to item m.
    Value first = forLoop(rw, loc, cm, ValueRange{empty(idx)},
        [&](OpBuilder &b, Location l, Value i, ValueRange st) {
          Value found = forLoop(b, l, arith::AddIOp::create(b, l, i, indexConst(b, l, 1)),
              ValueRange{indexConst(b, l, -1)},
              [&](OpBuilder &fb, Location fl, Value j, ValueRange f) {
                Value none = arith::CmpIOp::create(fb, fl, arith::CmpIPredicate::slt,
                                                   f[0], indexConst(fb, fl, 0));
                Value same = is(fb, fl, order(fb, fl, j, i), 0);
                Value take = arith::AndIOp::create(fb, fl, none, same);
                return SmallVector<Value>{arith::SelectOp::create(fb, fl, take, j, f[0])};
              }).getResult(0);
          return SmallVector<Value>{
              tensor::InsertOp::create(b, l, found, st[0], ValueRange{i})};
        }).getResult(0);
    // The distinct items in first-occurrence order, and their number K.
    auto distinct = forLoop(rw, loc, cm, ValueRange{empty(idx), c0},
        [&](OpBuilder &b, Location l, Value i, ValueRange st) {
          Value f = tensor::ExtractOp::create(b, l, first, ValueRange{i});
          Value isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, f, i);
          auto taken = takeIf(b, l, isFirst, st, [&](OpBuilder &tb, Location tl) {
            return tensor::InsertOp::create(tb, tl, i, st[0], ValueRange{st[1]})
                .getResult();
          });
          return SmallVector<Value>(taken.getResults());
        });
    Value list = distinct.getResult(0), k = distinct.getResult(1);
    if (op.getSorted()) {
      // Bubble sort of list[0, K): M passes over adjacent pairs.
      list = forLoop(rw, loc, cm, ValueRange{list},
          [&](OpBuilder &b, Location l, Value, ValueRange st) {
            Value pairs = indexConst(b, l, std::max<int64_t>(m - 1, 0));
            return SmallVector<Value>{forLoop(b, l, pairs, st,
                [&](OpBuilder &pb, Location pl, Value j, ValueRange ps) {
                  Value j1 = arith::AddIOp::create(pb, pl, j, indexConst(pb, pl, 1));
                  Value inList = arith::CmpIOp::create(pb, pl, arith::CmpIPredicate::slt, j1, k);
                  auto swapped = scf::IfOp::create(pb, pl, inList,
                      [&](OpBuilder &tb, Location tl) {
                        Value a = tensor::ExtractOp::create(tb, tl, ps[0], ValueRange{j});
                        Value c = tensor::ExtractOp::create(tb, tl, ps[0], ValueRange{j1});
                        Value less = is(tb, tl, order(tb, tl, c, a), 1);
                        Value lo = arith::SelectOp::create(tb, tl, less, c, a);
                        Value hi = arith::SelectOp::create(tb, tl, less, a, c);
                        Value t = tensor::InsertOp::create(tb, tl, lo, ps[0], ValueRange{j});
                        t = tensor::InsertOp::create(tb, tl, hi, t, ValueRange{j1});
                        scf::YieldOp::create(tb, tl, ValueRange{t});
                      },
                      [&](OpBuilder &eb, Location el) {
                        scf::YieldOp::create(eb, el, ps);
                      });
                  return SmallVector<Value>(swapped.getResults());
                }).getResult(0)};
          }).getResult(0);
    }
    // rank[item] for the distinct items, their first indices, and Y.
    Value ybuf = tensor::EmptyOp::create(rw, loc, xT.getShape(), elt);
    auto ranked = forLoop(rw, loc, k, ValueRange{empty(idx), empty(i64), ybuf},
        [&](OpBuilder &b, Location l, Value p, ValueRange st) {
          Value item = tensor::ExtractOp::create(b, l, list, ValueRange{p});
          Value rank = tensor::InsertOp::create(b, l, p, st[0], ValueRange{item});
          Value ind = tensor::InsertOp::create(
              b, l, arith::IndexCastOp::create(b, l, i64, item), st[1], ValueRange{p});
          SmallVector<OpFoldResult> at(r, b.getIndexAttr(0));
          SmallVector<OpFoldResult> sizes, ones(r, b.getIndexAttr(1));
          for (int64_t d = 0; d < r; ++d)
            sizes.push_back(b.getIndexAttr(d == axis ? 1 : xT.getDimSize(d)));
          at[axis] = item;
          Value slice = tensor::ExtractSliceOp::create(b, l, x, at, sizes, ones);
          at[axis] = p;
          Value y = tensor::InsertSliceOp::create(b, l, slice, st[2], at, sizes, ones);
          return SmallVector<Value>{rank, ind, y};
        });
    Value rank = ranked.getResult(0);
    // inverse[m] = rank of its first occurrence; counts per rank.
    Value zeros = linalg::FillOp::create(
                      rw, loc, ValueRange{arith::ConstantOp::create(rw, loc, rw.getI64IntegerAttr(0))},
                      ValueRange{empty(i64)})
                      .getResult(0);
    auto inv = forLoop(rw, loc, cm, ValueRange{empty(i64), zeros},
        [&](OpBuilder &b, Location l, Value i, ValueRange st) {
          Value f = tensor::ExtractOp::create(b, l, first, ValueRange{i});
          Value p = tensor::ExtractOp::create(b, l, rank, ValueRange{f});
          Value pi = arith::IndexCastOp::create(b, l, i64, p);
          Value n = tensor::ExtractOp::create(b, l, st[1], ValueRange{p});
          n = arith::AddIOp::create(b, l, n, arith::ConstantOp::create(b, l, b.getI64IntegerAttr(1)));
          return SmallVector<Value>{
              tensor::InsertOp::create(b, l, pi, st[0], ValueRange{i}),
              tensor::InsertOp::create(b, l, n, st[1], ValueRange{p})};
        });
    rw.replaceOp(op, {boundedSlice(rw, loc, ranked.getResult(2), axis, k, m),
                      boundedSlice(rw, loc, ranked.getResult(1), 0, k, m),
                      inv.getResult(0),
                      boundedSlice(rw, loc, inv.getResult(1), 0, k, m)});
    return success();
  }

  /// `x` as [M, S]: the axis moved to the front (a transpose unless it is
  /// there), the rest flattened in row-major order.
  static Value itemMatrix(OpBuilder &b, Location loc, Value x, int64_t axis,
                          int64_t m, int64_t sz) {
    auto t = cast<RankedTensorType>(x.getType());
    if (axis != 0) {
      SmallVector<int64_t> perm = {axis}, shape = {t.getDimSize(axis)};
      for (int64_t d = 0; d < t.getRank(); ++d)
        if (d != axis) {
          perm.push_back(d);
          shape.push_back(t.getDimSize(d));
        }
      Value init = tensor::EmptyOp::create(b, loc, shape, t.getElementType());
      x = linalg::TransposeOp::create(b, loc, x, init, perm).getResult()[0];
    }
    return reshapeTensor(b, loc, x,
                         RankedTensorType::get({m, sz}, t.getElementType()), {});
  }
};

struct NonZeroPattern : GraphPattern<g::NonZeroOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::NonZeroOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!xT || !xT.hasStaticShape())
      return cannotLower(rw, op, "non_zero needs a static input shape");
    Location loc = op.getLoc();
    int64_t r = xT.getRank(), n = xT.getNumElements();
    Type i64 = rw.getI64Type();
    Value buf = tensor::EmptyOp::create(rw, loc, ArrayRef<int64_t>{r, n}, i64);
    Value zero = arith::ConstantOp::create(
        rw, loc, rw.getZeroAttr(xT.getElementType()));
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t d = 0; d < r; ++d) {
      lbs.push_back(indexConst(rw, loc, 0));
      ubs.push_back(indexConst(rw, loc, xT.getDimSize(d)));
      steps.push_back(indexConst(rw, loc, 1));
    }
    // Row-major order: the loop nest visits the elements as ONNX lists them.
    scf::LoopNest nest = scf::buildLoopNest(
        rw, loc, lbs, ubs, steps, ValueRange{buf, indexConst(rw, loc, 0)},
        [&](OpBuilder &b, Location l, ValueRange ivs,
            ValueRange state) -> scf::ValueVector {
          Value x = tensor::ExtractOp::create(b, l, adaptor.getX(), ivs);
          Value nz =
              isa<FloatType>(x.getType())
                  ? (Value)arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE,
                                                 x, zero)
                  : (Value)arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne,
                                                 x, zero);
          auto taken = takeIf(b, l, nz, state, [&](OpBuilder &tb, Location tl) {
            Value t = state[0];
            for (int64_t d = 0; d < r; ++d)
              t = tensor::InsertOp::create(
                  tb, tl, arith::IndexCastOp::create(tb, tl, i64, ivs[d]), t,
                  ValueRange{indexConst(tb, tl, d), state[1]});
            return t;
          });
          return {taken.getResult(0), taken.getResult(1)};
        });
    rw.replaceOp(op, boundedSlice(rw, loc, nest.results[0], 1,
                                  nest.results[1], n));
    return success();
  }
};

struct CompressPattern : GraphPattern<g::CompressOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::CompressOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    auto xT = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    auto cT = dyn_cast<RankedTensorType>(adaptor.getCondition().getType());
    if (!xT || !cT || !xT.hasStaticShape() || !cT.hasStaticShape())
      return cannotLower(rw, op, "compress needs static input and condition "
                                 "shapes");
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), cond = adaptor.getCondition();
    int64_t axis = 0;
    if (op.getAxis()) {
      axis = normalizedAxis(*op.getAxis(), xT.getRank());
    } else {
      // Without an axis the input is flattened.
      auto flat = RankedTensorType::get({xT.getNumElements()},
                                        xT.getElementType());
      x = reshapeTensor(rw, loc, x, flat, {});
      xT = flat;
    }
    int64_t r = xT.getRank();
    // Positions past the condition's end are not selected: at most
    // min(dim, len(condition)) slices, the bound of the result.
    int64_t steps = std::min(xT.getDimSize(axis), cT.getDimSize(0));
    SmallVector<int64_t> bufShape(xT.getShape());
    bufShape[axis] = steps;
    Value buf = tensor::EmptyOp::create(rw, loc, bufShape, xT.getElementType());
    auto loop = scf::ForOp::create(
        rw, loc, indexConst(rw, loc, 0), indexConst(rw, loc, steps),
        indexConst(rw, loc, 1), ValueRange{buf, indexConst(rw, loc, 0)},
        [&](OpBuilder &b, Location l, Value j, ValueRange state) {
          Value c = tensor::ExtractOp::create(b, l, cond, ValueRange{j});
          auto taken = takeIf(b, l, c, state, [&](OpBuilder &tb, Location tl) {
            // Slice j of the input becomes slice `count` of the result.
            SmallVector<OpFoldResult> at(r, tb.getIndexAttr(0));
            SmallVector<OpFoldResult> sizes, ones(r, tb.getIndexAttr(1));
            for (int64_t d = 0; d < r; ++d)
              sizes.push_back(tb.getIndexAttr(d == axis ? 1 : xT.getDimSize(d)));
            at[axis] = j;
            Value slice = tensor::ExtractSliceOp::create(tb, tl, x, at, sizes, ones);
            at[axis] = state[1];
            return tensor::InsertSliceOp::create(tb, tl, slice, state[0], at,
                                                 sizes, ones)
                .getResult();
          });
          scf::YieldOp::create(b, l, taken.getResults());
        });
    rw.replaceOp(op, boundedSlice(rw, loc, loop.getResult(0), axis,
                                  loop.getResult(1), steps));
    return success();
  }
};

} // namespace

void mnemo::lowering::populateDataDependentPatterns(const TypeConverter &tc,
                                                    RewritePatternSet &p) {
  p.add<NonZeroPattern, CompressPattern, NonMaxSuppressionPattern,
        UniquePattern>(tc, p.getContext());
}
