//===- Utils.h - helpers shared by the graph-to-linalg patterns -*- C++ -*-===//
//
// Private to lib/Conversion/GraphToLinalg. Builders for the IR shapes every
// pattern needs: broadcasting linalg.generic ops, filled init tensors, scalar
// constants and signedness-aware scalar casts.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_CONVERSION_GRAPHTOLINALG_UTILS_H
#define MNEMO_LIB_CONVERSION_GRAPHTOLINALG_UTILS_H

#include "mnemo/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mnemo::lowering {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;

/// The converted (signless) ranked type of `t`, or null when `t` is not a
/// ranked tensor.
mlir::RankedTensorType convertedType(const mlir::TypeConverter &tc,
                                     mlir::Type t);
/// Element type of the original (possibly unsigned) tensor value.
inline mlir::Type origElt(mlir::Value v) {
  return mlir::cast<mlir::ShapedType>(v.getType()).getElementType();
}
inline bool isUnsignedInt(mlir::Type elt) { return elt.isUnsignedInteger(); }

/// A scalar constant of (signless) element type `elt`.
mlir::Value scalarConst(mlir::OpBuilder &b, mlir::Location loc, mlir::Type elt,
                        double value);
/// The largest / smallest value of `elt` (infinity for floats), for max/min
/// reductions. `isUnsigned` selects the unsigned range for integers.
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Type elt,
                        bool isUnsigned);
mlir::Value highestValue(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Type elt, bool isUnsigned);

/// Converts scalar `v` from original element type `from` to `to` (both may
/// be unsigned or i1; float->int truncates toward zero as ONNX Cast does).
mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       mlir::Type from, mlir::Type to);
/// Converts an index or integer scalar to `index`.
mlir::Value toIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);

/// Sizes of every dim of `v` (static ones as attributes).
llvm::SmallVector<mlir::OpFoldResult> mixedSizes(mlir::OpBuilder &b,
                                                 mlir::Location loc,
                                                 mlir::Value v);
/// tensor.empty of `type` with dynamic sizes taken from `sizes`.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes);
/// tensor.empty + linalg.fill with `fill`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type,
                         llvm::ArrayRef<mlir::OpFoldResult> sizes,
                         mlir::Value fill);

/// Output sizes of a numpy broadcast of `inputs` into `outType`: static dims
/// from the type, dynamic ones from the first input whose aligned dim is not
/// a static 1 (dynamic dims are assumed not to broadcast at run time).
llvm::SmallVector<mlir::OpFoldResult>
broadcastSizes(mlir::OpBuilder &b, mlir::Location loc,
               mlir::RankedTensorType outType, mlir::ValueRange inputs);
/// Indexing map reading `in` (right-aligned, static size-1 dims broadcast)
/// inside a loop nest of `outRank` parallel dims.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             mlir::RankedTensorType in,
                             mlir::RankedTensorType out);
/// A parallel linalg.generic over `outType` reading `inputs` with numpy
/// broadcasting; `body` maps the input scalars to the output scalar.
/// `sizes`, when given, are the output's sizes (else broadcastSizes).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType outType,
                             mlir::ValueRange inputs, BodyFn body,
                             llvm::ArrayRef<mlir::OpFoldResult> sizes = {});
/// A generic over `outType` reading `inputs` through `inputMaps`; `body`
/// gets the loop indices and the inputs' elements.
mlir::Value indexGeneric(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType outType,
    llvm::ArrayRef<mlir::OpFoldResult> sizes, mlir::ValueRange inputs,
    llvm::ArrayRef<mlir::AffineMap> inputMaps,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange, mlir::ValueRange)>
        body);
/// The index constant `v`.
mlir::Value indexConst(mlir::OpBuilder &b, mlir::Location loc, int64_t v);
/// Index `i` clamped into [0, dim - 1], so a read through it stays inside.
mlir::Value clampIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value i,
                       mlir::Value dim);
/// Whether index `i` lies in [0, dim).
mlir::Value inRange(mlir::OpBuilder &b, mlir::Location loc, mlir::Value i,
                    mlir::Value dim);
/// An index read from an integer tensor element, wrapped when negative.
mlir::Value wrapIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      mlir::Value dim);
/// A one-result linalg.generic writing into `init`; `body` maps the block
/// arguments (the inputs' elements, then the init's) to the yielded value.
mlir::Value buildGeneric(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::ValueRange ins, mlir::Value init,
                         llvm::ArrayRef<mlir::AffineMap> maps,
                         llvm::ArrayRef<mlir::utils::IteratorType> iters,
                         BodyFn body);
/// A linalg.generic contraction out[...] += a[...] * b[...] (operands cast
/// to the accumulator's type).
mlir::Value genericContraction(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value lhs, mlir::Value rhs,
                               mlir::Value init,
                               llvm::ArrayRef<mlir::AffineMap> maps,
                               llvm::ArrayRef<mlir::utils::IteratorType> iters);
/// Multiply-accumulate body for contractions (float or integer).
mlir::Value mulAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                   mlir::Value y, mlir::Value acc);

/// `v` reshaped (same element count, row-major) to `type`; `sizes` gives
/// the target's dynamic sizes. Lowers to collapse_shape/expand_shape views.
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value v, mlir::RankedTensorType type,
                          llvm::ArrayRef<mlir::OpFoldResult> sizes);

/// Normalized, sorted reduction axes of a constant `axes` operand.
llvm::FailureOr<llvm::SmallVector<int64_t>>
constantAxes(mlir::Value axes, int64_t rank, bool emptyMeansAll);

/// Reduces `input` over `axes` with `combine(acc, x)`, starting from `init`;
/// the result keeps the reduced dims as size 1 when `keepDims`. `outType` is
/// the converted result type. `pre` (optional) maps each element first.
mlir::Value buildReduction(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
    llvm::ArrayRef<int64_t> axes, bool keepDims, mlir::RankedTensorType outType,
    mlir::Value init,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value, mlir::Value)>
        combine,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value)>
        pre = nullptr);

/// `axis` (possibly negative, as ONNX allows) in [0, rank). ODS returns
/// I64Attr values as uint64_t, hence the signed cast here.
inline int64_t normalizedAxis(uint64_t axis, int64_t rank) {
  int64_t a = (int64_t)axis;
  return a < 0 ? a + rank : a;
}

/// The number of elements of `x` over `axes`, as a scalar of `elt`
/// (computed from the run-time dims).
mlir::Value countOver(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                      llvm::ArrayRef<int64_t> axes, mlir::Type elt);

/// Static values of a constant integer operand of the original op.
inline std::optional<llvm::SmallVector<int64_t>> constInts(mlir::Value v) {
  return mnemo::graph::getConstantInts(v);
}

/// Begin/end pads per spatial dim of an NC... tensor, resolving auto_pad
/// against static input sizes (Conv and pooling).
llvm::FailureOr<
    std::pair<llvm::SmallVector<int64_t>, llvm::SmallVector<int64_t>>>
resolvePads(mlir::RankedTensorType in, llvm::ArrayRef<int64_t> kernel,
            llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations,
            std::optional<mlir::ArrayAttr> padsAttr, llvm::StringRef autoPad);
/// The integers of an optional array attribute, or `n` copies of `dflt`.
llvm::SmallVector<int64_t> intsOr(std::optional<mlir::ArrayAttr> attr,
                                  size_t n, int64_t dflt);
/// Pads the spatial dims (2..) of `x` with the scalar `value`.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                       llvm::ArrayRef<int64_t> lo, llvm::ArrayRef<int64_t> hi,
                       mlir::Value value);

/// tensor.extract of `t` at constant indices.
mlir::Value extractScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Value t,
                          llvm::ArrayRef<int64_t> idx);
/// The first element of a tensor of any rank (a scalar operand).
mlir::Value firstElement(mlir::OpBuilder &b, mlir::Location loc, mlir::Value t);
/// The first `n` elements of a 1-D integer operand as index values:
/// constants when the original operand `orig` is constant, else extracted
/// from its converted value `conv` at run time.
llvm::SmallVector<mlir::Value> indexValues(mlir::OpBuilder &b,
                                           mlir::Location loc, mlir::Value orig,
                                           mlir::Value conv, int64_t n);

/// `buf` with its dim `axis` cut to the first `count` (index) entries,
/// count clamped to [0, bound] so the memory planner's size bounds read
/// `bound`, copied into a tensor of its own: a slice of a row-major buffer
/// is strided, and returned as it is, the function boundary's cast to an
/// identity layout would read the wrong elements.
mlir::Value boundedSlice(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value buf, int64_t axis, mlir::Value count,
                         int64_t bound);

/// Stores `code` into the module's run status (Support/RunStatus.h), a
/// thread-local i32 global made on first use, which the CPU ABI clears
/// before the run and returns after it.
void storeRunStatus(mlir::OpBuilder &b, mlir::Location loc,
                    mlir::Operation *from, int32_t code);

/// Pattern groups of the data-movement lowering (Shape.cpp, DataMovement.cpp).
void populateShapePatterns(const mlir::TypeConverter &tc,
                           mlir::RewritePatternSet &p);
void populateDataMovementPatterns(const mlir::TypeConverter &tc,
                                  mlir::RewritePatternSet &p);
/// Resize and CumSum (Gathers.cpp).
/// NonZero, Compress, NonMaxSuppression, Unique: outputs sized by the data,
/// bounded by the inputs (DataDependent.cpp).
void populateDataDependentPatterns(const mlir::TypeConverter &tc,
                                   mlir::RewritePatternSet &p);
/// Det: Gaussian elimination with partial pivoting (Det.cpp).
void populateDetPatterns(const mlir::TypeConverter &tc,
                         mlir::RewritePatternSet &p);
/// STFT as one contraction with constant DFT tables (Spectral.cpp).
void populateSpectralPatterns(const mlir::TypeConverter &tc,
                              mlir::RewritePatternSet &p);
/// RoiAlign: bilinear samples per bin in scf loops (RoiAlign.cpp).
void populateRoiAlignPatterns(const mlir::TypeConverter &tc,
                              mlir::RewritePatternSet &p);
/// TfIdfVectorizer: n-gram counts over constant pool tables (TfIdf.cpp).
void populateTfIdfPatterns(const mlir::TypeConverter &tc,
                           mlir::RewritePatternSet &p);
void populateTopKPatterns(const mlir::TypeConverter &tc,
                          mlir::RewritePatternSet &p);
void populateScatterPatterns(const mlir::TypeConverter &tc,
                             mlir::RewritePatternSet &p);
void populateResizePatterns(const mlir::TypeConverter &tc,
                            mlir::RewritePatternSet &p);
/// ConvTranspose (Gathers.cpp).
void populateConvTransposePatterns(const mlir::TypeConverter &tc,
                                   mlir::RewritePatternSet &p);

/// The counter-based generator behind dropout and the random ops
/// (Random.cpp): splitmix64 of (seed, the row-major index of `ivs` in a
/// tensor of `sizes`), an i64.
mlir::Value counterHash(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::ValueRange ivs,
                        llvm::ArrayRef<mlir::OpFoldResult> sizes,
                        uint64_t seed);
/// The top `width` bits of a counterHash as a float of `type` in [0, 1).
mlir::Value unitFromHash(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value hash, unsigned width,
                         mlir::FloatType type);
/// RandomUniform and RandomNormal (Random.cpp).
void populateRandomPatterns(const mlir::TypeConverter &tc,
                            mlir::RewritePatternSet &p);

/// graph.attention as a tiled online softmax (Attention.cpp).
void populateAttentionPatterns(const mlir::TypeConverter &tc,
                               mlir::RewritePatternSet &p);

/// graph.kv_cache_write/read as in-place slices of the cache (KVCache.cpp).
void populateKVCachePatterns(const mlir::TypeConverter &tc,
                             mlir::RewritePatternSet &p);

/// Shape arithmetic (Shape -> Gather -> Add -> Concat -> Reshape) runs on
/// small static integer tensors. Lowering those to scalar arith ops over
/// tensor.from_elements lets canonicalization fold them into the index
/// values of the dims they describe, which keeps dynamic sizes analyzable.
bool isSmallShapeTensor(mlir::Type t);
/// All elements of a static tensor, row-major.
llvm::SmallVector<mlir::Value> extractAll(mlir::OpBuilder &b,
                                          mlir::Location loc, mlir::Value t);
/// The element of `in` read at linear index `linear` of a numpy broadcast
/// into `outShape`.
mlir::Value broadcastElement(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value in, llvm::ArrayRef<int64_t> outShape,
                             int64_t linear);

/// Base for patterns on one graph op with the converter's adaptor.
template <typename OpTy>
struct GraphPattern : public mlir::OpConversionPattern<OpTy> {
  using mlir::OpConversionPattern<OpTy>::OpConversionPattern;
  mlir::RankedTensorType resultType(OpTy op, unsigned i = 0) const {
    return convertedType(*this->getTypeConverter(), op->getResult(i).getType());
  }
};

/// Fails the match of a pattern for `op` with `why`, and records `why` so
/// the pass can say it: when a dialect conversion fails, the driver drops
/// the patterns' match-failure reasons (ConversionConfig::listener hears
/// nothing of a failed conversion), and "cannot lower this node" alone
/// does not tell a user which operand, attribute or shape was the problem.
mlir::LogicalResult cannotLower(mlir::RewriterBase &rw, mlir::Operation *op,
                                const llvm::Twine &why);
/// The last reason recorded for `op` ("" when none).
std::string loweringFailure(mlir::Operation *op);
/// Forgets the reasons (before and after a conversion: ops are freed).
void clearLoweringFailures();

} // namespace mnemo::lowering

#endif // MNEMO_LIB_CONVERSION_GRAPHTOLINALG_UTILS_H
