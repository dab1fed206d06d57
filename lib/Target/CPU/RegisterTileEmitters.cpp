//===- RegisterTileEmitters.cpp - register-blocked vector loops -----------===//
//
// Writes the vector loops of mnemo-cpu-register-tile's plans
// (RegisterTileKernels.h): row blocks (the accumulators are rows x vectors
// one-dimensional vectors carried by the reduction loops, so they stay in
// registers), the channel-vector form and the dot-product form.
//
//===----------------------------------------------------------------------===//

#include "RegisterTileKernels.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mnemo::register_tile {

namespace {

/// State and helpers shared by the two emitters: the op's loop sizes and
/// the current value of each loop's induction variable.
class EmitterBase {
protected:
  EmitterBase(linalg::LinalgOp op, int64_t vectorWidth, bool parallelize,
              Init init, bool fma)
      : op(op), vw(vectorWidth), parallelize(parallelize), fma(fma), init(init),
        vecType(VectorType::get({vectorWidth},
                                Float32Type::get(op.getContext()))),
        maps(op.getIndexingMapsArray()), inputs(op.getDpsInputs()) {}

  /// Loops over `outer` (sequential, or one scf.parallel) around `inner`,
  /// which gets whether it should split its own block loop across threads.
  void emitOuter(OpBuilder &b, ArrayRef<unsigned> outer,
                 function_ref<void(OpBuilder &, Location, bool)> inner) {
    Location loc = op.getLoc();
    SmallVector<Range> ranges = op.createLoopRanges(b, loc);
    for (Range &r : ranges)
      sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
    for (auto [d, size] : sizeOverrides)
      sizes[d] = cst(b, loc, size);
    ivs.assign(sizes.size(), Value());
    SmallVector<Value> lbs, ubs, steps;
    int64_t outerTrips = 1;
    for (unsigned d : outer) {
      lbs.push_back(cst(b, loc, 0));
      ubs.push_back(sizes[d]);
      steps.push_back(cst(b, loc, 1));
      outerTrips *= staticSize(d, 1);
    }
    // Threads only pay for themselves on enough work (the count ignores
    // dynamic dims, so small decode-step ops stay sequential). One parallel
    // region per op: over the outer dims (channels of a depthwise conv,
    // batches) when they give every thread a few iterations, else inside,
    // over the register blocks.
    int64_t work = 1;
    for (unsigned d = 0; d < sizes.size(); ++d)
      work *= staticSize(d, 1);
    bool parallel = parallelize && work >= kParallelWork;
    bool outerParallel = parallel && outerTrips >= kMinParallelTrips;
    auto body = [&](OpBuilder &b, Location loc, ValueRange outerIvs) {
      for (auto [d, iv] : llvm::zip(outer, outerIvs))
        ivs[d] = iv;
      inner(b, loc, parallel && !outerParallel);
    };
    if (outerParallel) {
      scf::ParallelOp::create(b, loc, lbs, ubs, steps, body);
      return;
    }
    scf::buildLoopNest(b, loc, lbs, ubs, steps, body);
  }

  Value cst(OpBuilder &b, Location loc, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }

  /// Splits [0, size) into full steps of `step` and a remainder start.
  Value fullEnd(OpBuilder &b, Location loc, Value size, int64_t step) {
    Value rem = arith::RemUIOp::create(b, loc, size, cst(b, loc, step));
    return arith::SubIOp::create(b, loc, size, rem);
  }

  /// A loop over [lb, ub) step `step`; an scf.parallel (OpenMP after
  /// lowering) when `parallel`.
  void loop(OpBuilder &b, Location loc, Value lb, Value ub, int64_t step,
            bool parallel, function_ref<void(OpBuilder &, Location, Value)> fn) {
    if (parallel) {
      scf::ParallelOp::create(b, loc, ValueRange{lb}, ValueRange{ub},
                              ValueRange{cst(b, loc, step)},
                              [&](OpBuilder &b, Location loc, ValueRange iv) {
                                fn(b, loc, iv[0]);
                              });
      return;
    }
    scf::ForOp::create(b, loc, lb, ub, cst(b, loc, step), ValueRange{},
                       [&](OpBuilder &b, Location loc, Value iv, ValueRange) {
                         fn(b, loc, iv);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// Blocks of `block` rows along `dim`: a static size balanced over them
  /// (balancedBlocks), a dynamic one in full blocks and then 1-row blocks;
  /// one 1-row block when there is no row dim.
  void forRowBlocks(
      OpBuilder &b, Location loc, std::optional<unsigned> dim, int64_t block,
      bool parallel,
      function_ref<void(OpBuilder &, Location, Value, int64_t)> fn) {
    if (!dim) {
      fn(b, loc, Value(), 1);
      return;
    }
    int64_t n = staticSize(*dim, -1);
    if (n > 0 && n % block) {
      balancedBlocks(b, loc, n, block, parallel, fn);
      return;
    }
    Value size = sizes[*dim];
    Value full = fullEnd(b, loc, size, block);
    loop(b, loc, cst(b, loc, 0), full, block, parallel,
         [&](OpBuilder &b, Location loc, Value r0) { fn(b, loc, r0, block); });
    if (n < 0)
      loop(b, loc, full, size, 1, false,
           [&](OpBuilder &b, Location loc, Value r0) { fn(b, loc, r0, 1); });
  }

  /// `n` static rows in as few blocks of at most `block` rows as full
  /// blocks and a remainder would take, their sizes differing by at most
  /// one (49 columns with blocks of 6: 4 of 6 and 5 of 5, not 8 of 6 and
  /// one of 1). A short last block keeps too few accumulators to hide the
  /// FMA latency: ResNet-18's 7x7 maps spent a third of their time in
  /// the 1-column block on AVX2. In parallel, one loop over the blocks
  /// (one fork / join) picks the larger or the smaller kernel per block.
  void balancedBlocks(
      OpBuilder &b, Location loc, int64_t n, int64_t block, bool parallel,
      function_ref<void(OpBuilder &, Location, Value, int64_t)> fn) {
    int64_t blocks = (n + block - 1) / block, small = n / blocks;
    int64_t large = n % blocks; // blocks of small + 1 rows, first
    int64_t split = large * (small + 1);
    if (parallel && large && blocks > large) {
      // The large blocks spread evenly over the iterations (block i is
      // large where floor((i + 1) L / B) steps up), so the contiguous
      // share of each thread gets its share of them: 22 blocks of 6 and 5
      // rows give 2 threads 64 rows each, not 66 and 62.
      loop(b, loc, cst(b, loc, 0), cst(b, loc, blocks), 1, true,
           [&](OpBuilder &b, Location loc, Value i) {
             MLIRContext *ctx = b.getContext();
             AffineExpr d = getAffineDimExpr(0, ctx);
             auto apply = [&](AffineExpr e) {
               return affine::expandAffineExpr(b, loc, e, ValueRange{i}, {});
             };
             Value before = apply((d * large).floorDiv(blocks));
             Value through = apply(((d + 1) * large).floorDiv(blocks));
             Value r0 = apply(d * small + (d * large).floorDiv(blocks));
             Value isLarge = arith::CmpIOp::create(
                 b, loc, arith::CmpIPredicate::ne, before, through);
             scf::IfOp::create(
                 b, loc, isLarge,
                 [&](OpBuilder &b, Location loc) {
                   fn(b, loc, r0, small + 1);
                   scf::YieldOp::create(b, loc);
                 },
                 [&](OpBuilder &b, Location loc) {
                   fn(b, loc, r0, small);
                   scf::YieldOp::create(b, loc);
                 });
           });
      return;
    }
    auto run = [&](int64_t lo, int64_t hi, int64_t size) {
      if (hi - lo == size)
        fn(b, loc, cst(b, loc, lo), size);
      else if (hi > lo)
        loop(b, loc, cst(b, loc, lo), cst(b, loc, hi), size, parallel,
             [&](OpBuilder &b, Location loc, Value r0) { fn(b, loc, r0, size); });
    };
    run(0, split, small + 1);
    run(split, n, small);
  }

  /// The reduction loops (each from 0, step 1) carrying `accs`; `body`
  /// runs with their ivs set and returns the next accumulators.
  /// `first`: where set, the range [lo, hi) of the first reduction loop
  /// (a chunk of it) instead of all of it.
  scf::LoopNest reductionNest(
      OpBuilder &b, Location loc, ArrayRef<unsigned> reductions,
      ValueRange accs,
      function_ref<scf::ValueVector(OpBuilder &, Location, ValueRange)> body,
      std::optional<std::pair<Value, Value>> first = std::nullopt) {
    SmallVector<Value> zeros, ubs, ones;
    for (unsigned d : reductions) {
      zeros.push_back(cst(b, loc, 0));
      ubs.push_back(sizes[d]);
      ones.push_back(cst(b, loc, 1));
    }
    if (first && !reductions.empty())
      std::tie(zeros[0], ubs[0]) = *first;
    return scf::buildLoopNest(
        b, loc, zeros, ubs, ones, accs,
        [&](OpBuilder &b, Location loc, ValueRange kIvs,
            ValueRange acc) -> scf::ValueVector {
          for (auto [d, iv] : llvm::zip(reductions, kIvs))
            ivs[d] = iv;
          return body(b, loc, acc);
        });
  }

  /// Static size of a loop, or `dflt` when dynamic.
  int64_t staticSize(unsigned d, int64_t dflt) {
    std::optional<int64_t> c = getConstantIntValue(sizes[d]);
    return c ? *c : dflt;
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

  Value zeroVector(OpBuilder &b, Location loc, VectorType type) {
    return arith::ConstantOp::create(b, loc, type,
                                     DenseElementsAttr::get(type, 0.0f));
  }

  Value loadVector(OpBuilder &b, Location loc, Value base, AffineMap map,
                   Value mask) {
    SmallVector<Value> idx = indices(b, loc, map);
    if (!mask)
      return vector::LoadOp::create(b, loc, vecType, base, idx);
    return vector::MaskedLoadOp::create(b, loc, vecType, base, idx, mask,
                                        zeroVector(b, loc, vecType));
  }

  /// acc + a * b: one vector.fma where the target has FMA; without it
  /// (x86-64-v2) LLVM would expand a vector fma into scalar fmaf calls.
  Value mulAdd(OpBuilder &b, Location loc, Value a, Value x, Value acc) {
    if (fma)
      return vector::FMAOp::create(b, loc, a, x, acc);
    return arith::AddFOp::create(b, loc, acc,
                                 arith::MulFOp::create(b, loc, a, x));
  }

  /// `epilogue`'s body on one accumulator vector: each scalar op is
  /// re-created on vectors, outside scalars broadcast.
  Value applyEpilogue(OpBuilder &b, Location loc, linalg::GenericOp epilogue,
                      Value acc, unsigned accArg = 0, Value residual = {},
                      unsigned residualArg = 0) {
    Block *body = epilogue.getBlock();
    IRMapping map;
    map.map(body->getArgument(accArg), acc);
    if (residual)
      map.map(body->getArgument(residualArg), residual);
    for (Operation &inner : body->without_terminator()) {
      SmallVector<Value> operands;
      for (Value v : inner.getOperands())
        operands.push_back(map.contains(v) ? map.lookup(v)
                                           : vector::BroadcastOp::create(
                                                 b, loc, vecType, v)
                                                 .getResult());
      OperationState state(loc, inner.getName(), operands, {vecType},
                           inner.getAttrs());
      map.map(inner.getResult(0), b.create(state)->getResult(0));
    }
    Value yielded = body->getTerminator()->getOperand(0);
    return map.contains(yielded)
               ? map.lookup(yielded)
               : vector::BroadcastOp::create(b, loc, vecType, yielded)
                     .getResult();
  }

  linalg::LinalgOp op;
  int64_t vw;
  bool parallelize, fma;
  Init init; // the output's initial value, when folded
  VectorType vecType;
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs; // the op's, or views standing in for them
  SmallVector<std::pair<unsigned, int64_t>> sizeOverrides; // loop -> trips
  SmallVector<Value> sizes, ivs;
};

/// Emits the register-blocked loops for one planned contraction.
/// The order of 8 lanes that AVX2's in-lane shuffles leave: lane i of the
/// kernel's vector holds element kHalfLaneOrder[i] (the two middle pairs
/// of the 128-bit halves swapped).
constexpr int64_t kHalfLaneOrder[8] = {0, 1, 4, 5, 2, 3, 6, 7};

class BlockEmitter : EmitterBase {
public:
  BlockEmitter(linalg::LinalgOp op, const Plan &plan, int64_t vectorWidth,
               int64_t rows, int64_t vectors, bool parallelize, Init init,
               bool fma, Epilogue epilogue)
      : EmitterBase(op, vectorWidth, parallelize, init, fma), plan(plan), mr(rows),
        nv(vectors), epilogue(epilogue.op),
        out(epilogue.dst ? epilogue.dst : op.getDpsInits()[0]),
        outMap(epilogue.dstMap ? epilogue.dstMap
                               : op.getIndexingMapsArray().back()),
        split(epilogue) {}

  int64_t l1Bytes = 0; // L1 data cache for column tiles (0: none)
  int64_t l2Bytes = 0; // L2, for the loop order (0: unknown)

  /// Runs the convolution on its input's pitch: B is the input's [N, C,
  /// H*W] view, oh takes one trip and ow the whole flat map.
  void pitch(OpBuilder &b, const Pitched &p) {
    inputs[plan.bIdx] = memref::CollapseShapeOp::create(
        b, op.getLoc(), inputs[plan.bIdx],
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    maps[plan.bIdx] = p.bMap;
    sizeOverrides = {{p.oh, 1}, {p.ow, p.flatSize}};
  }

  void emit(OpBuilder &b) {
    emitOuter(b, plan.outer, [&](OpBuilder &b, Location loc, bool parallel) {
      emitColumns(b, loc, parallel);
    });
  }

private:
  using ColumnFn = function_ref<void(OpBuilder &, Location, Value n0,
                                     int64_t vectors, Value mask, Value left)>;
  using RowFn =
      function_ref<void(OpBuilder &, Location, Value m0, int64_t rows)>;


  /// Column blocks from `first`: full blocks of `nv` vectors, then the
  /// rest: with a static size one block of as many vectors as it needs,
  /// only the last masked (so 49 columns are 32 + one 2-vector block, not
  /// 32 + 16 + 1 in two passes over A), else masked single vectors (then
  /// `first` is 0). `mask` and `left` describe the block's last vector.
  void forColumns(OpBuilder &b, Location loc, bool parallel, ColumnFn fn,
                  int64_t first = 0) {
    int64_t step = colStep(), blk = step * nv;
    unsigned dim = colDim();
    VectorType maskType = VectorType::get({vw}, b.getI1Type());
    auto full = [&](Value lb, Value ub) {
      loop(b, loc, lb, ub, blk, parallel,
           [&](OpBuilder &b, Location loc, Value n0) {
             fn(b, loc, n0, nv, Value(), Value());
           });
    };
    // A strided B's unmasked wide load reads s-1 elements past the block's
    // last one; keeping at least one column for the tail keeps them inside
    // the row.
    int64_t n = staticSize(dim, -1);
    if (n >= 0) {
      int64_t covered = plan.bStride > 1 ? n - 1 : n;
      int64_t end = first + std::max<int64_t>(covered - first, 0) / blk * blk;
      if (end > first)
        full(cst(b, loc, first), cst(b, loc, end));
      int64_t rest = n - end;
      if (rest <= 0)
        return;
      int64_t vectors = llvm::divideCeil(rest, step);
      int64_t lastLanes = plan.v ? vw : rest - (vectors - 1) * vw;
      Value mask, left;
      if (lastLanes < vw || plan.bStride > 1) {
        left = cst(b, loc, lastLanes);
        mask = vector::CreateMaskOp::create(b, loc, maskType, ValueRange{left});
      }
      fn(b, loc, cst(b, loc, end), vectors, mask, left);
      return;
    }
    assert(first == 0 && "column tiles need a static size");
    Value nSize = sizes[plan.n];
    Value covered = nSize;
    if (plan.bStride > 1)
      covered = arith::MaxSIOp::create(
          b, loc, arith::SubIOp::create(b, loc, nSize, cst(b, loc, 1)),
          cst(b, loc, 0));
    Value nFull = fullEnd(b, loc, covered, blk);
    full(cst(b, loc, 0), nFull);
    loop(b, loc, nFull, nSize, vw, false,
         [&](OpBuilder &b, Location loc, Value n0) {
           Value left = arith::SubIOp::create(b, loc, nSize, n0);
           Value mask = vector::CreateMaskOp::create(b, loc, maskType,
                                                     ValueRange{left});
           fn(b, loc, n0, 1, mask, left);
         });
  }

  /// Full row blocks of `mr` rows, then single rows.
  void forRows(OpBuilder &b, Location loc, bool parallel, RowFn fn) {
    forRowBlocks(b, loc, plan.m, mr, parallel, fn);
  }


  void emitColumns(OpBuilder &b, Location loc, bool parallel) {
    auto block = [&](Value m0, int64_t rows) {
      return [&, m0, rows](OpBuilder &b, Location loc, Value n0,
                           int64_t vectors, Value mask, Value left) {
        emitBlock(b, loc, m0, rows, n0, vectors, mask, left);
      };
    };
    // Few column blocks (small feature maps): rows outside, so the threads
    // split the rows and the column tail is not left to one thread.
    int64_t nBlocks = staticSize(colDim(), 1 << 20) / (colStep() * nv);
    int64_t mBlocks = plan.m ? staticSize(*plan.m, 1 << 20) / mr : 0;
    if (plan.m && ((nBlocks < 8 && mBlocks > nBlocks) || keepB())) {
      forRows(b, loc, parallel,
              [&](OpBuilder &b, Location loc, Value m0, int64_t rows) {
                forColumns(b, loc, false, block(m0, rows));
              });
      return;
    }
    if (int64_t tile = columnTile(parallel)) {
      // Column tiles whose B panel stays in L1 while every row block
      // sweeps it; each row block then stores `tile` contiguous elements
      // per row instead of one block's worth in each of M rows (a 1x1
      // convolution with few input channels over a 112x112 map is bound
      // by those stores).
      int64_t n = staticSize(plan.n, -1);
      int64_t tiles = (plan.bStride > 1 ? n - 1 : n) / tile;
      loop(b, loc, cst(b, loc, 0), cst(b, loc, tiles * tile), tile, parallel,
           [&](OpBuilder &b, Location loc, Value t0) {
             forRows(b, loc, false, [&](OpBuilder &b, Location loc, Value m0,
                                        int64_t rows) {
               Value end = arith::AddIOp::create(b, loc, t0, cst(b, loc, tile));
               loop(b, loc, t0, end, vw * nv, false,
                    [&](OpBuilder &b, Location loc, Value n0) {
                      emitBlock(b, loc, m0, rows, n0, nv, Value(), Value());
                    });
             });
           });
      forRows(b, loc, false,
              [&](OpBuilder &b, Location loc, Value m0, int64_t rows) {
                forColumns(b, loc, false, block(m0, rows), tiles * tile);
              });
      return;
    }
    forColumns(b, loc, parallel, [&](OpBuilder &b, Location loc, Value n0,
                                     int64_t vectors, Value mask, Value left) {
      forRows(b, loc, false,
              [&](OpBuilder &b, Location loc, Value m0, int64_t rows) {
                block(m0, rows)(b, loc, n0, vectors, mask, left);
              });
    });
  }

  /// The reduction loops' trip count, -1 where one is dynamic.
  int64_t reductionSteps() {
    int64_t k = 1;
    for (unsigned d : plan.reductions) {
      int64_t size = staticSize(d, -1);
      if (size < 0)
        return -1;
      k *= size;
    }
    return k;
  }

  /// Whether rows go outside because A does not fit in L2 while B does
  /// (with room for A's row block and the stores):
  /// columns outside would read all of A from memory once per column block
  /// (SqueezeNet's classifier, 1000 x 512 weights over a 13x13 map: 2 MiB
  /// ten times on AVX2), rows outside read B from L2 once per row block.
  bool keepB() {
    int64_t k = reductionSteps();
    int64_t m = plan.m ? staticSize(*plan.m, -1) : -1;
    int64_t n = staticSize(plan.n, -1);
    if (!l2Bytes || k <= 0 || m < 0 || n < 0 || plan.combiner || plan.v)
      return false;
    int64_t aBytes = 4 * k * m, bBytes = 4 * k * n * plan.bStride;
    return aBytes > l2Bytes && 4 * bBytes <= 3 * l2Bytes;
  }

  /// Columns per L1 tile: half of L1 holds B's K x tile panel. 0 when
  /// sizes are dynamic, the panel of two blocks already overflows, the
  /// columns fit one tile, or there are too few tiles to share among
  /// threads.
  int64_t columnTile(bool parallel) {
    int64_t n = staticSize(plan.n, -1), k = reductionSteps(), blk = vw * nv;
    if (!plan.m || n < 0 || k <= 0 || !l1Bytes || plan.combiner || plan.v)
      return 0;
    int64_t tile = l1Bytes / 2 / (4 * k * plan.bStride) / blk * blk;
    if (tile < 2 * blk || n < 2 * tile || (parallel && n / tile < 4))
      return 0;
    return tile;
  }

  /// B's elements at n0 + l (l < vw), `stride` apart in memory: one wide
  /// load and a shuffle. The tail's wide mask stops at the last element
  /// read, s*(left-1), so it never touches memory past the row.
  Value loadStridedB(OpBuilder &b, Location loc, Value base, AffineMap map,
                     Value mask, Value left) {
    int64_t s = plan.bStride;
    if (s == 1)
      return loadVector(b, loc, base, map, mask);
    auto wide = VectorType::get({vw * s}, vecType.getElementType());
    SmallVector<Value> idx = indices(b, loc, map);
    Value v;
    if (!left) {
      v = vector::LoadOp::create(b, loc, wide, base, idx);
    } else {
      Value bound = arith::SubIOp::create(
          b, loc, arith::MulIOp::create(b, loc, left, cst(b, loc, s)),
          cst(b, loc, s - 1));
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({vw * s}, b.getI1Type()), ValueRange{bound});
      v = vector::MaskedLoadOp::create(b, loc, wide, base, idx, mask,
                                       zeroVector(b, loc, wide));
    }
    SmallVector<int64_t> lanes;
    for (int64_t l = 0; l < vw; ++l)
      lanes.push_back(laneOrder() ? kHalfLaneOrder[l] * s : l * s);
    return vector::ShuffleOp::create(b, loc, v, v, lanes);
  }

  /// Whether the kernel keeps its stride-2 vectors in AVX2's in-lane order
  /// (see kHalfLaneOrder): the even elements of two 8-lane registers are
  /// one vshufps in that order and a vshufps + vpermpd in lane order,
  /// which at one deinterleave per tap (a stride-2 depthwise convolution,
  /// a max pool) made the shuffle ports, not the FMAs, the bound. Every
  /// other operand of the block is a broadcast, so only the accumulators'
  /// start and end cross between the orders.
  bool laneOrder() const {
    return plan.bStride == 2 && vw == 8 && !plan.aVector && !plan.v;
  }

  /// A vector between lane order and the kernel's (the permutation is its
  /// own inverse); itself where the kernel keeps lane order.
  Value reorder(OpBuilder &b, Location loc, Value v) {
    if (!laneOrder())
      return v;
    return vector::ShuffleOp::create(b, loc, v, v, kHalfLaneOrder);
  }

  /// The accumulator's start at the current ivs: the folded init, or the
  /// output as it is.
  Value initVector(OpBuilder &b, Location loc, Value c, AffineMap cMap,
                   Value mask) {
    if (init.scalar)
      return vector::BroadcastOp::create(b, loc, vecType, init.scalar);
    if (!init.source)
      return loadVector(b, loc, c, cMap, mask);
    if (usesDim(init.sourceMap, plan.n))
      return loadVector(b, loc, init.source, init.sourceMap, mask);
    Value s = memref::LoadOp::create(b, loc, init.source,
                                     indices(b, loc, init.sourceMap));
    return vector::BroadcastOp::create(b, loc, vecType, s);
  }

  /// Sets the row and column ivs of block element (i, j).
  void at(OpBuilder &b, Location loc, ArrayRef<Value> rowIvs, Value n0,
          int64_t i, int64_t j) {
    if (plan.m)
      ivs[*plan.m] = rowIvs[i];
    // With plan.v, n0 is the first vector's index along v and n is 0.
    if (plan.v)
      ivs[plan.n] = cst(b, loc, 0);
    ivs[colDim()] =
        j == 0 ? n0
               : arith::AddIOp::create(b, loc, n0, cst(b, loc, j * colStep()))
                     .getResult();
  }

  /// The loop the block's vectors run along, and its step per vector: n
  /// by lanes, or plan.v (channel blocks) by one.
  unsigned colDim() const { return plan.v ? *plan.v : plan.n; }
  int64_t colStep() const { return plan.v ? 1 : vw; }

  void emitBlock(OpBuilder &b, Location loc, Value m0, int64_t rows, Value n0,
                 int64_t vectors, Value mask, Value left) {
    Value a = inputs[plan.aIdx], bIn = inputs[plan.bIdx];
    Value c = op.getDpsInits()[0];
    AffineMap aMap = maps[plan.aIdx], bMap = maps[plan.bIdx], cMap = maps.back();
    SmallVector<Value> rowIvs;
    for (int64_t i = 0; i < rows; ++i)
      rowIvs.push_back(i == 0 ? m0
                              : arith::AddIOp::create(b, loc, m0, cst(b, loc, i))
                                    .getResult());
    // Only the block's last vector is masked.
    auto maskOf = [&](int64_t j) { return j == vectors - 1 ? mask : Value(); };
    auto leftOf = [&](int64_t j) { return j == vectors - 1 ? left : Value(); };
    SmallVector<Value> accs;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        at(b, loc, rowIvs, n0, i, j);
        accs.push_back(reorder(b, loc, initVector(b, loc, c, cMap, maskOf(j))));
      }
    scf::LoopNest nest = reductionNest(
        b, loc, plan.reductions, accs,
        [&](OpBuilder &b, Location loc, ValueRange acc) -> scf::ValueVector {
          SmallVector<Value> bVecs(vectors), aVals(rows),
              aVecs(rows * vectors);
          scf::ValueVector next;
          for (int64_t i = 0; i < rows; ++i) {
            for (int64_t j = 0; j < vectors; ++j) {
              at(b, loc, rowIvs, n0, i, j);
              if (plan.combiner) {
                Value bv =
                    loadStridedB(b, loc, bIn, bMap, maskOf(j), leftOf(j));
                next.push_back(combine(b, loc, bv, acc[i * vectors + j]));
                continue;
              }
              Value av;
              if (plan.aVector) {
                // One A vector per column (and row, if A varies by row).
                Value &slot = aVecs[plan.aPerRow ? i * vectors + j : j];
                if (!slot)
                  slot = loadVector(b, loc, a, aMap, maskOf(j));
                av = slot;
              } else {
                if (!aVals[i] && (i == 0 || plan.aPerRow)) {
                  Value s = memref::LoadOp::create(b, loc, a,
                                                   indices(b, loc, aMap));
                  aVals[i] = vector::BroadcastOp::create(b, loc, vecType, s);
                } else if (!aVals[i]) {
                  aVals[i] = aVals[0];
                }
                av = aVals[i];
              }
              Value bv = bVecs[j];
              if (!bv || plan.bPerRow) {
                bv = loadStridedB(b, loc, bIn, bMap, maskOf(j), leftOf(j));
                bVecs[j] = bv;
              }
              next.push_back(mulAdd(b, loc, av, bv, acc[i * vectors + j]));
            }
          }
          return next;
        });
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        at(b, loc, rowIvs, n0, i, j);
        Value v = reorder(b, loc, nest.results[i * vectors + j]);
        if (epilogue) {
          Value residual;
          if (split.residual)
            residual = loadVector(b, loc, split.residual, split.residualMap,
                                  maskOf(j));
          v = applyEpilogue(b, loc, epilogue, v, split.accArg, residual,
                            split.residualArg);
        }
        SmallVector<Value> idx = indices(b, loc, outMap);
        if (split.segments)
          storeSplit(b, loc, v, idx[0], maskOf(j));
        else if (maskOf(j))
          vector::MaskedStoreOp::create(b, loc, out, idx, maskOf(j), v);
        else
          vector::StoreOp::create(b, loc, v, out, idx);
      }
  }

  /// A vector of the flattened map stored row by row: lanes of row r
  /// (w0 + lane in [r*Pc, r*Pc + W), w0 = the first element's column, Pc
  /// the compute pitch) go to flat + r*(pitch - Pc), one masked store per
  /// row touched. With Pc > W (a pitched convolution) the lanes in
  /// between are junk and stored nowhere; the base of a row the vector
  /// only reaches with its last lanes may lie before the buffer, which the
  /// mask keeps from being written (the GEP is not inbounds).
  void storeSplit(OpBuilder &b, Location loc, Value v, Value flat, Value tail) {
    int64_t pc = split.computePitch ? split.computePitch : split.width;
    Value w0 = arith::RemUIOp::create(b, loc, ivs[plan.n], cst(b, loc, pc));
    auto maskType = VectorType::get({vw}, b.getI1Type());
    auto below = [&](Value n) -> Value {
      n = arith::MaxSIOp::create(b, loc, n, cst(b, loc, 0));
      return vector::CreateMaskOp::create(b, loc, maskType, ValueRange{n});
    };
    Value allOn = below(cst(b, loc, vw));
    for (int64_t r = 0; r < split.segments; ++r) {
      Value lo = arith::SubIOp::create(b, loc, cst(b, loc, r * pc), w0);
      Value hi =
          arith::SubIOp::create(b, loc, cst(b, loc, r * pc + split.width), w0);
      Value m = arith::AndIOp::create(
          b, loc, below(hi), arith::XOrIOp::create(b, loc, below(lo), allOn));
      if (tail)
        m = arith::AndIOp::create(b, loc, m, tail);
      Value at =
          arith::AddIOp::create(b, loc, flat, cst(b, loc, r * (split.pitch - pc)));
      vector::MaskedStoreOp::create(b, loc, out, ValueRange{at}, m, v);
    }
  }

  /// The pool's combining op on vectors: f(element, acc) in the body's
  /// operand order.
  Value combine(OpBuilder &b, Location loc, Value element, Value acc) {
    Operation *f = plan.combiner;
    // maximumf / minimumf as compare + select, which x86 does in one
    // max/min (it returns the second operand when either is NaN, so a NaN
    // accumulator sticks), plus a select for a NaN element: NaN propagates
    // as maximumf's does in 3 instructions where LLVM's lowering of
    // llvm.maximum takes 5-6 (its signed-zero ordering is what is left
    // out: max(+0, -0) may give -0, which compares equal).
    if (isa<arith::MaximumFOp, arith::MinimumFOp>(f)) {
      auto pred = isa<arith::MaximumFOp>(f) ? arith::CmpFPredicate::OGT
                                            : arith::CmpFPredicate::OLT;
      Value better = arith::CmpFOp::create(b, loc, pred, element, acc);
      Value picked = arith::SelectOp::create(b, loc, better, element, acc);
      Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                        element, element);
      return arith::SelectOp::create(b, loc, nan, element, picked);
    }
    Value in = op.getBlock()->getArgument(0);
    SmallVector<Value> operands = {f->getOperand(0) == in ? element : acc,
                                   f->getOperand(1) == in ? element : acc};
    OperationState state(loc, f->getName(), operands, {vecType},
                         f->getAttrs());
    return b.create(state)->getResult(0);
  }

  const Plan &plan;
  int64_t mr, nv;
  linalg::GenericOp epilogue;
  Value out;       // where the block is stored: C, or the epilogue's buffer
  AffineMap outMap; // its indices
  Epilogue split;   // rows the stores are split into (segments > 0)
};

class ChannelEmitter : EmitterBase {
public:
  ChannelEmitter(linalg::LinalgOp op, const Plan &plan, const ChannelPlan &cp,
                 int64_t vectorWidth, bool parallelize, Init init, bool fma,
                 linalg::GenericOp epilogue, int64_t l2Bytes)
      : EmitterBase(op, vectorWidth, parallelize, init, fma), plan(plan),
        cp(cp), nv(cp.vectors), epilogue(epilogue), l2Bytes(l2Bytes) {}

  void emit(OpBuilder &b) {
    Location loc = op.getLoc();
    int64_t chunk = reductionChunk();
    if (!chunk)
      return emitChannels(b);
    // The first reduction loop in chunks, each over every block, so one
    // chunk's A panel and B rows stay in L2 while the blocks reuse them
    // (ResNet-18's 7x7 layers: 9.4 MB of weights, and 0.9 MB of B re-read
    // per channel block from L3 without chunks). Partial sums go to the
    // output and come back; the init starts the first chunk, the epilogue
    // ends the last.
    int64_t k = op.getStaticLoopRanges()[plan.reductions.front()];
    loop(b, loc, cst(b, loc, 0), cst(b, loc, k), chunk, false,
         [&](OpBuilder &b, Location loc, Value k0) {
           Value k1 = arith::AddIOp::create(b, loc, k0, cst(b, loc, chunk));
           kRange = {k0, k1};
           isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           k0, cst(b, loc, 0));
           isLast = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, k1,
                                          cst(b, loc, k));
           emitChannels(b);
         });
  }

private:
  /// Steps of the first reduction loop per chunk, or 0 for no chunks: the
  /// largest divisor of its size whose slice of the working set takes at
  /// most half of L2, where all of it does not fit. The working set is
  /// what is re-read between two reads of one element: all of B, and the
  /// A panel of one channel block when the channel blocks run outermost,
  /// or all of A when outer iterations (a batch) run around them. Chunks
  /// of fewer than 32 reduction steps would spend more on the partial
  /// sums (a gather and a scatter per accumulator) than they save.
  int64_t reductionChunk() {
    if (!l2Bytes || plan.reductions.empty())
      return 0;
    // (Before the emitter's sizes exist: the op's static ranges.)
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return 0;
    int64_t k = ranges[plan.reductions.front()], inner = 1;
    for (unsigned d : ArrayRef(plan.reductions).drop_front())
      inner *= ranges[d];
    int64_t columns = ranges[plan.n], outerTrips = 1;
    for (unsigned d : plan.outer) {
      columns *= ranges[d];
      if (d != cp.across)
        outerTrips *= ranges[d];
    }
    if (k <= 0 || inner <= 0 || columns <= 0)
      return 0;
    int64_t aPerStep = inner * (outerTrips > 1 ? ranges[*plan.m] : vw * nv);
    // B per step: its buffer over k where static (a convolution's input
    // map, each element shared by the window's taps), else one element
    // per column and tap.
    int64_t bPerStep = inner * columns;
    auto bType = dyn_cast<MemRefType>(op.getDpsInputs()[plan.bIdx].getType());
    if (bType && bType.hasStaticShape())
      bPerStep = llvm::divideCeil(bType.getNumElements(), k);
    int64_t perStep = (aPerStep + bPerStep) * 4;
    if (k * perStep <= l2Bytes / 2)
      return 0;
    for (int64_t c = l2Bytes / 2 / perStep; c >= 1; --c)
      if (k % c == 0)
        return c * inner >= 32 ? c : 0;
    return 0;
  }

  void emitChannels(OpBuilder &b) {
    SmallVector<unsigned> outer(plan.outer);
    if (cp.across)
      llvm::erase(outer, *cp.across);
    emitOuter(b, outer, [&](OpBuilder &b, Location loc, bool parallel) {
      int64_t m = staticSize(*plan.m, -1), blk = vw * nv;
      int64_t full = m / blk * blk;
      loop(b, loc, cst(b, loc, 0), cst(b, loc, full), blk, parallel,
           [&](OpBuilder &b, Location loc, Value m0) {
             columns(b, loc, m0, nv);
           });
      if (m % blk)
        columns(b, loc, cst(b, loc, full), (m % blk) / vw);
    });
  }

  void columns(OpBuilder &b, Location loc, Value m0, int64_t vectors) {
    int64_t n = staticSize(plan.n, -1);
    if (cp.across)
      n *= staticSize(*cp.across, -1);
    balancedBlocks(b, loc, n, cp.rows, false,
                   [&](OpBuilder &b, Location loc, Value p0, int64_t rows) {
                     block(b, loc, m0, vectors, p0, rows);
                   });
  }

  Value offset(OpBuilder &b, Location loc, Value v, int64_t c) {
    return c ? arith::AddIOp::create(b, loc, v, cst(b, loc, c)).getResult()
             : v;
  }

  void block(OpBuilder &b, Location loc, Value m0, int64_t vectors, Value p0,
             int64_t rows) {
    unsigned m = *plan.m, n = plan.n;
    Value aBlock = arith::DivUIOp::create(b, loc, m0, cst(b, loc, vw * nv));
    auto idxType = VectorType::get({vw}, b.getI32Type());
    auto offsetsOf = [&](int64_t stride) -> Value {
      SmallVector<int32_t> lanes;
      for (int64_t l = 0; l < vw; ++l)
        lanes.push_back(int32_t(l * stride));
      return arith::ConstantOp::create(
          b, loc, idxType, DenseElementsAttr::get(idxType, ArrayRef(lanes)));
    };
    Value laneOffsets = offsetsOf(cp.mStride);
    Value residualOffsets =
        cp.residual ? offsetsOf(cp.residualStride) : Value();
    Value all = vector::ConstantMaskOp::create(
        b, loc, VectorType::get({vw}, b.getI1Type()),
        vector::ConstantMaskKind::AllTrue);
    // Column i's indices: p0 + i along n, or split into (across, n)
    // when the columns run across the rows of the map.
    SmallVector<Value> colN, colRow;
    Value width = cst(b, loc, staticSize(n, -1));
    for (int64_t i = 0; i < rows; ++i) {
      Value q = offset(b, loc, p0, i);
      if (!cp.across) {
        colN.push_back(q);
        continue;
      }
      colRow.push_back(arith::DivUIOp::create(b, loc, q, width));
      colN.push_back(arith::RemUIOp::create(b, loc, q, width));
    }
    auto setColumn = [&](int64_t i) {
      ivs[n] = colN[i];
      if (cp.across)
        ivs[*cp.across] = colRow[i];
    };
    // Where accumulator (i, j) lives in the output.
    auto position = [&](OpBuilder &b, int64_t i, int64_t j,
                        AffineExpr pos) {
      ivs[m] = offset(b, loc, m0, j * vw);
      setColumn(i);
      return affine::expandAffineExpr(b, loc, pos, ivs, {});
    };
    SmallVector<Value> accs;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        Value acc;
        if (init.scalar)
          acc = vector::BroadcastOp::create(b, loc, vecType, init.scalar);
        else
          acc = vector::LoadOp::create(
              b, loc, vecType, cp.bias, ValueRange{offset(b, loc, m0, j * vw)});
        // Past the first chunk: the partial sums stored by the last one.
        if (kRange) {
          Value partial = vector::GatherOp::create(
              b, loc, vecType, cp.flat, ValueRange{position(b, i, j, cp.pos)},
              laneOffsets, all, acc);
          acc = arith::SelectOp::create(b, loc, isFirst, acc, partial);
        }
        accs.push_back(acc);
      }
    // A's indices between the block and the lane: the reduction loops.
    AffineMap aMap = cp.a.map;
    AffineMap kMap = AffineMap::get(
        aMap.getNumDims(), 0, aMap.getResults().drop_front().drop_back(),
        op.getContext());
    Value bIn = inputs[plan.bIdx];
    AffineMap bMap = maps[plan.bIdx];
    scf::LoopNest nest = reductionNest(
        b, loc, plan.reductions, accs,
        [&](OpBuilder &b, Location loc, ValueRange acc) -> scf::ValueVector {
          SmallVector<Value> aVecs;
          for (int64_t j = 0; j < vectors; ++j) {
            SmallVector<Value> idx = {aBlock};
            llvm::append_range(idx, indices(b, loc, kMap));
            idx.push_back(cst(b, loc, j * vw));
            aVecs.push_back(
                vector::LoadOp::create(b, loc, vecType, cp.a.value, idx));
          }
          scf::ValueVector next;
          for (int64_t i = 0; i < rows; ++i) {
            setColumn(i);
            Value s = memref::LoadOp::create(b, loc, bIn, indices(b, loc, bMap));
            Value bc = vector::BroadcastOp::create(b, loc, vecType, s);
            for (int64_t j = 0; j < vectors; ++j)
              next.push_back(mulAdd(b, loc, bc, aVecs[j], acc[i * vectors + j]));
          }
          return next;
        },
        kRange);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < vectors; ++j) {
        Value v = nest.results[i * vectors + j];
        if (epilogue) {
          Value residual;
          if (cp.residual)
            residual = vector::GatherOp::create(
                b, loc, vecType, cp.residual,
                ValueRange{position(b, i, j, cp.residualPos)},
                residualOffsets, all, v);
          Value done = applyEpilogue(b, loc, epilogue, v, cp.accArg, residual,
                                     cp.residualArg);
          v = kRange ? arith::SelectOp::create(b, loc, isLast, done, v)
                           .getResult()
                     : done;
        }
        vector::ScatterOp::create(b, loc, Type(), cp.flat,
                                  ValueRange{position(b, i, j, cp.pos)}, laneOffsets,
                                  all, v);
      }
  }

  const Plan &plan;
  const ChannelPlan &cp;
  int64_t nv;
  linalg::GenericOp epilogue;
  int64_t l2Bytes;
  // The current chunk of the first reduction loop, and whether it is the
  // first or the last (unset without chunks).
  std::optional<std::pair<Value, Value>> kRange;
  Value isFirst, isLast;
};

/// Emits the dot-product form of one contraction.
class DotEmitter : EmitterBase {
public:
  DotEmitter(linalg::LinalgOp op, const DotPlan &plan, int64_t vectorWidth,
             int64_t rows, bool parallelize, Init init, bool fma)
      : EmitterBase(op, vectorWidth, parallelize, init, fma), plan(plan),
        rows(rows) {}

  void emit(OpBuilder &b) {
    emitOuter(b, plan.outer, [&](OpBuilder &b, Location loc, bool parallel) {
      forRowBlocks(b, loc, plan.r, rows, parallel,
                   [&](OpBuilder &b, Location loc, Value r0, int64_t n) {
                     emitBlock(b, loc, r0, n);
                   });
    });
  }

private:
  void setRow(SmallVector<Value> &rowIvs, int64_t i) {
    if (plan.r)
      ivs[*plan.r] = rowIvs[i];
  }

  /// One step along k for every row of the block (masked in the tail).
  SmallVector<Value> step(OpBuilder &b, Location loc, SmallVector<Value> &rowIvs,
                          ValueRange acc, Value mask) {
    SmallVector<Value> next;
    Value aVec, bVec;
    for (int64_t i = 0; i < (int64_t)rowIvs.size(); ++i) {
      setRow(rowIvs, i);
      if (!aVec || plan.aPerRow)
        aVec = loadVector(b, loc, inputs[0], maps[0], mask);
      if (!bVec || plan.bPerRow)
        bVec = loadVector(b, loc, inputs[1], maps[1], mask);
      next.push_back(mulAdd(b, loc, aVec, bVec, acc[i]));
    }
    return next;
  }

  void emitBlock(OpBuilder &b, Location loc, Value r0, int64_t n) {
    SmallVector<Value> rowIvs;
    for (int64_t i = 0; i < n; ++i)
      rowIvs.push_back(i == 0 ? r0
                              : arith::AddIOp::create(b, loc, r0, cst(b, loc, i))
                                    .getResult());
    SmallVector<Value> accs(n, zeroVector(b, loc, vecType));
    Value kSize = sizes[plan.k];
    Value kFull = fullEnd(b, loc, kSize, vw);
    auto full = scf::ForOp::create(
        b, loc, cst(b, loc, 0), kFull, cst(b, loc, vw), accs,
        [&](OpBuilder &b, Location loc, Value k0, ValueRange acc) {
          ivs[plan.k] = k0;
          scf::YieldOp::create(b, loc, step(b, loc, rowIvs, acc, Value()));
        });
    auto tail = scf::ForOp::create(
        b, loc, kFull, kSize, cst(b, loc, vw), full.getResults(),
        [&](OpBuilder &b, Location loc, Value k0, ValueRange acc) {
          ivs[plan.k] = k0;
          Value left = arith::SubIOp::create(b, loc, kSize, k0);
          Value mask = vector::CreateMaskOp::create(
              b, loc, VectorType::get({vw}, b.getI1Type()), ValueRange{left});
          scf::YieldOp::create(b, loc, step(b, loc, rowIvs, acc, mask));
        });
    Value c = op.getDpsInits()[0];
    for (int64_t i = 0; i < n; ++i) {
      setRow(rowIvs, i);
      Value sum = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, tail.getResult(i));
      SmallVector<Value> idx = indices(b, loc, maps[2]);
      Value old =
          init.scalar ? init.scalar : memref::LoadOp::create(b, loc, c, idx);
      memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, old, sum),
                              c, idx);
    }
  }

  const DotPlan &plan;
  int64_t rows;
};

} // namespace

void emitRows(RewriterBase &rewriter, linalg::LinalgOp op, const Plan &plan,
              const KernelShape &shape, const Init &init,
              const Epilogue &epilogue, const std::optional<Pitched> &pitch) {
  rewriter.setInsertionPoint(op);
  BlockEmitter emitter(op, plan, shape.vw, shape.mr, shape.nv, shape.parallel,
                       init, shape.fma, epilogue);
  if (pitch)
    emitter.pitch(rewriter, *pitch);
  emitter.l1Bytes = shape.l1Bytes;
  emitter.l2Bytes = shape.l2Bytes;
  emitter.emit(rewriter);
}

void emitChannels(RewriterBase &rewriter, linalg::LinalgOp op,
                  const Plan &plan, const ChannelPlan &cp,
                  const KernelShape &shape, const Init &init,
                  linalg::GenericOp epilogue) {
  rewriter.setInsertionPoint(op);
  ChannelEmitter(op, plan, cp, shape.vw, shape.parallel, init, shape.fma,
                 epilogue, shape.l2Bytes)
      .emit(rewriter);
}

void emitDot(RewriterBase &rewriter, linalg::LinalgOp op, const DotPlan &plan,
             const KernelShape &shape, const Init &init) {
  rewriter.setInsertionPoint(op);
  DotEmitter(op, plan, shape.vw, shape.mr, shape.parallel, init, shape.fma)
      .emit(rewriter);
}

} // namespace mnemo::register_tile
