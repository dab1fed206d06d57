//===- LaunchHostOps.cpp - leftover compute into one-thread launches ------===//

#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Memory/Planning/BufferLiveness.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mnemo {
#define GEN_PASS_DEF_LAUNCHHOSTOPSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// A load of a constant global (seen through views): the host reads its
/// own copy (a pad width or an index the host needs for a shape);
/// mnemo-cuda-device-constants gives kernels theirs.
bool loadsHostConstant(Operation *op) {
  auto load = dyn_cast<memref::LoadOp>(op);
  if (!load)
    return false;
  Value v = load.getMemRef();
  while (Operation *def = v.getDefiningOp()) {
    if (auto get = dyn_cast<memref::GetGlobalOp>(def)) {
      auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          get, get.getNameAttr());
      return global && global.getConstant();
    }
    if (!isa<memref::ViewOp, memref::SubViewOp, memref::ReinterpretCastOp,
             memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp>(
            def))
      return false;
    v = def->getOperand(0);
  }
  return false;
}

/// Ops that stay on the host: they touch no buffer's contents (views and
/// shapes only compute addresses and sizes), read the host's constants or
/// launch work.
bool isHostOp(Operation *op) {
  return loadsHostConstant(op) || isa<gpu::LaunchOp, gpu::LaunchFuncOp, gpu::MemcpyOp, gpu::MemsetOp,
             func::ReturnOp, func::CallOp, memref::AllocOp, memref::DeallocOp,
             memref::AllocaOp, memref::ViewOp, memref::SubViewOp,
             memref::ReinterpretCastOp, memref::CollapseShapeOp,
             memref::ExpandShapeOp, memref::CastOp, memref::DimOp,
             memref::ExtractStridedMetadataOp,
             memref::ExtractAlignedPointerAsIndexOp, memref::GetGlobalOp>(op) ||
         op->hasTrait<OpTrait::IsTerminator>();
}

/// Host ops that may move up, past device ops that do not feed them, so
/// that those device ops stay one run (shapes and allocations interleaved
/// with scalar code unrolled from tiny tensors).
bool isHoistable(Operation *op) {
  return isa<memref::AllocOp, memref::AllocaOp, memref::ViewOp,
             memref::SubViewOp, memref::ReinterpretCastOp,
             memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp,
             memref::DimOp, memref::ExtractStridedMetadataOp,
             memref::GetGlobalOp>(op);
}

/// Scalar arithmetic with no memory effects (index math, constants): on the
/// host unless it reads a value a device op computes.
bool isScalarArith(Operation *op) {
  if (!isa<arith::ArithDialect, affine::AffineDialect>(op->getDialect()) &&
      op->getName().getDialectNamespace() != "index")
    return false;
  return op->getNumRegions() == 0 &&
         llvm::none_of(op->getOperandTypes(),
                       [](Type t) { return isa<MemRefType>(t); });
}

/// Whether `ops` only read memory (loads and pure arithmetic).
bool readsOnly(ArrayRef<Operation *> ops) {
  return llvm::all_of(ops, [](Operation *op) {
    if (op->getNumRegions())
      return false;
    if (isa<memref::LoadOp>(op) || isMemoryEffectFree(op))
      return true;
    return false;
  });
}

void reportHostUse(Operation *op) {
  op->emitError() << "'" << op->getName()
                  << "' computes a value the host needs (a shape or size read "
                     "from device data): the CUDA target cannot run it";
}

/// Whether `op` (a launch or a run's op, with what it nests) may write the
/// buffer `root`: it uses a view of it anywhere inside.
bool mayWrite(Operation *op, Value root) {
  bool found = false;
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      if (isa<MemRefType>(v.getType()) && mnemo::memory::rootBuffer(v) == root)
        found = true;
    if (found)
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return found && !isa<memref::LoadOp, memref::DimOp>(op) &&
         !isa<ViewLikeOpInterface>(op);
}

/// A run reading a value an earlier run of its block computed (CSE merged
/// the comparisons of two unrolled tiny ops, with a kernel launched between
/// them): the value's computation, loads and pure arithmetic only, is
/// copied to the front of the later run, as long as nothing between the
/// two writes a buffer it loads. Else the runs cannot be split and the
/// value is reported.
LogicalResult rematerialize(MutableArrayRef<SmallVector<Operation *>> runs) {
  DenseMap<Operation *, unsigned> runOf;
  for (auto [i, run] : llvm::enumerate(runs))
    for (Operation *op : run)
      runOf[op] = i;
  for (auto [i, run] : llvm::enumerate(runs)) {
    Operation *front = run.front();
    Block *block = front->getBlock();
    llvm::SetVector<Operation *> slice; // ops of earlier runs it reads
    SmallVector<Value> work;
    for (Operation *op : run)
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          work.push_back(v);
      });
    bool ok = true;
    while (!work.empty()) {
      Operation *def = work.pop_back_val().getDefiningOp();
      auto it = def ? runOf.find(def) : runOf.end();
      if (it == runOf.end() || it->second == i || slice.contains(def))
        continue;
      if (def->getBlock() != block || !readsOnly(def)) {
        ok = false;
        break;
      }
      slice.insert(def);
      llvm::append_range(work, def->getOperands());
    }
    if (!ok || slice.empty())
      continue;
    SmallVector<Operation *> ordered(slice.begin(), slice.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    // Nothing between the first copied op and the run writes what it loads.
    for (Operation *op : ordered) {
      auto load = dyn_cast<memref::LoadOp>(op);
      if (!load)
        continue;
      Value root = mnemo::memory::rootBuffer(load.getMemRef());
      for (Operation *it = op->getNextNode(); it && it != front;
           it = it->getNextNode())
        if (!slice.contains(it) && mayWrite(it, root))
          return reportHostUse(op), failure();
    }
    OpBuilder b(front);
    IRMapping map;
    SmallVector<Operation *> copies;
    for (Operation *op : ordered)
      copies.push_back(b.clone(*op, map));
    for (Operation *op : run)
      op->walk([&](Operation *inner) {
        for (OpOperand &use : inner->getOpOperands())
          if (Value v = map.lookupOrNull(use.get()))
            use.set(v);
      });
    run.insert(run.begin(), copies.begin(), copies.end());
    for (Operation *c : copies)
      runOf[c] = i;
  }
  return success();
}

struct LaunchHostOpsPass
    : public mnemo::impl::LaunchHostOpsPassBase<LaunchHostOpsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    // Maximal runs of consecutive ops that must run on the device, per
    // block of the function body (their regions' nested ops move with
    // them). A loop or branch that already launches kernels (an argmax
    // over its axis: a kernel per step) stays on the host, and its own
    // blocks are searched the same way.
    SmallVector<Block *> blocks;
    for (Block &block : fn.getBody())
      blocks.push_back(&block);
    SmallVector<SmallVector<Operation *>> runs;
    while (!blocks.empty()) {
      Block &block = *blocks.pop_back_val();
      SmallVector<Operation *> run;
      llvm::SmallPtrSet<Operation *, 8> inRun;
      auto close = [&] {
        if (!run.empty())
          runs.push_back(std::move(run));
        run.clear();
        inRun.clear();
      };
      for (Operation &op : llvm::make_early_inc_range(block)) {
        Operation *producer = nullptr;
        for (Value v : op.getOperands())
          if (inRun.contains(v.getDefiningOp()))
            producer = v.getDefiningOp();
        bool launches = op.getNumRegions() && !isa<gpu::LaunchOp>(op) &&
                        op.walk([](gpu::LaunchOp) {
                            return WalkResult::interrupt();
                          }).wasInterrupted();
        if (launches) {
          for (Region &r : op.getRegions())
            for (Block &b : r)
              blocks.push_back(&b);
        }
        if (!run.empty() && !producer && !launches &&
            (isHoistable(&op) || isScalarArith(&op))) {
          op.moveBefore(run.front());
          continue;
        }
        if (isHostOp(&op) || launches) {
          // A kernel may capture a run's value (a scalar input): the run is
          // then copied into it below.
          if (producer && !op.hasTrait<OpTrait::IsTerminator>() &&
              !isa<gpu::LaunchOp>(op)) {
            reportHostUse(producer);
            return signalPassFailure();
          }
          close();
          continue;
        }
        if (isScalarArith(&op) && !producer) {
          close();
          continue;
        }
        run.push_back(&op);
        inRun.insert(&op);
      }
      if (!run.empty())
        runs.push_back(std::move(run));
    }
    if (failed(rematerialize(runs)))
      return signalPassFailure();
    for (ArrayRef<Operation *> run : runs) {
      llvm::SmallPtrSet<Operation *, 8> inRun(run.begin(), run.end());
      Block *block = run.front()->getBlock();
      // Kernels that read the run's values: each gets its own copy of the
      // run (loads and arithmetic only; a run that writes memory cannot be
      // repeated), and the run itself goes.
      llvm::SetVector<gpu::LaunchOp> readers;
      for (Operation *op : run)
        for (Value r : op->getResults())
          for (Operation *user : r.getUsers()) {
            Operation *top = block->findAncestorOpInBlock(*user);
            if (inRun.contains(top))
              continue;
            if (isa_and_nonnull<gpu::LaunchOp>(top) && readsOnly(run)) {
              readers.insert(cast<gpu::LaunchOp>(top));
              continue;
            }
            reportHostUse(op);
            return signalPassFailure();
          }
      if (!readers.empty()) {
        for (gpu::LaunchOp launch : readers) {
          OpBuilder inner = OpBuilder::atBlockBegin(&launch.getBody().front());
          IRMapping map;
          for (Operation *op : run)
            inner.clone(*op, map);
          for (Operation *op : run)
            for (Value r : op->getResults())
              r.replaceUsesWithIf(map.lookup(r), [&](OpOperand &use) {
                return launch->isProperAncestor(use.getOwner());
              });
        }
        for (Operation *op : llvm::reverse(run))
          if (op->use_empty())
            op->erase();
        continue;
      }
      OpBuilder b(run.front());
      Location loc = run.front()->getLoc();
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
      Block &body = launch.getBody().front();
      OpBuilder inner = OpBuilder::atBlockEnd(&body);
      auto term = gpu::TerminatorOp::create(inner, loc);
      for (Operation *op : run)
        op->moveBefore(term);
    }
  }
};

} // namespace
