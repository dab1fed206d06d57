//===- LaunchHostOps.cpp - leftover compute into one-thread launches ------===//

#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Memory/Planning/BufferLiveness.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/MapVector.h"
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

/// Whether an op after `load` and before `at` (the run's later ops, the
/// kernels after it) may overwrite what it loaded.
bool overwrittenLater(memref::LoadOp load, Operation *at) {
  Value root = mnemo::memory::rootBuffer(load.getMemRef());
  for (Operation *it = load->getNextNode(); it != at; it = it->getNextNode())
    if (mayWrite(it, root))
      return true;
  return false;
}

/// A run reading a value an earlier run of its block computed (CSE merged
/// the comparisons of two unrolled tiny ops, with a kernel launched between
/// them): the value's computation, loads and pure arithmetic only, is
/// copied to the front of the later run, as long as nothing between the
/// two writes a buffer it loads (else the host reads it back, below).
void rematerialize(MutableArrayRef<SmallVector<Operation *>> runs) {
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
    // Nothing between a copied load and the run writes what it loads (the
    // copied ops themselves only read).
    if (llvm::any_of(ordered, [&](Operation *op) {
          auto load = dyn_cast<memref::LoadOp>(op);
          return load && overwrittenLater(load, front);
        }))
      continue;
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
}

/// The host's copy of `memref[indices]`, read back from device memory when
/// the stream has run up to here: a call into the runtime with the
/// element's address (`mnemo_cuda_read` waits for the stream, copies at
/// most 8 bytes and returns them as the low bits of an i64). Fails for an
/// element it cannot carry (sub-byte, vector, wider than 8 bytes).
FailureOr<Value> readOnHost(OpBuilder &b, Location loc, Value memref,
                            ValueRange indices, func::FuncOp read) {
  auto type = cast<MemRefType>(memref.getType());
  Type elt = type.getElementType();
  unsigned bits = elt.isIndex() ? 64 : elt.getIntOrFloatBitWidth();
  if (!elt.isIntOrIndexOrFloat() || (bits % 8 && bits != 1) || bits > 64)
    return failure();
  int64_t bytes = std::max(1u, bits / 8);
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Type i64 = b.getI64Type();
  // The element's address: the aligned pointer plus (offset + sum of
  // index * stride) elements.
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value linear = meta.getOffset();
  for (auto [index, stride] : llvm::zip(indices, meta.getStrides()))
    linear = arith::AddIOp::create(
        b, loc, linear, arith::MulIOp::create(b, loc, index, stride));
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  Value addr = arith::AddIOp::create(
      b, loc, base,
      arith::MulIOp::create(b, loc, linear,
                            arith::ConstantIndexOp::create(b, loc, bytes)));
  Value addr64 = arith::IndexCastOp::create(b, loc, i64, addr);
  Value p = LLVM::IntToPtrOp::create(b, loc, ptr, addr64);
  Value raw = func::CallOp::create(
                  b, loc, read,
                  ValueRange{p, arith::ConstantIntOp::create(b, loc, i64,
                                                             bytes)})
                  .getResult(0);
  if (elt.isIndex())
    return arith::IndexCastOp::create(b, loc, elt, raw).getResult();
  Type bitsType = b.getIntegerType(bits);
  Value v = bits == 64 ? raw : arith::TruncIOp::create(b, loc, bitsType, raw);
  if (isa<FloatType>(elt))
    v = arith::BitcastOp::create(b, loc, elt, v);
  return v;
}

/// Gives `op` (a host op, or an op of a later run, which then starts at
/// `at`) host copies of the values it uses, in its regions too, from
/// `run`. Their computation, loads and pure arithmetic, is cloned before
/// `at`, each load read back from device memory (the run is launched
/// before, so the reads see what it stored). A value computed otherwise (a
/// count accumulated by a loop) or loaded from a buffer written again
/// before `at` is stored by the run into a buffer of its own and read from
/// there. Every use from `at` on takes the host's value (kernels get it as
/// an argument); the run's ops that nothing reads any more go. Fails when
/// a value cannot be read (a sub-byte or vector element).
LogicalResult readOperandsOnHost(Operation *op, Operation *at,
                                 SmallVector<Operation *> &run,
                                 llvm::SmallPtrSet<Operation *, 8> &inRun,
                                 llvm::function_ref<func::FuncOp()> read) {
  llvm::SetVector<Operation *> slice; // cloned before `at`
  llvm::SetVector<Value> stored;      // stored by the run, then read
  // The values `op` uses, in its regions too (a branch's allocation).
  SmallVector<Value> work;
  op->walk([&](Operation *inner) {
    llvm::append_range(work, inner->getOperands());
  });
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (!def || !inRun.contains(def) || slice.contains(def))
      continue;
    auto load = dyn_cast<memref::LoadOp>(def);
    if (!readsOnly(def) || (load && overwrittenLater(load, at))) {
      stored.insert(v);
      continue;
    }
    slice.insert(def);
    llvm::append_range(work, def->getOperands());
  }
  Operation *front = run.front();
  OpBuilder b(at);
  IRMapping map;
  for (Value v : stored) {
    Type t = v.getType();
    if (!t.isIntOrIndexOrFloat())
      return failure();
    Location loc = v.getLoc();
    OpBuilder device(front);
    Value buffer =
        memref::AllocOp::create(device, loc, MemRefType::get({}, t))
            .getResult();
    device.setInsertionPointAfterValue(v);
    auto store = memref::StoreOp::create(device, loc, v, buffer, ValueRange{});
    run.insert(llvm::find(run, v.getDefiningOp()) + 1, store);
    inRun.insert(store);
    FailureOr<Value> host = readOnHost(b, loc, buffer, {}, read());
    if (failed(host))
      return failure();
    map.map(v, *host);
  }
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  for (Operation *def : ordered) {
    auto load = dyn_cast<memref::LoadOp>(def);
    if (!load) {
      b.clone(*def, map);
      continue;
    }
    FailureOr<Value> host = readOnHost(b, load.getLoc(), load.getMemRef(),
                                       load.getIndices(), read());
    if (failed(host))
      return failure();
    map.map(load.getResult(), *host);
  }
  Block *block = at->getBlock();
  auto outsideRun = [&](OpOperand &use) {
    Operation *top = block->findAncestorOpInBlock(*use.getOwner());
    return top && !inRun.contains(top) &&
           (top == at || at->isBeforeInBlock(top));
  };
  for (Value v : stored)
    v.replaceUsesWithIf(map.lookup(v), outsideRun);
  for (Operation *def : ordered)
    for (Value r : def->getResults())
      r.replaceUsesWithIf(map.lookup(r), outsideRun);
  for (Operation *def : llvm::reverse(ordered))
    if (def->use_empty()) {
      inRun.erase(def);
      llvm::erase(run, def);
      def->erase();
    }
  return success();
}

/// Emulation's mnemo_cuda_read: a load of 1, 2, 4 or 8 bytes, zero-extended
/// (device memory is host memory there).
void defineRead(func::FuncOp read) {
  Location loc = read.getLoc();
  read.setPrivate();
  Block *entry = read.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(entry);
  Type i64 = b.getI64Type();
  Value bytes = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           entry->getArgument(1));
  SmallVector<int64_t> cases = {1, 2, 4};
  auto sw = scf::IndexSwitchOp::create(b, loc, TypeRange{i64}, bytes, cases,
                                       cases.size());
  auto fill = [&](Region &region, unsigned bits) {
    OpBuilder rb = OpBuilder::atBlockEnd(&region.emplaceBlock());
    Value v = LLVM::LoadOp::create(rb, loc, rb.getIntegerType(bits),
                                   entry->getArgument(0));
    if (bits < 64)
      v = arith::ExtUIOp::create(rb, loc, i64, v);
    scf::YieldOp::create(rb, loc, v);
  };
  for (auto [region, n] : llvm::zip(sw.getCaseRegions(), cases))
    fill(region, n * 8);
  fill(sw.getDefaultRegion(), 64);
  func::ReturnOp::create(b, loc, sw.getResult(0));
}

struct LaunchHostOpsPass
    : public mnemo::impl::LaunchHostOpsPassBase<LaunchHostOpsPass> {
  using LaunchHostOpsPassBase::LaunchHostOpsPassBase;

  /// mnemo_cuda_read, declared (or, emulated, defined) on first use.
  func::FuncOp read() {
    ModuleOp module = getOperation();
    if (auto f = module.lookupSymbol<func::FuncOp>("mnemo_cuda_read"))
      return f;
    MLIRContext *ctx = module.getContext();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Type i64 = b.getI64Type();
    auto f = func::FuncOp::create(
        b, module.getLoc(), "mnemo_cuda_read",
        FunctionType::get(ctx, {LLVM::LLVMPointerType::get(ctx), i64}, {i64}));
    f.setPrivate();
    // Emulated, the artifact keeps its read to itself: an exported one
    // would be interposed by the runtime's in a host that links both
    // (mnemo-run), which reads device memory and returns 0 without a GPU.
    if (emulate) {
      defineRead(f);
      f->setAttr("llvm.linkage",
                 LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    }
    return f;
  }

  void runOnOperation() override {
    // A module pass: a read back declares the runtime's function. The
    // functions there were, not an emulated read defined on the way.
    SmallVector<func::FuncOp> fns(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp fn : fns)
      if (!fn.isExternal() && failed(launchDeviceRuns(fn)))
        return signalPassFailure();
  }

  /// The host reads back the runs' values it needs: an op outside a run
  /// using one (an allocation's size, a branch's condition, a loop's bound
  /// or yielded value, a launch's grid, a value inside a loop that
  /// launches), or a later run, unless the value was copied into it. A
  /// kernel capturing a value of a run that only reads gets a copy of the
  /// run instead (no wait for the stream), below.
  LogicalResult readBack(MutableArrayRef<SmallVector<Operation *>> runs) {
    DenseMap<Operation *, unsigned> runOf;
    for (auto [i, run] : llvm::enumerate(runs))
      for (Operation *op : run)
        runOf[op] = i;
    for (SmallVector<Operation *> &run : runs) {
      llvm::SmallPtrSet<Operation *, 8> inRun(run.begin(), run.end());
      Block *block = run.front()->getBlock();
      bool copyable = readsOnly(run);
      // Users' tops outside the run, each with where its reads go.
      llvm::MapVector<Operation *, Operation *> users;
      for (Operation *op : run)
        for (Value r : op->getResults())
          for (OpOperand &use : r.getUses()) {
            Operation *top = block->findAncestorOpInBlock(*use.getOwner());
            if (!top || inRun.contains(top))
              continue;
            if (isa<gpu::LaunchOp>(top) && top != use.getOwner() && copyable)
              continue;
            auto it = runOf.find(top);
            users.insert({top, it == runOf.end() ? top
                                                  : runs[it->second].front()});
          }
      SmallVector<std::pair<Operation *, Operation *>> ordered(users.begin(),
                                                               users.end());
      llvm::sort(ordered, [](auto &a, auto &b) {
        return a.second != b.second ? a.second->isBeforeInBlock(b.second)
                                    : a.first->isBeforeInBlock(b.first);
      });
      for (auto [user, at] : ordered) {
        Operation *def = nullptr;
        user->walk([&](Operation *inner) {
          for (Value v : inner->getOperands())
            if (inRun.contains(v.getDefiningOp()))
              def = v.getDefiningOp();
        });
        if (!def)
          continue; // an earlier user's reads replaced its values
        if (failed(readOperandsOnHost(user, at, run, inRun,
                                      [&] { return read(); })))
          return reportHostUse(def), failure();
      }
    }
    return success();
  }

  LogicalResult launchDeviceRuns(func::FuncOp fn) {
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
          // A host op needing a run's value reads it back (below).
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
    rematerialize(runs);
    if (failed(readBack(runs)))
      return failure();
    for (ArrayRef<Operation *> run : runs) {
      if (run.empty())
        continue; // all of it read back on the host
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
            return failure();
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
    return success();
  }
};

} // namespace
