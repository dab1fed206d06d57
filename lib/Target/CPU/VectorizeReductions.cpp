//===- VectorizeReductions.cpp - vector accumulators for inner reductions -===//
//
// convert-linalg-to-loops writes a reduction whose output stays put along
// the reduced dims (pooling, norm statistics, softmax max/sum) as one
// scalar read-modify-write per element: a chain of dependent adds 4 cycles
// apart that LLVM may not reassociate. This pass gives such a reduction
// vector accumulators over the (flattened) contiguous inner run instead.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/PassTarget.h"
#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

namespace mnemo {
#define GEN_PASS_DEF_VECTORIZEREDUCTIONSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Independent accumulators in the main loop: enough to cover a 4-cycle
/// add or FMA latency on two pipes without spilling.
constexpr int64_t kAccumulators = 4;

/// The reduction's combiner: the body op that folds one element into the
/// output, and the identity a masked lane contributes.
struct Combiner {
  Operation *op = nullptr;
  unsigned outPos = 0; // which operand of `op` is the output's block arg
  vector::CombiningKind kind;
  double identity = 0;
};

std::optional<Combiner> matchCombiner(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  BlockArgument out = body.getArgument(op.getNumDpsInputs());
  if (!out.hasOneUse() || yield.getNumOperands() != 1)
    return std::nullopt;
  Operation *c = yield.getOperand(0).getDefiningOp();
  if (!c || c->getBlock() != &body || c->getNumOperands() != 2 ||
      *out.getUsers().begin() != c)
    return std::nullopt;
  Combiner r;
  r.op = c;
  r.outPos = c->getOperand(0) == out ? 0 : 1;
  if (c->getOperand(1 - r.outPos) == out)
    return std::nullopt;
  double inf = std::numeric_limits<double>::infinity();
  if (isa<arith::AddFOp>(c))
    r.kind = vector::CombiningKind::ADD, r.identity = 0;
  else if (isa<arith::MaximumFOp>(c))
    r.kind = vector::CombiningKind::MAXIMUMF, r.identity = -inf;
  else if (isa<arith::MaxNumFOp>(c))
    r.kind = vector::CombiningKind::MAXNUMF, r.identity = -inf;
  else if (isa<arith::MinimumFOp>(c))
    r.kind = vector::CombiningKind::MINIMUMF, r.identity = inf;
  else if (isa<arith::MinNumFOp>(c))
    r.kind = vector::CombiningKind::MINNUMF, r.identity = inf;
  else
    return std::nullopt;
  return r;
}

/// Every body op but the combiner applies lane-wise to vectors of its
/// scalar operands. Integer division is out: a masked-off lane reads 0.
bool lanewiseBody(linalg::GenericOp op, Operation *combiner) {
  for (Operation &o : op.getRegion().front().without_terminator()) {
    if (&o == combiner || isa<arith::ConstantOp>(o))
      continue;
    if (o.getNumRegions() || o.getNumResults() != 1 ||
        !OpTrait::hasElementwiseMappableTraits(&o))
      return false;
    for (Type t : llvm::concat<Type>(o.getOperandTypes(), o.getResultTypes()))
      if (!t.isIntOrFloat())
        return false;
    if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
            arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(o))
      return false;
  }
  return true;
}

/// The reduction as it will be emitted: loops [0, par) parallel, [par,
/// flat) reductions walked by scf.for, [flat, loops) flattened into one
/// contiguous run in every input that reads them.
struct Plan {
  unsigned par = 0, flat = 0, loops = 0;
  Combiner combiner;
};

/// Whether `map` (an input's) reads dims [from, loops) as its trailing
/// results, in order, and nowhere else.
bool trailingRun(AffineMap map, unsigned from, unsigned loops) {
  unsigned n = loops - from, r = map.getNumResults();
  if (r < n)
    return false;
  for (unsigned i = 0; i < n; ++i) {
    auto d = dyn_cast<AffineDimExpr>(map.getResult(r - n + i));
    if (!d || d.getPosition() != from + i)
      return false;
  }
  for (unsigned i = 0; i + n < r; ++i)
    for (unsigned d = from; d < loops; ++d)
      if (map.getResult(i).isFunctionOfDim(d))
        return false;
  return true;
}

/// The memref's trailing `n` dims can be read as one contiguous run:
/// unit stride last and each stride the product of the sizes inside it.
bool contiguousTail(MemRefType type, unsigned n) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  int64_t rank = type.getRank(), expect = 1;
  for (int64_t i = rank - 1; i >= rank - (int64_t)n; --i) {
    if (strides[i] != expect)
      return false;
    if (i > rank - (int64_t)n) {
      if (type.isDynamicDim(i))
        return false;
      expect *= type.getDimSize(i);
    }
  }
  return true;
}

std::optional<Plan> planReduction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.hasIndexSemantics())
    return std::nullopt;
  auto iters = op.getIteratorTypesArray();
  Plan p;
  p.loops = iters.size();
  while (p.par < p.loops && linalg::isParallelIterator(iters[p.par]))
    ++p.par;
  if (p.par == p.loops)
    return std::nullopt;
  for (unsigned i = p.par; i < p.loops; ++i)
    if (!linalg::isReductionIterator(iters[i]))
      return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  auto outType = dyn_cast<MemRefType>(init->get().getType());
  if (!outType || !outType.getElementType().isF32())
    return std::nullopt;
  AffineMap outMap = op.getMatchingIndexingMap(init);
  if (!outMap.isProjectedPermutation(/*allowZeroInResults=*/true))
    return std::nullopt;
  for (unsigned d = p.par; d < p.loops; ++d)
    if (outMap.isFunctionOfDim(d))
      return std::nullopt;
  std::optional<Combiner> c = matchCombiner(op);
  if (!c || !lanewiseBody(op, c->op))
    return std::nullopt;
  p.combiner = *c;
  // The longest run of trailing reduction dims every reading input holds
  // contiguously; at least the innermost one, at unit stride.
  bool anyReads = false;
  for (p.flat = p.par; p.flat < p.loops; ++p.flat) {
    bool ok = true;
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap m = op.getMatchingIndexingMap(in);
      bool reads = false;
      for (unsigned d = p.par; d < p.loops; ++d)
        reads |= m.isFunctionOfDim(d);
      if (!reads)
        continue;
      anyReads = true;
      // A vector of i1 is bit-packed in memory, a memref of i1 is not.
      auto type = dyn_cast<MemRefType>(in->get().getType());
      ok &= type && type.getElementTypeBitWidth() % 8 == 0 &&
            trailingRun(m, p.flat, p.loops) &&
            contiguousTail(type, p.loops - p.flat);
    }
    if (ok)
      break;
  }
  if (!anyReads || p.flat == p.loops)
    return std::nullopt;
  return p;
}

Value idx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The indices of `map` at loop ivs `ivs` (an AffineApply for anything but
/// a plain dim or constant).
SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                            ValueRange ivs) {
  SmallVector<Value> out;
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e))
      out.push_back(ivs[d.getPosition()]);
    else if (auto k = dyn_cast<AffineConstantExpr>(e))
      out.push_back(idx(b, loc, k.getValue()));
    else
      out.push_back(affine::AffineApplyOp::create(
          b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
  }
  return out;
}

class Emitter {
public:
  Emitter(linalg::GenericOp op, const Plan &plan, int64_t lanes)
      : op(op), plan(plan), lanes(lanes), loc(op.getLoc()),
        accType(VectorType::get({lanes}, Float32Type::get(op.getContext()))) {}

  void emit(IRRewriter &rw);

private:
  Value vectorOf(OpBuilder &b, Value scalar);
  Value element(OpBuilder &b, Value flatPos, Value mask);
  Value combine(OpBuilder &b, Value acc, Value element);
  Value accumulate(OpBuilder &b, Value acc, Value flatPos, Value mask);

  linalg::GenericOp op;
  const Plan &plan;
  int64_t lanes;
  Location loc;
  VectorType accType;
  // Per input: the (collapsed) view read by vectors, or the scalar loaded
  // once per output element.
  SmallVector<Value> views;
  SmallVector<AffineMap> viewMaps;
  SmallVector<Value> scalars;
  SmallVector<Value> ivs; // the loops' ivs; flattened dims unused
  Value identity;         // the combiner's identity in every lane
};

Value Emitter::vectorOf(OpBuilder &b, Value scalar) {
  auto vt = VectorType::get({lanes}, scalar.getType());
  return vector::BroadcastOp::create(b, loc, vt, scalar);
}

/// The body's element value (before the combiner) for the `lanes` flat
/// positions from `flatPos`; masked-off lanes hold the identity.
Value Emitter::element(OpBuilder &b, Value flatPos, Value mask) {
  Block &body = op.getRegion().front();
  IRMapping map;
  for (auto [i, in] : llvm::enumerate(op.getDpsInputOperands())) {
    BlockArgument arg = body.getArgument(i);
    if (scalars[i]) {
      map.map(arg, vectorOf(b, scalars[i]));
      continue;
    }
    SmallVector<Value> pos(ivs.begin(), ivs.begin() + plan.flat);
    pos.push_back(flatPos);
    SmallVector<Value> at = applyMap(b, loc, viewMaps[i], pos);
    auto vt = VectorType::get({lanes}, arg.getType());
    if (mask) {
      Value zero = arith::ConstantOp::create(b, loc, vt, b.getZeroAttr(vt));
      map.map(arg, vector::MaskedLoadOp::create(b, loc, vt, views[i], at,
                                                mask, zero));
    } else {
      map.map(arg, vector::LoadOp::create(b, loc, vt, views[i], at));
    }
  }
  const Combiner &c = plan.combiner;
  for (Operation &o : body.without_terminator()) {
    if (&o == c.op)
      continue;
    if (auto k = dyn_cast<arith::ConstantOp>(o)) {
      auto vt = VectorType::get({lanes}, k.getType());
      map.map(k.getResult(), arith::ConstantOp::create(
                                 b, loc, vt,
                                 SplatElementsAttr::get(vt, k.getValue())));
      continue;
    }
    SmallVector<Value> operands;
    for (Value v : o.getOperands())
      operands.push_back(map.contains(v) ? map.lookup(v) : vectorOf(b, v));
    Type rt = VectorType::get({lanes}, o.getResult(0).getType());
    Operation *n = b.create(loc, o.getName().getIdentifier(), operands, {rt},
                            o.getAttrs());
    map.map(o.getResult(0), n->getResult(0));
  }
  Value e = c.op->getOperand(1 - c.outPos);
  Value v = map.contains(e) ? map.lookup(e) : vectorOf(b, e);
  if (mask)
    v = arith::SelectOp::create(b, loc, mask, v, identity);
  return v;
}

Value Emitter::combine(OpBuilder &b, Value acc, Value e) {
  const Combiner &c = plan.combiner;
  Value lhs = c.outPos == 0 ? acc : e, rhs = c.outPos == 0 ? e : acc;
  return b.create(loc, c.op->getName().getIdentifier(), {lhs, rhs},
                  {accType}, c.op->getAttrs())
      ->getResult(0);
}

/// acc (+)= the body at `flatPos`. An unmasked product feeding an add is
/// one FMA (its operands computed lane-wise as usual).
Value Emitter::accumulate(OpBuilder &b, Value acc, Value flatPos, Value mask) {
  Value e = element(b, flatPos, mask);
  if (!mask && plan.combiner.kind == vector::CombiningKind::ADD)
    if (auto mul = e.getDefiningOp<arith::MulFOp>();
        mul && mul->use_empty() && e.getType() == accType) {
      Value fma = vector::FMAOp::create(b, loc, mul.getLhs(), mul.getRhs(), acc);
      mul.erase();
      return fma;
    }
  return combine(b, acc, e);
}

void Emitter::emit(IRRewriter &rw) {
  rw.setInsertionPoint(op);
  SmallVector<Range, 4> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rw, loc);
  auto size = [&](unsigned d) {
    return getValueOrCreateConstantIndexOp(rw, loc, ranges[d].size);
  };
  // The flattened run: its length, and each reading input collapsed so the
  // run is its last dim.
  Value len = size(plan.flat);
  for (unsigned d = plan.flat + 1; d < plan.loops; ++d)
    len = arith::MulIOp::create(rw, loc, len, size(d));
  unsigned n = plan.loops - plan.flat;
  MLIRContext *ctx = op.getContext();
  for (OpOperand *in : op.getDpsInputOperands()) {
    AffineMap m = op.getMatchingIndexingMap(in);
    bool reads = false;
    for (unsigned d = plan.par; d < plan.loops; ++d)
      reads |= m.isFunctionOfDim(d);
    if (!reads) {
      views.push_back({});
      viewMaps.push_back(m);
      continue;
    }
    Value view = in->get();
    unsigned rank = m.getNumResults();
    if (n > 1) {
      SmallVector<ReassociationIndices> groups;
      for (unsigned i = 0; i + n < rank; ++i)
        groups.push_back({(int64_t)i});
      ReassociationIndices last;
      for (unsigned i = rank - n; i < rank; ++i)
        last.push_back(i);
      groups.push_back(last);
      view = memref::CollapseShapeOp::create(rw, loc, view, groups);
    }
    views.push_back(view);
    // Dims [0, flat) keep their positions; dim `flat` is the run.
    SmallVector<AffineExpr> results;
    for (unsigned i = 0; i + n < rank; ++i)
      results.push_back(m.getResult(i));
    results.push_back(getAffineDimExpr(plan.flat, ctx));
    viewMaps.push_back(AffineMap::get(plan.flat + 1, 0, results, ctx));
  }

  const Combiner &c = plan.combiner;
  identity = arith::ConstantOp::create(
      rw, loc, accType, SplatElementsAttr::get(accType, rw.getF32FloatAttr(c.identity)));
  Value zero = idx(rw, loc, 0), one = idx(rw, loc, 1);
  Value step = idx(rw, loc, lanes), bigStep = idx(rw, loc, lanes * kAccumulators);
  Value mainEnd = arith::MulIOp::create(
      rw, loc, arith::DivUIOp::create(rw, loc, len, bigStep), bigStep);
  Value vecEnd = arith::MulIOp::create(
      rw, loc, arith::DivUIOp::create(rw, loc, len, step), step);
  Value tail = arith::SubIOp::create(rw, loc, len, vecEnd);
  Value outView = op.getDpsInitOperand(0)->get();
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));

  // The reduction at one output element: accumulators through the outer
  // reduction loops, then lanes combined and folded into the output.
  std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> reduce =
      [&](OpBuilder &b, unsigned d, ValueRange accs) -> SmallVector<Value> {
    if (d < plan.flat) {
      auto loop = scf::ForOp::create(
          b, loc, zero, size(d), one, accs,
          [&](OpBuilder &lb, Location, Value iv, ValueRange it) {
            ivs[d] = iv;
            scf::YieldOp::create(lb, loc, reduce(lb, d + 1, it));
          });
      return SmallVector<Value>(loop.getResults());
    }
    auto main = scf::ForOp::create(
        b, loc, zero, mainEnd, bigStep, accs,
        [&](OpBuilder &lb, Location, Value r, ValueRange it) {
          SmallVector<Value> next;
          for (int64_t u = 0; u < kAccumulators; ++u) {
            Value at = arith::AddIOp::create(lb, loc, r, idx(lb, loc, u * lanes));
            next.push_back(accumulate(lb, it[u], at, {}));
          }
          scf::YieldOp::create(lb, loc, next);
        });
    SmallVector<Value> out(main.getResults());
    auto rest = scf::ForOp::create(
        b, loc, mainEnd, vecEnd, step, ValueRange{out[0]},
        [&](OpBuilder &lb, Location, Value r, ValueRange it) {
          scf::YieldOp::create(lb, loc, accumulate(lb, it[0], r, {}));
        });
    out[0] = rest.getResult(0);
    Value mask = vector::CreateMaskOp::create(
        b, loc, VectorType::get({lanes}, b.getI1Type()), ValueRange{tail});
    out[1] = accumulate(b, out[1], vecEnd, mask);
    return out;
  };

  std::function<void(OpBuilder &, unsigned)> outer = [&](OpBuilder &b,
                                                         unsigned d) {
    if (d < plan.par) {
      scf::ForOp::create(b, loc, zero, size(d), one, ValueRange{},
                         [&](OpBuilder &lb, Location, Value iv, ValueRange) {
                           ivs[d] = iv;
                           outer(lb, d + 1);
                           scf::YieldOp::create(lb, loc);
                         });
      return;
    }
    // Inputs that do not move with the reduction: one load per output.
    scalars.assign(views.size(), Value());
    for (auto [i, in] : llvm::enumerate(op.getDpsInputOperands())) {
      if (views[i])
        continue;
      if (!isa<MemRefType>(in->get().getType())) {
        scalars[i] = in->get();
        continue;
      }
      scalars[i] = memref::LoadOp::create(
          b, loc, in->get(),
          applyMap(b, loc, viewMaps[i], ArrayRef(ivs).take_front(plan.loops)));
    }
    SmallVector<Value> accs(kAccumulators, identity);
    SmallVector<Value> r = reduce(b, plan.par, accs);
    Value v = r[0];
    for (int64_t u = 1; u < kAccumulators; ++u)
      v = combine(b, v, r[u]);
    auto total = vector::ReductionOp::create(b, loc, c.kind, v);
    total.setFastmath(arith::FastMathFlags::reassoc);
    SmallVector<Value> at = applyMap(b, loc, outMap, ArrayRef(ivs).take_front(plan.loops));
    Value old = memref::LoadOp::create(b, loc, outView, at);
    Value lhs = c.outPos == 0 ? old : total.getResult(),
          rhs = c.outPos == 0 ? total.getResult() : old;
    Value res = b.create(loc, c.op->getName().getIdentifier(), {lhs, rhs},
                         {old.getType()}, c.op->getAttrs())
                    ->getResult(0);
    memref::StoreOp::create(b, loc, res, outView, at);
  };
  // ivs[0, loops) are the loops; position `flat` doubles as the run's
  // index in the views' maps. Flattened dims never reach a map.
  ivs.assign(plan.loops, zero);
  outer(rw, 0);
  rw.eraseOp(op);
}

struct VectorizeReductionsPass
    : public mnemo::impl::VectorizeReductionsPassBase<VectorizeReductionsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    FailureOr<int64_t> l = mnemo::passF32Lanes(ctx, vectorWidth, cpu, cpuFeatures);
    if (failed(l))
      return failure();
    lanes = *l;
    return success();
  }

  void runOnOperation() override {
    if (failed(mnemo::checkVectorWidth(getOperation(), lanes)))
      return signalPassFailure();
    mnemo::planThenRewrite<Plan>(
        getOperation(), planReduction,
        [&](IRRewriter &rw, linalg::GenericOp op, const Plan &p) {
          Emitter(op, p, lanes).emit(rw);
        });
  }

  int64_t lanes = 0;
};

} // namespace
