//===- EmulateLaunches.cpp - run gpu.launch bodies on the CPU -------------===//
//
// No session so far has had a GPU, yet the CUDA target's kernel builders
// compute addresses, tiles and edges that must be right. This pass turns
// each gpu.launch into sequential CPU loops with the same semantics: loops
// over the blocks; within a block, the code between two barriers runs as
// one loop over the threads (so every thread finishes a phase before any
// starts the next, which is what a barrier promises); values a thread
// carries from one phase to the next live in per-thread buffers. Built on
// the CPU target, a model's outputs then check the kernels' index math
// against ONNX references (mnemo-run --emulate-cuda-kernels).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mnemo {
#define GEN_PASS_DEF_EMULATELAUNCHESPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Whether `op` holds a barrier or a warp shuffle: ops that end a phase.
bool endsPhases(Operation *op) {
  return op
      ->walk([](Operation *nested) {
        return isa<gpu::BarrierOp, gpu::ShuffleOp>(nested)
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

class Emulator {
public:
  Emulator(gpu::LaunchOp launch, int64_t bx, int64_t by, int64_t bz)
      : launch(launch), b(launch), allocs(launch), loc(launch.getLoc()),
        blockDims{bx, by, bz}, threads(bx * by * bz) {}

  LogicalResult run() {
    if (!launch.getPrivateAttributions().empty())
      return launch.emitError("cannot emulate private attributions");
    Block &body = launch.getBody().front();
    // Shared memory: one buffer for the whole emulation (each block
    // writes before it reads, as on the GPU).
    for (BlockArgument arg : launch.getWorkgroupAttributions()) {
      auto t = cast<MemRefType>(arg.getType());
      auto plain = MemRefType::get(t.getShape(), t.getElementType());
      uniform.map(arg, memref::AllocOp::create(allocs, loc, plain).getResult());
    }
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 gridArgs = launch.getGridSize();
    gpu::KernelDim3 blockArgs = launch.getBlockSize();
    uniform.map(gridArgs.x, grid.x);
    uniform.map(gridArgs.y, grid.y);
    uniform.map(gridArgs.z, grid.z);
    uniform.map(blockArgs.x, cst(blockDims[0]));
    uniform.map(blockArgs.y, cst(blockDims[1]));
    uniform.map(blockArgs.z, cst(blockDims[2]));
    gpu::KernelDim3 tid = launch.getThreadIds();
    threadIds = {tid.x, tid.y, tid.z};
    gpu::KernelDim3 bid = launch.getBlockIds();
    Value ids[3] = {bid.z, bid.y, bid.x};
    Value sizes[3] = {grid.z, grid.y, grid.x};
    for (int i = 0; i < 3; ++i) {
      auto loop = scf::ForOp::create(b, loc, cst(0), sizes[i], cst(1));
      if (i == 0)
        allocs.setInsertionPoint(loop);
      uniform.map(ids[i], loop.getInductionVar());
      b.setInsertionPointToStart(loop.getBody());
    }
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    if (failed(emit(ops)))
      return failure();
    launch.erase();
    return success();
  }

private:
  gpu::LaunchOp launch;
  OpBuilder b;      // where the emulation goes
  OpBuilder allocs; // before it: buffers live across all blocks
  Location loc;
  int64_t blockDims[3];
  int64_t threads;
  SmallVector<Value, 3> threadIds;
  IRMapping uniform; // block-wide values
  DenseMap<Value, Value> perThread; // value -> memref<threads x type>

  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// A buffer holding one value of `type` per thread. The CPU target's
  /// planner sizes buffers of scalars, so vectors get a row each and
  /// indices and booleans are stored as i64 and i8.
  Value threadBuffer(Type type) {
    SmallVector<int64_t> shape = {threads};
    Type elt = type;
    if (auto v = dyn_cast<VectorType>(type)) {
      llvm::append_range(shape, v.getShape());
      elt = v.getElementType();
    }
    if (isa<IndexType>(elt))
      elt = allocs.getI64Type();
    else if (elt.isInteger(1))
      elt = allocs.getI8Type();
    auto t = MemRefType::get(shape, elt);
    return memref::AllocOp::create(allocs, loc, t).getResult();
  }

  /// Row-major positions of a static vector.
  static void forEachPosition(VectorType v,
                              function_ref<void(ArrayRef<int64_t>)> f) {
    SmallVector<int64_t> pos(v.getRank(), 0);
    for (int64_t n = 0; n < v.getNumElements(); ++n) {
      f(pos);
      for (int64_t d = v.getRank() - 1; d >= 0; --d) {
        if (++pos[d] < v.getDimSize(d))
          break;
        pos[d] = 0;
      }
    }
  }

  /// Thread t's row of a per-thread buffer.
  SmallVector<Value> rowIndex(Value buffer, Value t) {
    SmallVector<Value> idx = {t};
    for (int64_t d = 1; d < cast<MemRefType>(buffer.getType()).getRank(); ++d)
      idx.push_back(cst(0));
    return idx;
  }

  void store(Value v, Value buffer, Value t) {
    SmallVector<Value> idx = rowIndex(buffer, t);
    if (auto vt = dyn_cast<VectorType>(v.getType())) {
      if (vt.getRank() == 1) {
        vector::StoreOp::create(b, loc, v, buffer, idx);
        return;
      }
      // n-D (mma fragments): element by element.
      forEachPosition(vt, [&](ArrayRef<int64_t> pos) {
        SmallVector<Value> at = {t};
        for (int64_t p : pos)
          at.push_back(cst(p));
        memref::StoreOp::create(
            b, loc, vector::ExtractOp::create(b, loc, v, pos), buffer, at);
      });
      return;
    }
    if (isa<IndexType>(v.getType()))
      v = arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
    else if (v.getType().isInteger(1))
      v = arith::ExtUIOp::create(b, loc, b.getI8Type(), v);
    memref::StoreOp::create(b, loc, v, buffer, idx);
  }

  Value load(Type type, Value buffer, Value t) {
    SmallVector<Value> idx = rowIndex(buffer, t);
    if (auto v = dyn_cast<VectorType>(type)) {
      if (v.getRank() == 1)
        return vector::LoadOp::create(b, loc, v, buffer, idx);
      SmallVector<Value> elements;
      forEachPosition(v, [&](ArrayRef<int64_t> pos) {
        SmallVector<Value> at = {t};
        for (int64_t p : pos)
          at.push_back(cst(p));
        elements.push_back(memref::LoadOp::create(b, loc, buffer, at));
      });
      return vector::FromElementsOp::create(b, loc, v, elements);
    }
    Value x = memref::LoadOp::create(b, loc, buffer, idx);
    if (isa<IndexType>(type))
      return arith::IndexCastOp::create(b, loc, type, x);
    if (type.isInteger(1))
      return arith::TruncIOp::create(b, loc, type, x);
    return x;
  }

  /// The value `v` has at thread `t`: loaded from its per-thread buffer,
  /// or the block-wide value.
  Value ofThread(Value v, Value t) {
    if (auto it = perThread.find(v); it != perThread.end())
      return load(v.getType(), it->second, t);
    return uniform.lookupOrDefault(v);
  }

  /// The value `v` has in the thread loop whose mapping is `map` at thread
  /// `t` (loaded from its per-thread buffer the first time).
  Value inThread(Value v, IRMapping &map, Value t) {
    if (Value m = map.lookupOrNull(v))
      return m;
    Value x = ofThread(v, t);
    if (perThread.contains(v))
      map.map(v, x);
    return x;
  }

  /// A value all threads agree on (a loop bound): thread 0's.
  Value uniformValue(Value v) { return ofThread(v, cst(0)); }

  /// for t in threads { body(map, t) }, with the thread ids mapped.
  void threadLoop(function_ref<void(IRMapping &, Value)> body) {
    auto loop = scf::ForOp::create(b, loc, cst(0), cst(threads), cst(1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value t = loop.getInductionVar();
    IRMapping map;
    Value x = arith::RemUIOp::create(b, loc, t, cst(blockDims[0]));
    Value rest = arith::DivUIOp::create(b, loc, t, cst(blockDims[0]));
    Value y = arith::RemUIOp::create(b, loc, rest, cst(blockDims[1]));
    Value z = arith::DivUIOp::create(b, loc, rest, cst(blockDims[1]));
    map.map(threadIds[0], x);
    map.map(threadIds[1], y);
    map.map(threadIds[2], z);
    body(map, t);
  }

  /// One phase: ops between barriers, run by every thread in turn.
  void emitRun(ArrayRef<Operation *> run) {
    if (run.empty())
      return;
    Block *block = run.front()->getBlock();
    llvm::SmallPtrSet<Operation *, 16> inRun(run.begin(), run.end());
    threadLoop([&](IRMapping &map, Value t) {
      for (Operation *op : run) {
        op->walk([&](Operation *nested) {
          for (Value v : nested->getOperands())
            if (!map.contains(v))
              if (Value x = inThread(v, map, t); x != v)
                map.map(v, x);
        });
        Operation *copy = b.clone(*op, map);
        for (auto [r, c] : llvm::zip(op->getResults(), copy->getResults())) {
          bool escapes = llvm::any_of(r.getUses(), [&](OpOperand &use) {
            Operation *owner = block->findAncestorOpInBlock(*use.getOwner());
            return !owner || !inRun.contains(owner);
          });
          if (!escapes)
            continue;
          auto it = perThread.find(r);
          if (it == perThread.end())
            it = perThread.try_emplace(r, threadBuffer(r.getType())).first;
          store(c, it->second, t);
        }
      }
    });
  }

  /// A loop with barriers inside: sequential, its carried values per
  /// thread.
  LogicalResult emitFor(scf::ForOp loop) {
    SmallVector<Value> carried;
    for (Value init : loop.getInitArgs()) {
      Value mem = threadBuffer(init.getType());
      carried.push_back(mem);
    }
    threadLoop([&](IRMapping &map, Value t) {
      for (auto [init, mem] : llvm::zip(loop.getInitArgs(), carried))
        store(inThread(init, map, t), mem, t);
    });
    auto seq = scf::ForOp::create(b, loc, uniformValue(loop.getLowerBound()),
                                  uniformValue(loop.getUpperBound()),
                                  uniformValue(loop.getStep()));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(seq.getBody());
    uniform.map(loop.getInductionVar(), seq.getInductionVar());
    for (auto [arg, mem] : llvm::zip(loop.getRegionIterArgs(), carried))
      perThread[arg] = mem;
    SmallVector<Operation *> ops;
    for (Operation &op : loop.getBody()->without_terminator())
      ops.push_back(&op);
    if (failed(emit(ops)))
      return failure();
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    threadLoop([&](IRMapping &map, Value t) {
      // Read every yielded value before writing any: a value may be
      // carried over from another position.
      SmallVector<Value> next;
      for (Value v : yield.getOperands())
        next.push_back(inThread(v, map, t));
      for (auto [v, mem] : llvm::zip(next, carried))
        store(v, mem, t);
    });
    b.setInsertionPointAfter(seq);
    for (auto [r, mem] : llvm::zip(loop.getResults(), carried))
      perThread[r] = mem;
    return success();
  }

  /// A scalar scratch buffer of the emulation.
  Value scratch(ArrayRef<int64_t> shape) {
    return memref::AllocOp::create(
               allocs, loc, MemRefType::get(shape, allocs.getF32Type()))
        .getResult();
  }

  /// nvgpu.mma.sync m16n8k8 (tf32 operands) or m16n8k16 (f16 or bf16
  /// operands: one layout), f32 accumulators, is a warp's collective: per
  /// warp, its 32 lanes' fragments are gathered into A (16 x K), B (K x 8)
  /// and C (16 x 8) by the PTX ISA's fragment layouts (g = lane / 4,
  /// q = lane % 4; tf32: a0 (g, q), a1 (g+8, q), a2 (g, q+4), a3 (g+8, q+4);
  /// b0 (q, g), b1 (q+4, g); f16/bf16: a[i][j] (g + 8 (i % 2),
  /// 2q + j + 8 (i / 2)), b[i][j] (2q + j + 8 i, g); all: c0 (g, 2q), c1 (g, 2q+1),
  /// c2 (g+8, 2q), c3 (g+8, 2q+1)), D = A B + C is computed in f32 (16-bit
  /// operands extended exactly), and each lane gets its D fragment back.
  LogicalResult emitMma(nvgpu::MmaSyncOp mma) {
    auto shape = mma.getMmaShapeAsArray();
    Type aElt = mma.getMatrixA().getType().getElementType();
    bool f16 = shape == std::array<int64_t, 3>{16, 8, 16} &&
               (aElt.isF16() || aElt.isBF16());
    if (threads % 32 ||
        (!f16 && (shape != std::array<int64_t, 3>{16, 8, 8} || !aElt.isF32())))
      return mma.emitError(
          "can emulate only tf32 m16n8k8 and f16/bf16 m16n8k16 mma.sync");
    int64_t kDim = shape[2];
    Value am = scratch({16, kDim}), bm = scratch({kDim, 8}),
          cm = scratch({16, 8});
    Value result = threadBuffer(mma.getType());
    perThread[mma.getResult()] = result;
    auto warps = scf::ForOp::create(b, loc, cst(0), cst(threads / 32), cst(1));
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(warps.getBody());
    Value w = warps.getInductionVar();
    // The 32 lanes of warp w, with their groupID and threadID_in_group.
    auto lanes = [&](function_ref<void(Value t, Value g, Value q)> body) {
      auto loop = scf::ForOp::create(b, loc, cst(0), cst(32), cst(1));
      OpBuilder::InsertionGuard lg(b);
      b.setInsertionPointToStart(loop.getBody());
      Value lane = loop.getInductionVar();
      Value t = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, w, cst(32)), lane);
      body(t, arith::DivUIOp::create(b, loc, lane, cst(4)),
           arith::RemUIOp::create(b, loc, lane, cst(4)));
    };
    // (row, col) = (g or q times rowScale, plus rowAdd; g or q times
    // colScale, plus colAdd).
    auto at = [&](Value g, Value q, bool rowIsG, int64_t rowScale,
                  int64_t rowAdd, bool colIsG, int64_t colScale,
                  int64_t colAdd) {
      Value r = arith::MulIOp::create(b, loc, rowIsG ? g : q, cst(rowScale));
      r = arith::AddIOp::create(b, loc, r, cst(rowAdd));
      Value c = arith::MulIOp::create(b, loc, colIsG ? g : q, cst(colScale));
      c = arith::AddIOp::create(b, loc, c, cst(colAdd));
      return SmallVector<Value>{r, c};
    };
    lanes([&](Value t, Value g, Value q) {
      IRMapping map;
      Value a = inThread(mma.getMatrixA(), map, t);
      Value bv = inThread(mma.getMatrixB(), map, t);
      Value c = inThread(mma.getMatrixC(), map, t);
      auto put = [&](Value frag, ArrayRef<int64_t> pos, Value matrix,
                     SmallVector<Value> idx) {
        Value v = vector::ExtractOp::create(b, loc, frag, pos);
        if (!v.getType().isF32())
          v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
        memref::StoreOp::create(b, loc, v, matrix, idx);
      };
      if (f16) {
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t j = 0; j < 2; ++j)
            put(a, {i, j}, am, at(g, q, true, 1, 8 * (i % 2), false, 2,
                                  j + 8 * (i / 2)));
        for (int64_t i = 0; i < 2; ++i)
          for (int64_t j = 0; j < 2; ++j)
            put(bv, {i, j}, bm, at(g, q, false, 2, j + 8 * i, true, 1, 0));
      } else {
        put(a, {0, 0}, am, at(g, q, true, 1, 0, false, 1, 0));
        put(a, {1, 0}, am, at(g, q, true, 1, 8, false, 1, 0));
        put(a, {2, 0}, am, at(g, q, true, 1, 0, false, 1, 4));
        put(a, {3, 0}, am, at(g, q, true, 1, 8, false, 1, 4));
        put(bv, {0, 0}, bm, at(g, q, false, 1, 0, true, 1, 0));
        put(bv, {1, 0}, bm, at(g, q, false, 1, 4, true, 1, 0));
      }
      put(c, {0, 0}, cm, at(g, q, true, 1, 0, false, 2, 0));
      put(c, {0, 1}, cm, at(g, q, true, 1, 0, false, 2, 1));
      put(c, {1, 0}, cm, at(g, q, true, 1, 8, false, 2, 0));
      put(c, {1, 1}, cm, at(g, q, true, 1, 8, false, 2, 1));
    });
    // C += A B, in place.
    auto rows = scf::ForOp::create(b, loc, cst(0), cst(16), cst(1));
    {
      OpBuilder::InsertionGuard rg(b);
      b.setInsertionPointToStart(rows.getBody());
      auto cols = scf::ForOp::create(b, loc, cst(0), cst(8), cst(1));
      b.setInsertionPointToStart(cols.getBody());
      Value r = rows.getInductionVar(), col = cols.getInductionVar();
      Value acc = memref::LoadOp::create(b, loc, cm, ValueRange{r, col});
      auto ks = scf::ForOp::create(b, loc, cst(0), cst(kDim), cst(1), acc);
      b.setInsertionPointToStart(ks.getBody());
      Value k = ks.getInductionVar();
      Value x = memref::LoadOp::create(b, loc, am, ValueRange{r, k});
      Value y = memref::LoadOp::create(b, loc, bm, ValueRange{k, col});
      Value sum = arith::AddFOp::create(
          b, loc, ks.getRegionIterArgs()[0],
          arith::MulFOp::create(b, loc, x, y));
      scf::YieldOp::create(b, loc, sum);
      b.setInsertionPointAfter(ks);
      memref::StoreOp::create(b, loc, ks.getResult(0), cm, ValueRange{r, col});
    }
    lanes([&](Value t, Value g, Value q) {
      SmallVector<Value> d;
      for (auto [rowAdd, colAdd] : {std::pair<int64_t, int64_t>{0, 0},
                                    {0, 1}, {8, 0}, {8, 1}})
        d.push_back(memref::LoadOp::create(
            b, loc, cm, at(g, q, true, 1, rowAdd, false, 2, colAdd)));
      store(vector::FromElementsOp::create(b, loc, mma.getType(), d), result, t);
    });
    return success();
  }

  /// gpu.shuffle exchanges values within a warp: every lane's value must
  /// exist before any lane reads another's, so it ends a phase. Lane l of
  /// a warp reads lane `l ^ offset` (xor), `l + offset` (down), `l -
  /// offset` (up) or `offset` (idx) of the same warp; where that lane is
  /// not below `width` (or, up, below 0) the result is the lane's own
  /// value and `valid` false, as MLIR defines the op.
  void emitShuffle(gpu::ShuffleOp op) {
    Value result = threadBuffer(op.getShuffleResult().getType());
    Value valid = threadBuffer(op.getValid().getType());
    threadLoop([&](IRMapping &map, Value t) {
      Type index = b.getIndexType();
      auto asIndex = [&](Value v) {
        return arith::IndexCastUIOp::create(b, loc, index, inThread(v, map, t));
      };
      Value offset = asIndex(op.getOffset()), width = asIndex(op.getWidth());
      Value lane = arith::RemUIOp::create(b, loc, t, cst(32));
      Value warp = arith::SubIOp::create(b, loc, t, lane);
      Value src;
      switch (op.getMode()) {
      case gpu::ShuffleMode::XOR:
        src = arith::XOrIOp::create(b, loc, lane, offset);
        break;
      case gpu::ShuffleMode::DOWN:
        src = arith::AddIOp::create(b, loc, lane, offset);
        break;
      case gpu::ShuffleMode::UP:
        src = arith::SubIOp::create(b, loc, lane, offset);
        break;
      case gpu::ShuffleMode::IDX:
        src = offset;
        break;
      }
      Value ok =
          op.getMode() == gpu::ShuffleMode::UP
              ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, lane,
                                      offset)
              : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, src,
                                      width);
      Value from = arith::AddIOp::create(
          b, loc, warp, arith::SelectOp::create(b, loc, ok, src, lane));
      store(ofThread(op.getValue(), from), result, t);
      store(ok, valid, t);
    });
    perThread[op.getShuffleResult()] = result;
    perThread[op.getValid()] = valid;
  }

  LogicalResult emit(ArrayRef<Operation *> ops) {
    SmallVector<Operation *> run;
    for (Operation *op : ops) {
      if (isa<gpu::BarrierOp>(op)) {
        emitRun(run);
        run.clear();
        continue;
      }
      if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
        emitRun(run);
        run.clear();
        emitShuffle(shuffle);
        continue;
      }
      if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
        emitRun(run);
        run.clear();
        if (failed(emitMma(mma)))
          return failure();
        continue;
      }
      if (!endsPhases(op)) {
        run.push_back(op);
        continue;
      }
      emitRun(run);
      run.clear();
      auto loop = dyn_cast<scf::ForOp>(op);
      if (!loop)
        return op->emitError(
            "cannot emulate a barrier or shuffle inside this op");
      if (failed(emitFor(loop)))
        return failure();
    }
    emitRun(run);
    return success();
  }
};

struct EmulateLaunchesPass
    : public mnemo::impl::EmulateLaunchesPassBase<EmulateLaunchesPass> {
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp launch : launches) {
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      std::optional<int64_t> bx = getConstantIntValue(block.x),
                             by = getConstantIntValue(block.y),
                             bz = getConstantIntValue(block.z);
      if (!bx || !by || !bz || launch.getAsyncToken() ||
          launch.hasClusterSize()) {
        launch.emitError("cannot emulate: block size not constant, or an "
                         "async or clustered launch");
        return signalPassFailure();
      }
      if (failed(Emulator(launch, *bx, *by, *bz).run()))
        return signalPassFailure();
    }
  }
};

} // namespace
