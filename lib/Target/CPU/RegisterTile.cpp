//===- RegisterTile.cpp - register-blocked contractions -------------------===//
//
// Lowers f32 multiply-accumulate linalg ops on memrefs (matmul, batched and
// broadcast matmuls, 1x1 and stride-1 convolutions) to register-blocked
// vector code:
//
//   for outer parallel dims:
//     for n0 in N step VW*NV:           (masked 1-vector steps for the tail)
//       for m0 in M step MR:            (1-row steps for the tail)
//         acc[MR][NV] = C[m0.., n0..]
//         for k...: b[j] = B[k.., n0 + j*VW]; acc[i][j] += A[m0+i, k..] * b[j]
//         C[m0.., n0..] = acc
//
// The accumulators are MR*NV one-dimensional vectors carried by the
// reduction loops, so they stay in registers. Upstream's tile + vectorize +
// hoist route builds the same block as one n-d vector, which LLVM 22's
// lowering of loop-carried n-d vectors and its vectorizer's handling of
// unit reduction dims do not take (docs/performance.md); emitting 1-d vector
// ops directly avoids both.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/BufferAliases.h"
#include "mnemo/Target/CPU/CPUTarget.h"
#include "mnemo/Target/CPU/PackWeights.h"
#include "mnemo/Target/CPU/Passes.h"

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

namespace mnemo {
#define GEN_PASS_DEF_REGISTERTILEPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// out = out + in0 * in1 (in either operand order), all f32.
bool isMulAddBody(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  // Exactly mulf, addf, yield.
  if (body->getNumArguments() != 3 || body->getOperations().size() != 3 ||
      !llvm::all_of(body->getArgumentTypes(),
                    [](Type t) { return t.isF32(); }))
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value out = body->getArgument(2);
  if (add.getLhs() != out && add.getRhs() != out)
    return false;
  Value prod = add.getLhs() == out ? add.getRhs() : add.getLhs();
  auto mul = prod.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value a = body->getArgument(0), b = body->getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
}

bool usesDim(AffineMap map, unsigned d) {
  return llvm::any_of(map.getResults(),
                      [&](AffineExpr e) { return e.isFunctionOfDim(d); });
}

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

/// How one contraction maps onto the register block.
struct Plan {
  unsigned n;                       // vectorized dim (C's and B's last)
  std::optional<unsigned> m;        // the dim blocked by MR rows
  SmallVector<unsigned> outer;      // other parallel dims, looped outside
  SmallVector<unsigned> reductions; // in loop order
  unsigned aIdx, bIdx;              // input operand numbers of A and B
  bool aPerRow, bPerRow;            // whether A / B depend on m
  int64_t bStride;                  // B's step along n (a strided conv)
  /// Pooling: the body's combining op (max, min, add of the window's
  /// element into the output), applied to B vectors; no A.
  Operation *combiner = nullptr;
};

/// Strided B rows (stride-2 convolutions) are read as `stride` contiguous
/// vectors and deinterleaved with one shuffle.
constexpr int64_t kMaxStride = 2;

/// Multiply-accumulates below which an op is not split across threads.
constexpr int64_t kParallelWork = 1 << 15;
/// Outer iterations that make a parallel loop over them worth it.
constexpr int64_t kMinParallelTrips = 8;
/// Cache bytes assumed when the target does not say (sysfs unreadable).
constexpr int64_t kDefaultL2Bytes = 1 << 20;
constexpr int64_t kDefaultL1Bytes = 32 << 10;

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
  // coefficient 1, so a vector along n is contiguous in B.
  int bIdx = -1;
  for (unsigned i = 0; i < numInputs; ++i) {
    AffineMap map = maps[i];
    if (!usesDim(map, plan.n))
      continue;
    if (bIdx >= 0 || map.getNumResults() == 0)
      return std::nullopt;
    for (AffineExpr e : map.getResults().drop_back())
      if (e.isFunctionOfDim(plan.n))
        return std::nullopt;
    AffineExpr last = map.getResults().back();
    AffineExpr rest = last.replace(dn, getAffineConstantExpr(0, ctx));
    AffineExpr step = simplifyAffineExpr(last - rest, map.getNumDims(), 0);
    plan.bStride = 0;
    for (int64_t s = 1; s <= kMaxStride; ++s)
      if (step == dn * s)
        plan.bStride = s;
    if (!plan.bStride)
      return std::nullopt;
    bIdx = i;
  }
  if (bIdx < 0)
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

/// The dot-product form, for contractions whose only reduction dim k is
/// the unit-stride dim of both inputs while the output's last dim is not
/// (Gemm with transB, x @ W^T): vectors run along k, each output element
/// of a block of rows keeps one vector accumulator, reduced horizontally at
/// the end.
struct DotPlan {
  unsigned k;
  std::optional<unsigned> r;   // the dim blocked by rows
  SmallVector<unsigned> outer; // other parallel dims
  bool aPerRow, bPerRow;
};

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

/// The contraction output's initial value, written by the op right before
/// it over the whole output: a fill with one scalar (a zero or constant
/// init), or a broadcast copy of a smaller buffer (a convolution's or
/// Gemm's bias). The kernels start their accumulators from it and the op
/// is erased, which saves a pass that writes the output and the kernel's
/// read of it.
struct Init {
  Operation *op = nullptr;
  Value scalar;        // a fill's value
  Value source;        // or the broadcast buffer,
  AffineMap sourceMap; // indexed by the contraction's loops
};

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
  Operation *prev = op->getPrevNode();
  while (isa_and_nonnull<memref::CollapseShapeOp>(prev))
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

/// An elementwise op right after the contraction on its whole output (the
/// ReLU6 clip after a convolution): identity maps, the output as its only
/// input, and a body of elementwise arith/math ops on that input and
/// outside scalars. The block kernel applies the body to its accumulators
/// before the store, saving one pass over the output. Its init is the
/// output itself, or another buffer of the same shape (a concat slice) when
/// nothing reads the output afterwards: then the kernel stores there and
/// the output is never written.
struct Epilogue {
  linalg::GenericOp op;
  Value dst;        // where the kernel stores; null: C
  AffineMap dstMap; // the contraction's loops -> dst's indices (null: C's)
  /// Split rows: dst is the 1-D buffer under the destination, dstMap the
  /// flat position of the vector's first element; the vector dim runs over
  /// rows of `computePitch` positions (0: `width`), the first `width` of
  /// each stored, a row `pitch` elements after the one before. A vector
  /// covers up to `segments` rows.
  int64_t width = 0, pitch = 0, segments = 0, computePitch = 0;
};

/// Rows a vector of `vw` elements starting anywhere in a row of `w` can
/// touch.
int64_t rowsTouched(int64_t vw, int64_t w) { return (vw - 1 + w - 1) / w + 1; }
constexpr int64_t kMaxRowSegments = 3;

/// A stride-1 convolution computed on its input's row pitch P: the output
/// map flattened as p = oh*P + ow over [0, (OH-1)*P + OW), so
/// out'[n, f, p] += w[f, c, kh, kw] * in[n, c, p + kh*dh*P + kw*dw] reads
/// the (padded) input as one contiguous vector dim, and short rows (28,
/// 14, 7 wide) fill blocks of full vectors without im2col's copy. Columns
/// ow >= OW of that map are junk the split stores leave out; the last
/// position read is the input's last element.
struct Pitched {
  unsigned oh = 2, ow = 3; // the loops the map runs over
  /// A depthwise convolution's channel loop: the rows of its blocks once
  /// oh runs once (the direct kernel's rows are output rows).
  std::optional<unsigned> channel;
  int64_t pitch = 0, flatSize = 0, width = 0;
  AffineMap bMap; // the input's map over the loops, on in as [N, C, H*W]
};

/// Lanes a pitched depthwise convolution must gain over its rows.
constexpr double kDepthwisePitchGain = 0.1;

/// The buffer under any chain of views.
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
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
              if ((isa<MemRefType>(v.getType()) && used.contains(rootBuffer(v))) ||
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
      used.insert(rootBuffer(v));
  Operation *after = op->getNextNode();
  for (; after && !isa<linalg::GenericOp>(after); after = after->getNextNode()) {
    if (!movableBefore(after, op, used, between))
      return {};
    between.push_back(after);
  }
  return dyn_cast_or_null<linalg::GenericOp>(after);
}

Epilogue followingEpilogue(RewriterBase &rewriter, linalg::LinalgOp op,
                           int64_t vw) {
  SmallVector<Operation *> between;
  auto next = nextElementwise(op, between);
  if (!next || !next.hasPureBufferSemantics() || next.getNumDpsInputs() != 1 ||
      next.getNumDpsInits() != 1 || next.getNumReductionLoops() != 0)
    return {};
  Value c = op.getDpsInits()[0], base = viewSource(c);
  Value init = next.getDpsInits()[0];
  if (next.getDpsInputs()[0] != base ||
      !llvm::all_of(next.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return {};
  Block *body = next.getBlock();
  if (!body->getArgument(1).use_empty() || !body->getArgument(0).getType().isF32())
    return {};
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
    auto groups = collapse.getReassociationIndices();
    int64_t w = dstType.getShape().back();
    if (groups.back().size() != 2 ||
        llvm::any_of(ArrayRef(groups).drop_back(),
                     [](const ReassociationIndices &g) { return g.size() != 1; }) ||
        ShapedType::isDynamic(w))
      return {};
    AffineMap cMap = op.getIndexingMapsArray().back();
    SmallVector<AffineExpr> results(cMap.getResults().drop_back());
    AffineExpr flat = cMap.getResults().back();
    results.push_back(flat.floorDiv(w));
    results.push_back(flat % w);
    dstMap = AffineMap::get(cMap.getNumDims(), 0, results, op.getContext());
    if (w % vw != 0) {
      // Vectors cross rows: masked stores per row into the whole buffer
      // under the interior, flat offset = the interior's layout applied.
      SmallVector<int64_t> strides;
      int64_t offset;
      Value root = rootBuffer(init);
      auto rootType = dyn_cast<MemRefType>(root.getType());
      if (failed(dstType.getStridesAndOffset(strides, offset)) ||
          ShapedType::isDynamic(offset) ||
          llvm::any_of(strides, ShapedType::isDynamic) || !rootType ||
          !rootType.getLayout().isIdentity() || !rootType.hasStaticShape() ||
          !root.getDefiningOp<memref::AllocOp>() ||
          rowsTouched(vw, w) > kMaxRowSegments)
        return {};
      AffineExpr pos = getAffineConstantExpr(offset, op.getContext());
      for (auto [e, st] : llvm::zip(dstMap.getResults(), strides))
        pos = pos + e * st;
      for (Operation *o : between)
        rewriter.moveOpBefore(o, op);
      rewriter.setInsertionPoint(op);
      SmallVector<ReassociationIndices> all(1);
      for (int64_t d = 0; d < rootType.getRank(); ++d)
        all[0].push_back(d);
      Value flatBuf =
          memref::CollapseShapeOp::create(rewriter, op.getLoc(), root, all);
      return {next, flatBuf,
              AffineMap::get(cMap.getNumDims(), 0, pos, op.getContext()), w,
              strides[strides.size() - 2], rowsTouched(vw, w)};
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

/// State and helpers shared by the two emitters: the op's loop sizes and
/// the current value of each loop's induction variable.
class EmitterBase {
protected:
  EmitterBase(linalg::LinalgOp op, int64_t vectorWidth, bool parallelize,
              Init init, bool fma)
      : op(op), vw(vectorWidth), parallelize(parallelize), fma(fma), init(init),
        vecType(VectorType::get({vectorWidth},
                                Float32Type::get(op.getContext()))),
        maps(op.getIndexingMapsArray()), inputs(op.getDpsInputs()) {}

  /// Loops over `outer` (sequential, or one scf.parallel) around `inner`,
  /// which gets whether it should split its own block loop across threads.
  void emitOuter(OpBuilder &b, ArrayRef<unsigned> outer,
                 function_ref<void(OpBuilder &, Location, bool)> inner) {
    Location loc = op.getLoc();
    SmallVector<Range> ranges = op.createLoopRanges(b, loc);
    for (Range &r : ranges)
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
    for (auto [d, size] : sizeOverrides)
      sizes[d] = cst(b, loc, size);
    ivs.assign(sizes.size(), Value());
    SmallVector<Value> lbs, ubs, steps;
    int64_t outerTrips = 1;
    for (unsigned d : outer) {
      lbs.push_back(cst(b, loc, 0));
      ubs.push_back(sizes[d]);
      steps.push_back(cst(b, loc, 1));
      outerTrips *= staticSize(d, 1);
    }
    // Threads only pay for themselves on enough work (the count ignores
    // dynamic dims, so small decode-step ops stay sequential). One parallel
    // region per op: over the outer dims (channels of a depthwise conv,
    // batches) when they give every thread a few iterations, else inside,
    // over the register blocks.
    int64_t work = 1;
    for (unsigned d = 0; d < sizes.size(); ++d)
      work *= staticSize(d, 1);
    bool parallel = parallelize && work >= kParallelWork;
    bool outerParallel = parallel && outerTrips >= kMinParallelTrips;
    auto body = [&](OpBuilder &b, Location loc, ValueRange outerIvs) {
      for (auto [d, iv] : llvm::zip(outer, outerIvs))
        ivs[d] = iv;
      inner(b, loc, parallel && !outerParallel);
    };
    if (outerParallel) {
      scf::ParallelOp::create(b, loc, lbs, ubs, steps, body);
      return;
    }
    scf::buildLoopNest(b, loc, lbs, ubs, steps, body);
  }

  Value cst(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  /// Splits [0, size) into full steps of `step` and a remainder start.
  Value fullEnd(OpBuilder &b, Location loc, Value size, int64_t step) {
    Value rem = arith::RemUIOp::create(b, loc, size, cst(b, loc, step));
    return arith::SubIOp::create(b, loc, size, rem);
  }

  /// A loop over [lb, ub) step `step`; an scf.parallel (OpenMP after
  /// lowering) when `parallel`.
  void loop(OpBuilder &b, Location loc, Value lb, Value ub, int64_t step,
            bool parallel, function_ref<void(OpBuilder &, Location, Value)> fn) {
    if (parallel) {
      scf::ParallelOp::create(b, loc, ValueRange{lb}, ValueRange{ub},
                              ValueRange{cst(b, loc, step)},
                              [&](OpBuilder &b, Location loc, ValueRange iv) {
                                fn(b, loc, iv[0]);
                              });
      return;
    }
    scf::ForOp::create(b, loc, lb, ub, cst(b, loc, step), ValueRange{},
                       [&](OpBuilder &b, Location loc, Value iv, ValueRange) {
                         fn(b, loc, iv);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// Full blocks of `block` rows along `dim`, then the remainder; one
  /// 1-row block when there is no row dim.
  void forRowBlocks(
      OpBuilder &b, Location loc, std::optional<unsigned> dim, int64_t block,
      bool parallel,
      function_ref<void(OpBuilder &, Location, Value, int64_t)> fn) {
    if (!dim) {
      fn(b, loc, Value(), 1);
      return;
    }
    Value size = sizes[*dim];
    Value full = fullEnd(b, loc, size, block);
    loop(b, loc, cst(b, loc, 0), full, block, parallel,
         [&](OpBuilder &b, Location loc, Value r0) { fn(b, loc, r0, block); });
    remainderRows(b, loc, *dim, size, full, block, fn);
  }

  /// The rows after the last full block: one block of exactly the rest
  /// when the size is static (so 16 rows with blocks of 6 end in a 4-row
  /// block, not four 1-row passes over B), else 1-row blocks.
  void remainderRows(
      OpBuilder &b, Location loc, unsigned dim, Value size, Value full,
      int64_t block,
      function_ref<void(OpBuilder &, Location, Value, int64_t)> fn) {
    int64_t n = staticSize(dim, -1);
    if (n >= 0) {
      if (n % block)
        fn(b, loc, full, n % block);
      return;
    }
    loop(b, loc, full, size, 1, false,
         [&](OpBuilder &b, Location loc, Value r0) { fn(b, loc, r0, 1); });
  }

  /// The reduction loops (each from 0, step 1) carrying `accs`; `body`
  /// runs with their ivs set and returns the next accumulators.
  scf::LoopNest reductionNest(
      OpBuilder &b, Location loc, ArrayRef<unsigned> reductions,
      ValueRange accs,
      function_ref<scf::ValueVector(OpBuilder &, Location, ValueRange)> body) {
    SmallVector<Value> zeros, ubs, ones;
    for (unsigned d : reductions) {
      zeros.push_back(cst(b, loc, 0));
      ubs.push_back(sizes[d]);
      ones.push_back(cst(b, loc, 1));
    }
    return scf::buildLoopNest(
        b, loc, zeros, ubs, ones, accs,
        [&](OpBuilder &b, Location loc, ValueRange kIvs,
            ValueRange acc) -> scf::ValueVector {
          for (auto [d, iv] : llvm::zip(reductions, kIvs))
            ivs[d] = iv;
          return body(b, loc, acc);
        });
  }

  /// Static size of a loop, or `dflt` when dynamic.
  int64_t staticSize(unsigned d, int64_t dflt) {
    std::optional<int64_t> c = getConstantIntValue(sizes[d]);
    return c ? *c : dflt;
  }

  SmallVector<Value> indices(OpBuilder &b, Location loc, AffineMap map) {
    SmallVector<Value> idx;
    for (AffineExpr e : map.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e))
        idx.push_back(ivs[d.getPosition()]);
      else
        idx.push_back(affine::expandAffineExpr(b, loc, e, ivs, {}));
    }
    return idx;
  }

  Value zeroVector(OpBuilder &b, Location loc, VectorType type) {
    return arith::ConstantOp::create(b, loc, type,
                                     DenseElementsAttr::get(type, 0.0f));
  }

  Value loadVector(OpBuilder &b, Location loc, Value base, AffineMap map,
                   Value mask) {
    SmallVector<Value> idx = indices(b, loc, map);
    if (!mask)
      return vector::LoadOp::create(b, loc, vecType, base, idx);
    return vector::MaskedLoadOp::create(b, loc, vecType, base, idx, mask,
                                        zeroVector(b, loc, vecType));
  }

  /// acc + a * b: one vector.fma where the target has FMA; without it
  /// (x86-64-v2) LLVM would expand a vector fma into scalar fmaf calls.
  Value mulAdd(OpBuilder &b, Location loc, Value a, Value x, Value acc) {
    if (fma)
      return vector::FMAOp::create(b, loc, a, x, acc);
    return arith::AddFOp::create(b, loc, acc,
                                 arith::MulFOp::create(b, loc, a, x));
  }

  /// `epilogue`'s body on one accumulator vector: each scalar op is
  /// re-created on vectors, outside scalars broadcast.
  Value applyEpilogue(OpBuilder &b, Location loc, linalg::GenericOp epilogue,
                      Value acc) {
    Block *body = epilogue.getBlock();
    IRMapping map;
    map.map(body->getArgument(0), acc);
    for (Operation &inner : body->without_terminator()) {
      SmallVector<Value> operands;
      for (Value v : inner.getOperands())
        operands.push_back(map.contains(v) ? map.lookup(v)
                                           : vector::BroadcastOp::create(
                                                 b, loc, vecType, v)
                                                 .getResult());
      OperationState state(loc, inner.getName(), operands, {vecType},
                           inner.getAttrs());
      map.map(inner.getResult(0), b.create(state)->getResult(0));
    }
    Value yielded = body->getTerminator()->getOperand(0);
    return map.contains(yielded)
               ? map.lookup(yielded)
               : vector::BroadcastOp::create(b, loc, vecType, yielded)
                     .getResult();
  }

  linalg::LinalgOp op;
  int64_t vw;
  bool parallelize, fma;
  Init init; // the output's initial value, when folded
  VectorType vecType;
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs; // the op's, or views standing in for them
  SmallVector<std::pair<unsigned, int64_t>> sizeOverrides; // loop -> trips
  SmallVector<Value> sizes, ivs;
};

/// Emits the register-blocked loops for one planned contraction.
class BlockEmitter : EmitterBase {
public:
  BlockEmitter(linalg::LinalgOp op, const Plan &plan, int64_t vectorWidth,
               int64_t rows, int64_t vectors, bool parallelize, Init init,
               bool fma, Epilogue epilogue)
      : EmitterBase(op, vectorWidth, parallelize, init, fma), plan(plan), mr(rows),
        nv(vectors), epilogue(epilogue.op),
        out(epilogue.dst ? epilogue.dst : op.getDpsInits()[0]),
        outMap(epilogue.dstMap ? epilogue.dstMap
                               : op.getIndexingMapsArray().back()),
        split(epilogue) {}

  int64_t l1Bytes = 0; // L1 data cache for column tiles (0: none)

  /// Runs the convolution on its input's pitch: B is the input's [N, C,
  /// H*W] view, oh takes one trip and ow the whole flat map.
  void pitch(OpBuilder &b, const Pitched &p) {
    inputs[plan.bIdx] = memref::CollapseShapeOp::create(
        b, op.getLoc(), inputs[plan.bIdx],
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    maps[plan.bIdx] = p.bMap;
    sizeOverrides = {{p.oh, 1}, {p.ow, p.flatSize}};
  }

  void emit(OpBuilder &b) {
    emitOuter(b, plan.outer, [&](OpBuilder &b, Location loc, bool parallel) {
      emitColumns(b, loc, parallel);
    });
  }

private:
  using ColumnFn = function_ref<void(OpBuilder &, Location, Value n0,
                                     int64_t vectors, Value mask, Value left)>;
  using RowFn =
      function_ref<void(OpBuilder &, Location, Value m0, int64_t rows)>;


  /// Column blocks from `first`: full blocks of `nv` vectors, then the
  /// rest: with a static size one block of as many vectors as it needs,
  /// only the last masked (so 49 columns are 32 + one 2-vector block, not
  /// 32 + 16 + 1 in two passes over A), else masked single vectors (then
  /// `first` is 0). `mask` and `left` describe the block's last vector.
  void forColumns(OpBuilder &b, Location loc, bool parallel, ColumnFn fn,
                  int64_t first = 0) {
    int64_t blk = vw * nv;
    VectorType maskType = VectorType::get({vw}, b.getI1Type());
    auto full = [&](Value lb, Value ub) {
      loop(b, loc, lb, ub, blk, parallel,
           [&](OpBuilder &b, Location loc, Value n0) {
             fn(b, loc, n0, nv, Value(), Value());
           });
    };
    // A strided B's unmasked wide load reads s-1 elements past the block's
    // last one; keeping at least one column for the tail keeps them inside
    // the row.
    int64_t n = staticSize(plan.n, -1);
    if (n >= 0) {
      int64_t covered = plan.bStride > 1 ? n - 1 : n;
      int64_t end = first + std::max<int64_t>(covered - first, 0) / blk * blk;
      if (end > first)
        full(cst(b, loc, first), cst(b, loc, end));
      int64_t rest = n - end;
      if (rest <= 0)
        return;
      int64_t vectors = llvm::divideCeil(rest, vw);
      int64_t lastLanes = rest - (vectors - 1) * vw;
      Value mask, left;
      if (lastLanes < vw || plan.bStride > 1) {
        left = cst(b, loc, lastLanes);
        mask = vector::CreateMaskOp::create(b, loc, maskType, ValueRange{left});
      }
      fn(b, loc, cst(b, loc, end), vectors, mask, left);
      return;
    }
    assert(first == 0 && "column tiles need a static size");
    Value nSize = sizes[plan.n];
    Value covered = nSize;
    if (plan.bStride > 1)
      covered = arith::MaxSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, nSize, cst(b, loc, 1)),
          cst(b, loc, 0));
    Value nFull = fullEnd(b, loc, covered, blk);
    full(cst(b, loc, 0), nFull);
    loop(b, loc, nFull, nSize, vw, false,
         [&](OpBuilder &b, Location loc, Value n0) {
           Value left = arith::SubIOp::create(b, loc, nSize, n0);
           Value mask = vector::CreateMaskOp::create(b, loc, maskType,
                                                     ValueRange{left});
           fn(b, loc, n0, 1, mask, left);
         });
  }

  /// Full row blocks of `mr` rows, then single rows.
  void forRows(OpBuilder &b, Location loc, bool parallel, RowFn fn) {
    forRowBlocks(b, loc, plan.m, mr, parallel, fn);
  }


  void emitColumns(OpBuilder &b, Location loc, bool parallel) {
    auto block = [&](Value m0, int64_t rows) {
      return [&, m0, rows](OpBuilder &b, Location loc, Value n0,
                           int64_t vectors, Value mask, Value left) {
        emitBlock(b, loc, m0, rows, n0, vectors, mask, left);
      };
    };
    // Few column blocks (small feature maps): rows outside, so the threads
    // split the rows and the column tail is not left to one thread.
    int64_t nBlocks = staticSize(plan.n, 1 << 20) / (vw * nv);
    int64_t mBlocks = plan.m ? staticSize(*plan.m, 1 << 20) / mr : 0;
    if (plan.m && nBlocks < 8 && mBlocks > nBlocks) {
      forRows(b, loc, parallel,
              [&](OpBuilder &b, Location loc, Value m0, int64_t rows) {
                forColumns(b, loc, false, block(m0, rows));
              });
      return;
    }
    if (int64_t tile = columnTile(parallel)) {
      // Column tiles whose B panel stays in L1 while every row block
      // sweeps it; each row block then stores `tile` contiguous elements
      // per row instead of one block's worth in each of M rows (a 1x1
      // convolution with few input channels over a 112x112 map is bound
      // by those stores).
      int64_t n = staticSize(plan.n, -1);
      int64_t tiles = (plan.bStride > 1 ? n - 1 : n) / tile;
      loop(b, loc, cst(b, loc, 0), cst(b, loc, tiles * tile), tile, parallel,
           [&](OpBuilder &b, Location loc, Value t0) {
             forRows(b, loc, false, [&](OpBuilder &b, Location loc, Value m0,
                                        int64_t rows) {
               Value end = arith::AddIOp::create(b, loc, t0, cst(b, loc, tile));
               loop(b, loc, t0, end, vw * nv, false,
                    [&](OpBuilder &b, Location loc, Value n0) {
                      emitBlock(b, loc, m0, rows, n0, nv, Value(), Value());
                    });
             });
           });
      forRows(b, loc, false,
              [&](OpBuilder &b, Location loc, Value m0, int64_t rows) {
                forColumns(b, loc, false, block(m0, rows), tiles * tile);
              });
      return;
    }
    forColumns(b, loc, parallel, [&](OpBuilder &b, Location loc, Value n0,
                                     int64_t vectors, Value mask, Value left) {
      forRows(b, loc, false,
              [&](OpBuilder &b, Location loc, Value m0, int64_t rows) {
                block(m0, rows)(b, loc, n0, vectors, mask, left);
              });
    });
  }

  /// Columns per L1 tile: half of L1 holds B's K x tile panel. 0 when
  /// sizes are dynamic, the panel of two blocks already overflows, the
  /// columns fit one tile, or there are too few tiles to share among
  /// threads.
  int64_t columnTile(bool parallel) {
    int64_t n = staticSize(plan.n, -1), k = 1, blk = vw * nv;
    for (unsigned d : plan.reductions)
      k *= staticSize(d, -1);
    if (!plan.m || n < 0 || k <= 0 || !l1Bytes || plan.combiner)
      return 0;
    int64_t tile = l1Bytes / 2 / (4 * k * plan.bStride) / blk * blk;
    if (tile < 2 * blk || n < 2 * tile || (parallel && n / tile < 4))
      return 0;
    return tile;
  }

  /// B's elements at n0 + l (l < vw), `stride` apart in memory: one wide
  /// load and a shuffle. The tail's wide mask stops at the last element
  /// read, s*(left-1), so it never touches memory past the row.
  Value loadStridedB(OpBuilder &b, Location loc, Value base, AffineMap map,
                     Value mask, Value left) {
    int64_t s = plan.bStride;
    if (s == 1)
      return loadVector(b, loc, base, map, mask);
    auto wide = VectorType::get({vw * s}, vecType.getElementType());
    SmallVector<Value> idx = indices(b, loc, map);
    Value v;
    if (!left) {
      v = vector::LoadOp::create(b, loc, wide, base, idx);
    } else {
      Value bound = arith::SubIOp::create(
          b, loc, arith::MulIOp::create(b, loc, left, cst(b, loc, s)),
          cst(b, loc, s - 1));
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({vw * s}, b.getI1Type()), ValueRange{bound});
      v = vector::MaskedLoadOp::create(b, loc, wide, base, idx, mask,
                                       zeroVector(b, loc, wide));
    }
    SmallVector<int64_t> lanes;
    for (int64_t l = 0; l < vw; ++l)
      lanes.push_back(l * s);
    return vector::ShuffleOp::create(b, loc, v, v, lanes);
  }

  /// The accumulator's start at the current ivs: the folded init, or the
  /// output as it is.
  Value initVector(OpBuilder &b, Location loc, Value c, AffineMap cMap,
                   Value mask) {
    if (init.scalar)
      return vector::BroadcastOp::create(b, loc, vecType, init.scalar);
    if (!init.source)
      return loadVector(b, loc, c, cMap, mask);
    if (usesDim(init.sourceMap, plan.n))
      return loadVector(b, loc, init.source, init.sourceMap, mask);
    Value s = memref::LoadOp::create(b, loc, init.source,
                                     indices(b, loc, init.sourceMap));
    return vector::BroadcastOp::create(b, loc, vecType, s);
  }

  /// Sets the row and column ivs of block element (i, j).
  void at(OpBuilder &b, Location loc, ArrayRef<Value> rowIvs, Value n0,
          int64_t i, int64_t j) {
    if (plan.m)
      ivs[*plan.m] = rowIvs[i];
    ivs[plan.n] = j == 0 ? n0
                         : arith::AddIOp::create(b, loc, n0,
                                                 cst(b, loc, j * vw))
                               .getResult();
  }

  void emitBlock(OpBuilder &b, Location loc, Value m0, int64_t rows, Value n0,
                 int64_t vectors, Value mask, Value left) {
    Value a = inputs[plan.aIdx], bIn = inputs[plan.bIdx];
    Value c = op.getDpsInits()[0];
    AffineMap aMap = maps[plan.aIdx], bMap = maps[plan.bIdx], cMap = maps.back();
    SmallVector<Value> rowIvs;
    for (int64_t i = 0; i < rows; ++i)
      rowIvs.push_back(i == 0 ? m0
                              : arith::AddIOp::create(b, loc, m0, cst(b, loc, i))
                                    .getResult());
    // Only the block's last vector is masked.
    auto maskOf = [&](int64_t j) { return j == vectors - 1 ? mask : Value(); };
    auto leftOf = [&](int64_t j) { return j == vectors - 1 ? left : Value(); };
    SmallVector<Value> accs;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        at(b, loc, rowIvs, n0, i, j);
        accs.push_back(initVector(b, loc, c, cMap, maskOf(j)));
      }
    scf::LoopNest nest = reductionNest(
        b, loc, plan.reductions, accs,
        [&](OpBuilder &b, Location loc, ValueRange acc) -> scf::ValueVector {
          SmallVector<Value> bVecs(vectors), aVals(rows);
          scf::ValueVector next;
          for (int64_t i = 0; i < rows; ++i) {
            for (int64_t j = 0; j < vectors; ++j) {
              at(b, loc, rowIvs, n0, i, j);
              if (plan.combiner) {
                Value bv =
                    loadStridedB(b, loc, bIn, bMap, maskOf(j), leftOf(j));
                next.push_back(combine(b, loc, bv, acc[i * vectors + j]));
                continue;
              }
              if (!aVals[i] && (i == 0 || plan.aPerRow)) {
                Value s = memref::LoadOp::create(b, loc, a,
                                                 indices(b, loc, aMap));
                aVals[i] = vector::BroadcastOp::create(b, loc, vecType, s);
              } else if (!aVals[i]) {
                aVals[i] = aVals[0];
              }
              Value bv = bVecs[j];
              if (!bv || plan.bPerRow) {
                bv = loadStridedB(b, loc, bIn, bMap, maskOf(j), leftOf(j));
                bVecs[j] = bv;
              }
              next.push_back(
                  mulAdd(b, loc, aVals[i], bv, acc[i * vectors + j]));
            }
          }
          return next;
        });
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        at(b, loc, rowIvs, n0, i, j);
        Value v = nest.results[i * vectors + j];
        if (epilogue)
          v = applyEpilogue(b, loc, epilogue, v);
        SmallVector<Value> idx = indices(b, loc, outMap);
        if (split.segments)
          storeSplit(b, loc, v, idx[0], maskOf(j));
        else if (maskOf(j))
          vector::MaskedStoreOp::create(b, loc, out, idx, maskOf(j), v);
        else
          vector::StoreOp::create(b, loc, v, out, idx);
      }
  }

  /// A vector of the flattened map stored row by row: lanes of row r
  /// (w0 + lane in [r*Pc, r*Pc + W), w0 = the first element's column, Pc
  /// the compute pitch) go to flat + r*(pitch - Pc), one masked store per
  /// row touched. With Pc > W (a pitched convolution) the lanes in
  /// between are junk and stored nowhere; the base of a row the vector
  /// only reaches with its last lanes may lie before the buffer, which the
  /// mask keeps from being written (the GEP is not inbounds).
  void storeSplit(OpBuilder &b, Location loc, Value v, Value flat, Value tail) {
    int64_t pc = split.computePitch ? split.computePitch : split.width;
    Value w0 = arith::RemUIOp::create(b, loc, ivs[plan.n], cst(b, loc, pc));
    auto maskType = VectorType::get({vw}, b.getI1Type());
    auto below = [&](Value n) -> Value {
      n = arith::MaxSIOp::create(b, loc, n, cst(b, loc, 0));
      return vector::CreateMaskOp::create(b, loc, maskType, ValueRange{n});
    };
    Value allOn = below(cst(b, loc, vw));
    for (int64_t r = 0; r < split.segments; ++r) {
      Value lo = arith::SubIOp::create(b, loc, cst(b, loc, r * pc), w0);
      Value hi =
          arith::SubIOp::create(b, loc, cst(b, loc, r * pc + split.width), w0);
      Value m = arith::AndIOp::create(
          b, loc, below(hi), arith::XOrIOp::create(b, loc, below(lo), allOn));
      if (tail)
        m = arith::AndIOp::create(b, loc, m, tail);
      Value at =
          arith::AddIOp::create(b, loc, flat, cst(b, loc, r * (split.pitch - pc)));
      vector::MaskedStoreOp::create(b, loc, out, ValueRange{at}, m, v);
    }
  }

  /// The pool's combining op on vectors: f(element, acc) in the body's
  /// operand order.
  Value combine(OpBuilder &b, Location loc, Value element, Value acc) {
    Operation *f = plan.combiner;
    Value in = op.getBlock()->getArgument(0);
    SmallVector<Value> operands = {f->getOperand(0) == in ? element : acc,
                                   f->getOperand(1) == in ? element : acc};
    OperationState state(loc, f->getName(), operands, {vecType},
                         f->getAttrs());
    return b.create(state)->getResult(0);
  }

  const Plan &plan;
  int64_t mr, nv;
  linalg::GenericOp epilogue;
  Value out;       // where the block is stored: C, or the epilogue's buffer
  AffineMap outMap; // its indices
  Epilogue split;   // rows the stores are split into (segments > 0)
};

/// The channel-vector form of a contraction whose output rows are short
/// for the vector width (a 1x1 convolution on a 7x7 map: 49 columns fill
/// 49 of 64 lanes): vectors run along the output channels m instead,
/// loaded from the constant A packed at compile time as [M/R][K...][R] (R
/// = vectors x lanes, see PackWeights.h); each column's B element is
/// broadcast, and each accumulator (vw channels of one column) is
/// scattered into the output, where those channels lie `mStride` apart.
struct ChannelPlan {
  mnemo::PackedOperand a;
  Value flat;      // the 1-D buffer under the output (or the epilogue's)
  AffineExpr pos;  // an element's position in it, over the op's loops
  int64_t mStride; // pos(m + 1) - pos(m)
  Value bias;      // the init as a 1-D buffer indexed by m, or null
  int64_t rows;    // columns per block (broadcasts per reduction step)
  int64_t vectors; // channel vectors per block (R = vectors x lanes)
};

class ChannelEmitter : EmitterBase {
public:
  ChannelEmitter(linalg::LinalgOp op, const Plan &plan, const ChannelPlan &cp,
                 int64_t vectorWidth, bool parallelize, Init init, bool fma,
                 linalg::GenericOp epilogue)
      : EmitterBase(op, vectorWidth, parallelize, init, fma), plan(plan),
        cp(cp), nv(cp.vectors), epilogue(epilogue) {}

  void emit(OpBuilder &b) {
    emitOuter(b, plan.outer, [&](OpBuilder &b, Location loc, bool parallel) {
      int64_t m = staticSize(*plan.m, -1), blk = vw * nv;
      int64_t full = m / blk * blk;
      loop(b, loc, cst(b, loc, 0), cst(b, loc, full), blk, parallel,
           [&](OpBuilder &b, Location loc, Value m0) {
             columns(b, loc, m0, nv);
           });
      if (m % blk)
        columns(b, loc, cst(b, loc, full), (m % blk) / vw);
    });
  }

private:
  void columns(OpBuilder &b, Location loc, Value m0, int64_t vectors) {
    int64_t n = staticSize(plan.n, -1), rows = cp.rows;
    int64_t full = n / rows * rows;
    loop(b, loc, cst(b, loc, 0), cst(b, loc, full), rows, false,
         [&](OpBuilder &b, Location loc, Value p0) {
           block(b, loc, m0, vectors, p0, rows);
         });
    if (n % rows)
      block(b, loc, m0, vectors, cst(b, loc, full), n % rows);
  }

  Value offset(OpBuilder &b, Location loc, Value v, int64_t c) {
    return c ? arith::AddIOp::create(b, loc, v, cst(b, loc, c)).getResult()
             : v;
  }

  void block(OpBuilder &b, Location loc, Value m0, int64_t vectors, Value p0,
             int64_t rows) {
    unsigned m = *plan.m, n = plan.n;
    Value aBlock = arith::DivUIOp::create(b, loc, m0, cst(b, loc, vw * nv));
    SmallVector<Value> accs;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        if (init.scalar)
          accs.push_back(vector::BroadcastOp::create(b, loc, vecType, init.scalar));
        else
          accs.push_back(vector::LoadOp::create(
              b, loc, vecType, cp.bias, ValueRange{offset(b, loc, m0, j * vw)}));
      }
    // A's indices between the block and the lane: the reduction loops.
    AffineMap aMap = cp.a.map;
    AffineMap kMap = AffineMap::get(
        aMap.getNumDims(), 0, aMap.getResults().drop_front().drop_back(),
        op.getContext());
    Value bIn = inputs[plan.bIdx];
    AffineMap bMap = maps[plan.bIdx];
    scf::LoopNest nest = reductionNest(
        b, loc, plan.reductions, accs,
        [&](OpBuilder &b, Location loc, ValueRange acc) -> scf::ValueVector {
          SmallVector<Value> aVecs;
          for (int64_t j = 0; j < vectors; ++j) {
            SmallVector<Value> idx = {aBlock};
            llvm::append_range(idx, indices(b, loc, kMap));
            idx.push_back(cst(b, loc, j * vw));
            aVecs.push_back(
                vector::LoadOp::create(b, loc, vecType, cp.a.value, idx));
          }
          scf::ValueVector next;
          for (int64_t i = 0; i < rows; ++i) {
            ivs[n] = offset(b, loc, p0, i);
            Value s = memref::LoadOp::create(b, loc, bIn, indices(b, loc, bMap));
            Value bc = vector::BroadcastOp::create(b, loc, vecType, s);
            for (int64_t j = 0; j < vectors; ++j)
              next.push_back(mulAdd(b, loc, bc, aVecs[j], acc[i * vectors + j]));
          }
          return next;
        });
    auto idxType = VectorType::get({vw}, b.getI32Type());
    SmallVector<int32_t> lanes;
    for (int64_t l = 0; l < vw; ++l)
      lanes.push_back(int32_t(l * cp.mStride));
    Value laneOffsets = arith::ConstantOp::create(
        b, loc, idxType, DenseElementsAttr::get(idxType, ArrayRef(lanes)));
    Value all = vector::ConstantMaskOp::create(
        b, loc, VectorType::get({vw}, b.getI1Type()),
        vector::ConstantMaskKind::AllTrue);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        Value v = nest.results[i * vectors + j];
        if (epilogue)
          v = applyEpilogue(b, loc, epilogue, v);
        ivs[m] = offset(b, loc, m0, j * vw);
        ivs[n] = offset(b, loc, p0, i);
        Value at = affine::expandAffineExpr(b, loc, cp.pos, ivs, {});
        vector::ScatterOp::create(b, loc, Type(), cp.flat, ValueRange{at},
                                  laneOffsets, all, v);
      }
  }

  const Plan &plan;
  const ChannelPlan &cp;
  int64_t nv;
  linalg::GenericOp epilogue;
};

/// Emits the dot-product form of one contraction.
class DotEmitter : EmitterBase {
public:
  DotEmitter(linalg::LinalgOp op, const DotPlan &plan, int64_t vectorWidth,
             int64_t rows, bool parallelize, Init init, bool fma)
      : EmitterBase(op, vectorWidth, parallelize, init, fma), plan(plan),
        rows(rows) {}

  void emit(OpBuilder &b) {
    emitOuter(b, plan.outer, [&](OpBuilder &b, Location loc, bool parallel) {
      forRowBlocks(b, loc, plan.r, rows, parallel,
                   [&](OpBuilder &b, Location loc, Value r0, int64_t n) {
                     emitBlock(b, loc, r0, n);
                   });
    });
  }

private:
  void setRow(SmallVector<Value> &rowIvs, int64_t i) {
    if (plan.r)
      ivs[*plan.r] = rowIvs[i];
  }

  /// One step along k for every row of the block (masked in the tail).
  SmallVector<Value> step(OpBuilder &b, Location loc, SmallVector<Value> &rowIvs,
                          ValueRange acc, Value mask) {
    SmallVector<Value> next;
    Value aVec, bVec;
    for (int64_t i = 0; i < (int64_t)rowIvs.size(); ++i) {
      setRow(rowIvs, i);
      if (!aVec || plan.aPerRow)
        aVec = loadVector(b, loc, inputs[0], maps[0], mask);
      if (!bVec || plan.bPerRow)
        bVec = loadVector(b, loc, inputs[1], maps[1], mask);
      next.push_back(mulAdd(b, loc, aVec, bVec, acc[i]));
    }
    return next;
  }

  void emitBlock(OpBuilder &b, Location loc, Value r0, int64_t n) {
    SmallVector<Value> rowIvs;
    for (int64_t i = 0; i < n; ++i)
      rowIvs.push_back(i == 0 ? r0
                              : arith::AddIOp::create(b, loc, r0, cst(b, loc, i))
                                    .getResult());
    SmallVector<Value> accs(n, zeroVector(b, loc, vecType));
    Value kSize = sizes[plan.k];
    Value kFull = fullEnd(b, loc, kSize, vw);
    auto full = scf::ForOp::create(
        b, loc, cst(b, loc, 0), kFull, cst(b, loc, vw), accs,
        [&](OpBuilder &b, Location loc, Value k0, ValueRange acc) {
          ivs[plan.k] = k0;
          scf::YieldOp::create(b, loc, step(b, loc, rowIvs, acc, Value()));
        });
    auto tail = scf::ForOp::create(
        b, loc, kFull, kSize, cst(b, loc, vw), full.getResults(),
        [&](OpBuilder &b, Location loc, Value k0, ValueRange acc) {
          ivs[plan.k] = k0;
          Value left = arith::SubIOp::create(b, loc, kSize, k0);
          Value mask = vector::CreateMaskOp::create(
              b, loc, VectorType::get({vw}, b.getI1Type()), ValueRange{left});
          scf::YieldOp::create(b, loc, step(b, loc, rowIvs, acc, mask));
        });
    Value c = op.getDpsInits()[0];
    for (int64_t i = 0; i < n; ++i) {
      setRow(rowIvs, i);
      Value sum = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, tail.getResult(i));
      SmallVector<Value> idx = indices(b, loc, maps[2]);
      Value old =
          init.scalar ? init.scalar : memref::LoadOp::create(b, loc, c, idx);
      memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, old, sum),
                              c, idx);
    }
  }

  const DotPlan &plan;
  int64_t rows;
};

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
      iters, [](OpBuilder &b, Location loc, ValueRange args) {
        Value prod = arith::MulFOp::create(b, loc, args[0], args[1]);
        Value sum = arith::AddFOp::create(b, loc, args[2], prod);
        linalg::YieldOp::create(b, loc, sum);
      });
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
  if (wType.getDimSize(2) != 1 || wType.getDimSize(3) != 1 ||
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

/// Fraction of vector lanes doing useful work when `n` elements are
/// covered by `vw`-lane vectors (the last one masked).
double laneUse(int64_t n, int64_t vw) {
  return double(n) / double((n + vw - 1) / vw * vw);
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
  auto type = cast<MemRefType>(dst.getType());
  Value root = rootBuffer(dst);
  auto rootType = dyn_cast<MemRefType>(root.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (type.getRank() != 4 || failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic) || strides[3] != 1 ||
      !rootType || !rootType.getLayout().isIdentity() ||
      !rootType.hasStaticShape())
    return false;
  rewriter.setInsertionPoint(op);
  SmallVector<ReassociationIndices> all(1);
  for (int64_t i = 0; i < rootType.getRank(); ++i)
    all[0].push_back(i);
  MLIRContext *ctx = op.getContext();
  // The output's (n, channel, oh, ow): oh runs once, ow over the map.
  AffineMap outMap = op.getIndexingMapsArray().back();
  AffineExpr q = getAffineDimExpr(p.ow, ctx);
  AffineExpr pos = getAffineConstantExpr(offset, ctx) +
                   outMap.getResult(0) * strides[0] +
                   outMap.getResult(1) * strides[1] +
                   q.floorDiv(p.pitch) * strides[2] + q % p.pitch;
  e.dst = memref::CollapseShapeOp::create(rewriter, op.getLoc(), root, all);
  e.dstMap = AffineMap::get(outMap.getNumDims(), 0, pos, ctx);
  e.width = p.width;
  e.pitch = strides[2];
  e.computePitch = p.pitch;
  e.segments = rowsTouched(vw, p.pitch);
  return true;
}

/// Output rows filling fewer lanes than this run in the channel-vector
/// form when it applies (7x7 maps with 16 lanes: 49 of 64).
constexpr double kMinLaneUse = 0.8;

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

/// The channel-vector form of `op` (see ChannelPlan) when its output rows
/// fill fewer than kMinLaneUse of the lanes and the form applies: A a
/// constant packable along m (the weights), B independent of m, static
/// sizes with M a multiple of the vector width, an init folded into the
/// accumulators (a scalar, or a buffer indexed by m alone: the bias), and
/// an output (or epilogue buffer) whose positions are linear in m.
std::optional<ChannelPlan>
planChannels(RewriterBase &rewriter, SymbolTable &symbols, linalg::LinalgOp op,
             const Plan &plan, const Init &init, const Epilogue &e, int64_t vw,
             int64_t mr, int64_t regs, mnemo::PackedGlobals &packed) {
  if (plan.combiner || !plan.m || !plan.aPerRow || plan.bPerRow ||
      plan.bStride != 1)
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  int64_t n = ranges[plan.n], m = ranges[*plan.m];
  // Columns per block: a divisor of the column count near the target's
  // rows when there is one (49 columns: 7 blocks of 7, no 1-column block
  // reloading A); then as many channel vectors as the registers hold
  // next to the accumulators and the broadcast (3 x 16 lanes with 7
  // columns and 32 registers), at most M's.
  int64_t rows = mr;
  for (int64_t r = mr; r * 2 > mr; --r)
    if (n % r == 0) {
      rows = r;
      break;
    }
  int64_t nv = std::min<int64_t>({(regs - 1) / (rows + 1), 4, m / vw});
  if (nv < 1 || m % vw || laneUse(n, vw) >= kMinLaneUse)
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
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
    auto t = cast<MemRefType>(out.getType());
    SmallVector<int64_t> strides;
    int64_t off;
    root = rootBuffer(out);
    auto rootType = dyn_cast<MemRefType>(root.getType());
    if (failed(t.getStridesAndOffset(strides, off)) ||
        ShapedType::isDynamic(off) ||
        llvm::any_of(strides, ShapedType::isDynamic) || !rootType ||
        !rootType.getLayout().isIdentity() || !rootType.hasStaticShape())
      return std::nullopt;
    pos = getAffineConstantExpr(off, ctx);
    for (auto [r, st] : llvm::zip(outMap.getResults(), strides))
      pos = pos + r * st;
  }
  unsigned dims = maps.back().getNumDims();
  auto step = dyn_cast<AffineConstantExpr>(
      simplifyAffineExpr(pos.replace(md, md + 1) - pos, dims, 0));
  if (!step || step.getValue() <= 0 ||
      step.getValue() * (vw - 1) > std::numeric_limits<int32_t>::max())
    return std::nullopt;
  FailureOr<mnemo::PackedOperand> packedA = mnemo::packRowBlocks(
      rewriter, symbols, op, a, maps[plan.aIdx], *plan.m, vw * nv, packed);
  if (failed(packedA))
    return std::nullopt;
  rewriter.setInsertionPoint(op);
  return ChannelPlan{*packedA,
                     flatView(rewriter, op.getLoc(), root),
                     simplifyAffineExpr(pos, dims, 0),
                     step.getValue(),
                     init.scalar ? Value()
                                 : flatView(rewriter, op.getLoc(), init.source),
                     rows,
                     nv};
}

struct RegisterTilePass
    : public mnemo::impl::RegisterTilePassBase<RegisterTilePass> {
  using Base::Base;

  /// The block is resolved once per pipeline, not per function (which
  /// may run on several threads).
  LogicalResult initialize(MLIRContext *ctx) override {
    vw = vectorWidth, mr = rows, nv = vectors, l2Bytes = l2, l1Bytes = l1;
    // Negative sizes are reported on the function in runOnOperation.
    if (vw < 0 || mr < 0 || nv < 0 || l2Bytes < 0 || l1Bytes < 0)
      return success();
    llvm::Expected<mnemo::CPUTarget> target =
        mnemo::resolveCPUTarget(cpu, cpuFeatures);
    if (!target)
      return emitError(UnknownLoc::get(ctx))
             << llvm::toString(target.takeError());
    l2Bytes = l2Bytes ? l2Bytes
              : target->l2Bytes ? target->l2Bytes
                                : kDefaultL2Bytes;
    l1Bytes = l1Bytes ? l1Bytes
              : target->l1dBytes ? target->l1dBytes
                                 : kDefaultL1Bytes;
    vw = vw ? vw : target->f32Lanes();
    mr = mr ? mr : target->blockRows();
    nv = nv ? nv : target->blockVectors();
    fma = target->fma;
    regs = target->vectorRegisters;
    return success();
  }

  void runOnOperation() override {
    if (vw < 0 || mr < 0 || nv < 0 || l2Bytes < 0 || l1Bytes < 0) {
      // On each function: the module usually has no location of its own.
      for (auto f : getOperation().getOps<func::FuncOp>())
        f.emitError(
            "register-tile sizes must be positive (or 0: from the target)");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SymbolTable symbols(getOperation());
    mnemo::PackedGlobals packed;
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp op) { convs.push_back(op); });
    // A flattened map beats rows even where its epilogue then stays a
    // separate pass (MnasNet: 6.1 vs 6.5 ms keeping rows so the ReLU could
    // store into 56-wide padded rows).
    // Stride-1 convolutions the pitched kernel covers keep their op.
    for (auto conv : convs)
      if (failed(flattenPointwiseConv(rewriter, conv)) && im2col &&
          !(pitched && planPitched(conv, vw, precedingInit(conv, 3))) &&
          wantsIm2Col(conv, vw, l2Bytes))
        (void)im2colConv(rewriter, conv);

    SmallVector<std::pair<linalg::LinalgOp, Plan>> work;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<Plan> plan = planContraction(op))
        work.push_back({op, *plan});
    });
    SmallVector<std::pair<linalg::LinalgOp, DotPlan>> dots;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<DotPlan> plan = planDot(op))
        dots.push_back({op, *plan});
    });
    for (auto &[op, plan] : work) {
      Init init = precedingInit(op, plan.n);
      Epilogue epilogue = followingEpilogue(rewriter, op, vw);
      std::optional<Pitched> pitch;
      if (pitched) {
        pitch = planPitched(op, vw, init);
        if (pitch && !pitchedStore(rewriter, op, *pitch, vw, epilogue))
          pitch.reset();
      }
      // A pitched depthwise convolution's rows are its channels.
      if (pitch && pitch->channel) {
        plan.m = *pitch->channel;
        plan.outer = {0, pitch->oh};
        plan.aPerRow = plan.bPerRow = true;
      }
      if (!pitch && channelVectors) {
        if (std::optional<ChannelPlan> cp =
                planChannels(rewriter, symbols, op, plan, init, epilogue, vw,
                             mr, regs, packed)) {
          rewriter.setInsertionPoint(op);
          ChannelEmitter(op, plan, *cp, vw, parallel, init, fma, epilogue.op)
              .emit(rewriter);
          rewriter.eraseOp(op);
          if (init.op)
            rewriter.eraseOp(init.op);
          if (epilogue.op)
            rewriter.eraseOp(epilogue.op);
          continue;
        }
      }
      rewriter.setInsertionPoint(op);
      BlockEmitter emitter(op, plan, vw, mr, nv, parallel, init, fma, epilogue);
      if (pitch)
        emitter.pitch(rewriter, *pitch);
      emitter.l1Bytes = l1Bytes;
      emitter.emit(rewriter);
      rewriter.eraseOp(op);
      if (init.op)
        rewriter.eraseOp(init.op);
      if (epilogue.op)
        rewriter.eraseOp(epilogue.op);
    }
    for (auto &[op, plan] : dots) {
      Init init = precedingInit(op, std::nullopt);
      rewriter.setInsertionPoint(op);
      DotEmitter(op, plan, vw, mr, parallel, init, fma).emit(rewriter);
      rewriter.eraseOp(op);
      if (init.op)
        rewriter.eraseOp(init.op);
    }
    mnemo::eraseUnpackedSources(getOperation(), packed);
  }

  int64_t vw = 0, mr = 0, nv = 0, l2Bytes = 0, l1Bytes = 0, regs = 16;
  bool fma = true;
};

} // namespace
