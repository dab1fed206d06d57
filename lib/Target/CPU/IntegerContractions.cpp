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

#include "IntegerContractionsPlan.h"
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

using namespace mnemo::integer_contractions;

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
