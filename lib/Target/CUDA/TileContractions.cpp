//===- TileContractions.cpp - matmuls as shared-memory tiled kernels ------===//
//
// The generic route (MapParallelLoops.cpp) gives each thread one element of
// C and its whole K loop: A and B are read from global memory K times per
// element. Here one block stages BM x BK and BK x BN tiles in shared memory
// and each thread keeps a TM x TN sub-tile of C in registers, so global
// traffic drops by BM and BN and the inner loop is shared-memory vector
// loads and FMAs (the classic SIMT SGEMM; tensor cores are a later step).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/Support/MathExtras.h"

namespace mnemo {
#define GEN_PASS_DEF_TILECONTRACTIONSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

constexpr int64_t kThreads = 256;
constexpr int64_t kMaxGridYZ = 65535;
/// Staged rows are padded by this many elements: a column written by
/// consecutive threads (an operand contiguous along K) then spreads over
/// banks, and rows stay 16-byte aligned for vector loads.
constexpr int64_t kPad = 4;

/// One block shape: a BM x BN tile of C, K in steps of BK, TM x TN per
/// thread. BM/TM * BN/TN is always kThreads.
struct TileShape {
  int64_t bm, bn, bk, tm, tn;
  int64_t smemBytes(int64_t elt) const {
    return elt * bk * (bm + kPad + bn + kPad);
  }
};

/// Largest first; every shape's staged tiles are whole multiples of the
/// block (each thread copies the same number of elements).
constexpr TileShape kShapes[] = {
    {128, 128, 8, 8, 8}, {64, 128, 8, 4, 8}, {128, 64, 8, 8, 4},
    {64, 64, 16, 4, 4},  {32, 64, 16, 2, 4}, {16, 64, 16, 1, 4},
};

/// A contraction the kernel builder handles, and where its dims are.
struct Contraction {
  linalg::LinalgOp op;
  std::optional<unsigned> batch;
  unsigned m, n, k;
};

FailureOr<Contraction> match(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return failure();
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || dims->batch.size() > 1 ||
      op.getNumLoops() != 3 + dims->batch.size())
    return failure();
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation())
      return failure();
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isF32())
      return failure();
  }
  Contraction c{op, std::nullopt, dims->m[0], dims->n[0], dims->k[0]};
  if (!dims->batch.empty())
    c.batch = dims->batch[0];
  return c;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The shape the modelled traffic favours (see the pass description), or
/// nothing when none fits the budget. Unknown sizes count as large.
std::optional<TileShape> chooseShape(int64_t m, int64_t n, int64_t k,
                                     int64_t batch, int64_t budget,
                                     int64_t smCount) {
  auto known = [](int64_t v) { return ShapedType::isDynamic(v) ? 4096 : v; };
  m = known(m), n = known(n), k = known(k), batch = known(batch);
  std::optional<TileShape> best;
  int64_t bestBlocks = 0;
  double bestTraffic = 0;
  for (const TileShape &s : kShapes) {
    if (s.smemBytes(4) > budget)
      continue;
    int64_t blocks = ceilDiv(m, s.bm) * ceilDiv(n, s.bn) * batch;
    double traffic = double(blocks) * (s.bm + s.bn) *
                     double(ceilDiv(k, s.bk) * s.bk);
    bool full = blocks >= smCount, bestFull = bestBlocks >= smCount;
    bool better = !best || (full && !bestFull) ||
                  (full && bestFull && traffic < bestTraffic) ||
                  (!full && !bestFull &&
                   (blocks > bestBlocks ||
                    (blocks == bestBlocks && traffic < bestTraffic)));
    if (better) {
      best = s;
      bestBlocks = blocks;
      bestTraffic = traffic;
    }
  }
  return best;
}

int64_t smallestSmem() {
  int64_t least = INT64_MAX;
  for (const TileShape &s : kShapes)
    least = std::min(least, s.smemBytes(4));
  return least;
}

/// Builds the kernel that replaces one contraction.
class KernelBuilder {
public:
  KernelBuilder(Contraction c, const TileShape &s, OpBuilder &b)
      : c(c), s(s), b(c.op.getLoc(), b) {}

  void build() {
    linalg::LinalgOp op = c.op;
    SmallVector<Range> ranges = op.createLoopRanges(b, b.getLoc());
    auto size = [&](unsigned d) {
      return getValueOrCreateConstantIndexOp(b, b.getLoc(), ranges[d].size);
    };
    sizeM = size(c.m), sizeN = size(c.n), sizeK = size(c.k);
    Value one = cst(1);
    Value gridX = ceilDivValue(sizeN, s.bn), gridY = ceilDivValue(sizeM, s.bm);
    Value gridZ = c.batch ? size(*c.batch) : one;

    Attribute shared =
        gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
    Type f32 = b.getF32Type();
    auto stagedA = MemRefType::get({s.bk, s.bm + kPad}, f32, nullptr, shared);
    auto stagedB = MemRefType::get({s.bk, s.bn + kPad}, f32, nullptr, shared);
    auto launch = gpu::LaunchOp::create(
        b, gridX, gridY, gridZ, cst(kThreads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange(), TypeRange{stagedA, stagedB});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    buildBody(launch);
    gpu::TerminatorOp::create(b);
  }

private:
  Contraction c;
  TileShape s;
  ImplicitLocOpBuilder b;
  Value sizeM, sizeN, sizeK;

  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value mul(Value x, int64_t y) { return arith::MulIOp::create(b, x, cst(y)); }
  Value ceilDivValue(Value x, int64_t y) {
    return arith::CeilDivUIOp::create(b, x, cst(y));
  }
  Value lessThan(Value x, Value bound) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, bound);
  }

  /// Indices into operand `o` at the loop point `at` (one value per loop).
  SmallVector<Value> indices(OpOperand &o, ArrayRef<Value> at) {
    SmallVector<Value> idx;
    for (AffineExpr e : c.op.getMatchingIndexingMap(&o).getResults())
      idx.push_back(at[cast<AffineDimExpr>(e).getPosition()]);
    return idx;
  }

  /// Whether the operand's innermost dim is loop `d` (then threads walk d).
  bool contiguousAlong(OpOperand &o, unsigned d) {
    AffineMap map = c.op.getMatchingIndexingMap(&o);
    return map.getNumResults() &&
           cast<AffineDimExpr>(map.getResults().back()).getPosition() == d;
  }

  /// Copies one operand's (rows = `outer` dim, BK) tile into `staged`
  /// (laid out [BK][rows]): element e of the tile goes to the thread
  /// e % kThreads, numbering the tile along whichever dim is contiguous in
  /// global memory so that neighbouring threads load neighbouring
  /// addresses. Elements past the operand's edge are staged as zeros.
  void stage(OpOperand &operand, Value staged, unsigned outer, int64_t rows,
             Value outerBase, Value outerSize, Value k0, Value batchIdx,
             Value tid) {
    bool alongK = contiguousAlong(operand, c.k);
    Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0));
    for (int64_t r = 0; r < rows * s.bk / kThreads; ++r) {
      Value e = add(tid, cst(r * kThreads));
      Value row, kk;
      if (alongK) {
        row = arith::DivUIOp::create(b, e, cst(s.bk));
        kk = arith::RemUIOp::create(b, e, cst(s.bk));
      } else {
        kk = arith::DivUIOp::create(b, e, cst(rows));
        row = arith::RemUIOp::create(b, e, cst(rows));
      }
      Value gRow = add(outerBase, row), gK = add(k0, kk);
      Value inside = arith::AndIOp::create(b, lessThan(gRow, outerSize),
                                           lessThan(gK, sizeK));
      SmallVector<Value> at(c.op.getNumLoops(), Value());
      at[outer] = gRow;
      at[c.k] = gK;
      if (c.batch)
        at[*c.batch] = batchIdx;
      auto ifOp = scf::IfOp::create(b, TypeRange{b.getF32Type()}, inside,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        Value v = memref::LoadOp::create(b, operand.get(), indices(operand, at));
        scf::YieldOp::create(b, v);
        b.setInsertionPointToStart(ifOp.elseBlock());
        scf::YieldOp::create(b, zero);
      }
      memref::StoreOp::create(b, ifOp.getResult(0), staged, ValueRange{kk, row});
    }
  }

  void buildBody(gpu::LaunchOp launch) {
    Value tid = launch.getThreadIds().x;
    Value n0 = mul(launch.getBlockIds().x, s.bn);
    Value m0 = mul(launch.getBlockIds().y, s.bm);
    Value batchIdx = launch.getBlockIds().z;
    Value tx = arith::RemUIOp::create(b, tid, cst(s.bn / s.tn));
    Value ty = arith::DivUIOp::create(b, tid, cst(s.bn / s.tn));
    Value rowA = mul(ty, s.tm), colB = mul(tx, s.tn);
    Value stagedA = launch.getWorkgroupAttributions()[0];
    Value stagedB = launch.getWorkgroupAttributions()[1];
    OpOperand &a = *c.op.getDpsInputOperand(0);
    OpOperand &bOp = *c.op.getDpsInputOperand(1);
    OpOperand &out = *c.op.getDpsInitOperand(0);

    // Accumulators: TM rows of TN lanes, carried by the K loop.
    auto row = VectorType::get({s.tn}, b.getF32Type());
    Value zeroRow = arith::ConstantOp::create(
        b, row, DenseElementsAttr::get(row, b.getF32FloatAttr(0)));
    SmallVector<Value> init(s.tm, zeroRow);
    auto kLoop = scf::ForOp::create(b, cst(0), sizeK, cst(s.bk), init);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(kLoop.getBody());
      Value k0 = kLoop.getInductionVar();
      stage(a, stagedA, c.m, s.bm, m0, sizeM, k0, batchIdx, tid);
      stage(bOp, stagedB, c.n, s.bn, n0, sizeN, k0, batchIdx, tid);
      gpu::BarrierOp::create(b);
      SmallVector<Value> acc(kLoop.getRegionIterArgs());
      auto colType = VectorType::get({s.tm}, b.getF32Type());
      for (int64_t kk = 0; kk < s.bk; ++kk) {
        // Rows of a thread's A column and B row are consecutive in the
        // staged tiles: one vector load each (16-byte aligned: kPad and
        // the tile widths are multiples of 4, the buffers 16-aligned by
        // mnemo-cuda-align-workgroup).
        Value aCol = vector::LoadOp::create(
            b, colType, stagedA, ValueRange{cst(kk), rowA}, false,
            llvm::Align(std::min<int64_t>(16, 4 * s.tm)));
        Value bRow = vector::LoadOp::create(
            b, row, stagedB, ValueRange{cst(kk), colB}, false,
            llvm::Align(std::min<int64_t>(16, 4 * s.tn)));
        for (int64_t i = 0; i < s.tm; ++i) {
          Value ai = vector::ExtractOp::create(b, aCol, ArrayRef<int64_t>{i});
          Value splat = vector::BroadcastOp::create(b, row, ai);
          acc[i] = vector::FMAOp::create(b, splat, bRow, acc[i]);
        }
      }
      // The next step overwrites the tiles others may still be reading.
      gpu::BarrierOp::create(b);
      scf::YieldOp::create(b, acc);
    }

    // C += the block's product, each element once.
    for (int64_t i = 0; i < s.tm; ++i) {
      Value gm = add(add(m0, rowA), cst(i));
      for (int64_t j = 0; j < s.tn; ++j) {
        Value gn = add(add(n0, colB), cst(j));
        Value inside =
            arith::AndIOp::create(b, lessThan(gm, sizeM), lessThan(gn, sizeN));
        auto ifOp = scf::IfOp::create(b, inside, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        SmallVector<Value> at(c.op.getNumLoops(), Value());
        at[c.m] = gm;
        at[c.n] = gn;
        if (c.batch)
          at[*c.batch] = batchIdx;
        SmallVector<Value> idx = indices(out, at);
        Value old = memref::LoadOp::create(b, out.get(), idx);
        Value part = vector::ExtractOp::create(b, kLoop.getResult(i),
                                               ArrayRef<int64_t>{j});
        Value sum = arith::AddFOp::create(b, old, part);
        memref::StoreOp::create(b, sum, out.get(), idx);
      }
    }
  }
};

struct TileContractionsPass
    : public mnemo::impl::TileContractionsPassBase<TileContractionsPass> {
  using TileContractionsPassBase::TileContractionsPassBase;

  void runOnOperation() override {
    SmallVector<Contraction> found;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (FailureOr<Contraction> c = match(op); succeeded(c))
        found.push_back(*c);
    });
    if (found.empty())
      return;
    if (smemBudget < smallestSmem()) {
      found.front().op->emitError()
          << "no tile of this matmul fits --smem-budget="
          << static_cast<int64_t>(smemBudget)
          << " bytes; the smallest needs " << smallestSmem();
      return signalPassFailure();
    }
    OpBuilder builder(&getContext());
    for (Contraction c : found) {
      SmallVector<int64_t> loops = c.op.getStaticLoopRanges();
      // Grid y and z stop at 65535 blocks; such (static) shapes keep the
      // generic route, whose one flat dim goes to grid x.
      int64_t batch = c.batch ? loops[*c.batch] : 1;
      if ((!ShapedType::isDynamic(loops[c.m]) &&
           ceilDiv(loops[c.m], 16) > kMaxGridYZ) ||
          (!ShapedType::isDynamic(batch) && batch > kMaxGridYZ))
        continue;
      std::optional<TileShape> shape = chooseShape(
          loops[c.m], loops[c.n], loops[c.k], batch, smemBudget, smCount);
      builder.setInsertionPoint(c.op);
      KernelBuilder(c, *shape, builder).build();
      c.op->erase();
    }
  }
};

} // namespace
