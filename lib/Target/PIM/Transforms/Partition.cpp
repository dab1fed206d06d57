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
#include "mnemo/Target/PIM/KVMapping.h"
#include "mnemo/Support/Remarks.h"

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

/// A decode step's product with one layer's KV cache, as mnemo-kv-cache
/// leaves it (head-major, batch 1, one new token): keys
/// MatMul(x, [Mul(] Transpose(Read(Write(cache, new, pos), pos + 1),
/// perm [0, 1, 3, 2]) [, c)]), values MatMul(x, Read(...)).
struct KVMatch {
  mnemo::graph::MatMulOp matmul;
  mnemo::graph::KVCacheWriteOp write;
  bool key = false;
  Value scale; // a constant scalar the keys were multiplied by, or null
};

/// The constant scalar operand of a Mul and the other operand.
std::optional<std::pair<Value, Value>> scalarFactor(mnemo::graph::MulOp mul) {
  for (auto [c, other] : {std::pair(mul.getB(), mul.getA()),
                          std::pair(mul.getA(), mul.getB())}) {
    ElementsAttr v = constantOf(c);
    if (v && v.getNumElements() == 1)
      return std::pair(c, other);
  }
  return std::nullopt;
}

/// Whether `v` is the position after the write of `update` at `pos`:
/// pos + 1, or pos + the update's token count (Shape(update)[2], which
/// the device call checks is 1).
bool isNextPosition(Value v, Value pos, Value update) {
  auto add = v.getDefiningOp<mnemo::graph::AddOp>();
  if (!add)
    return false;
  for (auto [p, n] : {std::pair(add.getA(), add.getB()),
                      std::pair(add.getB(), add.getA())}) {
    if (p != pos)
      continue;
    ElementsAttr c = constantOf(n);
    if (c && c.getNumElements() == 1 && c.getElementType().isInteger(64) &&
        (*c.getValues<APInt>().begin()).getSExtValue() == 1)
      return true;
    auto gather = n.getDefiningOp<mnemo::graph::GatherOp>();
    auto shape = gather ? gather.getData().getDefiningOp<mnemo::graph::ShapeOp>()
                        : mnemo::graph::ShapeOp();
    ElementsAttr index = gather ? constantOf(gather.getIndices()) : ElementsAttr();
    if (shape && shape.getData() == update && index &&
        index.getNumElements() == 1 && index.getElementType().isInteger(64) &&
        (*index.getValues<APInt>().begin()).getSExtValue() == 2)
      return true;
  }
  return false;
}

std::optional<KVMatch> matchKV(mnemo::graph::MatMulOp mm) {
  KVMatch m;
  m.matmul = mm;
  Value b = mm.getB();
  if (auto mul = b.getDefiningOp<mnemo::graph::MulOp>()) {
    auto f = scalarFactor(mul);
    if (!f)
      return std::nullopt;
    m.scale = f->first;
    b = f->second;
  }
  if (auto tr = b.getDefiningOp<mnemo::graph::TransposeOp>()) {
    if (tr.getPermutation() != ArrayRef<int64_t>{0, 1, 3, 2})
      return std::nullopt;
    m.key = true;
    b = tr.getData();
  } else if (m.scale) {
    return std::nullopt;
  }
  auto read = b.getDefiningOp<mnemo::graph::KVCacheReadOp>();
  if (!read || read.getLayout() != "head-major" || read.getCaches().size() != 1)
    return std::nullopt;
  m.write = read.getCaches()[0].getDefiningOp<mnemo::graph::KVCacheWriteOp>();
  if (!m.write || m.write.getCaches().size() != 1 ||
      !isNextPosition(read.getLength(), m.write.getPosition(), m.write.getUpdate()) ||
      !isa<BlockArgument>(m.write.getCaches()[0]))
    return std::nullopt;
  auto cache = dyn_cast<RankedTensorType>(m.write.getCaches()[0].getType());
  auto row = dyn_cast<RankedTensorType>(m.write.getUpdate().getType());
  auto x = dyn_cast<RankedTensorType>(mm.getA().getType());
  if (!cache || !cache.hasStaticShape() || cache.getRank() != 4 ||
      cache.getDimSize(0) != 1 || !cache.getElementType().isF32() || !row ||
      row.getRank() != 4 ||
      !x || x.getRank() != 4)
    return std::nullopt;
  return m;
}

/// The modelled device time of one step's attention against a cache at
/// its full length: the append, then the GEMVs over every token.
llvm::Expected<double> kvSeconds(const Device &d, KVKind kind,
                                 RankedTensorType cache) {
  int64_t h = cache.getDimSize(1), t = cache.getDimSize(2), dim = cache.getDimSize(3);
  llvm::Expected<KVPlan> plan = planKV(d, kind, h, dim, t, 0);
  if (!plan)
    return plan.takeError();
  Simulator sim(d);
  llvm::Expected<Stats> s =
      sim.run(emitKVStep(d, *plan, kvRegisters(d, *plan), t), /*functional=*/false);
  if (!s)
    return s.takeError();
  return s->seconds;
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
    bool failedAny = false;
    llvm::StringSet<> seen;
    partitionAttention(*dev, toPim, toHost, seen);
    // Operands are read when an op's turn comes: an earlier rewrite may
    // have replaced the value it reads.
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<mnemo::graph::GemmOp, mnemo::graph::MatMulOp>(op))
        ops.push_back(op);
    });
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
          mnemo::ReportLine(cand.op->getLoc()) << "pim partition: '" << name << "' (" << cand.opType
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
        mnemo::ReportLine(cand.op->getLoc()) << llvm::format(
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

  /// Attention against each KV cache (the products with its keys and with
  /// its values) goes to PIM where the cache's modelled device time beats
  /// the host reading the cache once.
  void partitionAttention(const Device &dev, const llvm::StringSet<> &toPim,
                          const llvm::StringSet<> &toHost,
                          llvm::StringSet<> &seen) {
    SmallVector<KVMatch> matches;
    getOperation().walk([&](mnemo::graph::MatMulOp mm) {
      if (std::optional<KVMatch> m = matchKV(mm))
        matches.push_back(*m);
    });
    int64_t id = 0;
    for (KVMatch &m : matches) {
      std::string name = mnemo::graph::getOnnxNodeName(m.matmul);
      seen.insert(name);
      auto cache = cast<RankedTensorType>(m.write.getCaches()[0].getType());
      auto arg = cast<BlockArgument>(m.write.getCaches()[0]);
      auto cacheName = getOperation().getArgAttrOfType<StringAttr>(
          arg.getArgNumber(), "graph.name");
      KVKind kind = m.key ? KVKind::Key : KVKind::Value;
      llvm::Expected<double> pimSeconds = kvSeconds(dev, kind, cache);
      bool forcedPim = toPim.contains(name), forcedHost = toHost.contains(name);
      if (!pimSeconds) {
        if (print)
          mnemo::ReportLine(m.matmul.getLoc()) << "pim partition: '" << name << "' (attention) stays on "
                       << "the host: " << llvm::toString(pimSeconds.takeError()) << "\n";
        else
          llvm::consumeError(pimSeconds.takeError());
        continue;
      }
      double bytes = 4.0 * cache.getNumElements();
      double hostSeconds = std::max(bytes / (hostGBps * 1e9),
                                    2.0 * cache.getNumElements() / (hostGFlops * 1e9));
      bool onPim = forcedPim || (!forcedHost && *pimSeconds < hostSeconds);
      if (print)
        mnemo::ReportLine(m.matmul.getLoc()) << llvm::format(
            "pim partition: '%s' (attention over the %s cache '%s', %lld heads x "
            "%lld tokens x %lld, timed at full length): PIM %.3f us, host %.3f us "
            "-> %s%s\n",
            name.c_str(), m.key ? "key" : "value",
            cacheName ? cacheName.getValue().str().c_str() : "?",
            (long long)cache.getDimSize(1), (long long)cache.getDimSize(2),
            (long long)cache.getDimSize(3), *pimSeconds * 1e6, hostSeconds * 1e6,
            onPim ? "PIM" : "host", forcedPim || forcedHost ? " (forced)" : "");
      if (!onPim)
        continue;
      OpBuilder b(m.matmul);
      Location loc = m.matmul.getLoc();
      Value x = m.matmul.getA();
      // (x c) (K c)^T = (x c c) K^T: the scale moves to the query.
      if (m.scale)
        x = mnemo::graph::MulOp::create(b, loc, x.getType(), x, m.scale);
      auto y = KVAttendOp::create(
          b, loc, m.matmul.getType(), x, m.write.getUpdate(),
          m.write.getPosition(), m.write.getCaches()[0],
          b.getStringAttr(m.key ? "key" : "value"), b.getI64IntegerAttr(id++),
          IntegerAttr());
      y->setDiscardableAttrs(m.matmul->getDiscardableAttrDictionary());
      m.matmul.getResult().replaceAllUsesWith(y.getResult());
      // The host's write, read and transpose are dead now.
      SmallVector<Operation *> worklist{m.matmul};
      while (!worklist.empty()) {
        Operation *op = worklist.pop_back_val();
        if (!op->use_empty() || !isa<mnemo::graph::GraphDialect>(op->getDialect()))
          continue;
        SmallVector<Value> operands(op->getOperands());
        op->erase();
        for (Value v : operands)
          if (Operation *def = v.getDefiningOp())
            worklist.push_back(def);
      }
    }
  }
};

} // namespace
