//===- Sequences.cpp - ONNX sequences resolved at import ------------------===//
//
// mnemo has no sequence type: a sequence is known at import as the list of
// its tensors (the importer's map from names to lists), and the sequence
// ops become operations on that list. SequenceAt, SequenceInsert and
// SequenceErase need constant positions, SplitToSequence a split of static
// length; ConcatFromSequence is a Concat of the list, SequenceLength a
// constant. A sequence that reaches a graph input or output, a Loop's
// carried values or any other op is rejected by name: the C ABI passes
// tensors only.
//
//===----------------------------------------------------------------------===//

#include "BuildOp.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::onnx_import;
namespace g = mnemo::graph;

bool mnemo::onnx_import::isSequenceOp(StringRef opType) {
  static const llvm::StringSet<> ops = {
      "SequenceConstruct", "SequenceEmpty",      "SequenceInsert",
      "SequenceErase",     "SequenceAt",         "SequenceLength",
      "ConcatFromSequence", "SplitToSequence"};
  return ops.contains(opType);
}

namespace {
/// A position operand as an index into a list of `size` (negative counts
/// from the end); `size` itself is valid where `end` is.
FailureOr<int64_t> position(NodeContext &c, unsigned i, int64_t size,
                            int64_t fallback, bool end) {
  if (!c.hasInput(i))
    return fallback;
  std::optional<SmallVector<int64_t>> p = g::getConstantInts(c.input(i));
  if (!p || p->size() != 1)
    return emitError(c.loc) << "a position known only at run time (mnemo "
                               "resolves sequences at compile time)";
  int64_t v = (*p)[0], hi = end ? size : size - 1;
  if (v < -size || v > hi)
    return emitError(c.loc) << "position " << v << " is outside a sequence of "
                            << size << " tensors";
  return v < 0 ? v + size : v;
}
} // namespace

LogicalResult mnemo::onnx_import::convertSequenceOp(
    NodeContext &c, ArrayRef<std::optional<SmallVector<Value>>> seqIns,
    SmallVectorImpl<Value> &outs, std::optional<SmallVector<Value>> &seqOut) {
  StringRef op = c.node.op_type();
  NodeBuilder f{c};
  auto seqAt = [&](unsigned i) -> FailureOr<SmallVector<Value>> {
    if (i < seqIns.size() && seqIns[i])
      return *seqIns[i];
    return emitError(c.loc) << "input " << i << " must be a sequence";
  };
  if (op == "SequenceConstruct") {
    for (auto [i, s] : llvm::enumerate(seqIns))
      if (s)
        return emitError(c.loc) << "input " << i << " is a sequence, not a tensor";
    seqOut = SmallVector<Value>(c.inputs);
    return success();
  }
  if (op == "SequenceEmpty") {
    c.take("dtype");
    seqOut = SmallVector<Value>();
    return success();
  }
  if (op == "SplitToSequence") {
    int64_t axis = 0, keepdims = 1;
    if (auto a = dyn_cast_or_null<IntegerAttr>(c.take("axis")))
      axis = a.getInt();
    if (auto a = dyn_cast_or_null<IntegerAttr>(c.take("keepdims")))
      keepdims = a.getInt();
    if (f.leftover())
      return success();
    Value x = c.input(0);
    auto t = dyn_cast<RankedTensorType>(x.getType());
    if (!t)
      return emitError(c.loc) << "input of unknown rank";
    if (axis < -t.getRank() || axis >= t.getRank())
      return emitError(c.loc) << "axis " << axis << " is out of range for rank "
                              << t.getRank();
    if (axis < 0)
      axis += t.getRank();
    int64_t dim = t.getDimSize(axis);
    SmallVector<Value> parts;
    auto i64s = [&](int64_t v) { return c.imp.constI64({v}, c.loc); };
    if (!c.hasInput(1)) {
      // Size-1 chunks, the axis dropped unless keepdims.
      if (ShapedType::isDynamic(dim))
        return emitError(c.loc) << "splits a dim unknown at compile time "
                                   "into size-1 chunks";
      for (int64_t i = 0; i < dim; ++i)
        parts.push_back(keepdims ? f.slice(x, axis, i, i + 1)
                                 : f.pick(x, axis, i));
    } else {
      auto st = dyn_cast<RankedTensorType>(c.input(1).getType());
      std::optional<SmallVector<int64_t>> split =
          g::getConstantInts(c.input(1));
      if (!st || st.getRank() > 1 || (st.getRank() == 1 && st.isDynamicDim(0)))
        return emitError(c.loc) << "split must be a scalar or a 1-D tensor "
                                   "of static length";
      if (st.getRank() == 0) {
        if (!split || ShapedType::isDynamic(dim))
          return emitError(c.loc) << "a scalar split needs a constant chunk "
                                     "size and a static dim";
        int64_t chunk = (*split)[0];
        if (chunk < 1)
          return emitError(c.loc) << "chunk size " << chunk << " is not positive";
        for (int64_t from = 0; from < dim; from += chunk)
          parts.push_back(f.slice(x, axis, from, std::min(dim, from + chunk)));
      } else if (split) {
        int64_t from = 0;
        for (int64_t len : *split) {
          if (len < 0)
            return emitError(c.loc) << "negative split length " << len;
          parts.push_back(f.slice(x, axis, from, from + len));
          from += len;
        }
        if (!ShapedType::isDynamic(dim) && from != dim)
          return emitError(c.loc) << "split lengths sum to " << from
                                  << ", not the dim's " << dim;
      } else {
        // Lengths known at run time: as many parts as entries, each a
        // slice from the running sum.
        Value ends = f.op<g::CumSumOp>({c.input(1), c.imp.constI64({0}, c.loc, true)});
        for (int64_t i = 0; i < st.getDimSize(0); ++i) {
          Value end = f.op<g::GatherOp>({ends, i64s(i)});
          Value start = f.op<g::SubOp>({end, f.op<g::GatherOp>({c.input(1), i64s(i)})});
          parts.push_back(f.op<g::SliceOp>({x, start, end, i64s(axis), i64s(1)}));
        }
      }
    }
    if (failed(f.status) || !c.unsupported.empty())
      return f.status;
    seqOut = parts;
    return success();
  }
  FailureOr<SmallVector<Value>> seq = seqAt(0);
  if (failed(seq))
    return failure();
  int64_t size = seq->size();
  if (op == "SequenceInsert") {
    if (seqIns.size() > 1 && seqIns[1])
      return emitError(c.loc) << "the inserted value is a sequence";
    FailureOr<int64_t> at = position(c, 2, size, size, /*end=*/true);
    if (failed(at))
      return failure();
    seq->insert(seq->begin() + *at, c.input(1));
    seqOut = *seq;
    return success();
  }
  if (op == "SequenceErase") {
    if (size == 0)
      return emitError(c.loc) << "erases from an empty sequence";
    FailureOr<int64_t> at = position(c, 1, size, size - 1, /*end=*/false);
    if (failed(at))
      return failure();
    seq->erase(seq->begin() + *at);
    seqOut = *seq;
    return success();
  }
  if (op == "SequenceAt") {
    FailureOr<int64_t> at = position(c, 1, size, 0, /*end=*/false);
    if (failed(at))
      return failure();
    if (!c.hasInput(1))
      return emitError(c.loc) << "needs a position";
    outs.push_back((*seq)[*at]);
    return success();
  }
  if (op == "SequenceLength") {
    outs.push_back(c.imp.constI64({size}, c.loc, /*scalar=*/true));
    return success();
  }
  if (op == "ConcatFromSequence") {
    auto axisAttr = dyn_cast_or_null<IntegerAttr>(c.take("axis"));
    int64_t newAxis = 0;
    if (auto a = dyn_cast_or_null<IntegerAttr>(c.take("new_axis")))
      newAxis = a.getInt();
    if (f.leftover())
      return success();
    if (!axisAttr)
      return emitError(c.loc) << "needs the attribute 'axis'";
    if (size == 0)
      return emitError(c.loc) << "concatenates an empty sequence";
    int64_t axis = axisAttr.getInt();
    SmallVector<Value> parts = *seq;
    if (newAxis) {
      // The new axis counts in the output's rank (one more).
      auto t = dyn_cast<RankedTensorType>(parts[0].getType());
      if (!t)
        return emitError(c.loc) << "elements of unknown rank";
      if (axis < 0)
        axis += t.getRank() + 1;
      for (Value &p : parts)
        p = f.op<g::UnsqueezeOp>({p, c.imp.constI64({axis}, c.loc)});
    }
    Value y = parts.size() == 1
                  ? parts[0]
                  : f.op<g::ConcatOp>(parts, {f.attr("axis", axis)});
    return f.result(y, outs);
  }
  return emitError(c.loc) << "is not a sequence op";
}
