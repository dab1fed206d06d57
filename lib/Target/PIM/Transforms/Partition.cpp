//===- Partition.cpp - memory-bound GEMVs to PIM --------------------------===//
//
// PIM-GPT's split: GEMVs over constant weights run in the banks, the rest
// (softmax, norms, activations, residuals, embedding) on the host. Each
// candidate's two times come from models the user can check: the device
// side is the simulator's time for the very program the mapping emits.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/PIM/Transforms/Passes.h"

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Target/PIM/GemvMapping.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace mnemo {
#define GEN_PASS_DEF_PIMPARTITIONPASS
#include "mnemo/Target/PIM/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::pim;

namespace {

/// The constant behind `v` (a graph.constant), or null.
ElementsAttr constantOf(Value v) {
  if (auto c = v.getDefiningOp<mnemo::graph::ConstantOp>())
    return c.getValue();
  return {};
}

/// Why `gemm` cannot be a pim.gemv, or nothing.
std::optional<std::string> unsupported(mnemo::graph::GemmOp gemm) {
  if (gemm.getAlpha().convertToFloat() != 1.0f ||
      (!isa<NoneType>(gemm.getC().getType()) &&
       gemm.getBeta().convertToFloat() != 1.0f))
    return std::string("alpha or beta is not 1");
  if (gemm.getTransA() != 0)
    return std::string("A is transposed");
  if (gemm.getTransB() != 0)
    return std::string("B is transposed (its columns would need a transposed copy)");
  auto a = dyn_cast<RankedTensorType>(gemm.getA().getType());
  auto b = dyn_cast<RankedTensorType>(gemm.getB().getType());
  if (!a || !b || a.getRank() != 2 || b.getRank() != 2 || !b.hasStaticShape())
    return std::string("A and B must be rank-2 tensors with B static");
  if (!a.getElementType().isF32() || !b.getElementType().isF32())
    return std::string("only f32 operands go to PIM (converted to bf16 there)");
  if (!constantOf(gemm.getB()))
    return std::string("B is not a constant of the model");
  if (!isa<NoneType>(gemm.getC().getType())) {
    auto c = dyn_cast<RankedTensorType>(gemm.getC().getType());
    if (!c || c.getRank() != 1 || c.getDimSize(0) != b.getDimSize(1) ||
        !constantOf(gemm.getC()))
      return std::string("C is not a constant [N] bias");
  }
  return std::nullopt;
}

struct PIMPartitionPass
    : public mnemo::impl::PIMPartitionPassBase<PIMPartitionPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::Expected<Device> dev = parseDevice(device);
    if (!dev) {
      getOperation().emitError(llvm::toString(dev.takeError()));
      return signalPassFailure();
    }
    llvm::StringSet<> toPim(llvm::from_range, forcePim),
        toHost(llvm::from_range, forceHost);
    SmallVector<mnemo::graph::GemmOp> gemms;
    getOperation().walk([&](mnemo::graph::GemmOp g) { gemms.push_back(g); });
    bool failedAny = false;
    llvm::StringSet<> seen;
    for (mnemo::graph::GemmOp gemm : gemms) {
      std::string name = mnemo::graph::getOnnxNodeName(gemm);
      seen.insert(name);
      bool forcedPim = toPim.contains(name), forcedHost = toHost.contains(name);
      std::optional<std::string> why = unsupported(gemm);
      if (why) {
        if (forcedPim) {
          gemm.emitError() << "node '" << name
                           << "' (Gemm) is forced to PIM but cannot go there: "
                           << *why;
          failedAny = true;
        } else if (print) {
          llvm::outs() << "pim partition: '" << name << "' (Gemm) stays on the host: "
                       << *why << "\n";
        }
        continue;
      }
      auto a = cast<RankedTensorType>(gemm.getA().getType());
      auto b = cast<RankedTensorType>(gemm.getB().getType());
      int64_t k = b.getDimSize(0), n = b.getDimSize(1);
      int64_t rows = ShapedType::isDynamic(a.getDimSize(0)) ? 1 : a.getDimSize(0);
      llvm::Expected<GemvPlan> plan = planGemv(*dev, k, n, 0);
      if (!plan) {
        std::string msg = llvm::toString(plan.takeError());
        if (forcedPim) {
          gemm.emitError() << "node '" << name
                           << "' (Gemm) is forced to PIM but cannot go there: " << msg;
          failedAny = true;
        }
        continue;
      }
      llvm::Expected<Stats> t = timeGemv(*dev, *plan);
      if (!t) {
        gemm.emitError() << "node '" << name << "': " << llvm::toString(t.takeError());
        failedAny = true;
        continue;
      }
      double pimSeconds = t->seconds * rows;
      double hostSeconds = std::max(4.0 * k * n / (hostGBps * 1e9),
                                    2.0 * rows * k * n / (hostGFlops * 1e9));
      bool onPim = forcedPim || (!forcedHost && pimSeconds < hostSeconds);
      if (print)
        llvm::outs() << llvm::format(
            "pim partition: '%s' (Gemm %lldx%lld, %lld row%s%s): PIM %.3f us, "
            "host %.3f us -> %s%s\n",
            name.c_str(), (long long)k, (long long)n, (long long)rows,
            rows == 1 ? "" : "s",
            ShapedType::isDynamic(a.getDimSize(0)) ? ", dynamic: timed for 1" : "",
            pimSeconds * 1e6, hostSeconds * 1e6, onPim ? "PIM" : "host",
            forcedPim || forcedHost ? " (forced)" : "");
      if (!onPim)
        continue;
      OpBuilder builder(gemm);
      Value bias = isa<NoneType>(gemm.getC().getType()) ? Value() : gemm.getC();
      auto gemv = builder.create<GemvOp>(gemm.getLoc(), gemm.getY().getType(),
                                         gemm.getA(), gemm.getB(), bias,
                                         GemvLayoutAttr(), FlatSymbolRefAttr());
      gemm.getY().replaceAllUsesWith(gemv.getY());
      gemm.erase();
    }
    // A forced name that is no Gemm here is a typo or an op PIM cannot
    // take (attention matmuls go with the KV cache, not this pass).
    for (const std::string &n : forcePim)
      if (!seen.contains(n)) {
        getOperation().emitError()
            << "force-pim names '" << n << "', which is not a Gemm node of @"
            << getOperation().getSymName();
        failedAny = true;
      }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
