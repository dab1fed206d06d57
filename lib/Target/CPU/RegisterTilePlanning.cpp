//===- RegisterTilePlanning.cpp - which form a contraction takes ----------===//
//
// Plans for mnemo-cpu-register-tile (RegisterTileKernels.h): the register
// block of a contraction, the fill or bias before it and the elementwise
// op after it that fold into its accumulators, and the rewrites and forms
// that suit its shape (1x1 convolutions flattened, im2col, pitched
// convolutions, the channel-vector form with packed weights).
//
//===----------------------------------------------------------------------===//

#include "RegisterTileKernels.h"
#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Target/CPU/BufferAliases.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mnemo::register_tile {

/// The buffer under the collapse_shape views a flattened convolution adds.
Value viewSource(Value v) {
  while (auto view = v.getDefiningOp<memref::CollapseShapeOp>())
    v = view.getSrc();
  return v;
}

bool lastDimUnitStride(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}




/// A windowed reduction (max or average pooling): the body combines input
/// 0's element with the output, `yield f(in, out)` with f = max, min or
/// add on f32; input 1, if any, is the window's shape and is not read.
Operation *poolCombiner(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (op.getNumDpsInputs() < 1 || op.getNumDpsInputs() > 2 ||
      body->getOperations().size() != 2 ||
      !llvm::all_of(body->getArgumentTypes(), [](Type t) { return t.isF32(); }))
    return nullptr;
  Operation &f = body->front();
  if (!isa<arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp,
           arith::MinNumFOp, arith::AddFOp>(f) ||
      body->getTerminator()->getOperand(0) != f.getResult(0))
    return nullptr;
  Value in = body->getArgument(0), out = body->getArguments().back();
  if (!((f.getOperand(0) == in && f.getOperand(1) == out) ||
        (f.getOperand(0) == out && f.getOperand(1) == in)))
    return nullptr;
  if (op.getNumDpsInputs() == 2 && !body->getArgument(1).use_empty())
    return nullptr;
  return &f;
}

std::optional<Plan> planContraction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0)
    return std::nullopt;
  Operation *combiner = nullptr;
  if (op.getNumDpsInputs() != 2 || !isMulAddBody(op)) {
    combiner = poolCombiner(op);
    if (!combiner)
      return std::nullopt;
  }
  unsigned numInputs = op.getNumDpsInputs();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap cMap = maps.back();
  if (!cMap.isProjectedPermutation() || cMap.getNumResults() == 0)
    return std::nullopt;
  Plan plan;
  plan.combiner = combiner;
  plan.n = cast<AffineDimExpr>(cMap.getResults().back()).getPosition();
  auto iters = op.getIteratorTypesArray();
  if (!linalg::isParallelIterator(iters[plan.n]))
    return std::nullopt;
  MLIRContext *ctx = op->getContext();
  AffineExpr dn = getAffineDimExpr(plan.n, ctx);
  // B is the input indexed by n: only in its last (unit-stride) result, with
  // coefficient 1, so a vector along n is contiguous in B. When both inputs
  // are (a depthwise convolution in channel blocks: x'[.., c] * w'[.., c]),
  // A is the one that varies along fewer loops, read as a vector per
  // reduction step and shared by the rows (`aVector`).
  auto stepAlongN = [&](AffineMap map) -> int64_t {
    if (map.getNumResults() == 0)
      return 0;
    for (AffineExpr e : map.getResults().drop_back())
      if (e.isFunctionOfDim(plan.n))
        return 0;
    AffineExpr last = map.getResults().back();
    AffineExpr rest = last.replace(dn, getAffineConstantExpr(0, ctx));
    AffineExpr step = simplifyAffineExpr(last - rest, map.getNumDims(), 0);
    for (int64_t s = 1; s <= kMaxStride; ++s)
      if (step == dn * s)
        return s;
    return 0;
  };
  SmallVector<unsigned> alongN;
  for (unsigned i = 0; i < numInputs; ++i)
    if (usesDim(maps[i], plan.n))
      alongN.push_back(i);
  int bIdx = -1;
  if (alongN.size() == 1) {
    bIdx = alongN[0];
  } else if (alongN.size() == 2 && !combiner) {
    auto loops = [&](unsigned i) {
      unsigned count = 0;
      for (unsigned d = 0; d < maps[i].getNumDims(); ++d)
        count += usesDim(maps[i], d);
      return count;
    };
    if (loops(0) == loops(1))
      return std::nullopt;
    bIdx = loops(0) > loops(1) ? 0 : 1;
    plan.aVector = true;
    if (stepAlongN(maps[1 - bIdx]) != 1 ||
        !lastDimUnitStride(op.getDpsInputs()[1 - bIdx]))
      return std::nullopt;
  }
  if (bIdx < 0)
    return std::nullopt;
  plan.bStride = stepAlongN(maps[bIdx]);
  if (!plan.bStride)
    return std::nullopt;
  plan.bIdx = bIdx;
  plan.aIdx = combiner ? bIdx : 1 - bIdx;
  if (!lastDimUnitStride(op.getDpsInputs()[plan.bIdx]) ||
      !lastDimUnitStride(op.getDpsInits()[0]))
    return std::nullopt;
  // A pool has no A: no dim makes rows share B vectors.
  AffineMap aMap = combiner ? AffineMap::get(cMap.getNumDims(), 0, ctx)
                            : maps[plan.aIdx],
            bMap = maps[plan.bIdx];
  // Rows: prefer a dim only A depends on (every row reuses the B vectors),
  // then one only B depends on (rows reuse the A scalar), then any.
  auto score = [&](unsigned d) {
    bool a = usesDim(aMap, d), b = usesDim(bMap, d);
    return a && !b ? 3 : b && !a ? 2 : 1;
  };
  for (unsigned d = 0; d < iters.size(); ++d) {
    if (linalg::isReductionIterator(iters[d])) {
      plan.reductions.push_back(d);
      continue;
    }
    if (d == plan.n)
      continue;
    if (!plan.m || score(d) >= score(*plan.m))
      plan.m = d; // ties go to the later (inner) dim
  }
  for (unsigned d = 0; d < iters.size(); ++d)
    if (linalg::isParallelIterator(iters[d]) && d != plan.n && d != plan.m)
      plan.outer.push_back(d);
  plan.aPerRow = plan.m && usesDim(aMap, *plan.m);
  plan.bPerRow = plan.m && usesDim(bMap, *plan.m);
  return plan;
}


void planVectorDim(linalg::LinalgOp op, Plan &plan, int64_t vw) {
  // Not for a vector A (depthwise): its taps reread each input row for
  // KH output rows, which stays in L1 only while the channel-block loop
  // is outside the rows, and v would move it inside.
  if (plan.combiner || plan.aVector || !plan.m || plan.bStride != 1)
    return;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges[plan.n] != vw)
    return;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap aMap = maps[plan.aIdx], bMap = maps[plan.bIdx], cMap = maps.back();
  // The innermost such loop: consecutive vectors then lie closest in C.
  for (unsigned d : llvm::reverse(plan.outer)) {
    if (ShapedType::isDynamic(ranges[d]) || ranges[d] < 2 ||
        !usesDim(bMap, d) || !usesDim(cMap, d) || usesDim(aMap, d))
      continue;
    plan.v = d;
    llvm::erase(plan.outer, d);
    return;
  }
}

KernelShape registerBlock(linalg::LinalgOp op, const Plan &plan,
                          KernelShape shape, int64_t regs, int64_t nSize,
                          ArrayRef<int64_t> maxRanges) {
  if (!plan.m)
    return shape;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t m = ranges[*plan.m];
  // A dynamic row count known to stay a few rows is planned at its bound.
  if (ShapedType::isDynamic(m) && !maxRanges.empty() &&
      !ShapedType::isDynamic(maxRanges[*plan.m]) &&
      maxRanges[*plan.m] * 2 <= shape.mr)
    m = maxRanges[*plan.m];
  int64_t n = nSize ? nSize : ranges[plan.n];
  int64_t v = plan.v ? ranges[*plan.v]
              : ShapedType::isDynamic(n) ? shape.nv
                                         : llvm::divideCeil(n, shape.vw);
  if (ShapedType::isDynamic(m) || ShapedType::isDynamic(v))
    return shape;
  // Along plan.v the vectors are aligned loads of packed weights, so more
  // of them and fewer rows is fine, up to the target's accumulator count
  // (rows x vectors of its default block, which leaves LLVM the registers
  // it needs besides them: 14 x 2 of 32 registers spilled accumulators to
  // the stack in every reduction step). Along n they are B's (often
  // unaligned, split over two cache lines) loads, so the target's count
  // stays and only the rows are fitted.
  // Too few rows to fill half the block (a GEMV: a decode step's
  // projections and LM head) leaves too few accumulator chains to hide the
  // FMA latency, and reads B in short pieces of rows far apart: then the
  // vectors along n grow too, as far as the registers hold them with the
  // broadcast and one B vector per accumulator column.
  int64_t budget = shape.mr * shape.nv;
  bool fewRows = m * 2 <= shape.mr;
  auto vectorsFor = [&](int64_t rows) {
    if (plan.v)
      return std::clamp<int64_t>(budget / rows, 1, v);
    if (fewRows)
      return std::clamp<int64_t>(
          std::min(budget / rows, (regs - 1) / (rows + 1)), 1, v);
    return std::min(shape.nv, v);
  };
  // Score: accumulators per block, less a whole block's worth where the
  // smallest block (the emitters balance the blocks to within one row)
  // has under half the rows, and a little for any rest. ResNet-18's 128-
  // and 64-channel layers on AVX2: 6 rows (blocks of 6 and 5) 2.48 and
  // 2.41 ms against 5 rows' 2.71 and 2.54.
  int64_t lo = std::min(m, std::max<int64_t>(2, shape.mr / 2));
  int64_t best = std::min(m, shape.mr), bestScore = -1;
  for (int64_t rows = lo; rows <= std::min(m, shape.mr); ++rows) {
    int64_t nv = vectorsFor(rows);
    if (rows * nv + nv + 1 > regs)
      continue;
    int64_t smallest = m / llvm::divideCeil(m, rows);
    int64_t score = rows * nv * 4 - (smallest * 2 < rows ? rows * nv * 2 : 0) -
                    (m % rows ? 1 : 0);
    if (score > bestScore)
      best = rows, bestScore = score;
  }
  shape.mr = best;
  shape.nv = vectorsFor(best);
  return shape;
}

std::optional<DotPlan> planDot(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1 ||
      !isMulAddBody(op))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!llvm::all_of(maps, [](AffineMap m) {
        return m.isProjectedPermutation();
      }))
    return std::nullopt;
  auto iters = op.getIteratorTypesArray();
  DotPlan plan;
  plan.k = 0;
  for (unsigned d = 0; d < iters.size(); ++d)
    if (linalg::isReductionIterator(iters[d]))
      plan.k = d;
  for (unsigned i = 0; i < 2; ++i) {
    AffineMap m = maps[i];
    if (m.getNumResults() == 0 ||
        cast<AffineDimExpr>(m.getResults().back()).getPosition() != plan.k ||
        !lastDimUnitStride(op.getDpsInputs()[i]))
      return std::nullopt;
  }
  // Rows: a dim only one input depends on, so the other input's vector is
  // loaded once per step for the whole block.
  for (unsigned d = 0; d < iters.size(); ++d) {
    if (d == plan.k)
      continue;
    if (usesDim(maps[0], d) != usesDim(maps[1], d))
      plan.r = d;
  }
  for (unsigned d = 0; d < iters.size(); ++d)
    if (d != plan.k && d != plan.r)
      plan.outer.push_back(d);
  plan.aPerRow = plan.r && usesDim(maps[0], *plan.r);
  plan.bPerRow = plan.r && usesDim(maps[1], *plan.r);
  return plan;
}


/// Maps the indices of `view` (the contraction's output, possibly a
/// collapse_shape of a flattened convolution) to those of the buffer under
/// it. Dims merged by the collapse become 0 and are listed in `merged`.
AffineMap expansionMap(Value view, llvm::SmallBitVector &merged) {
  MLIRContext *ctx = view.getContext();
  auto collapse = view.getDefiningOp<memref::CollapseShapeOp>();
  if (!collapse) {
    int64_t rank = cast<MemRefType>(view.getType()).getRank();
    merged.resize(rank);
    return AffineMap::getMultiDimIdentityMap(rank, ctx);
  }
  if (collapse.getSrc().getDefiningOp<memref::CollapseShapeOp>())
    return {};
  int64_t rank = collapse.getSrcType().getRank();
  merged.resize(rank);
  SmallVector<AffineExpr> results(rank);
  for (auto [g, group] : llvm::enumerate(collapse.getReassociationIndices()))
    for (int64_t d : group) {
      results[d] = group.size() == 1 ? getAffineDimExpr(g, ctx)
                                     : getAffineConstantExpr(0, ctx);
      if (group.size() > 1)
        merged.set(d);
    }
  return AffineMap::get(collapse.getResultType().getRank(), 0, results, ctx);
}

/// A broadcast copy into the whole output: one input, identity output map,
/// a body that yields the input. Its source map composed into the
/// contraction's loops; null if the vector dim `n` is not the source's
/// unit-stride last dim or the source varies along merged dims.
std::optional<Init> broadcastInit(linalg::LinalgOp op, linalg::LinalgOp copy,
                                  unsigned n) {
  if (!isa<linalg::GenericOp>(copy) || copy.getNumDpsInputs() != 1 ||
      copy.getNumReductionLoops() != 0)
    return std::nullopt;
  Block *body = copy.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (yield.getOperand(0) != body->getArgument(0) ||
      !body->getArgument(0).getType().isF32())
    return std::nullopt;
  OpOperand *src = copy.getDpsInputOperand(0);
  if (!copy.getMatchingIndexingMap(copy.getDpsInitOperand(0)).isIdentity() ||
      !isa<MemRefType>(src->get().getType()))
    return std::nullopt;
  AffineMap srcMap = copy.getMatchingIndexingMap(src);
  llvm::SmallBitVector merged;
  AffineMap expand = expansionMap(op.getDpsInits()[0], merged);
  if (!expand || (int64_t)merged.size() != srcMap.getNumDims())
    return std::nullopt;
  for (int d : merged.set_bits())
    if (usesDim(srcMap, d))
      return std::nullopt;
  AffineMap composed =
      srcMap.compose(expand).compose(op.getIndexingMapsArray().back());
  // Along the vector dim the source must be read as contiguous vectors.
  ArrayRef<AffineExpr> results = composed.getResults();
  if (usesDim(composed, n) &&
      (results.empty() || results.back() != getAffineDimExpr(n, op.getContext()) ||
       llvm::any_of(results.drop_back(),
                    [&](AffineExpr e) { return e.isFunctionOfDim(n); }) ||
       !lastDimUnitStride(src->get())))
    return std::nullopt;
  return Init{copy, Value(), src->get(), composed};
}

/// The init op right before `op` (seen through the collapse_shape views of
/// a flattened convolution). `vectorDim`: the loop the kernel vectorizes,
/// for broadcast inits; without it only scalar fills are taken.
Init precedingInit(linalg::LinalgOp op, std::optional<unsigned> vectorDim) {
  Value base = viewSource(op.getDpsInits()[0]);
  // Views of the output and allocations (a pool's unread window-shape
  // buffer) may sit in between.
  Operation *prev = op->getPrevNode();
  while (isa_and_nonnull<memref::CollapseShapeOp, memref::AllocOp>(prev) &&
         !(isa<memref::AllocOp>(prev) && prev->getResult(0) == base))
    prev = prev->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::LinalgOp>(prev);
  if (!fill || !fill.hasPureBufferSemantics() || fill.getNumDpsInits() != 1 ||
      fill.getDpsInits()[0] != base)
    return {};
  Value scalar;
  if (auto f = dyn_cast<linalg::FillOp>(prev)) {
    scalar = f.getInputs()[0];
  } else if (fill.getNumDpsInputs() == 0) {
    auto yield = cast<linalg::YieldOp>(fill.getBlock()->getTerminator());
    scalar = yield.getOperand(0);
    if (scalar.getParentRegion() == &prev->getRegion(0))
      return {}; // computed per element
  } else if (vectorDim) {
    return broadcastInit(op, fill, *vectorDim).value_or(Init());
  }
  if (!scalar || !scalar.getType().isF32())
    return {};
  return Init{prev, scalar, Value(), AffineMap()};
}

/// Whether nothing reads `base` (a memref.alloc) after `op`: the first
/// later op touching it or a view of it overwrites all of it without
/// reading it, or there is none (not even a return).
bool deadAfter(Value base, Operation *op) {
  if (!base.getDefiningOp<memref::AllocOp>())
    return false;
  return mnemo::nextAccessOverwrites(op, mnemo::viewsOf(base), base)
      .value_or(true);
}

/// Where a view's elements lie in the buffer under it (a static
/// identity-layout memref), when its layout is static: element idx is at
/// offset + sum(idx[i] * strides[i]) of the root seen as one dimension.
struct FlatLayout {
  Value root;
  SmallVector<int64_t> strides;
  int64_t offset = 0;

  /// That position for the given index expressions.
  AffineExpr position(ArrayRef<AffineExpr> idx, MLIRContext *ctx) const {
    AffineExpr pos = getAffineConstantExpr(offset, ctx);
    for (auto [e, st] : llvm::zip(idx, strides))
      pos = pos + e * st;
    return pos;
  }
};

std::optional<FlatLayout> flatLayout(Value view) {
  FlatLayout l;
  l.root = mnemo::memory::rootBuffer(view);
  auto type = dyn_cast<MemRefType>(view.getType());
  auto rootType = dyn_cast<MemRefType>(l.root.getType());
  if (!type || !rootType || !rootType.getLayout().isIdentity() ||
      !rootType.hasStaticShape() ||
      failed(type.getStridesAndOffset(l.strides, l.offset)) ||
      ShapedType::isDynamic(l.offset) ||
      llvm::any_of(l.strides, ShapedType::isDynamic))
    return std::nullopt;
  return l;
}

/// A memref seen as one dimension (itself when it already is).
Value flatView(OpBuilder &b, Location loc, Value v) {
  auto type = cast<MemRefType>(v.getType());
  if (type.getRank() == 1)
    return v;
  SmallVector<ReassociationIndices> all(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    all[0].push_back(d);
  return memref::CollapseShapeOp::create(b, loc, v, all);
}

/// Whether `other` (after `op`) can move before `op`: it touches no buffer
/// `op` reads or writes, calls nothing, and its operands are defined before
/// `op`, inside `other`, or by ops already moving (`between`).
bool movableBefore(Operation *other, linalg::LinalgOp op,
                   const llvm::SmallPtrSetImpl<Value> &used,
                   ArrayRef<Operation *> between) {
  auto defsOk = [&](Value v) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return v.getParentRegion()->isAncestor(op->getParentRegion()) ||
             other->isAncestor(v.getParentBlock()->getParentOp());
    return other->isAncestor(def) || def->isBeforeInBlock(op) ||
           llvm::is_contained(between, def);
  };
  return !other->walk([&](Operation *nested) {
            if (isa<CallOpInterface>(nested))
              return WalkResult::interrupt();
            for (Value v : nested->getOperands())
              if ((isa<MemRefType>(v.getType()) && used.contains(mnemo::memory::rootBuffer(v))) ||
                  !defsOk(v))
                return WalkResult::interrupt();
            return WalkResult::advance();
          }).wasInterrupted();
}

/// The elementwise op after `op` that may become its epilogue, skipping
/// what can move before `op` (allocations, views, the border fills of the
/// padded buffer a decomposed pad's interior is written into), collected
/// in `between`.
linalg::GenericOp nextElementwise(linalg::LinalgOp op,
                                  SmallVectorImpl<Operation *> &between) {
  llvm::SmallPtrSet<Value, 4> used;
  for (Value v : op->getOperands())
    if (isa<MemRefType>(v.getType()))
      used.insert(mnemo::memory::rootBuffer(v));
  Operation *after = op->getNextNode();
  for (; after && !isa<linalg::GenericOp>(after); after = after->getNextNode()) {
    if (!movableBefore(after, op, used, between))
      return {};
    between.push_back(after);
  }
  return dyn_cast_or_null<linalg::GenericOp>(after);
}

static Epilogue residualFree(RewriterBase &rewriter, linalg::LinalgOp op,
                             linalg::GenericOp next,
                             ArrayRef<Operation *> between, int64_t vw, Value c,
                             Value base, Value init, bool splitStores);

Epilogue followingEpilogue(RewriterBase &rewriter, linalg::LinalgOp op,
                           int64_t vw, bool residuals, bool splitStores) {
  SmallVector<Operation *> between;
  auto next = nextElementwise(op, between);
  if (!next || !next.hasPureBufferSemantics() || next.getNumDpsInputs() < 1 ||
      next.getNumDpsInputs() > (residuals ? 2 : 1) || next.getNumDpsInits() != 1 ||
      next.getNumReductionLoops() != 0)
    return {};
  Value c = op.getDpsInits()[0], base = viewSource(c);
  Value init = next.getDpsInits()[0];
  unsigned accArg = next.getDpsInputs()[0] == base ? 0 : 1;
  if (next.getDpsInputs()[accArg] != base ||
      !llvm::all_of(next.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return {};
  Block *body = next.getBlock();
  unsigned numInputs = next.getNumDpsInputs();
  if (!body->getArgument(numInputs).use_empty() ||
      !llvm::all_of(body->getArgumentTypes(), [](Type t) { return t.isF32(); }))
    return {};
  // A residual add: the other input, read where the accumulator is stored.
  // Read through the same collapse as C (a flattened map), so it must be a
  // contiguous buffer that exists before the contraction.
  Value residual;
  AffineMap residualMap;
  if (numInputs == 2) {
    Value r = next.getDpsInputs()[1 - accArg];
    auto rType = dyn_cast<MemRefType>(r.getType());
    Operation *def = r.getDefiningOp();
    if (!rType || r == base ||
        rType.getShape() != cast<MemRefType>(base.getType()).getShape() ||
        (def && (def->getBlock() != op->getBlock() || !def->isBeforeInBlock(op))))
      return {};
    residualMap = op.getIndexingMapsArray().back();
    if (auto collapse = c.getDefiningOp<memref::CollapseShapeOp>()) {
      if (collapse.getSrc() != base || !rType.getLayout().isIdentity())
        return {};
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPoint(op);
      residual = memref::CollapseShapeOp::create(
          rewriter, op.getLoc(), r, collapse.getReassociationIndices());
    } else if (c == base && lastDimUnitStride(r)) {
      residual = r;
    } else {
      return {};
    }
  }
  Epilogue e =
      residualFree(rewriter, op, next, between, vw, c, base, init, splitStores);
  if (!e.op || (residual && e.segments))
    return {};
  e.accArg = accArg;
  e.residual = residual;
  e.residualMap = residualMap;
  e.residualArg = 1 - accArg;
  return e;
}

/// followingEpilogue's choice of where the kernel stores.
static Epilogue residualFree(RewriterBase &rewriter, linalg::LinalgOp op,
                      linalg::GenericOp next, ArrayRef<Operation *> between,
                      int64_t vw, Value c, Value base, Value init,
                      bool splitStores) {
  Block *body = next.getBlock();
  for (Operation &inner : body->without_terminator()) {
    if (!inner.hasTrait<OpTrait::Elementwise>() || inner.getNumResults() != 1 ||
        inner.getNumRegions() != 0 || !inner.getResult(0).getType().isF32() ||
        !llvm::all_of(inner.getOperandTypes(),
                      [](Type t) { return t.isF32(); }))
      return {};
  }
  if (init == base)
    return between.empty() ? Epilogue{next, Value(), AffineMap(), 0, 0, 0}
                           : Epilogue{};
  auto dstType = dyn_cast<MemRefType>(init.getType());
  if (!dstType || dstType.getShape() != cast<MemRefType>(base.getType()).getShape() ||
      !lastDimUnitStride(init) || !deadAfter(base, next))
    return {};
  // The kernel stores there while it still reads its inputs: a destination
  // in an input's buffer (bufferization may reuse a dead input's buffer for
  // the epilogue's result, as for ShuffleNetV2's depthwise -> pointwise ->
  // ReLU) would be overwritten before it is read.
  Value dstRoot = mnemo::memory::rootBuffer(init);
  for (Value in : op.getDpsInputs())
    if (isa<MemRefType>(in.getType()) &&
        mnemo::memory::rootBuffer(in) == dstRoot)
      return {};
  auto collapse = c.getDefiningOp<memref::CollapseShapeOp>();
  if (c != base && (!collapse || collapse.getSrc() != base))
    return {};
  // A flattened map (a 1x1 or im2col convolution) stored into a slice
  // whose rows are not contiguous (a padded buffer's interior): the flat
  // index p becomes (p floordiv W, p mod W), which keeps every vector in
  // one row when W is a multiple of the vector width.
  AffineMap dstMap;
  bool collapsible =
      c == base || memref::CollapseShapeOp::isGuaranteedCollapsible(
                       dstType, collapse.getReassociationIndices());
  if (!collapsible) {
    // One merged pair of dims (h, w); in NCHW it is the vector dim, in
    // channel blocks ([N, C/B, H*W, B]) a row dim and vectors never cross
    // a map row.
    auto groups = collapse.getReassociationIndices();
    auto pairs = llvm::make_filter_range(
        groups, [](const ReassociationIndices &g) { return g.size() != 1; });
    if (std::distance(pairs.begin(), pairs.end()) != 1)
      return {};
    const ReassociationIndices &pair = *pairs.begin();
    unsigned at = &pair - groups.data();
    int64_t w = dstType.getShape()[pair.back()];
    if (pair.size() != 2 || ShapedType::isDynamic(w))
      return {};
    AffineMap cMap = op.getIndexingMapsArray().back();
    SmallVector<AffineExpr> results;
    for (auto [i, e] : llvm::enumerate(cMap.getResults())) {
      if (i != at) {
        results.push_back(e);
        continue;
      }
      results.push_back(e.floorDiv(w));
      results.push_back(e % w);
    }
    dstMap = AffineMap::get(cMap.getNumDims(), 0, results, op.getContext());
    if (at + 1 == groups.size() && w % vw != 0) {
      // Vectors cross rows: masked stores per row into the whole buffer
      // under the interior, flat offset = the interior's layout applied.
      // Where those are slow (AVX2's vmaskmovps stores; MobileNetV2's
      // 32 -> 192 expansion at 28x28 into the depthwise's padded input on
      // znver4 at x86-64-v3: 2.4x onnxruntime's time) the epilogue stays
      // a separate pass and the kernel's stores stay whole vectors.
      std::optional<FlatLayout> layout = flatLayout(init);
      if (!splitStores || !layout ||
          !layout->root.getDefiningOp<memref::AllocOp>() ||
          rowsTouched(vw, w) > kMaxRowSegments)
        return {};
      AffineExpr pos = layout->position(dstMap.getResults(), op.getContext());
      for (Operation *o : between)
        rewriter.moveOpBefore(o, op);
      rewriter.setInsertionPoint(op);
      return {next, flatView(rewriter, op.getLoc(), layout->root),
              AffineMap::get(cMap.getNumDims(), 0, pos, op.getContext()), w,
              layout->strides[layout->strides.size() - 2], rowsTouched(vw, w)};
    }
  }
  // The kernel stores into the slice, so its buffer and view come first.
  for (Operation *o : between)
    rewriter.moveOpBefore(o, op);
  if (c == base || dstMap)
    return {next, init, dstMap, 0, 0, 0};
  rewriter.setInsertionPoint(op);
  return {next,
          memref::CollapseShapeOp::create(rewriter, op.getLoc(), init,
                                          collapse.getReassociationIndices()),
          AffineMap(), 0, 0, 0};
}






/// out[n, f, p] += w[f, k] * in[n, k, p]: a convolution over its flattened
/// map (p = h * W + w), for the 1x1 and im2col forms.
linalg::GenericOp flatContraction(RewriterBase &rewriter, Location loc,
                                  Value w2, Value in3, Value out3) {
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr n, f, p, k;
  bindDims(ctx, n, f, p, k);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {f, k}, ctx),
                                 AffineMap::get(4, 0, {n, k, p}, ctx),
                                 AffineMap::get(4, 0, {n, f, p}, ctx)};
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ValueRange{w2, in3}, ValueRange{out3}, maps,
      iters, buildMulAddBody);
}

/// A 1x1, stride-1 NCHW convolution as a contraction over the flattened
/// feature map (n, f, p, c): out[n, f, p] += w[f, c] * in[n, c, p], so the
/// vectorized dim is H*W rather than a short W row.
FailureOr<linalg::GenericOp> flattenPointwiseConv(RewriterBase &rewriter,
                                                  linalg::Conv2DNchwFchwOp op) {
  if (!op.hasPureBufferSemantics())
    return failure();
  Value in = op.getInputs()[0], w = op.getInputs()[1], out = op.getOutputs()[0];
  auto wType = cast<MemRefType>(w.getType());
  // The flattened body multiplies and adds as floats (f32 kernels); an
  // integer convolution (quantized models) keeps its named op.
  if (!wType.getElementType().isF32() ||
      !cast<MemRefType>(in.getType()).getElementType().isF32() ||
      wType.getDimSize(2) != 1 || wType.getDimSize(3) != 1 ||
      !llvm::all_of(op.getStrides().getValues<int64_t>(),
                    [](int64_t s) { return s == 1; }))
    return failure();
  SmallVector<ReassociationIndices> nchw = {{0}, {1}, {2, 3}};
  SmallVector<ReassociationIndices> fc11 = {{0}, {1, 2, 3}};
  auto inType = cast<MemRefType>(in.getType());
  auto outType = cast<MemRefType>(out.getType());
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(inType, nchw) ||
      !memref::CollapseShapeOp::isGuaranteedCollapsible(outType, nchw) ||
      !memref::CollapseShapeOp::isGuaranteedCollapsible(wType, fc11))
    return failure();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value in3 = memref::CollapseShapeOp::create(rewriter, loc, in, nchw);
  Value out3 = memref::CollapseShapeOp::create(rewriter, loc, out, nchw);
  Value w2 = memref::CollapseShapeOp::create(rewriter, loc, w, fc11);
  auto generic = flatContraction(rewriter, loc, w2, in3, out3);
  rewriter.eraseOp(op);
  return generic;
}


/// Whether a KxK convolution should run as im2col + the flattened
/// contraction instead of the direct row kernel: when its output rows are
/// short for the vector width (7x7 maps use 7 of 16 lanes; the flattened
/// 49-element map 49 of 64), or strided (the direct kernel deinterleaves
/// every B vector), and the im2col buffer fits the target's L2, so the
/// extra pass is cheap next to the contraction it feeds.
bool wantsIm2Col(linalg::Conv2DNchwFchwOp op, int64_t vw, int64_t l2Bytes) {
  if (!op.hasPureBufferSemantics() || op->getParentOp() != op->getParentOfType<func::FuncOp>())
    return false;
  auto in = cast<MemRefType>(op.getInputs()[0].getType());
  auto w = cast<MemRefType>(op.getInputs()[1].getType());
  auto out = cast<MemRefType>(op.getOutputs()[0].getType());
  if (!in.hasStaticShape() || !w.hasStaticShape() || !out.hasStaticShape() ||
      !w.getLayout().isIdentity() || !out.getLayout().isIdentity() ||
      !in.getElementType().isF32())
    return false;
  int64_t oh = out.getDimSize(2), ow = out.getDimSize(3);
  bool strided = llvm::any_of(op.getStrides().getValues<int64_t>(),
                              [](int64_t s) { return s != 1; });
  // Left to the channel form (constant weights, whole vectors of output
  // channels, a long reduction).
  int64_t taps = w.getDimSize(2) * w.getDimSize(3);
  if (strided && out.getDimSize(1) % vw == 0 &&
      op.getInputs()[1].getDefiningOp<memref::GetGlobalOp>() &&
      stridedChannelForm(w.getDimSize(1) * taps, taps, vw))
    return false;
  double direct = laneUse(ow, vw) * (strided ? 0.75 : 1.0);
  double flat = laneUse(oh * ow, vw);
  int64_t colBytes = 4 * out.getDimSize(0) * w.getDimSize(1) *
                     w.getDimSize(2) * w.getDimSize(3) * oh * ow;
  return flat >= direct + 0.05 && colBytes <= l2Bytes;
}

/// in[n, c, oh*sh + kh*dh, ow*sw + kw*dw] copied to col[n, c, kh, kw, oh,
/// ow] (a plain affine copy, vectorized along ow), then the convolution as
/// out[n, f, oh*ow] += w[f, c*kh*kw] * col[n, c*kh*kw, oh*ow]: the form of
/// the flattened 1x1 convolution, whose vectors run over the whole map.
/// The buffer is a memref.alloc at the function's top level, so the memory
/// planner places it in the workspace like any other.
FailureOr<linalg::GenericOp> im2colConv(RewriterBase &rewriter,
                                        linalg::Conv2DNchwFchwOp op) {
  Value in = op.getInputs()[0], w = op.getInputs()[1], out = op.getOutputs()[0];
  auto wType = cast<MemRefType>(w.getType());
  auto outType = cast<MemRefType>(out.getType());
  int64_t n = outType.getDimSize(0), f = outType.getDimSize(1),
          oh = outType.getDimSize(2), ow = outType.getDimSize(3);
  int64_t c = wType.getDimSize(1), kh = wType.getDimSize(2),
          kw = wType.getDimSize(3);
  SmallVector<int64_t> st(op.getStrides().getValues<int64_t>());
  SmallVector<int64_t> dl(op.getDilations().getValues<int64_t>());
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  // Before the output's init (a bias broadcast or fill), which must stay
  // right before the contraction to fold into its accumulators.
  Operation *anchor = op;
  if (auto init = dyn_cast_or_null<linalg::LinalgOp>(op->getPrevNode()))
    if (init.getNumDpsInits() == 1 && init.getDpsInits()[0] == out)
      anchor = init;
  rewriter.setInsertionPoint(anchor);
  auto colType = MemRefType::get({n, c, kh, kw, oh, ow}, rewriter.getF32Type());
  Value col = memref::AllocOp::create(rewriter, loc, colType,
                                      rewriter.getI64IntegerAttr(64));
  AffineExpr dn, dc, dkh, dkw, doh, dow;
  bindDims(ctx, dn, dc, dkh, dkw, doh, dow);
  SmallVector<AffineMap> copyMaps = {
      AffineMap::get(6, 0,
                     {dn, dc, doh * st[0] + dkh * dl[0], dow * st[1] + dkw * dl[1]},
                     ctx),
      AffineMap::getMultiDimIdentityMap(6, ctx)};
  linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ValueRange{in}, ValueRange{col}, copyMaps,
      SmallVector<utils::IteratorType>(6, utils::IteratorType::parallel),
      [](OpBuilder &b, Location loc, ValueRange args) {
        linalg::YieldOp::create(b, loc, args[0]);
      });
  rewriter.setInsertionPoint(op);
  Value col3 = memref::CollapseShapeOp::create(
      rewriter, loc, col, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4, 5}});
  Value w2 = memref::CollapseShapeOp::create(
      rewriter, loc, w, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  Value out3 = memref::CollapseShapeOp::create(
      rewriter, loc, out, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
  (void)f;
  auto generic = flatContraction(rewriter, loc, w2, col3, out3);
  rewriter.eraseOp(op);
  return generic;
}

/// The pitched form of `op` (a conv_2d_nchw_fchw or a
/// depthwise_conv_2d_nchw_chw, see Pitched) when it applies and uses more
/// lanes than rows of the direct kernel: stride 1, static f32 shapes, a
/// contiguous input, vectors crossing at most kMaxRowSegments input rows,
/// and an init folded into the accumulators that does not vary along the
/// map (the kernel never reads the output). A depthwise convolution's
/// rows then become its channels, each with its own weights and input
/// (one broadcast and one load per FMA more than rows of one channel), so
/// it must gain at least kDepthwisePitchGain of the lanes.
std::optional<Pitched> planPitched(linalg::LinalgOp op, int64_t vw,
                                   const Init &init) {
  bool depthwise = isa<linalg::DepthwiseConv2DNchwChwOp>(op);
  DenseIntElementsAttr strides, dilations;
  if (auto c = dyn_cast<linalg::Conv2DNchwFchwOp>(op.getOperation()))
    strides = c.getStrides(), dilations = c.getDilations();
  else if (auto c = dyn_cast<linalg::DepthwiseConv2DNchwChwOp>(op.getOperation()))
    strides = c.getStrides(), dilations = c.getDilations();
  else
    return std::nullopt;
  if (!op.hasPureBufferSemantics() ||
      !llvm::all_of(strides.getValues<int64_t>(),
                    [](int64_t s) { return s == 1; }))
    return std::nullopt;
  auto in = cast<MemRefType>(op.getDpsInputs()[0].getType());
  auto w = cast<MemRefType>(op.getDpsInputs()[1].getType());
  auto out = cast<MemRefType>(op.getDpsInits()[0].getType());
  if (!in.hasStaticShape() || !w.hasStaticShape() || !out.hasStaticShape() ||
      !in.getElementType().isF32() ||
      !memref::CollapseShapeOp::isGuaranteedCollapsible(
          in, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}}))
    return std::nullopt;
  // The loops: (n, f, oh, ow, c, kh, kw), or (n, oh, ow, c, kh, kw).
  unsigned numDims = depthwise ? 6 : 7;
  unsigned nDim = 0, cDim = depthwise ? 3 : 4, khDim = depthwise ? 4 : 5;
  Pitched p;
  p.oh = depthwise ? 1 : 2;
  p.ow = p.oh + 1;
  p.channel = depthwise ? std::optional<unsigned>(3) : std::nullopt;
  p.pitch = in.getDimSize(3);
  p.width = out.getDimSize(3);
  int64_t oh = out.getDimSize(2);
  p.flatSize = (oh - 1) * p.pitch + p.width;
  double use = double(oh * p.width) /
               double(llvm::divideCeil(p.flatSize, vw) * vw);
  if (rowsTouched(vw, p.pitch) > kMaxRowSegments ||
      use < laneUse(p.width, vw) + (depthwise ? kDepthwisePitchGain : 0.0))
    return std::nullopt;
  SmallVector<int64_t> dl(dilations.getValues<int64_t>());
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineExpr> d;
  for (unsigned i = 0; i < numDims; ++i)
    d.push_back(getAffineDimExpr(i, ctx));
  AffineExpr kh = d[khDim], kw = d[khDim + 1];
  AffineMap expected = AffineMap::get(
      numDims, 0,
      {d[nDim], d[cDim], d[p.oh] + kh * dl[0], d[p.ow] + kw * dl[1]}, ctx);
  if (simplifyAffineMap(op.getIndexingMapsArray()[0]) != expected)
    return std::nullopt;
  p.bMap = AffineMap::get(
      numDims, 0,
      {d[nDim], d[cDim], d[p.ow] + kh * (dl[0] * p.pitch) + kw * dl[1]}, ctx);
  bool initOk = init.scalar || (init.source && !usesDim(init.sourceMap, p.oh) &&
                                !usesDim(init.sourceMap, p.ow));
  if (!initOk)
    return std::nullopt;
  return p;
}

/// Points the kernel's stores (into C, or the epilogue's buffer) at the
/// flat buffer under them, split by rows of the pitched map. False (the
/// direct kernel then) when that buffer's layout is not static.
bool pitchedStore(RewriterBase &rewriter, linalg::LinalgOp op,
                  const Pitched &p, int64_t vw, Epilogue &e) {
  if (e.dstMap || e.segments)
    return false;
  Value dst = e.dst ? e.dst : op.getDpsInits()[0];
  std::optional<FlatLayout> layout = flatLayout(dst);
  if (!layout || layout->strides.size() != 4 || layout->strides[3] != 1)
    return false;
  rewriter.setInsertionPoint(op);
  MLIRContext *ctx = op.getContext();
  // The output's (n, channel, oh, ow): oh runs once, ow over the map.
  AffineMap outMap = op.getIndexingMapsArray().back();
  AffineExpr q = getAffineDimExpr(p.ow, ctx);
  AffineExpr pos = layout->position(
      {outMap.getResult(0), outMap.getResult(1), q.floorDiv(p.pitch),
       q % p.pitch},
      ctx);
  e.dst = flatView(rewriter, op.getLoc(), layout->root);
  e.dstMap = AffineMap::get(outMap.getNumDims(), 0, pos, ctx);
  e.width = p.width;
  e.pitch = layout->strides[2];
  e.computePitch = p.pitch;
  e.segments = rowsTouched(vw, p.pitch);
  return true;
}


/// The channel form's block: `rows` columns (the largest of blocks
/// balanced to within one) by as many channel vectors as the registers
/// hold next to the accumulators and the broadcast, at most 4 and M's.
/// A divisor of the column count near the target's rows wins where it
/// still keeps more accumulators than the FMA pipes hold in flight
/// (kMinAccumulators): 196 columns take 7 x 2 on 32 registers, all blocks
/// equal, but 6 x 2 (31 blocks of 6, 2 of 5) on 16, where the divisor 4
/// left 8 accumulators and ResNet-18's 14x14 layers ran 2.55 ms instead
/// of 2.04 on AVX2.
static std::pair<int64_t, int64_t> channelBlock(int64_t columns,
                                                int64_t vectors, int64_t mr,
                                                int64_t regs) {
  auto vectorsFor = [&](int64_t rows) {
    int64_t nv = std::min<int64_t>({(regs - 1) / (rows + 1), 4, vectors});
    // One vector fewer where that divides the channel vectors: the blocks
    // are the parallel loop's iterations, and a remainder block runs after
    // it on one thread (256 channels in 16-lane vectors: 8 blocks of 2,
    // not 5 of 3 and a serial one).
    if (nv > 2 && vectors % nv && vectors % (nv - 1) == 0)
      --nv;
    return nv;
  };
  int64_t rows = std::min(mr, columns);
  for (int64_t r = rows; r * 2 > mr; --r)
    if (columns % r == 0 && r * vectorsFor(r) > kMinAccumulators)
      return {r, vectorsFor(r)};
  rows = llvm::divideCeil(columns, llvm::divideCeil(columns, rows));
  return {rows, vectorsFor(rows)};
}

/// The channel-vector form of `op` (see ChannelPlan) when its output rows
/// fill fewer than kMinLaneUse of the lanes of the row form's blocks (or
/// with `force`, where the caller found the pitched form wasteful)
/// (`nvRows` vectors of `vw` lanes: the last block of a 7x7 map holds 1
/// of 16 columns with 8-lane vectors) and the form applies: A a
/// constant packable along m (the weights), B independent of m, static
/// sizes with M a multiple of the vector width, an init folded into the
/// accumulators (a scalar, or a buffer indexed by m alone: the bias), and
/// an output (or epilogue buffer) whose positions are linear in m.
std::optional<ChannelPlan>
planChannels(RewriterBase &rewriter, SymbolTable &symbols, linalg::LinalgOp op,
             const Plan &plan, const Init &init, const Epilogue &e, int64_t vw,
             int64_t mr, int64_t nvRows, int64_t regs,
             mnemo::PackedGlobals &packed, bool force) {
  if (plan.combiner || plan.aVector || !plan.m || !plan.aPerRow || plan.bPerRow)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  int64_t n = ranges[plan.n], m = ranges[*plan.m];
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // The columns run across the innermost outer dim when A does not
  // depend on it (the output rows of a convolution: one weight panel for
  // the whole map).
  std::optional<unsigned> across;
  if (!plan.outer.empty() && ranges[plan.outer.back()] > 1 &&
      !maps[plan.aIdx].isFunctionOfDim(plan.outer.back()))
    across = plan.outer.back();
  int64_t columns = across ? n * ranges[*across] : n;
  auto [rows, nv] = channelBlock(columns, m / vw, mr, regs);
  if (nv < 1 || m % vw || (!force && laneUse(n, vw * nvRows) >= kMinLaneUse))
    return std::nullopt;
  Value a = op.getDpsInputs()[plan.aIdx];
  if (!mnemo::canPackRowBlocks(symbols, a, maps[plan.aIdx], *plan.m))
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr md = getAffineDimExpr(*plan.m, ctx);
  // The init: a fill's scalar, or a buffer of M elements read at m.
  if (!init.scalar) {
    auto t = init.source ? dyn_cast<MemRefType>(init.source.getType())
                         : MemRefType();
    if (!t || !t.hasStaticShape() || !t.getLayout().isIdentity() ||
        t.getNumElements() != m ||
        llvm::count(init.sourceMap.getResults(), md) != 1 ||
        !llvm::all_of(init.sourceMap.getResults(), [&](AffineExpr r) {
          auto c = dyn_cast<AffineConstantExpr>(r);
          return r == md || (c && c.getValue() == 0);
        }))
      return std::nullopt;
  }
  // Where each element goes, as a position in the 1-D buffer under it.
  Value out = e.dst ? e.dst : op.getDpsInits()[0];
  AffineMap outMap = e.dstMap ? e.dstMap : maps.back();
  AffineExpr pos;
  Value root = out;
  if (e.segments) {
    pos = outMap.getResult(0);
  } else {
    std::optional<FlatLayout> layout = flatLayout(out);
    if (!layout)
      return std::nullopt;
    root = layout->root;
    pos = layout->position(outMap.getResults(), ctx);
  }
  unsigned dims = maps.back().getNumDims();
  // Lanes (channels) of one vector lie `step` apart, as i32 offsets.
  auto mStep = [&](AffineExpr at) -> int64_t {
    auto step = dyn_cast<AffineConstantExpr>(
        simplifyAffineExpr(at.replace(md, md + 1) - at, dims, 0));
    if (!step || step.getValue() <= 0 ||
        step.getValue() * (vw - 1) > std::numeric_limits<int32_t>::max())
      return 0;
    return step.getValue();
  };
  int64_t step = mStep(pos);
  if (!step)
    return std::nullopt;
  // A residual add reads its other input where the output goes (ResNet's
  // 14x14 blocks, on AVX2 as slow in the pitched form as the plain
  // layers were).
  std::optional<FlatLayout> residual;
  AffineExpr residualPos;
  int64_t residualStep = 0;
  if (e.residual) {
    residual = flatLayout(e.residual);
    if (!residual)
      return std::nullopt;
    residualPos = simplifyAffineExpr(
        residual->position(e.residualMap.getResults(), ctx), dims, 0);
    residualStep = mStep(residualPos);
    if (!residualStep)
      return std::nullopt;
  }
  FailureOr<mnemo::PackedOperand> packedA = mnemo::packRowBlocks(
      rewriter, symbols, op, a, maps[plan.aIdx], *plan.m, vw * nv, packed);
  if (failed(packedA))
    return std::nullopt;
  rewriter.setInsertionPoint(op);
  ChannelPlan cp{*packedA,
                 flatView(rewriter, op.getLoc(), root),
                 simplifyAffineExpr(pos, dims, 0),
                 step,
                 init.scalar ? Value()
                             : flatView(rewriter, op.getLoc(), init.source),
                 rows,
                 nv,
                 across};
  cp.accArg = e.accArg;
  if (residual) {
    cp.residualArg = e.residualArg;
    cp.residual = flatView(rewriter, op.getLoc(), residual->root);
    cp.residualPos = residualPos;
    cp.residualStride = residualStep;
  }
  return cp;
}

} // namespace mnemo::register_tile
