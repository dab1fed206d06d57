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

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mnemo {
#define GEN_PASS_DEF_REGISTERTILEPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// out = out + in0 * in1 (in either operand order), all f32.
bool isMulAddBody(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (body->getNumArguments() != 3 ||
      !llvm::all_of(body->getArgumentTypes(),
                    [](Type t) { return t.isF32(); }))
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || &*body->begin() == add.getOperation())
    return false;
  Value out = body->getArgument(2);
  Value prod = add.getLhs() == out ? add.getRhs() : add.getLhs();
  if (add.getLhs() != out && add.getRhs() != out)
    return false;
  auto mul = prod.getDefiningOp<arith::MulFOp>();
  if (!mul || body->getOperations().size() != 3)
    return false;
  Value a = body->getArgument(0), b = body->getArgument(1);
  return (mul.getLhs() == a && mul.getRhs() == b) ||
         (mul.getLhs() == b && mul.getRhs() == a);
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
};

std::optional<Plan> planContraction(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !isMulAddBody(op))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap cMap = maps[2];
  if (!cMap.isProjectedPermutation() || cMap.getNumResults() == 0)
    return std::nullopt;
  Plan plan;
  plan.n = cast<AffineDimExpr>(cMap.getResults().back()).getPosition();
  auto iters = op.getIteratorTypesArray();
  if (!linalg::isParallelIterator(iters[plan.n]))
    return std::nullopt;
  MLIRContext *ctx = op->getContext();
  AffineExpr dn = getAffineDimExpr(plan.n, ctx);
  // B is the input indexed by n: only in its last (unit-stride) result, with
  // coefficient 1, so a vector along n is contiguous in B.
  int bIdx = -1;
  for (unsigned i = 0; i < 2; ++i) {
    AffineMap map = maps[i];
    bool uses = llvm::any_of(map.getResults(), [&](AffineExpr e) {
      return e.isFunctionOfDim(plan.n);
    });
    if (!uses)
      continue;
    if (bIdx >= 0 || map.getNumResults() == 0)
      return std::nullopt;
    for (AffineExpr e : map.getResults().drop_back())
      if (e.isFunctionOfDim(plan.n))
        return std::nullopt;
    AffineExpr last = map.getResults().back();
    AffineExpr rest = last.replace(dn, getAffineConstantExpr(0, ctx));
    if (simplifyAffineExpr(last - rest, map.getNumDims(), 0) != dn)
      return std::nullopt;
    bIdx = i;
  }
  if (bIdx < 0)
    return std::nullopt;
  plan.bIdx = bIdx;
  plan.aIdx = 1 - bIdx;
  if (!lastDimUnitStride(op.getDpsInputs()[plan.bIdx]) ||
      !lastDimUnitStride(op.getDpsInits()[0]))
    return std::nullopt;
  AffineMap aMap = maps[plan.aIdx], bMap = maps[plan.bIdx];
  auto uses = [](AffineMap map, unsigned d) {
    return llvm::any_of(map.getResults(),
                        [&](AffineExpr e) { return e.isFunctionOfDim(d); });
  };
  // Rows: prefer a dim only A depends on (every row reuses the B vectors),
  // then one only B depends on (rows reuse the A scalar), then any.
  auto score = [&](unsigned d) {
    bool a = uses(aMap, d), b = uses(bMap, d);
    return a && !b ? 3 : b && !a ? 2 : 1;
  };
  for (unsigned d = 0; d < iters.size(); ++d) {
    if (linalg::isReductionIterator(iters[d])) {
      plan.reductions.push_back(d);
      continue;
    }
    if (d == plan.n)
      continue;
    if (!plan.m || score(d) > score(*plan.m) ||
        (score(d) == score(*plan.m)))
      plan.m = d; // ties go to the later (inner) dim
  }
  for (unsigned d = 0; d < iters.size(); ++d)
    if (linalg::isParallelIterator(iters[d]) && d != plan.n && d != plan.m)
      plan.outer.push_back(d);
  plan.aPerRow = plan.m && uses(aMap, *plan.m);
  plan.bPerRow = plan.m && uses(bMap, *plan.m);
  return plan;
}

/// Emits the register-blocked loops for one planned contraction.
class BlockEmitter {
public:
  BlockEmitter(linalg::LinalgOp op, const Plan &plan, int64_t vectorWidth,
               int64_t rows, int64_t vectors)
      : op(op), plan(plan), vw(vectorWidth), mr(rows), nv(vectors),
        vecType(VectorType::get({vectorWidth}, Float32Type::get(op.getContext()))),
        maps(op.getIndexingMapsArray()) {}

  void emit(OpBuilder &b) {
    Location loc = op.getLoc();
    SmallVector<Range> ranges = op.createLoopRanges(b, loc);
    for (Range &r : ranges)
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
    ivs.assign(sizes.size(), Value());
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> lbs, ubs, steps;
    for (unsigned d : plan.outer) {
      lbs.push_back(zero);
      ubs.push_back(sizes[d]);
      steps.push_back(one);
    }
    scf::buildLoopNest(b, loc, lbs, ubs, steps,
                       [&](OpBuilder &b, Location loc, ValueRange outerIvs) {
                         for (auto [d, iv] : llvm::zip(plan.outer, outerIvs))
                           ivs[d] = iv;
                         emitColumns(b, loc);
                       });
  }

private:
  Value cst(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  /// Splits [0, size) into full steps of `step` and a remainder start.
  Value fullEnd(OpBuilder &b, Location loc, Value size, int64_t step) {
    Value rem = arith::RemUIOp::create(b, loc, size, cst(b, loc, step));
    return arith::SubIOp::create(b, loc, size, rem);
  }

  void emitColumns(OpBuilder &b, Location loc) {
    Value nSize = sizes[plan.n];
    Value nFull = fullEnd(b, loc, nSize, vw * nv);
    scf::ForOp::create(b, loc, cst(b, loc, 0), nFull, cst(b, loc, vw * nv),
                       ValueRange{},
                       [&](OpBuilder &b, Location loc, Value n0, ValueRange) {
                         emitRows(b, loc, n0, nv, Value());
                         scf::YieldOp::create(b, loc);
                       });
    // The tail: one masked vector per step.
    scf::ForOp::create(
        b, loc, nFull, nSize, cst(b, loc, vw), ValueRange{},
        [&](OpBuilder &b, Location loc, Value n0, ValueRange) {
          Value left = arith::SubIOp::create(b, loc, nSize, n0);
          VectorType maskType = VectorType::get({vw}, b.getI1Type());
          Value mask = vector::CreateMaskOp::create(b, loc, maskType,
                                                    ValueRange{left});
          emitRows(b, loc, n0, 1, mask);
          scf::YieldOp::create(b, loc);
        });
  }

  void emitRows(OpBuilder &b, Location loc, Value n0, int64_t vectors,
                Value mask) {
    if (!plan.m) {
      emitBlock(b, loc, Value(), 1, n0, vectors, mask);
      return;
    }
    Value mSize = sizes[*plan.m];
    Value mFull = fullEnd(b, loc, mSize, mr);
    scf::ForOp::create(b, loc, cst(b, loc, 0), mFull, cst(b, loc, mr),
                       ValueRange{},
                       [&](OpBuilder &b, Location loc, Value m0, ValueRange) {
                         emitBlock(b, loc, m0, mr, n0, vectors, mask);
                         scf::YieldOp::create(b, loc);
                       });
    scf::ForOp::create(b, loc, mFull, mSize, cst(b, loc, 1), ValueRange{},
                       [&](OpBuilder &b, Location loc, Value m0, ValueRange) {
                         emitBlock(b, loc, m0, 1, n0, vectors, mask);
                         scf::YieldOp::create(b, loc);
                       });
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

  Value loadVector(OpBuilder &b, Location loc, Value base, AffineMap map,
                   Value mask) {
    SmallVector<Value> idx = indices(b, loc, map);
    if (!mask)
      return vector::LoadOp::create(b, loc, vecType, base, idx);
    Value zero = arith::ConstantOp::create(
        b, loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
    return vector::MaskedLoadOp::create(b, loc, vecType, base, idx, mask,
                                        zero);
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
                 int64_t vectors, Value mask) {
    Value a = op.getDpsInputs()[plan.aIdx], bIn = op.getDpsInputs()[plan.bIdx];
    Value c = op.getDpsInits()[0];
    AffineMap aMap = maps[plan.aIdx], bMap = maps[plan.bIdx], cMap = maps[2];
    SmallVector<Value> rowIvs;
    for (int64_t i = 0; i < rows; ++i)
      rowIvs.push_back(i == 0 ? m0
                              : arith::AddIOp::create(b, loc, m0, cst(b, loc, i))
                                    .getResult());
    SmallVector<Value> accs;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        at(b, loc, rowIvs, n0, i, j);
        accs.push_back(loadVector(b, loc, c, cMap, mask));
      }
    SmallVector<Value> zeros, ubs, ones;
    for (unsigned d : plan.reductions) {
      zeros.push_back(cst(b, loc, 0));
      ubs.push_back(sizes[d]);
      ones.push_back(cst(b, loc, 1));
    }
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, zeros, ubs, ones, accs,
        [&](OpBuilder &b, Location loc, ValueRange kIvs,
            ValueRange acc) -> scf::ValueVector {
          for (auto [d, iv] : llvm::zip(plan.reductions, kIvs))
            ivs[d] = iv;
          SmallVector<Value> bVecs(vectors), aVals(rows);
          scf::ValueVector next;
          for (int64_t i = 0; i < rows; ++i) {
            for (int64_t j = 0; j < vectors; ++j) {
              at(b, loc, rowIvs, n0, i, j);
              if (!aVals[i] && (i == 0 || plan.aPerRow)) {
                Value s = memref::LoadOp::create(b, loc, a,
                                                 indices(b, loc, aMap));
                aVals[i] = vector::BroadcastOp::create(b, loc, vecType, s);
              } else if (!aVals[i]) {
                aVals[i] = aVals[0];
              }
              Value bv = bVecs[j];
              if (!bv || plan.bPerRow) {
                bv = loadVector(b, loc, bIn, bMap, mask);
                bVecs[j] = bv;
              }
              next.push_back(vector::FMAOp::create(b, loc, aVals[i], bv,
                                                   acc[i * vectors + j]));
            }
          }
          return next;
        });
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        at(b, loc, rowIvs, n0, i, j);
        Value v = nest.results[i * vectors + j];
        SmallVector<Value> idx = indices(b, loc, cMap);
        if (mask)
          vector::MaskedStoreOp::create(b, loc, c, idx, mask, v);
        else
          vector::StoreOp::create(b, loc, v, c, idx);
      }
  }

  linalg::LinalgOp op;
  const Plan &plan;
  int64_t vw, mr, nv;
  VectorType vecType;
  SmallVector<AffineMap> maps;
  SmallVector<Value> sizes, ivs;
};

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
  MLIRContext *ctx = op.getContext();
  AffineExpr n, f, p, c;
  bindDims(ctx, n, f, p, c);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {f, c}, ctx),
                                 AffineMap::get(4, 0, {n, c, p}, ctx),
                                 AffineMap::get(4, 0, {n, f, p}, ctx)};
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{}, ValueRange{w2, in3}, ValueRange{out3}, maps,
      iters, [](OpBuilder &b, Location loc, ValueRange args) {
        Value prod = arith::MulFOp::create(b, loc, args[0], args[1]);
        Value sum = arith::AddFOp::create(b, loc, args[2], prod);
        linalg::YieldOp::create(b, loc, sum);
      });
  rewriter.eraseOp(op);
  return generic;
}

struct RegisterTilePass
    : public mnemo::impl::RegisterTilePassBase<RegisterTilePass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth < 1 || rows < 1 || vectors < 1) {
      getOperation().emitError("register-tile sizes must be positive");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp op) { convs.push_back(op); });
    for (auto conv : convs)
      (void)flattenPointwiseConv(rewriter, conv);

    SmallVector<std::pair<linalg::LinalgOp, Plan>> work;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<Plan> plan = planContraction(op))
        work.push_back({op, *plan});
    });
    for (auto &[op, plan] : work) {
      rewriter.setInsertionPoint(op);
      BlockEmitter(op, plan, vectorWidth, rows, vectors).emit(rewriter);
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
