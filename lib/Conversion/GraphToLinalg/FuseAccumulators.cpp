//===- FuseAccumulators.cpp - integer accumulators only per tile ----------===//
//
// An integer layer accumulates in i32 and keeps 8 bits: ConvInteger /
// MatMulInteger (a contraction into an i32 tensor) followed by the
// requantization (an elementwise generic, i32 -> 8 bits, after elementwise
// fusion). Elementwise fusion cannot merge a contraction into its consumer,
// so the whole i32 accumulator would be a tensor of its own: four times
// the bytes of the layer's 8-bit output, and the peak of an int8 network
// (96x112x112 x 4 bytes in MobileNetV2's second block).
//
// This pass tiles such a consumer over its parallel loops and fuses the
// contraction (and the fill of its accumulator) into the tiles, so only one
// tile of i32 accumulators exists at a time. Tiles are the largest whole
// slices of the outer loops whose accumulators fit `tile-bytes`. The same holds
// for a dynamically quantized matmul, whose i32 product is scaled back to
// float (the LM head's logits would otherwise exist twice).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Conversion/Passes.h"
#include "mnemo/Memory/Planning/TileAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mnemo {
#define GEN_PASS_DEF_FUSEACCUMULATORSPASS
#include "mnemo/Conversion/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The integer contraction (reduction loops, one result; one use unless
/// `tiling`, when the tiles read it too) that produces `v`, or null.
linalg::GenericOp accumulatorOf(Value v, bool tiling = false) {
  auto producer = v.getDefiningOp<linalg::GenericOp>();
  if (!producer || producer->getNumResults() != 1 ||
      (!tiling && !producer->hasOneUse()) ||
      producer.getNumReductionLoops() == 0 ||
      !producer.hasPureTensorSemantics())
    return nullptr;
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.getElementType().isSignlessInteger(32) || !t.hasStaticShape())
    return nullptr;
  return producer;
}

/// A consumer to tile: all loops parallel, static, reading an integer
/// accumulator through a permutation (a requantization to 8 bits, or the
/// scaling of a dynamically quantized matmul back to float).
linalg::GenericOp consumerToTile(linalg::GenericOp op) {
  if (op.getNumReductionLoops() != 0 || op->getNumResults() != 1 ||
      !op.hasPureTensorSemantics() ||
      llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic))
    return nullptr;
  for (OpOperand *in : op.getDpsInputOperands())
    if (accumulatorOf(in->get()) &&
        op.getMatchingIndexingMap(in).isPermutation())
      return op;
  return nullptr;
}

/// Tile sizes over `ranges`: whole inner dims, the outer ones split so one
/// tile holds at most `limit` bytes of `eltBytes` elements. Each size
/// divides its range: tiles stay static, which the memory planner needs
/// to size their buffers (and vectorization likes). Where the best divisor
/// is tiny (a prime vocabulary of 50257 columns) nothing is tiled.
SmallVector<int64_t> chooseTile(ArrayRef<int64_t> ranges, int64_t eltBytes,
                                int64_t limit) {
  SmallVector<int64_t> tile(ranges);
  auto bytes = [&](size_t from) {
    int64_t n = eltBytes;
    for (size_t d = from; d < tile.size(); ++d)
      n *= tile[d];
    return n;
  };
  for (size_t d = 0; d < tile.size() && bytes(0) > limit; ++d) {
    int64_t inner = bytes(d + 1);
    int64_t fit = std::max<int64_t>(1, std::min(ranges[d], limit / inner));
    int64_t best = 1;
    for (int64_t t = 1; t <= fit; ++t)
      if (ranges[d] % t == 0)
        best = t;
    // Far more tiles than partial ones would need (a prime extent): the
    // accumulator stays whole rather than run thousands of tiny tiles.
    int64_t partialTiles = (ranges[d] + fit - 1) / fit;
    if (ranges[d] / best > 64 * partialTiles)
      return SmallVector<int64_t>(ranges);
    tile[d] = best;
  }
  return tile;
}

struct FuseAccumulatorsPass
    : public mnemo::impl::FuseAccumulatorsPassBase<FuseAccumulatorsPass> {
  using FuseAccumulatorsPassBase::FuseAccumulatorsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> consumers;
    getOperation().walk([&](linalg::GenericOp op) {
      if (consumerToTile(op))
        consumers.push_back(op);
    });
    if (consumers.empty())
      return;
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : consumers)
      tileOne(rewriter, op);
    // A tile's accumulator is a slice of an empty tensor of the whole
    // shape; as an empty tensor of the tile's shape it bufferizes to one
    // tile of memory.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }

  void tileOne(IRRewriter &rewriter, linalg::GenericOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<int64_t> tile = chooseTile(ranges, 4, tileBytes);
    if (tile == ranges)
      return; // the whole accumulator fits a tile already
    scf::SCFTileAndFuseOptions options;
    SmallVector<OpFoldResult> sizes;
    for (auto [t, r] : llvm::zip(tile, ranges))
      sizes.push_back(rewriter.getIndexAttr(t == r ? 0 : t));
    options.tilingOptions.setTileSizes(sizes);
    // Only the accumulator and its fill move into the tiles; the
    // contraction's inputs (a padded activation, weights) stay whole.
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer, bool)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          Operation *p = producer.getOwner();
          if (isa<linalg::FillOp>(p) ||
              (isa<linalg::GenericOp>(p) && accumulatorOf(producer, true)))
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          return std::nullopt;
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(result) || result->loops.empty())
      return;
    rewriter.replaceOp(op, result->replacements.lookup(op->getResult(0)));
    // The planner and the later passes treat it as any tiled loop nest.
    result->loops.front()->setAttr(mnemo::memory::kTiledAttr,
                                   rewriter.getDenseI64ArrayAttr(tile));
  }
};

} // namespace
