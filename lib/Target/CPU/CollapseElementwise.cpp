//===- CollapseElementwise.cpp - elementwise ops as one flat loop ---------===//
//
// convert-linalg-to-loops writes an elementwise op on a 1x4x14x14 buffer
// (an int8 requantization, a residual add, an activation) as loops whose
// innermost runs 14 times: too short for LLVM's loop vectorizer at 8 or 16
// lanes, so the op runs scalar. Where every operand holds the trailing
// dims back to back, they become one loop (196 iterations) over
// memref.collapse_shape views. (Upstream's linalg::collapseOpIterationDims
// does this too, but in LLVM 22 it turns a broadcast operand's constant
// results into loop dims, (n, c, 0, 0) -> (n, c, n, n), and crashes on
// some; the trailing-run case here is simple enough to write directly.)
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_COLLAPSEELEMENTWISEPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Whether every operand of `op` reads the loops `dims` as consecutive
/// results in order or not at all, and those that read them hold them
/// back to back (static sizes and strides, each stride the next one's
/// stride times its size), so their views can collapse them.
bool contiguousIn(linalg::GenericOp op, ReassociationIndicesRef dims) {
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return false;
    // The run's loops as consecutive results in order, or none of them.
    std::optional<unsigned> first;
    unsigned seen = 0;
    for (auto [pos, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || !llvm::is_contained(dims, d.getPosition()))
        continue;
      if (d.getPosition() == dims[0])
        first = pos;
      if (!first || pos != *first + seen || d.getPosition() != dims[seen])
        return false;
      ++seen;
    }
    if (!first)
      continue; // a broadcast along these loops
    if (seen != dims.size())
      return false;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)))
      return false;
    for (unsigned i = *first; i + 1 < *first + dims.size(); ++i)
      if (ShapedType::isDynamic(strides[i]) ||
          ShapedType::isDynamic(strides[i + 1]) ||
          type.isDynamicDim(i + 1) ||
          strides[i] != strides[i + 1] * type.getDimSize(i + 1))
        return false;
  }
  return true;
}

/// The longest run of trailing loops (two or more) of an elementwise op
/// on buffers that every operand reads in order and holds back to back.
std::optional<ReassociationIndices> trailingRun(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() < 2 ||
      op.getNumReductionLoops() != 0 || op.getNumResults() != 0 ||
      !op.getBody()->getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  // Results that are loops or constants (broadcasts), nothing else.
  for (AffineMap m : op.getIndexingMapsArray())
    for (AffineExpr e : m.getResults())
      if (!isa<AffineDimExpr, AffineConstantExpr>(e))
        return std::nullopt;
  unsigned n = op.getNumLoops();
  std::optional<ReassociationIndices> best;
  for (int64_t from = n - 2; from >= 0; --from) {
    ReassociationIndices run;
    for (unsigned d = from; d < n; ++d)
      run.push_back(d);
    if (!contiguousIn(op, run))
      break;
    best = run;
  }
  return best;
}

/// `op` with its trailing loops `run` as one loop: each operand that reads
/// them through a view collapsing their dims, the others (broadcasts along
/// them) as they are.
void collapse(RewriterBase &rw, linalg::GenericOp op,
              ReassociationIndicesRef run) {
  MLIRContext *ctx = op.getContext();
  unsigned first = run.front(), loops = first + 1;
  Location loc = op.getLoc();
  rw.setInsertionPoint(op);
  SmallVector<Value> operands;
  SmallVector<AffineMap> maps;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    SmallVector<AffineExpr> results;
    std::optional<unsigned> at;
    for (auto [pos, e] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (d && d.getPosition() == first)
        at = pos;
      if (d && d.getPosition() > first)
        continue; // folded into the run's position
      results.push_back(e);
    }
    maps.push_back(AffineMap::get(loops, 0, results, ctx));
    if (!at) {
      operands.push_back(operand.get());
      continue;
    }
    auto type = cast<MemRefType>(operand.get().getType());
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (d > (int64_t)*at && d < (int64_t)(*at + run.size()))
        groups.back().push_back(d);
      else
        groups.push_back({d});
    }
    operands.push_back(
        memref::CollapseShapeOp::create(rw, loc, operand.get(), groups));
  }
  SmallVector<utils::IteratorType> kinds(loops, utils::IteratorType::parallel);
  unsigned nIn = op.getNumDpsInputs();
  auto collapsed = linalg::GenericOp::create(
      rw, loc, TypeRange{}, ArrayRef<Value>(operands).take_front(nIn),
      ArrayRef<Value>(operands).drop_front(nIn), maps, kinds);
  rw.inlineRegionBefore(op.getRegion(), collapsed.getRegion(),
                        collapsed.getRegion().begin());
  rw.eraseOp(op);
}

struct CollapseElementwisePass
    : public mnemo::impl::CollapseElementwisePassBase<CollapseElementwisePass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, ReassociationIndices>> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<ReassociationIndices> run = trailingRun(op))
        work.push_back({op, *run});
    });
    IRRewriter rw(&getContext());
    for (auto &[op, run] : work)
      collapse(rw, op, run);
  }
};

} // namespace
