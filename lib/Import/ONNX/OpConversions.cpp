//===- OpConversions.cpp - ONNX op -> graph op converters -----------------===//
//
// One converter per ONNX op type of the default domain. Most map inputs and
// attributes straight onto the graph op (whose form is the newest opset's);
// the rest normalize older opsets: attributes that later became inputs
// (axes, split, pads, clip bounds, slice bounds, shape) turn into constant
// operands, and semantics that changed (Softmax before opset 13, Resize 10,
// Upsample) are rewritten into the new form.
//
//===----------------------------------------------------------------------===//

#include "BuildOp.h"

#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::onnx_import;
namespace g = mnemo::graph;

namespace {
//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

using Outs = SmallVectorImpl<Value>;

/// Attributes that never change results: memory hints and test flags of
/// early opsets.
void dropInert(NodeContext &c) {
  c.take("consumed_inputs");
  c.take("is_test");
}

/// Elementwise ops before opset 7 carried `broadcast`/`axis`; without an
/// axis the legacy rule (suffix match) equals numpy broadcasting. With one,
/// B's dims line up with A's from `axis` on: B gets size-1 dims before and
/// after them (Unsqueeze), and numpy broadcasting does the rest.
bool dropLegacyBroadcast(NodeContext &c) {
  if (!c.take("broadcast"))
    return true;
  auto axisAttr = dyn_cast_or_null<IntegerAttr>(c.take("axis"));
  if (!axisAttr || c.inputs.size() != 2)
    return true;
  auto a = dyn_cast<RankedTensorType>(c.inputs[0].getType());
  auto b = dyn_cast<RankedTensorType>(c.inputs[1].getType());
  if (!a || !b) {
    c.unsupported = "legacy broadcasting with an axis on operands of unknown rank";
    return false;
  }
  int64_t axis = axisAttr.getInt();
  if (axis < 0)
    axis += a.getRank();
  if (axis < 0 || axis + b.getRank() > a.getRank()) {
    c.unsupported = "legacy broadcasting axis out of range";
    return false;
  }
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < a.getRank(); ++d)
    if (d < axis || d >= axis + b.getRank())
      axes.push_back(d);
  if (axes.empty())
    return true;
  NodeBuilder f{c};
  Value aligned =
      f.op<g::UnsqueezeOp>({c.inputs[1], c.imp.constI64(axes, c.loc)});
  if (!aligned)
    return false;
  c.inputs[1] = aligned;
  return true;
}

/// Inputs padded with graph.none up to `n` operands.
FailureOr<SmallVector<Value>> padded(NodeContext &c, unsigned n) {
  if (c.inputs.size() > n) {
    emitError(c.loc) << "expects at most " << n << " inputs, got "
                     << c.inputs.size();
    return failure();
  }
  SmallVector<Value> ops(c.inputs);
  while (ops.size() < n)
    ops.push_back(c.imp.none(c.loc));
  return ops;
}

/// An INTS attribute moved to a 1-D i64 constant operand (none if absent).
Value intsAttrToOperand(NodeContext &c, StringRef name) {
  auto a = dyn_cast_or_null<ArrayAttr>(c.take(name));
  if (!a)
    return c.imp.none(c.loc);
  SmallVector<int64_t> v;
  for (Attribute x : a)
    v.push_back(cast<IntegerAttr>(x).getInt());
  return c.imp.constI64(v, c.loc);
}

/// A scalar constant of `elt` holding `value`.
Value scalarOf(NodeContext &c, Type elt, double value) {
  auto type = RankedTensorType::get({}, elt);
  Attribute v = isa<FloatType>(elt)
                    ? Attribute(FloatAttr::get(elt, value))
                    : Attribute(IntegerAttr::get(elt, (int64_t)value));
  return c.imp.constant(DenseElementsAttr::get(type, v), c.loc);
}

bool isEmptyConstant(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getNumElements() == 0;
}

template <typename OpTy, unsigned N>
LogicalResult convertDefault(NodeContext &c, Outs &outs) {
  dropInert(c);
  FailureOr<SmallVector<Value>> ops = padded(c, N);
  if (failed(ops))
    return failure();
  return c.imp.build<OpTy>(c, *ops, c.attrs, outs);
}

template <typename OpTy, unsigned N>
LogicalResult convertElementwise(NodeContext &c, Outs &outs) {
  if (!dropLegacyBroadcast(c))
    return success(!c.unsupported.empty());
  return convertDefault<OpTy, N>(c, outs);
}

template <typename OpTy>
LogicalResult convertVariadic(NodeContext &c, Outs &outs) {
  dropInert(c);
  if (c.inputs.empty())
    return emitError(c.loc) << "expects at least one input";
  return c.imp.build<OpTy>(c, c.inputs, c.attrs, outs);
}

/// Squeeze/Unsqueeze: `axes` became an input at opset 13.
template <typename OpTy>
LogicalResult convertAxesOp(NodeContext &c, Outs &outs) {
  SmallVector<Value> ops = {c.input(0)};
  ops.push_back(c.opset < 13 ? intsAttrToOperand(c, "axes") : c.input(1));
  if (c.inputs.size() > 2)
    return emitError(c.loc) << "expects at most 2 inputs";
  return c.imp.build<OpTy>(c, ops, c.attrs, outs);
}

/// Reduce*: `axes` became an input at opset 13 (ReduceSum) or 18 (others).
template <typename OpTy, int AxesInputSince>
LogicalResult convertReduce(NodeContext &c, Outs &outs) {
  SmallVector<Value> ops = {c.input(0)};
  ops.push_back(c.opset < AxesInputSince ? intsAttrToOperand(c, "axes")
                                         : c.input(1));
  return c.imp.build<OpTy>(c, ops, c.attrs, outs);
}

//===----------------------------------------------------------------------===//
// Op-specific normalization
//===----------------------------------------------------------------------===//

LogicalResult convertSplit(NodeContext &c, Outs &outs) {
  SmallVector<Value> ops = {c.input(0)};
  ops.push_back(c.opset < 13 ? intsAttrToOperand(c, "split") : c.input(1));
  if (!g::isNone(ops[1])) {
    c.take("num_outputs");
  } else if (!llvm::any_of(c.attrs, [](NamedAttribute a) {
               return a.getName() == "num_outputs";
             })) {
    // Before opset 18 an even split is implied by the number of outputs.
    Builder &b = c.imp.getBuilder();
    c.attrs.push_back(
        b.getNamedAttr("num_outputs", b.getI64IntegerAttr(c.numOutputs)));
  }
  return c.imp.build<g::SplitOp>(c, ops, c.attrs, outs);
}

LogicalResult convertSlice(NodeContext &c, Outs &outs) {
  SmallVector<Value> ops;
  if (c.opset < 10) {
    ops = {c.input(0), intsAttrToOperand(c, "starts"),
           intsAttrToOperand(c, "ends"), intsAttrToOperand(c, "axes"),
           c.imp.none(c.loc)};
  } else {
    FailureOr<SmallVector<Value>> p = padded(c, 5);
    if (failed(p))
      return failure();
    ops = *p;
  }
  return c.imp.build<g::SliceOp>(c, ops, c.attrs, outs);
}

LogicalResult convertClip(NodeContext &c, Outs &outs) {
  if (c.opset >= 11)
    return convertDefault<g::ClipOp, 3>(c, outs);
  dropInert(c);
  Type elt = g::elementTypeOf(c.input(0));
  auto bound = [&](StringRef name) -> Value {
    auto a = dyn_cast_or_null<FloatAttr>(c.take(name));
    return a ? scalarOf(c, elt, a.getValueAsDouble()) : c.imp.none(c.loc);
  };
  Value lo = bound("min"), hi = bound("max");
  return c.imp.build<g::ClipOp>(c, {c.input(0), lo, hi}, c.attrs, outs);
}

LogicalResult convertPad(NodeContext &c, Outs &outs) {
  if (c.opset >= 11)
    return convertDefault<g::PadOp, 4>(c, outs);
  Value pads = intsAttrToOperand(c, "pads");
  if (g::isNone(pads))
    pads = intsAttrToOperand(c, "paddings"); // opset 1
  if (g::isNone(pads))
    return emitError(c.loc) << "Pad needs a `pads` attribute";
  Value value = c.imp.none(c.loc);
  if (auto v = dyn_cast_or_null<FloatAttr>(c.take("value")))
    value = scalarOf(c, g::elementTypeOf(c.input(0)), v.getValueAsDouble());
  return c.imp.build<g::PadOp>(c, {c.input(0), pads, value, c.imp.none(c.loc)},
                               c.attrs, outs);
}

/// Takes the `mode` attribute back with Upsample's old "bilinear" spelled
/// "linear", as Resize names it.
void normalizeResizeMode(NodeContext &c) {
  auto mode = dyn_cast_or_null<StringAttr>(c.take("mode"));
  if (!mode)
    return;
  StringRef m = mode.getValue() == "bilinear" ? "linear" : mode.getValue();
  Builder &b = c.imp.getBuilder();
  c.attrs.push_back(b.getNamedAttr("mode", b.getStringAttr(m)));
}

/// Resize/Upsample before opset 11 used asymmetric coordinates with floor
/// rounding for nearest.
void setLegacyResizeModes(NodeContext &c) {
  Builder &b = c.imp.getBuilder();
  c.attrs.push_back(b.getNamedAttr("coordinate_transformation_mode",
                                   b.getStringAttr("asymmetric")));
  c.attrs.push_back(
      b.getNamedAttr("nearest_mode", b.getStringAttr("floor")));
}

LogicalResult convertResize(NodeContext &c, Outs &outs) {
  SmallVector<Value> ops;
  Value none = c.imp.none(c.loc);
  if (c.opset < 11) {
    ops = {c.input(0), none, c.input(1), none};
    setLegacyResizeModes(c);
  } else {
    FailureOr<SmallVector<Value>> p = padded(c, 4);
    if (failed(p))
      return failure();
    ops = *p;
    // Opsets 11-12 pass required-but-empty tensors for unused inputs.
    for (unsigned i = 1; i < 4; ++i)
      if (!g::isNone(ops[i]) && isEmptyConstant(ops[i]))
        ops[i] = none;
  }
  normalizeResizeMode(c);
  return c.imp.build<g::ResizeOp>(c, ops, c.attrs, outs);
}

LogicalResult convertUpsample(NodeContext &c, Outs &outs) {
  Value scales = c.input(1);
  if (auto a = dyn_cast_or_null<ArrayAttr>(c.take("scales"))) {
    SmallVector<float> v;
    for (Attribute x : a)
      v.push_back(cast<FloatAttr>(x).getValueAsDouble());
    auto type = RankedTensorType::get({(int64_t)v.size()},
                                      c.imp.getBuilder().getF32Type());
    scales = c.imp.constant(DenseElementsAttr::get(type, ArrayRef(v)), c.loc);
  }
  c.take("height_scale"); // opset 1 form; unsupported below
  c.take("width_scale");
  if (g::isNone(scales)) {
    c.unsupported = "Upsample without scales";
    return success();
  }
  Value none = c.imp.none(c.loc);
  setLegacyResizeModes(c);
  normalizeResizeMode(c);
  return c.imp.build<g::ResizeOp>(c, {c.input(0), none, scales, none},
                                  c.attrs, outs);
}

/// Softmax and LogSoftmax before opset 13 normalize over the input
/// flattened to 2-D at `axis` (default 1): emit flatten -> op -> reshape.
template <typename OpTy>
LogicalResult convertSoftmax(NodeContext &c, Outs &outs) {
  if (c.opset >= 13)
    return convertDefault<OpTy, 1>(c, outs);
  auto axisAttr = dyn_cast_or_null<IntegerAttr>(c.take("axis"));
  int64_t axis = axisAttr ? axisAttr.getInt() : 1;
  Builder &b = c.imp.getBuilder();
  auto in = dyn_cast<RankedTensorType>(c.input(0).getType());
  if (!in) {
    c.unsupported = "opset < 13 softmax of an unranked input";
    return success();
  }
  int64_t r = in.getRank();
  if (axis < 0)
    axis += r;
  if (axis == r - 1) {
    c.attrs.push_back(b.getNamedAttr("axis", b.getI64IntegerAttr(-1)));
    return c.imp.build<OpTy>(c, {c.input(0)}, c.attrs, outs);
  }
  SmallVector<Value> flat, norm, shape, back;
  if (failed(c.imp.build<g::FlattenOp>(
          c, {c.input(0)},
          {b.getNamedAttr("axis", b.getI64IntegerAttr(axis))}, flat)) ||
      failed(c.imp.build<OpTy>(
          c, flat, {b.getNamedAttr("axis", b.getI64IntegerAttr(1))}, norm)) ||
      failed(c.imp.build<g::ShapeOp>(c, {c.input(0)}, {}, shape)))
    return failure();
  return c.imp.build<g::ReshapeOp>(c, {norm[0], shape[0]}, c.attrs, outs);
}

/// Dropout(data, ratio?, training_mode?) -> (output, mask?). The mask is
/// graph.dropout_mask over the same operands and seed, so both agree (all
/// true without training, or with a ratio of 0).
LogicalResult convertDropout(NodeContext &c, Outs &outs) {
  dropInert(c);
  if (c.opset < 12)
    c.take("ratio");
  if (c.numOutputs < 2)
    return convertDefault<g::DropoutOp, 3>(c, outs);
  FailureOr<SmallVector<Value>> ops = padded(c, 3);
  if (failed(ops))
    return failure();
  NodeBuilder n{c};
  SmallVector<NamedAttribute> attrs;
  n.move("seed", attrs);
  if (n.leftover())
    return success();
  return n.result({n.op<g::DropoutOp>(*ops, attrs),
                   n.op<g::DropoutMaskOp>(*ops, attrs)},
                  outs);
}

LogicalResult convertBatchNorm(NodeContext &c, Outs &outs) {
  dropInert(c);
  if (c.numOutputs > 1) {
    c.unsupported = "training-mode outputs (running mean/var)";
    return success();
  }
  if (auto s = dyn_cast_or_null<IntegerAttr>(c.take("spatial")))
    if (s.getInt() != 1) {
      c.unsupported = "spatial = 0";
      return success();
    }
  if (auto t = dyn_cast_or_null<IntegerAttr>(c.take("training_mode")))
    if (t.getInt() != 0) {
      c.unsupported = "training_mode = 1";
      return success();
    }
  return convertDefault<g::BatchNormalizationOp, 5>(c, outs);
}

/// RoiAlign: before opset 16 the coordinates had no half-pixel shift.
LogicalResult convertRoiAlign(NodeContext &c, Outs &outs) {
  if (c.opset < 16 && !llvm::any_of(c.attrs, [](NamedAttribute a) {
        return a.getName() == "coordinate_transformation_mode";
      })) {
    Builder &b = c.imp.getBuilder();
    c.attrs.push_back(b.getNamedAttr("coordinate_transformation_mode",
                                     b.getStringAttr("output_half_pixel")));
  }
  return convertDefault<g::RoiAlignOp, 3>(c, outs);
}

/// TfIdfVectorizer: integer pools only (strings are not an element type
/// mnemo has).
LogicalResult convertTfIdfVectorizer(NodeContext &c, Outs &outs) {
  if (c.take("pool_strings")) {
    c.unsupported = "a string pool";
    return success();
  }
  return convertDefault<g::TfIdfVectorizerOp, 1>(c, outs);
}

/// MaxPool(X) -> (Y, Indices?): the indices are graph.max_pool_indices
/// with the same attributes.
LogicalResult convertMaxPool(NodeContext &c, Outs &outs) {
  if (c.numOutputs < 2)
    return convertDefault<g::MaxPoolOp, 1>(c, outs);
  dropInert(c);
  NodeBuilder n{c};
  return n.result({n.op<g::MaxPoolOp>({c.input(0)}, c.attrs),
                   n.op<g::MaxPoolIndicesOp>({c.input(0)}, c.attrs)},
                  outs);
}

template <typename OpTy, unsigned N>
LogicalResult convertSingleOutput(NodeContext &c, Outs &outs) {
  if (c.numOutputs > 1) {
    c.unsupported = "more than one output";
    return success();
  }
  return convertDefault<OpTy, N>(c, outs);
}

/// QuantizeLinear: opset 21's output_dtype names the result type when
/// there is no zero point; only the 8-bit integer types are taken.
LogicalResult convertQuantizeLinear(NodeContext &c, Outs &outs) {
  if (Attribute dt = c.take("output_dtype")) {
    int64_t code = cast<IntegerAttr>(dt).getInt();
    if (code != onnx::TensorProto::UINT8 && code != onnx::TensorProto::INT8 &&
        code != 0)
      return emitError(c.loc) << "QuantizeLinear to element type " << code
                              << " is not supported (int8 and uint8 are)";
    if (code == onnx::TensorProto::INT8 && !c.hasInput(2))
      return emitError(c.loc) << "QuantizeLinear to int8 without a zero point "
                                 "is not supported";
  }
  return convertDefault<g::QuantizeLinearOp, 3>(c, outs);
}

/// QLinearMatMul: the graph op's bias operand (a mnemo extension) is none.
LogicalResult convertQLinearMatMul(NodeContext &c, Outs &outs) {
  if (c.inputs.size() > 8)
    return emitError(c.loc) << "expects 8 inputs, got " << c.inputs.size();
  return convertDefault<g::QLinearMatMulOp, 9>(c, outs);
}

LogicalResult convertCast(NodeContext &c, Outs &outs) {
  Attribute to = c.take("to");
  int32_t code = -1;
  if (auto i = dyn_cast_or_null<IntegerAttr>(to)) {
    code = i.getInt();
  } else if (auto s = dyn_cast_or_null<StringAttr>(to)) { // opset < 6
    onnx::TensorProto_DataType dt;
    if (onnx::TensorProto_DataType_Parse(s.getValue().str(), &dt))
      code = dt;
  }
  if (code < 0)
    return emitError(c.loc) << "Cast needs a valid `to` attribute";
  Type elt = c.imp.convertElementType(code);
  if (!elt) {
    c.unsupported = "cast to element type " + std::to_string(code);
    return success();
  }
  Builder &b = c.imp.getBuilder();
  c.attrs.push_back(b.getNamedAttr("to", TypeAttr::get(elt)));
  return convertDefault<g::CastOp, 1>(c, outs);
}

/// CastLike (opset 15): a Cast to the element type of the second input.
LogicalResult convertCastLike(NodeContext &c, Outs &outs) {
  c.take("saturate");
  if (!c.hasInput(0) || !c.hasInput(1))
    return emitError(c.loc) << "CastLike needs both inputs, `input` and "
                               "`target_type`; input "
                            << (c.hasInput(0) ? 1 : 0) << " is omitted";
  Type elt = g::elementTypeOf(c.input(1));
  if (!elt) {
    c.unsupported = "an unranked or non-tensor `target_type` input";
    return success();
  }
  Builder &b = c.imp.getBuilder();
  c.attrs.push_back(b.getNamedAttr("to", TypeAttr::get(elt)));
  return c.imp.build<g::CastOp>(c, {c.input(0)}, c.attrs, outs);
}

LogicalResult convertConstant(NodeContext &c, Outs &outs) {
  if (c.attrs.size() != 1)
    return emitError(c.loc) << "Constant needs exactly one value attribute";
  NamedAttribute a = c.attrs.front();
  Builder &b = c.imp.getBuilder();
  StringRef name = a.getName().strref();
  ElementsAttr value;
  if (name == "value") {
    value = dyn_cast<ElementsAttr>(a.getValue());
  } else if (name == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                   a.getValue());
  } else if (name == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                   a.getValue());
  } else if (name == "value_floats" || name == "value_ints") {
    auto arr = cast<ArrayAttr>(a.getValue());
    Type elt = name == "value_ints" ? Type(b.getI64Type())
                                    : Type(b.getF32Type());
    value = DenseElementsAttr::get(
        RankedTensorType::get({(int64_t)arr.size()}, elt), arr.getValue());
  } else {
    c.unsupported = ("Constant with `" + name + "`").str();
    return success();
  }
  if (!value)
    return emitError(c.loc) << "Constant `" << name << "` is not a tensor";
  outs.push_back(c.imp.constant(value, c.loc));
  return success();
}

LogicalResult convertReshape(NodeContext &c, Outs &outs) {
  if (c.opset < 5) {
    dropInert(c);
    Value shape = intsAttrToOperand(c, "shape");
    return c.imp.build<g::ReshapeOp>(c, {c.input(0), shape}, c.attrs, outs);
  }
  return convertDefault<g::ReshapeOp, 2>(c, outs);
}

LogicalResult convertConcat(NodeContext &c, Outs &outs) {
  // `axis` was optional (default 1) before opset 4.
  if (c.opset < 4 && !llvm::any_of(c.attrs, [](NamedAttribute a) {
        return a.getName() == "axis";
      }))
    c.attrs.push_back(c.imp.getBuilder().getNamedAttr(
        "axis", c.imp.getBuilder().getI64IntegerAttr(1)));
  return convertVariadic<g::ConcatOp>(c, outs);
}

LogicalResult convertGemm(NodeContext &c, Outs &outs) {
  c.take("broadcast"); // opset < 7: C was already unidirectionally broadcast
  return convertDefault<g::GemmOp, 3>(c, outs);
}

/// TopK: `k` was an attribute before opset 10.
LogicalResult convertTopK(NodeContext &c, Outs &outs) {
  if (c.opset >= 10)
    return convertDefault<g::TopKOp, 2>(c, outs);
  auto k = dyn_cast_or_null<IntegerAttr>(c.take("k"));
  if (!k)
    return emitError(c.loc) << "TopK needs a `k` attribute before opset 10";
  return c.imp.build<g::TopKOp>(
      c, {c.input(0), c.imp.constI64({k.getInt()}, c.loc)}, c.attrs, outs);
}

/// HannWindow, HammingWindow, BlackmanWindow: one graph op with a kind.
template <const char *Kind>
LogicalResult convertWindow(NodeContext &c, Outs &outs) {
  Builder &b = c.imp.getBuilder();
  c.attrs.push_back(b.getNamedAttr("kind", b.getStringAttr(Kind)));
  return convertDefault<g::WindowOp, 1>(c, outs);
}
constexpr char kHann[] = "hann", kHamming[] = "hamming",
               kBlackman[] = "blackman";

/// GridSample: opset 16 named the modes bilinear and bicubic.
LogicalResult convertGridSample(NodeContext &c, Outs &outs) {
  if (auto mode = dyn_cast_or_null<StringAttr>(c.take("mode"))) {
    StringRef m = mode.getValue() == "bilinear"  ? "linear"
                  : mode.getValue() == "bicubic" ? "cubic"
                                                 : mode.getValue();
    Builder &b = c.imp.getBuilder();
    c.attrs.push_back(b.getNamedAttr("mode", b.getStringAttr(m)));
  }
  return convertDefault<g::GridSampleOp, 2>(c, outs);
}

LogicalResult convertTile(NodeContext &c, Outs &outs) {
  if (c.opset < 6) {
    c.unsupported = "Tile before opset 6 (tiles/axis inputs)";
    return success();
  }
  return convertDefault<g::TileOp, 2>(c, outs);
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

const llvm::StringMap<ConvertFn> &converterTable() {
  static const llvm::StringMap<ConvertFn> table = {
      // Unary elementwise
      {"Relu", convertDefault<g::ReluOp, 1>},
      {"Sigmoid", convertDefault<g::SigmoidOp, 1>},
      {"HardSwish", convertDefault<g::HardSwishOp, 1>},
      {"Tanh", convertDefault<g::TanhOp, 1>},
      {"Erf", convertDefault<g::ErfOp, 1>},
      {"Sqrt", convertDefault<g::SqrtOp, 1>},
      {"Reciprocal", convertDefault<g::ReciprocalOp, 1>},
      {"Neg", convertDefault<g::NegOp, 1>},
      {"Exp", convertDefault<g::ExpOp, 1>},
      {"Log", convertDefault<g::LogOp, 1>},
      {"Abs", convertDefault<g::AbsOp, 1>},
      {"Floor", convertDefault<g::FloorOp, 1>},
      {"Ceil", convertDefault<g::CeilOp, 1>},
      {"Sin", convertDefault<g::SinOp, 1>},
      {"Cos", convertDefault<g::CosOp, 1>},
      {"Softplus", convertDefault<g::SoftplusOp, 1>},
      {"Not", convertDefault<g::NotOp, 1>},
      {"Sign", convertDefault<g::SignOp, 1>},
      {"Round", convertDefault<g::RoundOp, 1>},
      {"Tan", convertDefault<g::TanOp, 1>},
      {"Sinh", convertDefault<g::SinhOp, 1>},
      {"Cosh", convertDefault<g::CoshOp, 1>},
      {"Asin", convertDefault<g::AsinOp, 1>},
      {"Acos", convertDefault<g::AcosOp, 1>},
      {"Atan", convertDefault<g::AtanOp, 1>},
      {"Asinh", convertDefault<g::AsinhOp, 1>},
      {"Acosh", convertDefault<g::AcoshOp, 1>},
      {"Atanh", convertDefault<g::AtanhOp, 1>},
      {"Softsign", convertDefault<g::SoftsignOp, 1>},
      {"Selu", convertDefault<g::SeluOp, 1>},
      {"Celu", convertDefault<g::CeluOp, 1>},
      {"ThresholdedRelu", convertDefault<g::ThresholdedReluOp, 1>},
      {"Shrink", convertDefault<g::ShrinkOp, 1>},
      {"PRelu", convertDefault<g::PReluOp, 2>},
      {"LeakyRelu", convertDefault<g::LeakyReluOp, 1>},
      {"Elu", convertDefault<g::EluOp, 1>},
      {"HardSigmoid", convertDefault<g::HardSigmoidOp, 1>},
      {"Gelu", convertDefault<g::GeluOp, 1>},
      {"IsNaN", convertDefault<g::IsNaNOp, 1>},
      {"Identity", convertDefault<g::IdentityOp, 1>},
      {"Clip", convertClip},
      {"Dropout", convertDropout},
      {"CumSum", convertDefault<g::CumSumOp, 2>},
      {"Trilu", convertDefault<g::TriluOp, 2>},
      // Binary elementwise
      {"Add", convertElementwise<g::AddOp, 2>},
      {"Sub", convertElementwise<g::SubOp, 2>},
      {"Mul", convertElementwise<g::MulOp, 2>},
      {"Div", convertElementwise<g::DivOp, 2>},
      {"Pow", convertElementwise<g::PowOp, 2>},
      {"Mod", convertDefault<g::ModOp, 2>},
      {"And", convertElementwise<g::AndOp, 2>},
      {"Or", convertElementwise<g::OrOp, 2>},
      {"Xor", convertElementwise<g::XorOp, 2>},
      {"Equal", convertElementwise<g::EqualOp, 2>},
      {"Less", convertElementwise<g::LessOp, 2>},
      {"LessOrEqual", convertDefault<g::LessOrEqualOp, 2>},
      {"Greater", convertElementwise<g::GreaterOp, 2>},
      {"GreaterOrEqual", convertDefault<g::GreaterOrEqualOp, 2>},
      {"Min", convertVariadic<g::MinOp>},
      {"Max", convertVariadic<g::MaxOp>},
      {"Sum", convertVariadic<g::SumOp>},
      {"Mean", convertVariadic<g::MeanOp>},
      {"Where", convertDefault<g::WhereOp, 3>},
      // Neural network
      {"Conv", convertDefault<g::ConvOp, 3>},
      {"ConvTranspose", convertDefault<g::ConvTransposeOp, 3>},
      {"MaxPool", convertMaxPool},
      {"AveragePool", convertDefault<g::AveragePoolOp, 1>},
      {"GlobalAveragePool", convertDefault<g::GlobalAveragePoolOp, 1>},
      {"GlobalMaxPool", convertDefault<g::GlobalMaxPoolOp, 1>},
      {"BatchNormalization", convertBatchNorm},
      {"LayerNormalization", convertSingleOutput<g::LayerNormalizationOp, 3>},
      {"Softmax", convertSoftmax<g::SoftmaxOp>},
      {"LogSoftmax", convertSoftmax<g::LogSoftmaxOp>},
      {"MatMul", convertDefault<g::MatMulOp, 2>},
      {"Einsum", convertVariadic<g::EinsumOp>},
      {"Gemm", convertGemm},
      // Quantization
      {"QuantizeLinear", convertQuantizeLinear},
      {"DequantizeLinear", convertDefault<g::DequantizeLinearOp, 3>},
      {"DynamicQuantizeLinear", convertDefault<g::DynamicQuantizeLinearOp, 1>},
      {"MatMulInteger", convertDefault<g::MatMulIntegerOp, 4>},
      {"ConvInteger", convertDefault<g::ConvIntegerOp, 4>},
      {"QLinearMatMul", convertQLinearMatMul},
      {"QLinearConv", convertDefault<g::QLinearConvOp, 9>},
      // Reductions
      {"ReduceMean", convertReduce<g::ReduceMeanOp, 18>},
      {"ReduceSum", convertReduce<g::ReduceSumOp, 13>},
      {"ReduceMax", convertReduce<g::ReduceMaxOp, 18>},
      {"ReduceMin", convertReduce<g::ReduceMinOp, 18>},
      {"ReduceProd", convertReduce<g::ReduceProdOp, 18>},
      {"ReduceL1", convertReduce<g::ReduceL1Op, 18>},
      {"ReduceL2", convertReduce<g::ReduceL2Op, 18>},
      {"ReduceSumSquare", convertReduce<g::ReduceSumSquareOp, 18>},
      {"ReduceLogSumExp", convertReduce<g::ReduceLogSumExpOp, 18>},
      {"ArgMax", convertDefault<g::ArgMaxOp, 1>},
      {"ArgMin", convertDefault<g::ArgMinOp, 1>},
      // Shapes and data movement
      {"Constant", convertConstant},
      {"ConstantOfShape", convertDefault<g::ConstantOfShapeOp, 1>},
      {"Range", convertDefault<g::RangeOp, 3>},
      {"Cast", convertCast},
      {"CastLike", convertCastLike},
      {"BitShift", convertDefault<g::BitShiftOp, 2>},
      {"ReduceLogSum", convertReduce<g::ReduceLogSumOp, 18>},
      {"Shape", convertDefault<g::ShapeOp, 1>},
      {"Size", convertDefault<g::SizeOp, 1>},
      {"Reshape", convertReshape},
      {"Flatten", convertDefault<g::FlattenOp, 1>},
      {"Squeeze", convertAxesOp<g::SqueezeOp>},
      {"Unsqueeze", convertAxesOp<g::UnsqueezeOp>},
      {"Transpose", convertDefault<g::TransposeOp, 1>},
      {"Concat", convertConcat},
      {"Split", convertSplit},
      {"Slice", convertSlice},
      {"Gather", convertDefault<g::GatherOp, 2>},
      {"GatherElements", convertDefault<g::GatherElementsOp, 2>},
      {"GatherND", convertDefault<g::GatherNDOp, 2>},
      {"ReverseSequence", convertDefault<g::ReverseSequenceOp, 2>},
      {"OneHot", convertDefault<g::OneHotOp, 3>},
      {"TopK", convertTopK},
      {"NonZero", convertDefault<g::NonZeroOp, 1>},
      {"Compress", convertDefault<g::CompressOp, 2>},
      {"NonMaxSuppression", convertDefault<g::NonMaxSuppressionOp, 5>},
      {"Unique", convertDefault<g::UniqueOp, 1>},
      {"Det", convertDefault<g::DetOp, 1>},
      {"STFT", convertDefault<g::STFTOp, 4>},
      {"RoiAlign", convertRoiAlign},
      {"TfIdfVectorizer", convertTfIdfVectorizer},
      {"HannWindow", convertWindow<kHann>},
      {"HammingWindow", convertWindow<kHamming>},
      {"BlackmanWindow", convertWindow<kBlackman>},
      {"ScatterElements", convertDefault<g::ScatterElementsOp, 3>},
      {"Scatter", convertDefault<g::ScatterElementsOp, 3>}, // opset < 11
      {"ScatterND", convertDefault<g::ScatterNDOp, 3>},
      {"Expand", convertDefault<g::ExpandOp, 2>},
      {"Tile", convertTile},
      {"Pad", convertPad},
      {"Resize", convertResize},
      {"GridSample", convertGridSample},
      {"Upsample", convertUpsample},
  };
  return table;
}
} // namespace

ConvertFn mnemo::onnx_import::lookupConverter(StringRef opType) {
  auto it = converterTable().find(opType);
  return it == converterTable().end() ? nullptr : it->second;
}
