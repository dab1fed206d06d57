//===- DepthwiseChannelTiles.cpp - pad depthwise inputs per channel tile --===//
//
// tensor.pad -> linalg.depthwise_conv_2d_nchw_chw bufferizes to a padded
// copy of the whole input, live together with the unpadded input while the
// copy runs: for MobileNetV2's expanded 112x112 layers that pair (9.8 MB) is
// the activation peak. Tiling the convolution along channels and fusing the
// pad into the tile loop (upstream tile-and-fuse) leaves one channel tile of
// padded scratch, reused by every iteration.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Transforms/Passes.h"

#include "mnemo/Support/MathExtras.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_DEPTHWISECHANNELTILESPASS
#include "mnemo/Memory/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The pad of the spatial dims only (N and C unpadded) feeding `conv`.
tensor::PadOp spatialPad(linalg::DepthwiseConv2DNchwChwOp conv) {
  auto pad = conv.getInputs()[0].getDefiningOp<tensor::PadOp>();
  if (!pad || !pad.getConstantPaddingValue())
    return {};
  for (unsigned d = 0; d < 2; ++d) {
    std::optional<int64_t> lo = getConstantIntValue(pad.getMixedLowPad()[d]);
    std::optional<int64_t> hi = getConstantIntValue(pad.getMixedHighPad()[d]);
    if (!lo || !hi || *lo != 0 || *hi != 0)
      return {};
  }
  return pad;
}

struct DepthwiseChannelTilesPass
    : public mnemo::impl::DepthwiseChannelTilesPassBase<
          DepthwiseChannelTilesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tiles < 1) {
      getOperation().emitError("depthwise-channel-tiles tiles must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::DepthwiseConv2DNchwChwOp> convs;
    getOperation().walk([&](linalg::DepthwiseConv2DNchwChwOp conv) {
      if (conv.hasPureTensorSemantics() && spatialPad(conv))
        convs.push_back(conv);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::DepthwiseConv2DNchwChwOp conv : convs) {
      auto outType = cast<RankedTensorType>(conv.getResultTensors()[0].getType());
      if (outType.isDynamicDim(1))
        continue;
      int64_t channels = outType.getDimSize(1);
      int64_t n = mnemo::largestDivisorAtMost(channels, tiles);
      if (n == 1)
        continue;
      // The loop that indexes the output's channel dim.
      AffineMap outMap = conv.getMatchingIndexingMap(conv.getDpsInitOperand(0));
      unsigned channelLoop = outMap.getDimPosition(1);
      SmallVector<OpFoldResult> sizes(conv.getNumLoops(),
                                      rewriter.getIndexAttr(0));
      sizes[channelLoop] = rewriter.getIndexAttr(channels / n);
      scf::SCFTileAndFuseOptions options;
      options.tilingOptions.setTileSizes(sizes);
      // Fuse the pad and the output's init only; the pad's own producer
      // stays a whole-tensor op.
      Operation *pad = spatialPad(conv);
      Operation *init = conv.getDpsInitOperand(0)->get().getDefiningOp();
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp, OpResult producer, bool)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            if (producer.getOwner() == pad || producer.getOwner() == init)
              return scf::SCFTileAndFuseOptions::ControlFnResult{};
            return std::nullopt;
          });
      rewriter.setInsertionPoint(conv);
      FailureOr<scf::SCFTileAndFuseResult> result =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(conv.getOperation()), options);
      if (failed(result))
        continue; // stays whole: correct, just more memory
      for (OpResult r : conv->getResults())
        rewriter.replaceAllUsesWith(r, result->replacements.lookup(r));
      rewriter.eraseOp(conv);
    }
  }
};

} // namespace
