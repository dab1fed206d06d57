//===- EntryPoints.cpp - mnemo-cpu-abi's entry points, on a CUDA stream ---===//

#include "mnemo/Target/CUDA/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/IR/Builders.h"

namespace mnemo {
#define GEN_PASS_DEF_ENTRYPOINTSPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

func::FuncOp declare(OpBuilder &b, ModuleOp module, StringRef name,
                     FunctionType type) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  auto f = func::FuncOp::create(b, module.getLoc(), name, type);
  f.setPrivate();
  return f;
}

struct EntryPointsPass
    : public mnemo::impl::EntryPointsPassBase<EntryPointsPass> {
  using EntryPointsPassBase::EntryPointsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    std::string name = modelName;
    auto runDims = module.lookupSymbol<func::FuncOp>(name + "_run_dims");
    auto run = module.lookupSymbol<func::FuncOp>(name + "_run");
    if (!runDims || !run) {
      module.emitError() << "no @" << name << "_run_dims / @" << name
                         << "_run: run mnemo-cpu-abi{name=" << name
                         << "} first";
      return signalPassFailure();
    }
    // Results reach the caller's (device) output buffers by device copies.
    runDims.walk([](memref::CopyOp copy) {
      OpBuilder b(copy);
      gpu::MemcpyOp::create(b, copy.getLoc(), TypeRange{}, ValueRange{},
                            copy.getTarget(), copy.getSource());
      copy.erase();
    });
    runDims.setName(name + "_run_dims_body");
    runDims.setPrivate();
    run.erase();

    Location loc = module.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    Type i32 = b.getI32Type();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    func::FuncOp begin = declare(b, module, "mnemo_cuda_begin",
                                 FunctionType::get(ctx, {ptr}, {i32}));
    func::FuncOp end =
        declare(b, module, "mnemo_cuda_end", FunctionType::get(ctx, {}, {i32}));

    // int _run_dims_stream(dims, inputs, outputs, shapes, workspace, stream)
    auto dimsStream = func::FuncOp::create(
        b, loc, name + "_run_dims_stream",
        FunctionType::get(ctx, {ptr, ptr, ptr, ptr, ptr, ptr}, {i32}));
    {
      Block *entry = dimsStream.addEntryBlock();
      Block *body = dimsStream.addBlock(), *exit = dimsStream.addBlock();
      exit->addArgument(i32, loc);
      OpBuilder fb = OpBuilder::atBlockBegin(entry);
      Value rc = func::CallOp::create(fb, loc, begin,
                                      ValueRange{dimsStream.getArgument(5)})
                     .getResult(0);
      Value zero = arith::ConstantIntOp::create(fb, loc, i32, 0);
      Value ok = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, rc, zero);
      cf::CondBranchOp::create(fb, loc, ok, body, ValueRange{}, exit,
                               ValueRange{rc});
      fb.setInsertionPointToStart(body);
      Value bodyRc =
          func::CallOp::create(fb, loc, runDims,
                               dimsStream.getArguments().drop_back())
              .getResult(0);
      // End even when the body failed (a dim out of bounds): the bracket
      // must close; the body's own code wins over the driver's.
      Value endRc = func::CallOp::create(fb, loc, end, ValueRange{}).getResult(0);
      Value bodyOk =
          arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, bodyRc, zero);
      Value out = arith::SelectOp::create(fb, loc, bodyOk, endRc, bodyRc);
      cf::BranchOp::create(fb, loc, exit, ValueRange{out});
      fb.setInsertionPointToStart(exit);
      func::ReturnOp::create(fb, loc, exit->getArgument(0));
    }
    auto forward = [&](StringRef symbol, ArrayRef<Type> params,
                       function_ref<SmallVector<Value>(OpBuilder &, Block *)> args,
                       func::FuncOp callee) {
      auto f = func::FuncOp::create(b, loc, symbol,
                                    FunctionType::get(ctx, params, {i32}));
      Block *entry = f.addEntryBlock();
      OpBuilder fb = OpBuilder::atBlockBegin(entry);
      Value rc = func::CallOp::create(fb, loc, callee, args(fb, entry)).getResult(0);
      func::ReturnOp::create(fb, loc, rc);
      return f;
    };
    // int _run_dims(dims, inputs, outputs, shapes, workspace)
    forward(name + "_run_dims", {ptr, ptr, ptr, ptr, ptr},
            [&](OpBuilder &fb, Block *e) {
              SmallVector<Value> a(e->getArguments());
              a.push_back(LLVM::ZeroOp::create(fb, loc, ptr));
              return a;
            },
            dimsStream);
    // int _run_stream(inputs, outputs, workspace, stream): 2 with symbolic
    // dims, as _run.
    auto dims = module->getAttrOfType<ArrayAttr>("mnemo.dims");
    func::FuncOp runStream;
    if (dims && !dims.empty()) {
      runStream = func::FuncOp::create(b, loc, name + "_run_stream",
                                       FunctionType::get(ctx, {ptr, ptr, ptr, ptr}, {i32}));
      OpBuilder fb = OpBuilder::atBlockBegin(runStream.addEntryBlock());
      func::ReturnOp::create(
          fb, loc, ValueRange{arith::ConstantIntOp::create(fb, loc, i32, 2)});
    } else {
      runStream = forward(
          name + "_run_stream", {ptr, ptr, ptr, ptr},
          [&](OpBuilder &fb, Block *e) {
            Value null = LLVM::ZeroOp::create(fb, loc, ptr);
            return SmallVector<Value>{null, e->getArgument(0), e->getArgument(1),
                                      null, e->getArgument(2), e->getArgument(3)};
          },
          dimsStream);
    }
    // int _run(inputs, outputs, workspace)
    forward(name + "_run", {ptr, ptr, ptr},
            [&](OpBuilder &fb, Block *e) {
              SmallVector<Value> a(e->getArguments());
              a.push_back(LLVM::ZeroOp::create(fb, loc, ptr));
              return a;
            },
            runStream);
  }
};

} // namespace
