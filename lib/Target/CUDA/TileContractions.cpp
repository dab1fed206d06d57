//===- TileContractions.cpp - matmuls as shared-memory tiled kernels ------===//
//
// The generic route (MapParallelLoops.cpp) gives each thread one element of
// C and its whole K loop: A and B are read from global memory K times per
// element. Here one block stages BM x BK and BK x BN tiles in shared memory
// and each thread keeps a TM x TN sub-tile of C in registers, so global
// traffic drops by BM and BN and the inner loop is shared-memory vector
// loads and FMAs (the classic SIMT SGEMM), or, with tf32 or fp16, each
// warp's mma.sync products on tensor cores.
// Convolutions go the same way as implicit GEMMs: the loops that index only
// the output and one input form a (flattened) row or column dim, the
// reductions the K dim, and a tile element's address is the operand's own
// indexing map at the delinearized loop point; nothing is copied to an
// im2col buffer.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CUDA/LoopPoint.h"
#include "mnemo/Target/CUDA/Passes.h"

#include "mnemo/Support/MulAdd.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mnemo {
#define GEN_PASS_DEF_TILECONTRACTIONSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kWarp = 32;

/// One block shape: a BM x BN tile of C, K in steps of BK. SIMT shapes
/// give each of 256 threads a TM x TN sub-tile; tensor-core shapes
/// (warpsM > 0) give each warp of a warpsM x warpsN grid a
/// (BM/warpsM) x (BN/warpsN) tile of m16n8kK products (K = mmaK: 8 for
/// tf32, 16 for fp16). Tiles are staged [BK][rows], or, for fp16
/// (eltBytes 2), [rows][BK]: an f16 fragment register holds two
/// neighbours along K, then one 32-bit shared load. Staged rows are padded
/// by `pad` elements so that a column written by consecutive threads (an
/// operand contiguous along K), or read by a fragment's 4 x 8 lanes,
/// spreads over the banks; rows stay 16-byte aligned.
struct TileShape {
  int64_t bm, bn, bk, tm, tn, warpsM = 0, warpsN = 0, pad = 4, mmaK = 8,
                                eltBytes = 4;
  bool tensorCores() const { return warpsM > 0; }
  bool kMajor() const { return eltBytes == 2; }
  int64_t threads() const {
    return tensorCores() ? kWarp * warpsM * warpsN : (bm / tm) * (bn / tn);
  }
  /// The staged shape of an operand with `rows` rows (BM or BN).
  SmallVector<int64_t, 2> staged(int64_t rows) const {
    if (kMajor())
      return {rows, bk + pad};
    return {bk, rows + pad};
  }
  int64_t smemBytes() const {
    auto elements = [&](int64_t rows) {
      SmallVector<int64_t, 2> d = staged(rows);
      return d[0] * d[1];
    };
    return eltBytes * (elements(bm) + elements(bn));
  }
};

/// Largest first; every shape's staged tiles are whole multiples of the
/// block (each thread copies the same number of elements).
constexpr TileShape kShapes[] = {
    {128, 128, 8, 8, 8}, {64, 128, 8, 4, 8}, {128, 64, 8, 8, 4},
    {64, 64, 16, 4, 4},  {32, 64, 16, 2, 4}, {16, 64, 16, 1, 4},
};
/// tf32 m16n8k8 (--gpu-precision=tf32): warp tiles of 64x32 down to 16x16.
constexpr TileShape kMmaShapes[] = {
    {128, 128, 16, 0, 0, 2, 4, 8},
    {64, 64, 16, 0, 0, 2, 2, 8},
    {32, 64, 16, 0, 0, 1, 4, 8},
    {16, 64, 16, 0, 0, 1, 4, 8},
};
/// fp16 and bf16 m16n8k16 (--gpu-precision=fp16|bf16): the same warp
/// tiles; 2-byte staging halves the bytes of a K step, so BK is 32. Rows of 32 + 8 halves (20
/// words) put a fragment's 8 rows x 4 pairs in 32 banks.
constexpr TileShape kMmaF16Shapes[] = {
    {128, 128, 32, 0, 0, 2, 4, 8, 16, 2},
    {64, 64, 32, 0, 0, 2, 2, 8, 16, 2},
    {32, 64, 32, 0, 0, 1, 4, 8, 16, 2},
    {16, 64, 32, 0, 0, 1, 4, 8, 16, 2},
};

/// A contraction the kernel builder handles. Loops fall in groups by the
/// operands that use them: `m` (the A input and the output), `n` (the B
/// input and the output), `k` (reductions) and `batch` (all three). B is
/// the input sharing the output's innermost loop, so that consecutive
/// threads, which walk N, store consecutive addresses of C. Each group is
/// one flattened GEMM dim, innermost loop fastest.
struct Contraction {
  linalg::LinalgOp op;
  unsigned a, b; // input positions playing A (rows) and B (columns)
  SmallVector<unsigned> batch, m, n, k;
};

bool uses(AffineExpr e, unsigned d) { return e.isFunctionOfDim(d); }

/// What the kernel's store of C absorbs from the ops around the
/// contraction (the generic route would launch each as a kernel that
/// writes or reads all of C again): the fill or bias broadcast that
/// initializes C right before it, and the elementwise op right after it
/// that reads C (a ReLU, a clip, a residual add) into D.
struct Folds {
  Operation *init = nullptr;      // linalg.fill or the broadcast generic
  Value initScalar;               // fill: its value
  Value initSource;               // broadcast: what it reads ...
  AffineMap initMap;              // ... at this map of C's indices
  linalg::GenericOp epilogue;     // elementwise (C, R...) -> D
};

/// Results that are loops or constants: evaluated at a point by reading
/// the loop's value or materializing the constant (no affine.apply).
bool isDimsOrConstants(AffineMap map) {
  return llvm::all_of(map.getResults(), [](AffineExpr e) {
    return isa<AffineDimExpr, AffineConstantExpr>(e);
  });
}

/// An elementwise op on buffers that writes every element of its one
/// output without reading it (the output's block argument is unused).
bool writesEveryElement(linalg::GenericOp g) {
  OpOperand *init =
      g.getNumDpsInits() == 1 ? g.getDpsInitOperand(0) : nullptr;
  return init && g.hasPureBufferSemantics() &&
         g.getNumLoops() == g.getNumParallelLoops() &&
         g.getMatchingIndexingMap(init).isIdentity() &&
         g.getMatchingBlockArgument(init).use_empty();
}

/// The buffer a view is of.
Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// Whether no op after `after` reads what buffer `buf` holds then: its
/// next use overwrites all of it (a fill, or an elementwise op that
/// writes every element without reading it: the bias broadcast of the
/// next layer reusing the buffer) or frees it, or there is none.
/// Bufferization reuses a buffer from layer to layer, so C has uses
/// before the product and after its epilogue.
bool deadAfter(Value buf, Operation *after) {
  Block *block = after->getBlock();
  Operation *next = nullptr;
  for (Operation *user : buf.getUsers()) {
    Operation *at = block->findAncestorOpInBlock(*user);
    if (!at)
      return false;
    if (at != after && after->isBeforeInBlock(at) &&
        (!next || at->isBeforeInBlock(next)))
      next = at;
  }
  if (!next || isa<memref::DeallocOp>(next))
    return true;
  if (auto fill = dyn_cast<linalg::FillOp>(next))
    return fill.getOutputs()[0] == buf;
  auto g = dyn_cast<linalg::GenericOp>(next);
  if (!g || !writesEveryElement(g) || g.getOutputs()[0] != buf)
    return false;
  return llvm::none_of(g.getInputs(), [&](Value in) {
    return rootOf(in) == buf;
  });
}

/// The ops around `c` its kernel can take over (see Folds).
Folds findFolds(linalg::LinalgOp op) {
  Folds f;
  Value out = op.getDpsInitOperand(0)->get();
  Operation *prev = op->getPrevNode();
  if (auto fill = dyn_cast_or_null<linalg::FillOp>(prev);
      fill && fill.getOutputs()[0] == out) {
    f.init = fill;
    f.initScalar = fill.getInputs()[0];
  } else if (auto g = dyn_cast_or_null<linalg::GenericOp>(prev);
             g && writesEveryElement(g) && g.getNumDpsInputs() == 1 &&
             g.getOutputs()[0] == out &&
             g.getBody()->getOperations().size() == 1 &&
             cast<linalg::YieldOp>(g.getBody()->getTerminator())
                     .getValues()[0] == g.getBody()->getArgument(0) &&
             isDimsOrConstants(g.getIndexingMapsArray()[0])) {
    f.init = g;
    f.initSource = g.getInputs()[0];
    f.initMap = g.getIndexingMapsArray()[0];
  }
  // The elementwise op reads C, a buffer of its own, and no one reads C's
  // values before the op after it (checked below), so that C need not be
  // written at all. It may read other tensors R at any loops of C's
  // (a residual, a per-channel scale); each thread reads them at the
  // element it stores. Between the two there may be allocations, views
  // and fills of other buffers (the next layer's padded input, which the
  // op writes into): the kernel then goes after them, where the op was.
  Operation *next = op->getNextNode();
  while (next && (isa<memref::AllocOp, ViewLikeOpInterface>(next) ||
                  (isa<linalg::FillOp>(next) &&
                   llvm::none_of(op->getOperands(), [&](Value v) {
                     return rootOf(v) ==
                            rootOf(cast<linalg::FillOp>(next).getOutputs()[0]);
                   }))))
    next = next->getNextNode();
  auto e = dyn_cast_or_null<linalg::GenericOp>(next);
  if (!e || !writesEveryElement(e) || !out.getDefiningOp<memref::AllocOp>())
    return f;
  Value dest = rootOf(e.getOutputs()[0]);
  bool readsC = false;
  for (OpOperand *in : e.getDpsInputOperands()) {
    AffineMap map = e.getMatchingIndexingMap(in);
    if (in->get() == out) {
      readsC = true;
      if (!map.isIdentity())
        return f;
      continue;
    }
    // D may be R itself (an add in place), read and written at the same
    // element by one thread; never another view of R's buffer.
    if (!isDimsOrConstants(map) ||
        (rootOf(in->get()) == dest &&
         (in->get() != e.getOutputs()[0] || !map.isIdentity())))
      return f;
  }
  if (!readsC)
    return f;
  for (Operation &bodyOp : e.getBody()->without_terminator())
    if (!isPure(&bodyOp) || bodyOp.getNumRegions() ||
        isa<linalg::IndexOp>(bodyOp))
      return f;
  // C's values before the epilogue must have no reader after it (they are
  // never stored), unless the epilogue writes C itself in place.
  if (e.getOutputs()[0] != out && !deadAfter(out, e))
    return f;
  // Blocks store D while others still read the inputs: D must not be one
  // of them (bufferization may write a dead input's buffer in place).
  for (Value in : op.getDpsInputs())
    if (rootOf(in) == dest)
      return f;
  f.epilogue = e;
  return f;
}

FailureOr<Contraction> match(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0)
    return failure();
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !type.getElementType().isF32() || type.getRank() == 0)
      return failure();
  }
  if (!mnemo::isMulAddBody(op))
    return failure();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap out = maps[2];
  if (!out.isProjectedPermutation())
    return failure();
  // Sums and constant multiples of loops only: a div or mod would need a
  // different delinearization per operand.
  for (AffineMap map : maps)
    for (AffineExpr e : map.getResults())
      if (!e.isPureAffine() || e.getKind() == AffineExprKind::Mod ||
          e.getKind() == AffineExprKind::FloorDiv ||
          e.getKind() == AffineExprKind::CeilDiv)
        return failure();
  auto usedBy = [&](AffineMap map, unsigned d) {
    return llvm::any_of(map.getResults(),
                        [&](AffineExpr e) { return uses(e, d); });
  };
  Contraction c{op, 0, 1, {}, {}, {}, {}};
  unsigned inner =
      cast<AffineDimExpr>(out.getResults().back()).getPosition();
  if (usedBy(maps[0], inner) && !usedBy(maps[1], inner))
    std::swap(c.a, c.b);
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    bool inA = usedBy(maps[c.a], d), inB = usedBy(maps[c.b], d);
    if (iters[d] == utils::IteratorType::reduction)
      c.k.push_back(d);
    else if (!usedBy(out, d))
      return failure();
    else if (inA && inB)
      c.batch.push_back(d);
    else if (inA)
      c.m.push_back(d);
    else if (inB)
      c.n.push_back(d);
    else
      return failure(); // a loop only the output uses: a broadcast
  }
  // A depthwise convolution has no column dim: every output channel has
  // its own filter. It stays on the generic route (a few taps a thread).
  if (c.m.empty() || c.n.empty())
    return failure();
  return c;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The shape the modelled traffic favours (see the pass description), or
/// nothing when none fits the budget. Unknown sizes count as large.
std::optional<TileShape> chooseShape(ArrayRef<TileShape> shapes, int64_t m,
                                     int64_t n, int64_t k, int64_t batch,
                                     int64_t budget, int64_t smCount) {
  auto known = [](int64_t v) { return ShapedType::isDynamic(v) ? 4096 : v; };
  m = known(m), n = known(n), k = known(k), batch = known(batch);
  std::optional<TileShape> best;
  int64_t bestBlocks = 0;
  double bestTraffic = 0;
  for (const TileShape &s : shapes) {
    if (s.smemBytes() > budget)
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

int64_t smallestSmem(ArrayRef<TileShape> shapes) {
  int64_t least = INT64_MAX;
  for (const TileShape &s : shapes)
    least = std::min(least, s.smemBytes());
  return least;
}

/// Product of static sizes (dynamic if any is).
int64_t staticProduct(ArrayRef<int64_t> sizes, ArrayRef<unsigned> dims) {
  int64_t p = 1;
  for (unsigned d : dims) {
    if (ShapedType::isDynamic(sizes[d]))
      return ShapedType::kDynamic;
    p *= sizes[d];
  }
  return p;
}

/// Builds the kernel that replaces one contraction.
class KernelBuilder {
public:
  /// `half`: what tiles of 2-byte shapes are staged as (f16 or bf16).
  KernelBuilder(Contraction c, const TileShape &s, const Folds &folds,
                Type half, OpBuilder &b)
      : c(c), s(s), folds(folds), half(half), b(c.op.getLoc(), b) {}

  void build() {
    loops.emplace(c.op, b);
    sizeM = product(c.m), sizeN = product(c.n), sizeK = product(c.k);
    Value one = cst(1);
    Value gridX = ceilDivValue(sizeN, s.bn), gridY = ceilDivValue(sizeM, s.bm);
    Value gridZ = product(c.batch);

    Attribute shared =
        gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
    Type elt = stagedElementType();
    auto stagedA = MemRefType::get(s.staged(s.bm), elt, nullptr, shared);
    auto stagedB = MemRefType::get(s.staged(s.bn), elt, nullptr, shared);
    auto launch = gpu::LaunchOp::create(
        b, gridX, gridY, gridZ, cst(s.threads()), one, one,
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
  Folds folds;
  Type half;
  ImplicitLocOpBuilder b;
  std::optional<mnemo::cuda::LoopPoints> loops;
  Value sizeM, sizeN, sizeK;

  /// What the tiles are staged as: the fragments' element type.
  Type stagedElementType() {
    return s.eltBytes == 2 ? half : Type(b.getF32Type());
  }
  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value add(Value x, Value y) {
    if (getConstantIntValue(y) == 0)
      return x;
    return arith::AddIOp::create(b, x, y);
  }
  Value mul(Value x, int64_t y) { return arith::MulIOp::create(b, x, cst(y)); }
  Value ceilDivValue(Value x, int64_t y) {
    return arith::CeilDivUIOp::create(b, x, cst(y));
  }
  Value lessThan(Value x, Value bound) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, bound);
  }
  Value product(ArrayRef<unsigned> dims) { return loops->product(dims); }
  void delinearize(Value flat, ArrayRef<unsigned> dims,
                   SmallVectorImpl<Value> &point) {
    loops->delinearize(flat, dims, point);
  }
  SmallVector<Value> indices(OpOperand &o, ArrayRef<Value> point) {
    return loops->indices(o, point);
  }

  /// Whether neighbouring addresses of operand `o` step through its K
  /// loops rather than its row/column group (then threads number the
  /// staged tile along K).
  bool contiguousAlongK(OpOperand &o, ArrayRef<unsigned> group) {
    AffineExpr last = c.op.getMatchingIndexingMap(&o).getResults().back();
    return !uses(last, group.back()) && uses(last, c.k.back());
  }

  /// Copies one operand's (rows of `group`, BK) tile into `staged` (laid
  /// out [BK][rows], see TileShape): element e of the tile goes to thread
  /// e % threads, numbering the tile along whichever of the two is
  /// contiguous in global memory so that neighbouring threads load
  /// neighbouring addresses.
  /// Elements past the operand's edge are staged as zeros. 2-byte tiles
  /// (fp16, bf16) are laid out [rows][BK] instead and hold each value
  /// rounded to nearest.
  void stage(OpOperand &operand, Value staged, ArrayRef<unsigned> group,
             int64_t rows, Value base, Value groupSize, Value k0,
             ArrayRef<Value> batchPoint, Value tid) {
    bool alongK = contiguousAlongK(operand, group);
    Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0));
    for (int64_t r = 0; r < rows * s.bk / s.threads(); ++r) {
      Value e = add(tid, cst(r * s.threads()));
      Value row, kk;
      if (alongK) {
        row = arith::DivUIOp::create(b, e, cst(s.bk));
        kk = arith::RemUIOp::create(b, e, cst(s.bk));
      } else {
        kk = arith::DivUIOp::create(b, e, cst(rows));
        row = arith::RemUIOp::create(b, e, cst(rows));
      }
      Value gRow = add(base, row), gK = add(k0, kk);
      Value inside = arith::AndIOp::create(b, lessThan(gRow, groupSize),
                                           lessThan(gK, sizeK));
      auto ifOp = scf::IfOp::create(b, TypeRange{b.getF32Type()}, inside,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        SmallVector<Value> point(batchPoint);
        delinearize(gRow, group, point);
        delinearize(gK, c.k, point);
        Value v =
            memref::LoadOp::create(b, operand.get(), indices(operand, point));
        scf::YieldOp::create(b, v);
        b.setInsertionPointToStart(ifOp.elseBlock());
        scf::YieldOp::create(b, zero);
      }
      Value v = ifOp.getResult(0);
      Type elt = cast<MemRefType>(staged.getType()).getElementType();
      if (elt != v.getType())
        v = arith::TruncFOp::create(b, elt, v);
      memref::StoreOp::create(b, v, staged,
                              s.kMajor() ? ValueRange{row, kk}
                                         : ValueRange{kk, row});
    }
  }

  /// Where a thread's accumulators sit in the block's tile: the thread's
  /// ids, set up once per kernel.
  struct Lanes {
    Value rowA, colB;    // SIMT: the thread's TM x TN sub-tile
    Value warpRow, warpCol, group, inGroup; // tensor cores: PTX's groupID
                                            // and threadID_in_group
  };

  Lanes lanes(Value tid) {
    Lanes l;
    if (!s.tensorCores()) {
      Value tx = arith::RemUIOp::create(b, tid, cst(s.bn / s.tn));
      Value ty = arith::DivUIOp::create(b, tid, cst(s.bn / s.tn));
      l.rowA = mul(ty, s.tm);
      l.colB = mul(tx, s.tn);
      return l;
    }
    Value warp = arith::DivUIOp::create(b, tid, cst(kWarp));
    Value lane = arith::RemUIOp::create(b, tid, cst(kWarp));
    l.warpRow = mul(arith::DivUIOp::create(b, warp, cst(s.warpsN)),
                    s.bm / s.warpsM);
    l.warpCol = mul(arith::RemUIOp::create(b, warp, cst(s.warpsN)),
                    s.bn / s.warpsN);
    l.group = arith::DivUIOp::create(b, lane, cst(4));
    l.inGroup = arith::RemUIOp::create(b, lane, cst(4));
    return l;
  }

  int64_t mmaRows() const { return s.bm / s.warpsM / 16; }
  int64_t mmaCols() const { return s.bn / s.warpsN / 8; }

  /// A [BK][rows] staged tile's element (k, col).
  Value at(Value staged, Value k, Value col) {
    return memref::LoadOp::create(b, staged, ValueRange{k, col}).getResult();
  }

  SmallVector<Value> initAccumulators() {
    auto type = s.tensorCores() ? VectorType::get({2, 2}, b.getF32Type())
                                : VectorType::get({s.tn}, b.getF32Type());
    Value zero = arith::ConstantOp::create(
        b, type, DenseElementsAttr::get(type, b.getF32FloatAttr(0)));
    return SmallVector<Value>(
        s.tensorCores() ? mmaRows() * mmaCols() : s.tm, zero);
  }

  /// acc += the staged BK slice's product (SIMT: FMAs on the thread's
  /// sub-tile from vector loads of consecutive staged rows, 16-byte
  /// aligned since the pads and tile widths are multiples of 4 and the
  /// buffers are 16-aligned by mnemo-cuda-align-workgroup).
  void multiplySimt(SmallVectorImpl<Value> &acc, const Lanes &l,
                    Value stagedA, Value stagedB) {
    auto row = VectorType::get({s.tn}, b.getF32Type());
    auto colType = VectorType::get({s.tm}, b.getF32Type());
    for (int64_t kk = 0; kk < s.bk; ++kk) {
      Value aCol = vector::LoadOp::create(
          b, colType, stagedA, ValueRange{cst(kk), l.rowA}, false,
          llvm::Align(std::min<int64_t>(16, 4 * s.tm)));
      Value bRow = vector::LoadOp::create(
          b, row, stagedB, ValueRange{cst(kk), l.colB}, false,
          llvm::Align(std::min<int64_t>(16, 4 * s.tn)));
      for (int64_t i = 0; i < s.tm; ++i) {
        Value ai = vector::ExtractOp::create(b, aCol, ArrayRef<int64_t>{i});
        Value splat = vector::BroadcastOp::create(b, row, ai);
        acc[i] = vector::FMAOp::create(b, splat, bRow, acc[i]);
      }
    }
  }

  /// Tensor cores: per k8 step, each warp's fragments from the staged
  /// tiles in the m16n8k8 .tf32 layout of the PTX ISA (A: a0 (g, t),
  /// a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4); B: b0 (t, g), b1 (t+4, g),
  /// with g = groupID, t = threadID_in_group), one mma.sync per 16x8 tile.
  void multiplyMma(SmallVectorImpl<Value> &acc, const Lanes &l,
                   Value stagedA, Value stagedB) {
    if (s.mmaK == 16)
      return multiplyMmaF16(acc, l, stagedA, stagedB);
    Type f32 = b.getF32Type();
    for (int64_t k8 = 0; k8 < s.bk; k8 += 8) {
      Value k = add(l.inGroup, cst(k8)), k4 = add(k, cst(4));
      SmallVector<Value> aFrag, bFrag;
      for (int64_t i = 0; i < mmaRows(); ++i) {
        Value r = add(add(l.warpRow, l.group), cst(16 * i));
        Value r8 = add(r, cst(8));
        aFrag.push_back(vector::FromElementsOp::create(
            b, VectorType::get({4, 1}, f32),
            ValueRange{at(stagedA, k, r), at(stagedA, k, r8),
                       at(stagedA, k4, r), at(stagedA, k4, r8)}));
      }
      for (int64_t j = 0; j < mmaCols(); ++j) {
        Value n = add(add(l.warpCol, l.group), cst(8 * j));
        bFrag.push_back(vector::FromElementsOp::create(
            b, VectorType::get({2, 1}, f32),
            ValueRange{at(stagedB, k, n), at(stagedB, k4, n)}));
      }
      for (int64_t i = 0; i < mmaRows(); ++i)
        for (int64_t j = 0; j < mmaCols(); ++j) {
          Value &c = acc[i * mmaCols() + j];
          c = nvgpu::MmaSyncOp::create(b, aFrag[i], bFrag[j], c,
                                       ArrayRef<int64_t>{16, 8, 8},
                                       /*tf32Enabled=*/true);
        }
    }
  }

  /// fp16 and bf16 tensor cores: per k16 step, fragments in the m16n8k16
  /// .f16/.bf16 layout (A, 4 x 2: a0 a1 (g, 2t + {0,1}), a2 a3
  /// (g+8, 2t + {0,1}), a4 a5 (g, 2t+8 + {0,1}), a6 a7 (g+8, 2t+8 + {0,1});
  /// B, 2 x 2: b0 b1 (2t + {0,1}, g), b2 b3 (2t+8 + {0,1}, g)) from the
  /// [rows][BK] tiles, one mma.sync per 16x8 tile with f32 accumulators.
  void multiplyMmaF16(SmallVectorImpl<Value> &acc, const Lanes &l,
                      Value stagedA, Value stagedB) {
    auto pairType = VectorType::get({2}, half);
    // Staged elements (k, col) and (k + 1, col): one register's pair, one
    // 4-byte aligned load (k is even, rows an even number of halves).
    auto pair = [&](Value staged, Value k, Value col) {
      return vector::LoadOp::create(b, pairType, staged, ValueRange{col, k},
                                    false, llvm::Align(4))
          .getResult();
    };
    // The pairs as a fragment's registers.
    auto fragment = [&](ArrayRef<Value> pairs) {
      auto type = VectorType::get({int64_t(pairs.size()), 2}, half);
      Value frag = arith::ConstantOp::create(
          b, type, DenseElementsAttr::get(type, b.getFloatAttr(half, 0)));
      for (auto [i, p] : llvm::enumerate(pairs))
        frag = vector::InsertOp::create(b, p, frag,
                                        ArrayRef<int64_t>{int64_t(i)});
      return frag;
    };
    Value t2 = mul(l.inGroup, 2);
    for (int64_t k16 = 0; k16 < s.bk; k16 += 16) {
      Value k = add(t2, cst(k16)), k8 = add(k, cst(8));
      SmallVector<Value> aFrag, bFrag;
      for (int64_t i = 0; i < mmaRows(); ++i) {
        Value r = add(add(l.warpRow, l.group), cst(16 * i));
        Value r8 = add(r, cst(8));
        aFrag.push_back(
            fragment({pair(stagedA, k, r), pair(stagedA, k, r8),
                      pair(stagedA, k8, r), pair(stagedA, k8, r8)}));
      }
      for (int64_t j = 0; j < mmaCols(); ++j) {
        Value n = add(add(l.warpCol, l.group), cst(8 * j));
        bFrag.push_back(fragment({pair(stagedB, k, n), pair(stagedB, k8, n)}));
      }
      for (int64_t i = 0; i < mmaRows(); ++i)
        for (int64_t j = 0; j < mmaCols(); ++j) {
          Value &c = acc[i * mmaCols() + j];
          c = nvgpu::MmaSyncOp::create(b, aFrag[i], bFrag[j], c,
                                       ArrayRef<int64_t>{16, 8, 16});
        }
    }
  }

  /// Calls `f(row, col, value)` for each accumulated element, at its
  /// offsets in the block's tile (C/D of m16n8: d0 (g, 2t), d1 (g, 2t+1),
  /// d2 (g+8, 2t), d3 (g+8, 2t+1)).
  void forEachResult(ValueRange results, const Lanes &l,
                     function_ref<void(Value, Value, Value)> f) {
    if (!s.tensorCores()) {
      for (int64_t i = 0; i < s.tm; ++i)
        for (int64_t j = 0; j < s.tn; ++j)
          f(add(l.rowA, cst(i)), add(l.colB, cst(j)),
            vector::ExtractOp::create(b, results[i], ArrayRef<int64_t>{j}));
      return;
    }
    Value col2 = mul(l.inGroup, 2);
    for (int64_t i = 0; i < mmaRows(); ++i)
      for (int64_t j = 0; j < mmaCols(); ++j)
        for (int64_t e = 0; e < 4; ++e) {
          Value r = add(add(l.warpRow, l.group), cst(16 * i + 8 * (e / 2)));
          Value c = add(add(l.warpCol, col2), cst(8 * j + e % 2));
          f(r, c,
            vector::ExtractOp::create(b, results[i * mmaCols() + j],
                                      ArrayRef<int64_t>{e / 2, e % 2}));
        }
  }

  /// C's value before the product at `idx`: the folded fill's scalar, the
  /// folded broadcast's source element, or C itself.
  Value initialValue(Value out, ArrayRef<Value> idx) {
    if (folds.initScalar)
      return folds.initScalar;
    if (!folds.initSource)
      return memref::LoadOp::create(b, out, idx);
    SmallVector<Value> at;
    for (AffineExpr e : folds.initMap.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e))
        at.push_back(idx[d.getPosition()]);
      else
        at.push_back(cst(cast<AffineConstantExpr>(e).getValue()));
    }
    return memref::LoadOp::create(b, folds.initSource, at);
  }

  void buildBody(gpu::LaunchOp launch) {
    Value tid = launch.getThreadIds().x;
    Value n0 = mul(launch.getBlockIds().x, s.bn);
    Value m0 = mul(launch.getBlockIds().y, s.bm);
    SmallVector<Value> batchPoint(c.op.getNumLoops(), Value());
    if (!c.batch.empty())
      delinearize(launch.getBlockIds().z, c.batch, batchPoint);
    Lanes l = lanes(tid);
    Value stagedA = launch.getWorkgroupAttributions()[0];
    Value stagedB = launch.getWorkgroupAttributions()[1];
    OpOperand &a = *c.op.getDpsInputOperand(c.a);
    OpOperand &bOp = *c.op.getDpsInputOperand(c.b);
    OpOperand &out = *c.op.getDpsInitOperand(0);

    // The accumulators are carried by the K loop, in registers.
    auto kLoop =
        scf::ForOp::create(b, cst(0), sizeK, cst(s.bk), initAccumulators());
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(kLoop.getBody());
      Value k0 = kLoop.getInductionVar();
      stage(a, stagedA, c.m, s.bm, m0, sizeM, k0, batchPoint, tid);
      stage(bOp, stagedB, c.n, s.bn, n0, sizeN, k0, batchPoint, tid);
      gpu::BarrierOp::create(b);
      SmallVector<Value> acc(kLoop.getRegionIterArgs());
      if (s.tensorCores())
        multiplyMma(acc, l, stagedA, stagedB);
      else
        multiplySimt(acc, l, stagedA, stagedB);
      // The next step overwrites the tiles others may still be reading.
      gpu::BarrierOp::create(b);
      scf::YieldOp::create(b, acc);
    }

    // C += the block's product, each element once.
    forEachResult(kLoop.getResults(), l, [&](Value row, Value col, Value v) {
      Value gm = add(m0, row), gn = add(n0, col);
      Value inside =
          arith::AndIOp::create(b, lessThan(gm, sizeM), lessThan(gn, sizeN));
      auto ifOp = scf::IfOp::create(b, inside, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      SmallVector<Value> point(batchPoint);
      delinearize(gm, c.m, point);
      delinearize(gn, c.n, point);
      SmallVector<Value> idx = indices(out, point);
      Value sum = arith::AddFOp::create(b, initialValue(out.get(), idx), v);
      if (!folds.epilogue) {
        memref::StoreOp::create(b, sum, out.get(), idx);
        return;
      }
      // The elementwise op's body on the sum and the other tensors'
      // elements at this point, stored where it wrote.
      IRMapping map;
      Block *body = folds.epilogue.getBody();
      for (OpOperand *in : folds.epilogue.getDpsInputOperands()) {
        Value arg = folds.epilogue.getMatchingBlockArgument(in);
        if (in->get() == out.get()) {
          map.map(arg, sum);
          continue;
        }
        SmallVector<Value> at;
        for (AffineExpr r :
             folds.epilogue.getMatchingIndexingMap(in).getResults())
          at.push_back(isa<AffineDimExpr>(r)
                           ? idx[cast<AffineDimExpr>(r).getPosition()]
                           : cst(cast<AffineConstantExpr>(r).getValue()));
        map.map(arg, memref::LoadOp::create(b, in->get(), at));
      }
      for (Operation &bodyOp : body->without_terminator())
        b.clone(bodyOp, map);
      Value result = map.lookupOrDefault(
          cast<linalg::YieldOp>(body->getTerminator()).getValues()[0]);
      memref::StoreOp::create(b, result, folds.epilogue.getOutputs()[0], idx);
    });
  }
};

struct TileContractionsPass
    : public mnemo::impl::TileContractionsPassBase<TileContractionsPass> {
  using TileContractionsPassBase::TileContractionsPassBase;

  void runOnOperation() override {
    std::vector<Contraction> found;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (FailureOr<Contraction> c = match(op); succeeded(c))
        found.push_back(*c);
    });
    if (found.empty())
      return;
    ArrayRef<TileShape> shapes;
    if (precision == "fp32")
      shapes = kShapes;
    else if (precision == "tf32")
      shapes = kMmaShapes;
    else if (precision == "fp16" || precision == "bf16")
      shapes = kMmaF16Shapes;
    else {
      getOperation().emitError() << "precision must be fp32, tf32, fp16 or "
                                    "bf16, got '"
                                 << precision << "'";
      return signalPassFailure();
    }
    Type half = precision == "bf16" ? Type(BFloat16Type::get(&getContext()))
                                    : Type(Float16Type::get(&getContext()));
    if (smemBudget < smallestSmem(shapes)) {
      found.front().op->emitError()
          << "no tile of this contraction fits --smem-budget="
          << static_cast<int64_t>(smemBudget)
          << " bytes; the smallest needs " << smallestSmem(shapes);
      return signalPassFailure();
    }
    OpBuilder builder(&getContext());
    for (Contraction c : found) {
      SmallVector<int64_t> loops = c.op.getStaticLoopRanges();
      int64_t m = staticProduct(loops, c.m), n = staticProduct(loops, c.n),
              k = staticProduct(loops, c.k),
              batch = staticProduct(loops, c.batch);
      // Grid y and z stop at 65535 blocks; such (static) shapes keep the
      // generic route, whose one flat dim goes to grid x.
      if ((!ShapedType::isDynamic(m) && ceilDiv(m, 16) > kMaxGridYZ) ||
          (!ShapedType::isDynamic(batch) && batch > kMaxGridYZ) ||
          m == 0 || n == 0 || batch == 0)
        continue;
      std::optional<TileShape> shape =
          chooseShape(shapes, m, n, k, batch, smemBudget, smCount);
      Folds folds = findFolds(c.op);
      builder.setInsertionPoint(folds.epilogue ? folds.epilogue.getOperation()
                                               : c.op.getOperation());
      KernelBuilder(c, *shape, folds, half, builder).build();
      c.op->erase();
      if (folds.init)
        folds.init->erase();
      if (folds.epilogue)
        folds.epilogue->erase();
    }
  }
};

} // namespace
