//===- KVCache.cpp - graph.kv_cache_write/read to tensor slices -----------===//
//
// The cache is a function argument. Writes are tensor.insert_slice into it
// (scf.for over the new tokens where a token's place depends on a table or
// a quantization group), which one-shot bufferization performs in place in
// the caller's buffer: the step writes S tokens, not a copy of the cache.
// Reads are a slice (head-major: a view, no copy) or a generic that
// assembles [B, H, length, D] (token-major transposes, paged gathers
// through the block table, int8 dequantizes).
//
// Positions are clamped into the cache, so a bad position cannot write
// outside the caller's buffer; mnemo-run refuses such positions before the
// call.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

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
  auto tt = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> zeros(tt.getRank(), 0);
  return toIndex(b, loc, extractScalar(b, loc, t, zeros));
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

/// round(x / scale) clamped to [-127, 127], as i8.
Value quantize(OpBuilder &b, Location loc, Value x, Value scale) {
  Type elt = x.getType();
  Value q = math::RoundEvenOp::create(
      b, loc, arith::DivFOp::create(b, loc, x, scale));
  q = arith::MinimumFOp::create(b, loc, q, scalarConst(b, loc, elt, 127.0));
  q = arith::MaximumFOp::create(b, loc, q, scalarConst(b, loc, elt, -127.0));
  return arith::FPToSIOp::create(b, loc, b.getI8Type(), q);
}

/// max over dim 2 of |x| ([B, H, n, D] -> [B, H, 1, D]) or over dim 3
/// (-> [B, H, n, 1]).
Value absMaxOver(OpBuilder &b, Location loc, Value x, int64_t dim) {
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes[dim] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(xt.getShape());
  shape[dim] = 1;
  auto outT = RankedTensorType::get(shape, xt.getElementType());
  Value init = filledTensor(b, loc, outT, sizes,
                            scalarConst(b, loc, xt.getElementType(), 0.0));
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < 4; ++i)
    outExprs.push_back(i == dim ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(i, ctx));
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  iters[dim] = IteratorType::reduction;
  return buildGeneric(
      b, loc, x, init,
      {AffineMap::getMultiDimIdentityMap(4, ctx),
       AffineMap::get(4, 0, outExprs, ctx)},
      iters, [](OpBuilder &bb, Location l, ValueRange a) {
        Value m = math::AbsFOp::create(bb, l, a[0]);
        return Value(arith::MaximumFOp::create(bb, l, m, a[1]));
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
    int64_t d = data.getDimSize(3);
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
      int64_t grp = op.getGroup();
      Type elt = ut.getElementType();
      auto loop = scf::ForOp::create(
          rw, loc, zero, sV, one, caches,
          [&](OpBuilder &b, Location l, Value i, ValueRange args) {
            Value t = arith::AddIOp::create(b, l, p, i);
            Value gIdx = arith::DivSIOp::create(b, l, t, cIdx(b, l, grp));
            Value j = arith::RemSIOp::create(b, l, t, cIdx(b, l, grp));
            Value n = arith::AddIOp::create(b, l, j, cIdx(b, l, 1));
            SmallVector<OpFoldResult> row = {b.getIndexAttr(bDim),
                                             b.getIndexAttr(h), o,
                                             b.getIndexAttr(d)};
            Value tok = tensor::ExtractSliceOp::create(
                b, l, RankedTensorType::get({bDim, h, 1, d}, elt), upd,
                idx(b, {z, z, i, z}), row, ones);
            Value group = tensor::InsertSliceOp::create(
                b, l, tok, args[2], idx(b, {z, z, j, z}), row, ones);
            SmallVector<OpFoldResult> filled = {b.getIndexAttr(bDim),
                                                b.getIndexAttr(h), n,
                                                b.getIndexAttr(d)};
            Value rows = tensor::ExtractSliceOp::create(
                b, l, RankedTensorType::get({bDim, h, ShapedType::kDynamic, d}, elt),
                group, idx(b, {z, z, z, z}), filled, ones);
            Value scale = int8ScalesOver(b, l, rows, 2);
            Value q = quantizeWith(b, l, rows, scale, 2);
            Value start = arith::MulIOp::create(b, l, gIdx, cIdx(b, l, grp));
            Value q2 = tensor::InsertSliceOp::create(
                b, l, q, args[0], idx(b, {z, z, start, z}), filled, ones);
            Value s2 = tensor::InsertSliceOp::create(
                b, l, scale, args[1], idx(b, {z, z, gIdx, z}), row, ones);
            scf::YieldOp::create(b, l, ValueRange{q2, s2, group});
          });
      rw.replaceOp(op, loop.getResults());
      return success();
    }
    return rw.notifyMatchFailure(op, "unknown layout");
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
    // paged and int8 assemble [B, H, len, D] element by element.
    Value init = emptyTensor(rw, loc, outT, outSizes);
    MLIRContext *ctx = rw.getContext();
    int64_t bs = op.getBlockSize(), grp = op.getGroup();
    bool paged = layout == "paged", isKey = op.getKind() == "key";
    Value table = adaptor.getBlockTable();
    Value r = buildGeneric(
        rw, loc, ValueRange{}, init, {AffineMap::getMultiDimIdentityMap(4, ctx)},
        SmallVector<IteratorType>(4, IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          Value bi = linalg::IndexOp::create(b, l, 0);
          Value hi = linalg::IndexOp::create(b, l, 1);
          Value ti = linalg::IndexOp::create(b, l, 2);
          Value di = linalg::IndexOp::create(b, l, 3);
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
