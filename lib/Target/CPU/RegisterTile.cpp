//===- RegisterTile.cpp - register-blocked contractions -------------------===//
//
// Lowers f32 multiply-accumulate linalg ops on memrefs (matmul, batched and
// broadcast matmuls, 1x1 and stride-1 convolutions) to register-blocked
// vector code:
//
//   for outer parallel dims:
//     for n0 in N step VW*NV:           (masked 1-vector steps for the tail)
//       for m0 in M step MR:            (1-row steps for the tail)
//         acc[MR][NV] = C[m0.., n0..]
//         for k...: b[j] = B[k.., n0 + j*VW]; acc[i][j] += A[m0+i, k..] * b[j]
//         C[m0.., n0..] = acc
//
// The accumulators are MR*NV one-dimensional vectors carried by the
// reduction loops, so they stay in registers. Upstream's tile + vectorize +
// hoist route builds the same block as one n-d vector, which LLVM 22's
// lowering of loop-carried n-d vectors and its vectorizer's handling of
// unit reduction dims do not take (docs/performance.md); emitting 1-d vector
// ops directly avoids both.
//
// This file decides which form each op takes; RegisterTileKernels.h lists
// the planning and emitting pieces.
//
//===----------------------------------------------------------------------===//

#include "RegisterTileKernels.h"
#include "mnemo/Target/CPU/PassTarget.h"
#include "mnemo/Target/CPU/PackWeights.h"
#include "mnemo/Memory/Planning/SizeBounds.h"
#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <map>

namespace mnemo {
#define GEN_PASS_DEF_REGISTERTILEPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::register_tile;

namespace {

/// The size analysis of each function under the symbolic dims' bounds,
/// built once per function; valid while the IR it has seen is unchanged
/// (its memo is keyed by values), so one cache per walk.
using BoundsCache = std::map<Operation *, mnemo::SizeBounds>;

/// The op's loop ranges, dynamic ones replaced by their upper bound where
/// the symbolic dims' bounds give one.
SmallVector<int64_t> maxLoopRanges(linalg::LinalgOp op,
                                   ArrayRef<std::string> dimBounds,
                                   BoundsCache &cache) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto fn = op->getParentOfType<func::FuncOp>();
  if (!fn || fn.isExternal() || dimBounds.empty() ||
      llvm::none_of(ranges, ShapedType::isDynamic))
    return ranges;
  auto it = cache.find(fn);
  if (it == cache.end()) {
    SmallVector<DictionaryAttr> attrs;
    for (unsigned a = 0; a < fn.getNumArguments(); ++a)
      attrs.push_back(fn.getArgAttrDict(a));
    it = cache
             .emplace(fn, mnemo::boundsFromDimSpecs(fn.front(), attrs,
                                                    dimBounds))
             .first;
  }
  mnemo::SizeBounds &bounds = it->second;
  SmallVector<int64_t> out(ranges);
  for (auto [idx, map] : llvm::enumerate(op.getIndexingMapsArray()))
    for (auto [d, e] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim || !ShapedType::isDynamic(ranges[dim.getPosition()]))
        continue;
      if (auto b = bounds.dimBound(op->getOperand(idx), d)) {
        int64_t &r = out[dim.getPosition()];
        r = ShapedType::isDynamic(r) ? b->hi : std::min(r, b->hi);
      }
    }
  return out;
}

/// Whether a strided op's reduction is long enough for the channel form
/// (see kStridedChannelSteps): all its reduction steps, and those of its
/// inner reduction loops (the window's taps).
bool takesStridedChannelForm(linalg::LinalgOp op, const Plan &plan,
                             int64_t vw) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t steps = 1, taps = 1;
  for (unsigned d : plan.reductions) {
    if (ShapedType::isDynamic(ranges[d]))
      return false;
    steps *= ranges[d];
    if (d != plan.reductions.front())
      taps *= ranges[d];
  }
  return stridedChannelForm(steps, taps, vw);
}

/// The op the kernel replaced and the init and epilogue folded into it.
void eraseFolded(RewriterBase &rewriter, Operation *op, Operation *init,
                 Operation *epilogue) {
  rewriter.eraseOp(op);
  if (init)
    rewriter.eraseOp(init);
  if (epilogue)
    rewriter.eraseOp(epilogue);
}

struct RegisterTilePass
    : public mnemo::impl::RegisterTilePassBase<RegisterTilePass> {
  using Base::Base;

  /// The block is resolved once per pipeline, not per function (which
  /// may run on several threads).
  LogicalResult initialize(MLIRContext *ctx) override {
    vw = vectorWidth, mr = rows, nv = vectors, l2Bytes = l2, l1Bytes = l1;
    // Negative sizes are reported on the function in runOnOperation.
    if (vw < 0 || mr < 0 || nv < 0 || l2Bytes < 0 || l1Bytes < 0)
      return success();
    FailureOr<mnemo::CPUTarget> target =
        mnemo::resolvePassTarget(ctx, cpu, cpuFeatures);
    if (failed(target))
      return failure();
    l2Bytes = l2Bytes ? l2Bytes
              : target->l2Bytes ? target->l2Bytes
                                : kDefaultL2Bytes;
    l1Bytes = l1Bytes ? l1Bytes
              : target->l1dBytes ? target->l1dBytes
                                 : kDefaultL1Bytes;
    vw = vw ? vw : target->f32Lanes();
    mr = mr ? mr : target->blockRows();
    nv = nv ? nv : target->blockVectors();
    fma = target->fma;
    regs = target->vectorRegisters;
    // AVX-512's masked stores (a k-mask on a plain store) run at full
    // speed; AVX and AVX2's vmaskmovps stores are microcoded on AMD's
    // cores.
    split = splitStores >= 0 ? splitStores != 0 : target->hasFeature("avx512f");
    return success();
  }

  void runOnOperation() override {
    if (vw < 0 || mr < 0 || nv < 0 || l2Bytes < 0 || l1Bytes < 0) {
      // On each function: the module usually has no location of its own.
      for (auto f : getOperation().getOps<func::FuncOp>())
        f.emitError(
            "register-tile sizes must be positive (or 0: from the target)");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SymbolTable symbols(getOperation());
    KernelShape shape{vw, mr, nv, parallel, fma, l1Bytes, l2Bytes, split};
    mnemo::PackedGlobals packed;
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp op) { convs.push_back(op); });
    // A flattened map beats rows even where its epilogue then stays a
    // separate pass (MnasNet: 6.1 vs 6.5 ms keeping rows so the ReLU could
    // store into 56-wide padded rows).
    // Stride-1 convolutions the pitched kernel covers keep their op.
    for (auto conv : convs)
      if (failed(flattenPointwiseConv(rewriter, conv)) && im2col &&
          !(pitched && planPitched(conv, vw, precedingInit(conv, 3))) &&
          wantsIm2Col(conv, vw, l2Bytes))
        (void)im2colConv(rewriter, conv);

    // GEMVs over weights larger than L2 read them in column panels.
    SmallVector<linalg::LinalgOp> contractions;
    getOperation().walk([&](linalg::LinalgOp op) { contractions.push_back(op); });
    SmallVector<SmallVector<int64_t>> maxRanges;
    BoundsCache beforePanels;
    for (linalg::LinalgOp op : contractions)
      maxRanges.push_back(maxLoopRanges(op, dimBounds, beforePanels));
    for (auto [op, ranges] : llvm::zip(contractions, maxRanges))
      (void)packGemvPanels(rewriter, symbols, op, ranges, vw, mr, regs,
                           l2Bytes, packed);

    SmallVector<std::pair<linalg::LinalgOp, Plan>> work;
    DenseMap<Operation *, SmallVector<int64_t>> bounded;
    BoundsCache afterPanels;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<Plan> plan = planContraction(op)) {
        work.push_back({op, *plan});
        bounded[op] = maxLoopRanges(op, dimBounds, afterPanels);
      }
    });
    SmallVector<std::pair<linalg::LinalgOp, DotPlan>> dots;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<DotPlan> plan = planDot(op))
        dots.push_back({op, *plan});
    });
    for (auto &[op, plan] : work) {
      Init init = precedingInit(op, plan.n);
      Epilogue epilogue =
          followingEpilogue(rewriter, op, vw, residualEpilogues,
                            shape.splitStores);
      // The channel form where it applies (`force`: whatever the lane use
      // of the row form's blocks); false when it does not.
      auto channelForm = [&](bool force) {
        std::optional<ChannelPlan> cp =
            planChannels(rewriter, symbols, op, plan, init, epilogue, vw, mr,
                         nv, regs, packed, force);
        if (!cp)
          return false;
        emitChannels(rewriter, op, plan, *cp, shape, init, epilogue.op);
        eraseFolded(rewriter, op, init.op, epilogue.op);
        return true;
      };
      std::optional<Pitched> pitch;
      if (pitched)
        pitch = planPitched(op, vw, init);
      // A pitched map leaving more than a tenth of its lanes junk (14-wide
      // rows on a pitch of 16) loses to the channel form's full vectors:
      // ResNet-18's 14x14 layers, 2.69 -> 2.15 ms on AVX2, 1.56 -> 1.40
      // on AVX-512.
      if (pitch && !pitch->channel && channelVectors &&
          double(pitch->width) / pitch->pitch < kMinPitchedLaneUse &&
          channelForm(/*force=*/true))
        continue;
      if (pitch && !pitchedStore(rewriter, op, *pitch, vw, epilogue))
        pitch.reset();
      // A pitched depthwise convolution's rows are its channels.
      if (pitch && pitch->channel) {
        plan.m = *pitch->channel;
        plan.outer = {0, pitch->oh};
        plan.aPerRow = plan.bPerRow = true;
      }
      if (!pitch && !epilogue.segments)
        planVectorDim(op, plan, vw);
      if (!pitch && channelVectors && !plan.v &&
          channelForm(/*force=*/plan.bStride > 1 &&
                      takesStridedChannelForm(op, plan, vw)))
        continue;
      // Rows and vectors given as options are taken as they are.
      KernelShape block = fitRows && !rows && !vectors
                              ? registerBlock(op, plan, shape, regs,
                                              pitch ? pitch->flatSize : 0,
                                              bounded[op])
                              : shape;
      emitRows(rewriter, op, plan, block, init, epilogue, pitch);
      eraseFolded(rewriter, op, init.op, epilogue.op);
    }
    for (auto &[op, plan] : dots) {
      Init init = precedingInit(op, std::nullopt);
      emitDot(rewriter, op, plan, shape, init);
      eraseFolded(rewriter, op, init.op, nullptr);
    }
    mnemo::eraseUnpackedSources(getOperation(), packed);
  }

  int64_t vw = 0, mr = 0, nv = 0, l2Bytes = 0, l1Bytes = 0, regs = 16;
  bool split = true;
  bool fma = true;
};

} // namespace
