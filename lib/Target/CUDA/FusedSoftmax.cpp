//===- FusedSoftmax.cpp - Softmax and LogSoftmax as one kernel -----------===//
//
// The tensor lowering of a softmax is three ops: the row's maximum, the sum
// of exp(x - max), and exp(x - max) / sum; on the GPU, three kernels, with
// exp(x - max) written to and read back from global memory in between.
// Here the whole op is one kernel: a block per row (a warp per row for rows
// shorter than 64 elements, 8 rows a block), its threads striding over the
// row three times (the maximum, the sum, the output), the maximum and the
// sum combined over the row's threads with shuffles (and shared memory
// between warps). The row is read three times (from cache after the first)
// and the output written once. Built on the graph, before the tensor
// lowering, like FlashAttention (see GraphKernel.h).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Target/CUDA/GraphKernel.h"
#include "mnemo/Target/CUDA/LoopPoint.h"
#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Target/CUDA/WarpCombine.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

namespace mnemo {
#define GEN_PASS_DEF_FUSEDSOFTMAXPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
namespace g = mnemo::graph;
namespace cuda = mnemo::cuda;

namespace {

/// Rows shorter than this take a warp, not a block.
constexpr int64_t kBlockRowLength = 64;

/// A softmax the kernel takes: f32, ranked, along `axis`.
struct Softmax {
  Operation *op;
  Value input;
  RankedTensorType type;
  int64_t axis;
  bool isLog;
};

template <typename OpTy>
std::optional<Softmax> match(OpTy op, bool isLog) {
  auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
  if (!type || type.getRank() == 0 || !type.getElementType().isF32() ||
      op.getOutput().getType() != type)
    return std::nullopt;
  // (I64Attr accessors return uint64_t.)
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (axis < 0)
    axis += type.getRank();
  if (axis < 0 || axis >= type.getRank())
    return std::nullopt;
  return Softmax{op, op.getInput(), type, axis, isLog};
}

class KernelBuilder {
public:
  KernelBuilder(Softmax s, int64_t blockSize, OpBuilder &b)
      : s(s), blockSize(blockSize), b(s.op->getLoc(), b) {}

  Value build() {
    x = cuda::readOnlyBuffer(b, s.input);
    SmallVector<Value> dynamic;
    for (int64_t i = 0; i < s.type.getRank(); ++i) {
      sizes.push_back(getValueOrCreateConstantIndexOp(
          b, b.getLoc(), tensor::getMixedSize(b, b.getLoc(), s.input, i)));
      if (s.type.isDynamicDim(i))
        dynamic.push_back(sizes.back());
    }
    out = cuda::resultBuffer(b, s.type, dynamic);

    // A block of whole warps (no more threads than a static row has
    // elements) per row, or a warp per row, blockSize / 32 rows a block.
    int64_t length = s.type.getDimSize(s.axis);
    int64_t threads = blockSize;
    rowsPerBlock = 1;
    if (!ShapedType::isDynamic(length) && length < kBlockRowLength)
      rowsPerBlock = blockSize / 32;
    else if (!ShapedType::isDynamic(length))
      threads = std::clamp<int64_t>(llvm::alignTo(length, 32), 32, blockSize);
    warps = rowsPerBlock == 1 ? threads / 32 : 1;
    rowThreads = rowsPerBlock == 1 ? threads : 32;

    outer = product(0, s.axis);
    inner = product(s.axis + 1, s.type.getRank());
    rows = arith::MulIOp::create(b, outer, inner);
    Value grid =
        rowsPerBlock == 1
            ? rows
            : arith::CeilDivUIOp::create(b, rows, cst(rowsPerBlock)).getResult();
    auto shared = MemRefType::get(
        {warps}, b.getF32Type(), nullptr,
        gpu::AddressSpaceAttr::get(b.getContext(),
                                   gpu::AddressSpace::Workgroup));
    Value one = cst(1);
    auto launch = gpu::LaunchOp::create(
        b, grid, one, one, cst(threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange(),
        warps > 1 ? TypeRange{shared, shared} : TypeRange{});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      buildBody(launch);
      gpu::TerminatorOp::create(b);
    }
    return cuda::resultTensor(b, s.type, out);
  }

private:
  Softmax s;
  int64_t blockSize, rowsPerBlock = 1, warps = 1, rowThreads = 1;
  ImplicitLocOpBuilder b;
  Value x, out, outer, inner, rows;
  SmallVector<Value> sizes;

  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32(float v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
  }
  /// The product of sizes[from, to) (1 for none).
  Value product(int64_t from, int64_t to) {
    if (from >= to)
      return cst(1);
    Value p = sizes[from];
    for (int64_t i = from + 1; i < to; ++i)
      p = arith::MulIOp::create(b, p, sizes[i]);
    return p;
  }
  /// Writes into idx[from, to) the dims of flat index `flat` over them
  /// (innermost fastest).
  void delinearize(Value flat, int64_t from, int64_t to,
                   SmallVectorImpl<Value> &idx) {
    for (int64_t i = to - 1; i >= from; --i) {
      idx[i] = arith::RemUIOp::create(b, flat, sizes[i]);
      flat = arith::DivUIOp::create(b, flat, sizes[i]);
    }
  }

  /// A loop of the row's threads over its elements; `body` gets the
  /// element's indices and the carried values, returns the next ones.
  scf::ForOp overRow(Value rowThread, ArrayRef<Value> rowIdx, ValueRange init,
                     function_ref<SmallVector<Value>(ArrayRef<Value>,
                                                     ValueRange)>
                         body) {
    auto loop = scf::ForOp::create(b, rowThread, sizes[s.axis],
                                   cst(rowThreads), init);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> idx(rowIdx);
    idx[s.axis] = loop.getInductionVar();
    SmallVector<Value> next = body(idx, loop.getRegionIterArgs());
    // (A loop without results already ends in its yield.)
    if (!init.empty())
      scf::YieldOp::create(b, next);
    return loop;
  }

  void buildBody(gpu::LaunchOp launch) {
    Value tid = launch.getThreadIds().x, bid = launch.getBlockIds().x;
    // The row this thread works on and its number among the row's
    // threads. A warp past the last row reads the last row (its lanes
    // take part in the shuffles) and stores nothing.
    Value row = bid, rowThread = tid, exists;
    if (rowsPerBlock > 1) {
      rowThread = arith::RemUIOp::create(b, tid, cst(32));
      row = arith::AddIOp::create(
          b, arith::MulIOp::create(b, bid, cst(rowsPerBlock)),
          arith::DivUIOp::create(b, tid, cst(32)));
      exists = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
      row = arith::SelectOp::create(b, exists, row,
                                    arith::SubIOp::create(b, rows, cst(1)));
    }
    SmallVector<Value> rowIdx(s.type.getRank());
    delinearize(arith::RemUIOp::create(b, row, inner), s.axis + 1,
                s.type.getRank(), rowIdx);
    delinearize(arith::DivUIOp::create(b, row, inner), 0, s.axis, rowIdx);
    auto smem = launch.getWorkgroupAttributions();
    auto across = [&](Value v, unsigned buffer, Value identity,
                      cuda::Combiner combine) {
      return cuda::combineBlock(
          b, v, tid, warps, warps > 1 ? Value(smem[buffer]) : Value(),
          identity, combine);
    };

    // As the tensor lowering: m = max(x) from -inf, d = x - m,
    // s = sum(exp(d)); exp(d) / s, or d - log(s).
    Value lowest = f32(-std::numeric_limits<float>::infinity());
    Value zero = f32(0);
    auto maxLoop = overRow(rowThread, rowIdx, lowest,
                           [&](ArrayRef<Value> idx, ValueRange acc) {
                             Value v = memref::LoadOp::create(b, x, idx);
                             return SmallVector<Value>{
                                 arith::MaximumFOp::create(b, acc[0], v)};
                           });
    Value m = across(maxLoop.getResult(0), 0, lowest, [&](Value p, Value q) {
      return arith::MaximumFOp::create(b, p, q).getResult();
    });
    auto diff = [&](ArrayRef<Value> idx) {
      return arith::SubFOp::create(b, memref::LoadOp::create(b, x, idx), m)
          .getResult();
    };
    auto sumLoop = overRow(rowThread, rowIdx, zero,
                           [&](ArrayRef<Value> idx, ValueRange acc) {
                             Value e = math::ExpOp::create(b, diff(idx));
                             return SmallVector<Value>{
                                 arith::AddFOp::create(b, acc[0], e)};
                           });
    Value sum = across(sumLoop.getResult(0), 1, zero, [&](Value p, Value q) {
      return arith::AddFOp::create(b, p, q).getResult();
    });
    Value logSum = s.isLog ? math::LogOp::create(b, sum).getResult() : Value();

    OpBuilder::InsertionGuard g(b);
    if (exists) {
      auto store = scf::IfOp::create(b, exists, /*withElseRegion=*/false);
      b.setInsertionPointToStart(store.thenBlock());
    }
    overRow(rowThread, rowIdx, ValueRange{},
            [&](ArrayRef<Value> idx, ValueRange) {
              Value d = diff(idx);
              Value y = s.isLog ? arith::SubFOp::create(b, d, logSum)
                                      .getResult()
                                : arith::DivFOp::create(
                                      b, math::ExpOp::create(b, d), sum)
                                      .getResult();
              memref::StoreOp::create(b, y, out, idx);
              return SmallVector<Value>{};
            });
  }
};

struct FusedSoftmaxPass
    : public mnemo::impl::FusedSoftmaxPassBase<FusedSoftmaxPass> {
  using FusedSoftmaxPassBase::FusedSoftmaxPassBase;

  void runOnOperation() override {
    if (failed(mnemo::cuda::checkBlockSize(getOperation(), blockSize)))
      return signalPassFailure();
    SmallVector<Softmax> found;
    getOperation().walk([&](Operation *op) {
      std::optional<Softmax> s;
      if (auto sm = dyn_cast<g::SoftmaxOp>(op))
        s = match(sm, /*isLog=*/false);
      else if (auto lsm = dyn_cast<g::LogSoftmaxOp>(op))
        s = match(lsm, /*isLog=*/true);
      if (s)
        found.push_back(*s);
    });
    for (Softmax s : found) {
      OpBuilder b(s.op);
      Value result = KernelBuilder(s, blockSize, b).build();
      s.op->getResult(0).replaceAllUsesWith(result);
      s.op->erase();
    }
  }
};

} // namespace
