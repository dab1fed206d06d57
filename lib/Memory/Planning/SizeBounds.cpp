//===- SizeBounds.cpp - interval bounds of index values -------------------===//
//
// Interval arithmetic over the index computations bufferization and the
// lowering leave in front of allocations. Every rule is sound for any
// values inside the operand intervals (division and remainder only by
// intervals that exclude zero), so a workspace sized from `hi` holds every
// run whose dims are inside their declared bounds.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Planning/SizeBounds.h"
#include "mnemo/Support/DimSpec.h"
#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mnemo;

namespace {

using OI = std::optional<Interval>;

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t ceilDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}

/// Applies a function monotonic in each argument (for divisors of one sign)
/// to the four corners.
template <typename F>
OI corners(Interval a, Interval b, F f) {
  int64_t v[4] = {f(a.lo, b.lo), f(a.lo, b.hi), f(a.hi, b.lo), f(a.hi, b.hi)};
  return Interval{*std::min_element(v, v + 4), *std::max_element(v, v + 4)};
}

OI add(OI a, OI b) {
  if (!a || !b)
    return std::nullopt;
  return Interval{a->lo + b->lo, a->hi + b->hi};
}
OI sub(OI a, OI b) {
  if (!a || !b)
    return std::nullopt;
  return Interval{a->lo - b->hi, a->hi - b->lo};
}
OI mul(OI a, OI b) {
  if (!a || !b)
    return std::nullopt;
  return corners(*a, *b, [](int64_t x, int64_t y) { return x * y; });
}
bool excludesZero(OI b) { return b && (b->lo > 0 || b->hi < 0); }
OI divTrunc(OI a, OI b) {
  if (!a || !excludesZero(b))
    return std::nullopt;
  return corners(*a, *b, [](int64_t x, int64_t y) { return x / y; });
}
OI divFloor(OI a, OI b) {
  if (!a || !excludesZero(b))
    return std::nullopt;
  return corners(*a, *b, floorDiv);
}
OI divCeil(OI a, OI b) {
  if (!a || !excludesZero(b))
    return std::nullopt;
  return corners(*a, *b, ceilDiv);
}
OI rem(OI a, OI b) {
  if (!a || !excludesZero(b))
    return std::nullopt;
  int64_t m = std::max(std::abs(b->lo), std::abs(b->hi)) - 1;
  return Interval{a->lo >= 0 ? 0 : -m, a->hi <= 0 ? 0 : m};
}
OI join(OI a, OI b) {
  if (!a || !b)
    return std::nullopt;
  return Interval{std::min(a->lo, b->lo), std::max(a->hi, b->hi)};
}

OI affineBound(AffineExpr e, ArrayRef<OI> dims, ArrayRef<OI> syms) {
  switch (e.getKind()) {
  case AffineExprKind::Constant: {
    int64_t c = cast<AffineConstantExpr>(e).getValue();
    return Interval{c, c};
  }
  case AffineExprKind::DimId:
    return dims[cast<AffineDimExpr>(e).getPosition()];
  case AffineExprKind::SymbolId:
    return syms[cast<AffineSymbolExpr>(e).getPosition()];
  default:
    break;
  }
  auto bin = cast<AffineBinaryOpExpr>(e);
  OI l = affineBound(bin.getLHS(), dims, syms),
     r = affineBound(bin.getRHS(), dims, syms);
  switch (e.getKind()) {
  case AffineExprKind::Add:
    return add(l, r);
  case AffineExprKind::Mul:
    return mul(l, r);
  case AffineExprKind::FloorDiv:
    return divFloor(l, r);
  case AffineExprKind::CeilDiv:
    return divCeil(l, r);
  case AffineExprKind::Mod:
    if (!r || r->lo <= 0)
      return std::nullopt;
    return Interval{0, r->hi - 1};
  default:
    return std::nullopt;
  }
}

} // namespace

OI SizeBounds::bound(Value v) {
  auto it = memo.find(v);
  if (it != memo.end())
    return it->second;
  if (++depth > 512) { // pathological chains: give up rather than recurse
    --depth;
    return std::nullopt;
  }
  OI r = compute(v);
  --depth;
  memo[v] = r;
  return r;
}

OI SizeBounds::dimBound(Value shaped, int64_t d) {
  auto st = cast<ShapedType>(shaped.getType());
  if (!st.isDynamicDim(d))
    return Interval{st.getDimSize(d), st.getDimSize(d)};
  if (auto arg = dyn_cast<BlockArgument>(shaped))
    return argDim(arg, d);
  Operation *def = shaped.getDefiningOp();
  // The dynamic size operand that defines dim d, for ops that carry one.
  auto dynOperand = [&](ValueRange dyn) -> OI {
    int64_t k = 0;
    for (int64_t i = 0; i < d; ++i)
      k += st.isDynamicDim(i);
    if (k >= (int64_t)dyn.size())
      return std::nullopt;
    return bound(dyn[k]);
  };
  if (auto a = dyn_cast<memref::AllocOp>(def))
    return dynOperand(a.getDynamicSizes());
  if (auto a = dyn_cast<memref::AllocaOp>(def))
    return dynOperand(a.getDynamicSizes());
  if (auto v = dyn_cast<memref::ViewOp>(def))
    return dynOperand(v.getSizes());
  if (auto e = dyn_cast<tensor::EmptyOp>(def))
    return dynOperand(e.getDynamicSizes());
  if (auto c = dyn_cast<memref::CastOp>(def))
    return dimBound(c.getSource(), d);
  if (auto c = dyn_cast<tensor::CastOp>(def))
    return dimBound(c.getSource(), d);
  auto fromMixed = [&](SmallVector<OpFoldResult> sizes) -> OI {
    OpFoldResult s = sizes[d];
    if (auto a = dyn_cast<Attribute>(s)) {
      int64_t c = cast<IntegerAttr>(a).getInt();
      return Interval{c, c};
    }
    return bound(cast<Value>(s));
  };
  if (auto s = dyn_cast<memref::SubViewOp>(def)) {
    // Rank-reducing subviews drop dims; only the plain case is handled.
    if (s.getSourceType().getRank() != s.getType().getRank())
      return std::nullopt;
    return fromMixed(s.getMixedSizes());
  }
  if (auto s = dyn_cast<memref::ReinterpretCastOp>(def))
    return fromMixed(s.getMixedSizes());
  if (auto e = dyn_cast<memref::ExpandShapeOp>(def))
    return fromMixed(e.getMixedOutputShape());
  if (auto e = dyn_cast<tensor::ExpandShapeOp>(def))
    return fromMixed(e.getMixedOutputShape());
  auto collapsed = [&](Value src, ArrayRef<ReassociationIndices> groups) -> OI {
    OI r = Interval{1, 1};
    for (int64_t i : groups[d])
      r = mul(r, dimBound(src, i));
    return r;
  };
  if (auto c = dyn_cast<memref::CollapseShapeOp>(def))
    return collapsed(c.getSrc(), c.getReassociationIndices());
  if (auto c = dyn_cast<tensor::CollapseShapeOp>(def))
    return collapsed(c.getSrc(), c.getReassociationIndices());
  return std::nullopt;
}

OI SizeBounds::compute(Value v) {
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c))) {
    int64_t x = c.getBitWidth() == 1 ? (int64_t)c.getZExtValue() : c.getSExtValue();
    return Interval{x, x};
  }
  Operation *op = v.getDefiningOp();
  if (!op) {
    // A loop's induction variable lies in [lower, upper - 1]: a tile's
    // extent min(n - iv, tile) is then bounded by the tile (a key block
    // of attention over a symbolic sequence length).
    auto loop = dyn_cast_or_null<scf::ForOp>(
        cast<BlockArgument>(v).getOwner()->getParentOp());
    if (!loop || loop.getInductionVar() != v)
      return std::nullopt;
    OI lo = bound(loop.getLowerBound()), hi = bound(loop.getUpperBound());
    if (!lo || !hi)
      return std::nullopt;
    return Interval{lo->lo, std::max(lo->lo, hi->hi - 1)};
  }
  auto b = [&](unsigned i) { return bound(op->getOperand(i)); };
  if (auto dim = dyn_cast<memref::DimOp>(op)) {
    auto idx = dim.getConstantIndex();
    return idx ? dimBound(dim.getSource(), *idx) : std::nullopt;
  }
  if (auto dim = dyn_cast<tensor::DimOp>(op)) {
    auto idx = dim.getConstantIndex();
    return idx ? dimBound(dim.getSource(), *idx) : std::nullopt;
  }
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp>(op))
    return b(0);
  if (isa<arith::ExtUIOp>(op)) {
    OI x = b(0);
    return x && x->lo >= 0 ? x : std::nullopt;
  }
  if (isa<arith::AddIOp>(op))
    return add(b(0), b(1));
  if (isa<arith::SubIOp>(op))
    return sub(b(0), b(1));
  if (isa<arith::MulIOp>(op))
    return mul(b(0), b(1));
  if (isa<arith::DivSIOp, arith::DivUIOp>(op))
    return divTrunc(b(0), b(1));
  if (isa<arith::CeilDivSIOp, arith::CeilDivUIOp>(op))
    return divCeil(b(0), b(1));
  if (isa<arith::FloorDivSIOp>(op))
    return divFloor(b(0), b(1));
  if (isa<arith::RemSIOp, arith::RemUIOp>(op))
    return rem(b(0), b(1));
  // min/max bound a value from one side even when the other operand is
  // unknown (a position read from data, clamped into a cache): an unknown
  // operand counts as the whole range, nested signed min/max keep their
  // half-open ranges, and only a finite result is a bound.
  if (isa<arith::MaxSIOp, arith::MinSIOp>(op)) {
    constexpr int64_t kLo = std::numeric_limits<int64_t>::min(),
                      kHi = std::numeric_limits<int64_t>::max();
    std::function<Interval(Value)> loose = [&](Value x) -> Interval {
      Operation *d = x.getDefiningOp();
      if (d && isa<arith::MaxSIOp, arith::MinSIOp>(d)) {
        Interval a = loose(d->getOperand(0)), c = loose(d->getOperand(1));
        return isa<arith::MaxSIOp>(d)
                   ? Interval{std::max(a.lo, c.lo), std::max(a.hi, c.hi)}
                   : Interval{std::min(a.lo, c.lo), std::min(a.hi, c.hi)};
      }
      return bound(x).value_or(Interval{kLo, kHi});
    };
    Interval r = loose(v);
    if (r.lo == kLo || r.hi == kHi)
      return std::nullopt;
    return r;
  }
  if (isa<arith::MaxUIOp, arith::MinUIOp>(op)) {
    OI x = b(0), y = b(1);
    if (!x || !y)
      return std::nullopt;
    return isa<arith::MaxUIOp>(op)
               ? Interval{std::max(x->lo, y->lo), std::max(x->hi, y->hi)}
               : Interval{std::min(x->lo, y->lo), std::min(x->hi, y->hi)};
  }
  if (isa<arith::SelectOp>(op)) {
    // A condition the bounds decide picks one side.
    OI c = b(0);
    if (c && c->lo == 1)
      return b(1);
    if (c && c->hi == 0)
      return b(2);
    return join(b(1), b(2));
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    OI x = b(0), y = b(1);
    if (!x || !y)
      return Interval{0, 1};
    auto decided = [](bool isTrue, bool isFalse) -> OI {
      if (isTrue)
        return Interval{1, 1};
      if (isFalse)
        return Interval{0, 0};
      return Interval{0, 1};
    };
    bool disjoint = x->hi < y->lo || y->hi < x->lo;
    bool samePoint = x->lo == x->hi && y->lo == y->hi && x->lo == y->lo;
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::eq:
      return decided(samePoint, disjoint);
    case arith::CmpIPredicate::ne:
      return decided(disjoint, samePoint);
    case arith::CmpIPredicate::slt:
      return decided(x->hi < y->lo, x->lo >= y->hi);
    case arith::CmpIPredicate::sle:
      return decided(x->hi <= y->lo, x->lo > y->hi);
    case arith::CmpIPredicate::sgt:
      return decided(x->lo > y->hi, x->hi <= y->lo);
    case arith::CmpIPredicate::sge:
      return decided(x->lo >= y->hi, x->hi < y->lo);
    default:
      return Interval{0, 1};
    }
  }
  auto affineOperands = [&](AffineMap map, ValueRange operands,
                            SmallVectorImpl<OI> &dims,
                            SmallVectorImpl<OI> &syms) {
    for (auto [i, o] : llvm::enumerate(operands))
      (i < map.getNumDims() ? dims : syms).push_back(bound(o));
  };
  if (auto apply = dyn_cast<affine::AffineApplyOp>(op)) {
    SmallVector<OI> dims, syms;
    affineOperands(apply.getAffineMap(), apply.getMapOperands(), dims, syms);
    return affineBound(apply.getAffineMap().getResult(0), dims, syms);
  }
  if (isa<affine::AffineMinOp, affine::AffineMaxOp>(op)) {
    bool isMin = isa<affine::AffineMinOp>(op);
    AffineMap map = isMin ? cast<affine::AffineMinOp>(op).getAffineMap()
                          : cast<affine::AffineMaxOp>(op).getAffineMap();
    SmallVector<OI> dims, syms;
    affineOperands(map, op->getOperands(), dims, syms);
    OI r;
    for (AffineExpr e : map.getResults()) {
      OI x = affineBound(e, dims, syms);
      if (!x)
        return std::nullopt;
      if (!r)
        r = x;
      else if (isMin)
        r = Interval{std::min(r->lo, x->lo), std::min(r->hi, x->hi)};
      else
        r = Interval{std::max(r->lo, x->lo), std::max(r->hi, x->hi)};
    }
    return r;
  }
  return std::nullopt;
}

mnemo::SizeBounds mnemo::boundsFromDimSpecs(Block &entry,
                                            ArrayRef<DictionaryAttr> argAttrs,
                                            ArrayRef<std::string> specs) {
  llvm::StringMap<Interval> given;
  for (StringRef spec : specs)
    if (std::optional<DimSpec> d = parseDimSpec(spec))
      given[d->name] = {d->lo, d->hi};
  SmallVector<DictionaryAttr> attrs(argAttrs);
  return SizeBounds([&entry, attrs, given](BlockArgument arg,
                                           int64_t d) -> std::optional<Interval> {
    unsigned a = arg.getArgNumber();
    if (arg.getOwner() != &entry || a >= attrs.size())
      return std::nullopt;
    auto it = given.find(graph::symbolicDimName(
        attrs[a], "input" + std::to_string(a), d));
    if (it == given.end())
      return std::nullopt;
    return it->second;
  });
}
