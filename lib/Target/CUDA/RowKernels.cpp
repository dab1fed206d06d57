//===- RowKernels.cpp - Softmax and LayerNormalization as one kernel ------===//
//
// The tensor lowering of a softmax is three ops (the row's maximum, the sum
// of exp(x - max), the division) and of a layer normalization five (sum,
// mean, centre, sum of squares, normalize); on the GPU each is a kernel,
// with the intermediates (exp(x - max), x - mean) written to and read back
// from global memory. Each output element of these ops depends on one
// "row" (the elements along the normalized dims at fixed other dims), so
// the whole op is one kernel here: a block per row (a warp per row for
// rows shorter than 64 elements, 8 rows a block), its threads striding
// over the row once per statistic and once for the output, each statistic
// combined over the row's threads with shuffles (and shared memory
// between warps). The row is read once per pass (from cache after the
// first) and the output written once. Built on the graph, before the
// tensor lowering, like FlashAttention (see GraphKernel.h).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Target/CUDA/GraphKernel.h"
#include "mnemo/Target/CUDA/LoopPoint.h"
#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Target/CUDA/WarpCombine.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <limits>

namespace mnemo {
#define GEN_PASS_DEF_ROWKERNELSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
namespace g = mnemo::graph;
namespace cuda = mnemo::cuda;

namespace {

/// Rows shorter than this take a warp, not a block.
constexpr int64_t kBlockRowLength = 64;

/// A normalized axis in [0, rank), or -1. (I64Attr accessors return
/// uint64_t.)
int64_t normalizedAxis(uint64_t attr, int64_t rank) {
  int64_t axis = static_cast<int64_t>(attr);
  if (axis < 0)
    axis += rank;
  return axis >= 0 && axis < rank ? axis : -1;
}

/// An op the builder takes: `x` (f32, ranked; the result has its type)
/// whose output at a point depends on the elements along dims
/// [from, to) at that point's other dims.
struct RowOp {
  Operation *op;
  Value x;
  RankedTensorType type;
  int64_t from, to;
};

/// Builds one row kernel: the launch, the row this thread works on, loops
/// over the row and statistics combined over it. `body` builds the pass
/// over the row and the stores.
class RowKernelBuilder {
public:
  RowKernelBuilder(RowOp r, int64_t blockSize, OpBuilder &b)
      : r(r), blockSize(blockSize), b(r.op->getLoc(), b) {}

  /// The kernel for `r`, with `statistics` shared buffers for combining
  /// statistics over warps and `operands` (tensors) read as buffers
  /// (`parameter(i)`); returns the result tensor.
  Value build(unsigned statistics, ValueRange operands,
              function_ref<void(RowKernelBuilder &)> body) {
    x = cuda::readOnlyBuffer(b, r.x);
    for (Value v : operands)
      parameters.push_back(cuda::readOnlyBuffer(b, v));
    SmallVector<Value> dynamic;
    int64_t length = 1;
    for (int64_t i = 0; i < r.type.getRank(); ++i) {
      sizes.push_back(getValueOrCreateConstantIndexOp(
          b, b.getLoc(), tensor::getMixedSize(b, b.getLoc(), r.x, i)));
      if (r.type.isDynamicDim(i))
        dynamic.push_back(sizes.back());
      if (i >= r.from && i < r.to)
        length = ShapedType::isDynamic(length) || r.type.isDynamicDim(i)
                     ? ShapedType::kDynamic
                     : length * r.type.getDimSize(i);
    }
    out = cuda::resultBuffer(b, r.type, dynamic);

    layout.emplace(length, blockSize, kBlockRowLength);
    inner = product(r.to, r.type.getRank());
    rowLength = product(r.from, r.to);
    rows = arith::MulIOp::create(b, product(0, r.from), inner);
    int64_t warps = layout->warps();
    auto shared = MemRefType::get(
        {warps}, b.getF32Type(), nullptr,
        gpu::AddressSpaceAttr::get(b.getContext(),
                                   gpu::AddressSpace::Workgroup));
    Value one = cst(1);
    auto launch = gpu::LaunchOp::create(
        b, layout->grid(b, rows), one, one, cst(layout->threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange(),
        SmallVector<Type>(warps > 1 ? statistics : 0, shared));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      enter(launch);
      body(*this);
      gpu::TerminatorOp::create(b);
    }
    return cuda::resultTensor(b, r.type, out);
  }

  ImplicitLocOpBuilder &builder() { return b; }
  /// The input and output buffers, and the other operands'.
  Value input() const { return x; }
  Value parameter(unsigned i) const { return parameters[i]; }
  Value output() const { return out; }
  Value f32(double v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr((float)v));
  }
  /// The row's element count as an f32.
  Value rowLengthF32() {
    Value i = arith::IndexCastUIOp::create(b, b.getI64Type(), rowLength);
    return arith::UIToFPOp::create(b, b.getF32Type(), i);
  }

  /// A loop of the row's threads over its elements; `body` gets the
  /// element's indices and the carried values and returns the next ones.
  scf::ForOp
  overRow(ValueRange init,
          function_ref<SmallVector<Value>(ArrayRef<Value>, ValueRange)> body) {
    auto loop =
        scf::ForOp::create(b, rowThread, rowLength,
                           cst(layout->rowThreads()), init);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> idx(rowIdx);
    delinearize(loop.getInductionVar(), r.from, r.to, idx);
    SmallVector<Value> next = body(idx, loop.getRegionIterArgs());
    // (A loop without results already ends in its yield.)
    if (!init.empty())
      scf::YieldOp::create(b, next);
    return loop;
  }

  /// `v` combined over the row's threads, through shared buffer
  /// `statistic` between warps.
  Value overThreads(Value v, unsigned statistic, Value identity,
                    cuda::Combiner combine) {
    int64_t warps = layout->warps();
    Value smem = warps > 1 ? Value(workgroup[statistic]) : Value();
    return cuda::combineBlock(b, v, tid, warps, smem, identity, combine);
  }

  /// Stores happen under this (a warp past the last row stores nothing).
  void guardStores() {
    if (!exists)
      return;
    auto store = scf::IfOp::create(b, exists, /*withElseRegion=*/false);
    b.setInsertionPointToStart(store.thenBlock());
  }

private:
  RowOp r;
  int64_t blockSize;
  std::optional<cuda::RowLayout> layout;
  ImplicitLocOpBuilder b;
  Value x, out, inner, rowLength, rows;
  SmallVector<Value> sizes, parameters;
  // Inside the kernel:
  Value tid, rowThread, exists;
  SmallVector<Value> rowIdx; // the row's other dims; [from, to) unset
  SmallVector<BlockArgument> workgroup;

  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  /// The product of sizes[from, to) (1 for none), its static part folded.
  Value product(int64_t from, int64_t to) {
    int64_t known = 1;
    Value p;
    for (int64_t i = from; i < to; ++i) {
      if (std::optional<int64_t> c = getConstantIntValue(sizes[i]))
        known *= *c;
      else
        p = p ? arith::MulIOp::create(b, p, sizes[i]).getResult() : sizes[i];
    }
    if (!p)
      return cst(known);
    return known == 1 ? p : arith::MulIOp::create(b, p, cst(known)).getResult();
  }
  /// Writes into idx[from, to) the dims of flat index `flat` over them
  /// (innermost fastest).
  void delinearize(Value flat, int64_t from, int64_t to,
                   SmallVectorImpl<Value> &idx) {
    for (int64_t i = to - 1; i >= from; --i) {
      if (i == from) {
        idx[i] = flat;
        break;
      }
      idx[i] = arith::RemUIOp::create(b, flat, sizes[i]);
      flat = arith::DivUIOp::create(b, flat, sizes[i]);
    }
  }

  /// The row this thread works on (see RowLayout::place) as indices.
  void enter(gpu::LaunchOp launch) {
    tid = launch.getThreadIds().x;
    cuda::RowLayout::Place at =
        layout->place(b, launch.getBlockIds().x, tid, rows);
    Value row = at.row;
    rowThread = at.rowThread;
    exists = at.exists;
    rowIdx.assign(r.type.getRank(), Value());
    delinearize(arith::RemUIOp::create(b, row, inner), r.to,
                r.type.getRank(), rowIdx);
    delinearize(arith::DivUIOp::create(b, row, inner), 0, r.from, rowIdx);
    llvm::append_range(workgroup, launch.getWorkgroupAttributions());
  }
};

Value maxOf(ImplicitLocOpBuilder &b, Value p, Value q) {
  return arith::MaximumFOp::create(b, p, q);
}
Value sumOf(ImplicitLocOpBuilder &b, Value p, Value q) {
  return arith::AddFOp::create(b, p, q);
}

/// Softmax / LogSoftmax, as the tensor lowering computes them: m = max(x)
/// from -inf, d = x - m, s = sum(exp(d)); exp(d) / s, or d - log(s).
void softmaxBody(RowKernelBuilder &k, bool isLog) {
  ImplicitLocOpBuilder &b = k.builder();
  Value lowest = k.f32(-std::numeric_limits<float>::infinity());
  Value zero = k.f32(0);
  auto combineMax = [&](Value p, Value q) { return maxOf(b, p, q); };
  auto combineSum = [&](Value p, Value q) { return sumOf(b, p, q); };
  auto maxLoop = k.overRow(lowest, [&](ArrayRef<Value> idx, ValueRange acc) {
    Value v = memref::LoadOp::create(b, k.input(), idx);
    return SmallVector<Value>{maxOf(b, acc[0], v)};
  });
  Value m = k.overThreads(maxLoop.getResult(0), 0, lowest, combineMax);
  auto diff = [&](ArrayRef<Value> idx) -> Value {
    return arith::SubFOp::create(b, memref::LoadOp::create(b, k.input(), idx),
                                 m);
  };
  auto sumLoop = k.overRow(zero, [&](ArrayRef<Value> idx, ValueRange acc) {
    return SmallVector<Value>{
        sumOf(b, acc[0], math::ExpOp::create(b, diff(idx)))};
  });
  Value sum = k.overThreads(sumLoop.getResult(0), 1, zero, combineSum);
  Value logSum = isLog ? math::LogOp::create(b, sum).getResult() : Value();
  OpBuilder::InsertionGuard g(b);
  k.guardStores();
  k.overRow(ValueRange{}, [&](ArrayRef<Value> idx, ValueRange) {
    Value d = diff(idx);
    Value y = isLog ? arith::SubFOp::create(b, d, logSum).getResult()
                    : arith::DivFOp::create(b, math::ExpOp::create(b, d), sum)
                          .getResult();
    memref::StoreOp::create(b, y, k.output(), idx);
    return SmallVector<Value>{};
  });
}

/// Indices into `buf` (right-aligned to the input's dims, static 1s
/// broadcast) at the input's indices `idx`.
SmallVector<Value> broadcastIndices(ImplicitLocOpBuilder &b, Value buf,
                                    ArrayRef<Value> idx) {
  auto type = cast<MemRefType>(buf.getType());
  int64_t off = (int64_t)idx.size() - type.getRank();
  SmallVector<Value> at;
  for (int64_t i = 0; i < type.getRank(); ++i)
    at.push_back(type.getDimSize(i) == 1
                     ? arith::ConstantIndexOp::create(b, 0).getResult()
                     : idx[i + off]);
  return at;
}

/// LayerNormalization, as the tensor lowering computes it: mean = sum / n,
/// c = x - mean, inv = rsqrt(sum(c * c) / n + eps); c * inv (* scale)
/// (+ bias).
/// `scale` and `bias` (buffers, either may be null) broadcast over the
/// row's dims.
void normalizeBody(RowKernelBuilder &k, double epsilon, Value scale,
                   Value bias) {
  ImplicitLocOpBuilder &b = k.builder();
  Value zero = k.f32(0);
  auto combineSum = [&](Value p, Value q) { return sumOf(b, p, q); };
  Value n = k.rowLengthF32();
  auto sumLoop = k.overRow(zero, [&](ArrayRef<Value> idx, ValueRange acc) {
    return SmallVector<Value>{
        sumOf(b, acc[0], memref::LoadOp::create(b, k.input(), idx))};
  });
  Value mean = arith::DivFOp::create(
      b, k.overThreads(sumLoop.getResult(0), 0, zero, combineSum), n);
  auto centered = [&](ArrayRef<Value> idx) -> Value {
    return arith::SubFOp::create(b, memref::LoadOp::create(b, k.input(), idx),
                                 mean);
  };
  auto squares = k.overRow(zero, [&](ArrayRef<Value> idx, ValueRange acc) {
    Value c = centered(idx);
    return SmallVector<Value>{sumOf(b, acc[0], arith::MulFOp::create(b, c, c))};
  });
  Value var = arith::DivFOp::create(
      b, k.overThreads(squares.getResult(0), 1, zero, combineSum), n);
  Value inv = math::RsqrtOp::create(
      b, arith::AddFOp::create(b, var, k.f32(epsilon)));
  OpBuilder::InsertionGuard g(b);
  k.guardStores();
  k.overRow(ValueRange{}, [&](ArrayRef<Value> idx, ValueRange) {
    Value y = arith::MulFOp::create(b, centered(idx), inv);
    if (scale)
      y = arith::MulFOp::create(
          b, y,
          memref::LoadOp::create(b, scale, broadcastIndices(b, scale, idx)));
    if (bias)
      y = arith::AddFOp::create(
          b, y,
          memref::LoadOp::create(b, bias, broadcastIndices(b, bias, idx)));
    memref::StoreOp::create(b, y, k.output(), idx);
    return SmallVector<Value>{};
  });
}

/// The normalization kernel of `r` (normalizeBody), reading `scale` and
/// `bias` (tensors; either may be null) as its parameters.
Value buildNormalization(RowOp r, int64_t blockSize, OpBuilder &b,
                         double epsilon, Value scale, Value bias) {
  SmallVector<Value> parameters;
  if (scale)
    parameters.push_back(scale);
  if (bias)
    parameters.push_back(bias);
  RowKernelBuilder k(r, blockSize, b);
  return k.build(2, parameters, [&](RowKernelBuilder &kb) {
    normalizeBody(kb, epsilon, scale ? kb.parameter(0) : Value(),
                  bias ? kb.parameter(scale ? 1 : 0) : Value());
  });
}

/// `x`'s type when the builder takes an op on it: f32, ranked, of the
/// result's type.
RankedTensorType rowInput(Value x, Value result) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() == 0 || !type.getElementType().isF32() ||
      result.getType() != type)
    return nullptr;
  return type;
}

/// A scale or bias the layer-norm kernel reads: f32 (the op's verifier
/// makes it broadcast to the normalized dims).
bool isRowParameter(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isF32();
}

/// The float of a splat f32 constant.
std::optional<double> splatF32(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat() ||
      !attr.getElementType().isF32())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// The first of `axes` (a constant) when they are [from, rank) of
/// `rank` dims in some order, else -1.
int64_t trailingAxes(Value axes, int64_t rank) {
  DenseIntElementsAttr attr;
  if (!matchPattern(axes, m_Constant(&attr)))
    return -1;
  SmallVector<int64_t> sorted;
  for (const APInt &a : attr.getValues<APInt>()) {
    int64_t axis = normalizedAxis(a.getSExtValue(), rank);
    if (axis < 0)
      return -1;
    sorted.push_back(axis);
  }
  llvm::sort(sorted);
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != rank - (int64_t)sorted.size() + (int64_t)i)
      return -1;
  return sorted.empty() ? -1 : sorted.front();
}

/// A normalization over trailing dims as the importer writes
/// InstanceNormalization and GroupNormalization, and exporters before
/// opset 17 LayerNormalization (with Pow(x - mean, 2)):
/// (x - mean) / sqrt(mean((x - mean)^2) + eps), both means over the same
/// trailing axes with keepdims, then optionally * scale and + bias (f32
/// tensors broadcasting over x without growing it). `out` is the last op
/// taken.
struct Normalization {
  Value x, scale, bias;
  int64_t from;
  double epsilon;
  Operation *out;
};

/// The ReduceMean over trailing axes of `v`'s defining op, keeping dims:
/// its input, and the first axis in `from`.
Value meanOf(Value v, int64_t rank, int64_t &from) {
  auto mean = v.getDefiningOp<g::ReduceMeanOp>();
  if (!mean || mean.getKeepdims() != 1)
    return nullptr;
  from = trailingAxes(mean.getAxes(), rank);
  return from < 0 ? nullptr : mean.getData();
}

/// Whether `p` (f32) broadcasts onto `x`'s type without growing it.
bool broadcastsOnto(Value p, RankedTensorType x) {
  auto t = dyn_cast<RankedTensorType>(p.getType());
  if (!t || !t.hasStaticShape() || !t.getElementType().isF32() ||
      t.getRank() > x.getRank())
    return false;
  int64_t off = x.getRank() - t.getRank();
  for (int64_t i = 0; i < t.getRank(); ++i)
    if (t.getDimSize(i) != 1 && t.getDimSize(i) != x.getDimSize(i + off))
      return false;
  return true;
}

std::optional<Normalization> matchNormalization(g::DivOp div) {
  Normalization n;
  auto type = rowInput(div.getA(), div.getC());
  auto sub = div.getA().getDefiningOp<g::SubOp>();
  auto sqrt = div.getB().getDefiningOp<g::SqrtOp>();
  if (!type || !sub || !sqrt || sub.getA().getType() != type)
    return std::nullopt;
  auto add = sqrt.getX().getDefiningOp<g::AddOp>();
  if (!add)
    return std::nullopt;
  Value var = add.getA();
  std::optional<double> eps = splatF32(add.getB());
  if (!eps) {
    var = add.getB();
    eps = splatF32(add.getA());
  }
  int64_t rank = type.getRank(), meanFrom, varFrom;
  n.x = sub.getA();
  if (!eps || meanOf(sub.getB(), rank, meanFrom) != n.x)
    return std::nullopt;
  // The square as the importer writes it (dev * dev) or as exporters of
  // decomposed layer norms do (Pow(dev, 2)).
  Value squared = meanOf(var, rank, varFrom);
  Operation *square = squared ? squared.getDefiningOp() : nullptr;
  auto mul = dyn_cast_or_null<g::MulOp>(square);
  auto pow = dyn_cast_or_null<g::PowOp>(square);
  bool isSquare =
      (mul && mul.getA() == sub.getC() && mul.getB() == sub.getC()) ||
      (pow && pow.getA() == sub.getC() && splatF32(pow.getB()) == 2.0);
  if (!isSquare || varFrom != meanFrom)
    return std::nullopt;
  n.from = meanFrom;
  n.epsilon = *eps;
  n.out = div;
  // The affine step after it, when the normalized value has no other use.
  auto takeNext = [&](auto opTag, Value &param) {
    using OpT = decltype(opTag);
    Value y = n.out->getResult(0);
    if (!y.hasOneUse())
      return;
    auto next = dyn_cast<OpT>(*y.getUsers().begin());
    if (!next || next.getC().getType() != type)
      return;
    Value other = next.getA() == y ? next.getB() : next.getA();
    if (other == y || !broadcastsOnto(other, type))
      return;
    param = other;
    n.out = next;
  };
  takeNext(g::MulOp(), n.scale);
  takeNext(g::AddOp(), n.bias);
  return n;
}

/// Erases `op` and then each operand's producer that is left without
/// uses (graph ops have no side effects).
void eraseDeadChain(Operation *op) {
  SmallVector<Operation *> work = {op};
  while (!work.empty()) {
    Operation *o = work.pop_back_val();
    if (!o->use_empty() || !isa<g::GraphDialect>(o->getDialect()) ||
        isa<g::ConstantOp>(o))
      continue;
    SmallVector<Operation *> producers;
    for (Value v : o->getOperands())
      if (Operation *p = v.getDefiningOp())
        producers.push_back(p);
    o->erase();
    llvm::append_range(work, producers);
  }
}

struct RowKernelsPass
    : public mnemo::impl::RowKernelsPassBase<RowKernelsPass> {
  using RowKernelsPassBase::RowKernelsPassBase;

  void runOnOperation() override {
    if (failed(mnemo::cuda::checkBlockSize(getOperation(), blockSize)))
      return signalPassFailure();
    SmallVector<Operation *> found;
    getOperation().walk([&](Operation *op) {
      if (isa<g::SoftmaxOp, g::LogSoftmaxOp, g::LayerNormalizationOp,
              g::DivOp>(op))
        found.push_back(op);
    });
    for (Operation *op : found) {
      OpBuilder b(op);
      Value result;
      auto softmax = [&](auto sm, bool isLog) {
        RankedTensorType t = rowInput(sm.getInput(), sm.getOutput());
        int64_t axis = t ? normalizedAxis(sm.getAxis(), t.getRank()) : -1;
        if (axis < 0)
          return;
        RowKernelBuilder k({op, sm.getInput(), t, axis, axis + 1}, blockSize,
                           b);
        result = k.build(2, {}, [&](RowKernelBuilder &kb) {
          softmaxBody(kb, isLog);
        });
      };
      if (auto sm = dyn_cast<g::SoftmaxOp>(op))
        softmax(sm, /*isLog=*/false);
      else if (auto lsm = dyn_cast<g::LogSoftmaxOp>(op))
        softmax(lsm, /*isLog=*/true);
      else if (auto ln = dyn_cast<g::LayerNormalizationOp>(op)) {
        RankedTensorType t = rowInput(ln.getX(), ln.getY());
        int64_t axis = t ? normalizedAxis(ln.getAxis(), t.getRank()) : -1;
        if (axis < 0 || !isRowParameter(ln.getScale()) ||
            (!g::isNone(ln.getB()) && !isRowParameter(ln.getB())))
          continue;
        result = buildNormalization(
            {op, ln.getX(), t, axis, t.getRank()}, blockSize, b,
            ln.getEpsilon().convertToDouble(), ln.getScale(),
            g::isNone(ln.getB()) ? Value() : ln.getB());
      } else if (auto div = dyn_cast<g::DivOp>(op)) {
        std::optional<Normalization> n = matchNormalization(div);
        if (!n)
          continue;
        // After the last op taken, which reads everything the kernel does.
        b.setInsertionPoint(n->out);
        auto t = cast<RankedTensorType>(n->x.getType());
        result = buildNormalization({n->out, n->x, t, n->from, t.getRank()},
                                    blockSize, b, n->epsilon, n->scale,
                                    n->bias);
        // The ops it replaces go when nothing else reads them.
        n->out->getResult(0).replaceAllUsesWith(result);
        eraseDeadChain(n->out);
        continue;
      }
      if (!result)
        continue;
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};

} // namespace
