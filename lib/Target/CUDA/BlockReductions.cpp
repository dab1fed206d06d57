//===- BlockReductions.cpp - a block per output element, warp shuffles ----===//
//
// The generic route runs a reduction as one thread per output element
// looping over the reduced dims: the sum of a 50257-logit row, or a
// softmax's maximum over a long row, is thousands of steps of one thread
// while the rest of the GPU idles. Here each output element gets a block:
// its threads stride over the reduced elements (neighbouring threads,
// neighbouring elements: coalesced where the reduced dim is innermost),
// each keeps a partial; a warp combines its 32 partials with shuffles
// (xor 16, 8, 4, 2, 1), lane 0 of each warp leaves the warp's result in
// shared memory, and after a barrier every warp combines those the same
// way. Thread 0 combines the total with the output's initial value and
// stores it.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CUDA/LoopPoint.h"
#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Target/CUDA/WarpCombine.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/IRMapping.h"

namespace mnemo {
#define GEN_PASS_DEF_BLOCKREDUCTIONSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// A reduction the kernel builder handles: one output whose body yields
/// `combiner(x, acc)`, `acc` the output's element and `x` computed from
/// the inputs alone, with a neutral element to start partials from.
struct Reduction {
  linalg::GenericOp op;
  Operation *combiner;
  TypedAttr identity;
  SmallVector<unsigned> parallel, reduced; // loop dims
};

/// The number of elements each output combines; -1 when dynamic.
int64_t reducedLength(Reduction r) {
  SmallVector<int64_t> ranges = r.op.getStaticLoopRanges();
  int64_t length = 1;
  for (unsigned d : r.reduced) {
    if (ShapedType::isDynamic(ranges[d]))
      return -1;
    length *= ranges[d];
  }
  return length;
}

FailureOr<Reduction> match(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0)
    return failure();
  Block *body = op.getBlock();
  BlockArgument acc = body->getArguments().back();
  Type t = acc.getType();
  if (!t.isF32() && !t.isF64() && !t.isInteger(32) && !t.isInteger(64))
    return failure(); // what gpu.shuffle exchanges
  SmallVector<Operation *> combiners;
  if (!matchReduction(body->getArguments().drop_front(op.getNumDpsInputs()),
                      0, combiners) ||
      combiners.size() != 1 || !acc.hasOneUse() ||
      combiners[0]->getNumOperands() != 2 ||
      combiners[0]->getNumResults() != 1 ||
      !combiners[0]->hasTrait<OpTrait::IsCommutative>())
    return failure();
  std::optional<TypedAttr> identity = arith::getNeutralElement(combiners[0]);
  if (!identity)
    return failure();
  Reduction r{op, combiners[0], *identity, {}, {}};
  for (auto [d, kind] : llvm::enumerate(op.getIteratorTypesArray()))
    (kind == utils::IteratorType::reduction ? r.reduced : r.parallel)
        .push_back(d);
  return r;
}

/// Builds the kernel that replaces one reduction.
class KernelBuilder {
public:
  /// An output element is a row of `layout`.
  KernelBuilder(Reduction r, mnemo::cuda::RowLayout layout, OpBuilder &b)
      : r(r), layout(layout), b(r.op.getLoc(), b) {}

  void build() {
    loops.emplace(cast<linalg::LinalgOp>(r.op.getOperation()), b);
    int64_t warps = layout.warps();
    auto shared = MemRefType::get(
        {warps}, r.identity.getType(), nullptr,
        gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup));
    Value one = cst(1);
    Value rows = loops->product(r.parallel);
    auto launch = gpu::LaunchOp::create(
        b, layout.grid(b, rows), one, one, cst(layout.threads), one, one,
        /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
        /*asyncDependencies=*/ValueRange(),
        warps > 1 ? TypeRange{shared} : TypeRange{});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    buildBody(launch, rows);
    gpu::TerminatorOp::create(b);
  }

private:
  Reduction r;
  mnemo::cuda::RowLayout layout;
  ImplicitLocOpBuilder b;
  std::optional<mnemo::cuda::LoopPoints> loops;

  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, v); }

  /// combiner(x, acc) with the combiner's other operand `x` and
  /// accumulator `acc`.
  Value combine(Value x, Value acc) {
    BlockArgument accArg = r.op.getBlock()->getArguments().back();
    IRMapping map;
    for (Value v : r.combiner->getOperands())
      map.map(v, v == accArg ? acc : x);
    return b.clone(*r.combiner, map)->getResult(0);
  }

  /// The kernel's body; `rows` is the number of output elements.
  void buildBody(gpu::LaunchOp launch, Value rows) {
    Value tid = launch.getThreadIds().x;
    auto [row, rowThread, exists] =
        layout.place(b, launch.getBlockIds().x, tid, rows);
    SmallVector<Value> point(r.op.getNumLoops());
    loops->delinearize(row, r.parallel, point);
    Value identity = arith::ConstantOp::create(b, r.identity);

    // Each thread's partial over the reduced elements rowThread,
    // rowThread + rowThreads, ...
    auto loop = scf::ForOp::create(b, rowThread, loops->product(r.reduced),
                                   cst(layout.rowThreads()),
                                   ValueRange{identity});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> at(point);
      loops->delinearize(loop.getInductionVar(), r.reduced, at);
      Block *body = r.op.getBlock();
      IRMapping map;
      for (OpOperand *in : r.op.getDpsInputOperands())
        map.map(body->getArgument(in->getOperandNumber()),
                memref::LoadOp::create(b, in->get(), loops->indices(*in, at)));
      map.map(body->getArguments().back(), loop.getRegionIterArgs()[0]);
      for (Operation &op : body->without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(op))
          map.map(index.getResult(), at[index.getDim()]);
        else
          b.clone(op, map);
      }
      scf::YieldOp::create(b, map.lookup(r.combiner->getResult(0)));
    }
    // A warp per row combines its lanes; a block its warps too.
    int64_t warps = layout.warps();
    Value partial = mnemo::cuda::combineBlock(
        b, loop.getResult(0), tid, warps,
        warps > 1 ? Value(launch.getWorkgroupAttributions().front()) : Value(),
        identity, [&](Value x, Value acc) { return combine(x, acc); });

    // The row's first thread stores the total combined with the output's
    // initial value.
    OpOperand *out = r.op.getDpsInitOperand(0);
    Value isFirst =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, rowThread, cst(0));
    if (exists)
      isFirst = arith::AndIOp::create(b, isFirst, exists);
    auto store = scf::IfOp::create(b, isFirst, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(store.thenBlock());
    SmallVector<Value> idx = loops->indices(*out, point);
    Value init = memref::LoadOp::create(b, out->get(), idx);
    memref::StoreOp::create(b, combine(partial, init), out->get(), idx);
  }
};

struct BlockReductionsPass
    : public mnemo::impl::BlockReductionsPassBase<BlockReductionsPass> {
  using BlockReductionsPassBase::BlockReductionsPassBase;

  void runOnOperation() override {
    if (failed(mnemo::cuda::checkBlockSize(getOperation(), blockSize)))
      return signalPassFailure();
    SmallVector<std::pair<Reduction, int64_t>> found; // with its length
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      FailureOr<Reduction> r = match(op);
      if (failed(r))
        return;
      // Rows too short for a warp stay one thread per output.
      int64_t length = reducedLength(*r);
      if (length >= 0 && length < std::min<int64_t>(minLength, warpMinLength))
        return;
      found.push_back({*r, length});
    });
    for (auto &[r, length] : found) {
      // A warp per row below min-length.
      OpBuilder b(r.op);
      KernelBuilder(r, mnemo::cuda::RowLayout(length, blockSize, minLength), b)
          .build();
      r.op.erase();
    }
  }
};

} // namespace
