//===- GraphToLinalg.cpp - the convert-graph-to-linalg pass ---------------===//

#include "Utils.h"

#include "mnemo/Conversion/Passes.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mnemo {
#define GEN_PASS_DEF_CONVERTGRAPHTOLINALGPASS
#include "mnemo/Conversion/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo;
namespace g = mnemo::graph;

GraphTypeConverter::GraphTypeConverter() {
  addConversion([](Type t) { return t; });
  addConversion([](RankedTensorType t) -> Type {
    auto it = dyn_cast<IntegerType>(t.getElementType());
    if (!it || it.isSignless())
      return t;
    return RankedTensorType::get(
        t.getShape(), IntegerType::get(t.getContext(), it.getWidth()));
  });
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs).getResult(0);
  };
  addSourceMaterialization(materialize);
  addTargetMaterialization(materialize);
}

void mnemo::populateGraphToLinalgPatterns(const TypeConverter &tc,
                                          RewritePatternSet &patterns) {
  populateGraphElementwiseToLinalgPatterns(tc, patterns);
  populateGraphContractionToLinalgPatterns(tc, patterns);
  populateGraphPoolingToLinalgPatterns(tc, patterns);
  populateGraphReductionToLinalgPatterns(tc, patterns);
  populateGraphNormalizationToLinalgPatterns(tc, patterns);
  populateGraphDataMovementToLinalgPatterns(tc, patterns);
  lowering::populateAttentionPatterns(tc, patterns);
  lowering::populateKVCachePatterns(tc, patterns);
  populateGraphControlFlowToSCFPatterns(tc, patterns);
}

namespace {

struct ConvertGraphToLinalgPass
    : public mnemo::impl::ConvertGraphToLinalgPassBase<ConvertGraphToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // Ops no pattern can lower are reported all at once, before trying.
    bool failedEarly = false;
    module.walk([&](Operation *op) {
      if (auto node = dyn_cast<g::OnnxNodeOp>(op)) {
        auto d = op->emitError() << g::describeOnnxNode(op)
                                 << ": no lowering for this op";
        if (auto reason = op->getAttrOfType<StringAttr>("reason"))
          d << " (" << reason.getValue() << ")";
        failedEarly = true;
        return;
      }
      if (op->getDialect() && isa<g::GraphDialect>(op->getDialect()) &&
          !isa<g::NoneOp>(op)) {
        for (Type t : op->getResultTypes())
          if (!isa<RankedTensorType>(t)) {
            op->emitError() << g::describeOnnxNode(op)
                            << ": result rank is unknown (" << t
                            << "); run shape inference or give input shapes";
            failedEarly = true;
            return;
          }
        // The patterns read operand shapes; an operand of unknown rank
        // (a graph input declared without a shape) cannot be lowered.
        for (auto [i, v] : llvm::enumerate(op->getOperands()))
          if (isa<UnrankedTensorType>(v.getType())) {
            op->emitError() << g::describeOnnxNode(op) << ": operand " << i
                            << " has unknown rank (" << v.getType()
                            << "); give the graph input a shape";
            failedEarly = true;
            return;
          }
      }
    });
    if (failedEarly)
      return signalPassFailure();

    // The model's inputs are the caller's (`const void *const *inputs` in
    // the C ABI): bufferization must copy before writing into one, as a
    // loop carrying an input as its initial state or a scatter into one
    // would. A KV cache is the exception: the step writes its new tokens
    // into the caller's cache in place, by contract.
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn.isPublic() || fn.isExternal())
        continue;
      llvm::SmallDenseSet<Value> caches;
      fn.walk([&](g::KVCacheWriteOp w) { caches.insert_range(w.getCaches()); });
      for (BlockArgument arg : fn.getArguments())
        if (isa<TensorType>(arg.getType()) && !caches.contains(arg))
          fn.setArgAttr(arg.getArgNumber(), "bufferization.writable",
                        BoolAttr::get(ctx, false));
    }

    GraphTypeConverter tc;
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           LLVM::LLVMDialect, math::MathDialect,
                           scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addIllegalDialect<g::GraphDialect>();
    target.addLegalOp<g::NoneOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp f) {
      return tc.isSignatureLegal(f.getFunctionType());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return tc.isLegal(op); });

    RewritePatternSet patterns(ctx);
    populateGraphToLinalgPatterns(tc, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, tc);
    populateReturnOpTypeConversionPattern(patterns, tc);
    populateCallOpTypeConversionPattern(patterns, tc);

    // Turn the framework's "failed to legalize" into a message naming the
    // ONNX node. (The patterns' match-failure reasons do not reach a
    // listener in the conversion driver, so they are not part of it.)
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
      std::string msg = diag.str();
      StringRef m(msg);
      if (diag.getSeverity() != DiagnosticSeverity::Error ||
          !m.starts_with("failed to legalize operation"))
        return failure();
      // Find the op at this location to name it: the one the message
      // names ("failed to legalize operation 'graph.x'"), as the
      // constants an importer made for a node share its location.
      StringRef opName = m.drop_until([](char c) { return c == '\''; })
                             .drop_front()
                             .take_until([](char c) { return c == '\''; });
      Operation *atLoc = nullptr, *named = nullptr;
      module.walk([&](Operation *op) {
        if (op->getLoc() != diag.getLocation() ||
            !isa_and_nonnull<g::GraphDialect>(op->getDialect()))
          return;
        if (!atLoc)
          atLoc = op;
        if (!named && op->getName().getStringRef() == opName)
          named = op;
      });
      Operation *found = named ? named : atLoc;
      if (!found)
        return failure();
      std::string why = lowering::loweringFailure(found);
      emitError(diag.getLocation())
          << g::describeOnnxNode(found) << ": cannot lower this node"
          << (why.empty() ? "" : ": ") << why;
      return success();
    });
    lowering::clearLoweringFailures();
    LogicalResult converted =
        applyPartialConversion(module, target, std::move(patterns));
    lowering::clearLoweringFailures();
    if (failed(converted))
      return signalPassFailure();

    // Optional-input markers are dead now.
    module.walk([](g::NoneOp op) {
      if (op->use_empty())
        op->erase();
    });
  }
};

} // namespace
