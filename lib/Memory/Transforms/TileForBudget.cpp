//===- TileForBudget.cpp - tile ops to the on-chip budget -----------------===//
//
// Patches and slices lower how much is live between ops; an op can still
// need more fast memory than there is while it runs (the LM head's logits,
// a wide MLP projection). Such an op is tiled so that one tile's inputs,
// outputs and accumulators fit; the whole tensors then stay off chip and
// tiles stream through. Tile sizes come from the indexing maps alone, so
// the same rule covers matmuls, convolutions and elementwise ops.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Transforms/Passes.h"

#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/TileAttrs.h"

#include "mnemo/Support/Remarks.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/FormatVariadic.h"

namespace mnemo {
#define GEN_PASS_DEF_TILEFORBUDGETPASS
#include "mnemo/Memory/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::memory;

namespace {

/// Per-loop coefficients of an affine expression without mod/div (so the
/// elements it reads over a tile box form one interval per result), or
/// nothing.
std::optional<SmallVector<int64_t>> coefficients(AffineExpr e,
                                                 unsigned numDims) {
  bool linear = true;
  e.walk([&](AffineExpr x) {
    if (x.getKind() == AffineExprKind::Mod ||
        x.getKind() == AffineExprKind::FloorDiv ||
        x.getKind() == AffineExprKind::CeilDiv)
      linear = false;
  });
  if (!linear)
    return std::nullopt;
  AffineMap m = AffineMap::get(numDims, 0, e);
  SmallVector<int64_t> at(numDims, 0);
  int64_t base = m.compose(at)[0];
  SmallVector<int64_t> coeffs;
  for (unsigned d = 0; d < numDims; ++d) {
    at[d] = 1;
    coeffs.push_back(m.compose(at)[0] - base);
    at[d] = 0;
  }
  return coeffs;
}

/// The footprint of one operand: per result, its coefficients.
struct Footprint {
  SmallVector<SmallVector<int64_t>> coeffs;
  int64_t elementBytes = 0, fullBytes = 0;

  int64_t bytes(ArrayRef<int64_t> tile) const {
    int64_t n = elementBytes;
    for (const SmallVector<int64_t> &c : coeffs) {
      int64_t extent = 1;
      for (auto [k, t] : llvm::zip(c, tile))
        extent += std::abs(k) * (t - 1);
      n *= extent;
    }
    return n;
  }
  bool uses(unsigned d) const {
    return llvm::any_of(coeffs, [&](auto &c) { return c[d] != 0; });
  }
};

/// The op's operand footprints, or nothing when a map is not linear or a
/// shape is dynamic.
std::optional<SmallVector<Footprint>> footprints(linalg::LinalgOp op) {
  SmallVector<Footprint> out;
  unsigned loops = op.getNumLoops();
  for (OpOperand &operand : op->getOpOperands()) {
    auto t = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!t)
      continue; // scalars are registers
    if (!t.hasStaticShape())
      return std::nullopt;
    Footprint f;
    f.elementBytes = mnemo::memory::elementBytes(t.getElementType());
    f.fullBytes = t.getNumElements() * f.elementBytes;
    for (AffineExpr e : op.getMatchingIndexingMap(&operand).getResults()) {
      std::optional<SmallVector<int64_t>> c = coefficients(e, loops);
      if (!c)
        return std::nullopt;
      f.coeffs.push_back(*c);
    }
    out.push_back(std::move(f));
  }
  return out;
}

int64_t workingSet(ArrayRef<Footprint> fps, ArrayRef<int64_t> tile) {
  int64_t n = 0;
  for (const Footprint &f : fps)
    n += f.bytes(tile);
  return n;
}

/// Modelled off-chip bytes: an operand tile is loaded once per iteration of
/// the tiled loops up to the innermost one it depends on (loops nest in
/// dim order), and stays on chip across the loops inside that.
int64_t modelledTraffic(ArrayRef<Footprint> fps, ArrayRef<int64_t> ranges,
                        ArrayRef<int64_t> tile) {
  int64_t total = 0;
  for (const Footprint &f : fps) {
    int64_t loads = 1, pending = 1;
    for (unsigned d = 0; d < tile.size(); ++d) {
      if (tile[d] == ranges[d])
        continue;
      pending *= ranges[d] / tile[d];
      if (f.uses(d)) {
        loads *= pending;
        pending = 1;
      }
    }
    total += loads * f.bytes(tile);
  }
  return total;
}

SmallVector<int64_t> divisors(int64_t n) {
  SmallVector<int64_t> out;
  for (int64_t t = 1; t <= n; ++t)
    if (n % t == 0)
      out.push_back(t);
  return out;
}

/// Most tile shapes searched exhaustively; beyond it, greedy halving.
constexpr int64_t kMaxSearch = 200000;

/// The tile (each size a divisor of its loop, so no partial tiles) whose
/// working set fits with the least modelled traffic; among equals, the
/// largest working set (fewest iterations). Loop nests with too many
/// shapes halve one tile at a time instead, always the one that keeps the
/// traffic lowest. `split` excludes the whole op. Returns whether the tile
/// fits.
bool chooseTile(ArrayRef<Footprint> fps, ArrayRef<int64_t> ranges,
                int64_t budget, bool split, SmallVectorImpl<int64_t> &tile) {
  SmallVector<SmallVector<int64_t>> choices;
  int64_t shapes = 1;
  for (int64_t r : ranges) {
    choices.push_back(divisors(r));
    shapes = std::min<int64_t>(kMaxSearch + 1, shapes * choices.back().size());
  }
  tile.assign(ranges.begin(), ranges.end());
  if (!split && workingSet(fps, tile) <= budget)
    return true;
  if (shapes <= kMaxSearch) {
    SmallVector<size_t> at(ranges.size(), 0);
    SmallVector<int64_t> cur(ranges.size()), best;
    int64_t bestTraffic = 0, bestWs = 0;
    while (true) {
      for (size_t d = 0; d < at.size(); ++d)
        cur[d] = choices[d][at[d]];
      int64_t ws = workingSet(fps, cur);
      if (ws <= budget && !(split && llvm::equal(cur, ranges))) {
        int64_t t = modelledTraffic(fps, ranges, cur);
        if (best.empty() || t < bestTraffic ||
            (t == bestTraffic && ws > bestWs)) {
          best = cur;
          bestTraffic = t;
          bestWs = ws;
        }
      }
      size_t d = 0;
      while (d < at.size() && ++at[d] == choices[d].size())
        at[d++] = 0;
      if (d == at.size())
        break;
    }
    if (!best.empty()) {
      tile.assign(best.begin(), best.end());
      return true;
    }
    tile.assign(ranges.size(), 1);
    return false;
  }
  // The largest divisor of loop d at most half its current tile.
  auto halved = [&](unsigned d) {
    auto it = llvm::upper_bound(choices[d], tile[d] / 2);
    return it == choices[d].begin() ? int64_t(1) : *std::prev(it);
  };
  while (workingSet(fps, tile) > budget ||
         (split && llvm::equal(tile, ranges))) {
    int best = -1;
    int64_t bestTraffic = 0;
    for (unsigned d = 0; d < tile.size(); ++d) {
      if (tile[d] == 1)
        continue;
      SmallVector<int64_t> next(tile.begin(), tile.end());
      next[d] = halved(d);
      int64_t t = modelledTraffic(fps, ranges, next);
      if (best < 0 || t < bestTraffic ||
          (t == bestTraffic && tile[d] > tile[best])) {
        best = d;
        bestTraffic = t;
      }
    }
    if (best < 0)
      return false;
    tile[best] = halved(best);
  }
  return true;
}

/// Bytes of the tensors the op's operands are slices or reshapes of.
int64_t rootBytes(linalg::LinalgOp op) {
  llvm::SmallPtrSet<Value, 4> roots;
  for (Value v : op->getOperands()) {
    while (Operation *def = v.getDefiningOp()) {
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def))
        v = slice.getSource();
      else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
        v = def->getOperand(0);
      else
        break;
    }
    roots.insert(v);
  }
  int64_t n = 0;
  for (Value v : roots)
    if (auto t = dyn_cast<RankedTensorType>(v.getType()); t && t.hasStaticShape())
      n += t.getNumElements() * elementBytes(t.getElementType());
  return n;
}

/// Ops already in tiles (a fused fill, the FlashAttention loops) fit.
bool insideTiledLoop(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (p->hasAttr(kTiledAttr))
      return true;
  return false;
}

struct TileForBudgetPass
    : public mnemo::impl::TileForBudgetPassBase<TileForBudgetPass> {
  using TileForBudgetPassBase::TileForBudgetPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = mnemo::memory::lookupEntry(module, entry);
    if (!fn)
      return signalPassFailure();
    int64_t budget = sramBudget;
    if (budget <= 0) {
      module.emitError("mnemo-tile-for-budget needs sram-budget > 0");
      return signalPassFailure();
    }
    // Fills last: one that initializes a tiled op is fused into its tiles
    // where it can be; the rest are tiled on their own.
    int tiled = 0, over = 0;
    for (bool fills : {false, true}) {
      SmallVector<linalg::LinalgOp> ops;
      fn.walk([&](linalg::LinalgOp op) {
        if (isa<linalg::FillOp>(op) == fills && op.hasPureTensorSemantics() &&
            isa<TilingInterface>(op.getOperation()) && !op->use_empty() &&
            !insideTiledLoop(op))
          ops.push_back(op);
      });
      for (linalg::LinalgOp op : ops)
        tileOne(op, budget, tiled, over);
    }
    if (print && tiled == 0)
      mnemo::ReportLine(fn.getLoc()) << "tile for budget: none (every op's working set fits "
                   << budget << " bytes)\n";
    else if (print && over > 0)
      mnemo::ReportLine(fn.getLoc()) << "tile for budget: " << over
                   << " op(s) over the budget at their smallest tile\n";
  }

  void tileOne(linalg::LinalgOp op, int64_t budget, int &tiled, int &over) {
    IRRewriter rewriter(&getContext());
    std::optional<SmallVector<Footprint>> fps = footprints(op);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (!fps || llvm::any_of(ranges, ShapedType::isDynamic))
      return;
    int64_t whole = workingSet(*fps, ranges);
    // An op that fits but reads slices of larger tensors is still split:
    // untiled, the tier planner must hold those tensors on chip whole.
    bool split = whole <= budget && rootBytes(op) > budget;
    if (whole <= budget && !split)
      return;
    SmallVector<int64_t> tile;
    bool fits = chooseTile(*fps, ranges, budget, split, tile);
    std::string name = nodeName(op->getLoc());
    if (name.empty())
      name = op->getName().getStringRef().str();
    int64_t ws = workingSet(*fps, tile);
    if (!fits) {
      ++over;
      op->emitWarning() << "'" << name << "': smallest tile working set "
                        << ws << " bytes exceeds the budget of "
                        << budget << " bytes";
    }
    int64_t once = 0;
    for (const Footprint &f : *fps)
      once += f.fullBytes;
    int64_t traffic = modelledTraffic(*fps, ranges, tile);
    double ratio = double(traffic) / double(std::max<int64_t>(1, once));

    scf::SCFTileAndFuseOptions options;
    SmallVector<OpFoldResult> sizes;
    bool reductionTiled = false;
    SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
    for (auto [t, r, kind] : llvm::zip(tile, ranges, kinds)) {
      sizes.push_back(rewriter.getIndexAttr(t == r ? 0 : t));
      reductionTiled |= t != r && kind == utils::IteratorType::reduction;
    }
    options.tilingOptions.setTileSizes(sizes);
    // A fill of the accumulator moves into the tiles (each tile zeroes
    // its own part) unless a reduction loop is tiled: the fill would then
    // run again for every reduction tile.
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer, bool)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (reductionTiled || !isa<linalg::FillOp>(producer.getOwner()))
            return std::nullopt;
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        });
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(result) || result->loops.empty())
      return;
    SmallVector<Value> replacements;
    for (Value v : op->getResults())
      replacements.push_back(result->replacements.lookup(v));
    rewriter.replaceOp(op, replacements);
    Operation *loop = result->loops.front();
    loop->setAttr(kTiledAttr, rewriter.getDenseI64ArrayAttr(tile));
    loop->setAttr(kTileStagingAttr, rewriter.getI64IntegerAttr(ws));
    loop->setAttr(kTileTrafficRatioAttr, rewriter.getF64FloatAttr(ratio));
    ++tiled;
    if (print)
      mnemo::ReportLine(loop->getLoc()) << llvm::formatv(
          "tile for budget: '{0}' working set {1} -> {2} bytes, tiles "
          "[{3}] of [{4}], modelled off-chip traffic {5} bytes ({6:f2}x "
          "its operands)\n",
          name, whole, ws, llvm::make_range(tile.begin(), tile.end()),
          llvm::make_range(ranges.begin(), ranges.end()), traffic, ratio);
  }
};

} // namespace
