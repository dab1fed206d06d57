//===- CPUABI.cpp - the mnemo-cpu-abi pass --------------------------------===//
//
// Turns the bufferized entry function into the artifact's C entry points:
// allocations become views into one caller-provided workspace at offsets
// fixed here, inputs and outputs arrive as raw pointers, and symbolic dims
// as an int64 array checked against their compile-time bounds.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"
#include "mnemo/Support/DimSpec.h"
#include "mnemo/Support/RunStatus.h"
#include "mnemo/Target/CPU/MemRefPointers.h"
#include "mnemo/Memory/Planning/SizeBounds.h"
#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Mem/IR/Mem.h"
#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/MemoryPlan.h"
#include "mnemo/Memory/Planning/StepOrder.h"
#include "mnemo/Memory/Planning/TierRewrite.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mnemo {
#define GEN_PASS_DEF_CPUABIPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo;

/// A memref of `type` over raw pointer `ptr`, row-major, with `sizes`
/// (index values, one per dim): an LLVM descriptor struct cast to the memref
/// type, which the memref-to-LLVM conversion folds away.
Value mnemo::memrefFromPointer(OpBuilder &b, Location loc, Value ptr,
                               MemRefType type, ArrayRef<Value> sizes) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto ptrT = LLVM::LLVMPointerType::get(ctx);
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {ptrT, ptrT, i64};
  if (rank > 0) {
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
  }
  auto structT = LLVM::LLVMStructType::getLiteral(ctx, fields);
  Value d = LLVM::PoisonOp::create(b, loc, structT);
  d = LLVM::InsertValueOp::create(b, loc, d, ptr, ArrayRef<int64_t>{0});
  d = LLVM::InsertValueOp::create(b, loc, d, ptr, ArrayRef<int64_t>{1});
  Value zero = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
  d = LLVM::InsertValueOp::create(b, loc, d, zero, ArrayRef<int64_t>{2});
  Value stride = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
  for (int64_t i = rank - 1; i >= 0; --i) {
    Value s = arith::IndexCastOp::create(b, loc, i64, sizes[i]);
    d = LLVM::InsertValueOp::create(b, loc, d, s, ArrayRef<int64_t>{3, i});
    d = LLVM::InsertValueOp::create(b, loc, d, stride, ArrayRef<int64_t>{4, i});
    stride = LLVM::MulOp::create(b, loc, stride, s);
  }
  return UnrealizedConversionCastOp::create(b, loc, type, d).getResult(0);
}

namespace {
/// The error exits of a generated entry point: blocks that return an error
/// code, kept after the blocks that check the arguments and run.
struct ErrorExits {
  func::FuncOp fn;
  Location loc;
  Block *first = nullptr;

  Block *exit(int32_t code) {
    Block *block = fn.addBlock();
    OpBuilder eb = OpBuilder::atBlockBegin(block);
    func::ReturnOp::create(
        eb, loc,
        ValueRange{arith::ConstantIntOp::create(eb, loc, eb.getI32Type(), code)});
    if (!first)
      first = block;
    return block;
  }

  /// Continues `fb` in a new block when `ok`, else leaves through `to`.
  void require(OpBuilder &fb, Value ok, Block *to) {
    Block *next = fn.addBlock();
    next->moveBefore(first);
    cf::CondBranchOp::create(fb, loc, ok, next, ValueRange{}, to, ValueRange{});
    fb.setInsertionPointToStart(next);
  }
};
} // namespace

namespace {

constexpr int64_t kAlignment = 64;

/// Loads element `i` of a pointer array or int64 array.
Value loadElement(OpBuilder &b, Location loc, Value base, Type elt, int64_t i) {
  auto ptrT = LLVM::LLVMPointerType::get(b.getContext());
  Value p = LLVM::GEPOp::create(b, loc, ptrT, elt, base,
                                ArrayRef<LLVM::GEPArg>{(int32_t)i});
  return LLVM::LoadOp::create(b, loc, elt, p);
}

struct DimInfo {
  std::string name;
  int64_t lo, hi;
};

struct CPUABIPass : public mnemo::impl::CPUABIPassBase<CPUABIPass> {
  using CPUABIPassBase::CPUABIPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = memory::lookupEntry(module, entry);
    if (!fn)
      return signalPassFailure();
    for (Type t : llvm::concat<const Type>(fn.getArgumentTypes(),
                                           fn.getResultTypes()))
      if (!isa<MemRefType>(t) || !cast<MemRefType>(t).getLayout().isIdentity()) {
        fn.emitError() << "entry must take and return identity-layout memrefs "
                          "(bufferize first), got "
                       << t;
        return signalPassFailure();
      }

    // Symbolic dims in order of first appearance, with their bounds.
    llvm::StringMap<std::pair<int64_t, int64_t>> given;
    for (const std::string &spec : dimBounds) {
      std::optional<DimSpec> d = parseDimSpec(spec);
      if (!d) {
        module.emitError() << "bad dim bound '" << spec
                           << "' (expected name=lo..hi or name=n)";
        return signalPassFailure();
      }
      given[d->name] = {d->lo, d->hi};
    }
    std::vector<DimInfo> dims;
    // argDims[arg][dim] = index into `dims`.
    SmallVector<SmallVector<int64_t>> argDims(fn.getNumArguments());
    for (unsigned a = 0; a < fn.getNumArguments(); ++a) {
      auto t = cast<MemRefType>(fn.getArgumentTypes()[a]);
      argDims[a].assign(t.getRank(), -1);
      for (int64_t d = 0; d < t.getRank(); ++d) {
        if (!t.isDynamicDim(d))
          continue;
        std::string name = graph::symbolicDimName(
            fn.getArgAttrDict(a), "input" + std::to_string(a), d);
        auto it = llvm::find_if(dims, [&](const DimInfo &x) { return x.name == name; });
        if (it == dims.end()) {
          auto g = given.find(name);
          if (g == given.end()) {
            fn.emitError() << "symbolic dim '" << name
                           << "' needs a bound: --dim " << name << "=LO..HI";
            return signalPassFailure();
          }
          dims.push_back({name, g->second.first, g->second.second});
          it = dims.end() - 1;
        }
        argDims[a][d] = it - dims.begin();
      }
    }

    // Bound every allocation and give it a slot.
    SizeBounds bounds([&](BlockArgument arg, int64_t d) -> std::optional<Interval> {
      if (arg.getOwner() != &fn.front())
        return std::nullopt;
      int64_t k = argDims[arg.getArgNumber()][d];
      if (k < 0)
        return std::nullopt;
      return Interval{dims[k].lo, dims[k].hi};
    });
    auto bytesOf = [&](memref::AllocOp alloc) -> FailureOr<int64_t> {
      MemRefType t = alloc.getType();
      if (!t.getLayout().isIdentity())
        return alloc.emitError()
               << "cannot place a non-identity allocation " << t;
      int64_t n = memory::elementBytes(t.getElementType());
      for (int64_t d = 0; d < t.getRank(); ++d) {
        auto b = bounds.dimBound(alloc.getResult(), d);
        if (!b)
          return alloc.emitError()
                 << "cannot bound dim " << d << " of " << t
                 << " from the symbolic dim bounds (data-dependent shape?)";
        n *= std::max<int64_t>(0, b->hi);
      }
      return n;
    };
    // The memory plan: every allocation's offset in the workspace, or with
    // an SRAM budget the tier plan (mem arenas, views, spills, reloads).
    bool tiered = sramBudget > 0;
    if (tiered)
      memory::cloneViewsPerUser(fn.front());
    if (!memory::isOperatorOrderName(operatorOrder)) {
      fn.emitError() << "operator-order must be program or memory, not '"
                     << operatorOrder << "'";
      return signalPassFailure();
    }
    std::optional<memory::OrderReport> order;
    FailureOr<memory::BufferLiveness> live = memory::analyzeInBestOrder(
        fn, bytesOf, kAlignment, operatorOrder == "memory", ilpTimeLimit,
        order);
    if (failed(live))
      return signalPassFailure();
    FailureOr<memory::MemoryPlan> plan =
        memory::planFunction(fn, *live, planner, ilpTimeLimit, sramBudget,
                             modelName, reports, std::move(order));
    if (failed(plan))
      return signalPassFailure();
    // The most bytes each output can take, so callers can size buffers.
    SmallVector<Attribute> outBytes;
    auto ret = cast<func::ReturnOp>(fn.front().getTerminator());
    for (Value r : ret.getOperands()) {
      auto t = cast<MemRefType>(r.getType());
      int64_t n = memory::elementBytes(t.getElementType());
      for (int64_t d = 0; d < t.getRank(); ++d) {
        auto b = bounds.dimBound(r, d);
        if (!b) {
          fn.emitError() << "cannot bound dim " << d << " of output " << t
                         << " from the symbolic dim bounds";
          return signalPassFailure();
        }
        n *= std::max<int64_t>(0, b->hi);
      }
      outBytes.push_back(IntegerAttr::get(IntegerType::get(&getContext(), 64), n));
    }
    module->setAttr("mnemo.output_max_bytes",
                    ArrayAttr::get(&getContext(), outBytes));
    SmallVector<std::pair<memref::AllocOp, int64_t>> slots;
    int64_t total = 0;
    if (tiered) {
      if (failed(memory::applyTierPlan(fn, *live, *plan->tiers, kAlignment)))
        return signalPassFailure();
    } else {
      for (auto [alloc, offset] :
           llvm::zip(live->allocs, plan->chosen.offsets))
        slots.push_back({alloc, offset});
      total = plan->chosen.arenaBytes;
    }
    // Arenas of a tier plan follow in the workspace.
    SmallVector<std::pair<mem::ArenaOp, int64_t>> arenas;
    fn.walk([&](mem::ArenaOp arena) {
      int64_t at = (total + kAlignment - 1) / kAlignment * kAlignment;
      arenas.push_back({arena, at});
      total = at + cast<MemRefType>(arena.getType()).getDimSize(0);
    });
    int64_t wsBytes = std::max<int64_t>(total, kAlignment);

    // The entry takes the workspace as a trailing byte buffer.
    MLIRContext *ctx = &getContext();
    auto wsType = MemRefType::get({wsBytes}, IntegerType::get(ctx, 8));
    // (insertArgument cannot fail for a function without argument attrs
    // constraints; the result only reports that.)
    (void)fn.insertArgument(fn.getNumArguments(), wsType, {}, fn.getLoc());
    Value ws = fn.getArgument(fn.getNumArguments() - 1);
    for (auto [alloc, offset] : slots) {
      OpBuilder b(alloc);
      Value off = arith::ConstantIndexOp::create(b, alloc.getLoc(), offset);
      Value view = memref::ViewOp::create(b, alloc.getLoc(), alloc.getType(), ws,
                                          off, alloc.getDynamicSizes());
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    lowerMemOps(fn, ws, arenas);
    // Only the entry points call it: private here and internal in the
    // object, so two models' objects link into one program (every ONNX
    // graph may be called main_graph).
    fn.setPrivate();
    fn->setAttr("llvm.linkage",
                LLVM::LinkageAttr::get(fn.getContext(), LLVM::Linkage::Internal));
    // Names and dim params now live in the header; drop them from the IR.
    fn.removeArgAttrsAttr();
    fn.removeResAttrsAttr();

    buildEntryPoints(module, fn, dims, argDims, wsType);
  }

  /// Arenas become byte views of the workspace, mem.view typed views of
  /// them, spills and reloads plain copies.
  void lowerMemOps(func::FuncOp fn, Value ws,
                   ArrayRef<std::pair<mem::ArenaOp, int64_t>> arenas) {
    for (auto [arena, offset] : arenas) {
      OpBuilder b(arena);
      Value off = arith::ConstantIndexOp::create(b, arena.getLoc(), offset);
      Value view = memref::ViewOp::create(b, arena.getLoc(), arena.getType(),
                                          ws, off, ValueRange{});
      arena.replaceAllUsesWith(view);
      arena.erase();
    }
    fn.walk([](Operation *op) {
      OpBuilder b(op);
      if (auto v = dyn_cast<mem::ViewOp>(op)) {
        Value off = arith::ConstantIndexOp::create(b, v.getLoc(), v.getOffset());
        v.replaceAllUsesWith(
            memref::ViewOp::create(b, v.getLoc(), v.getType(), v.getArena(),
                                   off, v.getSizes())
                .getResult());
        v.erase();
      } else if (isa<mem::SpillOp, mem::ReloadOp>(op)) {
        memref::CopyOp::create(b, op->getLoc(), op->getOperand(0),
                               op->getOperand(1));
        op->erase();
      }
    });
  }

  void buildEntryPoints(ModuleOp module, func::FuncOp fn,
                        ArrayRef<DimInfo> dims,
                        ArrayRef<SmallVector<int64_t>> argDims,
                        MemRefType wsType) {
    MLIRContext *ctx = module.getContext();
    Location loc = fn.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto ptrT = LLVM::LLVMPointerType::get(ctx);
    std::string name = modelName;

    // size_t <name>_workspace_bytes(void)
    {
      auto f = func::FuncOp::create(b, loc, name + "_workspace_bytes",
                                    FunctionType::get(ctx, {}, {i64}));
      OpBuilder fb = OpBuilder::atBlockBegin(f.addEntryBlock());
      func::ReturnOp::create(
          fb, loc, ValueRange{arith::ConstantIntOp::create(fb, loc, i64,
                                                           wsType.getDimSize(0))});
    }
    // int <name>_run_dims(dims, inputs, outputs, output_shapes, workspace)
    auto runDims = func::FuncOp::create(
        b, loc, name + "_run_dims",
        FunctionType::get(ctx, {ptrT, ptrT, ptrT, ptrT, ptrT}, {i32}));
    {
      Block *entryBlock = runDims.addEntryBlock();
      Value dimsP = runDims.getArgument(0), insP = runDims.getArgument(1),
            outsP = runDims.getArgument(2), shapesP = runDims.getArgument(3),
            wsP = runDims.getArgument(4);
      OpBuilder fb = OpBuilder::atBlockBegin(entryBlock);
      // Error exits: 3 (a dim outside its bound), 7 (a pointer the run
      // needs is NULL), 8 (the workspace is not aligned as planned).
      ErrorExits exits{runDims, loc};
      Block *bad = exits.exit(3), *nullArg = exits.exit(7),
            *misaligned = exits.exit(8),
            *noWeights = exits.exit(kStatusNoWeights);
      auto require = [&](Value ok, Block *exit) { exits.require(fb, ok, exit); };
      Value null = LLVM::ZeroOp::create(fb, loc, ptrT);
      auto nonNull = [&](Value p) {
        return LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::ne, p, null)
            .getResult();
      };
      // A buffer of `sizes` (index values) holding elements must be given.
      auto requireData = [&](Value p, ArrayRef<Value> sizes) {
        Value count = arith::ConstantIndexOp::create(fb, loc, 1);
        for (Value sz : sizes)
          count = arith::MulIOp::create(fb, loc, count, sz);
        Value empty = arith::CmpIOp::create(
            fb, loc, arith::CmpIPredicate::eq, count,
            arith::ConstantIndexOp::create(fb, loc, 0));
        require(arith::OrIOp::create(fb, loc, empty, nonNull(p)), nullArg);
      };
      // External weights (--weights=file) must have been given.
      auto weights = module.lookupSymbol<LLVM::GlobalOp>(kWeightsGlobal);
      if (weights)
        require(nonNull(LLVM::LoadOp::create(
                    fb, loc, ptrT,
                    LLVM::AddressOfOp::create(fb, loc, ptrT, kWeightsGlobal))),
                noWeights);
      unsigned numInputs = fn.getNumArguments() - 1;
      unsigned numOutputs = fn.getNumResults();
      if (!dims.empty())
        require(nonNull(dimsP), nullArg);
      if (numInputs)
        require(nonNull(insP), nullArg);
      if (numOutputs)
        require(nonNull(outsP), nullArg);
      // Outputs of static shape with elements (a buffer of zero elements
      // may be NULL: an empty vector's data(); an output sized at run time
      // is checked once its size is known, before anything is copied out).
      // Inputs are checked once their dims are read.
      for (unsigned r = 0; r < numOutputs; ++r) {
        auto t = cast<MemRefType>(fn.getResultTypes()[r]);
        if (t.hasStaticShape() && t.getNumElements() > 0)
          require(nonNull(loadElement(fb, loc, outsP, ptrT, r)), nullArg);
      }
      if (wsType.getDimSize(0) > 0) {
        require(nonNull(wsP), nullArg);
        Value addr = LLVM::PtrToIntOp::create(fb, loc, i64, wsP);
        Value low = arith::AndIOp::create(
            fb, loc, addr,
            arith::ConstantIntOp::create(fb, loc, i64,
                                         memory::Problem().alignment - 1));
        require(arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, low,
                                      arith::ConstantIntOp::create(fb, loc, i64, 0)),
                misaligned);
      }
      SmallVector<Value> dimVals;
      for (auto [k, d] : llvm::enumerate(dims)) {
        Value v = loadElement(fb, loc, dimsP, i64, k);
        Value lo = arith::ConstantIntOp::create(fb, loc, i64, d.lo);
        Value hi = arith::ConstantIntOp::create(fb, loc, i64, d.hi);
        Value okLo = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::sge, v, lo);
        Value okHi = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::sle, v, hi);
        Value ok = arith::AndIOp::create(fb, loc, okLo, okHi);
        Block *next = runDims.addBlock();
        next->moveBefore(bad);
        cf::CondBranchOp::create(fb, loc, ok, next, ValueRange{}, bad, ValueRange{});
        fb.setInsertionPointToStart(next);
        dimVals.push_back(arith::IndexCastOp::create(fb, loc, fb.getIndexType(), v));
      }
      SmallVector<Value> args;
      for (unsigned a = 0; a + 1 < fn.getNumArguments(); ++a) {
        auto t = cast<MemRefType>(fn.getArgumentTypes()[a]);
        SmallVector<Value> sizes;
        for (int64_t d = 0; d < t.getRank(); ++d)
          sizes.push_back(t.isDynamicDim(d)
                              ? dimVals[argDims[a][d]]
                              : (Value)arith::ConstantIndexOp::create(
                                    fb, loc, t.getDimSize(d)));
        // Holding elements at these dims, it must be given.
        Value inP = loadElement(fb, loc, insP, ptrT, a);
        requireData(inP, sizes);
        args.push_back(memrefFromPointer(fb, loc, inP, t, sizes));
      }
      args.push_back(memrefFromPointer(
          fb, loc, wsP, wsType,
          {arith::ConstantIndexOp::create(fb, loc, wsType.getDimSize(0))}));
      // The run status (Support/RunStatus.h): cleared before the model,
      // returned after it when a lowering stored an error there.
      Value statusP;
      if (module.lookupSymbol<LLVM::GlobalOp>(kRunStatusGlobal)) {
        statusP = LLVM::AddressOfOp::create(fb, loc, ptrT, kRunStatusGlobal);
        LLVM::StoreOp::create(fb, loc,
                              arith::ConstantIntOp::create(fb, loc, i32, 0),
                              statusP);
      }
      auto call = func::CallOp::create(fb, loc, fn, args);
      if (statusP) {
        Value status = LLVM::LoadOp::create(fb, loc, i32, statusP);
        Block *failedRun = runDims.addBlock();
        failedRun->moveBefore(bad);
        OpBuilder eb = OpBuilder::atBlockBegin(failedRun);
        func::ReturnOp::create(eb, loc, ValueRange{status});
        require(arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, status,
                                      arith::ConstantIntOp::create(fb, loc, i32, 0)),
                failedRun);
      }
      // Copy each result out and report its shape.
      Value nullP = LLVM::ZeroOp::create(fb, loc, ptrT);
      Value haveShapes = LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::ne,
                                              shapesP, nullP);
      int64_t shapeSlot = 0;
      SmallVector<std::pair<Value, int64_t>> shapeStores;
      for (auto [j, r] : llvm::enumerate(call.getResults())) {
        auto t = cast<MemRefType>(r.getType());
        SmallVector<Value> sizes;
        for (int64_t d = 0; d < t.getRank(); ++d) {
          Value s = memref::DimOp::create(fb, loc, r, d);
          sizes.push_back(s);
          shapeStores.push_back({s, shapeSlot++});
        }
        Value outP = loadElement(fb, loc, outsP, ptrT, j);
        if (!t.hasStaticShape()) // sized at run time: checked before the copy
          requireData(outP, sizes);
        Value out = memrefFromPointer(fb, loc, outP, t, sizes);
        memref::CopyOp::create(fb, loc, r, out);
      }
      Block *store = runDims.addBlock(), *done = runDims.addBlock();
      store->moveBefore(bad);
      done->moveBefore(bad);
      cf::CondBranchOp::create(fb, loc, haveShapes, store, ValueRange{}, done,
                               ValueRange{});
      fb.setInsertionPointToStart(store);
      for (auto [s, slot] : shapeStores) {
        Value p = LLVM::GEPOp::create(fb, loc, ptrT, i64, shapesP,
                                      ArrayRef<LLVM::GEPArg>{(int32_t)slot});
        LLVM::StoreOp::create(fb, loc, arith::IndexCastOp::create(fb, loc, i64, s),
                              p);
      }
      cf::BranchOp::create(fb, loc, done);
      fb.setInsertionPointToStart(done);
      func::ReturnOp::create(
          fb, loc, ValueRange{arith::ConstantIntOp::create(fb, loc, i32, 0)});
    }
    // int <name>_set_weights(const void *data, size_t bytes): the mapped
    // weights file; 7 for NULL, 11 for bytes that are not this artifact's
    // file (size or hash differ), else its weights are used from then on.
    if (auto weights = module.lookupSymbol<LLVM::GlobalOp>(kWeightsGlobal)) {
      auto f = func::FuncOp::create(b, loc, name + "_set_weights",
                                    FunctionType::get(ctx, {ptrT, i64}, {i32}));
      Block *entryBlock = f.addEntryBlock();
      ErrorExits exits{f, loc};
      Block *nullData = exits.exit(7), *wrong = exits.exit(kStatusBadWeights);
      OpBuilder fb = OpBuilder::atBlockBegin(entryBlock);
      auto require = [&](Value ok, Block *exit) { exits.require(fb, ok, exit); };
      Value data = f.getArgument(0), bytes = f.getArgument(1);
      require(LLVM::ICmpOp::create(fb, loc, LLVM::ICmpPredicate::ne, data,
                                   LLVM::ZeroOp::create(fb, loc, ptrT)),
              nullData);
      auto expect = [&](StringRef attr) {
        return arith::ConstantIntOp::create(
            fb, loc, i64, weights->getAttrOfType<IntegerAttr>(attr).getInt());
      };
      require(arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, bytes,
                                    expect("mnemo.weights_bytes")),
              wrong);
      Value hashAt = LLVM::GEPOp::create(fb, loc, ptrT, i64, data,
                                         ArrayRef<LLVM::GEPArg>{2});
      require(arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq,
                                    LLVM::LoadOp::create(fb, loc, i64, hashAt),
                                    expect("mnemo.weights_hash")),
              wrong);
      Value first = LLVM::GEPOp::create(
          fb, loc, ptrT, b.getI8Type(), data,
          ArrayRef<LLVM::GEPArg>{(int32_t)kWeightsHeaderBytes});
      LLVM::StoreOp::create(
          fb, loc, first, LLVM::AddressOfOp::create(fb, loc, ptrT, kWeightsGlobal));
      func::ReturnOp::create(
          fb, loc, ValueRange{arith::ConstantIntOp::create(fb, loc, i32, 0)});
    }
    // int <name>_run(inputs, outputs, workspace)
    {
      auto f = func::FuncOp::create(b, loc, name + "_run",
                                    FunctionType::get(ctx, {ptrT, ptrT, ptrT}, {i32}));
      OpBuilder fb = OpBuilder::atBlockBegin(f.addEntryBlock());
      if (!dims.empty()) {
        // Symbolic dims must come through _run_dims.
        func::ReturnOp::create(
            fb, loc, ValueRange{arith::ConstantIntOp::create(fb, loc, i32, 2)});
      } else {
        Value nullP = LLVM::ZeroOp::create(fb, loc, ptrT);
        auto call = func::CallOp::create(
            fb, loc, runDims,
            ValueRange{nullP, f.getArgument(0), f.getArgument(1), nullP,
                       f.getArgument(2)});
        func::ReturnOp::create(fb, loc, call.getResults());
      }
    }
    // Record the dims for the header and the runner.
    SmallVector<Attribute> dimAttrs;
    for (const DimInfo &d : dims)
      dimAttrs.push_back(DictionaryAttr::get(
          ctx, {NamedAttribute(StringAttr::get(ctx, "name"), StringAttr::get(ctx, d.name)),
                NamedAttribute(StringAttr::get(ctx, "lo"), b.getI64IntegerAttr(d.lo)),
                NamedAttribute(StringAttr::get(ctx, "hi"), b.getI64IntegerAttr(d.hi))}));
    module->setAttr("mnemo.dims", ArrayAttr::get(ctx, dimAttrs));
    module->setAttr("mnemo.workspace_bytes", b.getI64IntegerAttr(wsType.getDimSize(0)));
  }
};

} // namespace
