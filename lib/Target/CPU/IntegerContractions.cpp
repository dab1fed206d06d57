//===- IntegerContractions.cpp - register-blocked 8-bit contractions ------===//
//
// graph-fold-qdq leaves every integer layer as a linalg.generic that adds
// ext(a) * ext(b) of two 8-bit operands into an i32 accumulator. Lowered
// to loops, LLVM vectorizes such a nest along the output row at best, with
// the accumulator read and written in memory at every reduction step. This
// pass writes the contractions of the form
//
//   C[outer.., i, .., j] += A[i, k..] * B[outer.., k.., .., s j + taps]
//
// (convolutions with stride s = 1 or 2 along the row: i = output channel,
// k = input channel and window taps, j = the output column; matmuls:
// i = row, k, j = column) as register-blocked vector code: `rows`
// accumulator vectors of the target's i32 lanes along j stay in registers
// over all reduction loops; each step loads one vector of B (widened once,
// reused by every row) and broadcasts one element of A per row. A
// depthwise convolution (B reads the output channel too) blocks output
// rows instead, sharing one broadcast of A. A stride-2 row is read as the
// bytes it spans with the even ones kept; other strides stay loops. The
// widening multiply of two values that fit in 16 bits is what x86's
// vpmaddwd (vpdpwssd with VNNI) computes, and LLVM selects it for these
// i32 multiplies; the arithmetic is exact (no saturating u8 x s8 pairs).
//
// Where the target has VNNI, a reduction loop A holds contiguously (the
// input channel) runs four steps per instruction on vpdpbusd (four u8 x
// s8 products summed into each i32 lane, without saturation): see
// groupOfB / groupOfA and the compensation note at alphaOf. Constant
// weights holding that loop strided are copied with it innermost first
// (moveGroupsInnermost), which is why this is a module pass.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/PackWeights.h"
#include "mnemo/Target/CPU/PassTarget.h"
#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_INTEGERCONTRACTIONSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// One operand of the multiply: which input, how it is widened, and the
/// zero point subtracted after widening (null: none).
struct Factor {
  unsigned input = 0;
  bool isSigned = true;
  Value zeroPoint;
};

/// The loops of a contraction in the form above.
struct Plan {
  Factor a, b;                   // a: broadcast (no j), b: vector along j
  unsigned i = 0, j = 0;         // loop positions
  SmallVector<unsigned> ks;      // reduction loops longer than 1
  SmallVector<unsigned> outer;   // other parallel loops, iterated
  bool shareA = false;           // rows share A's broadcast, not B's vector
  int64_t strideJ = 1;           // B's step along j (2: a strided window)
  std::optional<unsigned> flatH; // the loop whose rows j runs on through
  SmallVector<int64_t> ranges;   // static loop ranges
  // The reduction loop the 8-bit dot product runs four at a time: A reads
  // it as its contiguous innermost index (result aGroupPos; later dims
  // have size 1), B as one plain index of its own.
  std::optional<unsigned> group;
  unsigned aGroupPos = 0;
  int64_t groupSize = 0; // 4: vpdpbusd, 2: vpmaddwd on 16-bit pairs
};

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

/// Constant weights whose group loop is not contiguous (a 3x3
/// convolution's [F][C][KH][KW]) get a copy with that dim innermost
/// ([F][KH][KW][C]), and the contraction reads the copy.
std::optional<Plan> planContraction(linalg::GenericOp op, int64_t groupSize);

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

/// The plan of `op`, its group loop run `groupSize` steps at a time (0:
/// none).
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

class Emitter {
public:
  /// With Plan::group, that loop runs p.groupSize steps per instruction.
  Emitter(linalg::GenericOp op, const Plan &p, int64_t lanes, int64_t rows)
      : op(op), p(p), lanes(lanes), rows(rows), dot(p.group.has_value()),
        g(p.groupSize) {}

  void emit(RewriterBase &rw) {
    OpBuilder::InsertionGuard g(rw);
    rw.setInsertionPoint(op);
    b = &rw;
    loc = op.getLoc();
    SmallVector<Value> iv(p.ranges.size(), cIdx(0));
    iv0 = iv;
    for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rw, loc))
      sizes.push_back(getValueOrCreateConstantIndexOp(rw, loc, r.size));
    if (dot)
      prepareDot();
    emitOuter(iv);
    rw.eraseOp(op);
  }

private:
  Value cIdx(int64_t v) { return arith::ConstantIndexOp::create(*b, loc, v); }

  /// A for loop from `lo` to `hi` by `step` with `body(iv)`.
  void loop(Value lo, Value hi, int64_t step,
            function_ref<void(Value)> body) {
    scf::ForOp::create(*b, loc, lo, hi, cIdx(step), ValueRange{},
                       [&](OpBuilder &ob, Location, Value v, ValueRange) {
                         OpBuilder::InsertionGuard g(*b);
                         b->setInsertionPoint(ob.getInsertionBlock(),
                                              ob.getInsertionPoint());
                         body(v);
                         scf::YieldOp::create(*b, loc);
                       });
  }

  /// The loops around a block: the outer loops, then rows in blocks of
  /// `rows` and one at a time. With the dot product the rows go outermost,
  /// so each row's compensation term is computed once, before the loops
  /// that reuse it.
  void emitOuter(SmallVector<Value> &iv) {
    if (!dot) {
      forOuter(iv, 0, [&] {
        forRowBlocks(iv, [&](int64_t nRows) { emitColumns(iv, nRows); });
      });
      return;
    }
    forRowBlocks(iv, [&](int64_t nRows) {
      computeRowTerms(iv, nRows);
      forOuter(iv, 0, [&] { emitColumns(iv, nRows); });
    });
  }

  void forOuter(SmallVector<Value> &iv, unsigned n, function_ref<void()> body) {
    if (n == p.outer.size())
      return body();
    unsigned d = p.outer[n];
    loop(cIdx(0), sizes[d], 1, [&](Value v) {
      iv[d] = v;
      forOuter(iv, n + 1, body);
    });
    iv[d] = iv0[d]; // the loop's value is out of scope after it
  }

  void forRowBlocks(SmallVector<Value> &iv,
                    function_ref<void(int64_t)> body) {
    Value m = sizes[p.i];
    Value full = arith::MulIOp::create(
        *b, loc, arith::DivUIOp::create(*b, loc, m, cIdx(rows)), cIdx(rows));
    loop(cIdx(0), full, rows, [&](Value r) {
      iv[p.i] = r;
      body(rows);
    });
    loop(full, m, 1, [&](Value r) {
      iv[p.i] = r;
      body(1);
    });
  }

  /// Whole vectors along j (h and j flat when p.flatH), then one masked
  /// vector for the rest.
  void emitColumns(SmallVector<Value> &iv, int64_t nRows) {
    int64_t n = p.ranges[p.j] * (p.flatH ? p.ranges[*p.flatH] : 1);
    int64_t full = n / lanes * lanes;
    if (full)
      loop(cIdx(0), cIdx(full), lanes, [&](Value c) {
        iv[p.j] = c;
        emitBlock(iv, nRows, lanes);
      });
    if (full < n) {
      iv[p.j] = cIdx(full);
      emitBlock(iv, nRows, n - full);
    }
  }

  /// Operand `idx` (B or C) and its indices at loop values `iv`; with flat
  /// rows, the operand with its last two dims collapsed and j the flat
  /// position (h is 0).
  std::pair<Value, SmallVector<Value>> access(unsigned idx,
                                              ArrayRef<Value> iv) {
    Value mem = op->getOperand(idx);
    if (!p.flatH)
      return {mem, indices(idx, iv)};
    SmallVector<Value> at(iv);
    at[*p.flatH] = cIdx(0);
    SmallVector<Value> ind = indices(idx, at);
    ind.erase(ind.end() - 2); // the row: 0
    auto [it, inserted] = collapsed.try_emplace(mem);
    if (inserted) {
      OpBuilder::InsertionGuard g(*b);
      b->setInsertionPoint(op);
      auto t = cast<MemRefType>(mem.getType());
      SmallVector<ReassociationIndices> groups;
      for (int64_t d = 0; d + 2 < t.getRank(); ++d)
        groups.push_back({d});
      groups.push_back({t.getRank() - 2, t.getRank() - 1});
      it->second = memref::CollapseShapeOp::create(*b, loc, mem, groups);
    }
    return {it->second, ind};
  }

  /// The indices of operand `idx` at loop values `iv`.
  SmallVector<Value> indices(unsigned idx, ArrayRef<Value> iv) {
    AffineMap m = op.getIndexingMapsArray()[idx];
    SmallVector<Value> out;
    for (AffineExpr e : m.getResults())
      out.push_back(affine::AffineApplyOp::create(
          *b, loc, AffineMap::get(m.getNumDims(), 0, e), iv));
    return out;
  }

  /// The first `active` of `width` lanes.
  Value mask(int64_t active, int64_t width) {
    return vector::CreateMaskOp::create(
        *b, loc, VectorType::get({width}, b->getI1Type()),
        ValueRange{cIdx(active)});
  }

  /// `count` elements of type `t` from `at` (masked when fewer than a
  /// vector; the other lanes read 0).
  Value maskedRead(Value mem, ArrayRef<Value> at, VectorType t,
                   int64_t count) {
    int64_t width = t.getNumElements();
    if (count == width)
      return vector::LoadOp::create(*b, loc, t, mem, at);
    Value pass = arith::ConstantOp::create(
        *b, loc, t, DenseElementsAttr::get(t, b->getZeroAttr(t.getElementType())));
    return vector::MaskedLoadOp::create(*b, loc, t, mem, at,
                                        mask(count, width), pass);
  }

  /// `count` bytes two apart from `at`: the 2 * count - 1 bytes they span
  /// (a masked load, so nothing past the last is read), the even ones kept.
  Value readEveryOther(Value mem, ArrayRef<Value> at, int64_t count) {
    Value wide = maskedRead(mem, at,
                            VectorType::get({2 * lanes}, b->getI8Type()),
                            2 * count - 1);
    SmallVector<int64_t> even;
    for (int64_t l = 0; l < lanes; ++l)
      even.push_back(2 * l);
    return vector::ShuffleOp::create(*b, loc, wide, wide, even);
  }

  void writeVector(Value v, Value mem, ArrayRef<Value> at, int64_t count) {
    if (count == lanes)
      vector::StoreOp::create(*b, loc, v, mem, at);
    else
      vector::MaskedStoreOp::create(*b, loc, mem, at, mask(count, lanes), v);
  }

  /// `v` widened to `to` as `f` widens it, minus its zero point.
  Value widen(Value v, const Factor &f, Type to) {
    Value w = f.isSigned ? Value(arith::ExtSIOp::create(*b, loc, to, v))
                         : Value(arith::ExtUIOp::create(*b, loc, to, v));
    if (!f.zeroPoint)
      return w;
    Value zp = f.zeroPoint;
    if (zp.getType() != getElementTypeOrSelf(to))
      zp = arith::TruncIOp::create(*b, loc, getElementTypeOrSelf(to), zp);
    if (auto vt = dyn_cast<VectorType>(to))
      zp = vector::BroadcastOp::create(*b, loc, vt, zp);
    return arith::SubIOp::create(*b, loc, w, zp);
  }

  /// `nRows` rows from iv[i] x one vector of C, accumulated over the
  /// reduction loops in registers.
  void emitBlock(SmallVector<Value> iv, int64_t nRows, int64_t count) {
    auto accT = VectorType::get({lanes}, b->getI32Type());
    SmallVector<Value> rowIdx;
    for (int64_t r = 0; r < nRows; ++r)
      rowIdx.push_back(r ? Value(arith::AddIOp::create(*b, loc, iv[p.i],
                                                       cIdx(r)))
                         : iv[p.i]);
    SmallVector<Value> acc;
    for (auto [r, row] : llvm::enumerate(rowIdx)) {
      iv[p.i] = row;
      auto [mem, at] = access(2, iv);
      Value c = maskedRead(mem, at, accT, count);
      if (!rowTerms.empty())
        c = arith::AddIOp::create(
            *b, loc, c, vector::BroadcastOp::create(*b, loc, accT, rowTerms[r]));
      acc.push_back(c);
    }
    // With an offset on A, the column sums of B ride along.
    if (alphaA)
      acc.push_back(zeros(accT));
    SmallVector<Value> sums = reduce(iv, rowIdx, acc, count, 0, dot);
    if (alphaA) {
      Value cols = sums.pop_back_val();
      Value scaled = arith::MulIOp::create(
          *b, loc, cols, vector::BroadcastOp::create(*b, loc, accT, alphaA));
      for (Value &sum : sums)
        sum = arith::AddIOp::create(*b, loc, sum, scaled);
    }
    for (auto [row, sum] : llvm::zip(rowIdx, sums)) {
      iv[p.i] = row;
      auto [mem, at] = access(2, iv);
      writeVector(sum, mem, at, count);
    }
  }

  Value zeros(VectorType t) {
    return arith::ConstantOp::create(
        *b, loc, t, DenseElementsAttr::get(t, b->getZeroAttr(t.getElementType())));
  }

  Value splatI8(int64_t v, int64_t n) {
    auto t = VectorType::get({n}, b->getI8Type());
    return arith::ConstantOp::create(
        *b, loc, t, DenseElementsAttr::get(t, b->getIntegerAttr(b->getI8Type(), v)));
  }

  Value cI32(int64_t v) {
    return arith::ConstantIntOp::create(*b, loc, b->getI32Type(), v);
  }

  // vpdpbusd adds four u8 x s8 products into each i32 lane. B is fed as
  // the u8 operand and A as the s8 one, each byte flipped by 0x80 where
  // its signedness differs, so that true = fed + alpha on each side with
  //   alphaB = (B signed ? -128 : 0) - zB,  alphaA = (A unsigned ? 128 : 0) - zA
  // and over the grouped reduction points
  //   sum (a + alphaA)(b + alphaB) = sum a b + alphaB sum a + alphaA sum b
  //                                  + points alphaA alphaB.
  // The sums of A are per row (rowTerms, computed once per block of rows); the sums of
  // B per column ride along with the accumulators (one more vpdpbusd with
  // ones, shared by all rows). All of it wraps in i32 and is exact modulo
  // 2^32, so the result is exact.

  /// alpha of `f` fed as u8 (`fedUnsigned`) or s8; null when it is 0.
  Value alphaOf(const Factor &f, bool fedUnsigned) {
    int64_t flip = f.isSigned == fedUnsigned ? (fedUnsigned ? -128 : 128) : 0;
    if (!f.zeroPoint)
      return flip ? cI32(flip) : Value();
    return arith::SubIOp::create(*b, loc, cI32(flip), f.zeroPoint);
  }

  /// The alphas, and A with its trailing unit dims folded into the grouped
  /// one (so four steps are one 4-byte load).
  void prepareDot() {
    // 16-bit pairs take the zero points before the multiply.
    if (g == 4) {
      alphaA = alphaOf(p.a, /*fedUnsigned=*/false);
      alphaB = alphaOf(p.b, /*fedUnsigned=*/true);
    }
    aMem = op.getDpsInputs()[p.a.input];
    auto aType = cast<MemRefType>(aMem.getType());
    if (p.aGroupPos + 1 < aType.getRank()) {
      SmallVector<ReassociationIndices> groups;
      for (int64_t d = 0; d < p.aGroupPos; ++d)
        groups.push_back({d});
      groups.emplace_back();
      for (int64_t d = p.aGroupPos; d < aType.getRank(); ++d)
        groups.back().push_back(d);
      aMem = memref::CollapseShapeOp::create(*b, loc, aMem, groups);
    }
  }

  /// rowTerms[r] = alphaB * (sum of fed A over row iv[i] + r's grouped
  /// points) + points * alphaA * alphaB (none when alphaB is 0).
  void computeRowTerms(ArrayRef<Value> ivs, int64_t nRows) {
    rowTerms.clear();
    // A reads only rows and reductions; the other loop values may be
    // stale (out of scope) here.
    SmallVector<Value> iv(iv0);
    iv[p.i] = ivs[p.i];
    if (!alphaB)
      return;
    int64_t points = p.ranges[*p.group] / g * g;
    for (unsigned d : p.ks)
      if (d != *p.group)
        points *= p.ranges[d];
    Value rest = alphaA ? arith::MulIOp::create(
                              *b, loc, cI32(points),
                              arith::MulIOp::create(*b, loc, alphaA, alphaB))
                        : Value();
    Value first = iv[p.i];
    for (int64_t r = 0; r < nRows; ++r) {
      iv[p.i] = r ? Value(arith::AddIOp::create(*b, loc, first, cIdx(r))) : first;
      Value sum = arith::MulIOp::create(*b, loc, sumA(iv, 0, cI32(0)), alphaB);
      if (rest)
        sum = arith::AddIOp::create(*b, loc, sum, rest);
      rowTerms.push_back(sum);
    }
  }

  /// The sum of fed A bytes over the reduction loops from ks[n] inward
  /// (the grouped loop over its whole groups only).
  Value sumA(SmallVector<Value> at, unsigned n, Value init) {
    if (n == p.ks.size()) {
      Value a = memref::LoadOp::create(*b, loc, op.getDpsInputs()[p.a.input],
                                       indices(p.a.input, at));
      if (!p.a.isSigned)
        a = arith::XOrIOp::create(
            *b, loc, a, arith::ConstantIntOp::create(*b, loc, b->getI8Type(), -128));
      return arith::AddIOp::create(
          *b, loc, init, arith::ExtSIOp::create(*b, loc, b->getI32Type(), a));
    }
    unsigned d = p.ks[n];
    int64_t end = d == *p.group ? p.ranges[d] / g * g : p.ranges[d];
    auto l = scf::ForOp::create(
        *b, loc, cIdx(0), cIdx(end), cIdx(1), ValueRange{init},
        [&](OpBuilder &ob, Location, Value kv, ValueRange inner) {
          OpBuilder::InsertionGuard g(*b);
          b->setInsertionPoint(ob.getInsertionBlock(), ob.getInsertionPoint());
          at[d] = kv;
          scf::YieldOp::create(*b, loc, sumA(at, n + 1, inner.front()));
        });
    return l.getResult(0);
  }

  /// vpdpbusd at the target's width: acc + the dot products of the u8
  /// groups of `u` and the s8 groups of `s`.
  Value dotProduct(Value acc, Value u, Value s) {
    std::string name =
        "llvm.x86.avx512.vpdpbusd." + std::to_string(lanes * 32);
    return LLVM::CallIntrinsicOp::create(*b, loc, acc.getType(),
                                         b->getStringAttr(name),
                                         ValueRange{acc, u, s})
        ->getResult(0);
  }

  /// The fed element type: bytes for vpdpbusd, 16-bit values for pairs.
  Type fedType() { return g == 4 ? b->getI8Type() : b->getI16Type(); }

  /// `g` rows of B (grouped index k..k+g-1) interleaved so that each i32
  /// lane holds its column's g values: bytes flipped to u8 (vpdpbusd), or
  /// 16-bit values minus the zero point (pairs).
  Value groupOfB(SmallVector<Value> at, int64_t count) {
    auto byteT = VectorType::get({lanes}, b->getI8Type());
    Value k = at[*p.group];
    SmallVector<Value> rowsOfB;
    for (int64_t t = 0; t < g; ++t) {
      at[*p.group] = t ? Value(arith::AddIOp::create(*b, loc, k, cIdx(t))) : k;
      auto [mem, from] = access(p.b.input, at);
      Value v = p.strideJ == 1 ? maskedRead(mem, from, byteT, count)
                               : readEveryOther(mem, from, count);
      if (g == 2)
        v = widen(v, p.b, VectorType::get({lanes}, b->getI16Type()));
      rowsOfB.push_back(v);
    }
    // Lane l of the result: rows 0..g-1 at column l. Rows are joined two
    // by two (concatenated), then interleaved from the halves.
    SmallVector<int64_t> concat, interleave;
    for (int64_t l = 0; l < 2 * lanes; ++l)
      concat.push_back(l);
    for (int64_t l = 0; l < lanes; ++l)
      for (int64_t t = 0; t < g; ++t)
        interleave.push_back((t / 2) * 2 * lanes + (t % 2) * lanes + l);
    Value q;
    if (g == 2) {
      q = vector::ShuffleOp::create(*b, loc, rowsOfB[0], rowsOfB[1], interleave);
    } else {
      Value lo = vector::ShuffleOp::create(*b, loc, rowsOfB[0], rowsOfB[1], concat);
      Value hi = vector::ShuffleOp::create(*b, loc, rowsOfB[2], rowsOfB[3], concat);
      q = vector::ShuffleOp::create(*b, loc, lo, hi, interleave);
      if (p.b.isSigned)
        q = arith::XOrIOp::create(*b, loc, q, splatI8(-128, 4 * lanes));
    }
    return q;
  }

  /// Row at[i]'s g values of A (grouped index k..k+g-1) in every i32
  /// lane: bytes flipped to s8 (vpdpbusd), or 16-bit values minus the
  /// zero point (pairs).
  Value groupOfA(ArrayRef<Value> at) {
    SmallVector<Value> idx = indices(p.a.input, at);
    idx.resize(p.aGroupPos + 1);
    Value vals = vector::LoadOp::create(
        *b, loc, VectorType::get({g}, b->getI8Type()), aMem, idx);
    if (g == 2)
      vals = widen(vals, p.a, VectorType::get({2}, b->getI16Type()));
    else if (!p.a.isSigned)
      vals = arith::XOrIOp::create(*b, loc, vals, splatI8(-128, 4));
    Value word = vector::ExtractOp::create(
        *b, loc,
        vector::BitCastOp::create(
            *b, loc, VectorType::get({1}, b->getI32Type()), vals),
        ArrayRef<int64_t>{0});
    Value all = vector::BroadcastOp::create(
        *b, loc, VectorType::get({lanes}, b->getI32Type()), word);
    return vector::BitCastOp::create(
        *b, loc, VectorType::get({g * lanes}, fedType()), all);
  }

  /// acc + the dot products of each lane's g values of `q` and `a`:
  /// vpdpbusd (u8 x s8 quads), or vpmaddwd (exact 16-bit pairs) and an add.
  Value groupStep(Value acc, Value q, Value a) {
    if (g == 4)
      return dotProduct(acc, q, a);
    std::string name = lanes == 16  ? "llvm.x86.avx512.pmaddw.d.512"
                       : lanes == 8 ? "llvm.x86.avx2.pmadd.wd"
                                    : "llvm.x86.sse2.pmadd.wd";
    Value prod = LLVM::CallIntrinsicOp::create(*b, loc, acc.getType(),
                                               b->getStringAttr(name),
                                               ValueRange{q, a})
                     ->getResult(0);
    return arith::AddIOp::create(*b, loc, acc, prod);
  }

  /// The accumulators (and with alphaA the column sums last) after the
  /// reduction loops from `ks[n]` inward, at loop values `at`. In a
  /// `grouped` step the grouped loop's value starts four steps (one
  /// vpdpbusd per row); in a plain step each step reads the operand the
  /// rows share once (B's vector, or with shareA A's broadcast) and the
  /// other per row, widened and multiplied exactly.
  SmallVector<Value> reduce(SmallVector<Value> at, ArrayRef<Value> rowIdx,
                            ValueRange accs, int64_t count, unsigned n,
                            bool grouped) {
    if (n < p.ks.size()) {
      unsigned d = p.ks[n];
      auto run = [&](int64_t lo, int64_t hi, int64_t step, bool inGroups,
                     ValueRange init) {
        auto l = scf::ForOp::create(
            *b, loc, cIdx(lo), cIdx(hi), cIdx(step), init,
            [&](OpBuilder &ob, Location, Value kv, ValueRange inner) {
              OpBuilder::InsertionGuard g(*b);
              b->setInsertionPoint(ob.getInsertionBlock(),
                                   ob.getInsertionPoint());
              at[d] = kv;
              scf::YieldOp::create(
                  *b, loc, reduce(at, rowIdx, inner, count, n + 1, inGroups));
            });
        return SmallVector<Value>(l.getResults());
      };
      if (!grouped || d != *p.group)
        return run(0, p.ranges[d], 1, grouped, accs);
      // The whole groups, then the rest one step at a time.
      int64_t whole = p.ranges[d] / g * g;
      SmallVector<Value> out = run(0, whole, g, true, accs);
      if (whole < p.ranges[d])
        out = run(whole, p.ranges[d], 1, false, out);
      return out;
    }
    if (grouped) {
      at[p.i] = rowIdx.front();
      Value q = groupOfB(at, count);
      SmallVector<Value> next;
      for (auto [acc, row] : llvm::zip(accs.take_front(rowIdx.size()), rowIdx)) {
        at[p.i] = row;
        next.push_back(groupStep(acc, q, groupOfA(at)));
      }
      if (alphaA)
        next.push_back(dotProduct(accs.back(), q, splatI8(1, 4 * lanes)));
      return next;
    }
    auto i32 = b->getI32Type();
    auto accT = VectorType::get({lanes}, i32);
    auto byteT = VectorType::get({lanes}, b->getI8Type());
    Value aIn = op.getDpsInputs()[p.a.input];
    auto loadB = [&] {
      auto [mem, from] = access(p.b.input, at);
      Value v = p.strideJ == 1 ? maskedRead(mem, from, byteT, count)
                               : readEveryOther(mem, from, count);
      return widen(v, p.b, accT);
    };
    auto loadA = [&] {
      Value a = memref::LoadOp::create(*b, loc, aIn, indices(p.a.input, at));
      return Value(
          vector::BroadcastOp::create(*b, loc, accT, widen(a, p.a, i32)));
    };
    at[p.i] = rowIdx.front();
    Value shared = p.shareA ? loadA() : loadB();
    SmallVector<Value> next;
    for (auto [acc, row] : llvm::zip(accs.take_front(rowIdx.size()), rowIdx)) {
      at[p.i] = row;
      Value own = p.shareA ? loadB() : loadA();
      Value prod = arith::MulIOp::create(*b, loc, own, shared);
      next.push_back(arith::AddIOp::create(*b, loc, acc, prod));
    }
    if (accs.size() > rowIdx.size())
      next.push_back(accs.back());
    return next;
  }

  linalg::GenericOp op;
  const Plan &p;
  int64_t lanes, rows;
  bool dot;
  int64_t g;             // the group loop's steps per instruction
  Value aMem;            // A, its grouped dim innermost (dot)
  Value alphaA, alphaB;  // the offsets above (null: 0)
  SmallVector<Value> rowTerms; // per row of the current block (or none)
  SmallVector<Value> sizes; // loop ranges
  SmallVector<Value> iv0;   // loop values before any loop (0)
  DenseMap<Value, Value> collapsed; // B and C with flat rows
  RewriterBase *b = nullptr;
  Location loc = UnknownLoc();
};

struct IntegerContractionsPass
    : public mnemo::impl::IntegerContractionsPassBase<IntegerContractionsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    FailureOr<mnemo::CPUTarget> t =
        mnemo::resolvePassTarget(ctx, cpu, cpuFeatures);
    if (failed(t))
      return failure();
    // i32 lanes = f32 lanes; accumulators plus the widened B vector, the
    // broadcast and the product in the register file.
    lanes = vectorWidth > 0 ? vectorWidth : t->f32Lanes();
    blockRows = rows > 0 ? rows
                         : std::max<int64_t>(1, std::min<int64_t>(
                                                    8, t->vectorRegisters - 4));
    // Steps of the group loop per instruction: vpdpbusd 4, vpmaddwd 2.
    // vpmaddwd is in every x86-64 ISA level at every width the target
    // has (AVX-512BW for 16 lanes).
    bool x86 = StringRef(t->triple).starts_with("x86_64");
    bool pairs = x86 && (lanes == 4 || (lanes == 8 && t->hasFeature("avx2")) ||
                         (lanes == 16 && t->hasFeature("avx512bw")));
    if (dot == "auto") {
      groupSize = t->int8DotLanes() == lanes ? 4 : pairs ? 2 : 0;
    } else if (dot == "vpdpbusd" || dot == "vpmaddwd") {
      if (lanes != 4 && lanes != 8 && lanes != 16) {
        emitError(UnknownLoc::get(ctx))
            << "dot=" << dot << " needs 4, 8 or 16 i32 lanes, not " << lanes;
        return failure();
      }
      groupSize = dot == "vpdpbusd" ? 4 : 2;
    } else if (dot != "widen") {
      emitError(UnknownLoc::get(ctx))
          << "dot must be auto, vpdpbusd, vpmaddwd or widen, not '" << dot
          << "'";
      return failure();
    }
    return success();
  }

  void runOnOperation() override {
    if (failed(mnemo::checkVectorWidth(getOperation(), lanes)))
      return signalPassFailure();
    if (groupSize)
      moveGroupsInnermost(getOperation(), groupSize);
    mnemo::planThenRewrite<Plan>(
        getOperation(),
        [&](linalg::GenericOp op) { return planContraction(op, groupSize); },
        [&](RewriterBase &rw, linalg::GenericOp op, const Plan &p) {
          Emitter(op, p, lanes, blockRows).emit(rw);
        });
  }

  int64_t lanes = 0, blockRows = 0;
  int64_t groupSize = 0; // 4: vpdpbusd, 2: vpmaddwd pairs, 0: widened
};

} // namespace
