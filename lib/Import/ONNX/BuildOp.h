//===- BuildOp.h - typed graph op construction for converters --*- C++ -*-===//
//
// Importer::build, the one way converters create typed graph ops; in a
// header so that the converters of every domain (OpConversions.cpp,
// MicrosoftOps.cpp) instantiate it.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_IMPORT_ONNX_BUILDOP_H
#define MNEMO_LIB_IMPORT_ONNX_BUILDOP_H

#include "Importer.h"

#include "mlir/IR/Verifier.h"

namespace mnemo::onnx_import {

/// The number of results of an op without variadic results (0 for one
/// with them).
template <typename OpTy> constexpr unsigned fixedResultCount() {
  using namespace mlir::OpTrait;
  if constexpr (OpTy::template hasTrait<OneResult>())
    return 1;
  else if constexpr (OpTy::template hasTrait<NResults<2>::Impl>())
    return 2;
  else if constexpr (OpTy::template hasTrait<NResults<3>::Impl>())
    return 3;
  else if constexpr (OpTy::template hasTrait<NResults<4>::Impl>())
    return 4;
  else
    return 0;
}

template <typename OpTy>
mlir::LogicalResult Importer::build(NodeContext &ctx, mlir::ValueRange operands,
                              llvm::ArrayRef<mlir::NamedAttribute> attrs,
                              llvm::SmallVectorImpl<mlir::Value> &results) {
  using namespace mlir;
  // An attribute the op does not model would be silently ignored: import the
  // node as generic instead, so it is listed as unsupported.
  ArrayRef<StringRef> known = OpTy::getAttributeNames();
  for (NamedAttribute a : attrs)
    if (!llvm::is_contained(known, a.getName().strref())) {
      ctx.unsupported = ("attribute '" + a.getName().strref() +
                         "' is not supported")
                            .str();
      return success();
    }
  OperationState state(ctx.loc, OpTy::getOperationName());
  state.addOperands(operands);
  state.addAttributes(attrs);
  // An op with a fixed number of results gets all of them even when the
  // node names fewer (its verifier reads each one).
  unsigned numResults = fixedResultCount<OpTy>();
  if (numResults == 0)
    numResults = std::max(1u, ctx.numOutputs);
  state.addTypes(SmallVector<Type>(
      numResults, UnrankedTensorType::get(builder.getF32Type())));
  Operation *op = builder.create(state);
  // Attribute and operand constraints first: the shape function reads them.
  if (failed(cast<OpTy>(op).verifyInvariantsImpl())) {
    op->erase();
    return failure();
  }
  SmallVector<Type> types;
  if (failed(OpTy::inferReturnTypes(ctx.imp.getContext(), ctx.loc,
                                    op->getOperands(), op->getAttrDictionary(),
                                    op->getPropertiesStorage(),
                                    op->getRegions(), types))) {
    op->erase();
    return failure();
  }
  if (types.size() != op->getNumResults()) {
    op->erase();
    return emitError(ctx.loc) << "the op yields " << types.size()
                              << " results but the node names "
                              << ctx.numOutputs << " outputs";
  }
  for (auto [res, t] : llvm::zip(op->getResults(), types))
    res.setType(t);
  if (failed(verify(op))) {
    op->erase();
    return failure();
  }
  SmallVector<Value> folded;
  if (options.foldConstants && succeeded(builder.tryFold(op, folded)) &&
      !folded.empty()) {
    op->erase();
    llvm::append_range(results, folded);
    return success();
  }
  llvm::append_range(results, op->getResults());
  return success();
}

/// The value of a one-element integer (or bool) constant: a trip count,
/// a condition, a position; nullopt when `v` is no such constant.
inline std::optional<int64_t> constantScalar(mlir::Value v) {
  std::optional<llvm::SmallVector<int64_t>> c = graph::getConstantInts(v);
  if (!c || c->size() != 1)
    return std::nullopt;
  return c->front();
}

/// Builds the graph ops one node imports as (a function body, a
/// quantized op's DQ -> op -> Q); the first failure or unsupported form
/// sticks, and every later step yields null.
struct NodeBuilder {
  NodeContext &c;
  mlir::LogicalResult status = mlir::success();

  template <typename OpTy>
  mlir::Value op(mlir::ValueRange operands,
                 llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    if (mlir::failed(status) || !c.unsupported.empty())
      return {};
    llvm::SmallVector<mlir::Value> results;
    status = c.imp.build<OpTy>(c, operands, attrs, results);
    if (mlir::failed(status) || results.empty())
      return {};
    return results.front();
  }

  /// Appends the node's outputs `vs`, unless a step failed or was
  /// unsupported.
  mlir::LogicalResult result(mlir::ValueRange vs,
                             llvm::SmallVectorImpl<mlir::Value> &outs) {
    if (mlir::failed(status) || !c.unsupported.empty())
      return status;
    // A body yields null for an output the op does not define (a node
    // naming more outputs than its definition has).
    if (llvm::is_contained(vs, mlir::Value()))
      return mlir::emitError(c.loc)
             << "the node names " << c.numOutputs
             << " outputs, more than the op defines";
    llvm::append_range(outs, vs);
    return mlir::success();
  }

  /// Takes attribute `name` into `to` if the node has it.
  void move(llvm::StringRef name,
            llvm::SmallVectorImpl<mlir::NamedAttribute> &to) {
    if (mlir::Attribute a = c.take(name))
      to.push_back(c.imp.getBuilder().getNamedAttr(name, a));
  }

  /// Marks the node unsupported if an attribute was left untaken (an
  /// unknown one would change what the node computes).
  bool leftover() {
    if (c.attrs.empty())
      return false;
    c.unsupported = ("attribute '" + c.attrs.front().getName().strref() +
                     "' is not supported")
                        .str();
    return true;
  }

  /// x[from:to] along `axis`.
  mlir::Value slice(mlir::Value x, int64_t axis, int64_t from, int64_t to) {
    auto i64s = [&](int64_t v) { return c.imp.constI64({v}, c.loc); };
    return op<graph::SliceOp>({x, i64s(from), i64s(to), i64s(axis), i64s(1)});
  }

  /// x[i] along `axis`, the axis dropped.
  mlir::Value pick(mlir::Value x, int64_t axis, int64_t i) {
    return op<graph::SqueezeOp>(
        {slice(x, axis, i, i + 1), c.imp.constI64({axis}, c.loc)});
  }

  mlir::NamedAttribute attr(llvm::StringRef name, int64_t v) {
    mlir::Builder &b = c.imp.getBuilder();
    return b.getNamedAttr(name, b.getI64IntegerAttr(v));
  }
};

} // namespace mnemo::onnx_import

#endif // MNEMO_LIB_IMPORT_ONNX_BUILDOP_H
