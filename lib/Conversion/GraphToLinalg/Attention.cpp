//===- Attention.cpp - graph.attention to a tiled online softmax ----------===//
//
// FlashAttention's form on tensors: an scf.for over query tiles, and inside
// it an scf.for over key tiles that carries the running row maximum `m`,
// the running sum `l` and the unnormalized output `acc`:
//
//   s    = scale * q_tile x k_tile, masked          [lead.., br, bc]
//   m'   = max(m, rowmax(s))
//   p    = exp(s - m')
//   l'   = l * exp(m - m') + rowsum(p)
//   acc' = acc * exp(m - m') + p x v_tile
//
// and the tile's output is acc / l. Only one br x bc score tile exists at a
// time, instead of the M x N scores and probabilities of the op-by-op
// lowering. Leading (batch, head) dims stay whole inside a tile; the fusion
// pass only builds graph.attention when they are static.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mnemo/Memory/Planning/TileAttrs.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

using utils::IteratorType;

/// Indexing map of `t` in a loop nest of `numLoops` dims: operand dim i
/// reads loop dim `dims[i]`, or 0 where `dims[i]` is -1 (broadcast).
AffineMap operandMap(MLIRContext *ctx, int64_t numLoops,
                     ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dims)
    exprs.push_back(d < 0 ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(d, ctx));
  return AffineMap::get(numLoops, 0, exprs, ctx);
}

/// Loop dims read by an operand whose leading dims align with the first
/// `lead` loops (static 1s broadcast against `outLead`) and whose trailing
/// dims read `tail` (a static 1 there broadcasts too). Operands of lower
/// rank are right-aligned, as numpy broadcasting does.
SmallVector<int64_t> operandDims(RankedTensorType t, ArrayRef<int64_t> outLead,
                                 ArrayRef<int64_t> tail) {
  int64_t rank = t.getRank(), lead = outLead.size();
  int64_t off = lead + (int64_t)tail.size() - rank;
  SmallVector<int64_t> dims;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t j = i + off; // position in [lead.., tail..]
    bool one = t.getDimSize(i) == 1;
    if (j < lead)
      dims.push_back(one && outLead[j] != 1 ? -1 : j);
    else
      dims.push_back(one ? -1 : tail[j - lead]);
  }
  return dims;
}

SmallVector<IteratorType> iterators(int64_t parallel, int64_t reduction) {
  SmallVector<IteratorType> it(parallel, IteratorType::parallel);
  it.append(reduction, IteratorType::reduction);
  return it;
}

/// `size` clamped to the rest of `extent` after `iv`; a constant when the
/// tile divides a static extent.
OpFoldResult tileSize(OpBuilder &b, Location loc, OpFoldResult extent,
                      int64_t tile, Value iv) {
  std::optional<int64_t> e = getConstantIntValue(extent);
  if (e && *e % tile == 0)
    return b.getIndexAttr(tile);
  Value ext = getValueOrCreateConstantIndexOp(b, loc, extent);
  Value rest = arith::SubIOp::create(b, loc, ext, iv);
  Value t = arith::ConstantIndexOp::create(b, loc, tile);
  return arith::MinSIOp::create(b, loc, t, rest).getResult();
}

/// Slice of `v` with the given per-dim offsets and sizes (unit strides).
Value slice(OpBuilder &b, Location loc, Value v,
            ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
}

/// Offsets/sizes taking every leading dim whole and the trailing two from
/// (`rowOff`, `rows`) and (`colOff`, `cols`); static 1 dims stay [0, 1].
std::pair<SmallVector<OpFoldResult>, SmallVector<OpFoldResult>>
tileOf(OpBuilder &b, Location loc, Value v, OpFoldResult rowOff,
       OpFoldResult rows, OpFoldResult colOff, OpFoldResult cols) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = mixedSizes(b, loc, v);
  int64_t r = t.getRank();
  if (t.getDimSize(r - 2) != 1) {
    offsets[r - 2] = rowOff;
    sizes[r - 2] = rows;
  }
  if (t.getDimSize(r - 1) != 1) {
    offsets[r - 1] = colOff;
    sizes[r - 1] = cols;
  }
  return {offsets, sizes};
}

struct AttentionPattern : GraphPattern<g::AttentionOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = resultType(op);
    if (!outType || !isa<FloatType>(outType.getElementType()))
      return cannotLower(rw, op, "attention result must be float");
    Value q = adaptor.getQ(), k = adaptor.getK(), v = adaptor.getV();
    bool hasMask = op.getMaskKind() != "none";
    Value mask = hasMask ? adaptor.getMask() : Value();
    int64_t r = outType.getRank(), lead = r - 2;
    SmallVector<int64_t> outLead(outType.getShape().take_front(lead));
    if (llvm::any_of(outLead, ShapedType::isDynamic))
      return cannotLower(rw, op, "leading dims must be static");
    Type elt = outType.getElementType();
    MLIRContext *ctx = rw.getContext();

    // K is [.., D, N], or the keys themselves [.., N, D] with k_rows.
    bool kRows = op.getKRows();
    OpFoldResult mExt = tensor::getMixedSize(rw, loc, q, r - 2),
                 nExt = tensor::getMixedSize(rw, loc, v, r - 2),
                 dvExt = tensor::getMixedSize(rw, loc, v, r - 1);
    auto extent = [](OpFoldResult e) {
      return getConstantIntValue(e).value_or(ShapedType::kDynamic);
    };
    int64_t br = op.getQTile(), bc = op.getKvTile();
    if (br <= 0)
      br = ShapedType::isDynamic(extent(mExt)) ? 64 : extent(mExt);
    if (bc <= 0)
      bc = ShapedType::isDynamic(extent(nExt)) ? 64 : extent(nExt);

    SmallVector<OpFoldResult> outSizes;
    for (int64_t d : outLead)
      outSizes.push_back(rw.getIndexAttr(d));
    outSizes.push_back(mExt);
    outSizes.push_back(dvExt);
    Value init = emptyTensor(rw, loc, outType, outSizes);

    // Tile types: [lead.., rows] and [lead.., rows, x].
    auto tileType = [&](ArrayRef<OpFoldResult> tail) {
      SmallVector<int64_t> shape(outLead);
      for (OpFoldResult t : tail)
        shape.push_back(extent(t));
      return RankedTensorType::get(shape, elt);
    };
    auto tileSizes = [&](ArrayRef<OpFoldResult> tail) {
      SmallVector<OpFoldResult> s;
      for (int64_t d : outLead)
        s.push_back(rw.getIndexAttr(d));
      s.append(tail.begin(), tail.end());
      return s;
    };

    Value zeroIdx = arith::ConstantIndexOp::create(rw, loc, 0);
    Value mUb = getValueOrCreateConstantIndexOp(rw, loc, mExt);
    Value nUb = getValueOrCreateConstantIndexOp(rw, loc, nExt);
    Value brStep = arith::ConstantIndexOp::create(rw, loc, br);
    Value bcStep = arith::ConstantIndexOp::create(rw, loc, bc);
    Value lowest = scalarConst(rw, loc, elt,
                               -(double)std::numeric_limits<float>::max());
    Value zero = scalarConst(rw, loc, elt, 0.0);
    double scale = op.getScale().convertToDouble();
    double fill = op.getFill().convertToDouble();
    StringRef kind = op.getMaskKind();
    bool nanToZero = op.getNanToZero();

    // Loop dims: [lead.., row, col, d] for scores, [lead.., row, e, col]
    // for the output product.
    int64_t row = lead, col = lead + 1, red = lead + 2;
    SmallVector<int64_t> leadDims;
    for (int64_t d = 0; d < lead; ++d)
      leadDims.push_back(d);
    auto rowsMap = [&](int64_t loops) {
      SmallVector<int64_t> dims(leadDims);
      dims.push_back(row);
      return operandMap(ctx, loops, dims);
    };
    auto rowsColsMap = [&](int64_t loops, int64_t c) {
      SmallVector<int64_t> dims(leadDims);
      dims.push_back(row);
      dims.push_back(c);
      return operandMap(ctx, loops, dims);
    };

    auto outer = scf::ForOp::create(
        rw, loc, zeroIdx, mUb, brStep, ValueRange{init},
        [&](OpBuilder &b, Location l, Value i, ValueRange outArgs) {
          OpFoldResult rows = tileSize(b, l, mExt, br, i);
          auto [qOff, qSz] =
              tileOf(b, l, q, i, rows, b.getIndexAttr(0),
                     tensor::getMixedSize(b, l, q, r - 1));
          Value qT = slice(b, l, q, qOff, qSz);
          RankedTensorType vecT = tileType({rows});
          RankedTensorType accT = tileType({rows, dvExt});
          Value m0 = filledTensor(b, l, vecT, tileSizes({rows}), lowest);
          Value l0 = filledTensor(b, l, vecT, tileSizes({rows}), zero);
          Value acc0 =
              filledTensor(b, l, accT, tileSizes({rows, dvExt}), zero);

          auto inner = scf::ForOp::create(
              b, l, zeroIdx, nUb, bcStep, ValueRange{m0, l0, acc0},
              [&](OpBuilder &nb, Location nl, Value j, ValueRange st) {
                OpFoldResult cols = tileSize(nb, nl, nExt, bc, j);
                OpFoldResult dExt = tensor::getMixedSize(
                    nb, nl, k, kRows ? r - 1 : r - 2);
                auto [kOff, kSz] =
                    kRows ? tileOf(nb, nl, k, j, cols, nb.getIndexAttr(0), dExt)
                          : tileOf(nb, nl, k, nb.getIndexAttr(0), dExt, j,
                                   cols);
                auto [vOff, vSz] = tileOf(nb, nl, v, j, cols,
                                          nb.getIndexAttr(0), dvExt);
                Value kT = slice(nb, nl, k, kOff, kSz);
                Value vT = slice(nb, nl, v, vOff, vSz);
                RankedTensorType sT = tileType({rows, cols});
                SmallVector<OpFoldResult> sSizes = tileSizes({rows, cols});

                // s = q_tile x k_tile over d.
                int64_t loops = lead + 3;
                auto qTy = cast<RankedTensorType>(qT.getType());
                auto kTy = cast<RankedTensorType>(kT.getType());
                Value s = genericContraction(
                    nb, nl, qT, kT, filledTensor(nb, nl, sT, sSizes, zero),
                    {operandMap(ctx, loops,
                                operandDims(qTy, outLead, {row, red})),
                     operandMap(ctx, loops,
                                operandDims(kTy, outLead,
                                            kRows ? ArrayRef<int64_t>{col, red}
                                                  : ArrayRef<int64_t>{red, col})),
                     rowsColsMap(loops, col)},
                    iterators(lead + 2, 1));

                // Scale and mask; one elementwise op.
                SmallVector<Value> ins = {s};
                loops = lead + 2;
                SmallVector<AffineMap> emaps = {rowsColsMap(loops, col)};
                if (mask) {
                  auto [mOff, mSz] = tileOf(nb, nl, mask, i, rows, j, cols);
                  Value mT = slice(nb, nl, mask, mOff, mSz);
                  ins.push_back(mT);
                  emaps.push_back(operandMap(
                      ctx, loops,
                      operandDims(cast<RankedTensorType>(mT.getType()),
                                  outLead, {row, col})));
                }
                emaps.push_back(rowsColsMap(loops, col));
                Value masked = buildGeneric(
                    nb, nl, ins, emptyTensor(nb, nl, sT, sSizes), emaps,
                    iterators(loops, 0),
                    [&](OpBuilder &bb, Location bl, ValueRange a) {
                      Value x = a[0];
                      if (scale != 1.0)
                        x = arith::MulFOp::create(
                            bb, bl, x, scalarConst(bb, bl, elt, scale));
                      if (kind == "select")
                        x = arith::SelectOp::create(
                            bb, bl, a[1], x, scalarConst(bb, bl, elt, fill));
                      else if (kind == "add")
                        x = arith::AddFOp::create(bb, bl, x, a[1]);
                      return x;
                    });

                // rowmax(s) into a fresh tile: the old m is still needed
                // for corr = exp(m - m'). Every carried tile is then
                // updated in place (its op's init is the iter_arg), so
                // bufferization keeps one buffer per carried value.
                AffineMap rowM = rowsMap(loops), rc = rowsColsMap(loops, col);
                int64_t vloops = lead + 1;
                AffineMap id = rowsMap(vloops);
                SmallVector<OpFoldResult> vSizes = tileSizes({rows});
                // Bodies see (input elements.., init element).
                auto maxOf = [](OpBuilder &bb, Location bl, ValueRange a) {
                  return Value(arith::MaximumFOp::create(bb, bl, a[1], a[0]));
                };
                auto productOf = [](OpBuilder &bb, Location bl, ValueRange a) {
                  return Value(arith::MulFOp::create(bb, bl, a[1], a[0]));
                };
                auto expOfDifference = [](OpBuilder &bb, Location bl, Value x,
                                          Value y) {
                  return Value(math::ExpOp::create(
                      bb, bl, arith::SubFOp::create(bb, bl, x, y)));
                };
                Value rowMax = buildGeneric(
                    nb, nl, masked, filledTensor(nb, nl, vecT, vSizes, lowest),
                    {rc, rowM}, iterators(lead + 1, 1), maxOf);
                Value corr = buildGeneric(
                    nb, nl, ValueRange{st[0], rowMax},
                    emptyTensor(nb, nl, vecT, vSizes), {id, id, id},
                    iterators(vloops, 0),
                    [&](OpBuilder &bb, Location bl, ValueRange a) {
                      Value mx = arith::MaximumFOp::create(bb, bl, a[0], a[1]);
                      return expOfDifference(bb, bl, a[0], mx);
                    });
                Value mNew = buildGeneric(nb, nl, rowMax, st[0], {id, id},
                                          iterators(vloops, 0), maxOf);
                // p = exp(s - m').
                Value p = buildGeneric(
                    nb, nl, ValueRange{masked, mNew},
                    emptyTensor(nb, nl, sT, sSizes), {rc, rowM, rc},
                    iterators(loops, 0),
                    [&](OpBuilder &bb, Location bl, ValueRange a) {
                      return expOfDifference(bb, bl, a[0], a[1]);
                    });
                // l' = l * corr + rowsum(p).
                Value lScaled = buildGeneric(nb, nl, corr, st[1], {id, id},
                                             iterators(vloops, 0), productOf);
                Value lNew = buildGeneric(
                    nb, nl, p, lScaled, {rc, rowM}, iterators(lead + 1, 1),
                    [](OpBuilder &bb, Location bl, ValueRange a) {
                      return Value(arith::AddFOp::create(bb, bl, a[1], a[0]));
                    });
                // acc' = acc * corr + p x v_tile, loops [lead.., row, e, c].
                int64_t e = lead + 1, c = lead + 2;
                loops = lead + 3;
                Value accScaled = buildGeneric(
                    nb, nl, corr, st[2],
                    {rowsMap(lead + 2), rowsColsMap(lead + 2, e)},
                    iterators(lead + 2, 0), productOf);
                auto vTy = cast<RankedTensorType>(vT.getType());
                Value accNew = genericContraction(
                    nb, nl, p, vT, accScaled,
                    {rowsColsMap(loops, c),
                     operandMap(ctx, loops, operandDims(vTy, outLead, {c, e})),
                     rowsColsMap(loops, e)},
                    iterators(lead + 2, 1));
                scf::YieldOp::create(nb, nl, ValueRange{mNew, lNew, accNew});
              });

          // out_tile = acc / l (zero where that is NaN, with nan_to_zero).
          int64_t loops = lead + 2;
          Value oT = buildGeneric(
              b, l, ValueRange{inner.getResult(2), inner.getResult(1)},
              emptyTensor(b, l, accT, tileSizes({rows, dvExt})),
              {rowsColsMap(loops, lead + 1), rowsMap(loops),
               rowsColsMap(loops, lead + 1)},
              iterators(loops, 0),
              [&](OpBuilder &bb, Location bl, ValueRange a) {
                Value y = arith::DivFOp::create(bb, bl, a[0], a[1]);
                if (nanToZero) {
                  Value nan = arith::CmpFOp::create(
                      bb, bl, arith::CmpFPredicate::UNO, y, y);
                  y = arith::SelectOp::create(
                      bb, bl, nan, scalarConst(bb, bl, elt, 0.0), y);
                }
                return y;
              });
          SmallVector<OpFoldResult> offsets(r, b.getIndexAttr(0));
          offsets[r - 2] = i;
          SmallVector<OpFoldResult> strides(r, b.getIndexAttr(1));
          Value done = tensor::InsertSliceOp::create(
              b, l, oT, outArgs[0], offsets, tileSizes({rows, dvExt}),
              strides);
          scf::YieldOp::create(b, l, done);
        });
    outer->setAttr(memory::kTiledAttr, rw.getDenseI64ArrayAttr({br, bc}));
    for (StringRef name :
         {memory::kTileStagingAttr, memory::kTileTrafficRatioAttr})
      if (Attribute a = op->getAttr(name))
        outer->setAttr(name, a);
    rw.replaceOp(op, outer.getResult(0));
    return success();
  }
};

} // namespace

void mnemo::lowering::populateAttentionPatterns(const TypeConverter &tc,
                                                RewritePatternSet &p) {
  p.add<AttentionPattern>(tc, p.getContext());
}
