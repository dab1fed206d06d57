//===- GemvPanels.cpp - few-row contractions read B in column panels ------===//
//
// A decode step's projections and LM head multiply one row by a constant
// [K, N] weight. The register block covers `panel` columns and walks K:
// with B row-major that reads K pieces of `panel` columns, N elements
// apart: as many streams as K for the hardware prefetcher, which tracks
// far fewer (tiny_llama's 64 x 32000 LM head ran at a third of the
// bandwidth on AVX2). Packed [N / panel][K][panel] at compile time, each
// block reads one contiguous run, as onnxruntime's prepacked GEMV does.
//
//   C[.., n] += A[.., k] * B[k, n]
//     -> C'[.., j, l] += A[.., k] * P[j, k, l]   C' = C expanded [N/p, p]
//
//===----------------------------------------------------------------------===//

#include "RegisterTileKernels.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

using namespace mlir;

namespace mnemo::register_tile {

FailureOr<linalg::GenericOp>
packGemvPanels(RewriterBase &rewriter, SymbolTable &symbols,
               linalg::LinalgOp op, ArrayRef<int64_t> maxRanges, int64_t vw,
               int64_t mr, int64_t regs, int64_t l2Bytes,
               mnemo::PackedGlobals &packed) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1 ||
      !isMulAddBody(op))
    return failure();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap outMap = maps[2];
  if (outMap.getNumResults() == 0)
    return failure();
  auto nExpr = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!nExpr)
    return failure();
  unsigned n = nExpr.getPosition();
  // B read as (k, n), A independent of n.
  int bIdx = -1;
  for (int i = 0; i < 2; ++i) {
    ArrayRef<AffineExpr> r = maps[i].getResults();
    auto k = r.size() == 2 ? dyn_cast<AffineDimExpr>(r[0]) : nullptr;
    if (k && r[1] == nExpr &&
        op.getIteratorTypesArray()[k.getPosition()] ==
            utils::IteratorType::reduction &&
        !maps[1 - i].isFunctionOfDim(n))
      bIdx = i;
  }
  if (bIdx < 0)
    return failure();
  Value b = op.getDpsInputs()[bIdx];
  auto bType = dyn_cast<MemRefType>(b.getType());
  if (!bType || !bType.hasStaticShape() ||
      bType.getNumElements() * 4 < l2Bytes)
    return failure();
  int64_t nSize = bType.getDimSize(1);
  // Few rows: the other parallel loops run at most mr / 2 times (at
  // their bound when dynamic: a decode step's one token).
  int64_t rows = 1;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (d != n && it == utils::IteratorType::parallel) {
      if (ShapedType::isDynamic(maxRanges[d]))
        return failure();
      rows *= maxRanges[d];
    }
  if (rows * 2 > mr)
    return failure();
  // A panel is the widest block one row's registers hold (the broadcast,
  // and an accumulator and a B vector per vector of the panel).
  int64_t panel = vw * std::max<int64_t>(1, (regs - 1) / 2);
  int64_t columns = nSize / panel * panel;
  Value c = op.getDpsInits()[0];
  auto cType = cast<MemRefType>(c.getType());
  int64_t rank = cType.getRank();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (columns == 0 || cType.getDimSize(rank - 1) != nSize ||
      failed(cType.getStridesAndOffset(strides, offset)) ||
      strides.back() != 1)
    return failure();

  // A fill of C right before the op becomes a fill of each part, where
  // each part's kernel starts its accumulators from it.
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  if (fill && (fill.getOutputs()[0] != c || !fill.hasPureBufferSemantics()))
    fill = nullptr;

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  FailureOr<Value> p = mnemo::packColumnPanels(rewriter, symbols, op, b,
                                                panel, 0, columns, packed);
  // The columns after the last panel: one more panel of their own width,
  // so the source weight is not kept for them.
  int64_t tail = nSize - columns;
  FailureOr<Value> pTail =
      tail ? mnemo::packColumnPanels(rewriter, symbols, op, b, tail, columns,
                                     tail, packed)
           : FailureOr<Value>(Value());
  if (failed(p) || failed(pTail))
    return failure();
  // C's first `columns` columns (all of them when N is whole panels).
  auto columnsOf = [&](Value v, int64_t start, int64_t size) -> Value {
    auto t = cast<MemRefType>(v.getType());
    if (start == 0 && size == t.getDimSize(t.getRank() - 1))
      return v;
    SmallVector<OpFoldResult> offsets(t.getRank(), rewriter.getIndexAttr(0)),
        sizes = memref::getMixedSizes(rewriter, loc, v),
        ones(t.getRank(), rewriter.getIndexAttr(1));
    offsets.back() = rewriter.getIndexAttr(start);
    sizes.back() = rewriter.getIndexAttr(size);
    return memref::SubViewOp::create(rewriter, loc, v, offsets, sizes, ones);
  };
  Value cMain = columnsOf(c, 0, columns);
  SmallVector<ReassociationIndices> reassoc;
  for (int64_t d = 0; d + 1 < rank; ++d)
    reassoc.push_back({d});
  reassoc.push_back({rank - 1, rank});
  SmallVector<int64_t> expanded(cType.getShape());
  expanded.back() = columns / panel;
  expanded.push_back(panel);
  SmallVector<OpFoldResult> expandedSizes =
      memref::getMixedSizes(rewriter, loc, cMain);
  expandedSizes.back() = rewriter.getIndexAttr(columns / panel);
  expandedSizes.push_back(rewriter.getIndexAttr(panel));
  Value cPanels = memref::ExpandShapeOp::create(rewriter, loc, expanded, cMain,
                                                reassoc, expandedSizes);

  // The new loops: n becomes (j, l), j = the panel, l = the column in it.
  MLIRContext *ctx = op.getContext();
  unsigned dims = op.getNumLoops() + 1;
  SmallVector<AffineExpr> remap;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    remap.push_back(getAffineDimExpr(d < n ? d : d + 1, ctx));
  AffineExpr j = getAffineDimExpr(n, ctx), l = getAffineDimExpr(n + 1, ctx);
  auto moved = [&](AffineMap m) {
    return m.replaceDimsAndSymbols(remap, {}, dims, 0);
  };
  AffineExpr k = moved(maps[bIdx]).getResult(0);
  SmallVector<AffineMap> newMaps(3);
  newMaps[1 - bIdx] = moved(maps[1 - bIdx]);
  newMaps[bIdx] = AffineMap::get(dims, 0, {j, k, l}, ctx);
  SmallVector<AffineExpr> outResults(moved(outMap).getResults().drop_back());
  outResults.append({j, l});
  newMaps[2] = AffineMap::get(dims, 0, outResults, ctx);
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  iters.insert(iters.begin() + n + 1, utils::IteratorType::parallel);
  SmallVector<Value> ins(op.getDpsInputs());
  ins[bIdx] = *p;
  if (fill)
    linalg::FillOp::create(rewriter, loc, fill.getInputs(), cPanels);
  auto generic = linalg::GenericOp::create(rewriter, loc, TypeRange{}, ins,
                                           ValueRange{cPanels}, newMaps, iters);
  rewriter.cloneRegionBefore(op->getRegion(0), generic.getRegion(),
                             generic.getRegion().end());
  // The tail: the op as it was, on its own [K, tail] weight and C's last
  // columns.
  if (tail) {
    Value bTail = memref::CollapseShapeOp::create(
        rewriter, loc, *pTail, SmallVector<ReassociationIndices>{{0, 1}, {2}});
    Value cTail = columnsOf(c, columns, tail);
    if (fill)
      linalg::FillOp::create(rewriter, loc, fill.getInputs(), cTail);
    Operation *rest = rewriter.clone(*op);
    rest->setOperand(bIdx, bTail);
    rest->setOperand(2, cTail);
  }
  rewriter.eraseOp(op);
  if (fill)
    rewriter.eraseOp(fill);
  return generic;
}

} // namespace mnemo::register_tile
