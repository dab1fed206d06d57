//===- VectorTransposes.cpp - transposes in registers ---------------------===//
//
// The reorders around channel-blocked chains (BlockChannels.cpp) are
// batches of 2-D transposes, [C/B][B][H*W] <-> [C/B][H*W][B]. Lowered as
// loops they read one operand a whole map apart per element; here each
// W x W tile (W = the vector width) is W row loads, log2(W) stages of
// two-input shuffles, and W row stores.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/PassTarget.h"
#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

namespace mnemo {
#define GEN_PASS_DEF_VECTORTRANSPOSESPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The transpose as [batch][X][Y] -> [batch][Y][X]: the number of leading
/// dims kept (`prefix`) and of the source's X dims, or nothing.
std::optional<std::pair<unsigned, unsigned>> batchedTranspose(
    ArrayRef<int64_t> perm) {
  unsigned r = perm.size(), prefix = 0;
  while (prefix < r && perm[prefix] == (int64_t)prefix)
    ++prefix;
  if (prefix == r)
    return std::nullopt;
  // dst = [prefix, src[k+a .. r-1], src[k .. k+a-1]] (dst dim i is src dim
  // perm[i]), k = prefix; a batch dim in front keeps one code path.
  if (prefix == 0)
    return std::nullopt;
  unsigned a = perm[prefix] - prefix;
  if (a == 0 || a >= r - prefix)
    return std::nullopt;
  for (unsigned i = 0; i < r - prefix; ++i) {
    unsigned want = i < r - prefix - a ? prefix + a + i : prefix + i - (r - prefix - a);
    if (perm[prefix + i] != (int64_t)want)
      return std::nullopt;
  }
  return std::make_pair(prefix, a);
}

Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// `rows` (W vectors of W lanes) transposed: stage h pairs rows i and
/// i + h (i without bit h) and swaps bit h between row and column.
SmallVector<Value> transposeTile(OpBuilder &b, Location loc,
                                 SmallVector<Value> rows) {
  int64_t w = rows.size();
  for (int64_t h = w / 2; h >= 1; h /= 2) {
    SmallVector<int64_t> lo, hi;
    for (int64_t j = 0; j < w; ++j) {
      lo.push_back((j & h) == 0 ? j : w + j - h);
      hi.push_back((j & h) == 0 ? j + h : w + j);
    }
    SmallVector<Value> next(rows);
    for (int64_t i = 0; i < w; ++i) {
      if (i & h)
        continue;
      next[i] = vector::ShuffleOp::create(b, loc, rows[i], rows[i + h], lo);
      next[i + h] = vector::ShuffleOp::create(b, loc, rows[i], rows[i + h], hi);
    }
    rows = next;
  }
  return rows;
}

LogicalResult lower(IRRewriter &rw, linalg::TransposeOp op, int64_t w) {
  auto srcType = dyn_cast<MemRefType>(op.getInput().getType());
  auto dstType = dyn_cast<MemRefType>(op.getInit().getType());
  if (!srcType || !dstType || !srcType.hasStaticShape() ||
      !srcType.getLayout().isIdentity() || !dstType.getLayout().isIdentity() ||
      !srcType.getElementType().isF32())
    return failure();
  auto split = batchedTranspose(op.getPermutation());
  if (!split)
    return failure();
  unsigned prefix = split->first, a = split->second;
  unsigned r = srcType.getRank();
  // Views [batch, X, Y] of the source and [batch, Y, X] of the result.
  auto group = [](unsigned lo, unsigned hi) {
    ReassociationIndices g;
    for (unsigned d = lo; d < hi; ++d)
      g.push_back(d);
    return g;
  };
  ArrayRef<int64_t> shape = srcType.getShape();
  int64_t batch = 1, x = 1, y = 1;
  for (unsigned d = 0; d < r; ++d)
    (d < prefix ? batch : d < prefix + a ? x : y) *= shape[d];
  if (x < w || y < w)
    return failure();
  Location loc = op.getLoc();
  rw.setInsertionPoint(op);
  auto view = [&](Value v, unsigned firstEnd) -> Value {
    SmallVector<ReassociationIndices> groups = {
        group(0, prefix), group(prefix, firstEnd), group(firstEnd, r)};
    return memref::CollapseShapeOp::create(rw, loc, v, groups);
  };
  Value src = view(op.getInput(), prefix + a);
  Value dst = view(op.getInit(), r - a);
  int64_t xFull = x / w * w, yFull = y / w * w;
  auto vecType = VectorType::get({w}, rw.getF32Type());
  auto forLoop = [&](int64_t lb, int64_t ub, int64_t step,
                     function_ref<void(Value)> body) {
    if (lb >= ub)
      return;
    auto loop = scf::ForOp::create(rw, loc, cst(rw, loc, lb), cst(rw, loc, ub),
                                   cst(rw, loc, step));
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  };
  // dst[bt, yi, xi] = src[bt, xi, yi] element by element.
  auto copy = [&](Value bt, Value xi, Value yi) {
    Value v = memref::LoadOp::create(rw, loc, src, ValueRange{bt, xi, yi});
    memref::StoreOp::create(rw, loc, v, dst, ValueRange{bt, yi, xi});
  };
  forLoop(0, batch, 1, [&](Value bt) {
    forLoop(0, xFull, w, [&](Value x0) {
      forLoop(0, yFull, w, [&](Value y0) {
        SmallVector<Value> rows;
        for (int64_t i = 0; i < w; ++i) {
          Value xi = arith::AddIOp::create(rw, loc, x0, cst(rw, loc, i));
          rows.push_back(vector::LoadOp::create(rw, loc, vecType, src,
                                                ValueRange{bt, xi, y0}));
        }
        SmallVector<Value> cols = transposeTile(rw, loc, rows);
        for (int64_t j = 0; j < w; ++j) {
          Value yj = arith::AddIOp::create(rw, loc, y0, cst(rw, loc, j));
          vector::StoreOp::create(rw, loc, cols[j], dst,
                                  ValueRange{bt, yj, x0});
        }
      });
      // Columns past the last whole tile.
      forLoop(yFull, y, 1, [&](Value yi) {
        forLoop(0, w, 1, [&](Value i) {
          copy(bt, arith::AddIOp::create(rw, loc, x0, i), yi);
        });
      });
    });
    // Rows past the last whole tile.
    forLoop(xFull, x, 1, [&](Value xi) {
      forLoop(0, y, 1, [&](Value yi) { copy(bt, xi, yi); });
    });
  });
  rw.eraseOp(op);
  return success();
}

struct VectorTransposesPass
    : public mnemo::impl::VectorTransposesPassBase<VectorTransposesPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    FailureOr<int64_t> lanes =
        mnemo::passF32Lanes(ctx, vectorWidth, cpu, cpuFeatures);
    if (failed(lanes))
      return failure();
    width = *lanes;
    return success();
  }

  void runOnOperation() override {
    if (width < 2 || !llvm::isPowerOf2_64(width)) {
      getOperation().emitError("vector-width must be a power of 2 (at least 2)");
      return signalPassFailure();
    }
    IRRewriter rw(&getContext());
    SmallVector<linalg::TransposeOp> ops;
    getOperation().walk([&](linalg::TransposeOp op) { ops.push_back(op); });
    for (linalg::TransposeOp op : ops)
      (void)lower(rw, op, width);
  }

  int64_t width = 0;
};

} // namespace
