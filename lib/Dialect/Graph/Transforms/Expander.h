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

} // namespace mnemo::graph

#endif // MNEMO_LIB_DIALECT_GRAPH_TRANSFORMS_EXPANDER_H
