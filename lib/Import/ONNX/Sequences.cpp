//===- Sequences.cpp - ONNX sequences resolved at import ------------------===//
//
// mnemo has no sequence or optional type: a sequence is known at import
// as the list of its tensors, an optional as whether it holds a value and
// which (ImportedValue, in the importer's map of names), and their ops
// become operations on those lists. SequenceAt, SequenceInsert and
// SequenceErase need constant positions, SplitToSequence a split of static
// length; ConcatFromSequence is a Concat of the list, SequenceLength a
// constant, SequenceMap its body imported once per element,
// OptionalHasElement a constant. At the graph's edges their tensors are
// plain inputs and outputs (StructuredIO.cpp); a Loop carrying one is
// unrolled at import (ControlFlow.cpp); any other op reading one is
// rejected by name.
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
      "SequenceConstruct",  "SequenceEmpty",      "SequenceInsert",
      "SequenceErase",      "SequenceAt",         "SequenceLength",
      "ConcatFromSequence", "SplitToSequence",    "SequenceMap",
      "Optional",           "OptionalHasElement", "OptionalGetElement"};
  return ops.contains(opType);
}

bool mnemo::onnx_import::takesStructuredInputs(StringRef opType) {
  return isSequenceOp(opType) || opType == "Identity" || opType == "If" ||
         opType == "Loop";
}

namespace {
/// A position operand as an index into a list of `size` (negative counts
/// from the end); `size` itself is valid where `end` is.
FailureOr<int64_t> position(NodeContext &c, unsigned i, int64_t size,
                            int64_t fallback, bool end) {
  if (!c.hasInput(i))
    return fallback;
  std::optional<int64_t> p = constantScalar(c.input(i));
  if (!p)
    return emitError(c.loc) << "a position known only at run time (mnemo "
                               "resolves sequences at compile time)";
  int64_t v = *p, hi = end ? size : size - 1;
  if (v < -size || v > hi)
    return emitError(c.loc) << "position " << v << " is outside a sequence of "
                            << size << " tensors";
  return v < 0 ? v + size : v;
}
} // namespace

/// SequenceMap: the body imported once per element; its outputs are
/// sequences of what each element's body yields.
static LogicalResult convertSequenceMap(NodeContext &c,
                                        SmallVectorImpl<Value> &outs) {
  const onnx::GraphProto *body = nullptr;
  for (const auto &a : c.node.attribute())
    if (a.name() == "body" && a.has_g())
      body = &a.g();
  c.take("body");
  if (!body)
    return emitError(c.loc) << "needs a graph attribute 'body'";
  if (NodeBuilder{c}.leftover())
    return success();
  if (c.structuredIns.empty() || !c.structuredIns[0] ||
      c.structuredIns[0]->kind != ImportedValue::Sequence)
    return emitError(c.loc) << "input 0 must be a sequence";
  size_t length = c.structuredIns[0]->tensors.size();
  for (auto [i, s] : llvm::enumerate(c.structuredIns)) {
    if (!s)
      continue;
    if (s->kind != ImportedValue::Sequence)
      return emitError(c.loc) << "input " << i << " is " << s->describe()
                              << ", not a sequence or a tensor";
    if (s->tensors.size() != length)
      return emitError(c.loc) << "input " << i << " holds "
                              << s->tensors.size() << " tensors, input 0 "
                              << length;
  }
  unsigned n = c.node.output_size();
  if (body->output_size() != (int)n)
    return emitError(c.loc) << "has " << n << " outputs but its body yields "
                            << body->output_size();
  SmallVector<ImportedValue> results(n, ImportedValue::sequence({}));
  for (size_t e = 0; e < length; ++e) {
    SmallVector<ImportedValue> args, yielded;
    for (auto [i, s] : llvm::enumerate(c.structuredIns))
      args.push_back(ImportedValue::tensor(s ? s->tensors[e] : c.inputs[i]));
    if (failed(c.imp.importInline(*body, args, yielded)))
      return failure();
    for (auto [j, y] : llvm::enumerate(yielded)) {
      if (!y.isTensor())
        return emitError(c.loc) << "body output " << j << " is "
                                << y.describe() << ", not a tensor";
      results[j].tensors.push_back(y.tensors.front());
    }
  }
  for (const ImportedValue &v : results)
    c.addOutput(v, outs);
  return success();
}

/// Optional, OptionalHasElement and OptionalGetElement, and Identity of a
/// sequence or optional: the value's form is known, so each is a constant
/// or the value itself.
static LogicalResult convertOptionalOp(NodeContext &c,
                                       SmallVectorImpl<Value> &outs) {
  StringRef op = c.node.op_type();
  auto give = [&](const ImportedValue &v) {
    c.addOutput(v, outs);
    return success();
  };
  // The input as a value of any kind (none when omitted).
  std::optional<ImportedValue> x;
  if (!c.structuredIns.empty() && c.structuredIns[0])
    x = c.structuredIns[0];
  else if (c.hasInput(0))
    x = ImportedValue::tensor(c.input(0));
  if (op == "Identity")
    return give(*x);
  if (op == "Optional") {
    bool ofSequence = x && x->kind == ImportedValue::Sequence;
    for (const auto &a : c.node.attribute())
      if (a.name() == "type" && a.has_tp())
        ofSequence = a.tp().has_sequence_type();
    c.take("type");
    if (NodeBuilder{c}.leftover())
      return success();
    if (x && x->kind == ImportedValue::Optional)
      return emitError(c.loc) << "input 0 is an optional: optionals of "
                                 "optionals are unsupported";
    if (!x && !c.node.attribute_size())
      return emitError(c.loc) << "an empty Optional needs the attribute 'type'";
    return give(ImportedValue::optional(x ? &*x : nullptr, ofSequence));
  }
  if (op == "OptionalHasElement") {
    // Opset 18 also takes a tensor or sequence (true) or nothing (false).
    bool has = x && (x->kind != ImportedValue::Optional || x->present);
    Type i1 = c.imp.getBuilder().getI1Type();
    return give(ImportedValue::tensor(c.imp.constant(
        DenseElementsAttr::get(RankedTensorType::get({}, i1), has), c.loc)));
  }
  // OptionalGetElement: opset 18 passes a tensor or sequence through.
  if (!x)
    return emitError(c.loc) << "needs an input";
  if (x->kind != ImportedValue::Optional)
    return give(*x);
  if (!x->present)
    return emitError(c.loc) << "reads the value of an empty optional";
  return give(x->element());
}

/// The ops on a sequence's list: tensors in `outs`, or the list they make
/// in `seqOut`.
static LogicalResult convertListOp(NodeContext &c, SmallVectorImpl<Value> &outs,
                                   std::optional<SmallVector<Value>> &seqOut) {
  StringRef op = c.node.op_type();
  NodeBuilder f{c};
  ArrayRef<std::optional<ImportedValue>> ins = c.structuredIns;
  auto seqAt = [&](unsigned i) -> FailureOr<SmallVector<Value>> {
    if (i < ins.size() && ins[i] && ins[i]->kind == ImportedValue::Sequence)
      return ins[i]->tensors;
    return emitError(c.loc) << "input " << i << " must be a sequence";
  };
  if (op == "SequenceConstruct") {
    for (auto [i, s] : llvm::enumerate(ins))
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
    if (ins.size() > 1 && ins[1])
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

LogicalResult mnemo::onnx_import::convertSequenceOp(NodeContext &c,
                                                    SmallVectorImpl<Value> &outs) {
  StringRef op = c.node.op_type();
  if (op == "SequenceMap")
    return convertSequenceMap(c, outs);
  if (op == "Identity" || op.starts_with("Optional"))
    return convertOptionalOp(c, outs);
  std::optional<SmallVector<Value>> seqOut;
  if (failed(convertListOp(c, outs, seqOut)))
    return failure();
  if (seqOut)
    c.addOutput(ImportedValue::sequence(*seqOut), outs);
  return success();
}
