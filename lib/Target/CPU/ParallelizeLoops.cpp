//===- ParallelizeLoops.cpp - split large linalg ops across threads -------===//
//
// The ops the register-blocked lowering does not take (elementwise
// epilogues, pads and copies, pools, strided depthwise convs, reductions
// with parallel dims) are tiled into chunks along one parallel dim with
// upstream TilingInterface tiling to an scf.forall; scf-forall-to-parallel
// and convert-scf-to-openmp then run the chunks on OpenMP threads. Each
// chunk is still a linalg op, lowered to loops like the untiled op.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_PARALLELIZELOOPSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Output channels a chunk of an 8-bit contraction keeps at least: the
/// rows of IntegerContractions' register block (8 on AVX2 and AVX-512),
/// which share every vector of activations.
constexpr int64_t kContractionRows = 8;

/// For an 8-bit contraction (i8 x i8 -> i32, IntegerContractions.cpp),
/// the dim to split and the most pieces: without a window along j, the
/// weight's rows (the output channel, read by one input only) while each
/// piece keeps kContractionRows of them; else the first splittable dim the vector
/// operand B (the input that reads the output's innermost dim) reads
/// other than that innermost dim (the output rows), so an accumulator
/// tile of 4 channels at 56x56 is not left one channel per piece.
std::optional<std::pair<unsigned, int64_t>>
integerContractionSplit(linalg::LinalgOp op,
                        function_ref<bool(unsigned)> splittable) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 ||
      !getElementTypeOrSelf(op.getDpsInits()[0].getType()).isInteger(32) ||
      llvm::any_of(op.getDpsInputs(), [](Value v) {
        return !getElementTypeOrSelf(v.getType()).isInteger(8);
      }))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!maps[2].getNumResults())
    return std::nullopt;
  auto j = dyn_cast<AffineDimExpr>(maps[2].getResults().back());
  if (!j)
    return std::nullopt;
  auto reads = [&](AffineMap m, unsigned d) {
    return llvm::any_of(m.getResults(),
                        [&](AffineExpr e) { return e.isFunctionOfDim(d); });
  };
  for (unsigned in : {0u, 1u}) {
    AffineMap bMap = maps[in], aMap = maps[1 - in];
    if (!bMap.getNumResults() ||
        !bMap.getResults().back().isFunctionOfDim(j.getPosition()))
      continue;
    // A window sliding along j (a KxK convolution) keeps each output row
    // apart anyway; a pointwise one runs rows and columns as one flat
    // loop (IntegerContractions), which pieces of a row or two would cut
    // into narrow masked vectors.
    bool window = false;
    bMap.getResults().back().walk([&](AffineExpr e) {
      if (auto dim = dyn_cast<AffineDimExpr>(e))
        window |= dim.getPosition() != j.getPosition() &&
                  ranges[dim.getPosition()] > 1;
    });
    for (unsigned d = 0; d < bMap.getNumDims() && !window; ++d)
      if (splittable(d) && reads(aMap, d) && !reads(bMap, d) &&
          ranges[d] >= 2 * kContractionRows)
        return std::make_pair(d, ranges[d] / kContractionRows);
    for (unsigned d = 0; d < bMap.getNumDims(); ++d)
      if (d != j.getPosition() && splittable(d) && reads(bMap, d))
        return std::make_pair(d, ranges[d]);
  }
  return std::nullopt;
}

/// Operands plus payload ops of one iteration of a one-input elementwise
/// op: splitDim's unit of work.
constexpr int64_t kElementwiseCost = 3;

/// The parallel dim to split and the most pieces (its size but for 8-bit
/// contractions), or none when the op is too
/// small to pay for a fork/join (the count ignores dynamic dims) or has no
/// parallel dim with at least two iterations.
std::optional<std::pair<unsigned, int64_t>> splitDim(linalg::LinalgOp op,
                                                     int64_t minWork) {
  if (!op.hasPureBufferSemantics())
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t work = 1;
  for (int64_t r : ranges)
    if (!ShapedType::isDynamic(r))
      work *= r;
  // In units of a one-input elementwise op's iteration (a load, an op, a
  // store): a Winograd input transform's iteration reads 16 and writes 16
  // elements with 32 adds in between, so 8192 of them (512 channels on a
  // 7x7 map) are worth a fork/join that 8192 ReLUs are not.
  int64_t cost = 0;
  for (OpOperand &o : op->getOpOperands())
    cost += isa<ShapedType>(o.get().getType());
  cost += std::distance(op.getBlock()->without_terminator().begin(),
                        op.getBlock()->without_terminator().end());
  work = work * std::max<int64_t>(cost, 1) / kElementwiseCost;
  if (work < minWork)
    return std::nullopt;
  auto iters = op.getIteratorTypesArray();
  auto splittable = [&](unsigned d) {
    return linalg::isParallelIterator(iters[d]) &&
           !ShapedType::isDynamic(ranges[d]) && ranges[d] >= 2;
  };
  if (auto split = integerContractionSplit(op, splittable))
    return split;
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (splittable(d))
      return std::make_pair(d, ranges[d]);
  return std::nullopt;
}

struct ParallelizeLoopsPass
    : public mnemo::impl::ParallelizeLoopsPassBase<ParallelizeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::tuple<linalg::LinalgOp, unsigned, int64_t>> work;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<scf::ForallOp>())
        return;
      if (auto split = splitDim(op, minWork))
        work.push_back({op, split->first, split->second});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, d, size] : work) {
      SmallVector<OpFoldResult> numThreads(op.getNumLoops(),
                                           rewriter.getIndexAttr(0));
      numThreads[d] = rewriter.getIndexAttr(std::min(size, chunks.getValue()));
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setNumThreads(numThreads);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        continue; // stays sequential; correct either way
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
