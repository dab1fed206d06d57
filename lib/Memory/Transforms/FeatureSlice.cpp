//===- FeatureSlice.cpp - feature slicing with operator grouping ----------===//
//
// Layer by layer, a run of ops keeps each large intermediate whole while
// the next op reads it. When the run is independent along some loop of its
// last op (tokens of an MLP, heads of attention, channels of a depthwise
// block, rows of a convolution with their halos) the run can instead go
// slice by slice: each slice flows through every op of the group before the
// next one starts, and only one slice of each intermediate is ever live.
//
// The rewrite is upstream tile-and-fuse: the group's last op (the consumer)
// is tiled along one loop, and its producers are fused into the tile loop
// as long as they are read by the group alone (an op with a user outside
// the group keeps its whole value live anyway) and a slice of them is
// smaller than all of them. Inits (fills, broadcast biases) are recomputed
// per slice. Parallel loops give the same arithmetic per element; a
// reduction loop is sliced only when it is the consumer's one non-trivial
// reduction, so each output still accumulates its terms in the original
// order and the outputs are bit-identical.
//
// Which group, loop and slice count: greedy rounds on the estimated peak
// (lib/Memory/TensorPeak.cpp). Each round evaluates, on copies of the
// function, consumers from the op at the peak on, and applies the one that
// lowers the peak most, until the budget is met or nothing helps.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Transforms/FeatureSlice.h"
#include "mnemo/Memory/Transforms/Passes.h"

#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/TensorPeak.h"

#include "mnemo/Support/Remarks.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace mnemo {
#define GEN_PASS_DEF_FEATURESLICEPASS
#include "mnemo/Memory/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using mnemo::memory::estimateTensorPeak;
using mnemo::memory::nodeName;

namespace {

/// Ops a group may hold: tileable tensor ops.
bool isGroupable(Operation *op) {
  if (auto l = dyn_cast<linalg::LinalgOp>(op))
    return l.hasPureTensorSemantics() && isa<TilingInterface>(op);
  // Tiling a pad with dynamic amounts (the patch loop's halo pads) gave
  // wrong results in our MobileNetV2 test; such pads stay whole.
  auto pad = dyn_cast<tensor::PadOp>(op);
  return pad && llvm::none_of(pad.getStaticLow(), ShapedType::isDynamic) &&
         llvm::none_of(pad.getStaticHigh(), ShapedType::isDynamic);
}

/// Reshapes a slice can be moved above (upstream's bubble-up patterns), so
/// a group continues through them.
bool isReshape(Operation *op) {
  return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op);
}

/// The producers only `consumer` needs: its backward slice through
/// groupable ops of its block, less every op with a user outside the group.
llvm::SetVector<Operation *> groupOf(Operation *consumer) {
  Block *block = consumer->getBlock();
  llvm::SetVector<Operation *> group;
  SmallVector<Operation *> work{consumer};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    for (Value v : op->getOperands()) {
      Operation *def = v.getDefiningOp();
      if (def && def->getBlock() == block &&
          (isGroupable(def) || isReshape(def)) && group.insert(def))
        work.push_back(def);
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation *op : SmallVector<Operation *>(group.getArrayRef())) {
      bool inside = llvm::all_of(op->getUsers(), [&](Operation *user) {
        return user == consumer || group.contains(user);
      });
      if (!inside) {
        group.remove(op); // its producers may now have an outside user
        changed = true;
      }
    }
  }
  return group;
}

/// Whether `slice` of a pad's result moves along a padded dim (rows with
/// halos). Upstream's pad tiling then emits dynamic pads under an `scf.if`
/// for tiles that only see padding; in our ResNet-18 and MobileNetV2 tests
/// the compiled result was wrong, so such pads stay whole. Slices along
/// unpadded dims (channels, heads) and static windows are unaffected.
bool movesAlongPaddedDim(tensor::ExtractSliceOp slice, tensor::PadOp pad) {
  for (auto [i, offset, size] : llvm::enumerate(slice.getMixedOffsets(),
                                                slice.getMixedSizes())) {
    if (pad.getStaticLow()[i] == 0 && pad.getStaticHigh()[i] == 0)
      continue;
    if (!getConstantIntValue(offset) || !getConstantIntValue(size))
      return true;
  }
  return false;
}

/// Whether the slice reads less than all of its source.
bool strictlySmaller(tensor::ExtractSliceOp slice) {
  ShapedType src = slice.getSourceType();
  for (auto [i, size] : llvm::enumerate(slice.getMixedSizes())) {
    std::optional<int64_t> s = getConstantIntValue(size);
    if (s && (src.isDynamicDim(i) || *s < src.getDimSize(i)))
      return true;
  }
  return false;
}

/// Loops of `op` a slicing may split: static, longer than one, and either
/// parallel or the only non-trivial reduction (accumulated in order).
SmallVector<unsigned> sliceableLoops(Operation *op) {
  auto l = dyn_cast<linalg::LinalgOp>(op);
  if (!l || !isGroupable(op) || mnemo::memory::isInitProducer(op))
    return {};
  SmallVector<int64_t> ranges = l.getStaticLoopRanges();
  SmallVector<utils::IteratorType> kinds = l.getIteratorTypesArray();
  int reductions = 0;
  for (auto [r, k] : llvm::zip(ranges, kinds))
    reductions += k == utils::IteratorType::reduction && r != 1;
  SmallVector<unsigned> loops;
  for (auto [i, r] : llvm::enumerate(ranges))
    if (!ShapedType::isDynamic(r) && r > 1 &&
        (kinds[i] == utils::IteratorType::parallel || reductions == 1))
      loops.push_back(i);
  return loops;
}

int64_t loopRange(Operation *op, unsigned loop) {
  return cast<linalg::LinalgOp>(op).getStaticLoopRanges()[loop];
}

/// What one slicing did.
struct Sliced {
  scf::ForOp loop;
  SmallVector<std::string> group; // node names of the fused producers
  int64_t groupMacs = 0;          // before slicing
};

/// Slices the group ending at `consumer` along `loop` into `slices`.
FailureOr<Sliced> sliceGroup(RewriterBase &rw, Operation *consumer,
                             unsigned loop, int64_t slices) {
  int64_t range = loopRange(consumer, loop);
  if (slices < 2 || range % slices)
    return failure();
  llvm::SetVector<Operation *> group = groupOf(consumer);
  auto tiled = cast<TilingInterface>(consumer);
  SmallVector<OpFoldResult> sizes(
      cast<linalg::LinalgOp>(consumer).getNumLoops(), rw.getIndexAttr(0));
  sizes[loop] = rw.getIndexAttr(range / slices);
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setTileSizes(sizes);
  RewritePatternSet cleanup(rw.getContext());
  tensor::populateBubbleUpExtractSliceOpPatterns(cleanup);
  options.cleanupPatterns = FrozenRewritePatternSet(std::move(cleanup));
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp slice, OpResult producer, bool)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *p = producer.getOwner();
        auto pad = dyn_cast<tensor::PadOp>(p);
        if ((group.contains(p) || mnemo::memory::isInitProducer(p)) &&
            !isReshape(p) && !(pad && movesAlongPaddedDim(slice, pad)) &&
            strictlySmaller(slice))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  Sliced s;
  s.groupMacs = mnemo::memory::multiplyAccumulates(consumer);
  rw.setInsertionPoint(consumer);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rw, tiled, options);
  if (failed(result) || result->loops.size() != 1)
    return failure();
  for (Operation *p : result->fusedProducers) {
    if (!mnemo::memory::isInitProducer(p) && !isReshape(p))
      s.group.push_back(nodeName(p->getLoc()));
    s.groupMacs += mnemo::memory::multiplyAccumulates(p);
  }
  // Alone, a sliced op holds its whole operands and result as before.
  if (s.group.empty()) {
    rw.eraseOp(result->loops.front());
    return failure();
  }
  for (OpResult r : consumer->getResults())
    rw.replaceAllUsesWith(r, result->replacements.lookup(r));
  rw.eraseOp(consumer);
  s.loop = cast<scf::ForOp>(result->loops.front().getOperation());

  // A producer fused for two readers was cloned twice with the same
  // slice: fold the copies (CSE also drops the slices the fused clones
  // replaced). Then the whole-tensor producers are dead.
  DominanceInfo dom;
  eliminateCommonSubExpressions(rw, dom, s.loop);
  RewritePatternSet patterns(rw.getContext());
  tensor::populateFoldTensorEmptyPatterns(patterns);
  SmallVector<Operation *> slicesOfEmpty;
  s.loop->walk([&](tensor::ExtractSliceOp op) { slicesOfEmpty.push_back(op); });
  (void)applyOpPatternsGreedily(slicesOfEmpty, std::move(patterns));
  Block *block = s.loop->getBlock();
  for (bool erased = true; erased;) {
    erased = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(*block)))
      if (isOpTriviallyDead(&op)) {
        rw.eraseOp(&op);
        erased = true;
      }
  }
  return s;
}

/// Where an op is: its position in the entry block, then in the body of
/// each loop around it.
using OpPath = SmallVector<int, 2>;

Operation *opAt(func::FuncOp fn, ArrayRef<int> path) {
  Block *block = &fn.front();
  Operation *op = nullptr;
  for (int i : path) {
    op = &*std::next(block->begin(), i);
    block = op->getNumRegions() ? &op->getRegion(0).front() : nullptr;
  }
  return op;
}

int positionOf(Operation *op) {
  return std::distance(op->getBlock()->begin(), op->getIterator());
}

struct Candidate {
  OpPath path; // of the consumer
  unsigned loop = 0;
  int64_t slices = 0;
  int64_t peak = 0, area = 0;
  int64_t local = 0; // live bytes while the slice loop runs
  bool coversPeak = false; // the group holds the op at the peak
  int64_t groupMacs = 0, slicedMacs = 0;
  double overhead() const {
    return groupMacs ? (double)slicedMacs / groupMacs - 1 : 0;
  }
};

/// Slices a copy of `fn` and measures it.
/// `peakAt` is the position of the op at the peak in the consumer's block
/// (-1: none).
std::optional<Candidate> evaluate(func::FuncOp fn, ArrayRef<int> path,
                                  unsigned loop, int64_t slices,
                                  int peakAt = -1) {
  OwningOpRef<func::FuncOp> copy = fn.clone();
  Operation *consumer = opAt(*copy, path);
  Block *block = consumer->getBlock();
  // Marked to see whether the group takes it in (fused copies inside the
  // loop keep the mark; the block's own op disappears).
  StringRef mark = "mnemo.feature_slice_peak";
  if (peakAt >= 0)
    std::next(block->begin(), peakAt)->setAttr(mark, UnitAttr::get(fn.getContext()));
  IRRewriter rw(fn.getContext());
  FailureOr<Sliced> s = sliceGroup(rw, consumer, loop, slices);
  if (failed(s))
    return std::nullopt;
  Candidate c;
  c.coversPeak = peakAt >= 0 && llvm::none_of(*block, [&](Operation &op) {
                   return op.hasAttr(mark);
                 });
  c.path.assign(path.begin(), path.end());
  c.loop = loop;
  c.slices = slices;
  c.groupMacs = s->groupMacs;
  c.slicedMacs = mnemo::memory::totalMultiplyAccumulates(s->loop);
  mnemo::memory::LiveProfile live =
      mnemo::memory::estimateLiveProfile(copy->front());
  c.peak = live.peak;
  c.area = live.area;
  // The slice loop's own step, or the step of the loop it is nested in.
  Operation *top = copy->front().findAncestorOpInBlock(*s->loop);
  c.local = path.size() > 1
                ? estimateTensorPeak(*s->loop->getBlock())
                : live.live[positionOf(top)];
  return c;
}

std::string describe(Operation *op) {
  std::string name = nodeName(op->getLoc());
  return llvm::formatv("'{0}' ({1})", name.empty() ? "?" : name,
                       op->getName().getStringRef());
}

/// The greedy rounds of feature slicing (see FeatureSlice.h).
class Slicer {
public:
  explicit Slicer(const mnemo::memory::SliceOptions &opt) : opt(opt) {}

  /// The slice counts tried for `consumer`'s `loop`: its divisors from 2
  /// to `max-slices`, ascending.
  SmallVector<int64_t> sliceCounts(Operation *consumer, unsigned l) {
    int64_t range = loopRange(consumer, l);
    SmallVector<int64_t> counts;
    for (int64_t n = 2; n <= std::min(range, opt.maxSlices); ++n)
      if (range % n == 0)
        counts.push_back(n);
    return counts;
  }

  /// One greedy round; whether it sliced a group.
  bool sliceOnce(func::FuncOp fn) {
    mnemo::memory::LiveProfile live =
        mnemo::memory::estimateLiveProfile(fn.front());
    int64_t before = live.peak;
    if (opt.sramBudget > 0 && before <= opt.sramBudget)
      return false;
    // The block the peak is in: a loop whose body's buffers dominate its
    // step (a patch loop, an earlier slice loop) is searched inside.
    Block *blockPtr = &fn.front();
    OpPath path = {live.peakAt};
    for (;;) {
      Operation *peakOp = &*std::next(blockPtr->begin(), path.back());
      auto loopOp = dyn_cast<scf::ForOp>(peakOp);
      if (!loopOp)
        break;
      mnemo::memory::LiveProfile inner =
          mnemo::memory::estimateLiveProfile(*loopOp.getBody());
      if (inner.peak * 2 < live.live[path.back()])
        break;
      blockPtr = loopOp.getBody();
      live = inner;
      path.push_back(inner.peakAt);
    }
    Block &block = *blockPtr;
    int at = path.back();
    path.pop_back();
    // The consumers from the peak on, and the peak op's producers: at a
    // residual add that requantizes a projection, the projection is the
    // consumer whose reduction slices the block.
    llvm::SmallPtrSet<Operation *, 4> producers;
    Operation *peakOp = &*std::next(block.begin(), at);
    for (Value v : peakOp->getOperands())
      if (Operation *def = v.getDefiningOp(); def && def->getBlock() == &block)
        producers.insert(def);
    // Per consumer and loop, the most slices tried first: if that does not
    // lower the peak, fewer will not either.
    std::vector<Candidate> best;
    for (auto [k, o] : llvm::enumerate(block)) {
      if (((int)k < at || (int)k > at + opt.window) && !producers.contains(&o))
        continue;
      for (unsigned l : sliceableLoops(&o)) {
        SmallVector<int64_t> counts = sliceCounts(&o, l);
        if (counts.empty())
          continue;
        OpPath where = path;
        where.push_back(k);
        std::optional<Candidate> most = evaluate(fn, where, l, counts.back(), at);
        // It must lower the peak, or, where another part of the model has
        // the same peak (the next transformer block), the memory here.
        if (!most || most->peak > before ||
            (most->peak == before &&
             (!most->coversPeak || most->local >= live.peak)) ||
            most->overhead() > opt.maxRecompute + 1e-9)
          continue;
        // The fewest slices that fit the budget, or whose group holds
        // within 5% of the memory the most slices leave it (fewer, larger
        // slices run faster; later rounds may lower the rest of the model
        // to what this group holds).
        Candidate pick = *most;
        for (int64_t n : counts) {
          if (n == counts.back())
            break;
          std::optional<Candidate> c = evaluate(fn, where, l, n, at);
          if (c && c->overhead() <= opt.maxRecompute + 1e-9 &&
              ((opt.sramBudget > 0 && c->peak <= opt.sramBudget) ||
               (c->peak <= most->peak && c->local * 20 <= most->local * 21))) {
            pick = *c;
            break;
          }
        }
        best.push_back(pick);
      }
    }
    if (best.empty())
      return false;
    // With a budget: the fewest slices that fit; else the lowest peak.
    // Among equal peaks (another part of the model bounds it), the least
    // memory here, then over the whole run.
    auto rank = [&](const Candidate &c) {
      bool fits = opt.sramBudget > 0 && c.peak <= opt.sramBudget;
      return std::make_tuple(!fits, fits ? c.slices : c.peak, c.local, c.area,
                             c.slices, c.slicedMacs);
    };
    const Candidate &c = *llvm::min_element(
        best, [&](const Candidate &x, const Candidate &y) {
          return rank(x) < rank(y);
        });
    return apply(fn, c, before);
  }

  bool apply(func::FuncOp fn, const Candidate &c, int64_t before) {
    Operation *consumer = opAt(fn, c.path);
    std::string what = describe(consumer);
    std::string consumerName = nodeName(consumer->getLoc());
    bool reduction = cast<linalg::LinalgOp>(consumer)
                         .getIteratorTypesArray()[c.loop] ==
                     utils::IteratorType::reduction;
    int64_t range = loopRange(consumer, c.loop);
    IRRewriter rw(fn.getContext());
    FailureOr<Sliced> s = sliceGroup(rw, consumer, c.loop, c.slices);
    if (failed(s))
      return false; // the copy sliced; the original is the same IR
    Builder b(fn.getContext());
    SmallVector<Attribute> names;
    for (const std::string &n : s->group)
      names.push_back(b.getStringAttr(n));
    int64_t after = estimateTensorPeak(fn.front());
    s->loop->setAttr(
        "mnemo.feature_slice",
        b.getDictionaryAttr({
            b.getNamedAttr("consumer", b.getStringAttr(consumerName)),
            b.getNamedAttr("loop", b.getI64IntegerAttr(c.loop)),
            b.getNamedAttr("reduction", b.getBoolAttr(reduction)),
            b.getNamedAttr("slices", b.getI64IntegerAttr(c.slices)),
            b.getNamedAttr("group", b.getArrayAttr(names)),
            b.getNamedAttr("group_macs", b.getI64IntegerAttr(c.groupMacs)),
            b.getNamedAttr("sliced_macs", b.getI64IntegerAttr(c.slicedMacs)),
            b.getNamedAttr("peak_before", b.getI64IntegerAttr(before)),
            b.getNamedAttr("peak_after", b.getI64IntegerAttr(after)),
        }));
    if (opt.print)
      mnemo::ReportLine(s->loop.getLoc()) << llvm::formatv(
          "feature slice: {0} loop {1} ({2}, {3}) into {4} slices, group of "
          "{5} ops, extra MACs {6:P1}, estimated peak {7} -> {8} bytes\n",
          what, c.loop, reduction ? "reduction" : "parallel", range, c.slices,
          s->group.size() + 1, c.overhead(), before, after);
    return true;
  }

private:
  mnemo::memory::SliceOptions opt;
};

struct FeatureSlicePass
    : public mnemo::impl::FeatureSlicePassBase<FeatureSlicePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = mnemo::memory::lookupEntry(module, entry);
    if (!fn)
      return signalPassFailure();
    if (slices < 0 || (slices == 1) || maxSlices < 2 || window < 0 ||
        maxRounds < 0 || maxRecompute < 0) {
      module.emitError("feature-slice: slices must be 0 or >= 2, max-slices "
                       ">= 2, and window, max-rounds and max-recompute >= 0");
      return signalPassFailure();
    }
    if (!op.empty())
      return sliceNamed(fn);
    int64_t round = mnemo::memory::sliceGreedily(fn, options());
    if (print && round == 0) {
      int64_t peak = estimateTensorPeak(fn.front());
      mnemo::ReportLine(fn.getLoc()) << "feature slice: none (estimated peak " << peak
                   << " bytes"
                   << (sramBudget > 0 && peak <= sramBudget
                           ? " fits the budget)\n"
                           : "; no group lowers it)\n");
    }
  }

  mnemo::memory::SliceOptions options() {
    mnemo::memory::SliceOptions o;
    o.maxSlices = maxSlices;
    o.window = window;
    o.maxRounds = maxRounds;
    o.maxRecompute = maxRecompute;
    o.sramBudget = sramBudget;
    o.print = print;
    return o;
  }
  Slicer slicer() { return Slicer(options()); }

  /// The group `op`/`loop`/`slices` names, or an error.
  void sliceNamed(func::FuncOp fn) {
    Block &block = fn.front();
    auto it = llvm::find_if(block, [&](Operation &o) {
      return nodeName(o.getLoc()) == op && !sliceableLoops(&o).empty();
    });
    if (it == block.end()) {
      fn.emitError() << "feature-slice: no sliceable linalg op named '" << op
                     << "'";
      return signalPassFailure();
    }
    Operation *consumer = &*it;
    SmallVector<unsigned> loops = sliceableLoops(consumer);
    OpPath path = {(int)std::distance(block.begin(), it)};
    std::optional<Candidate> best;
    for (unsigned l : loops) {
      if (loop >= 0 && (int64_t)l != loop)
        continue;
      for (int64_t n : slicer().sliceCounts(consumer, l)) {
        if (slices && n != slices)
          continue;
        std::optional<Candidate> c = evaluate(fn, path, l, n);
        if (c && (!best || std::make_pair(c->peak, c->slices) <
                               std::make_pair(best->peak, best->slices)))
          best = c;
      }
    }
    if (!best) {
      InFlightDiagnostic d = consumer->emitError()
                             << "feature-slice: cannot slice " << describe(consumer);
      if (loop >= 0)
        d << " along loop " << (int64_t)loop;
      if (slices)
        d << " into " << (int64_t)slices << " slices";
      d << " (sliceable loops:";
      for (unsigned l : loops)
        d << " " << l << "=" << loopRange(consumer, l);
      d << ")";
      return signalPassFailure();
    }
    slicer().apply(fn, *best, estimateTensorPeak(block));
  }

};

} // namespace

int64_t mnemo::memory::sliceGreedily(func::FuncOp fn,
                                     const SliceOptions &options) {
  Slicer slicer(options);
  int64_t round = 0;
  while (round < options.maxRounds && slicer.sliceOnce(fn))
    ++round;
  return round;
}
