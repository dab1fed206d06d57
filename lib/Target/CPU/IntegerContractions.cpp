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
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/PassTarget.h"
#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
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

std::optional<Plan> planContraction(linalg::GenericOp op) {
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
  return p;
}

class Emitter {
public:
  Emitter(linalg::GenericOp op, const Plan &p, int64_t lanes, int64_t rows)
      : op(op), p(p), lanes(lanes), rows(rows) {}

  void emit(RewriterBase &rw) {
    OpBuilder::InsertionGuard g(rw);
    rw.setInsertionPoint(op);
    b = &rw;
    loc = op.getLoc();
    SmallVector<Value> iv(p.ranges.size(), cIdx(0));
    for (Range r : cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rw, loc))
      sizes.push_back(getValueOrCreateConstantIndexOp(rw, loc, r.size));
    emitOuter(iv, 0);
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

  void emitOuter(SmallVector<Value> &iv, unsigned n) {
    if (n < p.outer.size()) {
      unsigned d = p.outer[n];
      loop(cIdx(0), sizes[d], 1, [&](Value v) {
        iv[d] = v;
        emitOuter(iv, n + 1);
      });
      return;
    }
    // Rows in blocks of `rows`, then one at a time.
    Value m = sizes[p.i];
    Value full = arith::MulIOp::create(
        *b, loc, arith::DivUIOp::create(*b, loc, m, cIdx(rows)), cIdx(rows));
    loop(cIdx(0), full, rows, [&](Value r) {
      iv[p.i] = r;
      emitColumns(iv, rows);
    });
    loop(full, m, 1, [&](Value r) {
      iv[p.i] = r;
      emitColumns(iv, 1);
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
    for (Value row : rowIdx) {
      iv[p.i] = row;
      auto [mem, at] = access(2, iv);
      acc.push_back(maskedRead(mem, at, accT, count));
    }
    SmallVector<Value> sums = reduce(iv, rowIdx, acc, count, 0);
    for (auto [row, sum] : llvm::zip(rowIdx, sums)) {
      iv[p.i] = row;
      auto [mem, at] = access(2, iv);
      writeVector(sum, mem, at, count);
    }
  }

  /// The accumulators after the reduction loops from `ks[n]` inward, at
  /// loop values `at`: each step reads the operand the rows share once
  /// (B's vector, or with shareA A's broadcast) and the other per row.
  SmallVector<Value> reduce(SmallVector<Value> at, ArrayRef<Value> rowIdx,
                            ValueRange accs, int64_t count, unsigned n) {
    if (n < p.ks.size()) {
      unsigned d = p.ks[n];
      auto l = scf::ForOp::create(
          *b, loc, cIdx(0), cIdx(p.ranges[d]), cIdx(1), accs,
          [&](OpBuilder &ob, Location, Value kv, ValueRange inner) {
            OpBuilder::InsertionGuard g(*b);
            b->setInsertionPoint(ob.getInsertionBlock(),
                                 ob.getInsertionPoint());
            at[d] = kv;
            scf::YieldOp::create(*b, loc,
                                 reduce(at, rowIdx, inner, count, n + 1));
          });
      return SmallVector<Value>(l.getResults());
    }
    auto i32 = b->getI32Type();
    auto accT = VectorType::get({lanes}, i32);
    auto byteT = VectorType::get({lanes}, b->getI8Type());
    Value aMem = op.getDpsInputs()[p.a.input];
    auto loadB = [&] {
      auto [mem, from] = access(p.b.input, at);
      Value v = p.strideJ == 1 ? maskedRead(mem, from, byteT, count)
                               : readEveryOther(mem, from, count);
      return widen(v, p.b, accT);
    };
    auto loadA = [&] {
      Value a = memref::LoadOp::create(*b, loc, aMem, indices(p.a.input, at));
      return Value(
          vector::BroadcastOp::create(*b, loc, accT, widen(a, p.a, i32)));
    };
    at[p.i] = rowIdx.front();
    Value shared = p.shareA ? loadA() : loadB();
    SmallVector<Value> next;
    for (auto [acc, row] : llvm::zip(accs, rowIdx)) {
      at[p.i] = row;
      Value own = p.shareA ? loadB() : loadA();
      Value prod = arith::MulIOp::create(*b, loc, own, shared);
      next.push_back(arith::AddIOp::create(*b, loc, acc, prod));
    }
    return next;
  }

  linalg::GenericOp op;
  const Plan &p;
  int64_t lanes, rows;
  SmallVector<Value> sizes; // loop ranges
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
    return success();
  }

  void runOnOperation() override {
    if (failed(mnemo::checkVectorWidth(getOperation(), lanes)))
      return signalPassFailure();
    mnemo::planThenRewrite<Plan>(
        getOperation(), planContraction,
        [&](RewriterBase &rw, linalg::GenericOp op, const Plan &p) {
          Emitter(op, p, lanes, blockRows).emit(rw);
        });
  }

  int64_t lanes = 0, blockRows = 0;
};

} // namespace
