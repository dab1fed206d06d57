//===- BufferLiveness.cpp - planning problem of a bufferized function -----===//

#include "mnemo/Memory/Planning/BufferLiveness.h"

#include "llvm/Support/Path.h"

#include "mnemo/Memory/Planning/TileAttrs.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace mnemo::memory {

FailureOr<MemoryPlan> planFunction(func::FuncOp fn,
                                   const BufferLiveness &live,
                                   StringRef planner, double ilpTimeLimit,
                                   int64_t sramBudget, StringRef model,
                                   ArrayRef<std::string> reports,
                                   std::optional<OrderReport> order) {
  // With tiers the single-arena plan is only reported (bounds, greedy).
  llvm::Expected<MemoryPlan> plan =
      planMemory(live.problem, sramBudget > 0 ? StringRef("greedy") : planner,
                 ilpTimeLimit, model);
  if (!plan)
    return fn.emitError() << llvm::toString(plan.takeError());
  // The model's file, for the report's title (the importer's module
  // location names it).
  if (auto module = fn->getParentOfType<ModuleOp>())
    if (auto file = dyn_cast<FileLineColLoc>(module.getLoc()))
      plan->source = llvm::sys::path::filename(file.getFilename().getValue()).str();
  if (order) {
    order->fixedOrderArena = plan->chosen.arenaBytes;
    if (order->moved > 0) {
      llvm::Expected<MemoryPlan> fixed =
          planMemory(order->fixedProblem,
                     sramBudget > 0 ? StringRef("greedy") : planner,
                     ilpTimeLimit, model);
      if (!fixed)
        return fn.emitError() << llvm::toString(fixed.takeError());
      order->fixedOrderArena = fixed->chosen.arenaBytes;
    }
    plan->order = std::move(order);
  }
  if (sramBudget > 0) {
    llvm::Expected<TierPlan> tiers =
        planTiers(live.problem, sramBudget, ilpTimeLimit);
    if (!tiers)
      return fn.emitError() << llvm::toString(tiers.takeError());
    plan->tiers = *tiers;
  }
  for (const std::string &path : reports)
    if (llvm::Error err = writeReport(*plan, path))
      return fn.emitError() << llvm::toString(std::move(err));
  return std::move(*plan);
}

Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

func::FuncOp lookupEntry(ModuleOp module, StringRef name) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn)
    module.emitError() << "entry function '" << name << "' not found";
  return fn;
}

std::string nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (std::string n = nodeName(l); !n.empty())
        return n;
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return nodeName(site.getCallee());
  return "";
}

int64_t elementBytes(Type t) {
  if (t.isIndex())
    return 8;
  return std::max<int64_t>(1, (t.getIntOrFloatBitWidth() + 7) / 8);
}

FailureOr<int64_t> staticAllocBytes(memref::AllocOp alloc) {
  MemRefType t = alloc.getType();
  if (!t.hasStaticShape() || !t.getLayout().isIdentity())
    return alloc.emitError()
           << "cannot size " << t
           << " here (dynamic or strided); mnemoc plans dynamic shapes "
              "from their --dim bounds";
  return t.getNumElements() * elementBytes(t.getElementType());
}

bool isScheduledLoop(Operation *op) {
  // scf.for (patch and tile loops, Scan) and scf.while (Loop): sequential.
  if (!isa<scf::ForOp, scf::WhileOp>(op))
    return false;
  bool allocates = false;
  for (Region &region : op->getRegions())
    for (Operation &inner : region.front()) {
      allocates |= isa<memref::AllocOp>(inner) || isScheduledLoop(&inner);
      // A buffer that outlives its iteration needs an address per
      // iteration.
      if (isa<scf::YieldOp, scf::ConditionOp>(inner))
        for (Value v : inner.getOperands())
          if (Operation *def = v.getDefiningOp())
            if (def->getBlock() == &region.front() &&
                isa<memref::AllocOp, ViewLikeOpInterface>(def))
              return false;
    }
  return allocates;
}

int64_t BufferLiveness::stepOf(Operation *op) const {
  for (; op; op = op->getParentOp())
    if (auto it = stepAt.find(op); it != stepAt.end())
      return it->second;
  return -1;
}

namespace {

/// Ops that do work at run time: anything with a region (loop nests) or a
/// memory effect, and the return (outputs are read after it). Allocation
/// bookkeeping, views and index arithmetic are not steps.
bool isStep(Operation *op) {
  if (isa<func::ReturnOp>(op))
    return true;
  if (isa<memref::AllocOp, memref::DeallocOp>(op))
    return false;
  return op->getNumRegions() > 0 || !isMemoryEffectFree(op);
}

std::string stepName(Operation *op) {
  std::string name = nodeName(op->getLoc());
  return name.empty() ? op->getName().getStringRef().str() : name;
}

/// Blocks whose ops are steps: the function's and scheduled loop bodies.
bool isScheduleBlock(Block *block, Block &entry) {
  return block == &entry || isScheduledLoop(block->getParentOp());
}

/// The values an scf op makes of the buffer at `use` beyond scf.for's
/// init operands (handled with the loop's schedule): a yield's parent
/// result and, for loops, the iteration argument of the next round; a
/// while loop's init or condition operand as its region arguments and
/// results. If, Loop and Scan bodies yield the buffers they allocate.
SmallVector<Value> forwardedValues(OpOperand &use) {
  Operation *user = use.getOwner();
  unsigned i = use.getOperandNumber();
  SmallVector<Value> out;
  if (isa<scf::YieldOp>(user)) {
    Operation *parent = user->getParentOp();
    if (auto loop = dyn_cast<scf::ForOp>(parent)) {
      out.push_back(loop.getResult(i));
      out.push_back(loop.getRegionIterArgs()[i]);
    } else if (auto loop = dyn_cast<scf::WhileOp>(parent)) {
      out.push_back(loop.getBeforeArguments()[i]);
    } else if (i < parent->getNumResults()) {
      out.push_back(parent->getResult(i));
    }
  } else if (auto cond = dyn_cast<scf::ConditionOp>(user)) {
    auto loop = cast<scf::WhileOp>(cond->getParentOp());
    if (i >= 1) {
      out.push_back(loop.getAfterArguments()[i - 1]);
      out.push_back(loop.getResult(i - 1));
    }
  } else if (auto loop = dyn_cast<scf::WhileOp>(user)) {
    out.push_back(loop.getBeforeArguments()[i]);
  }
  return out;
}

/// The steps that use `buffer` or a view of it (transitively). A buffer
/// used inside a scheduled loop it is not allocated in is used by every
/// iteration: all of the loop's steps.
llvm::SmallDenseSet<int64_t>
useSteps(memref::AllocOp alloc, Block &entry, const BufferLiveness &live,
         ArrayRef<std::tuple<Operation *, int64_t, int64_t>> loops) {
  llvm::SmallDenseSet<int64_t> steps;
  SmallVector<Value> worklist = {alloc.getResult()};
  llvm::SmallPtrSet<Operation *, 4> loopsUsing;
  // Loop-carried values come round again.
  llvm::DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == v) {
        llvm::append_range(worklist, user->getResults());
        // A view taken inside a loop nest is itself a use there.
        if (isScheduleBlock(user->getBlock(), entry))
          continue;
      }
      // A pointer taken from the buffer (the CUDA host reading one element
      // back) uses it wherever the address goes, through the arithmetic
      // that offsets it.
      if (isa<memref::ExtractAlignedPointerAsIndexOp>(user) ||
          (!isa<MemRefType>(v.getType()) && user->getNumRegions() == 0 &&
           isMemoryEffectFree(user)))
        llvm::append_range(worklist, user->getResults());
      // Loop-carried buffers alias the loop's results.
      if (auto loop = dyn_cast<scf::ForOp>(user))
        if (OpResult r = loop.getTiedLoopResult(&use)) {
          worklist.push_back(r);
          worklist.push_back(loop.getTiedLoopRegionIterArg(&use));
        }
      // A buffer yielded out of a region, or passed into a while loop,
      // lives on as what the yield or loop forwards it to.
      llvm::append_range(worklist, forwardedValues(use));
      if (isa<memref::DeallocOp>(user))
        continue;
      for (auto &[loop, first, last] : loops)
        if (loop->isAncestor(user) && !loop->isAncestor(alloc))
          loopsUsing.insert(loop);
      // The step the user belongs to (a view or index op between steps is
      // not a use).
      Operation *anchor = user;
      while (anchor && !isScheduleBlock(anchor->getBlock(), entry))
        anchor = anchor->getParentOp();
      if (anchor && isStep(anchor))
        steps.insert(live.stepOf(anchor));
    }
  }
  for (auto &[loop, first, last] : loops)
    if (loopsUsing.contains(loop))
      for (int64_t s = first; s <= last; ++s)
        steps.insert(s);
  return steps;
}

/// Numbers the steps of `block`, descending into scheduled loops; ops that
/// are not steps map to the next step.
void collectSteps(Block &block, BufferLiveness &result,
                  SmallVector<Operation *> &pending,
                  SmallVector<std::tuple<Operation *, int64_t, int64_t>> &loops) {
  Problem &p = result.problem;
  for (Operation &op : block) {
    pending.push_back(&op);
    if (isScheduledLoop(&op)) {
      int64_t first = p.steps.size();
      for (Region &region : op.getRegions())
        collectSteps(region.front(), result, pending, loops);
      loops.push_back({&op, first, (int64_t)p.steps.size() - 1});
      continue;
    }
    if (!isStep(&op))
      continue;
    for (Operation *q : pending)
      result.stepAt[q] = p.steps.size();
    pending.clear();
    p.steps.push_back(stepName(&op));
    result.stepOps.push_back(&op);
  }
}

} // namespace

FailureOr<BufferLiveness> analyzeBufferLiveness(
    func::FuncOp fn, function_ref<FailureOr<int64_t>(memref::AllocOp)> bytesOf,
    int64_t alignment) {
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("memory planning needs a single-block function");
  Block &block = fn.front();
  BufferLiveness result;
  Problem &p = result.problem;
  p.alignment = alignment;

  SmallVector<Operation *> pending;
  SmallVector<std::tuple<Operation *, int64_t, int64_t>> loops;
  collectSteps(block, result, pending, loops);
  for (auto &[loop, lo, hi] : loops)
    p.loops.push_back({lo, hi});
  p.touched.resize(p.steps.size());
  // Loops tiled for the budget stream their operands; the return may leave
  // outputs off chip (they are copied out either way). Transfers of a
  // buffer that outlives a scheduled loop sit outside it, so a buffer
  // streams at a step only if it outlives the outermost scheduled loop
  // around the step, and then for all of that loop (see Problem::Stream).
  p.streams.resize(p.steps.size());
  // The outermost scheduled loop around each step.
  std::vector<std::pair<int64_t, int64_t>> outer(p.steps.size());
  for (int64_t s = 0; s < (int64_t)p.steps.size(); ++s)
    outer[s] = {s, s};
  for (auto &[loop, lo, hi] : loops)
    for (int64_t s = lo; s <= hi; ++s)
      if (lo <= outer[s].first && hi >= outer[s].second)
        outer[s] = {lo, hi};
  for (auto [s, op] : llvm::enumerate(result.stepOps)) {
    if (isa<func::ReturnOp>(op)) {
      p.streams[s] = {0, 0, (int64_t)s, (int64_t)s};
      continue;
    }
    Operation *tiled = op;
    while (tiled && tiled != fn && !tiled->hasAttr(kTileStagingAttr))
      tiled = tiled->getParentOp();
    auto staging = tiled ? tiled->getAttrOfType<IntegerAttr>(kTileStagingAttr)
                         : IntegerAttr();
    auto ratio = tiled ? tiled->getAttrOfType<FloatAttr>(kTileTrafficRatioAttr)
                       : FloatAttr();
    if (staging && ratio)
      p.streams[s] = {staging.getInt(), ratio.getValueAsDouble(),
                      outer[s].first, outer[s].second};
  }
  // A loop with a step that cannot stream (a slice loop with an op that is
  // not tiled) keeps the buffers that outlive it on chip for all of it.
  for (int64_t s = 0; s < (int64_t)p.steps.size(); ++s)
    if (!p.streamable(s))
      for (int64_t u = outer[s].first; u <= outer[s].second; ++u)
        p.streams[u].staging = -1;

  llvm::StringMap<int> seenNames;
  WalkResult walk = fn.walk([&](memref::AllocOp alloc) {
    FailureOr<int64_t> bytes = bytesOf(alloc);
    if (failed(bytes))
      return WalkResult::interrupt();
    llvm::SmallDenseSet<int64_t> steps = useSteps(alloc, block, result, loops);
    int64_t first = INT64_MAX, last = -1;
    for (int64_t st : steps) {
      first = std::min(first, st);
      last = std::max(last, st);
      p.touched[st].push_back(p.buffers.size());
    }
    if (last < 0) // never used: live where it is allocated
      first = last = std::min<int64_t>(std::max<int64_t>(result.stepOf(alloc), 0),
                                       (int64_t)p.steps.size() - 1);
    int index = p.buffers.size();
    std::string name = nodeName(alloc.getLoc());
    if (name.empty())
      name = "buffer" + std::to_string(index);
    if (int n = seenNames[name]++)
      name += "#" + std::to_string(n + 1);
    int64_t aligned = (*bytes + alignment - 1) / alignment * alignment;
    p.buffers.push_back({name, aligned, first, last});
    result.allocs.push_back(alloc);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  return result;
}

} // namespace mnemo::memory
