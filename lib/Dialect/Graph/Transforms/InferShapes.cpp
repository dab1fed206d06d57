//===- InferShapes.cpp - graph-infer-shapes pass --------------------------===//

#include "mnemo/Dialect/Graph/Transforms/Passes.h"

#include "mnemo/Dialect/Graph/IR/GraphShapeFunctions.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mnemo::graph {
#define GEN_PASS_DEF_GRAPHINFERSHAPESPASS
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace mnemo::graph

using namespace mlir;
using namespace mnemo::graph;

namespace {
struct GraphInferShapesPass
    : public mnemo::graph::impl::GraphInferShapesPassBase<GraphInferShapesPass> {
  using Base::Base;

  /// Refined shapes come from the model's constants (Reshape targets,
  /// ConstantOfShape, Tile repeats): a broken model can ask for 2^40
  /// elements, which later passes would try to allocate or tile.
  LogicalResult checkSizes(func::FuncOp func) {
    int64_t limit =
        maxTensorBytes > 0 ? (int64_t)maxTensorBytes : maxTensorBytesFor(func);
    WalkResult r = func.walk([&](Operation *op) {
      if (!isa<GraphDialect>(op->getDialect()))
        return WalkResult::advance();
      for (OpResult res : op->getResults()) {
        // The message is built only for a result that fails.
        std::optional<int64_t> bytes = staticTensorBytes(res.getType());
        if (bytes && *bytes <= limit)
          continue;
        std::string what = describeOnnxNode(op) + ": output " +
                           std::to_string(res.getResultNumber());
        if (failed(checkTensorBytes(op->getLoc(), res.getType(), limit, what)))
          return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(r.wasInterrupted());
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    ctx->getLoadedDialect<GraphDialect>()->getCanonicalizationPatterns(
        patterns);
    for (RegisteredOperationName op : ctx->getRegisteredOperations())
      if (&op.getDialect() == ctx->getLoadedDialect<GraphDialect>())
        op.getCanonicalizationPatterns(patterns, ctx);
    GreedyRewriteConfig config;
    // Shapes flow forward: visiting producers first refines a chain in
    // one sweep. Deep graphs may still take several.
    config.setUseTopDownTraversal(true);
    config.setMaxIterations(100);
    if (failed(applyPatternsGreedily(func, std::move(patterns), config))) {
      func.emitError() << "graph-infer-shapes: shape refinement did not "
                          "converge";
      return signalPassFailure();
    }

    // Results feeding the return were left alone by the patterns so the
    // function stays valid; refine them together with the signature.
    if (func.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().back().getTerminator());
    SmallVector<Type> results(func.getResultTypes());
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      // A value returned as it is (an argument given a static size, a
      // constant) may already be finer than the declared result.
      if (v.getType() != results[i] && areRefinedTypes(v.getType(), results[i]))
        results[i] = v.getType();
      Operation *op = v.getDefiningOp();
      if (!op || !isa<GraphDialect>(op->getDialect()))
        continue;
      SmallVector<Type> inferred;
      if (failed(inferResultTypes(op, inferred)))
        continue;
      Type t = inferred[cast<OpResult>(v).getResultNumber()];
      if (t != v.getType() && areRefinedTypes(t, v.getType()) &&
          llvm::all_of(v.getUsers(), [](Operation *u) {
            return isa<func::ReturnOp>(u) ||
                   isa_and_nonnull<GraphDialect>(u->getDialect());
          })) {
        v.setType(t);
        results[i] = t;
      }
    }
    func.setFunctionType(
        FunctionType::get(ctx, func.getArgumentTypes(), results));
    if (failed(checkSizes(func)))
      signalPassFailure();
  }
};
} // namespace
