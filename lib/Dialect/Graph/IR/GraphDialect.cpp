//===- GraphDialect.cpp - mnemo graph dialect -----------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mnemo::graph;

#include "mnemo/Dialect/Graph/IR/GraphDialect.cpp.inc"

#define GET_OP_CLASSES
#include "mnemo/Dialect/Graph/IR/GraphOps.cpp.inc"

void GraphDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "mnemo/Dialect/Graph/IR/GraphOps.cpp.inc"
      >();
}

Operation *GraphDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  if (isa<UnitAttr>(value) && isa<NoneType>(type))
    return NoneOp::create(builder, loc);
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be 'none' or 'tanh', got '")
           << getApproximate() << "'";
  return success();
}

/// A random op has its shape from exactly one place: `like` or `shape`.
template <typename OpTy>
static LogicalResult verifyRandom(OpTy op) {
  bool hasLike = !isa<NoneType>(op.getLike().getType());
  if (hasLike == op.getShape().has_value())
    return op.emitOpError("needs exactly one of a 'like' input and a shape "
                          "attribute");
  return success();
}

LogicalResult RandomUniformOp::verify() {
  double low = getLow().convertToDouble(), high = getHigh().convertToDouble();
  if (!(low <= high))
    return emitOpError("low ") << low << " is above high " << high;
  return verifyRandom(*this);
}

LogicalResult RandomNormalOp::verify() { return verifyRandom(*this); }

std::string mnemo::graph::getOnnxNodeName(Operation *op) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc); fused && !fused.getLocations().empty())
    loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return "";
}

std::string mnemo::graph::getOnnxOpType(Operation *op) {
  if (auto node = dyn_cast<OnnxNodeOp>(op))
    return node.getOpType().str();
  StringRef mnemonic = op->getName().stripDialect();
  // The ONNX names that are not the CamelCase of their mnemonic (ops that
  // carry one output of an ONNX op name that op).
  StringRef special = llvm::StringSwitch<StringRef>(mnemonic)
                          .Case("matmul", "MatMul")
                          .Case("is_nan", "IsNaN")
                          .Case("gather_nd", "GatherND")
                          .Case("scatter_nd", "ScatterND")
                          .Case("stft", "STFT")
                          .Case("tfidf_vectorizer", "TfIdfVectorizer")
                          .Case("max_pool_indices", "MaxPool")
                          .Case("dropout_mask", "Dropout")
                          .Default("");
  if (!special.empty())
    return special.str();
  std::string out;
  bool upper = true;
  for (char c : mnemonic) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? llvm::toUpper(c) : c);
    upper = false;
  }
  return out;
}

std::string mnemo::graph::symbolicDimName(DictionaryAttr attrs,
                                          StringRef fallback, int64_t dim) {
  auto params = attrs ? attrs.getAs<ArrayAttr>("graph.dim_params") : ArrayAttr();
  if (params && dim < (int64_t)params.size())
    if (auto p = dyn_cast<StringAttr>(params[dim]); p && !p.getValue().empty())
      return p.str();
  auto name = attrs ? attrs.getAs<StringAttr>("graph.name") : StringAttr();
  return (name ? name.getValue() : fallback).str() + "_dim" +
         std::to_string(dim);
}

std::string mnemo::graph::describeOnnxNode(Operation *op) {
  std::string name = getOnnxNodeName(op);
  return "ONNX node '" + (name.empty() ? std::string("?") : name) + "' (" +
         getOnnxOpType(op) + ")";
}
