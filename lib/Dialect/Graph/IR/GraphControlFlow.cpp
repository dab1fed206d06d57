//===- GraphControlFlow.cpp - If, Loop and Scan ---------------------------===//
//
// Verifiers of the control-flow ops (body arity and the types each body
// passes around) and the fold of an If on a constant condition, which
// exported models produce from shape checks.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mnemo::graph;

/// Same element type and, where both ranks are known, shapes that agree on
/// every static dim: the body may know a dim the op leaves dynamic or the
/// other way round.
static bool compatible(Type a, Type b) {
  return getElementTypeOrSelf(a) == getElementTypeOrSelf(b) &&
         succeeded(verifyCompatibleShape(a, b));
}

static YieldOp yieldOf(Region &region) {
  return dyn_cast<YieldOp>(region.front().getTerminator());
}

LogicalResult IfOp::verify() {
  auto cond = dyn_cast<RankedTensorType>(getCond().getType());
  if (cond && (!cond.getElementType().isInteger(1) || cond.getNumElements() != 1))
    return emitOpError("condition must be a one-element bool tensor, got ")
           << cond;
  for (Region *r : {&getThenBranch(), &getElseBranch()}) {
    YieldOp y = yieldOf(*r);
    if (!y || y.getValues().size() != getNumResults())
      return emitOpError("each branch must yield ")
             << getNumResults() << " values";
    for (auto [res, v] : llvm::zip(getResults(), y.getValues()))
      if (!compatible(res.getType(), v.getType()))
        return emitOpError("branch yields ")
               << v.getType() << " for a result of type " << res.getType();
  }
  return success();
}

LogicalResult LoopOp::verify() {
  Block &body = getBody().front();
  unsigned n = getInitial().size();
  if (body.getNumArguments() != n + 2)
    return emitOpError("body must take the iteration number, the condition "
                       "and ")
           << n << " carried values, got " << body.getNumArguments()
           << " arguments";
  YieldOp y = yieldOf(getBody());
  if (!y || y.getValues().size() < n + 1)
    return emitOpError("body must yield the condition and ")
           << n << " carried values";
  unsigned k = y.getValues().size() - n - 1;
  if (getNumResults() != n + k)
    return emitOpError("has ") << getNumResults() << " results, the body "
                               << "yields " << n << " carried and " << k
                               << " scan values";
  for (unsigned i = 0; i < n; ++i) {
    Type init = getInitial()[i].getType(), arg = body.getArgument(i + 2).getType(),
         next = y.getValues()[i + 1].getType(), res = getResult(i).getType();
    if (!compatible(init, arg) || !compatible(arg, next) ||
        !compatible(arg, res))
      return emitOpError("carried value ")
             << i << " changes type: " << init << " in, " << next
             << " yielded, " << res << " out";
  }
  for (unsigned j = 0; j < k; ++j) {
    auto scan = dyn_cast<RankedTensorType>(y.getValues()[n + 1 + j].getType());
    auto res = dyn_cast<RankedTensorType>(getResult(n + j).getType());
    if (scan && res &&
        (res.getRank() != scan.getRank() + 1 ||
         !compatible(RankedTensorType::get(res.getShape().drop_front(),
                                           res.getElementType()),
                     scan)))
      return emitOpError("scan output ")
             << j << " of type " << res << " does not stack " << scan;
  }
  return success();
}

LogicalResult ScanOp::verify() {
  int64_t m = getNumScanInputs();
  int64_t n = (int64_t)getInputs().size() - m;
  if (m < 1 || n < 0)
    return emitOpError("needs at least one scan input among its ")
           << getInputs().size() << " operands";
  Block &body = getBody().front();
  if ((int64_t)body.getNumArguments() != n + m)
    return emitOpError("body must take ")
           << n << " states and " << m << " scan slices";
  YieldOp y = yieldOf(getBody());
  if (!y || (int64_t)y.getValues().size() < n)
    return emitOpError("body must yield ") << n << " states";
  int64_t k = y.getValues().size() - n;
  if ((int64_t)getNumResults() != n + k)
    return emitOpError("has ") << getNumResults() << " results, the body "
                               << "yields " << n << " states and " << k
                               << " scan values";
  auto checkAxes = [&](std::optional<ArrayAttr> attr, int64_t count,
                       StringRef what) -> LogicalResult {
    if (attr && (int64_t)attr->size() != count)
      return emitOpError() << what << " has " << attr->size()
                           << " entries for " << count << " values";
    return success();
  };
  if (failed(checkAxes(getScanInputAxes(), m, "scan_input_axes")) ||
      failed(checkAxes(getScanInputDirections(), m, "scan_input_directions")) ||
      failed(checkAxes(getScanOutputAxes(), k, "scan_output_axes")) ||
      failed(checkAxes(getScanOutputDirections(), k, "scan_output_directions")))
    return failure();
  for (int64_t i = 0; i < n; ++i)
    if (!compatible(getInputs()[i].getType(), body.getArgument(i).getType()) ||
        !compatible(body.getArgument(i).getType(),
                    y.getValues()[i].getType()))
      return emitOpError("state ") << i << " changes type";
  return success();
}

namespace {
/// If on a constant condition: the taken branch's ops replace the If.
struct InlineConstantIf : OpRewritePattern<IfOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IfOp op,
                                PatternRewriter &rewriter) const override {
    DenseIntElementsAttr cond;
    if (!matchPattern(op.getCond(), m_Constant(&cond)) ||
        cond.getNumElements() != 1)
      return failure();
    Region &taken = cond.getValues<APInt>()[0].isZero() ? op.getElseBranch()
                                                          : op.getThenBranch();
    Block &block = taken.front();
    YieldOp y = cast<YieldOp>(block.getTerminator());
    SmallVector<Value> values(y.getValues());
    // A branch value more static than the If's result may replace it only
    // where graph ops read it (they take refined types); a return or an op
    // of another dialect needs the declared type.
    if (TypeRange(ValueRange(values)) != op.getResultTypes() &&
        !llvm::all_of(op->getUsers(), [](Operation *u) {
          return isa_and_nonnull<GraphDialect>(u->getDialect());
        }))
      return failure();
    rewriter.inlineBlockBefore(&block, op);
    rewriter.replaceOp(op, values);
    rewriter.eraseOp(y);
    return success();
  }
};
} // namespace

void IfOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                       MLIRContext *ctx) {
  results.add<InlineConstantIf>(ctx);
}
