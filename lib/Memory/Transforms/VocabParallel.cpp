//===- VocabParallel.cpp - mnemo-vocab-parallel pass ----------------------===//
//
// The vocabulary layers of an LLM (token embedding [V, D] and LM head
// [D, V]) are the largest weights and the head's logits [tokens, V] the
// largest activation once V reaches 100k+. Split along V, every part only
// needs its own rows: a shard computes its slice of the logits and a few
// per-row numbers (max, sum of exp, argmax), and the online-softmax algebra
// merges those numbers exactly. On one device the parts run in sequence so
// only one slice of logits is alive; across ranks each rank keeps V / P of
// both weights and the numbers are merged with shard.all_reduce, which the
// CPU target lowers to MPI_Allreduce (mnemo-cpu-collectives-to-mpi).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Transforms/Passes.h"
#include "mnemo/Support/ConstantData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

namespace mnemo {
#define GEN_PASS_DEF_VOCABPARALLELPASS
#include "mnemo/Memory/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::graph;

namespace {

/// The LM head and what the exporter did with its logits.
struct LMHead {
  Operation *op = nullptr;       // MatMulOp or GemmOp
  ConstantOp weight;             // [D, V], or [V, D] when transposed
  bool transposed = false;       // Gemm transB
  Value bias;                    // Gemm C: [V] constant, or none
  Operation *consumer = nullptr; // Softmax / LogSoftmax / ArgMax, fused
  StringRef kind = "logits";     // logits | softmax | log_softmax | argmax
  bool keepdims = false;         // the ArgMax consumer's
  unsigned result = 0;           // the graph output it produces
  int64_t vocab = 0;
};

bool isLastAxis(int64_t axis, Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && (axis == -1 || axis == t.getRank() - 1);
}

/// The graph output `v` is returned as, if that is its only use.
std::optional<unsigned> onlyReturned(Value v) {
  if (!v.hasOneUse() || !isa<func::ReturnOp>(*v.getUsers().begin()))
    return std::nullopt;
  return v.getUses().begin()->getOperandNumber();
}

/// Matches `op` as an LM head: a contraction with a constant rank-2 weight
/// whose result, or one softmax-like consumer of it along the last axis,
/// is returned.
std::optional<LMHead> matchHead(Operation *op) {
  LMHead h;
  h.op = op;
  if (auto g = dyn_cast<GemmOp>(op)) {
    if (g.getTransA() != 0 || g.getAlpha().convertToFloat() != 1.0f)
      return std::nullopt;
    h.transposed = g.getTransB() != 0;
    h.bias = g.getC();
  } else if (!isa<MatMulOp>(op)) {
    return std::nullopt;
  }
  h.weight = op->getOperand(1).getDefiningOp<ConstantOp>();
  if (!h.weight)
    return std::nullopt;
  auto wt = cast<RankedTensorType>(h.weight.getType());
  if (wt.getRank() != 2 || !wt.hasStaticShape() ||
      !isa<FloatType>(wt.getElementType()))
    return std::nullopt;
  h.vocab = wt.getDimSize(h.transposed ? 0 : 1);
  if (h.bias && !isa<NoneType>(h.bias.getType())) {
    auto c = h.bias.getDefiningOp<ConstantOp>();
    auto bt = dyn_cast<RankedTensorType>(h.bias.getType());
    if (!c || !bt || bt.getRank() != 1 || bt.getDimSize(0) != h.vocab ||
        cast<GemmOp>(op).getBeta().convertToFloat() != 1.0f)
      return std::nullopt;
  }
  Value logits = op->getResult(0);
  if (auto r = onlyReturned(logits)) {
    h.result = *r;
    return h;
  }
  if (!logits.hasOneUse())
    return std::nullopt;
  Operation *user = *logits.getUsers().begin();
  if (auto s = dyn_cast<SoftmaxOp>(user); s && isLastAxis(s.getAxis(), logits))
    h.kind = "softmax";
  else if (auto s = dyn_cast<LogSoftmaxOp>(user);
           s && isLastAxis(s.getAxis(), logits))
    h.kind = "log_softmax";
  else if (auto a = dyn_cast<ArgMaxOp>(user);
           a && isLastAxis(a.getAxis(), logits) && !a.getSelectLastIndex()) {
    h.kind = "argmax";
    h.keepdims = a.getKeepdims() != 0;
  } else
    return std::nullopt;
  auto r = onlyReturned(user->getResult(0));
  if (!r)
    return std::nullopt;
  h.consumer = user;
  h.result = *r;
  return h;
}

/// Elements [off, off + len) of a rank-2 (rank-1 with axis 0) constant
/// along `axis`, as a new constant: the rank keeps only its own rows.
FailureOr<Value> sliceConstant(OpBuilder &b, ConstantOp c, int axis,
                               int64_t off, int64_t len) {
  auto t = cast<RankedTensorType>(c.getType());
  SmallVector<int64_t> shape(t.getShape());
  shape[axis] = len;
  auto nt = RankedTensorType::get(shape, t.getElementType());
  ElementsAttr value = c.getValue();
  if (auto d = dyn_cast<DenseElementsAttr>(value); d && d.isSplat())
    return ConstantOp::create(b, c.getLoc(), d.resizeSplat(nt)).getResult();
  unsigned bits = t.getElementType().getIntOrFloatBitWidth();
  ArrayRef<char> raw = mnemo::rawConstantBytes(value);
  if (bits % 8 != 0 || raw.size() != (size_t)t.getNumElements() * bits / 8)
    return failure();
  size_t eb = bits / 8;
  int64_t rows = t.getRank() == 2 ? t.getDimSize(0) : 1;
  int64_t cols = t.getDimSize(t.getRank() - 1);
  std::vector<char> out((size_t)nt.getNumElements() * eb);
  if (axis == 0 && t.getRank() == 2)
    std::memcpy(out.data(), raw.data() + off * cols * eb, len * cols * eb);
  else
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(out.data() + r * len * eb, raw.data() + (r * cols + off) * eb,
                  len * eb);
  ElementsAttr sliced;
  if (out.size() <= 4096) {
    sliced = DenseElementsAttr::getFromRawBuffer(nt, out);
  } else {
    std::string name = "vocab_slice";
    if (auto r = dyn_cast<DenseResourceElementsAttr>(value))
      name = (r.getRawHandle().getKey() + ".vocab").str();
    sliced = DenseResourceElementsAttr::get(
        nt, name,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>(out.data(), out.size()), /*align=*/64));
  }
  auto op = ConstantOp::create(b, c.getLoc(), sliced);
  op->setAttr("mnemo.vocab_slice", b.getDenseI64ArrayAttr({off, len}));
  return op.getResult();
}

/// Builds the merge of per-part results in graph ops.
class MergeBuilder {
public:
  MergeBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value i64s(ArrayRef<int64_t> v) {
    auto t = RankedTensorType::get({(int64_t)v.size()}, b.getI64Type());
    return ConstantOp::create(b, loc, DenseElementsAttr::get(t, v));
  }
  /// A one-element constant of `elt` (broadcasts against anything).
  Value scalar(Type elt, double v) {
    auto t = RankedTensorType::get({1}, elt);
    if (isa<FloatType>(elt))
      return ConstantOp::create(
          b, loc, DenseElementsAttr::get(t, b.getFloatAttr(elt, v)));
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(t, b.getIntegerAttr(elt, (int64_t)v)));
  }
  Value none() { return NoneOp::create(b, loc); }
  Value lastAxis() { return i64s({-1}); }

  Value rowMax(Value x) {
    return ReduceMaxOp::create(b, loc, x, lastAxis(), 1, 0);
  }
  Value rowSum(Value x) {
    return ReduceSumOp::create(b, loc, x, lastAxis(), 1, 0);
  }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value where(Value c, Value x, Value y) {
    return WhereOp::create(b, loc, c, x, y);
  }
  /// (max, argmax) of the last axis (keepdims), the argmax offset to
  /// global vocabulary ids. The max is read at the argmax instead of by a
  /// second pass over the slice.
  std::pair<Value, Value> rowMaxArgmax(Value x, int64_t offset) {
    Value a = ArgMaxOp::create(b, loc, x, -1, 1, 0);
    int64_t last = cast<RankedTensorType>(x.getType()).getRank() - 1;
    Value m = GatherElementsOp::create(b, loc, x, a, last);
    return {m, offset ? add(a, scalar(b.getI64Type(), offset)) : a};
  }
  Value squeezeLast(Value x) {
    return SqueezeOp::create(b, loc, x, lastAxis());
  }

  OpBuilder &b;
  Location loc;
};

struct VocabParallelPass
    : public mnemo::impl::VocabParallelPassBase<VocabParallelPass> {
  using VocabParallelPassBase::VocabParallelPassBase;

  /// Row range [off, off + len) of part `k` of `parts` over `vocab`:
  /// balanced, with boundaries on multiples of 16 once parts are large, so
  /// every part but the last has rows the lane-wise ArgMax lowering takes.
  static std::pair<int64_t, int64_t> part(int64_t vocab, int64_t parts,
                                          int64_t k) {
    int64_t align = vocab / parts >= 256 ? 16 : 1;
    auto at = [&](int64_t i) {
      return i == parts ? vocab : i * vocab / parts / align * align;
    };
    return {at(k), at(k + 1) - at(k)};
  }

  /// The head applied to `hidden` with weight part [off, off + len).
  FailureOr<Value> headPart(OpBuilder &b, const LMHead &h, Value hidden,
                            int64_t off, int64_t len) {
    Location loc = h.op->getLoc();
    Value w = h.op->getOperand(1);
    Value bias = h.bias;
    if (len != h.vocab) {
      auto s = sliceConstant(b, h.weight, h.transposed ? 0 : 1, off, len);
      if (failed(s))
        return h.op->emitError("cannot read the LM head weight's data"),
               failure();
      w = *s;
      if (bias && !isa<NoneType>(bias.getType())) {
        auto sb = sliceConstant(b, bias.getDefiningOp<ConstantOp>(), 0, off,
                                len);
        if (failed(sb))
          return h.op->emitError("cannot read the LM head bias's data"),
                 failure();
        bias = *sb;
      }
    }
    if (auto g = dyn_cast<GemmOp>(h.op))
      return GemmOp::create(b, loc, ValueRange{hidden, w, bias}, g->getAttrs())
          .getResult();
    return MatMulOp::create(b, loc, hidden, w).getResult();
  }

  /// One device: the parts in sequence, argmax merged as they come (a later
  /// part wins only with a strictly larger value: the first index on ties,
  /// as ONNX ArgMax).
  FailureOr<Value> sequential(OpBuilder &b, const LMHead &h, Value hidden,
                              StringRef kind, bool keepdims) {
    MergeBuilder g(b, h.op->getLoc());
    if (kind != "argmax" || shards == 1) {
      if (shards > 1)
        mlir::emitWarning(h.op->getLoc())
            << "vocab-parallel: the graph returns the whole " << kind
            << " [..., " << h.vocab
            << "], which chunking cannot make smaller; the LM head stays "
               "whole (ask for output=argmax or last-argmax)";
      auto logits = headPart(b, h, hidden, 0, h.vocab);
      if (failed(logits))
        return failure();
      if (kind == "softmax")
        return SoftmaxOp::create(b, g.loc, *logits, -1).getResult();
      if (kind == "log_softmax")
        return LogSoftmaxOp::create(b, g.loc, *logits, -1).getResult();
      if (kind == "argmax") {
        Value a = ArgMaxOp::create(b, g.loc, *logits, -1, keepdims, 0);
        return a;
      }
      return *logits;
    }
    Value m, a;
    for (int64_t k = 0; k < shards; ++k) {
      auto [off, len] = part(h.vocab, shards, k);
      auto lk = headPart(b, h, hidden, off, len);
      if (failed(lk))
        return failure();
      auto [mk, ak] = g.rowMaxArgmax(*lk, off);
      if (k == 0) {
        m = mk, a = ak;
        continue;
      }
      Value better = GreaterOp::create(b, g.loc, mk, m);
      m = MaxOp::create(b, g.loc, ValueRange{m, mk});
      a = g.where(better, ak, a);
    }
    return keepdims ? a : g.squeezeLast(a);
  }

  Value allReduce(OpBuilder &b, Location loc, Value v,
                  shard::ReductionKind kind) {
    return shard::AllReduceOp::create(b, loc, v.getType(), "vocab",
                                      ArrayRef<int16_t>{0}, v, kind);
  }

  /// Rank `rank` of `shards`: its slice, merged with all-reduces.
  FailureOr<Value> distributed(OpBuilder &b, const LMHead &h, Value hidden,
                               StringRef kind, bool keepdims) {
    MergeBuilder g(b, h.op->getLoc());
    auto [off, len] = part(h.vocab, shards, rank);
    auto l = headPart(b, h, hidden, off, len);
    if (failed(l))
      return failure();
    auto lt = dyn_cast<RankedTensorType>(l->getType());
    if (!lt)
      return h.op->emitError("vocab-parallel: the LM head's logits have an "
                             "unknown rank"),
             failure();
    using RK = shard::ReductionKind;
    if (kind == "argmax") {
      auto [mi, ai] = g.rowMaxArgmax(*l, off);
      Value m = allReduce(b, g.loc, mi, RK::Max);
      // A rank without the maximum offers V, which loses the min.
      Value cand = g.where(EqualOp::create(b, g.loc, mi, m), ai,
                           g.scalar(b.getI64Type(), (double)h.vocab));
      Value a = allReduce(b, g.loc, cand, RK::Min);
      return keepdims ? a : g.squeezeLast(a);
    }
    Value result = *l;
    if (kind == "softmax" || kind == "log_softmax") {
      // Online-softmax merge: s = sum_i s_i * exp(m_i - m).
      Value mi = g.rowMax(*l);
      Value si = g.rowSum(g.exp(g.sub(*l, mi)));
      Value m = allReduce(b, g.loc, mi, RK::Max);
      Value s = allReduce(b, g.loc, g.mul(si, g.exp(g.sub(mi, m))), RK::Sum);
      Value shifted = g.sub(*l, m);
      result = kind == "softmax"
                   ? DivOp::create(b, g.loc, g.exp(shifted), s).getResult()
                   : g.sub(shifted, LogOp::create(b, g.loc, s));
    }
    // All-gather as a sum of zero-padded slices: each element is one
    // rank's value plus zeros, so the sum is exact.
    int64_t dims = lt.getRank();
    SmallVector<int64_t> pads(2 * dims, 0);
    pads[dims - 1] = off;
    pads[2 * dims - 1] = h.vocab - off - len;
    Value padded = PadOp::create(b, g.loc, result, g.i64s(pads),
                                 g.scalar(lt.getElementType(), 0.0), g.none(),
                                 "constant");
    return allReduce(b, g.loc, padded, RK::Sum);
  }

  /// Rank `rank`'s token embedding: rows it holds are looked up, the rest
  /// are zero, and the sum over ranks is the full lookup.
  LogicalResult embedding(OpBuilder &b, GatherOp gather, int64_t vocab) {
    Location loc = gather.getLoc();
    MergeBuilder g(b, loc);
    b.setInsertionPoint(gather);
    auto [off, len] = part(vocab, shards, rank);
    auto table = gather.getData().getDefiningOp<ConstantOp>();
    auto local = sliceConstant(b, table, 0, off, len);
    if (failed(local))
      return gather.emitError("cannot read the embedding table's data");
    Value ids = gather.getIndices();
    // The lookup no longer reads the table the token ids index directly;
    // name the role for the signature.
    if (auto arg = dyn_cast<BlockArgument>(ids))
      cast<func::FuncOp>(arg.getOwner()->getParentOp())
          .setArgAttr(arg.getArgNumber(), "graph.kv_role",
                      b.getStringAttr("tokens"));
    auto it = dyn_cast<RankedTensorType>(ids.getType());
    auto ot = dyn_cast<RankedTensorType>(gather.getType());
    if (!it || !ot)
      return gather.emitError("vocab-parallel: the embedding lookup has an "
                              "unknown rank");
    Type idt = it.getElementType();
    Value offC = g.scalar(idt, (double)off);
    Value inRange =
        AndOp::create(b, loc, GreaterOrEqualOp::create(b, loc, ids, offC),
                      LessOp::create(b, loc, ids, g.scalar(idt, off + len)));
    Value localIds = g.where(inRange, g.sub(ids, offC), g.scalar(idt, 0));
    Value rows = GatherOp::create(b, loc, *local, localIds, 0);
    Value mask = UnsqueezeOp::create(b, loc, inRange, g.lastAxis());
    Value mine = g.where(mask, rows, g.scalar(ot.getElementType(), 0.0));
    Value full = allReduce(b, loc, mine, shard::ReductionKind::Sum);
    gather.getResult().replaceAllUsesWith(full);
    gather.erase();
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>("main_graph");
    if (!fn) {
      for (auto f : module.getOps<func::FuncOp>())
        if (!f.isExternal()) {
          fn = f;
          break;
        }
    }
    if (!fn || fn.isExternal())
      return;
    static const StringRef outputs[] = {"logits", "last-logits", "argmax",
                                        "last-argmax"};
    if (!llvm::is_contained(outputs, StringRef(output))) {
      module.emitError() << "vocab-parallel: unknown output '"
                         << std::string(output)
                         << "' (logits | last-logits | argmax | last-argmax)";
      return signalPassFailure();
    }
    if (shards < 1 || rank < -1 || rank >= shards) {
      module.emitError() << "vocab-parallel: rank " << (int64_t)rank
                         << " of " << (int64_t)shards
                         << " shards is out of range";
      return signalPassFailure();
    }

    // The head with the largest vocabulary (draft heads and classifiers
    // of the same graph are smaller).
    std::optional<LMHead> head;
    fn.walk([&](Operation *op) {
      if (auto h = matchHead(op); h && (!head || h->vocab > head->vocab))
        head = h;
    });
    if (!head) {
      fn.emitError("vocab-parallel: no LM head: expected a MatMul or Gemm "
                   "with a constant [D, V] weight whose result, or its "
                   "Softmax / LogSoftmax / ArgMax along the last axis, is a "
                   "graph output");
      return signalPassFailure();
    }
    LMHead &h = *head;
    if (shards > h.vocab) {
      h.op->emitError() << "vocab-parallel: " << (int64_t)shards
                        << " shards for a vocabulary of " << h.vocab;
      return signalPassFailure();
    }

    StringRef out = output;
    bool last = out.starts_with("last-");
    bool argmax = out.ends_with("argmax");
    StringRef kind = argmax ? StringRef("argmax") : h.kind;
    bool keepdims = h.kind == "argmax" ? h.keepdims : false;

    OpBuilder b(h.op);
    Value hidden = h.op->getOperand(0);
    if (last) {
      auto ht = dyn_cast<RankedTensorType>(hidden.getType());
      if (!ht || ht.getRank() < 2) {
        h.op->emitError() << "vocab-parallel: " << std::string(output)
                          << " needs the LM head's input to have a token "
                             "axis, but it is "
                          << hidden.getType();
        return signalPassFailure();
      }
      MergeBuilder g(b, h.op->getLoc());
      hidden = SliceOp::create(b, g.loc, hidden, g.i64s({-1}),
                               g.i64s({INT64_MAX}), g.i64s({ht.getRank() - 2}),
                               g.none());
    }
    FailureOr<Value> result = rank < 0
                                  ? sequential(b, h, hidden, kind, keepdims)
                                  : distributed(b, h, hidden, kind, keepdims);
    if (failed(result))
      return signalPassFailure();

    if (rank >= 0) {
      // Every embedding lookup of the same vocabulary is sharded too.
      SmallVector<GatherOp> gathers;
      fn.walk([&](GatherOp gth) {
        auto c = gth.getData().getDefiningOp<ConstantOp>();
        auto ct = c ? dyn_cast<RankedTensorType>(c.getType()) : nullptr;
        if (ct && ct.getRank() == 2 && gth.getAxis() == 0 &&
            ct.getDimSize(0) == h.vocab)
          gathers.push_back(gth);
      });
      for (GatherOp gth : gathers)
        if (failed(embedding(b, gth, h.vocab)))
          return signalPassFailure();
      OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
      shard::GridOp::create(mb, module.getLoc(), "vocab",
                            ArrayRef<int64_t>{shards});
      module->setAttr("mnemo.vocab_parallel",
                      b.getDictionaryAttr({
                          b.getNamedAttr("rank", b.getI64IntegerAttr(rank)),
                          b.getNamedAttr("ranks", b.getI64IntegerAttr(shards)),
                          b.getNamedAttr("vocab", b.getI64IntegerAttr(h.vocab)),
                      }));
    }

    // The output is now `result`; a new kind of output gets a new name.
    auto ret = cast<func::ReturnOp>(fn.front().getTerminator());
    ret->setOperand(h.result, *result);
    SmallVector<Type> results(fn.getResultTypes());
    results[h.result] = result->getType();
    fn.setType(FunctionType::get(fn.getContext(), fn.getArgumentTypes(),
                                 results));
    // The exporter's symbolic dim names described the old output.
    fn.removeResultAttr(h.result, b.getStringAttr("graph.dim_params"));
    if (argmax && h.kind != "argmax")
      fn.setResultAttr(h.result, "graph.name", b.getStringAttr("next_token"));
    if (kind == "argmax")
      fn.setResultAttr(h.result, "graph.kv_role",
                       b.getStringAttr("next_token"));
    if (h.consumer && h.consumer->use_empty())
      h.consumer->erase();
    if (h.op->use_empty())
      h.op->erase();
    for (Operation &op : llvm::make_early_inc_range(
             llvm::reverse(fn.front().getOperations())))
      if (isa<ConstantOp>(op) && op.use_empty())
        op.erase();
  }
};

} // namespace
