//===- FunctionOps.cpp - ONNX function ops imported as their bodies -------===//
//
// ONNX defines some ops as functions of others (the losses, the statistics
// outputs of LayerNormalization). Where mnemo has no graph op of its own
// for a form, the node imports as what the function computes, built from
// graph ops that lower and fuse like any other: the elementwise steps fuse
// into one loop nest, the reductions stay reductions. The bodies follow the
// ONNX reference definitions, with the same ignore_index and weighting
// rules, but compute variances as mean((x - mean)^2) (the reference's
// mean(x^2) - mean^2 cancels badly).
//
//===----------------------------------------------------------------------===//

#include "BuildOp.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::onnx_import;
namespace g = mnemo::graph;

namespace {

using Outs = SmallVectorImpl<Value>;

/// A node builder with the constants and casts the bodies need.
struct FunctionBuilder : NodeBuilder {
  /// A scalar of `elt` holding `v`.
  Value scalar(Type elt, double v) {
    auto type = RankedTensorType::get({}, elt);
    Attribute a = isa<FloatType>(elt)
                      ? Attribute(FloatAttr::get(elt, v))
                      : Attribute(IntegerAttr::get(elt, (int64_t)v));
    return c.imp.constant(cast<ElementsAttr>(DenseElementsAttr::get(type, a)),
                          c.loc);
  }

  Value castTo(Value x, Type to) {
    if (!x || g::elementTypeOf(x) == to)
      return x;
    Builder &b = c.imp.getBuilder();
    return op<g::CastOp>({x}, {b.getNamedAttr("to", TypeAttr::get(to))});
  }

  /// The reduction `OpTy` of `x` over every axis from `from` on.
  template <typename OpTy>
  Value reduceFrom(Value x, int64_t from, int64_t rank, bool keepdims) {
    SmallVector<int64_t> axes;
    for (int64_t a = from; a < rank; ++a)
      axes.push_back(a);
    return op<OpTy>({x, c.imp.constI64(axes, c.loc)},
                    {attr("keepdims", keepdims)});
  }

  /// The rank of input `i`, or nullopt (and the node unsupported) when it
  /// is not ranked.
  std::optional<int64_t> rank(unsigned i) {
    if (auto t = dyn_cast<RankedTensorType>(c.input(i).getType()))
      return t.getRank();
    c.unsupported = "input " + std::to_string(i) + " of unknown rank";
    return std::nullopt;
  }

  /// A string attribute's value, `fallback` when absent.
  std::string takeString(StringRef name, StringRef fallback) {
    if (auto s = dyn_cast_or_null<StringAttr>(c.take(name)))
      return s.getValue().str();
    return fallback.str();
  }
};

/// The negative log-likelihood of `logProb` [N, C, d...] at `target`
/// [N, d...], weighted by `weight` [C] (or none), with targets equal to
/// `ignore` (if set) contributing nothing, then reduced ("none", "sum" or
/// "mean": the weighted mean, as the ONNX function divides by the sum of
/// the weights taken).
Value negativeLogLikelihood(FunctionBuilder &f, Value logProb, Value target,
                            Value weight, std::optional<int64_t> ignore,
                            StringRef reduction) {
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    f.c.unsupported = ("reduction '" + reduction + "'").str();
    return {};
  }
  auto targetType = dyn_cast<RankedTensorType>(target.getType());
  if (!targetType) {
    f.c.unsupported = "a target of unknown rank";
    return {};
  }
  Type elt = g::elementTypeOf(logProb);
  Type idx = targetType.getElementType();
  // Ignored targets read class 0 (any valid index) and weigh 0.
  Value ignored, safe = target;
  if (ignore) {
    ignored = f.op<g::EqualOp>({target, f.scalar(idx, *ignore)});
    safe = f.op<g::WhereOp>({ignored, f.scalar(idx, 0), target});
  }
  Value one = f.c.imp.constI64({1}, f.c.loc);
  Value picked = f.op<g::GatherElementsOp>(
      {logProb, f.op<g::UnsqueezeOp>({safe, one})}, {f.attr("axis", 1)});
  Value loss = f.op<g::NegOp>({f.op<g::SqueezeOp>({picked, one})});
  Value w;
  if (!g::isNone(weight))
    w = f.op<g::GatherOp>({weight, safe}, {f.attr("axis", 0)});
  if (ignored)
    w = f.op<g::WhereOp>({ignored, f.scalar(elt, 0), w ? w : f.scalar(elt, 1)});
  if (w)
    loss = f.op<g::MulOp>({loss, w});
  if (reduction == "none")
    return loss;
  int64_t rank = targetType.getRank();
  Value sum = f.reduceFrom<g::ReduceSumOp>(loss, 0, rank, false);
  if (reduction == "sum")
    return sum;
  if (!w)
    return f.reduceFrom<g::ReduceMeanOp>(loss, 0, rank, false);
  // w has the target's shape: the weighted mean divides by its sum.
  return f.op<g::DivOp>({sum, f.reduceFrom<g::ReduceSumOp>(w, 0, rank, false)});
}

std::optional<int64_t> takeIgnoreIndex(NodeContext &c) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(c.take("ignore_index")))
    return a.getInt();
  return std::nullopt;
}

/// NegativeLogLikelihoodLoss(input, target, weight?).
LogicalResult convertNLLLoss(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  std::string reduction = f.takeString("reduction", "mean");
  std::optional<int64_t> ignore = takeIgnoreIndex(c);
  if (f.leftover())
    return success();
  Value weight = c.hasInput(2) ? c.input(2) : c.imp.none(c.loc);
  return f.result(negativeLogLikelihood(f, c.input(0), c.input(1), weight,
                                        ignore, reduction),
                  outs);
}

/// SoftmaxCrossEntropyLoss(scores, labels, weights?) -> (output,
/// log_prob?): the NLL of LogSoftmax over the class axis 1.
LogicalResult convertSoftmaxCrossEntropyLoss(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  std::string reduction = f.takeString("reduction", "mean");
  std::optional<int64_t> ignore = takeIgnoreIndex(c);
  if (f.leftover())
    return success();
  std::optional<int64_t> rank = f.rank(0);
  if (!rank)
    return success();
  if (*rank < 2)
    return emitError(c.loc) << "scores must have rank 2 or more, got "
                            << *rank;
  Value logProb = f.op<g::LogSoftmaxOp>({c.input(0)}, {f.attr("axis", 1)});
  Value weight = c.hasInput(2) ? c.input(2) : c.imp.none(c.loc);
  Value loss =
      negativeLogLikelihood(f, logProb, c.input(1), weight, ignore, reduction);
  if (c.numOutputs > 1)
    return f.result({loss, logProb}, outs);
  return f.result(loss, outs);
}

/// LayerNormalization with its Mean and InvStdDev outputs (the graph op
/// has Y only): normalized over the axes from `axis` on, statistics in
/// the stash type, kept as size-1 dims.
LogicalResult convertLayerNormStatistics(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  auto axisAttr = dyn_cast_or_null<IntegerAttr>(c.take("axis"));
  auto epsAttr = dyn_cast_or_null<FloatAttr>(c.take("epsilon"));
  auto stashAttr = dyn_cast_or_null<IntegerAttr>(c.take("stash_type"));
  if (f.leftover())
    return success();
  std::optional<int64_t> rank = f.rank(0);
  if (!rank)
    return success();
  int64_t axis = axisAttr ? axisAttr.getInt() : -1;
  if (axis < -*rank || axis >= *rank)
    return emitError(c.loc) << "axis " << axis << " is out of range for rank "
                            << *rank;
  if (axis < 0)
    axis += *rank;
  int64_t stashCode = stashAttr ? stashAttr.getInt() : 1;
  Type stash = c.imp.convertElementType(stashCode);
  if (!stash || !isa<FloatType>(stash)) {
    c.unsupported = "stash_type " + std::to_string(stashCode);
    return success();
  }
  double eps = epsAttr ? epsAttr.getValueAsDouble() : 1e-5;
  Value x = c.input(0);
  Type elt = g::elementTypeOf(x);
  Value xu = f.castTo(x, stash);
  Value mean = f.reduceFrom<g::ReduceMeanOp>(xu, axis, *rank, true);
  Value dev = f.op<g::SubOp>({xu, mean});
  Value var = f.reduceFrom<g::ReduceMeanOp>(f.op<g::MulOp>({dev, dev}), axis,
                                            *rank, true);
  Value invStdDev = f.op<g::ReciprocalOp>(
      {f.op<g::SqrtOp>({f.op<g::AddOp>({var, f.scalar(stash, eps)})})});
  Value y = f.op<g::MulOp>(
      {f.castTo(f.op<g::MulOp>({dev, invStdDev}), elt), c.input(1)});
  if (c.hasInput(2))
    y = f.op<g::AddOp>({y, c.input(2)});
  SmallVector<Value> results = {y, mean, invStdDev};
  results.resize(std::max(1u, c.numOutputs));
  return f.result(results, outs);
}

} // namespace

ConvertFn mnemo::onnx_import::lookupFunctionConverter(StringRef opType,
                                                      unsigned numOutputs) {
  if (opType == "NegativeLogLikelihoodLoss")
    return convertNLLLoss;
  if (opType == "SoftmaxCrossEntropyLoss")
    return convertSoftmaxCrossEntropyLoss;
  if (opType == "LayerNormalization" && numOutputs > 1)
    return convertLayerNormStatistics;
  return nullptr;
}
