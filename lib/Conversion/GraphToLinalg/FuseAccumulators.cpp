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
#include "mnemo/Memory/Planning/TensorPeak.h"
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

struct FuseAccumulatorsPass
    : public mnemo::impl::FuseAccumulatorsPassBase<FuseAccumulatorsPass> {
  using FuseAccumulatorsPassBase::FuseAccumulatorsPassBase;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, SmallVector<int64_t>>> consumers;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto tile = mnemo::memory::accumulatorTile(op, tileBytes))
        consumers.push_back({op, *tile});
    });
    if (consumers.empty())
      return;
    IRRewriter rewriter(&getContext());
    for (auto &[op, tile] : consumers)
      tileOne(rewriter, op, tile);
    // A tile's accumulator is a slice of an empty tensor of the whole
    // shape; as an empty tensor of the tile's shape it bufferizes to one
    // tile of memory.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }

  void tileOne(IRRewriter &rewriter, linalg::GenericOp op,
               ArrayRef<int64_t> tile) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
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
              (isa<linalg::GenericOp>(p) &&
               mnemo::memory::integerAccumulator(producer, true)))
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
