//===- InterchangeReductions.cpp - unit-stride innermost loops ------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_INTERCHANGEREDUCTIONSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The new loop order (new position -> old loop), or empty when the op
/// has no reduction inside its output's unit-stride loop or no input that
/// is unit-stride along that loop too.
SmallVector<unsigned> reductionsOutside(linalg::LinalgOp op) {
  if (op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return {};
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (out.getNumResults() == 0)
    return {};
  auto last = dyn_cast<AffineDimExpr>(out.getResults().back());
  if (!last)
    return {};
  unsigned p = last.getPosition();
  auto iters = op.getIteratorTypesArray();
  if (!linalg::isParallelIterator(iters[p]))
    return {};
  bool reductionAfter = false;
  for (unsigned i = p + 1; i < iters.size(); ++i)
    reductionAfter |= linalg::isReductionIterator(iters[i]);
  if (!reductionAfter)
    return {};
  // Only worth it when some input is also unit-stride along p (B's rows in
  // a matmul, the input rows of a convolution); a row reduction reading
  // A[i, k] would turn into a strided walk.
  bool inputFollows = llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *in) {
    AffineMap m = op.getMatchingIndexingMap(in);
    return m.getNumResults() > 0 &&
           m.getResults().back().isFunctionOfDim(p);
  });
  if (!inputFollows)
    return {};
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < iters.size(); ++i)
    if (i != p && linalg::isParallelIterator(iters[i]))
      order.push_back(i);
  for (unsigned i = 0; i < iters.size(); ++i)
    if (linalg::isReductionIterator(iters[i]))
      order.push_back(i);
  order.push_back(p);
  return order;
}

struct InterchangeReductionsPass
    : public mnemo::impl::InterchangeReductionsPassBase<
          InterchangeReductionsPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!reductionsOutside(op).empty())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<unsigned> order = reductionsOutside(op);
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
        if (failed(g))
          continue;
        generic = *g;
      }
      (void)linalg::interchangeGenericOp(rewriter, generic, order);
    }
  }
};

} // namespace
