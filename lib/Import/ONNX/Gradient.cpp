//===- Gradient.cpp - ai.onnx.preview.training Gradient -------------------===//
//
// Gradient(xs...) <xs, y> is the derivative of the graph's value `y` with
// respect to the graph values named by `xs`, with dy = 1. The importer has
// built every op up to the node, so reverse-mode differentiation walks the
// block backwards from y's producer, accumulating each value's gradient
// into its operands. Elementwise Add, Sub, Mul, Div, Neg and Identity on
// operands of the result's shape are differentiated; any other op on a
// path from xs to y makes the node unsupported (listed by name).
//
//===----------------------------------------------------------------------===//

#include "BuildOp.h"

#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::onnx_import;
namespace g = mnemo::graph;

LogicalResult mnemo::onnx_import::convertGradient(NodeContext &c,
                                                  SmallVectorImpl<Value> &outs) {
  NodeBuilder f{c};
  auto xsAttr = dyn_cast_or_null<ArrayAttr>(c.take("xs"));
  auto yAttr = dyn_cast_or_null<StringAttr>(c.take("y"));
  if (c.take("zs")) {
    c.unsupported = "zs (gradients with other inputs held fixed)";
    return success();
  }
  if (f.leftover())
    return success();
  if (!xsAttr || !yAttr)
    return emitError(c.loc) << "needs the attributes 'xs' and 'y'";
  Value y = c.imp.lookupValue(yAttr.getValue());
  if (!y)
    return emitError(c.loc) << "y '" << yAttr.getValue()
                            << "' is not a tensor defined before the node";
  SmallVector<Value> xs;
  for (Attribute a : xsAttr) {
    Value x = c.imp.lookupValue(cast<StringAttr>(a).getValue());
    if (!x)
      return emitError(c.loc) << "xs names '" << cast<StringAttr>(a).getValue()
                              << "', not a tensor defined before the node";
    xs.push_back(x);
  }
  if (xs.size() < c.numOutputs)
    return emitError(c.loc) << "has " << c.numOutputs << " outputs for "
                            << xs.size() << " xs";

  // The values that depend on an x: only ops among them need derivatives.
  llvm::SetVector<Value> depends(xs.begin(), xs.end());
  Block *block = c.imp.getBuilder().getInsertionBlock();
  for (Operation &op : *block)
    if (llvm::any_of(op.getOperands(),
                     [&](Value v) { return depends.contains(v); }))
      depends.insert(op.result_begin(), op.result_end());

  Type elt = g::elementTypeOf(y);
  auto ones = [&](Value like) {
    return f.op<g::ConstantOfShapeOp>(
        {f.op<g::ShapeOp>({like})},
        {c.imp.getBuilder().getNamedAttr(
            "value", DenseElementsAttr::get(RankedTensorType::get({1}, elt),
                                            FloatAttr::get(elt, 1.0)))});
  };
  llvm::DenseMap<Value, Value> grad;
  auto accumulate = [&](Value v, Value d) {
    if (!depends.contains(v))
      return;
    Value &slot = grad[v];
    slot = slot ? f.op<g::AddOp>({slot, d}) : d;
  };
  grad[y] = ones(y);
  // Ops in reverse order, from y's producer back (the block holds only
  // ops before the node).
  SmallVector<Operation *> ops;
  for (Operation &op : *block)
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    if (op->getNumResults() != 1)
      continue;
    auto it = grad.find(op->getResult(0));
    if (it == grad.end())
      continue;
    Value d = it->second;
    Type rt = op->getResult(0).getType();
    for (Value v : op->getOperands())
      if (depends.contains(v) && v.getType() != rt) {
        c.unsupported = "the derivative of a broadcasting " +
                        g::getOnnxOpType(op);
        return success();
      }
    if (isa<g::AddOp, g::IdentityOp>(op)) {
      for (Value v : op->getOperands())
        accumulate(v, d);
    } else if (isa<g::SubOp>(op)) {
      accumulate(op->getOperand(0), d);
      accumulate(op->getOperand(1), f.op<g::NegOp>({d}));
    } else if (isa<g::NegOp>(op)) {
      accumulate(op->getOperand(0), f.op<g::NegOp>({d}));
    } else if (isa<g::MulOp>(op)) {
      Value a = op->getOperand(0), b = op->getOperand(1);
      accumulate(a, f.op<g::MulOp>({d, b}));
      accumulate(b, f.op<g::MulOp>({d, a}));
    } else if (isa<g::DivOp>(op)) {
      Value a = op->getOperand(0), b = op->getOperand(1);
      accumulate(a, f.op<g::DivOp>({d, b}));
      // d(a/b)/db = -a / b^2
      accumulate(b, f.op<g::NegOp>({f.op<g::DivOp>(
                        {f.op<g::MulOp>({d, a}), f.op<g::MulOp>({b, b})})}));
    } else if (!isa<g::ConstantOp>(op)) {
      c.unsupported = "the derivative of " + g::getOnnxOpType(op);
      return success();
    }
    if (failed(f.status))
      return failure();
  }
  SmallVector<Value> results;
  for (Value x : xs) {
    Value d = grad.lookup(x);
    // An x that y does not depend on: zeros.
    results.push_back(d ? d : f.op<g::SubOp>({ones(x), ones(x)}));
  }
  results.resize(std::max(1u, c.numOutputs));
  return f.result(results, outs);
}
