//===- TensorPeak.cpp - activation peak of tensor-level IR ----------------===//

#include "mnemo/Memory/Planning/TensorPeak.h"

#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/TileAttrs.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/MathExtras.h"

#include <climits>

using namespace mlir;

namespace mnemo::memory {

namespace {

int64_t tensorBytes(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !t.hasStaticShape())
    return 0;
  return t.getNumElements() * elementBytes(t.getElementType());
}

/// The operand whose buffer `result` is a view of, if any.
Value viewSource(OpResult result) {
  Operation *op = result.getOwner();
  if (auto s = dyn_cast<tensor::ExtractSliceOp>(op))
    return s.getSource();
  if (auto s = dyn_cast<tensor::InsertSliceOp>(op))
    return s.getDest();
  if (auto c = dyn_cast<tensor::CastOp>(op))
    return c.getSource();
  if (auto c = dyn_cast<tensor::CollapseShapeOp>(op))
    return c.getSrc();
  if (auto e = dyn_cast<tensor::ExpandShapeOp>(op))
    return e.getSrc();
  if (auto f = dyn_cast<scf::ForOp>(op))
    return f.getInitArgs()[result.getResultNumber()];
  return {};
}

/// An integer accumulator that mnemo-fuse-accumulators tiles into its
/// requantization (with the tiles of memory-first builds, the only ones
/// that estimate): that consumer and the tile.
struct TiledAccumulator {
  linalg::GenericOp consumer;
  SmallVector<int64_t> tile;
};
std::optional<TiledAccumulator> tiledAccumulator(Value res) {
  if (!integerAccumulator(res))
    return std::nullopt;
  auto consumer = dyn_cast<linalg::GenericOp>(*res.getUsers().begin());
  std::optional<SmallVector<int64_t>> tile =
      consumer ? accumulatorTile(consumer, kLowMemoryAccumulatorTileBytes)
               : std::nullopt;
  if (!tile)
    return std::nullopt;
  return TiledAccumulator{consumer, std::move(*tile)};
}

/// Bytes of `res` while it lives: a tiled accumulator exists one tile at a
/// time.
int64_t accumulatorBytes(OpResult res, int64_t bytes) {
  std::optional<TiledAccumulator> tiled = tiledAccumulator(res);
  if (!tiled)
    return bytes;
  int64_t n = 4; // i32
  for (int64_t t : tiled->tile)
    n *= t;
  return std::min(bytes, n);
}

/// A spatial pad read only by a stride-1 depthwise integer contraction
/// whose accumulator is tiled along channels alone into a requantization
/// of the pad source's type: mnemo-in-place-channel-tiles makes that
/// requantization overwrite the source, and the pad exists one channel
/// tile at a time.
struct InPlaceDepthwise {
  Value source;
  Operation *requant;
  int64_t tileChannels, channels;
};
std::optional<InPlaceDepthwise> inPlaceDepthwise(tensor::PadOp pad) {
  Value x = pad.getSource();
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() != 4 || !x.hasOneUse() || !pad->hasOneUse() ||
      !pad.getConstantPaddingValue() || !x.getDefiningOp())
    return std::nullopt;
  for (unsigned d = 0; d < 2; ++d)
    if (pad.getStaticLow()[d] != 0 || pad.getStaticHigh()[d] != 0)
      return std::nullopt;
  OpOperand &use = *pad->getUses().begin();
  auto dw = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!dw || dw->getNumResults() != 1 || !dw.isDpsInput(&use))
    return std::nullopt;
  // Depthwise: the input channel is the output's channel loop (plus loops
  // of one iteration: a grouped convolution's channel in its group).
  AffineMap in = dw.getMatchingIndexingMap(&use);
  AffineMap out = dw.getMatchingIndexingMap(dw.getDpsInitOperand(0));
  if (in.getNumResults() != 4 || out.getNumResults() != 4)
    return std::nullopt;
  SmallVector<AffineExpr> dims;
  for (auto [d, range] : llvm::enumerate(dw.getStaticLoopRanges()))
    dims.push_back(range == 1 ? getAffineConstantExpr(0, dw.getContext())
                              : getAffineDimExpr(d, dw.getContext()));
  if (in.getResult(1).replaceDims(dims) != out.getResult(1))
    return std::nullopt;
  std::optional<TiledAccumulator> tiled = tiledAccumulator(dw->getResult(0));
  if (!tiled || tiled->consumer->getResult(0).getType() != type ||
      !tiled->consumer.getMatchingIndexingMap(tiled->consumer.getDpsInitOperand(0))
           .isIdentity())
    return std::nullopt;
  SmallVector<int64_t> ranges = tiled->consumer.getStaticLoopRanges();
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (d != 1 && tiled->tile[d] != ranges[d])
      return std::nullopt;
  return InPlaceDepthwise{x, tiled->consumer, tiled->tile[1], ranges[1]};
}

bool isElementwise(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  return g && g.getNumLoops() == g.getNumParallelLoops() &&
         llvm::all_of(g.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); });
}

} // namespace

bool isInitProducer(Operation *op) {
  if (isa<linalg::FillOp>(op))
    return true;
  auto g = dyn_cast<linalg::GenericOp>(op);
  return g && g.getNumLoops() == g.getNumParallelLoops() &&
         llvm::all_of(g.getDpsInputs(), [](Value v) {
           Operation *def = v.getDefiningOp();
           return def && def->hasTrait<OpTrait::ConstantLike>();
         });
}

int64_t multiplyAccumulates(Operation *op) {
  auto l = dyn_cast<linalg::LinalgOp>(op);
  if (!l || l.getNumReductionLoops() == 0)
    return 0;
  // Dynamic ranges count as 1 (an estimate); a product past int64
  // saturates rather than overflowing.
  int64_t n = 1;
  for (int64_t r : l.getStaticLoopRanges())
    if (!ShapedType::isDynamic(r) && llvm::MulOverflow(n, r, n))
      return std::numeric_limits<int64_t>::max();
  return n;
}

int64_t totalMultiplyAccumulates(Operation *root) {
  int64_t total = 0;
  root->walk([&](Operation *op) {
    int64_t macs = multiplyAccumulates(op);
    if (!macs)
      return;
    for (auto loop = op->getParentOfType<scf::ForOp>();
         loop && (loop == root || root->isProperAncestor(loop));
         loop = loop->getParentOfType<scf::ForOp>())
      if (std::optional<APInt> trips = loop.getStaticTripCount())
        if (llvm::MulOverflow(macs, trips->getSExtValue(), macs))
          macs = std::numeric_limits<int64_t>::max();
    if (llvm::AddOverflow(total, macs, total))
      total = std::numeric_limits<int64_t>::max();
  });
  return total;
}

int64_t estimateTensorPeak(Block &block) {
  return estimateLiveProfile(block).peak;
}

LiveProfile estimateLiveProfile(Block &block) {
  DenseMap<Operation *, int> index;
  for (Operation &op : block)
    index[&op] = index.size();
  const int end = index.size();
  auto firstUse = [&](Value v) {
    int first = end;
    for (Operation *user : v.getUsers())
      if (Operation *top = block.findAncestorOpInBlock(*user))
        first = std::min(first, index.lookup(top));
    return first;
  };
  // An integer contraction mnemo-fuse-accumulators tiles into its
  // requantization runs inside that op's tile loop: what it reads stays
  // live until then, next to the requantized output.
  auto tiledInto = [&](Operation *op) {
    auto contraction = dyn_cast<linalg::GenericOp>(op);
    if (!contraction || contraction->getNumResults() != 1)
      return op;
    std::optional<TiledAccumulator> tiled =
        tiledAccumulator(contraction->getResult(0));
    if (!tiled || tiled->consumer->getBlock() != &block)
      return op;
    return tiled->consumer.getOperation();
  };
  auto lastUse = [&](Value v) {
    if (Operation *def = v.getDefiningOp();
        def && def->getBlock() == &block && isInitProducer(def))
      return firstUse(v); // later consumers get their own copy

    int last = -1;
    for (Operation *user : v.getUsers()) {
      Operation *top = block.findAncestorOpInBlock(*user);
      if (!top)
        continue;
      last = std::max(last, top->hasTrait<OpTrait::IsTerminator>()
                                ? end
                                : index.lookup(tiledInto(top)));
    }
    return last;
  };
  // tensor.empty buffers exist only once something writes into them.
  struct Buf {
    int64_t bytes;
    int first, last;
  };
  std::vector<Buf> bufs;
  DenseMap<Value, int> bufOf;
  std::vector<int64_t> inner(end, 0);
  // In-place depthwise requantizations: the buffer they overwrite.
  DenseMap<Operation *, Value> overwrites;
  for (Operation &op : block) {
    int i = index.lookup(&op);
    if (op.hasTrait<OpTrait::ConstantLike>())
      continue; // weights live in the binary, not in the workspace
    for (Region &r : op.getRegions())
      for (Block &b : r)
        inner[i] = std::max(inner[i], estimateTensorPeak(b));
    // The buffer of `v` if it is last used here.
    auto dying = [&](Value v) -> int {
      auto it = bufOf.find(v);
      return it != bufOf.end() && bufs[it->second].last <= i ? it->second
                                                             : -1;
    };
    for (OpResult res : op.getResults()) {
      int reuse = -1;
      int64_t bytes = tensorBytes(res);
      bytes = accumulatorBytes(res, bytes);
      if (auto pad = dyn_cast<tensor::PadOp>(op))
        if (std::optional<InPlaceDepthwise> ip = inPlaceDepthwise(pad)) {
          bytes = bytes / ip->channels * ip->tileChannels;
          overwrites[ip->requant] = ip->source;
        }
      if (Value over = overwrites.lookup(&op); over && bufOf.count(over)) {
        reuse = bufOf[over];
      } else if (Value src = viewSource(res)) {
        // Views (of any shape) keep their source alive.
        auto it = bufOf.find(src);
        if (it == bufOf.end())
          continue; // a view of an argument or constant
        reuse = it->second;
      } else if (!bytes) {
        continue;
      } else if (isa<tensor::EmptyOp>(op)) {
        bufOf[res] = bufs.size();
        bufs.push_back({bytes, INT_MAX, lastUse(res)});
        continue;
      } else if (auto dps = dyn_cast<DestinationStyleOpInterface>(op)) {
        // Elementwise results go into a dying input of the same type.
        if (isElementwise(&op))
          for (OpOperand *in : dps.getDpsInputOperands())
            if (in->get().getType() == res.getType() &&
                (reuse = dying(in->get())) >= 0)
              break;
        Value init = dps.getTiedOpOperand(res)->get();
        Operation *initDef = init.getDefiningOp();
        bool copied = initDef && initDef->getBlock() == &block &&
                      isInitProducer(initDef) && firstUse(init) != i;
        if (reuse < 0 && !copied)
          reuse = dying(init);
      }
      if (reuse >= 0) {
        // An accumulator written into its init's buffer (empty, fill).
        if (integerAccumulator(res))
          bufs[reuse].bytes = std::min(bufs[reuse].bytes, bytes);
        bufs[reuse].first = std::min(bufs[reuse].first, i);
        bufs[reuse].last = std::max(bufs[reuse].last, lastUse(res));
        bufOf[res] = reuse;
        continue;
      }
      // An init is recomputed right before its (first) consumer.
      int first = isInitProducer(&op) ? std::max(i, firstUse(res)) : i;
      bufOf[res] = bufs.size();
      bufs.push_back({bytes, first, std::max(first, lastUse(res))});
    }
  }
  LiveProfile profile;
  for (int i = 0; i < end; ++i) {
    int64_t live = inner[i];
    for (const Buf &b : bufs)
      if (b.first <= i && i <= b.last)
        live += b.bytes;
    if (live > profile.peak) {
      profile.peak = live;
      profile.peakAt = i;
    }
    profile.area += live;
    profile.live.push_back(live);
  }
  return profile;
}

linalg::GenericOp integerAccumulator(Value v, bool tiling) {
  auto producer = v.getDefiningOp<linalg::GenericOp>();
  if (!producer || producer->getNumResults() != 1 ||
      (!tiling && !producer->hasOneUse()) ||
      producer.getNumReductionLoops() == 0 ||
      !producer.hasPureTensorSemantics())
    return nullptr;
  auto t = cast<RankedTensorType>(v.getType());
  if (!t.getElementType().isSignlessInteger(32) || !t.hasStaticShape())
    return nullptr;
  return producer;
}

std::optional<SmallVector<int64_t>> accumulatorTile(linalg::GenericOp op,
                                                    int64_t limit) {
  if (op.getNumReductionLoops() != 0 || op->getNumResults() != 1 ||
      !op.hasPureTensorSemantics() ||
      llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic) ||
      llvm::none_of(op.getDpsInputOperands(), [&](OpOperand *in) {
        return integerAccumulator(in->get()) &&
               op.getMatchingIndexingMap(in).isPermutation();
      }))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> tile(ranges);
  auto bytes = [&](size_t from) {
    int64_t n = 4; // i32
    for (size_t d = from; d < tile.size(); ++d)
      n *= tile[d];
    return n;
  };
  for (size_t d = 0; d < tile.size() && bytes(0) > limit; ++d) {
    int64_t inner = bytes(d + 1);
    int64_t fit = std::max<int64_t>(1, std::min(ranges[d], limit / inner));
    int64_t best = 1;
    for (int64_t t = 1; t <= fit; ++t)
      if (ranges[d] % t == 0)
        best = t;
    // Far more tiles than partial ones would need (a prime extent): the
    // accumulator stays whole rather than run thousands of tiny tiles.
    int64_t partialTiles = (ranges[d] + fit - 1) / fit;
    if (ranges[d] / best > 64 * partialTiles)
      return std::nullopt;
    tile[d] = best;
  }
  if (tile == ranges)
    return std::nullopt; // the whole accumulator fits a tile already
  return tile;
}

} // namespace mnemo::memory
