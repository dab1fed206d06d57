//===- KVCache.cpp - graph.kv_cache_write/read to tensor slices -----------===//
//
// The cache is a function argument. Writes are tensor.insert_slice into it
// (scf.for over the new tokens where a token's place depends on a table or
// a quantization group), which one-shot bufferization performs in place in
// the caller's buffer: the step writes S tokens, not a copy of the cache.
// Reads are a slice (head-major: a view, no copy) or a generic that
// assembles [B, H, length, D] (token-major transposes, paged gathers
// through the block table, int8 and kivi2 dequantize).
//
// Positions are clamped into the cache, so a bad position cannot write
// outside the caller's buffer; mnemo-run refuses such positions before the
// call.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

using utils::IteratorType;

Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// min(max(v, lo), hi) on index values.
Value clampIdx(OpBuilder &b, Location loc, Value v, Value lo, Value hi) {
  Value upper = arith::MinSIOp::create(b, loc, v, hi);
  return arith::MaxSIOp::create(b, loc, upper, lo);
}

/// The first element of a one-element integer tensor, as an index.
Value scalarIndex(OpBuilder &b, Location loc, Value t) {
  return toIndex(b, loc, firstElement(b, loc, t));
}

/// Positions a cache of `layout` holds.
int64_t positionsOf(StringRef layout, RankedTensorType data) {
  if (layout == "token-major")
    return data.getDimSize(1);
  if (layout == "paged")
    return data.getDimSize(0) * data.getDimSize(2);
  return data.getDimSize(2);
}

/// The block holding position `t` of a paged cache, clamped into the pool.
Value pagedBlock(OpBuilder &b, Location loc, Value table, Value t,
                 int64_t blockSize, int64_t numBlocks) {
  auto tt = cast<RankedTensorType>(table.getType());
  Value slot = arith::DivSIOp::create(b, loc, t, cIdx(b, loc, blockSize));
  slot = clampIdx(b, loc, slot, cIdx(b, loc, 0),
                  cIdx(b, loc, tt.getDimSize(0) - 1));
  Value blk = toIndex(b, loc, tensor::ExtractOp::create(b, loc, table, slot));
  return clampIdx(b, loc, blk, cIdx(b, loc, 0), cIdx(b, loc, numBlocks - 1));
}

SmallVector<OpFoldResult> idx(OpBuilder &b, ArrayRef<OpFoldResult> v) {
  return SmallVector<OpFoldResult>(v);
}

/// A generic writing every element of the 4-d `init` from its indices
/// alone (b, h, t, d), as the quantized and paged layouts' reads and the
/// kivi2 packing do.
Value buildIndexed(OpBuilder &b, Location loc, Value init,
                   function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)>
                       element) {
  return buildGeneric(
      b, loc, ValueRange{}, init,
      {AffineMap::getMultiDimIdentityMap(4, b.getContext())},
      SmallVector<IteratorType>(4, IteratorType::parallel),
      [&](OpBuilder &bb, Location l, ValueRange) -> Value {
        SmallVector<Value> at;
        for (int64_t i = 0; i < 4; ++i)
          at.push_back(linalg::IndexOp::create(bb, l, i));
        return element(bb, l, at);
      });
}

/// round(x / scale) clamped to [-127, 127], as i8.
Value quantize(OpBuilder &b, Location loc, Value x, Value scale) {
  Type elt = x.getType();
  Value q = math::RoundEvenOp::create(
      b, loc, arith::DivFOp::create(b, loc, x, scale));
  q = arith::MinimumFOp::create(b, loc, q, scalarConst(b, loc, elt, 127.0));
  q = arith::MaximumFOp::create(b, loc, q, scalarConst(b, loc, elt, -127.0));
  return arith::FPToSIOp::create(b, loc, b.getI8Type(), q);
}

/// A reduction of x over `dim` ([B, H, n, D] -> [B, H, 1, D] for dim 2,
/// -> [B, H, n, 1] for dim 3) by `combine`, starting from `init`.
Value reduceOver(OpBuilder &b, Location loc, Value x, int64_t dim, double init,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes[dim] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(xt.getShape());
  shape[dim] = 1;
  auto outT = RankedTensorType::get(shape, xt.getElementType());
  Value initT = filledTensor(b, loc, outT, sizes,
                             scalarConst(b, loc, xt.getElementType(), init));
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < 4; ++i)
    outExprs.push_back(i == dim ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(i, ctx));
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  iters[dim] = IteratorType::reduction;
  return buildGeneric(
      b, loc, x, initT,
      {AffineMap::getMultiDimIdentityMap(4, ctx),
       AffineMap::get(4, 0, outExprs, ctx)},
      iters, [&](OpBuilder &bb, Location l, ValueRange a) {
        return combine(bb, l, a[0], a[1]);
      });
}

/// max over `dim` of |x| (see reduceOver).
Value absMaxOver(OpBuilder &b, Location loc, Value x, int64_t dim) {
  return reduceOver(b, loc, x, dim, 0.0,
                    [](OpBuilder &bb, Location l, Value v, Value acc) {
                      Value m = math::AbsFOp::create(bb, l, v);
                      return Value(arith::MaximumFOp::create(bb, l, m, acc));
                    });
}

/// The symmetric int8 scales of `x` over `dim` (see absMaxOver): max |x|
/// / 127, never 0, so 0/0 cannot appear.
Value int8ScalesOver(OpBuilder &b, Location loc, Value x, int64_t dim) {
  Value amax = absMaxOver(b, loc, x, dim);
  return buildElementwise(
      b, loc, cast<RankedTensorType>(amax.getType()), amax,
      [](OpBuilder &bb, Location l, ValueRange a) {
        Type elt = a[0].getType();
        Value s = arith::DivFOp::create(bb, l, a[0],
                                        scalarConst(bb, l, elt, 127.0));
        return Value(arith::MaximumFOp::create(
            bb, l, s, scalarConst(bb, l, elt, 1e-30)));
      },
      tensor::getMixedSizes(b, loc, amax));
}

/// Elementwise `q = quantize(x, scale)` with `scale` broadcast along
/// `bcastDim` of x.
Value quantizeWith(OpBuilder &b, Location loc, Value x, Value scale,
                   int64_t bcastDim) {
  auto xt = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> sExprs;
  for (int64_t i = 0; i < 4; ++i)
    sExprs.push_back(i == bcastDim ? getAffineConstantExpr(0, ctx)
                                   : getAffineDimExpr(i, ctx));
  auto id = AffineMap::getMultiDimIdentityMap(4, ctx);
  Value init = emptyTensor(b, loc, RankedTensorType::get(xt.getShape(), b.getI8Type()),
                           tensor::getMixedSizes(b, loc, x));
  return buildGeneric(b, loc, ValueRange{x, scale}, init,
                      {id, AffineMap::get(4, 0, sExprs, ctx), id},
                      SmallVector<IteratorType>(4, IteratorType::parallel),
                      [](OpBuilder &bb, Location l, ValueRange a) {
                        return quantize(bb, l, a[0], a[1]);
                      });
}

/// KIVI's asymmetric 2-bit parameters of `x` over `dim`: the minimum and
/// scale = (max - min) / 3, never 0.
std::pair<Value, Value> kivi2ParamsOver(OpBuilder &b, Location loc, Value x,
                                        int64_t dim) {
  Value mn = reduceOver(b, loc, x, dim, std::numeric_limits<double>::infinity(),
                        [](OpBuilder &bb, Location l, Value v, Value acc) {
                          return Value(arith::MinimumFOp::create(bb, l, v, acc));
                        });
  Value mx = reduceOver(b, loc, x, dim, -std::numeric_limits<double>::infinity(),
                        [](OpBuilder &bb, Location l, Value v, Value acc) {
                          return Value(arith::MaximumFOp::create(bb, l, v, acc));
                        });
  Value scale = buildElementwise(
      b, loc, cast<RankedTensorType>(mn.getType()), ValueRange{mx, mn},
      [](OpBuilder &bb, Location l, ValueRange a) {
        Type elt = a[0].getType();
        Value range = arith::SubFOp::create(bb, l, a[0], a[1]);
        Value sc = arith::DivFOp::create(bb, l, range,
                                         scalarConst(bb, l, elt, 3.0));
        return Value(arith::MaximumFOp::create(
            bb, l, sc, scalarConst(bb, l, elt, 1e-30)));
      },
      tensor::getMixedSizes(b, loc, mn));
  return {scale, mn};
}

/// The index of the scale/minimum that element (bi, hi, ti, di) of a
/// kivi2 cache uses: keys per channel over a group (`ti` then indexes the
/// groups), values per token (`ti` the token).
SmallVector<Value> kivi2ParamIndex(OpBuilder &b, Location l, bool isKey,
                                   Value bi, Value hi, Value ti, Value di) {
  if (isKey)
    return {bi, hi, ti, di};
  return {bi, hi, ti, cIdx(b, l, 0)};
}

/// The codes of `rows` [B, H, n, D] as [B, H, n, D / 4] bytes, four 2-bit
/// codes per byte (code k in bits 2k..2k+1): clamp(round((x - min) /
/// scale), 0, 3), with the parameters of one key group ([B, H, 1, D]) or
/// of each value token ([B, H, n, 1]).
Value kivi2Pack(OpBuilder &b, Location loc, Value rows, Value scale, Value mn,
                bool isKey) {
  auto rt = cast<RankedTensorType>(rows.getType());
  int64_t d = rt.getDimSize(3);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, rows);
  sizes[3] = b.getIndexAttr(d / 4);
  SmallVector<int64_t> shape(rt.getShape());
  shape[3] = d / 4;
  Value init = emptyTensor(b, loc, RankedTensorType::get(shape, b.getI8Type()),
                           sizes);
  return buildIndexed(
      b, loc, init,
      [&](OpBuilder &bb, Location l, ArrayRef<Value> at) -> Value {
        Value bi = at[0], hi = at[1], ti = at[2], ci = at[3];
        Type elt = rt.getElementType();
        Type i32 = bb.getI32Type();
        Value byte = arith::ConstantIntOp::create(bb, l, i32, 0);
        Value pti = isKey ? cIdx(bb, l, 0) : ti;
        for (int64_t k = 0; k < 4; ++k) {
          Value di = arith::AddIOp::create(
              bb, l, arith::MulIOp::create(bb, l, ci, cIdx(bb, l, 4)),
              cIdx(bb, l, k));
          Value x = tensor::ExtractOp::create(bb, l, rows,
                                              ValueRange{bi, hi, ti, di});
          auto param = kivi2ParamIndex(bb, l, isKey, bi, hi, pti, di);
          Value sc = tensor::ExtractOp::create(bb, l, scale, param);
          Value m = tensor::ExtractOp::create(bb, l, mn, param);
          Value q = math::RoundEvenOp::create(
              bb, l,
              arith::DivFOp::create(bb, l, arith::SubFOp::create(bb, l, x, m),
                                    sc));
          q = arith::MinimumFOp::create(bb, l, q, scalarConst(bb, l, elt, 3.0));
          q = arith::MaximumFOp::create(bb, l, q, scalarConst(bb, l, elt, 0.0));
          Value c = arith::FPToSIOp::create(bb, l, i32, q);
          c = arith::ShLIOp::create(
              bb, l, c, arith::ConstantIntOp::create(bb, l, i32, 2 * k));
          byte = arith::OrIOp::create(bb, l, byte, c);
        }
        return arith::TruncIOp::create(bb, l, bb.getI8Type(), byte);
      });
}

/// One token's step of a grouped layout's write (int8 keys, kivi2): where
/// the token lands and the filled part of its group.
struct GroupStep {
  Value t;              // the token's position
  Value gIdx, start, n; // group index, its first position, rows filled
  Value tok;            // [B, H, 1, D]: the token
  Value rows;           // [B, H, n, D]: the filled part of the group
  Value group;          // the updated full-precision group (yielded last)
};

/// The writes of the grouped layouts, token by token (t = p + i): the
/// token goes into the full-precision group (the last cache) at t % G,
/// and `quantize` re-quantizes the group's filled part into the other
/// caches, returning them updated.
ValueRange groupedWrite(
    OpBuilder &rw, Location loc, ValueRange caches, Value upd, Value p,
    Value s, int64_t grp, int64_t bDim, int64_t h, int64_t d,
    function_ref<SmallVector<Value>(OpBuilder &, Location, const GroupStep &,
                                    ValueRange)>
        quantize) {
  Type elt = cast<RankedTensorType>(upd.getType()).getElementType();
  OpFoldResult z = rw.getIndexAttr(0), o = rw.getIndexAttr(1);
  SmallVector<OpFoldResult> ones(4, o);
  auto loop = scf::ForOp::create(
      rw, loc, cIdx(rw, loc, 0), s, cIdx(rw, loc, 1), caches,
      [&](OpBuilder &b, Location l, Value i, ValueRange args) {
        GroupStep st;
        Value t = st.t = arith::AddIOp::create(b, l, p, i);
        st.gIdx = arith::DivSIOp::create(b, l, t, cIdx(b, l, grp));
        Value j = arith::RemSIOp::create(b, l, t, cIdx(b, l, grp));
        st.n = arith::AddIOp::create(b, l, j, cIdx(b, l, 1));
        st.start = arith::MulIOp::create(b, l, st.gIdx, cIdx(b, l, grp));
        SmallVector<OpFoldResult> row = {b.getIndexAttr(bDim),
                                         b.getIndexAttr(h), o,
                                         b.getIndexAttr(d)};
        st.tok = tensor::ExtractSliceOp::create(
            b, l, RankedTensorType::get({bDim, h, 1, d}, elt), upd,
            idx(b, {z, z, i, z}), row, ones);
        st.group = tensor::InsertSliceOp::create(
            b, l, st.tok, args.back(), idx(b, {z, z, j, z}), row, ones);
        SmallVector<OpFoldResult> filled = {b.getIndexAttr(bDim),
                                            b.getIndexAttr(h), st.n,
                                            b.getIndexAttr(d)};
        st.rows = tensor::ExtractSliceOp::create(
            b, l, RankedTensorType::get({bDim, h, ShapedType::kDynamic, d}, elt),
            st.group, idx(b, {z, z, z, z}), filled, ones);
        SmallVector<Value> out = quantize(b, l, st, args.drop_back());
        out.push_back(st.group);
        scf::YieldOp::create(b, l, out);
      });
  return loop.getResults();
}

struct KVCacheWritePattern : GraphPattern<g::KVCacheWriteOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::KVCacheWriteOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    SmallVector<Value> caches(adaptor.getCaches());
    auto data = cast<RankedTensorType>(caches[0].getType());
    StringRef layout = op.getLayout();
    int64_t m = positionsOf(layout, data);
    Value upd = adaptor.getUpdate();
    auto ut = cast<RankedTensorType>(upd.getType());
    // The update as [B, H, S, D] with the cache's static B, H, D.
    int64_t bDim = layout == "paged" ? 1 : data.getDimSize(0);
    int64_t h = layout == "token-major" ? data.getDimSize(2) : data.getDimSize(1);
    // kivi2 packs four codes per byte along D.
    int64_t d = data.getDimSize(3) * (layout == "kivi2" ? 4 : 1);
    auto updT = RankedTensorType::get({bDim, h, ut.getDimSize(2), d},
                                      ut.getElementType());
    if (updT != ut)
      upd = tensor::CastOp::create(rw, loc, updT, upd);
    OpFoldResult s = tensor::getMixedSize(rw, loc, upd, 2);
    Value sV = getValueOrCreateConstantIndexOp(rw, loc, s);
    Value zero = cIdx(rw, loc, 0), one = cIdx(rw, loc, 1);
    Value p = clampIdx(rw, loc, scalarIndex(rw, loc, adaptor.getPosition()),
                       zero,
                       arith::SubIOp::create(rw, loc, cIdx(rw, loc, m), sV));
    OpFoldResult z = rw.getIndexAttr(0), o = rw.getIndexAttr(1);
    SmallVector<OpFoldResult> ones(4, o);

    if (layout == "head-major") {
      Value r = tensor::InsertSliceOp::create(
          rw, loc, upd, caches[0], idx(rw, {z, z, p, z}),
          idx(rw, {rw.getIndexAttr(bDim), rw.getIndexAttr(h), s,
                   rw.getIndexAttr(d)}),
          ones);
      rw.replaceOp(op, r);
      return success();
    }
    if (layout == "token-major") {
      Value init = emptyTensor(
          rw, loc, RankedTensorType::get({bDim, updT.getDimSize(2), h, d},
                                         ut.getElementType()),
          {rw.getIndexAttr(bDim), s, rw.getIndexAttr(h), rw.getIndexAttr(d)});
      Value tr = linalg::TransposeOp::create(rw, loc, upd, init,
                                             ArrayRef<int64_t>{0, 2, 1, 3})
                     ->getResult(0);
      Value r = tensor::InsertSliceOp::create(
          rw, loc, tr, caches[0], idx(rw, {z, p, z, z}),
          idx(rw, {rw.getIndexAttr(bDim), s, rw.getIndexAttr(h),
                   rw.getIndexAttr(d)}),
          ones);
      rw.replaceOp(op, r);
      return success();
    }
    if (layout == "paged") {
      // One token at a time: consecutive positions may sit in different
      // blocks.
      int64_t bs = op.getBlockSize(), nb = data.getDimSize(0);
      Value table = adaptor.getBlockTable();
      auto loop = scf::ForOp::create(
          rw, loc, zero, sV, one, ValueRange{caches[0]},
          [&](OpBuilder &b, Location l, Value i, ValueRange args) {
            Value t = arith::AddIOp::create(b, l, p, i);
            Value blk = pagedBlock(b, l, table, t, bs, nb);
            Value off = arith::RemSIOp::create(b, l, t, cIdx(b, l, bs));
            SmallVector<OpFoldResult> row = {o, b.getIndexAttr(h), o,
                                             b.getIndexAttr(d)};
            Value tok = tensor::ExtractSliceOp::create(
                b, l, RankedTensorType::get({1, h, 1, d}, ut.getElementType()),
                upd, idx(b, {z, z, i, z}), row, ones);
            Value r = tensor::InsertSliceOp::create(
                b, l, tok, args[0], idx(b, {blk, z, off, z}), row, ones);
            scf::YieldOp::create(b, l, r);
          });
      rw.replaceOp(op, loop.getResults());
      return success();
    }
    if (layout == "int8" && op.getKind() == "value") {
      // Per token: scale = max_d |v| / 127.
      Value scale = int8ScalesOver(rw, loc, upd, 3);
      Value q = quantizeWith(rw, loc, upd, scale, 3);
      SmallVector<OpFoldResult> qs = {rw.getIndexAttr(bDim), rw.getIndexAttr(h),
                                      s, rw.getIndexAttr(d)};
      SmallVector<OpFoldResult> ss = {rw.getIndexAttr(bDim), rw.getIndexAttr(h),
                                      s, o};
      Value q2 = tensor::InsertSliceOp::create(rw, loc, q, caches[0],
                                               idx(rw, {z, z, p, z}), qs, ones);
      Value s2 = tensor::InsertSliceOp::create(rw, loc, scale, caches[1],
                                               idx(rw, {z, z, p, z}), ss, ones);
      rw.replaceOp(op, ValueRange{q2, s2});
      return success();
    }
    if (layout == "int8") {
      // Keys, per channel over groups of G tokens: the group being filled
      // is kept in f32 and re-quantized whole at every token, so a step
      // writes at most G x H x D bytes whatever the length.
      SmallVector<OpFoldResult> row = {rw.getIndexAttr(bDim),
                                       rw.getIndexAttr(h), o,
                                       rw.getIndexAttr(d)};
      rw.replaceOp(op, groupedWrite(
                           rw, loc, caches, upd, p, sV, op.getGroup(), bDim, h,
                           d,
                           [&](OpBuilder &b, Location l, const GroupStep &st,
                               ValueRange args) -> SmallVector<Value> {
                             Value scale = int8ScalesOver(b, l, st.rows, 2);
                             Value q = quantizeWith(b, l, st.rows, scale, 2);
                             return {tensor::InsertSliceOp::create(
                                         b, l, q, args[0],
                                         idx(b, {z, z, st.start, z}),
                                         tensor::getMixedSizes(b, l, q), ones),
                                     tensor::InsertSliceOp::create(
                                         b, l, scale, args[1],
                                         idx(b, {z, z, st.gIdx, z}), row,
                                         ones)};
                           }));
      return success();
    }
    if (layout == "kivi2") {
      // The group being filled is kept in full precision (and read from
      // there). Keys, per channel over the group, are re-quantized whole at
      // every token like int8 keys, so the group is final when its last
      // token lands; values, per token, quantize only the new one.
      bool isKey = op.getKind() == "key";
      OpFoldResult bA = rw.getIndexAttr(bDim), hA = rw.getIndexAttr(h);
      rw.replaceOp(
          op, groupedWrite(
                  rw, loc, caches, upd, p, sV, op.getGroup(), bDim, h, d,
                  [&](OpBuilder &b, Location l, const GroupStep &st,
                      ValueRange args) -> SmallVector<Value> {
                    Value rows = isKey ? st.rows : st.tok;
                    Value first = isKey ? st.start : st.t;
                    auto [scale, mn] = kivi2ParamsOver(b, l, rows, isKey ? 2 : 3);
                    Value codes = kivi2Pack(b, l, rows, scale, mn, isKey);
                    Value q2 = tensor::InsertSliceOp::create(
                        b, l, codes, args[0], idx(b, {z, z, first, z}),
                        tensor::getMixedSizes(b, l, codes), ones);
                    // Key parameters: one row per group; value parameters:
                    // the token's.
                    SmallVector<OpFoldResult> at =
                        idx(b, {z, z, isKey ? st.gIdx : st.t, z});
                    SmallVector<OpFoldResult> pSizes = {
                        bA, hA, o, isKey ? b.getIndexAttr(d) : o};
                    return {q2,
                            tensor::InsertSliceOp::create(b, l, scale, args[1],
                                                          at, pSizes, ones),
                            tensor::InsertSliceOp::create(b, l, mn, args[2],
                                                          at, pSizes, ones)};
                  }));
      return success();
    }
    return cannotLower(rw, op, "unknown layout");
  }
};

struct KVCacheReadPattern : GraphPattern<g::KVCacheReadOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::KVCacheReadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    SmallVector<Value> caches(adaptor.getCaches());
    auto data = cast<RankedTensorType>(caches[0].getType());
    StringRef layout = op.getLayout();
    RankedTensorType outT = resultType(op);
    int64_t m = positionsOf(layout, data);
    Value len = clampIdx(rw, loc, scalarIndex(rw, loc, adaptor.getLength()),
                         cIdx(rw, loc, 0), cIdx(rw, loc, m));
    OpFoldResult z = rw.getIndexAttr(0), o = rw.getIndexAttr(1);
    SmallVector<OpFoldResult> ones(4, o);
    int64_t bDim = outT.getDimSize(0), h = outT.getDimSize(1),
            d = outT.getDimSize(3);
    SmallVector<OpFoldResult> outSizes = {rw.getIndexAttr(bDim),
                                          rw.getIndexAttr(h), len,
                                          rw.getIndexAttr(d)};
    if (layout == "head-major") {
      rw.replaceOp(op, tensor::ExtractSliceOp::create(
                           rw, loc, outT, caches[0], idx(rw, {z, z, z, z}),
                           outSizes, ones)
                           .getResult());
      return success();
    }
    if (layout == "token-major") {
      Value past = tensor::ExtractSliceOp::create(
          rw, loc,
          RankedTensorType::get({bDim, ShapedType::kDynamic, h, d},
                                outT.getElementType()),
          caches[0], idx(rw, {z, z, z, z}),
          idx(rw, {rw.getIndexAttr(bDim), len, rw.getIndexAttr(h),
                   rw.getIndexAttr(d)}),
          ones);
      Value init = emptyTensor(rw, loc, outT, outSizes);
      rw.replaceOp(op, linalg::TransposeOp::create(rw, loc, past, init,
                                                   ArrayRef<int64_t>{0, 2, 1, 3})
                           ->getResults());
      return success();
    }
    // paged, int8 and kivi2 assemble [B, H, len, D] element by element.
    Value init = emptyTensor(rw, loc, outT, outSizes);
    int64_t bs = op.getBlockSize(), grp = op.getGroup();
    bool paged = layout == "paged", isKey = op.getKind() == "key";
    Value table = adaptor.getBlockTable();
    if (layout == "kivi2") {
      // Positions from `base` on are the group being filled: exact.
      Value last = arith::SubIOp::create(rw, loc, len, cIdx(rw, loc, 1));
      Value base = arith::MulIOp::create(
          rw, loc,
          arith::DivSIOp::create(
              rw, loc, arith::MaxSIOp::create(rw, loc, last, cIdx(rw, loc, 0)),
              cIdx(rw, loc, grp)),
          cIdx(rw, loc, grp));
      Value r = buildIndexed(
          rw, loc, init,
          [&](OpBuilder &b, Location l, ArrayRef<Value> at) -> Value {
            Value bi = at[0], hi = at[1], ti = at[2], di = at[3];
            Type i32 = b.getI32Type(), elt = outT.getElementType();
            Value byte = tensor::ExtractOp::create(
                b, l, caches[0],
                ValueRange{bi, hi, ti,
                           arith::DivSIOp::create(b, l, di, cIdx(b, l, 4))});
            Value shift = arith::IndexCastOp::create(
                b, l, i32,
                arith::MulIOp::create(
                    b, l, arith::RemSIOp::create(b, l, di, cIdx(b, l, 4)),
                    cIdx(b, l, 2)));
            Value code = arith::AndIOp::create(
                b, l,
                arith::ShRUIOp::create(b, l,
                                       arith::ExtUIOp::create(b, l, i32, byte),
                                       shift),
                arith::ConstantIntOp::create(b, l, i32, 3));
            Value pti =
                isKey ? Value(arith::DivSIOp::create(b, l, ti, cIdx(b, l, grp)))
                      : ti;
            auto param = kivi2ParamIndex(b, l, isKey, bi, hi, pti, di);
            Value sc = tensor::ExtractOp::create(b, l, caches[1], param);
            Value mn = tensor::ExtractOp::create(b, l, caches[2], param);
            Value deq = arith::AddFOp::create(
                b, l,
                arith::MulFOp::create(
                    b, l, arith::SIToFPOp::create(b, l, elt, code), sc),
                mn);
            Value off = clampIdx(b, l, arith::SubIOp::create(b, l, ti, base),
                                 cIdx(b, l, 0), cIdx(b, l, grp - 1));
            Value exact = tensor::ExtractOp::create(
                b, l, caches[3], ValueRange{bi, hi, off, di});
            Value recent = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::sge, ti, base);
            return arith::SelectOp::create(b, l, recent, exact, deq);
          });
      rw.replaceOp(op, r);
      return success();
    }
    Value r = buildIndexed(
        rw, loc, init,
        [&](OpBuilder &b, Location l, ArrayRef<Value> at) -> Value {
          Value bi = at[0], hi = at[1], ti = at[2], di = at[3];
          if (paged) {
            Value blk = pagedBlock(b, l, table, ti, bs, data.getDimSize(0));
            Value off = arith::RemSIOp::create(b, l, ti, cIdx(b, l, bs));
            return tensor::ExtractOp::create(b, l, caches[0],
                                             ValueRange{blk, hi, off, di});
          }
          Value q = tensor::ExtractOp::create(b, l, caches[0],
                                              ValueRange{bi, hi, ti, di});
          Value x = arith::SIToFPOp::create(b, l, outT.getElementType(), q);
          Value scale =
              isKey ? tensor::ExtractOp::create(
                          b, l, caches[1],
                          ValueRange{bi, hi,
                                     arith::DivSIOp::create(b, l, ti,
                                                            cIdx(b, l, grp)),
                                     di})
                          .getResult()
                    : tensor::ExtractOp::create(b, l, caches[1],
                                                ValueRange{bi, hi, ti,
                                                           cIdx(b, l, 0)})
                          .getResult();
          return arith::MulFOp::create(b, l, x, scale);
        });
    rw.replaceOp(op, r);
    return success();
  }
};

} // namespace

void mnemo::lowering::populateKVCachePatterns(const TypeConverter &tc,
                                              RewritePatternSet &p) {
  p.add<KVCacheWritePattern, KVCacheReadPattern>(tc, p.getContext());
}
