//===- KVCache.cpp - mnemo-kv-cache pass ----------------------------------===//
//
// A decoder step exported with past/present KV inputs and outputs copies
// the whole cache every step: Concat(past, new) builds a fresh [B, H, P+1,
// D] tensor per layer, and the caller copies it back as the next past. At
// P = 4096 that is two full caches written per token for one token of new
// data. Here each past input becomes a preallocated cache of `max-seq`
// positions that the step writes S tokens into (graph.kv_cache_write) and
// reads the first position + S of (graph.kv_cache_read); the present
// outputs go away, because the caller's buffer is the cache.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/BitVector.h"

namespace mnemo {
#define GEN_PASS_DEF_KVCACHEPASS
#include "mnemo/Memory/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::graph;

namespace {

/// One past input and what the exporter built from it.
struct KVPair {
  unsigned arg;           // the past input
  ConcatOp concat;        // Concat(past, new) along the sequence axis
  unsigned result;        // the present output returning the Concat
  SmallVector<ShapeOp> shapes; // Shape(past): the past length
};

/// Matches `arg` as a past K or V input: rank 4 float, used only by one
/// Concat with a second operand along axis 2 (whose result is returned) and
/// by Shape ops. Returns nullopt with `why` set when it is close but not it.
std::optional<KVPair> matchPast(func::FuncOp fn, unsigned a, std::string &why,
                               Location &where) {
  BlockArgument arg = fn.getArgument(a);
  auto t = dyn_cast<RankedTensorType>(arg.getType());
  if (!t || t.getRank() != 4 || !isa<FloatType>(t.getElementType()))
    return std::nullopt;
  KVPair p{a, nullptr, 0, {}};
  for (Operation *user : arg.getUsers()) {
    if (auto c = dyn_cast<ConcatOp>(user)) {
      int64_t axis = (int64_t)c.getAxis();
      axis = axis < 0 ? axis + 4 : axis;
      if (p.concat || axis != 2 || c.getInputs().size() != 2 ||
          c.getInputs()[0] != arg)
        return std::nullopt;
      p.concat = c;
    } else if (auto s = dyn_cast<ShapeOp>(user)) {
      p.shapes.push_back(s);
    } else {
      return std::nullopt;
    }
  }
  if (!p.concat)
    return std::nullopt;
  where = p.concat.getLoc();
  auto ret = cast<func::ReturnOp>(fn.front().getTerminator());
  std::optional<unsigned> result;
  for (OpOperand &use : p.concat.getResult().getUses())
    if (use.getOwner() == ret) {
      if (result) {
        why = "its Concat is returned twice";
        return std::nullopt;
      }
      result = use.getOperandNumber();
    }
  if (!result) {
    why = "its Concat is not a graph output (no present tensor)";
    return std::nullopt;
  }
  p.result = *result;
  return p;
}

std::string argName(func::FuncOp fn, unsigned a) {
  auto n = fn.getArgAttrOfType<StringAttr>(a, "graph.name");
  return n ? n.str() : "input" + std::to_string(a);
}
std::string resultName(func::FuncOp fn, unsigned r) {
  auto n = fn.getResultAttrOfType<StringAttr>(r, "graph.name");
  return n ? n.str() : "output" + std::to_string(r);
}

/// Keys or values, from the names exporters give them (the quantized
/// layouts treat them differently). The word nearest the end decides:
/// "past_key_values.0.key" holds keys.
std::optional<StringRef> kindOf(StringRef past) {
  std::string lower = past.lower();
  size_t k = StringRef(lower).rfind("key"), v = StringRef(lower).rfind("value");
  if (k == StringRef::npos && v == StringRef::npos)
    return std::nullopt;
  if (v == StringRef::npos || (k != StringRef::npos && k > v))
    return StringRef("key");
  return StringRef("value");
}

struct KVCachePass : public mnemo::impl::KVCachePassBase<KVCachePass> {
  using KVCachePassBase::KVCachePassBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    if (layout != "head-major" && layout != "token-major" &&
        layout != "paged" && layout != "int8" && layout != "kivi2") {
      fn.emitError() << "mnemo-kv-cache: unknown layout '" << std::string(layout)
                     << "' (head-major, token-major, paged, int8, kivi2)";
      return signalPassFailure();
    }
    if (maxSeq <= 0) {
      fn.emitError() << "mnemo-kv-cache: max-seq must be positive";
      return signalPassFailure();
    }
    bool paged = layout == "paged";
    // The quantized layouts: int8 and KIVI's 2-bit one, both grouped.
    bool quantized = layout == "int8" || layout == "kivi2";
    if (paged && (blockSize <= 0 || maxSeq % blockSize != 0)) {
      fn.emitError() << "mnemo-kv-cache: max-seq " << (int64_t)maxSeq
                     << " is not a multiple of kv-block " << (int64_t)blockSize;
      return signalPassFailure();
    }
    if (quantized && (group <= 0 || maxSeq % group != 0)) {
      fn.emitError() << "mnemo-kv-cache: max-seq " << (int64_t)maxSeq
                     << " is not a multiple of the quantization group "
                     << (int64_t)group;
      return signalPassFailure();
    }

    SmallVector<KVPair> pairs;
    for (unsigned a = 0; a < fn.getNumArguments(); ++a) {
      std::string why;
      Location where = fn.getLoc();
      if (auto p = matchPast(fn, a, why, where))
        pairs.push_back(std::move(*p));
      else if (!why.empty())
        emitWarning(where)
            << "input '" << argName(fn, a) << "' is not a KV cache: " << why;
    }
    if (pairs.empty()) {
      fn.emitError() << "mnemo-kv-cache: no KV cache in @" << fn.getName()
                     << ": no input is only concatenated with new keys or "
                        "values along axis 2 into an output";
      return signalPassFailure();
    }

    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto named = [&](StringRef name, ArrayRef<NamedAttribute> extra = {}) {
      SmallVector<NamedAttribute> attrs = {
          b.getNamedAttr("graph.name", b.getStringAttr(name))};
      attrs.append(extra.begin(), extra.end());
      return b.getDictionaryAttr(attrs);
    };

    // New inputs go at the end: the position, then the block table.
    Location loc = fn.getLoc();
    unsigned posIdx = fn.getNumArguments();
    if (failed(fn.insertArgument(
            posIdx, RankedTensorType::get({1}, i64),
            named("cache_position",
                  {b.getNamedAttr("graph.kv_role", b.getStringAttr("position"))}),
            loc)))
      return signalPassFailure();
    Value pos = fn.getArgument(posIdx);
    Value table;
    if (paged) {
      unsigned tIdx = fn.getNumArguments();
      if (failed(fn.insertArgument(
              tIdx, RankedTensorType::get({maxSeq / blockSize}, i64),
              named("kv_block_table", {b.getNamedAttr(
                                          "graph.kv_role",
                                          b.getStringAttr("block_table"))}),
              loc)))
        return signalPassFailure();
      table = fn.getArgument(tIdx);
    }

    // Every layout but paged takes `none` for the block table.
    Value none = table;
    if (!paged) {
      b.setInsertionPointToStart(&fn.front());
      none = NoneOp::create(b, loc).getResult();
    }

    auto ret = cast<func::ReturnOp>(fn.front().getTerminator());
    llvm::BitVector dropResults(fn.getNumResults());
    llvm::BitVector dropArgs(fn.getNumArguments());
    for (KVPair &p : pairs) {
      std::string past = argName(fn, p.arg), present = resultName(fn, p.result);
      auto pastType = cast<RankedTensorType>(fn.getArgument(p.arg).getType());
      ArrayRef<int64_t> s = pastType.getShape();
      int64_t bDim = s[0], h = s[1], d = s[3];
      if (ShapedType::isDynamic(bDim) || ShapedType::isDynamic(h) ||
          ShapedType::isDynamic(d) || (paged && bDim != 1)) {
        emitError(p.concat.getLoc())
            << "KV cache input '" << past << "' needs static batch, heads "
               "and head size" << (paged ? " and batch 1 (paged)" : "")
            << ", got " << pastType;
        return signalPassFailure();
      }
      std::optional<StringRef> k = kindOf(past);
      StringRef kind = k.value_or("key");
      if (quantized && !k) {
        emitError(p.concat.getLoc())
            << std::string(layout) << " KV cache: cannot tell whether '"
            << past << "' holds keys or values (its name says neither)";
        return signalPassFailure();
      }
      // Four 2-bit codes share a byte along the head dim.
      if (layout == "kivi2" && d % 4 != 0) {
        emitError(p.concat.getLoc())
            << "kivi2 KV cache: head size " << d << " of '" << past
            << "' is not a multiple of 4 (four 2-bit codes per byte)";
        return signalPassFailure();
      }
      Type elt = pastType.getElementType();
      // The cache tensors of this pair and what each holds.
      SmallVector<std::pair<RankedTensorType, StringRef>> parts;
      if (layout == "head-major")
        parts.push_back({RankedTensorType::get({bDim, h, maxSeq, d}, elt), "data"});
      else if (layout == "token-major")
        parts.push_back({RankedTensorType::get({bDim, maxSeq, h, d}, elt), "data"});
      else if (paged)
        parts.push_back({RankedTensorType::get({maxSeq / blockSize, h, blockSize, d},
                                               elt),
                         "data"});
      else if (layout == "kivi2") {
        // Codes, then scale and minimum (keys per channel over a group of
        // tokens, values per token), then the group being filled in full
        // precision.
        auto i8 = IntegerType::get(ctx, 8);
        parts.push_back({RankedTensorType::get({bDim, h, maxSeq, d / 4}, i8), "data"});
        auto paramT = kind == "key"
                          ? RankedTensorType::get({bDim, h, maxSeq / group, d}, elt)
                          : RankedTensorType::get({bDim, h, maxSeq, 1}, elt);
        parts.push_back({paramT, "scale"});
        parts.push_back({paramT, "min"});
        parts.push_back({RankedTensorType::get({bDim, h, group, d}, elt), "group"});
      } else {
        parts.push_back({RankedTensorType::get({bDim, h, maxSeq, d},
                                               IntegerType::get(ctx, 8)),
                         "data"});
        if (kind == "key") {
          parts.push_back({RankedTensorType::get({bDim, h, maxSeq / group, d}, elt),
                           "scale"});
          parts.push_back({RankedTensorType::get({bDim, h, group, d}, elt),
                           "group"});
        } else {
          parts.push_back({RankedTensorType::get({bDim, h, maxSeq, 1}, elt),
                           "scale"});
        }
      }
      SmallVector<Value> caches;
      for (auto [t, part] : parts) {
        unsigned idx = fn.getNumArguments();
        std::string name = "cache." + past + (part == "data" ? "" : "." + part.str());
        auto info = b.getDictionaryAttr(
            {b.getNamedAttr("past", b.getStringAttr(past)),
             b.getNamedAttr("present", b.getStringAttr(present)),
             b.getNamedAttr("layout", b.getStringAttr(layout)),
             b.getNamedAttr("kind", b.getStringAttr(kind)),
             b.getNamedAttr("part", b.getStringAttr(part)),
             b.getNamedAttr("max_seq", b.getI64IntegerAttr(maxSeq)),
             b.getNamedAttr("block_size",
                            b.getI64IntegerAttr(paged ? (int64_t)blockSize : 0)),
             b.getNamedAttr("group",
                            b.getI64IntegerAttr(quantized ? (int64_t)group : 0))});
        if (failed(fn.insertArgument(
                idx, t, named(name, {b.getNamedAttr("graph.kv_cache", info)}),
                fn.getArgument(p.arg).getLoc())))
          return signalPassFailure();
        caches.push_back(fn.getArgument(idx));
      }
      dropArgs.resize(fn.getNumArguments());

      ConcatOp concat = p.concat;
      Location cl = concat.getLoc();
      Value update = concat.getInputs()[1];
      int64_t bs = paged ? (int64_t)blockSize : 0;
      int64_t grp = quantized ? (int64_t)group : 0;
      auto read = [&](ValueRange from, Value length) {
        return KVCacheReadOp::create(b, cl, from, length, none, layout, kind,
                                     bs, grp)
            .getResult();
      };

      // The past length for Shape(past): a read of the cache before the
      // write (only its shape is used).
      if (!p.shapes.empty()) {
        b.setInsertionPointToStart(&fn.front());
        b.setInsertionPointAfterValue(none);
        Value view = read(caches, pos);
        for (ShapeOp sh : p.shapes)
          sh->replaceUsesOfWith(fn.getArgument(p.arg), view);
      }

      b.setInsertionPoint(concat);
      auto write = KVCacheWriteOp::create(b, cl, caches, update, pos, none,
                                          layout, kind, bs, grp);
      // length = position + S, S from the update's shape.
      Value newLen;
      auto ut = cast<RankedTensorType>(update.getType());
      if (!ut.isDynamicDim(2)) {
        Value sC = ConstantOp::create(
            b, cl, DenseElementsAttr::get(RankedTensorType::get({1}, i64),
                                          ArrayRef<int64_t>{ut.getDimSize(2)}));
        newLen = AddOp::create(b, cl, pos, sC).getResult();
      } else {
        Value shape = ShapeOp::create(b, cl, update).getResult();
        Value two = ConstantOp::create(
            b, cl, DenseElementsAttr::get(RankedTensorType::get({1}, i64),
                                          ArrayRef<int64_t>{2}));
        Value sDyn = GatherOp::create(b, cl, shape, two).getResult();
        newLen = AddOp::create(b, cl, pos, sDyn).getResult();
      }
      Value full = read(write.getResults(), newLen);
      concat.getResult().replaceUsesWithIf(full, [&](OpOperand &u) {
        return u.getOwner() != ret;
      });
      dropResults.set(p.result);
      dropArgs.set(p.arg);
    }

    // Present outputs and past inputs go; the caches replace both.
    SmallVector<Value> keep;
    for (auto [i, v] : llvm::enumerate(ret.getOperands()))
      if (!dropResults.test(i))
        keep.push_back(v);
    ret->setOperands(keep);
    for (KVPair &p : pairs)
      if (p.concat->use_empty())
        p.concat->erase();
    if (failed(fn.eraseResults(dropResults)) ||
        failed(fn.eraseArguments(dropArgs)))
      return signalPassFailure();
  }
};

} // namespace

SmallVector<mnemo::KVCacheIO> mnemo::findKVCacheIO(func::FuncOp fn) {
  SmallVector<KVCacheIO> out;
  if (fn.isExternal())
    return out;
  for (unsigned a = 0; a < fn.getNumArguments(); ++a) {
    std::string why;
    Location where = fn.getLoc();
    if (auto p = matchPast(fn, a, why, where))
      out.push_back({p->arg, p->result});
  }
  return out;
}
