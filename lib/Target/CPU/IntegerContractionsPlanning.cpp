//===- IntegerContractionsPlanning.cpp - which 8-bit contractions, how ----===//
//
// Matches the 8-bit contractions mnemo-cpu-integer-contractions writes as
// vector code and plans their loops (IntegerContractionsPlan.h): which
// loop the rows of a register block run along, which is vectorized, which
// reduction loop the dot product groups, and the flat loop over rows
// stored back to back.
//
//===----------------------------------------------------------------------===//

#include "IntegerContractionsPlan.h"
#include "mnemo/Target/CPU/PackWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo::integer_contractions {

namespace {

/// How a multiply operand is made from an 8-bit block argument: widened
/// by extsi or extui, then maybe minus a zero point defined outside the
/// body ((x - zp) still fits in 16 bits).
struct Widened {
  Value in;
  bool isSigned;
  Value zeroPoint;
};

std::optional<Widened> widened(Value v, Block &body) {
  Value zp;
  if (auto sub = v.getDefiningOp<arith::SubIOp>()) {
    zp = sub.getRhs();
    if (zp.getParentBlock() == &body)
      return std::nullopt;
    v = sub.getLhs();
  }
  if (auto e = v.getDefiningOp<arith::ExtSIOp>())
    if (e.getIn().getType().isInteger(8))
      return Widened{e.getIn(), true, zp};
  if (auto e = v.getDefiningOp<arith::ExtUIOp>())
    if (e.getIn().getType().isInteger(8))
      return Widened{e.getIn(), false, zp};
  return std::nullopt;
}

/// The stride s when `e` is s * d_pos plus terms of reduction loops only
/// (a window's tap offset, or loops of range 1), for s = 1 or 2.
std::optional<int64_t> strideAlong(AffineExpr e, unsigned pos,
                                   ArrayRef<utils::IteratorType> kinds) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return d.getPosition() == pos ? std::optional<int64_t>(1) : std::nullopt;
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  if (bin.getKind() == AffineExprKind::Mul) {
    auto d = dyn_cast<AffineDimExpr>(bin.getLHS());
    auto c = dyn_cast<AffineConstantExpr>(bin.getRHS());
    if (d && c && d.getPosition() == pos &&
        (c.getValue() == 1 || c.getValue() == 2))
      return c.getValue();
    return std::nullopt;
  }
  if (bin.getKind() != AffineExprKind::Add)
    return std::nullopt;
  auto reductionsOnly = [&](AffineExpr x) {
    bool ok = true;
    x.walk([&](AffineExpr s) {
      if (auto d = dyn_cast<AffineDimExpr>(s))
        ok &= kinds[d.getPosition()] == utils::IteratorType::reduction;
    });
    return ok;
  };
  if (reductionsOnly(bin.getRHS()))
    if (auto s = strideAlong(bin.getLHS(), pos, kinds))
      return s;
  if (reductionsOnly(bin.getLHS()))
    return strideAlong(bin.getRHS(), pos, kinds);
  return std::nullopt;
}

/// The reduction loop the dot product could group, with the position of
/// A's result that reads it: the longest (at least 4) that A and B each
/// read as a plain index of its own (B not innermost, so four steps are
/// four rows of B), when A reads only rows and reductions (the zero-point
/// compensation is then one number per row, computed once). Whether A
/// holds the four steps side by side is Plan::group's question.
std::optional<std::pair<unsigned, unsigned>> groupLoop(linalg::GenericOp op,
                                                      const Plan &p,
                                                      int64_t groupSize) {
  if (p.shareA || groupSize < 2)
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap aMap = maps[p.a.input], bMap = maps[p.b.input];
  auto readBy = [&](unsigned d) {
    return llvm::any_of(aMap.getResults(),
                        [&](AffineExpr e) { return e.isFunctionOfDim(d); });
  };
  if (llvm::any_of(p.outer, readBy) || (p.flatH && readBy(*p.flatH)))
    return std::nullopt;
  // The one result of `m` that reads d, when it is d itself.
  auto plainOnce = [](AffineMap m, unsigned d) -> std::optional<unsigned> {
    std::optional<unsigned> at;
    for (auto [pos, e] : llvm::enumerate(m.getResults())) {
      if (!e.isFunctionOfDim(d))
        continue;
      if (at || !isa<AffineDimExpr>(e))
        return std::nullopt;
      at = pos;
    }
    return at;
  };
  std::optional<std::pair<unsigned, unsigned>> best;
  for (unsigned d : p.ks) {
    if (p.ranges[d] < groupSize || (best && p.ranges[d] <= p.ranges[best->first]))
      continue;
    std::optional<unsigned> ap = plainOnce(aMap, d), bp = plainOnce(bMap, d);
    if (ap && bp && *bp + 1 != bMap.getNumResults())
      best = {d, *ap};
  }
  return best;
}

/// Plan::group: the group loop when A reads it contiguously (stride 1, the
/// dims after it of size 1), so four steps are one 4-byte load of A.
void planGroup(linalg::GenericOp op, Plan &p, int64_t groupSize) {
  std::optional<std::pair<unsigned, unsigned>> g =
      groupLoop(op, p, groupSize);
  if (!g)
    return;
  auto aType = cast<MemRefType>(op.getDpsInputs()[p.a.input].getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(aType.getStridesAndOffset(strides, offset)) ||
      strides[g->second] != 1 ||
      llvm::any_of(aType.getShape().drop_front(g->second + 1),
                   [](int64_t n) { return n != 1; }))
    return;
  p.group = g->first;
  p.aGroupPos = g->second;
  p.groupSize = groupSize;
}

} // namespace

std::optional<Plan> planContraction(linalg::GenericOp op, int64_t groupSize) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  auto outType = dyn_cast<MemRefType>(op.getDpsInits()[0].getType());
  if (!outType || !outType.getElementType().isInteger(32))
    return std::nullopt;
  // Body: yield(addi(out, muli(ext(x) [- zx], ext(y) [- zy]))).
  Block &body = op.getRegion().front();
  size_t n = body.getOperations().size();
  if (n < 5 || n > 7)
    return std::nullopt;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddIOp>();
  BlockArgument out = body.getArgument(2);
  if (!add)
    return std::nullopt;
  Value prod = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if ((add.getLhs() != out && add.getRhs() != out) || prod == out)
    return std::nullopt;
  auto mul = prod.getDefiningOp<arith::MulIOp>();
  if (!mul)
    return std::nullopt;
  auto x = widened(mul.getLhs(), body), y = widened(mul.getRhs(), body);
  if (!x || !y)
    return std::nullopt;
  auto argIndex = [&](Value v) -> std::optional<unsigned> {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &body || arg.getArgNumber() > 1)
      return std::nullopt;
    return arg.getArgNumber();
  };
  auto xi = argIndex(x->in), yi = argIndex(y->in);
  if (!xi || !yi || *xi == *yi)
    return std::nullopt;

  Plan p;
  p.ranges = op.getStaticLoopRanges();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap outMap = maps[2];
  if (!outMap.isProjectedPermutation() || outMap.getNumResults() == 0)
    return std::nullopt;
  // k: the reduction loops longer than 1 (input channels; and the window
  // of a stride-1 convolution, whose taps shift B along j).
  SmallVector<utils::IteratorType> kinds = op.getIteratorTypesArray();
  for (unsigned d = 0; d < kinds.size(); ++d)
    if (kinds[d] == utils::IteratorType::reduction && p.ranges[d] != 1)
      p.ks.push_back(d);
  if (p.ks.empty())
    return std::nullopt;
  // j: the output's innermost dim; the vector operand reads it innermost.
  p.j = cast<AffineDimExpr>(outMap.getResults().back()).getPosition();
  auto usesDim = [&](AffineMap m, unsigned d) {
    return llvm::any_of(m.getResults(),
                        [&](AffineExpr e) { return e.isFunctionOfDim(d); });
  };
  std::optional<unsigned> bIn;
  for (unsigned in : {0u, 1u}) {
    AffineMap m = maps[in];
    std::optional<int64_t> stride =
        m.getNumResults() ? strideAlong(m.getResults().back(), p.j, kinds)
                          : std::nullopt;
    if (stride && llvm::count_if(m.getResults(), [&](AffineExpr e) {
          return e.isFunctionOfDim(p.j);
        }) == 1) {
      bIn = bIn ? std::optional<unsigned>() : std::optional<unsigned>(in);
      p.strideJ = *stride;
    }
  }
  if (!bIn || usesDim(maps[1 - *bIn], p.j))
    return std::nullopt;
  unsigned aIn = 1 - *bIn;
  // i, the rows of a block: a parallel loop A reads and B does not (the
  // output channel: one B vector serves every row), else one B reads and
  // A does not (a depthwise convolution's output row: one broadcast of A
  // serves every row), the longest such. The rest are outer loops.
  SmallVector<unsigned> aOnly, bOnly, parallel;
  for (unsigned d = 0; d < kinds.size(); ++d) {
    if (kinds[d] != utils::IteratorType::parallel || d == p.j)
      continue;
    parallel.push_back(d);
    bool inA = usesDim(maps[aIn], d), inB = usesDim(maps[*bIn], d);
    if (inA && !inB)
      aOnly.push_back(d);
    if (inB && !inA)
      bOnly.push_back(d);
  }
  auto longest = [&](ArrayRef<unsigned> ds) {
    return *llvm::max_element(ds, [&](unsigned x, unsigned y) {
      return p.ranges[x] < p.ranges[y];
    });
  };
  if (!aOnly.empty()) {
    p.i = longest(aOnly);
  } else if (!bOnly.empty()) {
    p.i = longest(bOnly);
    p.shareA = true;
  } else {
    return std::nullopt;
  }
  for (unsigned d : parallel)
    if (d != p.i)
      p.outer.push_back(d);
  // j and k are static (whole and masked vectors, the carried loops); i
  // and the outer loops may be dynamic (a thread's chunk of channels).
  if (ShapedType::isDynamic(p.ranges[p.j]) ||
      llvm::any_of(p.ks, [&](unsigned d) {
        return ShapedType::isDynamic(p.ranges[d]);
      }))
    return std::nullopt;
  const Widened &wa = aIn == *xi ? *x : *y, &wb = *bIn == *xi ? *x : *y;
  p.a = {aIn, wa.isSigned, wa.zeroPoint};
  p.b = {*bIn, wb.isSigned, wb.zeroPoint};
  // Contiguous j in B and C, so the vectors are plain loads and stores.
  bool rowsBackToBack = true;
  for (Value v : {op.getDpsInputs()[*bIn], op.getDpsInits()[0]}) {
    auto t = cast<MemRefType>(v.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(t.getStridesAndOffset(strides, offset)) || strides.back() != 1)
      return std::nullopt;
    rowsBackToBack &= t.getRank() >= 2 && !t.isDynamicDim(t.getRank() - 1) &&
                      strides[t.getRank() - 2] == t.getShape().back();
  }
  // Narrow rows (7 or 14 columns) would each take a masked vector: when C
  // and B hold the rows of j's parent loop h back to back, with the same
  // width, and B reads them as h and j (plus loops of range 1), h and j
  // run as one flat loop over both.
  AffineMap bMap = maps[*bIn];
  auto plainDim = [&](AffineExpr e, unsigned d) {
    bool ok = e.isFunctionOfDim(d);
    e.walk([&](AffineExpr x) {
      if (auto dim = dyn_cast<AffineDimExpr>(x))
        ok &= dim.getPosition() == d || p.ranges[dim.getPosition()] == 1;
      if (auto bin = dyn_cast<AffineBinaryOpExpr>(x))
        ok &= bin.getKind() == AffineExprKind::Add;
    });
    return ok;
  };
  auto bType = cast<MemRefType>(op.getDpsInputs()[*bIn].getType());
  if (rowsBackToBack && p.strideJ == 1 && outMap.getNumResults() >= 2 &&
      bMap.getNumResults() >= 2 &&
      bType.getShape().back() == outType.getShape().back()) {
    unsigned h =
        cast<AffineDimExpr>(outMap.getResults()[outMap.getNumResults() - 2])
            .getPosition();
    if (llvm::is_contained(p.outer, h) && !ShapedType::isDynamic(p.ranges[h]) &&
        plainDim(bMap.getResults()[bMap.getNumResults() - 2], h) &&
        plainDim(bMap.getResults().back(), p.j) &&
        !usesDim(maps[aIn], h)) {
      p.flatH = h;
      llvm::erase(p.outer, h);
    }
  }
  planGroup(op, p, groupSize);
  return p;
}

void moveGroupsInnermost(ModuleOp module, int64_t groupSize) {
  SymbolTable symbols(module);
  mnemo::PackedGlobals packed;
  IRRewriter rw(module.getContext());
  SmallVector<std::tuple<linalg::GenericOp, unsigned, unsigned>> work;
  module.walk([&](linalg::GenericOp op) {
    std::optional<Plan> p = planContraction(op, groupSize);
    if (!p || p->group)
      return;
    if (std::optional<std::pair<unsigned, unsigned>> g =
            groupLoop(op, *p, groupSize))
      work.push_back({op, p->a.input, g->second});
  });
  for (auto &item : work) {
    linalg::GenericOp op = std::get<0>(item);
    unsigned in = std::get<1>(item), pos = std::get<2>(item);
    Value a = op.getDpsInputs()[in];
    FailureOr<Value> moved = mnemo::moveDimInnermost(rw, symbols, a, pos, packed);
    if (failed(moved))
      continue;
    rw.modifyOpInPlace(op, [&] {
      op->setOperand(in, *moved);
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      SmallVector<AffineExpr> results(maps[in].getResults());
      AffineExpr e = results[pos];
      results.erase(results.begin() + pos);
      results.push_back(e);
      maps[in] = AffineMap::get(maps[in].getNumDims(), 0, results,
                                op.getContext());
      op.setIndexingMapsAttr(rw.getAffineMapArrayAttr(maps));
    });
    while (auto view = a.getDefiningOp<memref::SubViewOp>()) {
      if (!view->use_empty())
        break;
      a = view.getSource();
      rw.eraseOp(view);
    }
  }
  mnemo::eraseUnpackedSources(module, packed);
}

} // namespace mnemo::integer_contractions
