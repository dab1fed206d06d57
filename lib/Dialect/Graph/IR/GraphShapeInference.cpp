//===- GraphShapeInference.cpp - per-op shape functions -------------------===//
//
// Result type inference for graph ops whose shape depends on attributes or on
// constant operands. Shapes that depend on run-time values stay dynamic (`?`)
// with the rank kept whenever it is known. Every rejection names the problem;
// the importer prefixes it with the ONNX node name and op type.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Einsum.h"
#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mnemo::graph;

static constexpr int64_t kDyn = ShapedType::kDynamic;

static SmallVector<int64_t> toInts(ArrayAttr attr) {
  SmallVector<int64_t> out;
  if (attr)
    for (Attribute a : attr)
      out.push_back(cast<IntegerAttr>(a).getInt());
  return out;
}


/// The product of `dims`, dynamic if one is or if it overflows (an input
/// within --max-tensor-bytes never does).
static int64_t mulDims(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    if (ShapedType::isDynamic(d) || llvm::MulOverflow(p, d, p))
      return kDyn;
  return p;
}

/// The largest kernel size, stride, dilation, pad, output padding or group
/// a window may have. Attributes come from the model; anything near
/// INT64_MAX would overflow the output-size arithmetic, and no real
/// network comes close to 2^20.
static constexpr int64_t kMaxWindowValue = int64_t(1) << 20;

/// ceil(a / b) for b > 0, without the overflow of (a + b - 1) / b when b
/// is a model's INT64_MAX step or stride (C++ truncates toward zero,
/// which is the ceiling for negative quotients).
static int64_t ceilDiv(int64_t a, int64_t b) { return a / b + (a % b > 0); }

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

namespace {
/// Window geometry shared by Conv, ConvTranspose and the pools, with the ONNX
/// defaults filled in.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
  StringRef autoPad;
  bool ceilMode = false;
};
} // namespace

static LogicalResult fillWindow(std::optional<Location> loc, int64_t nSpatial,
                                ArrayAttr kernel, ArrayAttr strides,
                                ArrayAttr dilations, ArrayAttr pads,
                                StringRef autoPad, Window &w) {
  w.kernel = toInts(kernel);
  w.strides = strides ? toInts(strides) : SmallVector<int64_t>(nSpatial, 1);
  w.dilations =
      dilations ? toInts(dilations) : SmallVector<int64_t>(nSpatial, 1);
  w.pads = pads ? toInts(pads) : SmallVector<int64_t>(2 * nSpatial, 0);
  w.autoPad = autoPad;
  if ((int64_t)w.kernel.size() != nSpatial ||
      (int64_t)w.strides.size() != nSpatial ||
      (int64_t)w.dilations.size() != nSpatial ||
      (int64_t)w.pads.size() != 2 * nSpatial)
    return emitOptionalError(
        loc, "kernel_shape/strides/dilations need ", nSpatial,
        " entries and pads ", 2 * nSpatial, " for ", nSpatial,
        " spatial dims");
  for (int64_t i = 0; i < nSpatial; ++i) {
    if (w.kernel[i] <= 0 || w.strides[i] <= 0 || w.dilations[i] <= 0)
      return emitOptionalError(
          loc, "kernel_shape, strides and dilations must be positive");
    if (w.pads[i] < 0 || w.pads[i + nSpatial] < 0)
      return emitOptionalError(loc, "pads must be non-negative");
    for (int64_t v : {w.kernel[i], w.strides[i], w.dilations[i], w.pads[i],
                      w.pads[i + nSpatial]})
      if (v > kMaxWindowValue)
        return emitOptionalError(loc, "kernel_shape, strides, dilations and "
                                      "pads must be at most ",
                                 kMaxWindowValue, ", got ", v);
  }
  if (!llvm::is_contained({"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"},
                          autoPad))
    return emitOptionalError(loc, "unknown auto_pad '", autoPad, "'");
  return success();
}

/// Output extent of a forward window (Conv, pools) along one spatial dim.
static int64_t windowOutput(const Window &w, int64_t i, int64_t in) {
  if (ShapedType::isDynamic(in))
    return kDyn;
  int64_t s = w.strides[i], ek = (w.kernel[i] - 1) * w.dilations[i] + 1;
  if (w.autoPad == "SAME_UPPER" || w.autoPad == "SAME_LOWER")
    return ceilDiv(in, s);
  if (w.autoPad == "VALID")
    return std::max<int64_t>(0, ceilDiv(in - ek + 1, s));
  int64_t n = w.pads.size() / 2;
  int64_t span = in + w.pads[i] + w.pads[i + n] - ek;
  if (span < 0)
    return 0;
  if (!w.ceilMode)
    return span / s + 1;
  int64_t out = ceilDiv(span, s) + 1;
  // As in onnxruntime and PyTorch: the last window must start inside the
  // input or the left padding.
  if ((out - 1) * s >= in + w.pads[i])
    --out;
  return out;
}

/// Conv's output shape with element type `elt` (Conv, ConvInteger,
/// QLinearConv share it).
template <typename AdaptorT>
static LogicalResult inferConvLike(std::optional<Location> loc, Value X,
                                   Value W, Value B, AdaptorT adaptor,
                                   Type elt, SmallVectorImpl<Type> &types) {
  auto x = dyn_cast<RankedTensorType>(X.getType());
  auto w = dyn_cast<RankedTensorType>(W.getType());
  if (!x || !w) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  if (x.getRank() < 3 || x.getRank() != w.getRank())
    return emitOptionalError(loc, "expects X and W of equal rank >= 3, got ",
                             x, " and ", w);
  int64_t n = x.getRank() - 2;
  int64_t group = (int64_t)adaptor.getGroup();
  if (group <= 0 || group > kMaxWindowValue)
    return emitOptionalError(loc, "group must be in [1, ", kMaxWindowValue,
                             "], got ", group);
  ArrayAttr kernel = adaptor.getKernelShapeAttr();
  SmallVector<int64_t> wSpatial(w.getShape().drop_front(2));
  if (!kernel) {
    if (llvm::any_of(wSpatial, ShapedType::isDynamic))
      return emitOptionalError(loc, "kernel_shape is required when W has "
                                    "dynamic spatial dims");
    kernel = Builder(x.getContext()).getI64ArrayAttr(wSpatial);
  }
  Window win;
  if (failed(fillWindow(loc, n, kernel, adaptor.getStridesAttr(),
                        adaptor.getDilationsAttr(), adaptor.getPadsAttr(),
                        adaptor.getAutoPad(), win)))
    return failure();
  int64_t c = x.getDimSize(1), wc = w.getDimSize(1), m = w.getDimSize(0);
  if (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(wc) &&
      c != wc * group)
    return emitOptionalError(loc, "input channels (", c,
                             ") must equal W's dim 1 (", wc, ") x group (",
                             group, ")");
  if (!ShapedType::isDynamic(m) && m % group != 0)
    return emitOptionalError(loc, "output channels (", m,
                             ") must be a multiple of group (", group, ")");
  for (int64_t i = 0; i < n; ++i)
    if (!ShapedType::isDynamic(wSpatial[i]) && wSpatial[i] != win.kernel[i])
      return emitOptionalError(loc, "kernel_shape does not match W's shape");
  if (B)
    if (auto b = dyn_cast<RankedTensorType>(B.getType()))
      if (b.getRank() != 1 || (!ShapedType::isDynamic(m) &&
                               !ShapedType::isDynamic(b.getDimSize(0)) &&
                               b.getDimSize(0) != m))
        return emitOptionalError(loc, "bias must be 1-D of size ", m,
                                 ", got ", b);
  SmallVector<int64_t> shape = {x.getDimSize(0), m};
  for (int64_t i = 0; i < n; ++i)
    shape.push_back(windowOutput(win, i, x.getDimSize(i + 2)));
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferConvLike(loc, adaptor.getX(), adaptor.getW(), adaptor.getB(),
                       adaptor, elementTypeOf(adaptor.getX()), types);
}

LogicalResult ConvTransposeOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  auto w = dyn_cast<RankedTensorType>(adaptor.getW().getType());
  Type elt = elementTypeOf(adaptor.getX());
  if (!x || !w) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  if (x.getRank() < 3 || x.getRank() != w.getRank())
    return emitOptionalError(loc, "expects X and W of equal rank >= 3");
  int64_t n = x.getRank() - 2;
  int64_t group = (int64_t)adaptor.getGroup();
  if (group <= 0 || group > kMaxWindowValue)
    return emitOptionalError(loc, "group must be in [1, ", kMaxWindowValue,
                             "], got ", group);
  ArrayAttr kernel = adaptor.getKernelShapeAttr();
  if (!kernel)
    kernel = Builder(x.getContext())
                 .getI64ArrayAttr(SmallVector<int64_t>(
                     w.getShape().drop_front(2)));
  Window win;
  if (failed(fillWindow(loc, n, kernel, adaptor.getStridesAttr(),
                        adaptor.getDilationsAttr(), adaptor.getPadsAttr(),
                        adaptor.getAutoPad(), win)))
    return failure();
  if (!x.isDynamicDim(1) && !w.isDynamicDim(0) &&
      x.getDimSize(1) != w.getDimSize(0))
    return emitOptionalError(loc, "input channels (", x.getDimSize(1),
                             ") must equal W's dim 0 (", w.getDimSize(0), ")");
  SmallVector<int64_t> outPad = toInts(adaptor.getOutputPaddingAttr());
  outPad.resize(n, 0);
  for (int64_t p : outPad)
    if (p < 0 || p > kMaxWindowValue)
      return emitOptionalError(loc, "output_padding must be in [0, ",
                               kMaxWindowValue, "], got ", p);
  SmallVector<int64_t> outShape = toInts(adaptor.getOutputShapeAttr());
  if (!outShape.empty() && (int64_t)outShape.size() < n)
    return emitOptionalError(loc, "output_shape has ", outShape.size(),
                             " entries for ", n, " spatial dims");
  for (int64_t d : outShape)
    if (d <= 0)
      return emitOptionalError(loc, "output_shape entries must be positive, "
                                    "got ", d);
  int64_t m = w.isDynamicDim(1) ? kDyn : w.getDimSize(1) * group;
  SmallVector<int64_t> shape = {x.getDimSize(0), m};
  for (int64_t i = 0; i < n; ++i) {
    int64_t in = x.getDimSize(i + 2);
    if (!outShape.empty()) {
      shape.push_back(outShape[outShape.size() - n + i]);
      continue;
    }
    if (ShapedType::isDynamic(in)) {
      shape.push_back(kDyn);
      continue;
    }
    if (win.autoPad == "SAME_UPPER" || win.autoPad == "SAME_LOWER") {
      shape.push_back(in * win.strides[i]);
      continue;
    }
    int64_t ek = (win.kernel[i] - 1) * win.dilations[i] + 1;
    int64_t pads = win.autoPad == "VALID" ? 0 : win.pads[i] + win.pads[i + n];
    int64_t out = win.strides[i] * (in - 1) + outPad[i] + ek - pads;
    if (out <= 0)
      return emitOptionalError(loc, "output spatial size would be ", out);
    shape.push_back(out);
  }
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

template <typename Adaptor>
static LogicalResult inferPool(std::optional<Location> loc, Adaptor adaptor,
                               SmallVectorImpl<Type> &types) {
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  if (!x) {
    types.push_back(adaptor.getX().getType());
    return success();
  }
  if (x.getRank() < 3)
    return emitOptionalError(loc, "expects an input of rank >= 3, got ", x);
  int64_t n = x.getRank() - 2;
  Window win;
  if (failed(fillWindow(loc, n, adaptor.getKernelShapeAttr(),
                        adaptor.getStridesAttr(), adaptor.getDilationsAttr(),
                        adaptor.getPadsAttr(), adaptor.getAutoPad(), win)))
    return failure();
  win.ceilMode = adaptor.getCeilMode() != 0;
  SmallVector<int64_t> shape = {x.getDimSize(0), x.getDimSize(1)};
  for (int64_t i = 0; i < n; ++i) {
    int64_t out = windowOutput(win, i, x.getDimSize(i + 2));
    if (out == 0)
      return emitOptionalError(loc, "pooling window does not fit the input");
    shape.push_back(out);
  }
  types.push_back(x.clone(shape));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types);
}

LogicalResult MaxPoolIndicesOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  if (failed(inferPool(loc, adaptor, types)))
    return failure();
  Type i64 = IntegerType::get(ctx, 64);
  if (auto t = dyn_cast<RankedTensorType>(types.back()))
    types.back() = t.clone(i64);
  else
    types.back() = UnrankedTensorType::get(i64);
  return success();
}

LogicalResult AveragePoolOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types);
}

//===----------------------------------------------------------------------===//
// Normalization and linear algebra
//===----------------------------------------------------------------------===//

LogicalResult BatchNormalizationOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  if (x && x.getRank() < 2)
    return emitOptionalError(loc, "expects an input of rank >= 2");
  int64_t c = x ? x.getDimSize(1) : kDyn;
  for (Value v : {adaptor.getScale(), adaptor.getB(), adaptor.getInputMean(),
                  adaptor.getInputVar()}) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      continue;
    if (t.getRank() != 1 ||
        (!ShapedType::isDynamic(c) && !t.isDynamicDim(0) &&
         t.getDimSize(0) != c))
      return emitOptionalError(loc, "scale, B, mean and var must be 1-D of "
                                    "the channel count ",
                               c, ", got ", t);
  }
  types.push_back(adaptor.getX().getType());
  return success();
}

LogicalResult LayerNormalizationOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  if (auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType())) {
    FailureOr<int64_t> axis = normalizeAxis(loc, (int64_t)adaptor.getAxis(),
                                       x.getRank());
    if (failed(axis))
      return failure();
    ArrayRef<int64_t> normShape = x.getShape().drop_front(*axis);
    for (Value v : {adaptor.getScale(), adaptor.getB()}) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t)
        continue;
      SmallVector<ArrayRef<int64_t>> shapes = {normShape, t.getShape()};
      FailureOr<SmallVector<int64_t>> b = broadcastShapes(loc, shapes);
      if (failed(b) || b->size() != normShape.size())
        return emitOptionalError(loc, "Scale/B ", t,
                                 " must broadcast to the normalized shape");
    }
  }
  types.push_back(adaptor.getX().getType());
  return success();
}

/// MatMul's numpy-style output shape with element type `elt`.
static LogicalResult inferMatMulLike(std::optional<Location> loc, Value A,
                                     Value B, Type elt,
                                     SmallVectorImpl<Type> &types) {
  auto a = dyn_cast<RankedTensorType>(A.getType());
  auto b = dyn_cast<RankedTensorType>(B.getType());
  if (!a || !b) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  if (a.getRank() == 0 || b.getRank() == 0)
    return emitOptionalError(loc, "MatMul operands must have rank >= 1");
  SmallVector<int64_t> as(a.getShape()), bs(b.getShape());
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA)
    as.insert(as.begin(), 1);
  if (vecB)
    bs.push_back(1);
  int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return emitOptionalError(loc, "contraction dims differ: ", a, " x ", b);
  SmallVector<ArrayRef<int64_t>> batch = {ArrayRef(as).drop_back(2),
                                          ArrayRef(bs).drop_back(2)};
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(loc, batch);
  if (failed(shape))
    return failure();
  if (!vecA)
    shape->push_back(as[as.size() - 2]);
  if (!vecB)
    shape->push_back(bs.back());
  types.push_back(RankedTensorType::get(*shape, elt));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getA());
  if (elt != elementTypeOf(adaptor.getB()))
    return emitOptionalError(loc, "A and B have different element types");
  return inferMatMulLike(loc, adaptor.getA(), adaptor.getB(), elt, types);
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

/// ONNX int8 (signless i8, as the importer types signed integers) or
/// uint8 (ui8).
static bool isInt8(Type t) {
  auto it = dyn_cast<IntegerType>(t);
  return it && it.getWidth() == 8 && !it.isSigned();
}

/// A scale (f32/f16/bf16) and its zero point (int8/uint8 or none) for `x`:
/// scalars, or 1-D along `axis` of x's rank; block sizes are refused.
/// Constant scales must be positive and finite: a scale of 0 divides by
/// zero in QuantizeLinear and a NaN poisons every value (ONNX leaves both
/// undefined). Scales known only at run time are not checked.
static LogicalResult verifyScaleValues(std::optional<Location> loc,
                                       ValueRange scales) {
  for (Value s : scales)
    if (auto values = getWeightFloats(s))
      for (double v : *values)
        if (!(v > 0) || std::isinf(v))
          return emitOptionalError(loc, "quantization scales must be positive "
                                        "and finite, got ",
                                   v);
  return success();
}

static LogicalResult verifyQuantParams(std::optional<Location> loc, Value x,
                                       Value scale, Value zp, int64_t axis,
                                       int64_t blockSize, bool zpMayBeI32) {
  if (blockSize != 0)
    return emitOptionalError(loc, "block-wise quantization (block_size ",
                             blockSize, ") is not supported");
  if (!isa<FloatType>(elementTypeOf(scale)))
    return emitOptionalError(loc, "the scale must be a float tensor");
  auto st = dyn_cast<RankedTensorType>(scale.getType());
  if (st && st.getRank() > 1)
    return emitOptionalError(loc, "the scale must be a scalar or 1-D (per "
                                  "axis), got ",
                             st);
  if (failed(verifyScaleValues(loc, scale)))
    return failure();
  if (!isNone(zp)) {
    Type zt = elementTypeOf(zp);
    if (!isInt8(zt) && !(zpMayBeI32 && zt.isSignlessInteger(32)))
      return emitOptionalError(loc, "zero points of type ", zt,
                               " are not supported (int8 and uint8 are)");
    auto zr = dyn_cast<RankedTensorType>(zp.getType());
    if (st && zr && zr.getShape() != st.getShape())
      return emitOptionalError(loc, "the zero point's shape ", zr,
                               " differs from the scale's ", st);
  }
  auto xt = dyn_cast<RankedTensorType>(x.getType());
  if (xt && st && st.getRank() == 1) {
    FailureOr<int64_t> a = normalizeAxis(loc, axis, xt.getRank());
    if (failed(a))
      return failure();
    int64_t d = xt.getDimSize(*a), n = st.getDimSize(0);
    if (!ShapedType::isDynamic(d) && !ShapedType::isDynamic(n) && d != n)
      return emitOptionalError(loc, "a per-axis scale of ", n,
                               " values along axis ", *a, " of size ", d);
  }
  return success();
}

static Type withElement(Value like, Type elt) {
  if (auto r = dyn_cast<RankedTensorType>(like.getType()))
    return RankedTensorType::get(r.getShape(), elt);
  return UnrankedTensorType::get(elt);
}

LogicalResult QuantizeLinearOp::inferReturnTypes(MLIRContext *ctx,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  Type xe = elementTypeOf(adaptor.getX());
  if (!isa<FloatType>(xe) && !xe.isSignlessInteger(32))
    return emitOptionalError(loc, "QuantizeLinear takes float or int32 x, "
                                  "got ",
                             xe);
  if (failed(verifyQuantParams(loc, adaptor.getX(), adaptor.getYScale(),
                               adaptor.getYZeroPoint(), adaptor.getAxis(),
                               adaptor.getBlockSize(), false)))
    return failure();
  Type elt = isNone(adaptor.getYZeroPoint())
                 ? IntegerType::get(ctx, 8, IntegerType::Unsigned)
                 : elementTypeOf(adaptor.getYZeroPoint());
  types.push_back(withElement(adaptor.getX(), elt));
  return success();
}

LogicalResult DequantizeLinearOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  Type xe = elementTypeOf(adaptor.getX());
  if (!isInt8(xe) && !xe.isSignlessInteger(32))
    return emitOptionalError(loc, "DequantizeLinear takes int8, uint8 or "
                                  "int32 x, got ",
                             xe);
  if (failed(verifyQuantParams(loc, adaptor.getX(), adaptor.getXScale(),
                               adaptor.getXZeroPoint(), adaptor.getAxis(),
                               adaptor.getBlockSize(), true)))
    return failure();
  if (!isNone(adaptor.getXZeroPoint()) &&
      elementTypeOf(adaptor.getXZeroPoint()) != xe)
    return emitOptionalError(loc, "the zero point's type differs from x's");
  types.push_back(withElement(adaptor.getX(), elementTypeOf(adaptor.getXScale())));
  return success();
}

LogicalResult DynamicQuantizeLinearOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  if (!elementTypeOf(adaptor.getX()).isF32())
    return emitOptionalError(loc, "DynamicQuantizeLinear takes float32 x");
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  types.push_back(withElement(adaptor.getX(), u8));
  types.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  types.push_back(RankedTensorType::get({}, u8));
  return success();
}

/// Integer operands of MatMulInteger/ConvInteger and their zero points.
static LogicalResult verifyIntegerOperands(std::optional<Location> loc,
                                           ValueRange values) {
  for (Value v : values)
    if (!isNone(v) && !isInt8(elementTypeOf(v)))
      return emitOptionalError(loc, "integer operands and zero points must be "
                                    "int8 or uint8, got ",
                               elementTypeOf(v));
  return success();
}

LogicalResult MatMulIntegerOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  if (failed(verifyIntegerOperands(
          loc, {adaptor.getA(), adaptor.getB(), adaptor.getAZeroPoint(),
                adaptor.getBZeroPoint()})))
    return failure();
  return inferMatMulLike(loc, adaptor.getA(), adaptor.getB(),
                         IntegerType::get(ctx, 32), types);
}

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *ctx,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  if (failed(verifyIntegerOperands(
          loc, {adaptor.getX(), adaptor.getW(), adaptor.getXZeroPoint(),
                adaptor.getWZeroPoint()})))
    return failure();
  return inferConvLike(loc, adaptor.getX(), adaptor.getW(), Value(), adaptor,
                       IntegerType::get(ctx, 32), types);
}

LogicalResult QLinearMatMulOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  if (failed(verifyIntegerOperands(
          loc, {adaptor.getA(), adaptor.getB(), adaptor.getAZeroPoint(),
                adaptor.getBZeroPoint(), adaptor.getYZeroPoint()})))
    return failure();
  for (Value s : {adaptor.getAScale(), adaptor.getBScale(), adaptor.getYScale()})
    if (!isa<FloatType>(elementTypeOf(s)))
      return emitOptionalError(loc, "scales must be float tensors");
  if (failed(verifyScaleValues(
          loc, {adaptor.getAScale(), adaptor.getBScale(), adaptor.getYScale()})))
    return failure();
  if (!isNone(adaptor.getBias())) {
    auto bt = dyn_cast<RankedTensorType>(adaptor.getBias().getType());
    if (!bt || !bt.getElementType().isSignlessInteger(32) || bt.getRank() > 1)
      return emitOptionalError(loc, "the bias must be a scalar or 1-D int32 "
                                    "tensor (one value per column)");
  }
  return inferMatMulLike(loc, adaptor.getA(), adaptor.getB(),
                         elementTypeOf(adaptor.getYZeroPoint()), types);
}

LogicalResult QLinearConvOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  if (failed(verifyIntegerOperands(
          loc, {adaptor.getX(), adaptor.getW(), adaptor.getXZeroPoint(),
                adaptor.getWZeroPoint(), adaptor.getYZeroPoint()})))
    return failure();
  for (Value s : {adaptor.getXScale(), adaptor.getWScale(), adaptor.getYScale()})
    if (!isa<FloatType>(elementTypeOf(s)))
      return emitOptionalError(loc, "scales must be float tensors");
  if (failed(verifyScaleValues(
          loc, {adaptor.getXScale(), adaptor.getWScale(), adaptor.getYScale()})))
    return failure();
  if (!isNone(adaptor.getB()) && !elementTypeOf(adaptor.getB()).isSignlessInteger(32))
    return emitOptionalError(loc, "the bias must be int32");
  return inferConvLike(loc, adaptor.getX(), adaptor.getW(), adaptor.getB(),
                       adaptor, elementTypeOf(adaptor.getYZeroPoint()), types);
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto q = dyn_cast<RankedTensorType>(adaptor.getQ().getType());
  auto k = dyn_cast<RankedTensorType>(adaptor.getK().getType());
  auto v = dyn_cast<RankedTensorType>(adaptor.getV().getType());
  if (!q || !k || !v)
    return emitOptionalError(loc, "attention operands must be ranked");
  if (q.getRank() < 2 || k.getRank() < 2 || v.getRank() < 2)
    return emitOptionalError(loc, "attention operands must have rank >= 2");
  auto known = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
  };
  int64_t rq = q.getRank(), rk = k.getRank(), rv = v.getRank();
  // K is [..., D, N], or [..., N, D] with k_rows.
  bool rows = adaptor.getKRows();
  int64_t kd = k.getDimSize(rows ? rk - 1 : rk - 2),
          kn = k.getDimSize(rows ? rk - 2 : rk - 1);
  if (!known(q.getDimSize(rq - 1), kd) || !known(kn, v.getDimSize(rv - 2)))
    return emitOptionalError(loc, "attention dims differ: ", q, " x ", k,
                             " x ", v);
  StringRef kind = adaptor.getMaskKind();
  if (kind != "none" && kind != "select" && kind != "add")
    return emitOptionalError(loc, "mask_kind must be none, select or add");
  if ((kind == "none") != isa<NoneType>(adaptor.getMask().getType()))
    return emitOptionalError(loc, "a mask operand needs a mask_kind");
  SmallVector<ArrayRef<int64_t>> batch = {q.getShape().drop_back(2),
                                          k.getShape().drop_back(2),
                                          v.getShape().drop_back(2)};
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(loc, batch);
  if (failed(shape))
    return failure();
  shape->push_back(q.getDimSize(rq - 2));
  shape->push_back(v.getDimSize(rv - 1));
  types.push_back(RankedTensorType::get(*shape, q.getElementType()));
  return success();
}

/// Checks the cache operands of a KV-cache op against its layout and
/// returns the logical [B, H, ?, D] type it reads and writes.
static FailureOr<RankedTensorType>
kvLogicalType(std::optional<Location> loc, ValueRange caches, Value blockTable,
              StringRef layout, StringRef kind, int64_t blockSize,
              int64_t group) {
  if ((layout == "paged") != !isa<NoneType>(blockTable.getType()))
    return emitOptionalError(loc, "a block table goes with the paged layout");
  SmallVector<RankedTensorType> ts;
  for (Value c : caches) {
    auto t = dyn_cast<RankedTensorType>(c.getType());
    if (!t || t.getRank() != 4 || !t.hasStaticShape())
      return emitOptionalError(loc, "KV caches must be static rank-4 tensors");
    ts.push_back(t);
  }
  size_t want = layout == "int8"    ? (kind == "key" ? 3 : 2)
                : layout == "kivi2" ? 4
                                    : 1;
  if (ts.size() != want)
    return emitOptionalError(loc, "layout '", layout, "' takes ", want,
                             " cache tensors, got ", ts.size());
  ArrayRef<int64_t> s = ts[0].getShape();
  Type elt = ts[0].getElementType();
  int64_t b = s[0], h = s[1], d = s[3];
  if (layout == "token-major") {
    h = s[2];
  } else if (layout == "paged") {
    if (blockSize <= 0 || s[2] != blockSize)
      return emitOptionalError(loc, "paged cache dim 2 must be block_size ",
                               blockSize);
    b = 1;
  } else if (layout == "int8") {
    if (!ts[0].getElementType().isInteger(8))
      return emitOptionalError(loc, "int8 cache data must be i8");
    elt = ts[1].getElementType();
    if (kind == "key" && (group <= 0 || s[2] % group != 0 ||
                          ts[1].getShape() !=
                              ArrayRef<int64_t>{b, h, s[2] / group, d} ||
                          ts[2].getShape() != ArrayRef<int64_t>{b, h, group, d}))
      return emitOptionalError(loc, "int8 key scales must be [B, H, T/",
                               group, ", D] and the group [B, H, ", group,
                               ", D]");
    if (kind == "value" &&
        ts[1].getShape() != ArrayRef<int64_t>{b, h, s[2], 1})
      return emitOptionalError(loc, "int8 value scales must be [B, H, T, 1]");
  } else if (layout == "kivi2") {
    if (!ts[0].getElementType().isInteger(8))
      return emitOptionalError(loc, "kivi2 cache codes must be i8");
    d = s[3] * 4;
    elt = ts[1].getElementType();
    SmallVector<int64_t> param =
        kind == "key" ? SmallVector<int64_t>{b, h, group > 0 ? s[2] / group : 0, d}
                      : SmallVector<int64_t>{b, h, s[2], 1};
    if (group <= 0 || s[2] % group != 0 ||
        ts[1].getShape() != ArrayRef<int64_t>(param) ||
        ts[2].getShape() != ArrayRef<int64_t>(param) ||
        ts[2].getElementType() != elt ||
        ts[3].getShape() != ArrayRef<int64_t>{b, h, group, d} ||
        ts[3].getElementType() != elt)
      return emitOptionalError(
          loc, "kivi2 ", kind, " cache: scales and minimums must be ",
          kind == "key" ? "[B, H, T/group, D]" : "[B, H, T, 1]",
          " and the group [B, H, ", group, ", D], with D = 4 x codes dim");
  } else if (layout != "head-major") {
    return emitOptionalError(loc, "unknown KV-cache layout '", layout, "'");
  }
  return RankedTensorType::get({b, h, kDyn, d}, elt);
}

LogicalResult KVCacheWriteOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &types) {
  auto logical =
      kvLogicalType(loc, adaptor.getCaches(), adaptor.getBlockTable(),
                    adaptor.getLayout(), adaptor.getKind(),
                    adaptor.getBlockSize(), adaptor.getGroup());
  if (failed(logical))
    return failure();
  auto u = dyn_cast<RankedTensorType>(adaptor.getUpdate().getType());
  if (u && u.getRank() != 4)
    return emitOptionalError(loc, "the update must be [B, H, S, D]");
  for (Value c : adaptor.getCaches())
    types.push_back(c.getType());
  return success();
}

LogicalResult KVCacheReadOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  auto logical =
      kvLogicalType(loc, adaptor.getCaches(), adaptor.getBlockTable(),
                    adaptor.getLayout(), adaptor.getKind(),
                    adaptor.getBlockSize(), adaptor.getGroup());
  if (failed(logical))
    return failure();
  types.push_back(*logical);
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto a = dyn_cast<RankedTensorType>(adaptor.getA().getType());
  auto b = dyn_cast<RankedTensorType>(adaptor.getB().getType());
  Type elt = elementTypeOf(adaptor.getA());
  if (!a || !b) {
    types.push_back(RankedTensorType::get({kDyn, kDyn}, elt));
    return success();
  }
  if (a.getRank() != 2 || b.getRank() != 2)
    return emitOptionalError(loc, "Gemm expects 2-D A and B, got ", a, " and ",
                             b);
  bool ta = adaptor.getTransA() != 0, tb = adaptor.getTransB() != 0;
  int64_t m = a.getDimSize(ta ? 1 : 0), ka = a.getDimSize(ta ? 0 : 1);
  int64_t kb = b.getDimSize(tb ? 1 : 0), n = b.getDimSize(tb ? 0 : 1);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return emitOptionalError(loc, "contraction dims differ: ", ka, " vs ", kb);
  SmallVector<int64_t> shape = {m, n};
  if (auto c = dyn_cast<RankedTensorType>(adaptor.getC().getType())) {
    SmallVector<ArrayRef<int64_t>> shapes = {shape, c.getShape()};
    FailureOr<SmallVector<int64_t>> bc = broadcastShapes(loc, shapes);
    if (failed(bc) || bc->size() != 2)
      return emitOptionalError(loc, "C ", c, " does not broadcast to [", m,
                               ", ", n, "]");
    shape = *bc;
  }
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  types.push_back(cast<TypedAttr>(adaptor.getValue()).getType());
  return success();
}

/// The result shape of an op whose shape is given by a 1-D i64 operand: its
/// values as far as they are known (getPartialInts: kDyn where not), or a
/// rank-only shape when only its length is static.
static FailureOr<SmallVector<int64_t>>
shapeFromOperand(std::optional<Location> loc, Value shapeV, bool &ranked) {
  ranked = true;
  auto t = dyn_cast<RankedTensorType>(shapeV.getType());
  if (t && t.getRank() != 1)
    return emitOptionalError(loc, "shape operand must be 1-D, got ", t);
  // A constant's entries are literal: the value that marks an unknown
  // entry (kDyn, INT64_MIN) is no size there.
  if (std::optional<SmallVector<int64_t>> c = getConstantInts(shapeV)) {
    if (llvm::is_contained(*c, kDyn))
      return emitOptionalError(loc, "invalid shape entry ", kDyn);
    return *c;
  }
  if (std::optional<SmallVector<int64_t>> c = getPartialInts(shapeV))
    return *c;
  if (t && !t.isDynamicDim(0)) {
    // The shape's length is the result's rank, allocated here.
    if (t.getDimSize(0) > kMaxRank)
      return emitOptionalError(loc, "shape operand has ", t.getDimSize(0),
                               " elements: a rank above ", kMaxRank,
                               " is not supported");
    return SmallVector<int64_t>(t.getDimSize(0), kDyn);
  }
  ranked = false;
  return SmallVector<int64_t>();
}

LogicalResult ConstantOfShapeOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  Type elt = Float32Type::get(ctx);
  if (auto v = adaptor.getValueAttr())
    elt = cast<ShapedType>(cast<TypedAttr>(v).getType()).getElementType();
  bool ranked;
  FailureOr<SmallVector<int64_t>> shape =
      shapeFromOperand(loc, adaptor.getInput(), ranked);
  if (failed(shape))
    return failure();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0 && d != kDyn; }))
    return emitOptionalError(loc, "shape has a negative dimension");
  types.push_back(ranked ? Type(RankedTensorType::get(*shape, elt))
                         : Type(UnrankedTensorType::get(elt)));
  return success();
}

/// A random op's result: `like`'s shape (unranked when it is), else the
/// `shape` attribute's, of element type `dtype`.
static LogicalResult inferRandom(std::optional<Location> loc, Value like,
                                 Type dtype,
                                 std::optional<ArrayRef<int64_t>> shape,
                                 SmallVectorImpl<Type> &types) {
  if (!isa_and_nonnull<FloatType>(dtype))
    return emitOptionalError(loc, "dtype must be a float type, got ", dtype);
  if (!isa<NoneType>(like.getType())) {
    types.push_back(cast<TensorType>(like.getType()).clone(dtype));
    return success();
  }
  if (!shape)
    return emitOptionalError(loc, "needs a shape attribute or a 'like' input");
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return emitOptionalError(loc, "shape has a negative dimension");
  types.push_back(RankedTensorType::get(*shape, dtype));
  return success();
}

LogicalResult RandomUniformOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferRandom(loc, adaptor.getLike(), adaptor.getDtype(),
                     adaptor.getShape(), types);
}

LogicalResult RandomNormalOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  return inferRandom(loc, adaptor.getLike(), adaptor.getDtype(),
                     adaptor.getShape(), types);
}

/// Range's element count ceil((limit - start) / delta), at least 0; fails
/// on NaN or a count no tensor could hold (converting those to int64 is
/// undefined).
static FailureOr<int64_t> rangeCount(std::optional<Location> loc, double q) {
  if (std::isnan(q) || q > double(int64_t(1) << 53))
    return emitOptionalError(loc, "Range would have ", q,
                             " elements (start, limit and delta give no "
                             "finite size)");
  return std::max<int64_t>(0, (int64_t)std::ceil(q));
}

LogicalResult RangeOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getStart());
  for (Value v : {adaptor.getStart(), adaptor.getLimit(), adaptor.getDelta()}) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (t && t.getNumElements() != 1)
      return emitOptionalError(loc, "start, limit and delta must be scalars");
    if (elementTypeOf(v) != elt)
      return emitOptionalError(loc, "start, limit and delta must share a type");
  }
  int64_t n = kDyn;
  if (isa<FloatType>(elt)) {
    auto s = getConstantFloats(adaptor.getStart());
    auto l = getConstantFloats(adaptor.getLimit());
    auto d = getConstantFloats(adaptor.getDelta());
    if (s && l && d) {
      if ((*d)[0] == 0)
        return emitOptionalError(loc, "delta must not be zero");
      FailureOr<int64_t> count =
          rangeCount(loc, ((*l)[0] - (*s)[0]) / (*d)[0]);
      if (failed(count))
        return failure();
      n = *count;
    }
  } else {
    auto s = getConstantInts(adaptor.getStart());
    auto l = getConstantInts(adaptor.getLimit());
    auto d = getConstantInts(adaptor.getDelta());
    if (s && l && d) {
      if ((*d)[0] == 0)
        return emitOptionalError(loc, "delta must not be zero");
      // In doubles: limit - start of two extreme int64 values overflows.
      FailureOr<int64_t> count = rangeCount(
          loc, (double((*l)[0]) - double((*s)[0])) / double((*d)[0]));
      if (failed(count))
        return failure();
      n = *count;
    }
  }
  types.push_back(RankedTensorType::get({n}, elt));
  return success();
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(
      cast<TensorType>(adaptor.getInput().getType()).clone(adaptor.getTo()));
  return success();
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getX());
  if (elt != elementTypeOf(adaptor.getY()))
    return emitOptionalError(loc, "X and Y have different element types");
  if (!elementTypeOf(adaptor.getCondition()).isInteger(1))
    return emitOptionalError(loc, "condition must be a bool tensor");
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : adaptor.getOperands()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t) {
      types.push_back(UnrankedTensorType::get(elt));
      return success();
    }
    shapes.push_back(t.getShape());
  }
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(loc, shapes);
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, elt));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult ShapeOp::inferReturnTypes(MLIRContext *ctx,
                                        std::optional<Location>,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type i64 = IntegerType::get(ctx, 64);
  auto t = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  if (!t) {
    types.push_back(RankedTensorType::get({kDyn}, i64));
    return success();
  }
  int64_t r = t.getRank();
  auto clampIdx = [&](std::optional<uint64_t> v, int64_t dflt) {
    if (!v)
      return dflt;
    int64_t i = (int64_t)*v;
    if (i < 0)
      i += r;
    return std::clamp<int64_t>(i, 0, r);
  };
  int64_t start = clampIdx(adaptor.getStart(), 0);
  int64_t end = clampIdx(adaptor.getEnd(), r);
  types.push_back(RankedTensorType::get({std::max<int64_t>(0, end - start)}, i64));
  return success();
}

LogicalResult SizeOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location>, Adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(RankedTensorType::get({}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getData());
  bool ranked;
  FailureOr<SmallVector<int64_t>> target =
      shapeFromOperand(loc, adaptor.getShape(), ranked);
  if (failed(target))
    return failure();
  if (!ranked) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  bool allowZero = adaptor.getAllowzero() != 0;
  SmallVector<int64_t> shape;
  // An empty target (a scalar) holds one element whatever the values.
  int64_t inferIdx = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == kDyn) { // an entry known only at run time
      shape.push_back(kDyn);
      known = kDyn;
      continue;
    }
    if (d == -1) {
      if (inferIdx >= 0)
        return emitOptionalError(loc, "shape has more than one -1");
      inferIdx = i;
      shape.push_back(kDyn);
      continue;
    }
    if (d < -1)
      return emitOptionalError(loc, "invalid shape entry ", d);
    if (d == 0 && !allowZero) {
      if (!in)
        shape.push_back(kDyn);
      else if ((int64_t)i >= in.getRank())
        return emitOptionalError(loc, "shape entry 0 at ", i,
                                 " copies a dim the input (rank ",
                                 in.getRank(), ") lacks");
      else
        shape.push_back(in.getDimSize(i));
    } else {
      shape.push_back(d);
    }
    if (ShapedType::isDynamic(shape.back()) || known == kDyn)
      known = kDyn;
    else if (llvm::MulOverflow(known, shape.back(), known))
      return emitOptionalError(loc, "shape [",
                               llvm::make_range(target->begin(), target->end()),
                               "] has more elements than 64 bits count");
  }
  if (in && in.hasStaticShape() && known != kDyn) {
    int64_t total = in.getNumElements();
    if (inferIdx >= 0) {
      if (known == 0 || total % known != 0)
        return emitOptionalError(loc, "cannot reshape ", in, " to [",
                                 llvm::make_range(target->begin(), target->end()),
                                 "]");
      shape[inferIdx] = total / known;
    } else if (known != total) {
      return emitOptionalError(loc, "cannot reshape ", in, " (", total,
                               " elements) to ", known, " elements");
    }
  }
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  Type elt = elementTypeOf(adaptor.getInput());
  if (!in) {
    types.push_back(RankedTensorType::get({kDyn, kDyn}, elt));
    return success();
  }
  int64_t r = in.getRank(), axis = (int64_t)adaptor.getAxis();
  if (axis < -r || axis > r)
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ", r);
  if (axis < 0)
    axis += r;
  types.push_back(RankedTensorType::get(
      {mulDims(in.getShape().take_front(axis)),
       mulDims(in.getShape().drop_front(axis))},
      elt));
  return success();
}

/// Normalizes a list of axes against `rank`; rejects duplicates.
static FailureOr<SmallVector<int64_t>>
normAxes(std::optional<Location> loc, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t a : axes) {
    FailureOr<int64_t> n = normalizeAxis(loc, a, rank);
    if (failed(n))
      return failure();
    if (llvm::is_contained(out, *n))
      return emitOptionalError(loc, "axis ", a, " is repeated");
    out.push_back(*n);
  }
  return out;
}

LogicalResult SqueezeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  Type elt = elementTypeOf(adaptor.getData());
  std::optional<SmallVector<int64_t>> axes;
  if (isNone(adaptor.getAxes()))
    axes = SmallVector<int64_t>();
  else
    axes = getConstantInts(adaptor.getAxes());
  if (!in || !axes) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  SmallVector<int64_t> shape;
  if (axes->empty()) {
    if (llvm::any_of(in.getShape(), ShapedType::isDynamic)) {
      types.push_back(UnrankedTensorType::get(elt));
      return success();
    }
    for (int64_t d : in.getShape())
      if (d != 1)
        shape.push_back(d);
  } else {
    FailureOr<SmallVector<int64_t>> n = normAxes(loc, *axes, in.getRank());
    if (failed(n))
      return failure();
    for (int64_t i = 0; i < in.getRank(); ++i) {
      if (!llvm::is_contained(*n, i)) {
        shape.push_back(in.getDimSize(i));
        continue;
      }
      if (!in.isDynamicDim(i) && in.getDimSize(i) != 1)
        return emitOptionalError(loc, "cannot squeeze dim ", i, " of size ",
                                 in.getDimSize(i));
    }
  }
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult UnsqueezeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  Type elt = elementTypeOf(adaptor.getData());
  std::optional<SmallVector<int64_t>> axes = getConstantInts(adaptor.getAxes());
  if (!in || !axes) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t outRank = in.getRank() + axes->size();
  FailureOr<SmallVector<int64_t>> n = normAxes(loc, *axes, outRank);
  if (failed(n))
    return failure();
  SmallVector<int64_t> shape;
  int64_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(llvm::is_contained(*n, i) ? 1 : in.getDimSize(next++));
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  if (!in) {
    types.push_back(adaptor.getData().getType());
    return success();
  }
  int64_t r = in.getRank();
  SmallVector<int64_t> perm = toInts(adaptor.getPermAttr());
  if (!adaptor.getPermAttr())
    for (int64_t i = r - 1; i >= 0; --i)
      perm.push_back(i);
  if ((int64_t)perm.size() != r)
    return emitOptionalError(loc, "perm has ", perm.size(),
                             " entries for rank ", r);
  SmallVector<int64_t> shape;
  SmallVector<bool> seen(r, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= r || seen[p])
      return emitOptionalError(loc, "perm is not a permutation of [0, ", r,
                               ")");
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  types.push_back(in.clone(shape));
  return success();
}

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "expects at least one input");
  Type elt = elementTypeOf(adaptor.getInputs()[0]);
  SmallVector<int64_t> ranks;
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : adaptor.getInputs()) {
    if (elementTypeOf(v) != elt)
      return emitOptionalError(loc, "inputs have different element types");
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t) {
      types.push_back(UnrankedTensorType::get(elt));
      return success();
    }
    ranks.push_back(t.getRank());
    shapes.push_back(t.getShape());
  }
  FailureOr<EinsumSpec> spec = parseEinsum(loc, adaptor.getEquation(), ranks);
  if (failed(spec))
    return failure();
  FailureOr<SmallVector<int64_t>> sizes = einsumLoopSizes(loc, *spec, shapes);
  if (failed(sizes))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t loop : spec->output)
    shape.push_back((*sizes)[loop]);
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "expects at least one input");
  Type elt = elementTypeOf(adaptor.getInputs()[0]);
  RankedTensorType first;
  for (Value v : adaptor.getInputs()) {
    if (elementTypeOf(v) != elt)
      return emitOptionalError(loc, "inputs have different element types");
    if (!first)
      first = dyn_cast<RankedTensorType>(v.getType());
  }
  if (!first) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t r = first.getRank();
  FailureOr<int64_t> axis = normalizeAxis(loc, (int64_t)adaptor.getAxis(), r);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(r, kDyn);
  int64_t sum = 0;
  for (Value v : adaptor.getInputs()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t) {
      sum = kDyn;
      continue;
    }
    if (t.getRank() != r)
      return emitOptionalError(loc, "inputs have different ranks");
    for (int64_t i = 0; i < r; ++i) {
      if (i == *axis || t.isDynamicDim(i))
        continue;
      if (!ShapedType::isDynamic(shape[i]) && shape[i] != t.getDimSize(i))
        return emitOptionalError(loc, "inputs differ in dim ", i, ": ",
                                 shape[i], " vs ", t.getDimSize(i));
      shape[i] = t.getDimSize(i);
    }
    if (sum != kDyn)
      sum = t.isDynamicDim(*axis) ? kDyn : sum + t.getDimSize(*axis);
  }
  shape[*axis] = sum;
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  Type elt = elementTypeOf(adaptor.getInput());
  if (!in)
    return emitOptionalError(loc, "Split needs a ranked input");
  FailureOr<int64_t> axis = normalizeAxis(loc, (int64_t)adaptor.getAxis(),
                                     in.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = in.getDimSize(*axis);
  SmallVector<int64_t> sizes;
  if (!isNone(adaptor.getSplit())) {
    std::optional<SmallVector<int64_t>> split =
        getConstantInts(adaptor.getSplit());
    if (split) {
      sizes = *split;
      int64_t total = 0;
      for (int64_t s : sizes) {
        if (s < 0)
          return emitOptionalError(loc, "split sizes must be >= 0");
        if (llvm::AddOverflow(total, s, total))
          return emitOptionalError(loc, "split sizes overflow 64 bits");
      }
      if (!ShapedType::isDynamic(dim) && total != dim)
        return emitOptionalError(loc, "split sizes sum to ", total,
                                 " but the axis has ", dim);
    } else {
      auto st = dyn_cast<RankedTensorType>(adaptor.getSplit().getType());
      if (!st || st.getRank() != 1 || st.isDynamicDim(0))
        return emitOptionalError(loc, "cannot tell the number of outputs");
      sizes.assign(st.getDimSize(0), kDyn);
    }
  } else {
    std::optional<uint64_t> num = adaptor.getNumOutputs();
    if (!num || *num == 0)
      return emitOptionalError(loc, "needs `split` sizes or num_outputs");
    int64_t n = *num;
    if (ShapedType::isDynamic(dim)) {
      sizes.assign(n, kDyn);
    } else {
      // Opset 18: chunks of ceil(dim / n), the last one smaller.
      int64_t chunk = ceilDiv(dim, n);
      for (int64_t i = 0; i < n; ++i)
        sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    }
  }
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(in.getShape());
    shape[*axis] = s;
    types.push_back(RankedTensorType::get(shape, elt));
  }
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  // starts, ends, axes and steps are 1-D and equally long; the lowering
  // indexes them as such.
  int64_t length = kDyn;
  for (auto [v, name] : {std::pair(adaptor.getStarts(), "starts"),
                         std::pair(adaptor.getEnds(), "ends"),
                         std::pair(adaptor.getAxes(), "axes"),
                         std::pair(adaptor.getSteps(), "steps")}) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      continue;
    if (t.getRank() != 1)
      return emitOptionalError(loc, name, " must be 1-D, got ", t);
    if (!t.isDynamicDim(0) && length != kDyn && t.getDimSize(0) != length)
      return emitOptionalError(loc, "starts, ends, axes and steps differ in "
                                    "length");
    if (!t.isDynamicDim(0))
      length = t.getDimSize(0);
  }
  auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  Type elt = elementTypeOf(adaptor.getData());
  if (!in) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t r = in.getRank();
  auto starts = getConstantInts(adaptor.getStarts());
  auto ends = getConstantInts(adaptor.getEnds());
  std::optional<SmallVector<int64_t>> axes, steps;
  if (!isNone(adaptor.getAxes()))
    axes = getConstantInts(adaptor.getAxes());
  if (!isNone(adaptor.getSteps()))
    steps = getConstantInts(adaptor.getSteps());
  bool axesKnown = isNone(adaptor.getAxes()) || axes;
  bool stepsKnown = isNone(adaptor.getSteps()) || steps;
  SmallVector<int64_t> shape(in.getShape());
  if (!axesKnown) {
    types.push_back(RankedTensorType::get(SmallVector<int64_t>(r, kDyn), elt));
    return success();
  }
  size_t n = starts ? starts->size() : (ends ? ends->size() : 0);
  if (!starts && !ends) {
    auto st = dyn_cast<RankedTensorType>(adaptor.getStarts().getType());
    if (st && st.getRank() == 1 && !st.isDynamicDim(0))
      n = st.getDimSize(0);
    else if (axes)
      n = axes->size();
    else {
      types.push_back(
          RankedTensorType::get(SmallVector<int64_t>(r, kDyn), elt));
      return success();
    }
  }
  if (!axes) {
    axes = SmallVector<int64_t>();
    for (size_t i = 0; i < n; ++i)
      axes->push_back(i);
  }
  if ((starts && starts->size() != axes->size()) ||
      (ends && ends->size() != axes->size()) ||
      (steps && steps->size() != axes->size()))
    return emitOptionalError(loc, "starts, ends, axes and steps differ in "
                                  "length");
  FailureOr<SmallVector<int64_t>> nAxes = normAxes(loc, *axes, r);
  if (failed(nAxes))
    return failure();
  for (size_t i = 0; i < nAxes->size(); ++i) {
    int64_t a = (*nAxes)[i], dim = in.getDimSize(a);
    int64_t step = steps ? (*steps)[i] : 1;
    if (steps && step == 0)
      return emitOptionalError(loc, "slice step must not be zero");
    if (!starts || !ends || !stepsKnown || ShapedType::isDynamic(dim)) {
      shape[a] = kDyn;
      continue;
    }
    int64_t s = (*starts)[i], e = (*ends)[i];
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      shape[a] = e > s ? ceilDiv(e - s, step) : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      // (-INT64_MIN overflows; any step past the dim takes one element.)
      int64_t back = step == std::numeric_limits<int64_t>::min()
                         ? std::numeric_limits<int64_t>::max()
                         : -step;
      shape[a] = s > e ? ceilDiv(s - e, back) : 0;
    }
  }
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  Type elt = elementTypeOf(adaptor.getData());
  if (!isa<IntegerType>(elementTypeOf(adaptor.getIndices())))
    return emitOptionalError(loc, "indices must be integers");
  if (!data || !idx) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), data.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

/// A one-element integer constant operand (a count that decides a shape),
/// or nullopt.
static std::optional<int64_t> constantCount(Value v) {
  if (auto ints = getConstantInts(v); ints && ints->size() == 1)
    return (*ints)[0];
  if (auto fs = getConstantFloats(v); fs && fs->size() == 1)
    return (int64_t)(*fs)[0];
  return std::nullopt;
}

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getValues());
  auto idx = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  auto values = dyn_cast<RankedTensorType>(adaptor.getValues().getType());
  if (values && values.getNumElements() != 2)
    return emitOptionalError(loc, "values must hold 2 elements (off, on)");
  if (!idx) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t r = idx.getRank();
  FailureOr<int64_t> axis = normalizeAxis(loc, (int64_t)adaptor.getAxis(), r + 1);
  if (failed(axis))
    return failure();
  int64_t depth = kDyn;
  if (std::optional<int64_t> d = constantCount(adaptor.getDepth())) {
    if (*d < 1 || *d > (int64_t(1) << 31))
      return emitOptionalError(loc, "depth must be in [1, 2^31], got ", *d);
    depth = *d;
  }
  SmallVector<int64_t> shape(idx.getShape());
  shape.insert(shape.begin() + *axis, depth);
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult NonZeroOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  Type i64 = IntegerType::get(ctx, 64);
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  types.push_back(x ? (Type)RankedTensorType::get({x.getRank(), kDyn}, i64)
                    : (Type)UnrankedTensorType::get(i64));
  return success();
}

LogicalResult CompressOp::inferReturnTypes(MLIRContext *ctx,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getInput());
  auto x = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto cond = dyn_cast<RankedTensorType>(adaptor.getCondition().getType());
  if (cond && cond.getRank() != 1)
    return emitOptionalError(loc, "condition must be 1-D, got rank ",
                             cond.getRank());
  if (!adaptor.getAxis()) {
    types.push_back(RankedTensorType::get({kDyn}, elt));
    return success();
  }
  if (!x) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)*adaptor.getAxis(), x.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(x.getShape());
  shape[*axis] = kDyn;
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult NonMaxSuppressionOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto boxes = dyn_cast<RankedTensorType>(adaptor.getBoxes().getType());
  auto scores = dyn_cast<RankedTensorType>(adaptor.getScores().getType());
  if (boxes && (boxes.getRank() != 3 || (!boxes.isDynamicDim(2) &&
                                         boxes.getDimSize(2) != 4)))
    return emitOptionalError(loc, "boxes must be [batches, boxes, 4], got ",
                             boxes);
  if (scores && scores.getRank() != 3)
    return emitOptionalError(loc, "scores must be [batches, classes, boxes], "
                                  "got ", scores);
  if (adaptor.getCenterPointBox() > 1)
    return emitOptionalError(loc, "center_point_box must be 0 or 1, got ",
                             adaptor.getCenterPointBox());
  types.push_back(RankedTensorType::get({kDyn, 3}, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult UniqueOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getX());
  Type i64 = IntegerType::get(ctx, 64);
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  auto list = RankedTensorType::get({kDyn}, i64);
  if (!adaptor.getAxis()) {
    int64_t n = x && x.hasStaticShape() ? x.getNumElements() : kDyn;
    types.append({RankedTensorType::get({kDyn}, elt), list,
                  RankedTensorType::get({n}, i64), list});
    return success();
  }
  if (!x) {
    types.append({UnrankedTensorType::get(elt), list,
                  RankedTensorType::get({kDyn}, i64), list});
    return success();
  }
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)*adaptor.getAxis(), x.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(x.getShape());
  shape[*axis] = kDyn;
  types.append({RankedTensorType::get(shape, elt), list,
                RankedTensorType::get({x.getDimSize(*axis)}, i64), list});
  return success();
}

LogicalResult DetOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getX());
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  if (!x) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t r = x.getRank();
  if (r < 2 || (!x.isDynamicDim(r - 1) && !x.isDynamicDim(r - 2) &&
                x.getDimSize(r - 1) != x.getDimSize(r - 2)))
    return emitOptionalError(loc, "input must be [..., n, n], got ", x);
  types.push_back(RankedTensorType::get(x.getShape().drop_back(2), elt));
  return success();
}

LogicalResult STFTOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getSignal());
  auto x = dyn_cast<RankedTensorType>(adaptor.getSignal().getType());
  if (x && (x.getRank() != 3 ||
            (!x.isDynamicDim(2) && x.getDimSize(2) != 1 && x.getDimSize(2) != 2)))
    return emitOptionalError(loc, "signal must be [batch, length, 1 or 2], got ",
                             x);
  std::optional<int64_t> step = constantCount(adaptor.getFrameStep());
  std::optional<int64_t> len;
  if (!isNone(adaptor.getFrameLength()))
    len = constantCount(adaptor.getFrameLength());
  else if (auto w = dyn_cast<RankedTensorType>(adaptor.getWindow().getType());
           w && w.getRank() == 1 && !w.isDynamicDim(0))
    len = w.getDimSize(0);
  if (step && *step < 1)
    return emitOptionalError(loc, "frame_step must be positive, got ", *step);
  if (len && *len < 1)
    return emitOptionalError(loc, "frame_length must be positive, got ", *len);
  int64_t batch = x ? x.getDimSize(0) : kDyn, frames = kDyn, bins = kDyn;
  if (x && step && len && !x.isDynamicDim(1)) {
    if (*len > x.getDimSize(1))
      return emitOptionalError(loc, "frame_length ", *len,
                               " exceeds the signal's length ", x.getDimSize(1));
    frames = (x.getDimSize(1) - *len) / *step + 1;
  }
  if (len)
    bins = adaptor.getOnesided() ? *len / 2 + 1 : *len;
  types.push_back(RankedTensorType::get({batch, frames, bins, 2}, elt));
  return success();
}

LogicalResult RoiAlignOp::inferReturnTypes(MLIRContext *ctx,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getX());
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  auto rois = dyn_cast<RankedTensorType>(adaptor.getRois().getType());
  if (x && x.getRank() != 4)
    return emitOptionalError(loc, "X must be [N, C, H, W], got ", x);
  if (rois && (rois.getRank() != 2 ||
               (!rois.isDynamicDim(1) && rois.getDimSize(1) != 4)))
    return emitOptionalError(loc, "rois must be [R, 4], got ", rois);
  StringRef mode = adaptor.getMode(), ctm = adaptor.getCoordinateTransformationMode();
  if (mode != "avg" && mode != "max")
    return emitOptionalError(loc, "mode must be avg or max, got '", mode, "'");
  if (ctm != "half_pixel" && ctm != "output_half_pixel")
    return emitOptionalError(loc, "coordinate_transformation_mode must be "
                                  "half_pixel or output_half_pixel, got '",
                             ctm, "'");
  if (adaptor.getOutputHeight() < 1 || adaptor.getOutputWidth() < 1 ||
      adaptor.getSamplingRatio() < 0)
    return emitOptionalError(loc, "output sizes must be positive and "
                                  "sampling_ratio non-negative");
  types.push_back(RankedTensorType::get(
      {rois ? rois.getDimSize(0) : kDyn, x ? x.getDimSize(1) : kDyn,
       (int64_t)adaptor.getOutputHeight(), (int64_t)adaptor.getOutputWidth()},
      elt));
  return success();
}

LogicalResult TfIdfVectorizerOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  if (x && x.getRank() != 1 && x.getRank() != 2)
    return emitOptionalError(loc, "X must be 1-D or 2-D, got rank ",
                             x.getRank());
  StringRef mode = adaptor.getMode();
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF")
    return emitOptionalError(loc, "mode must be TF, IDF or TFIDF, got '", mode,
                             "'");
  int64_t slots = 0;
  for (Attribute a : adaptor.getNgramIndexes()) {
    int64_t i = cast<IntegerAttr>(a).getInt();
    if (i < 0)
      return emitOptionalError(loc, "ngram_indexes must be non-negative");
    slots = std::max(slots, i + 1);
  }
  int64_t minN = adaptor.getMinGramLength(), maxN = adaptor.getMaxGramLength();
  if (minN < 1 || maxN < minN || adaptor.getMaxSkipCount() < 0)
    return emitOptionalError(loc, "need 1 <= min_gram_length <= "
                                  "max_gram_length and max_skip_count >= 0");
  Type f32 = Float32Type::get(ctx);
  if (x && x.getRank() == 2)
    types.push_back(RankedTensorType::get({x.getDimSize(0), slots}, f32));
  else
    types.push_back(RankedTensorType::get({slots}, f32));
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getX());
  Type i64 = IntegerType::get(ctx, 64);
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  if (!x) {
    types.push_back(UnrankedTensorType::get(elt));
    types.push_back(UnrankedTensorType::get(i64));
    return success();
  }
  FailureOr<int64_t> axis =
      normalizeAxis(loc, (int64_t)adaptor.getAxis(), x.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(x.getShape());
  shape[*axis] = kDyn;
  if (std::optional<int64_t> k = constantCount(adaptor.getK())) {
    if (*k < 0 || (!x.isDynamicDim(*axis) && *k > x.getDimSize(*axis)))
      return emitOptionalError(loc, "k must be in [0, ", x.getDimSize(*axis),
                               "], got ", *k);
    shape[*axis] = *k;
  }
  types.push_back(RankedTensorType::get(shape, elt));
  types.push_back(RankedTensorType::get(shape, i64));
  return success();
}

LogicalResult WindowOp::inferReturnTypes(MLIRContext *ctx,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  StringRef kind = adaptor.getKind();
  if (kind != "hann" && kind != "hamming" && kind != "blackman")
    return emitOptionalError(loc, "kind must be hann, hamming or blackman, got '",
                             kind, "'");
  Type elt;
  switch (adaptor.getOutputDatatype()) {
  case 1: elt = Float32Type::get(ctx); break;
  case 10: elt = Float16Type::get(ctx); break;
  case 11: elt = Float64Type::get(ctx); break;
  case 16: elt = BFloat16Type::get(ctx); break;
  default:
    return emitOptionalError(loc, "output_datatype ",
                             adaptor.getOutputDatatype(),
                             " is not a float type");
  }
  int64_t n = kDyn;
  if (std::optional<int64_t> size = constantCount(adaptor.getSize())) {
    if (*size < 0 || *size > (int64_t(1) << 31))
      return emitOptionalError(loc, "size must be in [0, 2^31], got ", *size);
    n = *size;
  }
  types.push_back(RankedTensorType::get({n}, elt));
  return success();
}

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  StringRef mode = adaptor.getMode(), pad = adaptor.getPaddingMode();
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return emitOptionalError(loc, "mode must be nearest, linear or cubic, got '",
                             mode, "'");
  if (pad != "zeros" && pad != "border" && pad != "reflection")
    return emitOptionalError(loc, "padding_mode must be zeros, border or ",
                             "reflection, got '", pad, "'");
  Type elt = elementTypeOf(adaptor.getX());
  auto x = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  auto grid = dyn_cast<RankedTensorType>(adaptor.getGrid().getType());
  if (!x || !grid) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t r = x.getRank();
  if (r < 3 || grid.getRank() != r ||
      (!grid.isDynamicDim(r - 1) && grid.getDimSize(r - 1) != r - 2))
    return emitOptionalError(loc, "grid must be [N, spatial..., ", r - 2,
                             "] for X of rank ", r);
  SmallVector<int64_t> shape = {x.getDimSize(0), x.getDimSize(1)};
  llvm::append_range(shape, grid.getShape().slice(1, r - 2));
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult ReverseSequenceOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto x = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto lens = dyn_cast<RankedTensorType>(adaptor.getSequenceLens().getType());
  if (x) {
    int64_t b = adaptor.getBatchAxis(), t = adaptor.getTimeAxis();
    if (x.getRank() < 2 || (b != 0 && b != 1) || (t != 0 && t != 1) || b == t)
      return emitOptionalError(loc, "batch_axis and time_axis must be 0 and 1 ",
                               "(either order) of an input of rank 2 or more");
    if (lens && (lens.getRank() != 1 ||
                 (!lens.isDynamicDim(0) && !x.isDynamicDim(b) &&
                  lens.getDimSize(0) != x.getDimSize(b))))
      return emitOptionalError(loc, "sequence_lens must be 1-D with one entry ",
                               "per batch entry");
  }
  types.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  Type elt = elementTypeOf(adaptor.getData());
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  if (!data || !idx || idx.getRank() == 0 ||
      idx.isDynamicDim(idx.getRank() - 1)) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t r = data.getRank(), q = idx.getRank(), k = idx.getShape().back();
  int64_t b = adaptor.getBatchDims();
  if (b < 0 || b >= std::min(q, r))
    return emitOptionalError(loc, "batch_dims ", b,
                             " must be below the ranks of data and indices");
  if (k < 1 || k > r - b)
    return emitOptionalError(loc, "index tuples of ", k, " entries do not fit ",
                             "data of rank ", r, " after ", b, " batch dims");
  for (int64_t d = 0; d < b; ++d)
    if (!data.isDynamicDim(d) && !idx.isDynamicDim(d) &&
        data.getDimSize(d) != idx.getDimSize(d))
      return emitOptionalError(loc, "batch dim ", d, " differs: ",
                               data.getDimSize(d), " vs ", idx.getDimSize(d));
  SmallVector<int64_t> shape(idx.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(b + k));
  types.push_back(RankedTensorType::get(shape, elt));
  return success();
}

static LogicalResult checkReduction(std::optional<Location> loc, StringRef r) {
  if (r == "none" || r == "add" || r == "mul" || r == "max" || r == "min")
    return success();
  return emitOptionalError(loc, "reduction must be none, add, mul, max or min, got '",
                           r, "'");
}

LogicalResult ScatterElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  if (failed(checkReduction(loc, adaptor.getReduction())))
    return failure();
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  auto upd = dyn_cast<RankedTensorType>(adaptor.getUpdates().getType());
  if (elementTypeOf(adaptor.getUpdates()) != elementTypeOf(adaptor.getData()))
    return emitOptionalError(loc, "updates must have data's element type");
  if (data) {
    if (failed(normalizeAxis(loc, (int64_t)adaptor.getAxis(), data.getRank())))
      return failure();
    if ((idx && idx.getRank() != data.getRank()) ||
        (upd && upd.getRank() != data.getRank()))
      return emitOptionalError(loc, "data, indices and updates must have equal rank");
  }
  if (idx && upd && failed(verifyCompatibleShape(idx.getShape(), upd.getShape())))
    return emitOptionalError(loc, "indices and updates must have the same shape");
  types.push_back(adaptor.getData().getType());
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  if (failed(checkReduction(loc, adaptor.getReduction())))
    return failure();
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
  auto upd = dyn_cast<RankedTensorType>(adaptor.getUpdates().getType());
  if (elementTypeOf(adaptor.getUpdates()) != elementTypeOf(adaptor.getData()))
    return emitOptionalError(loc, "updates must have data's element type");
  if (data && idx && upd && idx.getRank() > 0 &&
      !idx.isDynamicDim(idx.getRank() - 1)) {
    int64_t k = idx.getShape().back();
    if (k < 1 || k > data.getRank())
      return emitOptionalError(loc, "index tuples of ", k,
                               " entries do not fit data of rank ",
                               data.getRank());
    SmallVector<int64_t> expect(idx.getShape().drop_back());
    llvm::append_range(expect, data.getShape().drop_front(k));
    if (failed(verifyCompatibleShape(expect, upd.getShape())))
      return emitOptionalError(loc, "updates must have shape indices.shape[:-1] ",
                               "+ data.shape[k:]");
  }
  types.push_back(adaptor.getData().getType());
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  auto data = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  auto idx = cast<TensorType>(adaptor.getIndices().getType());
  if (data) {
    if (failed(normalizeAxis(loc, (int64_t)adaptor.getAxis(), data.getRank())))
      return failure();
    if (idx.hasRank() && idx.getRank() != data.getRank())
      return emitOptionalError(loc, "data and indices must have equal rank");
  }
  types.push_back(idx.clone(elementTypeOf(adaptor.getData())));
  return success();
}

LogicalResult ExpandOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  Type elt = elementTypeOf(adaptor.getInput());
  bool ranked;
  FailureOr<SmallVector<int64_t>> target =
      shapeFromOperand(loc, adaptor.getShape(), ranked);
  if (failed(target))
    return failure();
  if (!in || !ranked) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  // A target dim of 1 keeps the input's dim (Expand is bidirectional); an
  // unknown target entry (kDyn) keeps an input dim other than 1, which
  // it must equal or be 1.
  SmallVector<ArrayRef<int64_t>> shapes = {in.getShape(), *target};
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(loc, shapes);
  if (failed(shape))
    return failure();
  types.push_back(RankedTensorType::get(*shape, elt));
  return success();
}

LogicalResult TileOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  if (!in) {
    types.push_back(adaptor.getInput().getType());
    return success();
  }
  SmallVector<int64_t> shape(in.getRank(), kDyn);
  if (auto reps = getConstantInts(adaptor.getRepeats())) {
    if ((int64_t)reps->size() != in.getRank())
      return emitOptionalError(loc, "repeats has ", reps->size(),
                               " entries for rank ", in.getRank());
    for (int64_t i = 0; i < in.getRank(); ++i) {
      if ((*reps)[i] < 0)
        return emitOptionalError(loc, "repeats must be non-negative");
      if (in.isDynamicDim(i))
        shape[i] = kDyn;
      else if (llvm::MulOverflow(in.getDimSize(i), (*reps)[i], shape[i]))
        return emitOptionalError(loc, "repeats of dim ", i,
                                 " overflow 64 bits");
    }
  }
  types.push_back(in.clone(shape));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getData().getType());
  if (!llvm::is_contained({"constant", "reflect", "edge", "wrap"},
                          adaptor.getMode()))
    return emitOptionalError(loc, "unknown pad mode '", adaptor.getMode(),
                             "'");
  if (!in) {
    types.push_back(adaptor.getData().getType());
    return success();
  }
  int64_t r = in.getRank();
  SmallVector<int64_t> shape(r, kDyn);
  std::optional<SmallVector<int64_t>> pads = getConstantInts(adaptor.getPads());
  std::optional<SmallVector<int64_t>> axes;
  if (isNone(adaptor.getAxes())) {
    axes = SmallVector<int64_t>();
    for (int64_t i = 0; i < r; ++i)
      axes->push_back(i);
  } else {
    axes = getConstantInts(adaptor.getAxes());
  }
  if (pads && axes) {
    FailureOr<SmallVector<int64_t>> n = normAxes(loc, *axes, r);
    if (failed(n))
      return failure();
    if (pads->size() != 2 * n->size())
      return emitOptionalError(loc, "pads has ", pads->size(),
                               " entries, expected ", 2 * n->size());
    shape.assign(in.getShape().begin(), in.getShape().end());
    for (size_t i = 0; i < n->size(); ++i) {
      int64_t a = (*n)[i];
      if (in.isDynamicDim(a))
        continue;
      if (llvm::AddOverflow(in.getDimSize(a), (*pads)[i], shape[a]) ||
          llvm::AddOverflow(shape[a], (*pads)[i + n->size()], shape[a]))
        return emitOptionalError(loc, "pads of dim ", a, " overflow 64 bits");
      if (shape[a] < 0)
        return emitOptionalError(loc, "negative pads remove more than dim ", a);
    }
  }
  types.push_back(in.clone(shape));
  return success();
}

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(adaptor.getX().getType());
  if (!llvm::is_contained({"nearest", "linear", "cubic"}, adaptor.getMode()))
    return emitOptionalError(loc, "unknown resize mode '", adaptor.getMode(),
                             "'");
  if (!in) {
    types.push_back(adaptor.getX().getType());
    return success();
  }
  int64_t r = in.getRank();
  SmallVector<int64_t> axes = toInts(adaptor.getAxesAttr());
  if (axes.empty())
    for (int64_t i = 0; i < r; ++i)
      axes.push_back(i);
  FailureOr<SmallVector<int64_t>> n = normAxes(loc, axes, r);
  if (failed(n))
    return failure();
  SmallVector<int64_t> shape(in.getShape());
  bool hasSizes = !isNone(adaptor.getSizes());
  bool hasScales = !isNone(adaptor.getScales());
  if (hasSizes) {
    auto sizes = getConstantInts(adaptor.getSizes());
    if (sizes && sizes->size() != n->size())
      return emitOptionalError(loc, "sizes has ", sizes->size(),
                               " entries for ", n->size(), " axes");
    // keep_aspect_ratio_policy other than stretch rescales uniformly; its
    // result depends on all sizes, so leave those dims dynamic.
    bool stretch = adaptor.getKeepAspectRatioPolicy() == "stretch";
    for (size_t i = 0; i < n->size(); ++i)
      shape[(*n)[i]] = sizes && stretch ? (*sizes)[i] : kDyn;
  } else if (hasScales) {
    auto scales = getConstantFloats(adaptor.getScales());
    auto st = dyn_cast<RankedTensorType>(adaptor.getScales().getType());
    bool emptyScales = st && st.hasStaticShape() && st.getNumElements() == 0;
    if (emptyScales)
      return emitOptionalError(loc, "needs non-empty scales or sizes");
    if (scales && scales->size() != n->size())
      return emitOptionalError(loc, "scales has ", scales->size(),
                               " entries for ", n->size(), " axes");
    for (size_t i = 0; i < n->size(); ++i) {
      int64_t a = (*n)[i];
      if (!scales || in.isDynamicDim(a)) {
        shape[a] = kDyn;
        continue;
      }
      double size = std::floor(in.getDimSize(a) * (*scales)[i]);
      // NaN fails the comparison; an infinite or huge size would be
      // undefined to convert.
      if (!((*scales)[i] > 0) || !(size < double(int64_t(1) << 53)))
        return emitOptionalError(loc, "scales must be positive and give a "
                                      "finite size, got ",
                                 (*scales)[i]);
      shape[a] = (int64_t)size;
    }
  } else {
    return emitOptionalError(loc, "needs scales or sizes");
  }
  types.push_back(in.clone(shape));
  return success();
}
