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
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <limits>

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

  /// The mean of x over `axes`, x - mean, and mean((x - mean)^2), the
  /// statistics keeping the reduced dims as size 1.
  struct Moments {
    Value mean, dev, var;
  };
  Moments moments(Value x, ArrayRef<int64_t> axes) {
    Value ax = c.imp.constI64(axes, c.loc);
    Value mean = op<g::ReduceMeanOp>({x, ax}, {attr("keepdims", 1)});
    Value dev = op<g::SubOp>({x, mean});
    Value var = op<g::ReduceMeanOp>({op<g::MulOp>({dev, dev}), ax},
                                    {attr("keepdims", 1)});
    return {mean, dev, var};
  }

  /// Fails with a diagnostic unless the node gives its first `n` inputs
  /// (a body must not read an omitted one).
  bool require(unsigned n) {
    for (unsigned i = 0; i < n; ++i)
      if (!c.hasInput(i)) {
        emitError(c.loc) << "input " << i << " is required";
        status = failure();
        return false;
      }
    return true;
  }

  /// The rank of input `i`, or nullopt (and the node unsupported) when it
  /// is not ranked.
  std::optional<int64_t> rank(unsigned i) {
    if (auto t = dyn_cast<RankedTensorType>(c.input(i).getType()))
      return t.getRank();
    c.unsupported = "input " + std::to_string(i) + " of unknown rank";
    return std::nullopt;
  }

  /// The i64 constant 0, 1, ..., n-1 shaped [1, ..., n, ..., 1] (rank
  /// `rank`, n at `axis`): broadcasts a position along one axis.
  Value iota(int64_t n, int64_t axis, int64_t rank) {
    SmallVector<int64_t> shape(rank, 1), values;
    shape[axis] = n;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(i);
    auto type = RankedTensorType::get(shape, c.imp.getBuilder().getI64Type());
    return c.imp.constant(
        cast<ElementsAttr>(DenseElementsAttr::get(type, ArrayRef(values))),
        c.loc);
  }

  Value reshape(Value x, ArrayRef<int64_t> shape) {
    return op<g::ReshapeOp>({x, c.imp.constI64(shape, c.loc)});
  }

  Value transpose(Value x, ArrayRef<int64_t> perm) {
    Builder &b = c.imp.getBuilder();
    return op<g::TransposeOp>({x}, {b.getNamedAttr("perm", b.getI64ArrayAttr(perm))});
  }

  /// Input `i`'s static shape, or nullopt (and the node unsupported).
  std::optional<SmallVector<int64_t>> staticShape(unsigned i) {
    auto t = dyn_cast<RankedTensorType>(c.input(i).getType());
    if (t && t.hasStaticShape())
      return SmallVector<int64_t>(t.getShape());
    c.unsupported = "input " + std::to_string(i) + " without a static shape";
    return std::nullopt;
  }

  /// An integer attribute's value, `fallback` when absent.
  int64_t takeInt(StringRef name, int64_t fallback) {
    if (auto a = dyn_cast_or_null<IntegerAttr>(c.take(name)))
      return a.getInt();
    return fallback;
  }

  /// An integer list attribute's values, `fallback` when absent.
  SmallVector<int64_t> takeInts(StringRef name, ArrayRef<int64_t> fallback) {
    if (auto a = dyn_cast_or_null<ArrayAttr>(c.take(name))) {
      SmallVector<int64_t> v;
      for (Attribute x : a)
        v.push_back(cast<IntegerAttr>(x).getInt());
      return v;
    }
    return SmallVector<int64_t>(fallback);
  }

  double takeFloat(StringRef name, double fallback) {
    if (auto a = dyn_cast_or_null<FloatAttr>(c.take(name)))
      return a.getValueAsDouble();
    return fallback;
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
  if (!f.require(2))
    return failure();
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
  if (!f.require(2))
    return failure();
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
  if (!f.require(2))
    return failure();
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
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < *rank; ++d)
    axes.push_back(d);
  auto [mean, dev, var] = f.moments(f.castTo(x, stash), axes);
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

/// An axis attribute normalized into [0, rank), or an error.
FailureOr<int64_t> normalizedAxis(NodeContext &c, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return emitError(c.loc) << "axis " << axis << " is out of range for rank "
                            << rank;
  return axis < 0 ? axis + rank : axis;
}

/// Hardmax(x): 1 at the first maximum along `axis`, 0 elsewhere. Before
/// opset 13 over the input flattened to 2-D at `axis` (default 1).
LogicalResult convertHardmax(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  int64_t axis = f.takeInt("axis", c.opset < 13 ? 1 : -1);
  if (f.leftover())
    return success();
  std::optional<SmallVector<int64_t>> shape = f.staticShape(0);
  if (!shape)
    return success();
  int64_t rank = shape->size();
  FailureOr<int64_t> a = normalizedAxis(c, axis, rank);
  if (failed(a))
    return failure();
  Value x = c.input(0);
  SmallVector<int64_t> work = *shape;
  if (c.opset < 13) {
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d)
      (d < *a ? outer : inner) *= (*shape)[d];
    work = {outer, inner};
    x = f.reshape(x, work);
    a = 1;
  }
  Value am = f.op<g::ArgMaxOp>({x}, {f.attr("axis", *a), f.attr("keepdims", 1)});
  Value y = f.castTo(
      f.op<g::EqualOp>({am, f.iota(work[*a], *a, work.size())}),
      g::elementTypeOf(c.input(0)));
  if (c.opset < 13)
    y = f.reshape(y, *shape);
  return f.result(y, outs);
}

/// IsInf(x): x == +inf (detect_positive) or x == -inf (detect_negative).
LogicalResult convertIsInf(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  bool neg = f.takeInt("detect_negative", 1), pos = f.takeInt("detect_positive", 1);
  if (f.leftover())
    return success();
  Value x = c.input(0);
  Type elt = g::elementTypeOf(x);
  if (!isa_and_nonnull<FloatType>(elt)) {
    c.unsupported = "a non-float input";
    return success();
  }
  double inf = std::numeric_limits<double>::infinity();
  auto equals = [&](double v) { return f.op<g::EqualOp>({x, f.scalar(elt, v)}); };
  // Neither: no element equals NaN.
  Value y = pos && neg ? f.op<g::OrOp>({equals(inf), equals(-inf)})
            : pos      ? equals(inf)
            : neg      ? equals(-inf)
                       : equals(NAN);
  return f.result(y, outs);
}

/// EyeLike(x): a constant of x's (static, 2-D) shape with ones on the
/// diagonal shifted by `k`, of element type `dtype` (default x's).
LogicalResult convertEyeLike(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  int64_t k = f.takeInt("k", 0);
  auto dtype = dyn_cast_or_null<IntegerAttr>(c.take("dtype"));
  if (f.leftover())
    return success();
  std::optional<SmallVector<int64_t>> shape = f.staticShape(0);
  if (!shape)
    return success();
  if (shape->size() != 2)
    return emitError(c.loc) << "input must be 2-D, got rank " << shape->size();
  Type elt = dtype ? c.imp.convertElementType(dtype.getInt())
                   : g::elementTypeOf(c.input(0));
  if (!elt || !elt.isIntOrFloat()) {
    c.unsupported = "dtype " + std::to_string(dtype ? dtype.getInt() : -1);
    return success();
  }
  auto type = RankedTensorType::get(*shape, elt);
  auto value = [&](bool one) -> Attribute {
    if (isa<FloatType>(elt))
      return FloatAttr::get(elt, one ? 1.0 : 0.0);
    return IntegerAttr::get(elt, one ? 1 : 0);
  };
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < (*shape)[0]; ++i)
    for (int64_t j = 0; j < (*shape)[1]; ++j)
      values.push_back(value(j - i == k));
  outs.push_back(c.imp.constant(
      cast<ElementsAttr>(DenseElementsAttr::get(type, values)), c.loc));
  return success();
}

/// The graph.random_* op of RandomUniform(Like) / RandomNormal(Like) and
/// Bernoulli: its element type `dtype` (ONNX code; `fallback` when absent),
/// its shape from the `shape` attribute or from `like` (an attribute when
/// static, so the op does not keep `like` alive), and its seed: the
/// model's (a float in ONNX) or, so that two nodes without one draw
/// different numbers, a hash of the node's first output name.
template <typename OpTy>
Value randomOp(FunctionBuilder &f, Value like, Type fallback,
               StringRef a, double aDefault, StringRef b, double bDefault) {
  NodeContext &c = f.c;
  Builder &bld = c.imp.getBuilder();
  auto dtype = dyn_cast_or_null<IntegerAttr>(c.take("dtype"));
  Type elt = dtype ? c.imp.convertElementType(dtype.getInt()) : fallback;
  Attribute seedAttr = c.take("seed");
  double va = f.takeFloat(a, aDefault), vb = f.takeFloat(b, bDefault);
  SmallVector<int64_t> shape;
  if (!like) {
    if (!llvm::any_of(c.attrs, [](NamedAttribute a) {
          return a.getName() == "shape";
        })) {
      emitError(c.loc) << "needs the attribute 'shape'";
      f.status = failure();
      return {};
    }
    shape = f.takeInts("shape", {});
  }
  if (f.leftover())
    return {};
  if (!isa_and_nonnull<FloatType>(elt)) {
    c.unsupported = "dtype " + std::to_string(dtype ? dtype.getInt() : -1) +
                    " (random numbers are drawn as floats)";
    return {};
  }
  uint64_t seed = llvm::xxh3_64bits(c.node.output(0));
  if (auto fs = dyn_cast_or_null<FloatAttr>(seedAttr))
    seed = (uint64_t)(int64_t)fs.getValueAsDouble();
  if (like)
    if (auto t = dyn_cast<RankedTensorType>(like.getType());
        t && t.hasStaticShape()) {
      shape = SmallVector<int64_t>(t.getShape());
      like = {};
    }
  SmallVector<NamedAttribute> attrs = {
      bld.getNamedAttr("dtype", TypeAttr::get(elt)),
      bld.getNamedAttr("seed", bld.getI64IntegerAttr((int64_t)seed)),
      bld.getNamedAttr(a, bld.getF64FloatAttr(va)),
      bld.getNamedAttr(b, bld.getF64FloatAttr(vb))};
  if (!like)
    attrs.push_back(
        bld.getNamedAttr("shape", bld.getDenseI64ArrayAttr(shape)));
  Value none = like ? like : c.imp.none(c.loc);
  return f.op<OpTy>({none}, attrs);
}

/// RandomUniform / RandomNormal (shape attribute, dtype default float) and
/// their *Like forms (input 0's shape, dtype default its element type).
template <typename OpTy, bool isLike>
LogicalResult convertRandom(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (isLike && !f.require(1))
    return failure();
  Value like = isLike ? c.input(0) : Value();
  Type fallback = isLike ? g::elementTypeOf(like)
                         : Type(c.imp.getBuilder().getF32Type());
  bool uniform = std::is_same_v<OpTy, g::RandomUniformOp>;
  Value y = randomOp<OpTy>(f, like, fallback, uniform ? "low" : "mean", 0.0,
                           uniform ? "high" : "scale", 1.0);
  return f.result(y, outs);
}

/// Bernoulli(p): 1 where a uniform number in [0, 1) is below p, as the
/// op's definition says (P(1) = p), of `dtype` (default p's type), as
/// onnx.reference and PyTorch do. The op's function body compares with
/// Greater, the other way round: onnxruntime, which runs that body, gives
/// P(1) = 1 - p.
LogicalResult convertBernoulli(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  Value p = c.input(0);
  Type pt = g::elementTypeOf(p);
  auto dtype = dyn_cast_or_null<IntegerAttr>(c.take("dtype"));
  Type to = dtype ? c.imp.convertElementType(dtype.getInt()) : pt;
  if (!to || !to.isIntOrFloat() || !isa<FloatType>(pt)) {
    c.unsupported = "dtype or input type (Bernoulli needs float "
                    "probabilities and a numeric dtype)";
    return success();
  }
  Value u = randomOp<g::RandomUniformOp>(f, p, pt, "low", 0.0, "high", 1.0);
  if (!u)
    return f.result(u, outs);
  return f.result(f.castTo(f.op<g::LessOp>({u, p}), to), outs);
}

/// MelWeightMatrix(num_mel_bins M, dft_length L, sample_rate, lower_edge,
/// upper_edge) -> [L/2 + 1, M]: the reference's triangular filters in
/// closed form. M + 2 band edges evenly spaced on the mel scale are
/// mapped to spectrogram bins b = floor((L + 1) hz / sample_rate); column
/// i ramps up from b[i] to 1 at b[i+1] and down to b[i+2]. Computed in f64
/// like the reference (a bin edge is a floor), then cast. M and L decide
/// the shape (constants, or inputs mnemo-run specializes); the rest may be
/// run-time values.
LogicalResult convertMelWeightMatrix(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(5))
    return failure();
  int64_t dtype = f.takeInt("output_datatype", 1);
  if (f.leftover())
    return success();
  Type outType = c.imp.convertElementType(dtype);
  if (!outType || !isa<FloatType>(outType)) {
    c.unsupported = "output_datatype " + std::to_string(dtype);
    return success();
  }
  Builder &b = c.imp.getBuilder();
  Type f64 = b.getF64Type(), i64 = b.getI64Type();
  auto num = [&](double v) { return f.scalar(f64, v); };
  auto i64s = [&](int64_t v) { return c.imp.constI64({v}, c.loc); };
  Value m = f.castTo(c.input(0), i64), len = f.castTo(c.input(1), i64);
  Value rate = f.castTo(c.input(2), f64);
  auto mel = [&](Value hz) { // 2595 log10(1 + hz / 700)
    Value x = f.op<g::AddOp>({num(1), f.op<g::DivOp>({f.castTo(hz, f64), num(700)})});
    return f.op<g::MulOp>({num(2595 / std::log(10.0)), f.op<g::LogOp>({x})});
  };
  Value lo = mel(c.input(3)), hi = mel(c.input(4));
  Value edges = f.op<g::AddOp>({m, f.scalar(i64, 2)});
  Value k = f.castTo(f.op<g::RangeOp>({f.scalar(i64, 0), edges, f.scalar(i64, 1)}), f64);
  Value step = f.op<g::DivOp>({f.op<g::SubOp>({hi, lo}), f.castTo(edges, f64)});
  Value melK = f.op<g::AddOp>({f.op<g::MulOp>({k, step}), lo});
  // 700 (10^(mel / 2595) - 1) Hz, then the bin it falls in.
  Value hz = f.op<g::MulOp>(
      {num(700), f.op<g::SubOp>({f.op<g::PowOp>({num(10), f.op<g::DivOp>({melK, num(2595)})}),
                                 num(1)})});
  Value lenF = f.castTo(len, f64);
  Value bins = f.op<g::FloorOp>(
      {f.op<g::DivOp>({f.op<g::MulOp>({f.op<g::AddOp>({lenF, num(1)}), hz}), rate})});
  // The left, center and right edge of each filter, as [1, M] rows.
  auto edge = [&](int64_t from) {
    Value end = f.op<g::AddOp>({m, f.scalar(i64, from)});
    Value part = f.op<g::SliceOp>(
        {bins, i64s(from), f.op<g::UnsqueezeOp>({end, i64s(0)}), i64s(0), i64s(1)});
    return f.op<g::UnsqueezeOp>({part, i64s(0)});
  };
  Value left = edge(0), center = edge(1), right = edge(2);
  Value rows = f.op<g::AddOp>({f.op<g::DivOp>({len, f.scalar(i64, 2)}), f.scalar(i64, 1)});
  Value j = f.op<g::UnsqueezeOp>(
      {f.castTo(f.op<g::RangeOp>({f.scalar(i64, 0), rows, f.scalar(i64, 1)}), f64),
       i64s(1)});
  Value up = f.op<g::DivOp>({f.op<g::SubOp>({j, left}), f.op<g::SubOp>({center, left})});
  Value down = f.op<g::DivOp>({f.op<g::SubOp>({right, j}), f.op<g::SubOp>({right, center})});
  Value rising = f.op<g::AndOp>({f.op<g::LessOrEqualOp>({left, j}), f.op<g::LessOp>({j, center})});
  Value falling = f.op<g::AndOp>({f.op<g::LessOp>({center, j}), f.op<g::LessOp>({j, right})});
  Value w = f.op<g::WhereOp>(
      {f.op<g::EqualOp>({j, center}), num(1),
       f.op<g::WhereOp>({rising, up, f.op<g::WhereOp>({falling, down, num(0)})})});
  return f.result(f.castTo(w, outType), outs);
}

/// DFT(x [..., n, ..., 1|2], dft_length?, axis?) along the signal axis:
/// the signal (real part, imaginary part when the last dim is 2) moved to
/// the last dim, cut or zero-padded to the DFT length L, and multiplied by
/// constant [L, K] cosine and sine matrices (K = L, or L/2 + 1 onesided),
/// so a DFT is two or four matmuls; `inverse` conjugates and divides by L.
/// The result [..., K, ..., 2] puts the real and imaginary parts last.
LogicalResult convertDFT(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  int64_t axis = f.takeInt("axis", 1);
  bool inverse = f.takeInt("inverse", 0), onesided = f.takeInt("onesided", 0);
  if (f.leftover())
    return success();
  std::optional<SmallVector<int64_t>> shape = f.staticShape(0);
  if (!shape)
    return success();
  int64_t rank = shape->size();
  if (rank < 2 || (shape->back() != 1 && shape->back() != 2))
    return emitError(c.loc) << "input must end in a dim of 1 (real) or 2 "
                               "(complex), got shape of rank "
                            << rank;
  if (c.opset >= 20 && c.hasInput(2)) {
    std::optional<SmallVector<int64_t>> a = g::getConstantInts(c.input(2));
    if (!a || a->size() != 1) {
      c.unsupported = "a run-time axis";
      return success();
    }
    axis = (*a)[0];
  } else if (c.opset >= 20) {
    axis = -2;
  }
  // The signal axis counts the complex dim (negative axes too).
  FailureOr<int64_t> a = normalizedAxis(c, axis, rank);
  if (failed(a))
    return failure();
  if (*a == rank - 1)
    return emitError(c.loc) << "axis must not be the last (complex) dim";
  int64_t n = (*shape)[*a], len = n;
  if (c.hasInput(1)) {
    std::optional<SmallVector<int64_t>> l = g::getConstantInts(c.input(1));
    if (!l || l->size() != 1) {
      c.unsupported = "a run-time dft_length";
      return success();
    }
    len = (*l)[0];
    if (len < 1)
      return emitError(c.loc) << "dft_length must be positive, got " << len;
  }
  Type elt = g::elementTypeOf(c.input(0));
  if (!isa_and_nonnull<FloatType>(elt)) {
    c.unsupported = "a non-float input";
    return success();
  }
  int64_t k = onesided ? len / 2 + 1 : len;
  // One part (real or imaginary) of x, the signal moved last and cut or
  // padded to `len`.
  int64_t inner = rank - 1; // rank of a part
  SmallVector<int64_t> toLast, back(inner);
  for (int64_t d = 0; d < inner; ++d)
    if (d != *a)
      toLast.push_back(d);
  toLast.push_back(*a);
  for (int64_t d = 0; d < inner; ++d)
    back[toLast[d]] = d;
  auto part = [&](int64_t which) {
    Value p = f.transpose(f.pick(c.input(0), rank - 1, which), toLast);
    if (len < n)
      p = f.slice(p, inner - 1, 0, len);
    if (len > n) {
      SmallVector<int64_t> pads(2 * inner, 0);
      pads[2 * inner - 1] = len - n;
      p = f.op<g::PadOp>({p, c.imp.constI64(pads, c.loc), f.scalar(elt, 0),
                          Value(c.imp.none(c.loc))});
    }
    return p;
  };
  auto matrix = [&](bool sine) {
    SmallVector<Attribute> values;
    for (int64_t t = 0; t < len; ++t)
      for (int64_t j = 0; j < k; ++j) {
        // (t * j) mod len keeps the angle small and exact.
        double angle = 2 * M_PI * (double)((t * j) % len) / (double)len;
        values.push_back(FloatAttr::get(elt, sine ? std::sin(angle)
                                                  : std::cos(angle)));
      }
    return c.imp.constant(
        cast<ElementsAttr>(DenseElementsAttr::get(
            RankedTensorType::get({len, k}, elt), values)),
        c.loc);
  };
  Value cosM = matrix(false), sinM = matrix(true);
  auto mm = [&](Value x, Value m) { return f.op<g::MatMulOp>({x, m}); };
  // Forward: re = xr C + xi S, im = xi C - xr S. Inverse (conjugate
  // angles): re = xr C - xi S, im = xi C + xr S, then divided by L.
  Value xr = part(0), xi = shape->back() == 2 ? part(1) : Value();
  Value re = mm(xr, cosM), im = mm(xr, sinM);
  if (!inverse)
    im = f.op<g::NegOp>({im});
  if (xi) {
    Value s = mm(xi, sinM);
    re = inverse ? f.op<g::SubOp>({re, s}) : f.op<g::AddOp>({re, s});
    im = f.op<g::AddOp>({im, mm(xi, cosM)});
  }
  if (inverse) {
    Value scale = f.scalar(elt, 1.0 / (double)len);
    re = f.op<g::MulOp>({re, scale});
    im = f.op<g::MulOp>({im, scale});
  }
  Value last = c.imp.constI64({inner}, c.loc);
  Value y = f.op<g::ConcatOp>(
      {f.op<g::UnsqueezeOp>({f.transpose(re, back), last}),
       f.op<g::UnsqueezeOp>({f.transpose(im, back), last})},
      {f.attr("axis", inner)});
  return f.result(y, outs);
}

/// RNN, GRU and LSTM as a loop over their static sequence: the input
/// projection of every step is one matmul (X [T, B, I] x W^T + biases)
/// before the recurrence; a graph.scan over the steps then adds H_{t-1}
/// R^T, applies the gate activations and yields H_t (and C_t). The scan's
/// body is planned once and its buffers reused by every step. With
/// sequence_lens, a batch entry past its length keeps its state and
/// yields zeros; the reverse direction runs on the input reversed per
/// entry (ReverseSequence) and reverses its outputs back.
enum class Cell { RNN, GRU, LSTM };

template <Cell K>
LogicalResult convertRecurrent(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(3))
    return failure();
  constexpr int64_t gates = K == Cell::RNN ? 1 : K == Cell::GRU ? 3 : 4;
  int64_t hidden = f.takeInt("hidden_size", 0);
  std::string direction = f.takeString("direction", "forward");
  int64_t layout = f.takeInt("layout", 0);
  bool lbr = K == Cell::GRU && f.takeInt("linear_before_reset", 0);
  bool coupled = K == Cell::LSTM && f.takeInt("input_forget", 0);
  auto clipAttr = dyn_cast_or_null<FloatAttr>(c.take("clip"));
  auto acts = dyn_cast_or_null<ArrayAttr>(c.take("activations"));
  if (c.take("activation_alpha") || c.take("activation_beta")) {
    c.unsupported = "activation_alpha/activation_beta";
    return success();
  }
  if (f.leftover())
    return success();
  if (hidden < 1)
    return emitError(c.loc) << "hidden_size must be positive, got " << hidden;
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return emitError(c.loc) << "direction must be forward, reverse or "
                               "bidirectional, got '" << direction << "'";
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  // Default activations per direction: f (and g, h).
  SmallVector<std::string> names =
      K == Cell::RNN   ? SmallVector<std::string>{"Tanh"}
      : K == Cell::GRU ? SmallVector<std::string>{"Sigmoid", "Tanh"}
                       : SmallVector<std::string>{"Sigmoid", "Tanh", "Tanh"};
  size_t perDir = names.size();
  SmallVector<std::string> actNames;
  for (int64_t d = 0; d < dirs; ++d)
    actNames.append(names.begin(), names.end());
  if (acts) {
    if (acts.size() != perDir * dirs)
      return emitError(c.loc) << "activations lists " << acts.size()
                              << " functions, expected " << perDir * dirs;
    actNames.clear();
    for (Attribute a : acts)
      actNames.push_back(cast<StringAttr>(a).getValue().str());
  }
  for (const std::string &a : actNames)
    if (a != "Sigmoid" && a != "Tanh" && a != "Relu") {
      c.unsupported = "activation " + a;
      return success();
    }
  std::optional<SmallVector<int64_t>> xs = f.staticShape(0);
  if (!xs)
    return success();
  if (xs->size() != 3)
    return emitError(c.loc) << "X must be 3-D, got rank " << xs->size();
  Value x = c.input(0);
  if (layout)
    x = f.transpose(x, {1, 0, 2});
  int64_t steps = layout ? (*xs)[1] : (*xs)[0];
  int64_t batch = layout ? (*xs)[0] : (*xs)[1];
  Type elt = g::elementTypeOf(x);
  OpBuilder &b = c.imp.getBuilder();
  auto i64s = [&](ArrayRef<int64_t> v) { return c.imp.constI64(v, c.loc); };
  auto add = [&](Value a, Value b) { return f.op<g::AddOp>({a, b}); };
  auto mul = [&](Value a, Value b) { return f.op<g::MulOp>({a, b}); };
  auto act = [&](StringRef name, Value v) {
    if (clipAttr) {
      double cl = clipAttr.getValueAsDouble();
      v = f.op<g::ClipOp>({v, f.scalar(elt, -cl), f.scalar(elt, cl)});
    }
    return name == "Sigmoid" ? f.op<g::SigmoidOp>({v})
           : name == "Tanh"  ? f.op<g::TanhOp>({v})
                             : f.op<g::ReluOp>({v});
  };
  auto zeros = [&]() {
    auto t = RankedTensorType::get({batch, hidden}, elt);
    return c.imp.constant(cast<ElementsAttr>(DenseElementsAttr::get(
                              t, FloatAttr::get(elt, 0.0))),
                          c.loc);
  };
  Value lens = c.hasInput(4) ? c.input(4) : Value();
  Value initialH = c.hasInput(5) ? c.input(5) : Value();
  Value initialC = K == Cell::LSTM && c.hasInput(6) ? c.input(6) : Value();
  Value peep = K == Cell::LSTM && c.hasInput(7) ? c.input(7) : Value();
  if (layout) {
    if (initialH)
      initialH = f.transpose(initialH, {1, 0, 2});
    if (initialC)
      initialC = f.transpose(initialC, {1, 0, 2});
  }
  int64_t gh = gates * hidden;
  SmallVector<Value> ys, lastH, lastC;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    ArrayRef<std::string> fn = ArrayRef(actNames).slice(d * perDir, perDir);
    Value wT = f.transpose(f.pick(c.input(1), 0, d), {1, 0}); // [I, G*h]
    Value rT = f.transpose(f.pick(c.input(2), 0, d), {1, 0}); // [h, G*h]
    Value input = x;
    if (reverse && lens)
      input = f.op<g::ReverseSequenceOp>(
          {input, lens}, {f.attr("batch_axis", 1), f.attr("time_axis", 0)});
    // Every step's input projection at once: [T, B, G*h].
    Value xw = f.op<g::MatMulOp>({input, wT});
    Value rb; // GRU with linear_before_reset: R's h-gate bias stays apart
    if (c.hasInput(3)) {
      Value bias = f.pick(c.input(3), 0, d); // [2*G*h]
      Value wb = f.slice(bias, 0, 0, gh), rbias = f.slice(bias, 0, gh, 2 * gh);
      if (lbr) {
        rb = f.slice(rbias, 0, 2 * hidden, 3 * hidden);
        Value noH = c.imp.constant(
            cast<ElementsAttr>(DenseElementsAttr::get(
                RankedTensorType::get({hidden}, elt), FloatAttr::get(elt, 0.0))),
            c.loc);
        rbias = f.op<g::ConcatOp>({f.slice(rbias, 0, 0, 2 * hidden), noH},
                                  {f.attr("axis", 0)});
      }
      xw = add(xw, add(wb, rbias));
    }
    Value h = initialH ? f.pick(initialH, 0, d) : zeros();
    Value cell = K == Cell::LSTM ? (initialC ? f.pick(initialC, 0, d) : zeros())
                                 : Value();
    Value pi, po, pf;
    if (peep) {
      Value p = f.pick(peep, 0, d);
      pi = f.slice(p, 0, 0, hidden);
      po = f.slice(p, 0, hidden, 2 * hidden);
      pf = f.slice(p, 0, 2 * hidden, 3 * hidden);
    }
    // The recurrence is one graph.scan over the steps (an scf.for after
    // lowering, its per-step buffers reused): states h (and c), scan
    // inputs the step's projection and, with lengths, whether each entry
    // is still live; it yields the step's output. Without lengths the
    // reverse direction scans backwards; with them its input is already
    // reversed per entry.
    bool backwards = reverse && !lens;
    SmallVector<Value> states = {h}, scans = {xw};
    if (cell)
      states.push_back(cell);
    if (lens) {
      // live[t, b] = t < lens[b], as [T, B, 1].
      SmallVector<int64_t> ts;
      for (int64_t t = 0; t < steps; ++t)
        ts.push_back(t);
      Value tcol = f.op<g::CastOp>(
          {f.reshape(i64s(ts), {steps, 1})},
          {b.getNamedAttr("to", TypeAttr::get(g::elementTypeOf(lens)))});
      scans.push_back(f.op<g::UnsqueezeOp>(
          {f.op<g::LessOp>({tcol, lens}), i64s({2})}));
    }
    if (failed(f.status) || !c.unsupported.empty())
      return f.status;
    (void)c.imp.none(c.loc); // made in the graph's block, not the body's
    SmallVector<Type> resultTypes;
    for (Value v : states)
      resultTypes.push_back(v.getType());
    resultTypes.push_back(RankedTensorType::get({steps, batch, hidden}, elt));
    SmallVector<Value> operands(states);
    llvm::append_range(operands, scans);
    int64_t dir = backwards ? 1 : 0;
    auto scan = g::ScanOp::create(
        b, c.loc, resultTypes, operands, b.getI64IntegerAttr(scans.size()),
        b.getI64ArrayAttr(SmallVector<int64_t>(scans.size(), 0)),
        b.getI64ArrayAttr(SmallVector<int64_t>(scans.size(), dir)),
        b.getI64ArrayAttr({0}), b.getI64ArrayAttr({dir}));
    {
      OpBuilder::InsertionGuard guard(b);
      SmallVector<Type> argTypes;
      for (Value v : states)
        argTypes.push_back(v.getType());
      argTypes.push_back(RankedTensorType::get({batch, gh}, elt));
      if (lens)
        argTypes.push_back(RankedTensorType::get({batch, 1}, b.getI1Type()));
      Block *body = b.createBlock(&scan.getBody(), {}, argTypes,
                                  SmallVector<Location>(argTypes.size(), c.loc));
      Value h = body->getArgument(0);
      Value cell = K == Cell::LSTM ? body->getArgument(1) : Value();
      Value g = body->getArgument(states.size());
      Value live = lens ? body->getArgument(states.size() + 1) : Value();
      Value hr = f.op<g::MatMulOp>({h, rT});
      auto gate = [&](Value v, int64_t k) {
        return f.slice(v, 1, k * hidden, (k + 1) * hidden);
      };
      Value hNew, cNew;
      if constexpr (K == Cell::RNN) {
        hNew = act(fn[0], add(g, hr));
      } else if constexpr (K == Cell::GRU) {
        Value z = act(fn[0], add(gate(g, 0), gate(hr, 0)));
        Value r = act(fn[0], add(gate(g, 1), gate(hr, 1)));
        Value cand;
        if (lbr) {
          Value hh = gate(hr, 2);
          if (rb)
            hh = add(hh, rb);
          cand = act(fn[1], add(gate(g, 2), mul(r, hh)));
        } else {
          Value rh = f.op<g::MatMulOp>({mul(r, h), f.slice(rT, 1, 2 * hidden, 3 * hidden)});
          cand = act(fn[1], add(gate(g, 2), rh));
        }
        // (1 - z) * cand + z * h = cand + z * (h - cand)
        hNew = add(cand, mul(z, f.op<g::SubOp>({h, cand})));
      } else {
        Value pre = add(g, hr);
        Value ig = gate(pre, 0), og = gate(pre, 1), fg = gate(pre, 2),
              cg = gate(pre, 3);
        if (pi) {
          ig = add(ig, mul(pi, cell));
          fg = add(fg, mul(pf, cell));
        }
        Value iv = act(fn[0], ig);
        Value fv = coupled ? f.op<g::SubOp>({f.scalar(elt, 1), iv})
                           : act(fn[0], fg);
        cNew = add(mul(fv, cell), mul(iv, act(fn[1], cg)));
        if (po)
          og = add(og, mul(po, cNew));
        hNew = mul(act(fn[0], og), act(fn[2], cNew));
      }
      Value y = hNew;
      if (lens) {
        // Entries past their length keep their state and yield zeros.
        y = f.op<g::WhereOp>({live, hNew, zeros()});
        hNew = f.op<g::WhereOp>({live, hNew, h});
        if (cNew)
          cNew = f.op<g::WhereOp>({live, cNew, cell});
      }
      if (failed(f.status) || !c.unsupported.empty()) {
        scan->erase();
        return f.status;
      }
      SmallVector<Value> yielded = {hNew};
      if (cNew)
        yielded.push_back(cNew);
      yielded.push_back(y);
      g::YieldOp::create(b, c.loc, yielded);
    }
    h = scan.getResult(0);
    cell = cell ? scan.getResult(1) : Value();
    Value y = scan.getResults().back(); // [T, B, h]
    if (reverse && lens)
      y = f.op<g::ReverseSequenceOp>(
          {y, lens}, {f.attr("batch_axis", 1), f.attr("time_axis", 0)});
    ys.push_back(f.op<g::UnsqueezeOp>({y, i64s({1})})); // [T, 1, B, h]
    lastH.push_back(f.op<g::UnsqueezeOp>({h, i64s({0})}));
    if (cell)
      lastC.push_back(f.op<g::UnsqueezeOp>({cell, i64s({0})}));
  }
  auto join = [&](ArrayRef<Value> vs, int64_t axis) {
    return vs.size() == 1 ? vs[0]
                          : f.op<g::ConcatOp>(vs, {f.attr("axis", axis)});
  };
  Value y = join(ys, 1), yh = join(lastH, 0);
  Value yc = lastC.empty() ? Value() : join(lastC, 0);
  if (layout) {
    y = f.transpose(y, {2, 0, 1, 3});
    yh = f.transpose(yh, {1, 0, 2});
    if (yc)
      yc = f.transpose(yc, {1, 0, 2});
  }
  SmallVector<Value> results = {y, yh};
  if (yc)
    results.push_back(yc);
  results.resize(std::max(1u, c.numOutputs));
  return f.result(results, outs);
}

/// MaxUnpool(X, I, output_shape?): zeros of the inferred shape ((in - 1)
/// * stride - pads + kernel per spatial dim) with X's values written at
/// I's flat indices (MaxPool's Indices: offsets into the whole tensor), a
/// ScatterElements on the flattened tensors; an output_shape pads that
/// with zeros at the end of each dim, as onnx.reference does.
LogicalResult convertMaxUnpool(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(2))
    return failure();
  SmallVector<int64_t> kernel = f.takeInts("kernel_shape", {});
  std::optional<SmallVector<int64_t>> shape = f.staticShape(0);
  if (!shape)
    return success();
  int64_t spatial = (int64_t)shape->size() - 2;
  SmallVector<int64_t> pads = f.takeInts("pads", SmallVector<int64_t>(2 * std::max<int64_t>(spatial, 0), 0));
  SmallVector<int64_t> strides = f.takeInts("strides", SmallVector<int64_t>(std::max<int64_t>(spatial, 0), 1));
  if (f.leftover())
    return success();
  if (spatial < 1 || (int64_t)kernel.size() != spatial ||
      (int64_t)pads.size() != 2 * spatial || (int64_t)strides.size() != spatial)
    return emitError(c.loc) << "kernel_shape, strides and pads must match the "
                            << spatial << " spatial dims";
  Type elt = g::elementTypeOf(c.input(0));
  Builder &b = c.imp.getBuilder();
  auto zero = DenseElementsAttr::get(
      RankedTensorType::get({1}, elt),
      isa<FloatType>(elt) ? Attribute(FloatAttr::get(elt, 0.0))
                          : Attribute(IntegerAttr::get(elt, 0)));
  SmallVector<int64_t> inferred = {(*shape)[0], (*shape)[1]};
  for (int64_t d = 0; d < spatial; ++d)
    inferred.push_back(((*shape)[d + 2] - 1) * strides[d] - pads[d] -
                       pads[d + spatial] + kernel[d]);
  Value zeros = f.op<g::ConstantOfShapeOp>({c.imp.constI64(inferred, c.loc)},
                                           {b.getNamedAttr("value", zero)});
  Value flatShape = c.imp.constI64({-1}, c.loc);
  auto flat = [&](Value v) { return f.op<g::ReshapeOp>({v, flatShape}); };
  Value y = f.op<g::ScatterElementsOp>(
      {flat(zeros), flat(c.input(1)), flat(c.input(0))}, {f.attr("axis", 0)});
  y = f.reshape(y, inferred);
  if (c.hasInput(2)) {
    // A given output_shape pads the result with zeros at the end of each
    // dim (onnx.reference). The pads come from the shape of a
    // ConstantOfShape of it, which folds once the shape is known.
    Value target = f.op<g::ShapeOp>({f.op<g::ConstantOfShapeOp>(
        {c.input(2)}, {b.getNamedAttr("value", zero)})});
    Value extra = f.op<g::SubOp>({target, c.imp.constI64(inferred, c.loc)});
    Value padsV = f.op<g::ConcatOp>(
        {c.imp.constI64(SmallVector<int64_t>(inferred.size(), 0), c.loc), extra},
        {f.attr("axis", 0)});
    y = f.op<g::PadOp>({y, padsV, f.scalar(elt, 0), Value(c.imp.none(c.loc))});
  }
  return f.result(y, outs);
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth on NCHW: a reshape, a
/// transpose, a reshape.
template <bool ToSpace>
LogicalResult convertBlockRearrange(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  int64_t b = f.takeInt("blocksize", 0);
  std::string mode = ToSpace ? f.takeString("mode", "DCR") : "DCR";
  if (f.leftover())
    return success();
  std::optional<SmallVector<int64_t>> shape = f.staticShape(0);
  if (!shape)
    return success();
  if (shape->size() != 4)
    return emitError(c.loc) << "input must be 4-D, got rank " << shape->size();
  if (b < 1)
    return emitError(c.loc) << "blocksize must be positive, got " << b;
  if (mode != "DCR" && mode != "CRD")
    return emitError(c.loc) << "mode must be DCR or CRD, got '" << mode << "'";
  int64_t n = (*shape)[0], ch = (*shape)[1], h = (*shape)[2], w = (*shape)[3];
  Value x = c.input(0), y;
  if (ToSpace) {
    if (ch % (b * b))
      return emitError(c.loc) << "channels (" << ch
                              << ") must be a multiple of blocksize^2";
    int64_t co = ch / (b * b);
    if (mode == "DCR")
      y = f.transpose(f.reshape(x, {n, b, b, co, h, w}), {0, 3, 4, 1, 5, 2});
    else
      y = f.transpose(f.reshape(x, {n, co, b, b, h, w}), {0, 1, 4, 2, 5, 3});
    y = f.reshape(y, {n, co, h * b, w * b});
  } else {
    if (h % b || w % b)
      return emitError(c.loc) << "height and width (" << h << ", " << w
                              << ") must be multiples of blocksize " << b;
    y = f.transpose(f.reshape(x, {n, ch, h / b, b, w / b, b}),
                    {0, 3, 5, 1, 2, 4});
    y = f.reshape(y, {n, ch * b * b, h / b, w / b});
  }
  return f.result(y, outs);
}

/// (x - mean) / sqrt(var + eps) over `axes`, statistics kept as size-1
/// dims.
Value normalize(FunctionBuilder &f, Value x, ArrayRef<int64_t> axes,
                double eps) {
  Type elt = g::elementTypeOf(x);
  auto [mean, dev, var] = f.moments(x, axes);
  return f.op<g::DivOp>(
      {dev, f.op<g::SqrtOp>({f.op<g::AddOp>({var, f.scalar(elt, eps)})})});
}

/// InstanceNormalization(x, scale, B): per sample and channel over the
/// spatial dims.
LogicalResult convertInstanceNorm(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(3))
    return failure();
  double eps = f.takeFloat("epsilon", 1e-5);
  if (f.leftover())
    return success();
  std::optional<int64_t> rank = f.rank(0);
  if (!rank)
    return success();
  if (*rank < 3)
    return emitError(c.loc) << "input must have rank 3 or more, got " << *rank;
  SmallVector<int64_t> spatial;
  for (int64_t d = 2; d < *rank; ++d)
    spatial.push_back(d);
  // scale and B [C] broadcast as [C, 1, ...].
  SmallVector<int64_t> trailing;
  for (int64_t d = 1; d < *rank - 1; ++d)
    trailing.push_back(d);
  Value perChannel = c.imp.constI64(trailing, c.loc);
  Value y = f.op<g::MulOp>({normalize(f, c.input(0), spatial, eps),
                            f.op<g::UnsqueezeOp>({c.input(1), perChannel})});
  y = f.op<g::AddOp>({y, f.op<g::UnsqueezeOp>({c.input(2), perChannel})});
  return f.result(y, outs);
}

/// GroupNormalization(x, scale, bias) as its ONNX function: x [N, C, ...]
/// viewed as [N, G, C/G * spatial] and normalized over the last dim, then
/// * scale + bias per channel. Opset 21 gives scale and bias per channel
/// [C]; opset 18 per group [G], each value shared by its group's C/G
/// channels.
LogicalResult convertGroupNorm(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(3))
    return failure();
  double eps = f.takeFloat("epsilon", 1e-5);
  int64_t groups = f.takeInt("num_groups", 0);
  int64_t stashCode = f.takeInt("stash_type", 1);
  if (f.leftover())
    return success();
  std::optional<SmallVector<int64_t>> shape = f.staticShape(0);
  if (!shape)
    return success();
  int64_t rank = shape->size();
  if (rank < 2)
    return emitError(c.loc) << "input must have rank 2 or more, got " << rank;
  int64_t ch = (*shape)[1];
  if (groups <= 0 || ch % groups)
    return emitError(c.loc) << "num_groups (" << groups
                            << ") must be positive and divide the channels ("
                            << ch << ")";
  // Statistics in f32 (stash_type 1) on f32 inputs only: no casts here.
  if (stashCode != 1) {
    c.unsupported = "stash_type " + std::to_string(stashCode);
    return success();
  }
  if (!g::elementTypeOf(c.input(0)).isF32()) {
    c.unsupported = "a non-f32 input";
    return success();
  }
  int64_t perGroup = 1;
  for (int64_t d = 1; d < rank; ++d)
    perGroup *= (*shape)[d];
  perGroup /= groups;
  Value y = f.reshape(c.input(0), {(*shape)[0], groups, perGroup});
  y = f.reshape(normalize(f, y, {2}, eps), *shape);
  // scale and bias as [C, 1, ...] (opset 18: [G] repeated C/G times).
  auto perChannel = [&](Value v) {
    if (c.opset < 21)
      v = f.reshape(
          f.op<g::ExpandOp>(
              {f.reshape(v, {groups, 1}),
               c.imp.constI64({groups, ch / groups}, c.loc)}),
          {ch});
    SmallVector<int64_t> cshape(rank - 1, 1);
    cshape[0] = ch;
    return f.reshape(v, cshape);
  };
  y = f.op<g::MulOp>({y, perChannel(c.input(1))});
  y = f.op<g::AddOp>({y, perChannel(c.input(2))});
  return f.result(y, outs);
}

/// MeanVarianceNormalization(x) over `axes` (default N, H, W) as its ONNX
/// function: (x - mean) / (sqrt(var) + 1e-9).
LogicalResult convertMVN(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  SmallVector<int64_t> axes = {0, 2, 3};
  if (auto a = dyn_cast_or_null<ArrayAttr>(c.take("axes"))) {
    axes.clear();
    for (Attribute x : a)
      axes.push_back(cast<IntegerAttr>(x).getInt());
  }
  if (f.leftover())
    return success();
  Value x = c.input(0);
  Type elt = g::elementTypeOf(x);
  auto [mean, dev, var] = f.moments(x, axes);
  Value std = f.op<g::AddOp>({f.op<g::SqrtOp>({var}), f.scalar(elt, 1e-9)});
  return f.result(f.op<g::DivOp>({dev, std}), outs);
}

/// BatchNormalization in training mode -> (Y, running_mean, running_var):
/// Y normalized with the batch's statistics (population variance), the
/// running statistics moved toward them by 1 - momentum.
LogicalResult convertBatchNormTraining(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(5))
    return failure();
  double eps = f.takeFloat("epsilon", 1e-5);
  double momentum = f.takeFloat("momentum", 0.9);
  // Statistics outputs are defined in training mode only (opset 14+;
  // before, more than one output meant training).
  if (!f.takeInt("training_mode", 1)) {
    c.unsupported = "running statistics outputs with training_mode = 0";
    return success();
  }
  if (c.numOutputs > 3) {
    c.unsupported = "the saved_mean/saved_var outputs of opsets before 14";
    return success();
  }
  if (f.leftover())
    return success();
  std::optional<int64_t> rank = f.rank(0);
  if (!rank)
    return success();
  if (*rank < 2)
    return emitError(c.loc) << "input must have rank 2 or more, got " << *rank;
  Value x = c.input(0);
  Type elt = g::elementTypeOf(x);
  SmallVector<int64_t> axes = {0};
  for (int64_t d = 2; d < *rank; ++d)
    axes.push_back(d);
  Value ax = c.imp.constI64(axes, c.loc);
  FunctionBuilder::Moments m = f.moments(x, axes);
  // The per-channel statistics as [C].
  Value mean = f.op<g::SqueezeOp>({m.mean, ax}), var = f.op<g::SqueezeOp>({m.var, ax});
  Builder &b = c.imp.getBuilder();
  Value y = f.op<g::BatchNormalizationOp>(
      {x, c.input(1), c.input(2), mean, var},
      {b.getNamedAttr("epsilon", b.getF32FloatAttr(eps))});
  auto running = [&](Value old, Value batch) {
    return f.op<g::AddOp>({f.op<g::MulOp>({old, f.scalar(elt, momentum)}),
                           f.op<g::MulOp>({batch, f.scalar(elt, 1 - momentum)})});
  };
  SmallVector<Value> results = {y, running(c.input(3), mean),
                                running(c.input(4), var)};
  results.resize(c.numOutputs);
  return f.result(results, outs);
}

/// LRN: x / (bias + alpha / size * s)^beta, s the sum of squares over a
/// window of `size` channels around each one: a convolution of ones over
/// the squares seen as [N, 1, C, rest].
LogicalResult convertLRN(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  if (!f.require(1))
    return failure();
  double alpha = f.takeFloat("alpha", 1e-4), beta = f.takeFloat("beta", 0.75),
         bias = f.takeFloat("bias", 1.0);
  int64_t size = f.takeInt("size", 0);
  if (f.leftover())
    return success();
  std::optional<SmallVector<int64_t>> shape = f.staticShape(0);
  if (!shape)
    return success();
  if (shape->size() < 3)
    return emitError(c.loc) << "input must have rank 3 or more, got "
                            << shape->size();
  if (size < 1)
    return emitError(c.loc) << "size must be positive, got " << size;
  Value x = c.input(0);
  Type elt = g::elementTypeOf(x);
  int64_t rest = 1;
  for (int64_t d : ArrayRef(*shape).drop_front(2))
    rest *= d;
  Value sq = f.reshape(f.op<g::MulOp>({x, x}), {(*shape)[0], 1, (*shape)[1], rest});
  auto onesType = RankedTensorType::get({1, 1, size, 1}, elt);
  Value ones = c.imp.constant(
      cast<ElementsAttr>(DenseElementsAttr::get(onesType, FloatAttr::get(elt, 1.0))),
      c.loc);
  Builder &b = c.imp.getBuilder();
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  Value sum = f.op<g::ConvOp>(
      {sq, ones, c.imp.none(c.loc)},
      {b.getNamedAttr("pads", b.getI64ArrayAttr({lo, 0, hi, 0}))});
  Value scale = f.op<g::AddOp>(
      {f.scalar(elt, bias),
       f.op<g::MulOp>({f.scalar(elt, alpha / size), f.reshape(sum, *shape)})});
  return f.result(
      f.op<g::DivOp>({x, f.op<g::PowOp>({scale, f.scalar(elt, beta)})}), outs);
}

/// The training optimizers of ai.onnx.preview.training (Adagrad, Adam,
/// Momentum) as their reference definitions: inputs R (learning rate), T
/// (update count), then `groups` lists of n tensors (X, G, and the
/// optimizer's state); outputs the new X and state lists.
struct Optimizer {
  FunctionBuilder &f;
  Value r, t; // t cast to r's type
  int64_t n;
  Type elt;

  static std::optional<Optimizer> make(FunctionBuilder &f, unsigned groups) {
    NodeContext &c = f.c;
    if (!f.require(c.inputs.size()))
      return std::nullopt;
    if (c.inputs.size() < 2 + groups || (c.inputs.size() - 2) % groups) {
      emitError(c.loc) << "expects R, T and " << groups
                       << " lists of equally many tensors, got "
                       << c.inputs.size() << " inputs";
      f.status = failure();
      return std::nullopt;
    }
    Value r = c.input(0);
    Type elt = g::elementTypeOf(r);
    if (!isa_and_nonnull<FloatType>(elt)) {
      c.unsupported = "a non-float learning rate";
      return std::nullopt;
    }
    return Optimizer{f, r, f.castTo(c.input(1), elt),
                     (int64_t)(c.inputs.size() - 2) / groups, elt};
  }
  /// Tensor `i` of list `group`.
  Value in(unsigned group, int64_t i) { return f.c.input(2 + group * n + i); }
  Value k(double v) { return f.scalar(elt, v); }
  Value add(Value a, Value b) { return f.op<g::AddOp>({a, b}); }
  Value sub(Value a, Value b) { return f.op<g::SubOp>({a, b}); }
  Value mul(Value a, Value b) { return f.op<g::MulOp>({a, b}); }
  Value div(Value a, Value b) { return f.op<g::DivOp>({a, b}); }
  /// norm_coefficient * x + g.
  Value regularized(double norm, Value x, Value g) {
    return add(mul(k(norm), x), g);
  }
  /// `positive` where T > 0, else `otherwise`.
  Value ifStarted(Value positive, Value otherwise) {
    return f.op<g::WhereOp>({f.op<g::GreaterOp>({t, k(0)}), positive, otherwise});
  }
};

LogicalResult convertAdagrad(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  double decay = f.takeFloat("decay_factor", 0), eps = f.takeFloat("epsilon", 1e-6),
         norm = f.takeFloat("norm_coefficient", 0);
  if (f.leftover())
    return success();
  std::optional<Optimizer> o = Optimizer::make(f, 3);
  if (!o)
    return f.status;
  Value rate = o->div(o->r, o->add(o->k(1), o->mul(o->t, o->k(decay))));
  SmallVector<Value> xs, hs;
  for (int64_t i = 0; i < o->n; ++i) {
    Value gr = o->regularized(norm, o->in(0, i), o->in(1, i));
    Value h = o->add(o->in(2, i), o->mul(gr, gr));
    Value adaptive = o->add(f.op<g::SqrtOp>({h}), o->k(eps));
    xs.push_back(o->sub(o->in(0, i), o->div(o->mul(rate, gr), adaptive)));
    hs.push_back(h);
  }
  llvm::append_range(xs, hs);
  return f.result(xs, outs);
}

LogicalResult convertAdam(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  double alpha = f.takeFloat("alpha", 0.9), beta = f.takeFloat("beta", 0.999),
         eps = f.takeFloat("epsilon", 1e-6),
         norm = f.takeFloat("norm_coefficient", 0),
         post = f.takeFloat("norm_coefficient_post", 0);
  if (f.leftover())
    return success();
  std::optional<Optimizer> o = Optimizer::make(f, 4);
  if (!o)
    return f.status;
  // r * sqrt(1 - beta^t) / (1 - alpha^t) once updates have started.
  auto powT = [&](double base) { return f.op<g::PowOp>({o->k(base), o->t}); };
  Value adjusted = o->div(
      o->mul(o->r, f.op<g::SqrtOp>({o->sub(o->k(1), powT(beta))})),
      o->sub(o->k(1), powT(alpha)));
  Value rate = o->ifStarted(adjusted, o->r);
  SmallVector<Value> xs, vs, hs;
  for (int64_t i = 0; i < o->n; ++i) {
    Value x = o->in(0, i);
    Value gr = o->regularized(norm, x, o->in(1, i));
    Value v = o->add(o->mul(o->k(alpha), o->in(2, i)), o->mul(o->k(1 - alpha), gr));
    Value h = o->add(o->mul(o->k(beta), o->in(3, i)),
                     o->mul(o->k(1 - beta), o->mul(gr, gr)));
    Value hSqrt = o->add(f.op<g::SqrtOp>({h}), o->k(eps));
    Value xNew = o->sub(x, o->mul(rate, o->div(v, hSqrt)));
    xs.push_back(o->mul(o->k(1 - post), xNew));
    vs.push_back(v);
    hs.push_back(h);
  }
  llvm::append_range(xs, vs);
  llvm::append_range(xs, hs);
  return f.result(xs, outs);
}

LogicalResult convertMomentum(NodeContext &c, Outs &outs) {
  FunctionBuilder f{c};
  double alpha = f.takeFloat("alpha", 0), beta = f.takeFloat("beta", 0),
         norm = f.takeFloat("norm_coefficient", 0);
  std::string mode = f.takeString("mode", "standard");
  if (f.leftover())
    return success();
  if (mode != "standard" && mode != "nesterov")
    return emitError(c.loc) << "mode must be standard or nesterov, got '"
                            << mode << "'";
  std::optional<Optimizer> o = Optimizer::make(f, 3);
  if (!o)
    return f.status;
  Value betaT = o->ifStarted(o->k(beta), o->k(1));
  SmallVector<Value> xs, vs;
  for (int64_t i = 0; i < o->n; ++i) {
    Value x = o->in(0, i);
    Value gr = o->regularized(norm, x, o->in(1, i));
    Value v = o->add(o->mul(o->k(alpha), o->in(2, i)), o->mul(betaT, gr));
    Value step = mode == "standard" ? v : o->add(gr, o->mul(o->k(alpha), v));
    xs.push_back(o->sub(x, o->mul(o->r, step)));
    vs.push_back(v);
  }
  llvm::append_range(xs, vs);
  return f.result(xs, outs);
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
  if (opType == "BatchNormalization" && numOutputs > 1)
    return convertBatchNormTraining;
  static const llvm::StringMap<ConvertFn> table = {
      {"Hardmax", convertHardmax},
      {"IsInf", convertIsInf},
      {"EyeLike", convertEyeLike},
      {"RandomUniform", convertRandom<g::RandomUniformOp, false>},
      {"RandomUniformLike", convertRandom<g::RandomUniformOp, true>},
      {"RandomNormal", convertRandom<g::RandomNormalOp, false>},
      {"RandomNormalLike", convertRandom<g::RandomNormalOp, true>},
      {"Bernoulli", convertBernoulli},
      {"DepthToSpace", convertBlockRearrange<true>},
      {"SpaceToDepth", convertBlockRearrange<false>},
      {"InstanceNormalization", convertInstanceNorm},
      {"GroupNormalization", convertGroupNorm},
      {"MeanVarianceNormalization", convertMVN},
      {"LRN", convertLRN},
      {"DFT", convertDFT},
      {"MelWeightMatrix", convertMelWeightMatrix},
      {"MaxUnpool", convertMaxUnpool},
      {"RNN", convertRecurrent<Cell::RNN>},
      {"GRU", convertRecurrent<Cell::GRU>},
      {"LSTM", convertRecurrent<Cell::LSTM>},
  };
  if (auto it = table.find(opType); it != table.end())
    return it->second;
  return nullptr;
}

ConvertFn mnemo::onnx_import::lookupTrainingConverter(StringRef opType) {
  if (opType == "Adagrad")
    return convertAdagrad;
  if (opType == "Adam")
    return convertAdam;
  if (opType == "Momentum")
    return convertMomentum;
  if (opType == "Gradient")
    return convertGradient;
  return nullptr;
}
