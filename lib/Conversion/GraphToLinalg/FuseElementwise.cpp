//===- FuseElementwise.cpp - elementwise fusion without recomputation -----===//
//
// Upstream's linalg-fuse-elementwise-ops with one more rule: a producer is
// not fused into a consumer with reduction loops unless the consumer reads
// each produced element once. Otherwise the producer's body runs once per
// reduction step that re-reads the element: a global average pool's
// division fused into the classifier Gemm ran 1280x1000 divisions and
// turned the Gemm into a generic the register-blocked lowering cannot take.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Conversion/Passes.h"
#include "mnemo/Memory/Planning/TileAttrs.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mnemo {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#define GEN_PASS_DEF_UNSHAREINITSPASS
#include "mnemo/Conversion/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Bits of a ranked tensor's elements (0 for anything else).
unsigned elementBits(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.getElementType().isIntOrFloat()
             ? r.getElementType().getIntOrFloatBitWidth()
             : 0;
}

/// The most ops one fused body may hold. Each fusion copies both bodies,
/// so an unbounded chain costs quadratic time (a 20000-node elementwise
/// chain, 450 KB of ONNX, took six minutes here); real models' chains
/// (GELU, a requantization, a normalization's tail) stay far below it.
constexpr size_t kMaxFusedBodyOps = 256;

size_t bodyOps(Operation *op) {
  auto l = dyn_cast_or_null<linalg::LinalgOp>(op);
  return l && l.getBlock() ? l.getBlock()->getOperations().size() : 0;
}

bool fuseWithoutRecompute(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  if (bodyOps(producer) + bodyOps(fused->getOwner()) > kMaxFusedBodyOps)
    return false;
  // A gather (a body reading a tensor from above) stays where it is: fused
  // into a later consumer it would keep the whole tensor it reads from
  // alive until then, for a result that is usually far smaller (the max of
  // a vocabulary slice read at its argmax).
  WalkResult reads = producer->walk([&](tensor::ExtractOp e) {
    Operation *owner = e.getTensor().getParentBlock()->getParentOp();
    return producer->isAncestor(owner) ? WalkResult::advance()
                                       : WalkResult::interrupt();
  });
  if (reads.wasInterrupted())
    return false;
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  // A quantization round trip (a producer that narrows, a consumer that
  // widens its result again) keeps the narrow tensor: fused, the wide one
  // is what a later reduction or contraction reads whole (a global average
  // pool after the last 1x1 convolution summed a 1280x7x7 f32 tensor, 4x
  // the bytes of the 8-bit one it could read).
  if (auto p = dyn_cast<linalg::LinalgOp>(producer); p && consumer) {
    unsigned narrow = elementBits(fused->get().getType());
    unsigned widest = 0, widened = 0;
    for (Value in : p.getDpsInputs())
      widest = std::max(widest, elementBits(in.getType()));
    for (Value r : consumer->getResults())
      widened = std::max(widened, elementBits(r.getType()));
    // Booleans (a comparison feeding a select) still fuse: that is a mask,
    // not a stored activation.
    if (narrow > 1 && narrow < widest && narrow < widened)
      return false;
  }
  if (!consumer || consumer.getNumReductionLoops() == 0)
    return true;
  return consumer.getMatchingIndexingMap(fused).isPermutation();
}

/// An init worth recomputing per consumer: an op without reductions on
/// tensors (a fill, a bias broadcast), or such an op tiled for the budget.
bool isCheapInit(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.hasPureTensorSemantics() &&
           linalgOp.getNumReductionLoops() == 0;
  auto loop = dyn_cast<scf::ForOp>(op);
  if (!loop || !loop->hasAttr(mnemo::memory::kTiledAttr))
    return false;
  WalkResult r = loop.getBody()->walk([](linalg::LinalgOp inner) {
    return isCheapInit(inner) ? WalkResult::advance() : WalkResult::interrupt();
  });
  return !r.wasInterrupted();
}

/// Gives every op (or loop tiled for the budget) that accumulates into a
/// shared init (CSE merges the identical zero or bias broadcasts of several
/// convolutions) its own copy
/// of the init's producer. Bufferization then writes each init in place
/// into its consumer's buffer instead of filling one buffer and copying it
/// for every consumer.
void unshareInits(func::FuncOp func) {
  SmallVector<Operation *> shared;
  func.walk([&](Operation *producer) {
    if (!isCheapInit(producer) || producer->getNumResults() != 1)
      return;
    Value result = producer->getResult(0);
    if (result.hasOneUse() || result.use_empty())
      return;
    // A loop tiled for the budget takes the init as an iter_arg.
    bool allInits = llvm::all_of(result.getUses(), [](OpOperand &use) {
      if (auto loop = dyn_cast<scf::ForOp>(use.getOwner()))
        return static_cast<bool>(loop.getTiedLoopResult(&use));
      auto user = dyn_cast<linalg::LinalgOp>(use.getOwner());
      return user && user.isDpsInit(&use);
    });
    if (allInits)
      shared.push_back(producer);
  });
  OpBuilder b(func.getContext());
  for (Operation *producer : shared) {
    Value result = producer->getResult(0);
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : result.getUses())
      uses.push_back(&use);
    // Every consumer gets its copy right before it, the first one too: an
    // init left where CSE put it would keep its buffer alive from there
    // (use lists are not in program order, and vocab-parallel chunks of
    // one LM head all share one zero init).
    for (OpOperand *use : uses) {
      b.setInsertionPoint(use->getOwner());
      Operation *copy = b.clone(*producer);
      use->set(copy->getResult(0));
    }
    producer->erase();
  }
}

struct FuseElementwisePass
    : public mnemo::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    linalg::ControlFusionFn control = fuseWithoutRecompute;
    // Chains of elementwise ops first, then reshapes moved through them: a
    // reshape propagated first stops at the first op with a broadcast
    // operand and splits its chain there (a requantization's scale on one
    // side, its rounding on the other, with the f32 tensor between them).
    for (bool reshapes : {false, true}) {
      RewritePatternSet patterns(ctx);
      linalg::populateElementwiseOpsFusionPatterns(patterns, control);
      if (reshapes) {
        linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
        tensor::populateBubbleUpExpandShapePatterns(patterns);
      }
      affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
      linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
      tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
      tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
      ctx->getLoadedDialect<linalg::LinalgDialect>()
          ->getCanonicalizationPatterns(patterns);
      linalg::populateConstantFoldLinalgOperations(patterns, control);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
        return signalPassFailure();
    }
  }
};

struct UnshareInitsPass
    : public mnemo::impl::UnshareInitsPassBase<UnshareInitsPass> {
  void runOnOperation() override { unshareInits(getOperation()); }
};

} // namespace
