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

/// A product PIM could take: y = a b (+ c) with b a constant [K, N].
struct Candidate {
  Operation *op;
  Value a, b, c; // c: null when there is no bias
  std::string opType;
};

/// Why `cand` cannot be a pim.gemv, or nothing.
std::optional<std::string> unsupported(const Candidate &cand) {
  if (auto gemm = dyn_cast<mnemo::graph::GemmOp>(cand.op)) {
    if (gemm.getAlpha().convertToFloat() != 1.0f ||
        (cand.c && gemm.getBeta().convertToFloat() != 1.0f))
      return std::string("alpha or beta is not 1");
    if (gemm.getTransA() != 0)
      return std::string("A is transposed");
    if (gemm.getTransB() != 0)
      return std::string("B is transposed (its columns would need a transposed copy)");
  }
  auto a = dyn_cast<RankedTensorType>(cand.a.getType());
  auto b = dyn_cast<RankedTensorType>(cand.b.getType());
  if (!a || !b || a.getRank() < 2 || b.getRank() != 2 || !b.hasStaticShape())
    return std::string("A must have rank >= 2 and B be a static rank-2 tensor");
  if (isa<mnemo::graph::GemmOp>(cand.op) && a.getRank() != 2)
    return std::string("A must be rank 2");
  if (!a.getElementType().isF32() || !b.getElementType().isF32())
    return std::string("only f32 operands go to PIM (converted to bf16 there)");
  if (!constantOf(cand.b))
    return std::string("B is not a constant of the model");
  if (cand.c) {
    auto c = dyn_cast<RankedTensorType>(cand.c.getType());
    if (!c || c.getRank() != 1 || c.getDimSize(0) != b.getDimSize(1) ||
        !constantOf(cand.c))
      return std::string("C is not a constant [N] bias");
  }
  return std::nullopt;
}

/// `cand` as a pim.gemv: A's leading dims are the activation rows
/// (collapsed to one, and the result expanded back).
Value buildGemv(OpBuilder &b, const Candidate &cand) {
  Location loc = cand.op->getLoc();
  auto at = cast<RankedTensorType>(cand.a.getType());
  auto yt = cast<RankedTensorType>(cand.op->getResult(0).getType());
  int64_t n = cast<RankedTensorType>(cand.b.getType()).getDimSize(1);
  Value a = cand.a;
  int64_t rank = at.getRank();
  if (rank == 2) {
    return GemvOp::create(b, loc, yt, a, cand.b, cand.c, GemvLayoutAttr(),
                          FlatSymbolRefAttr());
  }
  ReassociationIndices rows, last{rank - 1};
  int64_t r = 1;
  for (int64_t i = 0; i + 1 < rank; ++i) {
    rows.push_back(i);
    r = ShapedType::isDynamic(r) || at.isDynamicDim(i) ? ShapedType::kDynamic
                                                       : r * at.getDimSize(i);
  }
  SmallVector<ReassociationIndices> groups{rows, last};
  auto flat = RankedTensorType::get({r, at.getDimSize(rank - 1)}, at.getElementType());
  Value x = tensor::CollapseShapeOp::create(b, loc, flat, a, groups);
  auto flatY = RankedTensorType::get({r, n}, yt.getElementType());
  Value y = GemvOp::create(b, loc, flatY, x, cand.b, cand.c, GemvLayoutAttr(),
                           FlatSymbolRefAttr());
  SmallVector<OpFoldResult> shape;
  for (int64_t i = 0; i + 1 < rank; ++i)
    shape.push_back(at.isDynamicDim(i)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, a, i).getResult())
                        : OpFoldResult(b.getIndexAttr(at.getDimSize(i))));
  shape.push_back(b.getIndexAttr(n));
  return tensor::ExpandShapeOp::create(b, loc, yt, y, groups, shape);
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
    // Operands are read when an op's turn comes: an earlier rewrite may
    // have replaced the value it reads.
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<mnemo::graph::GemmOp, mnemo::graph::MatMulOp>(op))
        ops.push_back(op);
    });
    bool failedAny = false;
    llvm::StringSet<> seen;
    for (Operation *op : ops) {
      Candidate cand;
      if (auto g = dyn_cast<mnemo::graph::GemmOp>(op))
        cand = {op, g.getA(), g.getB(),
                isa<NoneType>(g.getC().getType()) ? Value() : g.getC(), "Gemm"};
      else if (auto m = dyn_cast<mnemo::graph::MatMulOp>(op))
        cand = {op, m.getA(), m.getB(), Value(), "MatMul"};
      std::string name = mnemo::graph::getOnnxNodeName(cand.op);
      seen.insert(name);
      bool forcedPim = toPim.contains(name), forcedHost = toHost.contains(name);
      auto cannot = [&](const std::string &why) {
        if (forcedPim) {
          cand.op->emitError() << "node '" << name << "' (" << cand.opType
                               << ") is forced to PIM but cannot go there: " << why;
          failedAny = true;
        } else if (print) {
          llvm::outs() << "pim partition: '" << name << "' (" << cand.opType
                       << ") stays on the host: " << why << "\n";
        }
      };
      if (std::optional<std::string> why = unsupported(cand)) {
        // A MatMul of two activations (attention) is not a candidate at
        // all; say nothing unless it was forced.
        if (cand.opType == "Gemm" || constantOf(cand.b) || forcedPim)
          cannot(*why);
        continue;
      }
      auto a = cast<RankedTensorType>(cand.a.getType());
      auto b = cast<RankedTensorType>(cand.b.getType());
      int64_t k = b.getDimSize(0), n = b.getDimSize(1);
      int64_t rows = 1;
      bool dynamicRows = false;
      for (int64_t i = 0; i + 1 < a.getRank(); ++i) {
        dynamicRows |= a.isDynamicDim(i);
        rows *= a.isDynamicDim(i) ? 1 : a.getDimSize(i);
      }
      llvm::Expected<GemvPlan> plan = planGemv(*dev, k, n, 0);
      if (!plan) {
        cannot(llvm::toString(plan.takeError()));
        continue;
      }
      llvm::Expected<Stats> t = timeGemv(*dev, *plan);
      if (!t) {
        cannot(llvm::toString(t.takeError()));
        continue;
      }
      double pimSeconds = t->seconds * rows;
      double hostSeconds = std::max(4.0 * k * n / (hostGBps * 1e9),
                                    2.0 * rows * k * n / (hostGFlops * 1e9));
      bool onPim = forcedPim || (!forcedHost && pimSeconds < hostSeconds);
      if (print)
        llvm::outs() << llvm::format(
            "pim partition: '%s' (%s %lldx%lld, %lld row%s%s): PIM %.3f us, "
            "host %.3f us -> %s%s\n",
            name.c_str(), cand.opType.c_str(), (long long)k, (long long)n,
            (long long)rows, rows == 1 ? "" : "s",
            dynamicRows ? ", dynamic: timed for 1" : "", pimSeconds * 1e6,
            hostSeconds * 1e6, onPim ? "PIM" : "host",
            forcedPim || forcedHost ? " (forced)" : "");
      if (!onPim)
        continue;
      OpBuilder builder(cand.op);
      cand.op->getResult(0).replaceAllUsesWith(buildGemv(builder, cand));
      cand.op->erase();
    }
    // A forced name that is no Gemm or MatMul here is a typo.
    for (const std::string &n : forcePim)
      if (!seen.contains(n)) {
        getOperation().emitError()
            << "force-pim names '" << n << "', which is not a Gemm or MatMul node of @"
            << getOperation().getSymName();
        failedAny = true;
      }
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
