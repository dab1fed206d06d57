//===- MicrosoftOps.cpp - com.microsoft quantized op converters -----------===//
//
// The QOperator ops onnxruntime's quantizer writes in the com.microsoft
// domain (QLinearAdd, QLinearMul, QLinearConcat, QLinearGlobalAveragePool,
// QLinearAveragePool, QLinearSigmoid, QLinearLeakyRelu, QGemm) import as
// what they are defined to compute: DequantizeLinear of each input, the
// float op, QuantizeLinear of the result. graph-fold-qdq then turns those
// forms into integer ops exactly as it does for QDQ models, so one set of
// patterns and lowerings serves both formats.
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

/// The node builder with the quantization steps the contrib ops share.
struct QBuilder : NodeBuilder {
  /// The zero point input `i`, or a 0 of `like`'s element type where the
  /// node omits it (the contrib ops' default), so a Q of an int8 result
  /// stays int8.
  Value zeroPoint(unsigned i, Value like) {
    if (c.hasInput(i))
      return c.input(i);
    auto lt = dyn_cast<TensorType>(like.getType());
    if (!lt)
      return c.imp.none(c.loc);
    Type elt = lt.getElementType();
    auto t = RankedTensorType::get({}, elt);
    return c.imp.constant(
        cast<ElementsAttr>(DenseElementsAttr::get(t, IntegerAttr::get(elt, 0))),
        c.loc);
  }

  Value dequantize(Value x, Value scale, Value zp, int64_t axis = 1) {
    auto b = c.imp.getBuilder();
    return op<g::DequantizeLinearOp>(
        {x, scale, zp}, {b.getNamedAttr("axis", b.getI64IntegerAttr(axis))});
  }

  /// Q(y) with the node's output scale and zero point (inputs `s`, `s+1`),
  /// typed like `like` when the zero point is omitted.
  LogicalResult quantizeInto(Value y, unsigned s, Value like, Outs &outs) {
    return result(
        op<g::QuantizeLinearOp>({y, c.input(s), zeroPoint(s + 1, like)}), outs);
  }
};

/// QLinearAdd / QLinearMul: (A, A_scale, A_zp, B, B_scale, B_zp, C_scale,
/// C_zp) with numpy broadcasting.
template <typename OpTy>
LogicalResult convertQLinearBinary(NodeContext &c, Outs &outs) {
  QBuilder q{c};
  if (q.leftover())
    return success();
  Value a = c.input(0), b = c.input(3);
  Value fa = q.dequantize(a, c.input(1), q.zeroPoint(2, a));
  Value fb = q.dequantize(b, c.input(4), q.zeroPoint(5, b));
  return q.quantizeInto(q.op<OpTy>({fa, fb}), 6, a, outs);
}

/// Unary QLinear ops: (X, X_scale, X_zp, Y_scale, Y_zp).
template <typename OpTy>
LogicalResult convertQLinearUnary(NodeContext &c, Outs &outs) {
  QBuilder q{c};
  SmallVector<NamedAttribute> attrs;
  q.move("alpha", attrs); // QLinearLeakyRelu
  if (q.leftover())
    return success();
  Value x = c.input(0);
  Value fx = q.dequantize(x, c.input(1), q.zeroPoint(2, x));
  return q.quantizeInto(q.op<OpTy>({fx}, attrs), 3, x, outs);
}

/// NHWC pooling (channels_last = 1) is not taken: the graph pools are NCHW.
bool channelsFirst(NodeContext &c) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(c.take("channels_last")))
    if (a.getInt() != 0) {
      c.unsupported = "channels_last pooling";
      return false;
    }
  return true;
}

LogicalResult convertQLinearGlobalAveragePool(NodeContext &c, Outs &outs) {
  if (!channelsFirst(c))
    return success();
  return convertQLinearUnary<g::GlobalAveragePoolOp>(c, outs);
}

LogicalResult convertQLinearAveragePool(NodeContext &c, Outs &outs) {
  if (!channelsFirst(c))
    return success();
  QBuilder q{c};
  SmallVector<NamedAttribute> attrs;
  for (StringRef n : {"auto_pad", "ceil_mode", "count_include_pad",
                      "dilations", "kernel_shape", "pads", "strides"})
    q.move(n, attrs);
  if (q.leftover())
    return success();
  Value x = c.input(0);
  Value fx = q.dequantize(x, c.input(1), q.zeroPoint(2, x));
  return q.quantizeInto(q.op<g::AveragePoolOp>({fx}, attrs), 3, x, outs);
}

/// QLinearConcat(Y_scale, Y_zp, X0, X0_scale, X0_zp, X1, ...).
LogicalResult convertQLinearConcat(NodeContext &c, Outs &outs) {
  QBuilder q{c};
  SmallVector<NamedAttribute> attrs;
  q.move("axis", attrs);
  if (q.leftover())
    return success();
  if (c.inputs.size() < 5 || (c.inputs.size() - 2) % 3 != 0)
    return emitError(c.loc) << "expects Y_scale, Y_zero_point and (X, "
                               "X_scale, X_zero_point) triples, got "
                            << c.inputs.size() << " inputs";
  SmallVector<Value> parts;
  for (unsigned i = 2; i < c.inputs.size(); i += 3)
    parts.push_back(
        q.dequantize(c.input(i), c.input(i + 1), q.zeroPoint(i + 2, c.input(i))));
  return q.quantizeInto(q.op<g::ConcatOp>(parts, attrs), 0, c.input(2), outs);
}

/// QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp): C is an i32
/// bias in units of a_scale * b_scale; without y_scale the result is float.
LogicalResult convertQGemm(NodeContext &c, Outs &outs) {
  QBuilder q{c};
  SmallVector<NamedAttribute> attrs;
  for (StringRef n : {"alpha", "transA", "transB"})
    q.move(n, attrs);
  if (q.leftover())
    return success();
  int64_t transB = 0;
  for (NamedAttribute a : attrs) {
    if (a.getName() == "transB")
      transB = cast<IntegerAttr>(a.getValue()).getInt();
    // C is in units of alpha * a_scale * b_scale; only alpha 1 is written.
    if (a.getName() == "alpha" && cast<FloatAttr>(a.getValue()).getValueAsDouble() != 1.0) {
      c.unsupported = "QGemm with alpha other than 1";
      return success();
    }
  }
  Value a = c.input(0), b = c.input(3);
  Value fa = q.dequantize(a, c.input(1), q.zeroPoint(2, a));
  // A per-column b_scale runs along N: B's dim 0 when B is transposed.
  Value fb = q.dequantize(b, c.input(4), q.zeroPoint(5, b), transB ? 0 : 1);
  Value bias = c.imp.none(c.loc);
  if (c.hasInput(6)) {
    // C's scale is a_scale * b_scale (zero point 0), per column with b's;
    // a constant where both are (the QDQ folding reads it).
    Value scale;
    auto as = g::getWeightFloats(c.input(1));
    auto bs = g::getWeightFloats(c.input(4));
    auto bst = dyn_cast<RankedTensorType>(c.input(4).getType());
    if (as && bs && as->size() == 1 && bst && bst.hasStaticShape()) {
      SmallVector<float> prod;
      for (double v : *bs)
        prod.push_back((float)((float)(*as)[0] * (float)v));
      auto t = RankedTensorType::get(bst.getShape(),
                                     c.imp.getBuilder().getF32Type());
      scale = c.imp.constant(
          cast<ElementsAttr>(DenseElementsAttr::get(t, ArrayRef<float>(prod))), c.loc);
    } else {
      scale = q.op<g::MulOp>({c.input(1), c.input(4)});
    }
    bias = q.dequantize(c.input(6), scale, c.imp.none(c.loc), 0);
  }
  Value y = q.op<g::GemmOp>({fa, fb, bias}, attrs);
  return c.hasInput(7) ? q.quantizeInto(y, 7, a, outs) : q.result(y, outs);
}

/// com.microsoft's QuantizeLinear/DequantizeLinear (older onnxruntime
/// writes them there) are the standard ops.
template <typename OpTy>
LogicalResult convertStandardQDQ(NodeContext &c, Outs &outs) {
  QBuilder q{c};
  SmallVector<NamedAttribute> attrs;
  q.move("axis", attrs);
  if (q.leftover())
    return success();
  return q.result(q.op<OpTy>({c.input(0), c.input(1), c.input(2)}, attrs),
                  outs);
}

const llvm::StringMap<ConvertFn> &microsoftTable() {
  static const llvm::StringMap<ConvertFn> table = {
      {"QLinearAdd", convertQLinearBinary<g::AddOp>},
      {"QLinearMul", convertQLinearBinary<g::MulOp>},
      {"QLinearSigmoid", convertQLinearUnary<g::SigmoidOp>},
      {"QLinearLeakyRelu", convertQLinearUnary<g::LeakyReluOp>},
      {"QLinearGlobalAveragePool", convertQLinearGlobalAveragePool},
      {"QLinearAveragePool", convertQLinearAveragePool},
      {"QLinearConcat", convertQLinearConcat},
      {"QGemm", convertQGemm},
      {"QuantizeLinear", convertStandardQDQ<g::QuantizeLinearOp>},
      {"DequantizeLinear", convertStandardQDQ<g::DequantizeLinearOp>},
  };
  return table;
}

} // namespace

ConvertFn mnemo::onnx_import::lookupMicrosoftConverter(StringRef opType) {
  auto it = microsoftTable().find(opType);
  return it == microsoftTable().end() ? nullptr : it->second;
}
