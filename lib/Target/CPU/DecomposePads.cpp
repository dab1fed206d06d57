//===- DecomposePads.cpp - pads as a fill plus an insert into it ----------===//
//
// A tensor.pad bufferizes to a new buffer, a fill, and a copy of the source
// into the interior: for MobileNetV2's depthwise inputs, megabytes read and
// written per layer. Written as fill + tensor.insert_slice (upstream's
// DecomposePadOpPattern) before bufferization, empty-tensor elimination
// lets the source's producer (the previous convolution and its activation)
// write straight into the interior, and mnemo-cpu-fill-pad-borders then
// narrows the fill to the border: the copy is gone.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mnemo {
#define GEN_PASS_DEF_DECOMPOSEPADSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {
struct DecomposePadsPass
    : public mnemo::impl::DecomposePadsPassBase<DecomposePadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateDecomposePadPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
