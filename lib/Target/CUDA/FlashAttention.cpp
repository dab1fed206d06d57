//===- FlashAttention.cpp - graph.attention as one FlashAttention kernel ---===//
//
// The tensor lowering of graph.attention (lib/Conversion/GraphToLinalg/
// Attention.cpp) is a loop over query tiles around a loop over key tiles,
// each step ten linalg ops; on the GPU each op would be a kernel launched
// from the host per tile. Here the whole op is one kernel, FlashAttention-2
// style: a block per (leading index, query tile), its BR rows each owned by
// TC neighbouring lanes of one warp. The block stages its query tile in
// shared memory once, then for each BC keys stages K^T's and V's tiles,
// computes each row's scores in registers (a lane owns the columns
// lane, lane + TC, ...), and updates the row's running maximum and sum
// with shuffles among the row's lanes (xor TC/2 .. 1). The probabilities
// go through shared memory to the P x V product, whose accumulators (a
// lane owns output columns lane, lane + TC, ...) stay in registers across
// key tiles. Only the output is written to global memory: no M x N score
// matrix exists anywhere.
//
// The pass runs on the graph (before the tensor lowering): its operands
// are taken as buffers (bufferization.to_buffer, read-only) and its result
// is a planned buffer (memref.alloc, handed back as a restrict tensor), so
// one-shot bufferization and the memory planner treat the kernel like any
// other op. What it does not take (non-f32, head dims over 256 or dynamic)
// keeps the tensor lowering.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Target/CUDA/GraphKernel.h"
#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Target/CUDA/WarpCombine.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <limits>

namespace mnemo {
#define GEN_PASS_DEF_FLASHATTENTIONPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
namespace g = mnemo::graph;
namespace cuda = mnemo::cuda;

namespace {

/// Largest head dim (D or Dv) the kernel takes: a lane keeps Dv / TC
/// accumulators in registers.
constexpr int64_t kMaxHeadDim = 256;
/// The tiles are workgroup attributions, static shared memory: at most
/// 48 KiB a block (ptxas rejects more; beyond it takes dynamic shared
/// memory and the opt-in launch attribute, not built). A larger
/// --smem-budget leaves the kernel at this.
constexpr int64_t kMaxStaticSmem = 48 * 1024;

/// A kernel's tile: `rows` query rows per block, `cols` keys per step,
/// `rowThreads` lanes per row.
struct Tile {
  int64_t rows, cols, rowThreads;

  int64_t threads() const { return rows * rowThreads; }
  /// Q (rows x D) and P (rows x cols), rows padded by one float so the
  /// lanes of a warp's different rows reading one column hit different
  /// banks; K^T (D x cols) and V (cols x Dv), read along a row.
  int64_t smemBytes(int64_t d, int64_t dv) const {
    return 4 * (rows * (d + 1) + d * cols + cols * dv + rows * (cols + 1));
  }
};

/// Every tile, preferred first: more rows per block means fewer passes
/// over K and V (each block reads all keys once), then more keys per step
/// (fewer barriers). 256 threads a block (fewer where rows < 8: a warp per
/// row). Rows and keys are capped at static extents (a decode step's
/// single row gets one warp, not 64 rows of idle lanes).
SmallVector<Tile> candidateTiles(int64_t queryRows, int64_t keys) {
  // Whether `size` is at least twice a static `extent`: half the tile
  // would be padding.
  auto oversized = [](int64_t size, int64_t extent) {
    return !ShapedType::isDynamic(extent) && size / 2 >= extent;
  };
  SmallVector<Tile> tiles;
  for (int64_t rows : {64, 32, 16, 8, 4, 2, 1}) {
    if (rows > 1 && oversized(rows, queryRows))
      continue;
    for (int64_t cols : {64, 32, 16})
      if (cols == 16 || !oversized(cols, keys))
        tiles.push_back({rows, cols, rows >= 8 ? 256 / rows : 32});
  }
  return tiles;
}

/// The attention ops the kernel takes and their shapes.
struct Attention {
  g::AttentionOp op;
  RankedTensorType q, k, v, out;
  Value mask; // null for mask_kind "none"
  int64_t d, dv;
};

FailureOr<Attention> match(g::AttentionOp op) {
  auto ranked = [](Value v) {
    return dyn_cast<RankedTensorType>(v.getType());
  };
  Attention a{op, ranked(op.getQ()), ranked(op.getK()), ranked(op.getV()),
              ranked(op.getY()), Value(), 0, 0};
  if (!a.q || !a.k || !a.v || !a.out || a.q.getRank() < 2 ||
      a.k.getRank() < 2 || a.v.getRank() < 2)
    return failure();
  for (RankedTensorType t : {a.q, a.k, a.v, a.out})
    if (!t.getElementType().isF32())
      return failure();
  int64_t r = a.out.getRank();
  for (int64_t i = 0; i + 2 < r; ++i)
    if (a.out.isDynamicDim(i))
      return failure();
  a.d = a.q.getShape().back();
  a.dv = a.v.getShape().back();
  if (ShapedType::isDynamic(a.d) || ShapedType::isDynamic(a.dv) ||
      a.d > kMaxHeadDim || a.dv > kMaxHeadDim)
    return failure();
  if (op.getMaskKind() != "none") {
    auto m = ranked(op.getMask());
    if (!m || m.getRank() > r)
      return failure();
    Type e = m.getElementType();
    if (op.getMaskKind() == "select" ? !e.isInteger(1) : !e.isF32())
      return failure();
    a.mask = op.getMask();
  }
  return a;
}

/// Builds the kernel that replaces one attention op.
class KernelBuilder {
public:
  KernelBuilder(Attention a, Tile tile, OpBuilder &b)
      : a(a), tile(tile), rank(a.out.getRank()), lead(rank - 2),
        b(a.op.getLoc(), b) {}

  Value build() {
    MLIRContext *ctx = b.getContext();
    q = cuda::readOnlyBuffer(b, a.op.getQ());
    k = cuda::readOnlyBuffer(b, a.op.getK());
    v = cuda::readOnlyBuffer(b, a.op.getV());
    if (a.mask)
      mask = cuda::readOnlyBuffer(b, a.mask);
    queryRows = dim(a.op.getQ(), a.q.getRank() - 2);
    keys = dim(a.op.getV(), a.v.getRank() - 2);
    SmallVector<Value> dynamic;
    if (a.out.isDynamicDim(rank - 2))
      dynamic.push_back(queryRows);
    out = cuda::resultBuffer(b, a.out, dynamic);

    int64_t leadCount = 1;
    for (int64_t i = 0; i < lead; ++i)
      leadCount *= a.out.getDimSize(i);
    Value rowTiles = arith::CeilDivUIOp::create(b, queryRows, cst(tile.rows));
    Value grid = arith::MulIOp::create(b, rowTiles, cst(leadCount));
    auto wg = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto shared = [&](int64_t rows, int64_t cols) {
      return MemRefType::get({rows, cols}, b.getF32Type(), nullptr, wg);
    };
    Value one = cst(1);
    auto launch = gpu::LaunchOp::create(
        b, grid, one, one, cst(tile.threads()), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange(),
        TypeRange{shared(tile.rows, a.d + 1), shared(a.d, tile.cols),
                  shared(tile.cols, a.dv), shared(tile.rows, tile.cols + 1)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      buildBody(launch, rowTiles);
      gpu::TerminatorOp::create(b);
    }
    return cuda::resultTensor(b, a.out, out);
  }

private:
  Attention a;
  Tile tile;
  int64_t rank, lead;
  ImplicitLocOpBuilder b;
  Value q, k, v, mask, out, queryRows, keys;
  // Inside the kernel:
  SmallVector<Value> leadIdx; // the block's leading (batch, head) indices
  Value sQ, sK, sV, sP;       // shared tiles

  Value cst(int64_t x) { return arith::ConstantIndexOp::create(b, x); }
  Value f32(double x) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr((float)x));
  }
  Value dim(Value t, int64_t i) {
    return getValueOrCreateConstantIndexOp(b, b.getLoc(),
                                           tensor::getMixedSize(b, b.getLoc(),
                                                                t, i));
  }
  Value minIdx(Value x, Value y) { return arith::MinUIOp::create(b, x, y); }
  Value lessThan(Value x, Value y) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, y);
  }

  /// Indices into `buf` ([..lead, X, Y], right-aligned to the output's
  /// dims, static 1s broadcast) of the block's leading indices and
  /// (`x`, `y`).
  SmallVector<Value> indices(Value buf, Value x, Value y) {
    auto type = cast<MemRefType>(buf.getType());
    int64_t r = type.getRank(), off = rank - r;
    SmallVector<Value> idx;
    for (int64_t i = 0; i < r; ++i) {
      int64_t j = i + off;
      Value at = j < lead ? leadIdx[j] : j == lead ? x : y;
      idx.push_back(type.getDimSize(i) == 1 ? cst(0) : at);
    }
    return idx;
  }

  /// `at` clamped below `end` (null: not bounded), and-ing whether it was
  /// in range into `valid` (null: nothing yet).
  Value clampBelow(Value at, Value end, Value &valid) {
    if (!end)
      return at;
    Value ok = lessThan(at, end);
    valid = valid ? arith::AndIOp::create(b, valid, ok).getResult() : ok;
    return minIdx(at, arith::SubIOp::create(b, end, cst(1)));
  }

  /// Copies a rows x cols tile of `buf` starting at (`x0`, `y0`) in its
  /// trailing dims to `smem`, threads striding over its elements (the
  /// innermost dim fastest: coalesced where it is contiguous). Elements
  /// past `xEnd` (rows) or `yEnd` (columns) are zero; a null end: the tile
  /// never passes it. With `transpose` the tile lands as cols x rows (the
  /// keys' rows read coalesced, stored as K^T's columns).
  void stage(Value buf, Value smem, int64_t rows, int64_t cols, Value x0,
             Value xEnd, Value y0, Value yEnd, Value tid,
             bool transpose = false) {
    auto loop = scf::ForOp::create(b, tid, cst(rows * cols),
                                   cst(tile.threads()));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value rr = arith::DivUIOp::create(b, i, cst(cols));
    Value cc = arith::RemUIOp::create(b, i, cst(cols));
    Value x = arith::AddIOp::create(b, x0, rr);
    Value y = arith::AddIOp::create(b, y0, cc);
    // Reads clamp to the last row or column: no address past the buffer.
    Value valid;
    Value xc = clampBelow(x, xEnd, valid), yc = clampBelow(y, yEnd, valid);
    Value val = memref::LoadOp::create(b, buf, indices(buf, xc, yc));
    if (valid)
      val = arith::SelectOp::create(b, valid, val, f32(0));
    memref::StoreOp::create(b, val, smem,
                            transpose ? ValueRange{cc, rr} : ValueRange{rr, cc});
  }

  /// init[j] + sum over t < `extent` of a[row, t] * bTile[t, cols[j]]: a
  /// row of one shared tile times the lane's columns of another, the
  /// products accumulated in registers (the loop's carried values).
  scf::ForOp rowTimesTile(Value aTile, Value row, Value bTile,
                          ArrayRef<Value> cols, int64_t extent,
                          ValueRange init) {
    auto loop = scf::ForOp::create(b, cst(0), cst(extent), cst(1), init);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    Value x = memref::LoadOp::create(b, aTile, ValueRange{row, t});
    SmallVector<Value> sums;
    for (auto [j, col] : llvm::enumerate(cols)) {
      Value y = memref::LoadOp::create(b, bTile, ValueRange{t, col});
      sums.push_back(arith::AddFOp::create(b, loop.getRegionIterArgs()[j],
                                           arith::MulFOp::create(b, x, y)));
    }
    scf::YieldOp::create(b, sums);
    return loop;
  }

  /// `x` combined over the row's lanes (neighbouring lanes of one warp).
  Value rowCombine(Value x, bool max) {
    return cuda::combineLanes(b, x, tile.rowThreads, [&](Value y, Value acc) {
      return max ? Value(arith::MaximumFOp::create(b, y, acc))
                 : Value(arith::AddFOp::create(b, y, acc));
    });
  }

  void buildBody(gpu::LaunchOp launch, Value rowTiles) {
    auto wg = launch.getWorkgroupAttributions();
    sQ = wg[0];
    sK = wg[1];
    sV = wg[2];
    sP = wg[3];
    Value tid = launch.getThreadIds().x, bid = launch.getBlockIds().x;
    Value row = arith::DivUIOp::create(b, tid, cst(tile.rowThreads));
    Value lane = arith::RemUIOp::create(b, tid, cst(tile.rowThreads));
    Value rowTile = arith::RemUIOp::create(b, bid, rowTiles);
    Value rest = arith::DivUIOp::create(b, bid, rowTiles);
    leadIdx.assign(lead, Value());
    for (int64_t i = lead - 1; i >= 0; --i) {
      Value size = cst(a.out.getDimSize(i));
      leadIdx[i] = arith::RemUIOp::create(b, rest, size);
      rest = arith::DivUIOp::create(b, rest, size);
    }
    Value row0 = arith::MulIOp::create(b, rowTile, cst(tile.rows));
    Value qRow = arith::AddIOp::create(b, row0, row);
    Value rowValid = lessThan(qRow, queryRows);
    Value qRowC = minIdx(qRow, arith::SubIOp::create(b, queryRows, cst(1)));

    stage(q, sQ, tile.rows, a.d, row0, queryRows, cst(0), nullptr, tid);
    gpu::BarrierOp::create(b);

    // Columns of the score tile (keys) and of the output this lane owns.
    int64_t scoreCols = llvm::divideCeil(tile.cols, tile.rowThreads);
    int64_t outCols = llvm::divideCeil(a.dv, tile.rowThreads);
    auto owned = [&](int64_t j) {
      return arith::AddIOp::create(b, lane, cst(j * tile.rowThreads))
          .getResult();
    };
    // Whether the lane's `j`th column `col` is below `extent`: null where
    // it always is (a column past the tile exists only when the lanes
    // outnumber it).
    auto inTile = [&](Value col, int64_t j, int64_t extent) -> Value {
      if ((j + 1) * tile.rowThreads <= extent)
        return Value();
      return lessThan(col, cst(extent));
    };
    Value lowest = f32(-std::numeric_limits<float>::max());
    Value zero = f32(0);

    SmallVector<Value> init = {lowest, zero};
    init.append(outCols, zero);
    auto kv = scf::ForOp::create(b, cst(0), keys, cst(tile.cols), init);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(kv.getBody());
      Value key0 = kv.getInductionVar();
      Value m = kv.getRegionIterArgs()[0], l = kv.getRegionIterArgs()[1];
      if (a.op.getKRows())
        stage(k, sK, tile.cols, a.d, key0, keys, cst(0), nullptr, tid,
              /*transpose=*/true);
      else
        stage(k, sK, a.d, tile.cols, cst(0), nullptr, key0, keys, tid);
      stage(v, sV, tile.cols, a.dv, key0, keys, cst(0), nullptr, tid);
      gpu::BarrierOp::create(b);

      // s = q . k for the lane's keys.
      SmallVector<Value> cols, colsC, colsIn;
      for (int64_t j = 0; j < scoreCols; ++j) {
        cols.push_back(owned(j));
        colsC.push_back(minIdx(cols.back(), cst(tile.cols - 1)));
        colsIn.push_back(inTile(cols.back(), j, tile.cols));
      }
      auto dot = rowTimesTile(sQ, row, sK, colsC, a.d,
                              SmallVector<Value>(scoreCols, zero));

      // Scale, mask; the row's maximum over its valid keys.
      double scale = a.op.getScale().convertToDouble();
      StringRef kind = a.op.getMaskKind();
      SmallVector<Value> s, valid;
      Value rowMax = lowest;
      for (int64_t j = 0; j < scoreCols; ++j) {
        Value key = arith::AddIOp::create(b, key0, cols[j]);
        Value ok = lessThan(key, keys);
        if (colsIn[j])
          ok = arith::AndIOp::create(b, ok, colsIn[j]);
        Value x = dot.getResult(j);
        if (scale != 1.0)
          x = arith::MulFOp::create(b, x, f32(scale));
        if (mask) {
          Value keyC = minIdx(key, arith::SubIOp::create(b, keys, cst(1)));
          Value mv = memref::LoadOp::create(b, mask, indices(mask, qRowC, keyC));
          x = kind == "select"
                  ? Value(arith::SelectOp::create(
                        b, mv, x, f32(a.op.getFill().convertToDouble())))
                  : Value(arith::AddFOp::create(b, x, mv));
        }
        s.push_back(x);
        valid.push_back(ok);
        rowMax = arith::MaximumFOp::create(
            b, rowMax, arith::SelectOp::create(b, ok, x, lowest));
      }
      rowMax = rowCombine(rowMax, /*max=*/true);
      // As the tensor lowering: corr = exp(m - m'), p = exp(s - m').
      Value mNew = arith::MaximumFOp::create(b, m, rowMax);
      Value corr =
          math::ExpOp::create(b, arith::SubFOp::create(b, m, mNew));
      Value rowSum = zero;
      for (int64_t j = 0; j < scoreCols; ++j) {
        Value p = math::ExpOp::create(b, arith::SubFOp::create(b, s[j], mNew));
        p = arith::SelectOp::create(b, valid[j], p, zero);
        rowSum = arith::AddFOp::create(b, rowSum, p);
        Value at[] = {row, cols[j]};
        if (colsIn[j]) {
          auto store = scf::IfOp::create(b, colsIn[j], /*withElseRegion=*/false);
          OpBuilder::InsertionGuard gs(b);
          b.setInsertionPointToStart(store.thenBlock());
          memref::StoreOp::create(b, p, sP, at);
        } else {
          memref::StoreOp::create(b, p, sP, at);
        }
      }
      rowSum = rowCombine(rowSum, /*max=*/false);
      Value lNew = arith::AddFOp::create(b, arith::MulFOp::create(b, l, corr),
                                         rowSum);
      gpu::BarrierOp::create(b);

      // acc = acc * corr + p x v for the lane's output columns.
      SmallVector<Value> scaled, outC;
      for (int64_t j = 0; j < outCols; ++j) {
        scaled.push_back(
            arith::MulFOp::create(b, kv.getRegionIterArgs()[2 + j], corr));
        outC.push_back(minIdx(owned(j), cst(a.dv - 1)));
      }
      auto pv = rowTimesTile(sP, row, sV, outC, tile.cols, scaled);
      // The next step overwrites the staged tiles.
      gpu::BarrierOp::create(b);
      SmallVector<Value> next = {mNew, lNew};
      llvm::append_range(next, pv.getResults());
      scf::YieldOp::create(b, next);
    }

    // out = acc / l (zero where that is NaN, with nan_to_zero).
    Value l = kv.getResult(1);
    for (int64_t j = 0; j < outCols; ++j) {
      Value col = owned(j);
      Value ok = rowValid;
      if (Value t = inTile(col, j, a.dv))
        ok = arith::AndIOp::create(b, ok, t);
      auto store = scf::IfOp::create(b, ok, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard gs(b);
      b.setInsertionPointToStart(store.thenBlock());
      Value y = arith::DivFOp::create(b, kv.getResult(2 + j), l);
      if (a.op.getNanToZero()) {
        Value nan = arith::CmpFOp::create(b, arith::CmpFPredicate::UNO, y, y);
        y = arith::SelectOp::create(b, nan, f32(0), y);
      }
      memref::StoreOp::create(b, y, out, indices(out, qRow, col));
    }
  }
};

struct FlashAttentionPass
    : public mnemo::impl::FlashAttentionPassBase<FlashAttentionPass> {
  using FlashAttentionPassBase::FlashAttentionPassBase;

  void runOnOperation() override {
    SmallVector<Attention> found;
    getOperation().walk([&](g::AttentionOp op) {
      if (FailureOr<Attention> a = match(op); succeeded(a))
        found.push_back(*a);
    });
    for (Attention a : found) {
      SmallVector<Tile> tiles =
          candidateTiles(a.q.getShape()[a.q.getRank() - 2],
                         a.k.getShape().back());
      int64_t budget = std::min<int64_t>(smemBudget, kMaxStaticSmem);
      const Tile *chosen = llvm::find_if(tiles, [&](const Tile &t) {
        return t.smemBytes(a.d, a.dv) <= budget;
      });
      if (chosen == tiles.end()) {
        a.op.emitError() << "no FlashAttention tile fits --smem-budget="
                         << static_cast<int64_t>(smemBudget)
                         << " bytes; the smallest needs "
                         << tiles.back().smemBytes(a.d, a.dv);
        return signalPassFailure();
      }
      OpBuilder b(a.op);
      Value result = KernelBuilder(a, *chosen, b).build();
      a.op.getY().replaceAllUsesWith(result);
      a.op.erase();
    }
  }
};

} // namespace
