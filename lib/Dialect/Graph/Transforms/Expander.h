//===- Expander.h - building graph ops in quantization rewrites -*- C++ -*-===//
//
// The rewrites of the quantization ops (graph-expand-quantized,
// graph-fold-qdq) build chains of graph ops typed by their shape functions;
// the first op that cannot be typed makes the whole rewrite fail.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_DIALECT_GRAPH_TRANSFORMS_EXPANDER_H
#define MNEMO_LIB_DIALECT_GRAPH_TRANSFORMS_EXPANDER_H

#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/IR/PatternMatch.h"

namespace mnemo::graph {

/// Builds graph ops with inferred result types at one location.
struct Expander {
  mlir::PatternRewriter &b;
  mlir::Location loc;
  /// Set when a built op could not be typed (its shape function said why);
  /// the pattern then fails and leaves the quantization op in place.
  bool failed = false;
  /// A pattern that only tries a rewrite (graph-fold-qdq) fails quietly;
  /// one that must rewrite (graph-expand-quantized) reports the op.
  bool quiet = false;

  /// The graph op typed by its shape function (g::createInferred); when it
  /// cannot be typed, the error is reported once and `failed` set.
  template <typename OpTy>
  mlir::Value op(mlir::ValueRange operands, mlir::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    if (mlir::Operation *created = createInferred(b, loc, OpTy::getOperationName(),
                                               operands, attrs))
      return created->getResult(0);
    if (!failed && !quiet)
      mlir::emitError(loc) << "cannot build " << OpTy::getOperationName()
                     << " for this quantization op (operand shapes)";
    failed = true;
    return operands.front();
  }

  mlir::Value none() { return NoneOp::create(b, loc); }

  /// Replaces `op` with what was built, unless a part could not be typed
  /// (then `op` stays and the pass reports it).
  mlir::LogicalResult replace(mlir::Operation *op, mlir::ValueRange values) {
    if (failed)
      return b.notifyMatchFailure(op, "a part could not be typed");
    b.replaceOp(op, values);
    return mlir::success();
  }

  mlir::Value constant(mlir::Type elt, double v) {
    auto t = mlir::RankedTensorType::get({}, elt);
    mlir::Attribute a = isa<mlir::FloatType>(elt)
                      ? (mlir::Attribute)mlir::FloatAttr::get(elt, v)
                      : (mlir::Attribute)mlir::IntegerAttr::get(elt, (int64_t)v);
    return ConstantOp::create(b, loc, mlir::DenseElementsAttr::get(t, a));
  }

  mlir::Value cast(mlir::Value v, mlir::Type elt) {
    if (elementTypeOf(v) == elt)
      return v;
    return op<CastOp>(v, b.getNamedAttr("to", mlir::TypeAttr::get(elt)));
  }

  /// A scalar or 1-D quantization parameter, shaped to broadcast against a
  /// rank-`rank` tensor along `axis` ([n] -> [1, .., n, .., 1]). Scalars,
  /// an absent zero point (none) and a last-axis parameter pass through.
  mlir::Value alongAxis(mlir::Value p, int64_t rank, int64_t axis) {
    auto t = dyn_cast<mlir::RankedTensorType>(p.getType());
    if (!t || t.getRank() != 1 || rank <= 1 || axis == rank - 1)
      return p;
    if (axis < 0)
      axis += rank;
    mlir::SmallVector<int64_t> shape(rank, 1);
    shape[axis] = -1;
    auto st = mlir::RankedTensorType::get({rank}, b.getI64Type());
    mlir::Value s = ConstantOp::create(
        b, loc, mlir::DenseElementsAttr::get(st, mlir::ArrayRef<int64_t>(shape)));
    return op<ReshapeOp>({p, s});
  }

  /// An integer tensor widened to i32 minus its zero point (none: 0).
  mlir::Value centered(mlir::Value x, mlir::Value zp) {
    mlir::Value wide = cast(x, b.getI32Type());
    if (isNone(zp))
      return wide;
    return op<SubOp>({wide, cast(zp, b.getI32Type())});
  }

  /// saturate(round_half_even(v) + zp) into zp's 8-bit type; v is float.
  mlir::Value requantize(mlir::Value v, mlir::Value zp, mlir::Type outElt) {
    mlir::Type f = elementTypeOf(v);
    mlir::Value r = op<RoundOp>(v);
    if (!isNone(zp))
      r = op<AddOp>({r, cast(zp, f)});
    bool isUnsigned = outElt.isUnsignedInteger();
    r = op<ClipOp>({r, constant(f, isUnsigned ? 0 : -128),
                       constant(f, isUnsigned ? 255 : 127)});
    return cast(r, outElt);
  }

  int64_t rankOf(mlir::Value v) {
    auto t = dyn_cast<mlir::RankedTensorType>(v.getType());
    return t ? t.getRank() : -1;
  }
};

/// The values of a DequantizeLinear of constants, (x - zp) * scale per
/// element with per-axis scales and zero points; computed in double, which
/// rounds to the same f32 as ONNX's f32 arithmetic (the product of two f32
/// values is exact in double). nullopt when an operand is not a constant
/// or a per-axis parameter does not match the axis (a 1-D tensor's axis is
/// its only one).
inline std::optional<llvm::SmallVector<double>>
dequantizedConstant(DequantizeLinearOp d) {
  auto xt = llvm::dyn_cast<mlir::RankedTensorType>(d.getX().getType());
  auto x = getWeightInts(d.getX());
  auto s = getWeightFloats(d.getXScale());
  std::optional<llvm::SmallVector<int64_t>> zp =
      isNone(d.getXZeroPoint()) ? llvm::SmallVector<int64_t>{0}
                                : getWeightInts(d.getXZeroPoint());
  if (!xt || !xt.hasStaticShape() || !x || !s || !zp || s->empty() ||
      zp->empty())
    return std::nullopt;
  // Elements per step of the axis, and the axis length.
  int64_t rank = xt.getRank();
  int64_t axis = rank == 1 ? 0 : d.getAxis() < 0 ? d.getAxis() + rank
                                                 : d.getAxis();
  int64_t inner = 1, len = 1;
  if (s->size() > 1 || zp->size() > 1) {
    if (axis < 0 || axis >= rank || xt.getDimSize(axis) != (int64_t)s->size() ||
        (zp->size() > 1 && zp->size() != s->size()))
      return std::nullopt;
    len = xt.getDimSize(axis);
    for (int64_t i = axis + 1; i < rank; ++i)
      inner *= xt.getDimSize(i);
  }
  llvm::SmallVector<double> out;
  out.reserve(x->size());
  for (size_t i = 0; i < x->size(); ++i) {
    size_t c = len > 1 ? (i / inner) % len : 0;
    int64_t z = (*zp)[zp->size() > 1 ? c : 0];
    double scale = (float)(*s)[s->size() > 1 ? c : 0];
    out.push_back((double)((*x)[i] - z) * scale);
  }
  return out;
}

} // namespace mnemo::graph

#endif // MNEMO_LIB_DIALECT_GRAPH_TRANSFORMS_EXPANDER_H
