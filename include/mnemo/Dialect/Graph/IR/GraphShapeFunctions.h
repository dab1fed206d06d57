//===- GraphShapeFunctions.h - shared graph shape functions -----*- C++ -*-===//
//
// Shape functions shared by several graph ops, and helpers for reading
// compile-time constant operands (axes, shapes, pads, ...).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DIALECT_GRAPH_IR_GRAPHSHAPEFUNCTIONS_H
#define MNEMO_DIALECT_GRAPH_IR_GRAPHSHAPEFUNCTIONS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeRange.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include <optional>

namespace mnemo::graph {

/// Signature shared by every shape function.
#define MNEMO_SHAPE_FN(name)                                                   \
  llvm::LogicalResult name(std::optional<mlir::Location> loc,                  \
                           mlir::ValueRange operands,                          \
                           mlir::DictionaryAttr attrs,                         \
                           llvm::SmallVectorImpl<mlir::Type> &types)

MNEMO_SHAPE_FN(inferSameAsFirst);
MNEMO_SHAPE_FN(inferSameAsFirstWithAxis);
MNEMO_SHAPE_FN(inferSameShapeBool);
MNEMO_SHAPE_FN(inferBroadcastSameElement);
MNEMO_SHAPE_FN(inferBroadcastFirstElement);
MNEMO_SHAPE_FN(inferBroadcastBool);
MNEMO_SHAPE_FN(inferReduce);
MNEMO_SHAPE_FN(inferArgReduce);
MNEMO_SHAPE_FN(inferGlobalPool);

/// True when each `actual` type is `inferred` or a more static refinement of
/// it, or the other way round (types stay compatible while a rewrite refines
/// them one op at a time).
bool areRefinedTypes(mlir::TypeRange inferred, mlir::TypeRange actual);

/// The values of an integer constant operand (graph.constant or any op that
/// folds to an integer elements attribute); nullopt when not constant.
/// Inline constants only: shape functions and folds read small operands
/// (shapes, axes, bounds) and leave weights alone.
std::optional<llvm::SmallVector<int64_t>> getConstantInts(mlir::Value v);
/// Same for floating-point constants.
std::optional<llvm::SmallVector<double>> getConstantFloats(mlir::Value v);
/// getConstantInts / getConstantFloats that also read resource blobs (the
/// importer's out-of-line weights): for passes that rewrite weights
/// themselves (quantized biases, per-channel scales, weights dequantized
/// at compile time).
std::optional<llvm::SmallVector<int64_t>> getWeightInts(mlir::Value v);
std::optional<llvm::SmallVector<double>> getWeightFloats(mlir::Value v);
/// The elements of a small integer tensor (at most 0-D or 1-D) as far as
/// they are known at compile time: a shape computation's values, with
/// mlir::ShapedType::kDynamic for the unknown ones. Exporters build
/// Reshape/Expand targets from Shape, Gather, Unsqueeze, Concat and
/// arithmetic on them; a symbolic dim makes the whole target non-constant,
/// while most of its entries (the batch of 1, the heads, the head size)
/// are known. Nullopt when not even the length is.
std::optional<llvm::SmallVector<int64_t>> getPartialInts(mlir::Value v);
/// True when `v` is an inline constant whose elements are all zero.
bool isConstantZero(mlir::Value v);
/// True when `v` is a graph.none value (an omitted optional input).
bool isNone(mlir::Value v);

/// Element type of a tensor-typed value.
/// The element type of a tensor value; null for anything else (an omitted
/// optional input is a graph.none).
mlir::Type elementTypeOf(mlir::Value v);

/// The largest rank a shape computed from an operand may have: a shape
/// input declaring 2^40 dims is a broken model, not a tensor to allocate.
inline constexpr int64_t kMaxRank = 1024;

/// The default of --max-tensor-bytes: the most bytes one tensor of a model
/// may hold. Sizes come from untrusted models; a 2^40-element shape is a
/// broken model, and the compiler must say so before allocating anything.
inline constexpr int64_t kDefaultMaxTensorBytes = int64_t(16) << 30;

/// The bytes a tensor type's static dims hold (dynamic dims count as 1,
/// bools as one byte); nullopt when the count overflows 64 bits, and 0 for
/// anything that is not a ranked tensor of ints or floats.
std::optional<int64_t> staticTensorBytes(mlir::Type t);

/// Fails with a diagnostic at `loc` naming `what` when `t` holds more than
/// `limit` bytes (or its size overflows).
llvm::LogicalResult checkTensorBytes(mlir::Location loc, mlir::Type t,
                                     int64_t limit, llvm::StringRef what);

/// The limit for the module holding `op`: its `graph.max_tensor_bytes`
/// attribute (the driver's --max-tensor-bytes), else the default.
int64_t maxTensorBytesFor(mlir::Operation *op);

/// Normalizes `axis` into [0, rank), or fails with a diagnostic at `loc`.
llvm::FailureOr<int64_t> normalizeAxis(std::optional<mlir::Location> loc,
                                       int64_t axis, int64_t rank);

/// Re-runs `op`'s shape function on its current operands and attributes.
llvm::LogicalResult inferResultTypes(mlir::Operation *op,
                                     llvm::SmallVectorImpl<mlir::Type> &types);

/// Creates the graph op `name` from `operands` and `attrs` through an
/// OperationState (so its default-valued attributes are set, which ODS's
/// type-inferring builders do not do before inferring), then types its
/// `numResults` results with its shape function. When that fails the op
/// is erased and null returned.
mlir::Operation *createInferred(mlir::OpBuilder &b, mlir::Location loc,
                                llvm::StringRef name, mlir::ValueRange operands,
                                llvm::ArrayRef<mlir::NamedAttribute> attrs,
                                unsigned numResults = 1);

/// The window attributes a convolution-like op carries (auto_pad,
/// dilations, group, kernel_shape, pads, strides), for building another
/// convolution over the same window.
llvm::SmallVector<mlir::NamedAttribute> convWindowAttrs(mlir::Operation *conv);

/// Whether a MatMulInteger of these operands lowers straight from the
/// 8-bit tensors (the weight form: A of rank >= 2 against a 2-D B, A's zero
/// point per tensor, B's per tensor or per column); other forms are
/// expanded into a MatMul of widened operands.
bool isDirectMatMulInteger(mlir::Value a, mlir::Value b, mlir::Value aZeroPoint,
                           mlir::Value bZeroPoint);

/// Numpy broadcasting of shapes; fails (with a diagnostic at `loc`) when two
/// static dims differ and neither is 1.
llvm::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(std::optional<mlir::Location> loc,
                llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

} // namespace mnemo::graph

#endif // MNEMO_DIALECT_GRAPH_IR_GRAPHSHAPEFUNCTIONS_H
