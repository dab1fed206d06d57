//===- Utils.cpp - helpers shared by the graph-to-linalg patterns ---------===//

#include "Utils.h"

#include "mnemo/Support/RunStatus.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "mlir/Dialect/Tensor/Utils/Utils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"

#include <mutex>

using namespace mlir;

namespace mnemo::lowering {

RankedTensorType convertedType(const TypeConverter &tc, Type t) {
  return dyn_cast_or_null<RankedTensorType>(tc.convertType(t));
}

Value scalarConst(OpBuilder &b, Location loc, Type elt, double value) {
  if (auto ft = dyn_cast<FloatType>(elt))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  if (elt.isIndex())
    return arith::ConstantIndexOp::create(b, loc, (int64_t)value);
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(elt, (int64_t)value));
}

static Value extremeValue(OpBuilder &b, Location loc, Type elt,
                          bool isUnsigned, bool highest) {
  if (auto ft = dyn_cast<FloatType>(elt))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(ft, APFloat::getInf(ft.getFloatSemantics(), !highest)));
  unsigned w = elt.getIntOrFloatBitWidth();
  APInt v = isUnsigned || w == 1
                ? (highest ? APInt::getMaxValue(w) : APInt::getMinValue(w))
                : (highest ? APInt::getSignedMaxValue(w)
                           : APInt::getSignedMinValue(w));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elt, v));
}

Value lowestValue(OpBuilder &b, Location loc, Type elt, bool isUnsigned) {
  return extremeValue(b, loc, elt, isUnsigned, /*highest=*/false);
}
Value highestValue(OpBuilder &b, Location loc, Type elt, bool isUnsigned) {
  return extremeValue(b, loc, elt, isUnsigned, /*highest=*/true);
}

static Type signless(Type t) {
  if (auto it = dyn_cast<IntegerType>(t); it && !it.isSignless())
    return IntegerType::get(t.getContext(), it.getWidth());
  return t;
}

Value castScalar(OpBuilder &b, Location loc, Value v, Type from, Type to) {
  Type dst = signless(to);
  if (from == to || signless(from) == dst)
    return v;
  bool srcUnsigned = from.isUnsignedInteger() || from.isInteger(1);
  if (isa<FloatType>(from) && isa<FloatType>(dst)) {
    if (from.getIntOrFloatBitWidth() < dst.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, dst, v);
    return arith::TruncFOp::create(b, loc, dst, v);
  }
  if (isa<FloatType>(dst)) {
    if (srcUnsigned)
      return arith::UIToFPOp::create(b, loc, dst, v);
    return arith::SIToFPOp::create(b, loc, dst, v);
  }
  if (dst.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                   scalarConst(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                                 scalarConst(b, loc, signless(from), 0));
  }
  if (isa<FloatType>(from)) {
    if (to.isUnsignedInteger())
      return arith::FPToUIOp::create(b, loc, dst, v);
    return arith::FPToSIOp::create(b, loc, dst, v);
  }
  unsigned sw = from.getIntOrFloatBitWidth(), dw = dst.getIntOrFloatBitWidth();
  if (sw > dw)
    return arith::TruncIOp::create(b, loc, dst, v);
  if (srcUnsigned)
    return arith::ExtUIOp::create(b, loc, dst, v);
  return arith::ExtSIOp::create(b, loc, dst, v);
}

Value toIndex(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isIndex())
    return v;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

SmallVector<OpFoldResult> mixedSizes(OpBuilder &b, Location loc, Value v) {
  return tensor::getMixedSizes(b, loc, v);
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> s(sizes);
  s.resize(type.getRank(), b.getIndexAttr(1));
  for (auto [i, d] : llvm::enumerate(type.getShape()))
    if (!ShapedType::isDynamic(d))
      s[i] = b.getIndexAttr(d);
  return tensor::EmptyOp::create(b, loc, s, type.getElementType());
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<OpFoldResult> sizes, Value fill) {
  Value empty = emptyTensor(b, loc, type, sizes);
  return linalg::FillOp::create(b, loc, ValueRange{fill}, ValueRange{empty})
      .getResult(0);
}

SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc,
                                         RankedTensorType outType,
                                         ValueRange inputs) {
  int64_t rank = outType.getRank();
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!outType.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(outType.getDimSize(d)));
      continue;
    }
    OpFoldResult size;
    for (Value in : inputs) {
      auto t = cast<RankedTensorType>(in.getType());
      int64_t id = d - (rank - t.getRank());
      if (id < 0 || t.getDimSize(id) == 1)
        continue;
      size = t.isDynamicDim(id)
                 ? OpFoldResult(tensor::DimOp::create(b, loc, in, id).getResult())
                 : OpFoldResult(b.getIndexAttr(t.getDimSize(id)));
      break;
    }
    sizes.push_back(size ? size : b.getIndexAttr(1));
  }
  return sizes;
}

AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType in,
                       RankedTensorType out) {
  int64_t rank = out.getRank(), offset = rank - in.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    bool bcast = in.getDimSize(i) == 1 && out.getDimSize(i + offset) != 1;
    exprs.push_back(bcast ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(i + offset, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// True when a dynamic dim of `in` may have to broadcast at run time: the
/// output has a static size other than 1 there (so `in` is either 1 or that
/// size, and only the run time knows).
static bool mayBroadcastAtRunTime(RankedTensorType in, RankedTensorType out) {
  int64_t off = out.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i)
    if (in.isDynamicDim(i) && !out.isDynamicDim(i + off) &&
        out.getDimSize(i + off) != 1)
      return true;
  return false;
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType outType,
                       ValueRange inputs, BodyFn body,
                       ArrayRef<OpFoldResult> sizes) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outType.getRank();
  Value init = emptyTensor(b, loc, outType,
                           sizes.empty()
                               ? broadcastSizes(b, loc, outType, inputs)
                               : SmallVector<OpFoldResult>(sizes));
  // Inputs whose broadcasting is only known at run time are read with
  // tensor.extract at a selected index instead of through an indexing map.
  SmallVector<Value> mapped;
  SmallVector<AffineMap> maps;
  SmallVector<bool> gathered;
  for (Value in : inputs) {
    auto t = cast<RankedTensorType>(in.getType());
    bool g = mayBroadcastAtRunTime(t, outType);
    gathered.push_back(g);
    if (g)
      continue;
    mapped.push_back(in);
    maps.push_back(broadcastMap(ctx, t, outType));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, mapped, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> scalars;
        unsigned next = 0;
        for (auto [in, g] : llvm::zip(inputs, gathered)) {
          if (!g) {
            scalars.push_back(args[next++]);
            continue;
          }
          auto t = cast<RankedTensorType>(in.getType());
          int64_t off = rank - t.getRank();
          SmallVector<Value> idx;
          for (int64_t i = 0; i < t.getRank(); ++i) {
            Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
            if (t.getDimSize(i) == 1) {
              idx.push_back(zero);
              continue;
            }
            Value iv = linalg::IndexOp::create(nb, nl, i + off);
            if (!t.isDynamicDim(i)) {
              idx.push_back(iv);
              continue;
            }
            Value dim = tensor::DimOp::create(nb, nl, in, i);
            Value one = arith::ConstantIndexOp::create(nb, nl, 1);
            Value isOne = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                                dim, one);
            idx.push_back(arith::SelectOp::create(nb, nl, isOne, zero, iv));
          }
          scalars.push_back(tensor::ExtractOp::create(nb, nl, in, idx));
        }
        Value r = body(nb, nl, scalars);
        linalg::YieldOp::create(nb, nl, r);
      });
  return generic.getResult(0);
}

bool isSmallShapeTensor(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && rt.hasStaticShape() && rt.getNumElements() <= 8 &&
         (isa<IntegerType>(rt.getElementType()) ||
          rt.getElementType().isIndex());
}

SmallVector<Value> extractAll(OpBuilder &b, Location loc, Value t) {
  auto rt = cast<RankedTensorType>(t.getType());
  SmallVector<Value> out;
  for (int64_t i = 0; i < rt.getNumElements(); ++i) {
    SmallVector<Value> idx;
    int64_t rem = i;
    SmallVector<int64_t> digits(rt.getRank());
    for (int64_t d = rt.getRank() - 1; d >= 0; --d) {
      digits[d] = rem % rt.getDimSize(d);
      rem /= rt.getDimSize(d);
    }
    for (int64_t v : digits)
      idx.push_back(arith::ConstantIndexOp::create(b, loc, v));
    out.push_back(tensor::ExtractOp::create(b, loc, t, idx));
  }
  return out;
}

Value broadcastElement(OpBuilder &b, Location loc, Value in,
                       ArrayRef<int64_t> outShape, int64_t linear) {
  auto rt = cast<RankedTensorType>(in.getType());
  int64_t rank = outShape.size(), off = rank - rt.getRank();
  SmallVector<int64_t> digits(rank);
  for (int64_t d = rank - 1; d >= 0; --d) {
    digits[d] = linear % outShape[d];
    linear /= outShape[d];
  }
  SmallVector<Value> idx;
  for (int64_t d = 0; d < rt.getRank(); ++d)
    idx.push_back(arith::ConstantIndexOp::create(
        b, loc, rt.getDimSize(d) == 1 ? 0 : digits[d + off]));
  return tensor::ExtractOp::create(b, loc, in, idx);
}

Value countOver(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes,
                Type elt) {
  Value n = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t a : axes)
    n = arith::MulIOp::create(b, loc, n, tensor::DimOp::create(b, loc, x, a));
  Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), n);
  return castScalar(b, loc, i, b.getI64Type(), elt);
}

Value mulAdd(OpBuilder &b, Location loc, Value x, Value y, Value acc) {
  if (isa<FloatType>(acc.getType())) {
    Value m = arith::MulFOp::create(b, loc, x, y);
    return arith::AddFOp::create(b, loc, acc, m);
  }
  Value m = arith::MulIOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, acc, m);
}

FailureOr<SmallVector<int64_t>> constantAxes(Value axes, int64_t rank,
                                             bool emptyMeansAll) {
  SmallVector<int64_t> out;
  if (!axes || graph::isNone(axes)) {
    if (!emptyMeansAll)
      return out;
  } else {
    auto c = graph::getConstantInts(axes);
    if (!c)
      return failure();
    out = *c;
  }
  if (out.empty() && emptyMeansAll)
    for (int64_t i = 0; i < rank; ++i)
      out.push_back(i);
  for (int64_t &a : out) {
    if (a < -rank || a >= rank)
      return failure();
    if (a < 0)
      a += rank;
  }
  llvm::sort(out);
  out.erase(llvm::unique(out), out.end());
  return out;
}

Value reshapeTensor(OpBuilder &b, Location loc, Value v,
                    RankedTensorType type, ArrayRef<OpFoldResult> sizes) {
  auto src = cast<RankedTensorType>(v.getType());
  if (src == type && src.getRank() <= 1)
    return v;
  // Collapse to 1-D, then expand to the target: both are views after
  // bufferization, and canonicalization folds the pair where it can.
  Type elt = src.getElementType();
  Value flat = v;
  if (src.getRank() != 1) {
    SmallVector<ReassociationIndices> re;
    if (src.getRank() > 0) {
      re.emplace_back();
      for (int64_t i = 0; i < src.getRank(); ++i)
        re.back().push_back(i);
    }
    int64_t n = src.hasStaticShape() ? src.getNumElements() : ShapedType::kDynamic;
    if (src.getRank() == 0)
      flat = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({1}, elt), v, re,
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
    else
      flat = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({n}, elt), v, re);
  }
  if (type.getRank() == 1)
    return flat.getType() == type
               ? flat
               : tensor::CastOp::create(b, loc, type, flat).getResult();
  SmallVector<ReassociationIndices> re;
  if (type.getRank() > 0) {
    re.emplace_back();
    for (int64_t i = 0; i < type.getRank(); ++i)
      re.back().push_back(i);
  }
  if (type.getRank() == 0) {
    auto one = RankedTensorType::get({1}, elt);
    if (flat.getType() != one)
      flat = tensor::CastOp::create(b, loc, one, flat);
    return tensor::CollapseShapeOp::create(b, loc, type, flat, re);
  }
  SmallVector<OpFoldResult> s(sizes);
  s.resize(type.getRank(), b.getIndexAttr(1));
  for (auto [i, d] : llvm::enumerate(type.getShape()))
    if (!ShapedType::isDynamic(d))
      s[i] = b.getIndexAttr(d);
  // A dynamic target dim needs a dynamic source (expand_shape's rule).
  if (!type.hasStaticShape() &&
      cast<RankedTensorType>(flat.getType()).hasStaticShape())
    flat = tensor::CastOp::create(
        b, loc, RankedTensorType::get({ShapedType::kDynamic}, elt), flat);
  // And a static target a static source: its element count is the
  // target's (the shape functions checked it where they could).
  if (type.hasStaticShape() &&
      !cast<RankedTensorType>(flat.getType()).hasStaticShape())
    flat = tensor::CastOp::create(
        b, loc, RankedTensorType::get({type.getNumElements()}, elt), flat);
  return tensor::ExpandShapeOp::create(b, loc, type, flat, re, s);
}

Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    bool keepDims, RankedTensorType outType, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    function_ref<Value(OpBuilder &, Location, Value)> pre) {
  MLIRContext *ctx = b.getContext();
  auto inType = cast<RankedTensorType>(input.getType());
  int64_t rank = inType.getRank();
  llvm::SmallDenseSet<int64_t> reduced(axes.begin(), axes.end());
  SmallVector<OpFoldResult> inSizes = mixedSizes(b, loc, input);
  SmallVector<OpFoldResult> outSizes, keptSizes;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (int64_t d = 0; d < rank; ++d) {
    bool r = reduced.contains(d);
    iters.push_back(r ? utils::IteratorType::reduction
                      : utils::IteratorType::parallel);
    keptSizes.push_back(r ? b.getIndexAttr(1) : inSizes[d]);
    if (r)
      continue;
    outSizes.push_back(inSizes[d]);
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  SmallVector<int64_t> redShape;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced.contains(d))
      redShape.push_back(inType.getDimSize(d));
  auto redType = RankedTensorType::get(redShape, outType.getElementType());
  Value acc = filledTensor(b, loc, redType, outSizes, init);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{redType}, ValueRange{input}, ValueRange{acc}, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = pre ? pre(nb, nl, args[0]) : args[0];
        linalg::YieldOp::create(nb, nl, combine(nb, nl, args[1], x));
      });
  Value r = generic.getResult(0);
  if (!keepDims || redType == outType)
    return r;
  return reshapeTensor(b, loc, r, outType, keptSizes);
}

Value buildGeneric(OpBuilder &b, Location loc, ValueRange ins, Value init,
                   ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iters,
                   BodyFn body) {
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps,
             iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(nb, nl, body(nb, nl, a));
             })
      .getResult(0);
}

Value genericContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         Value init, ArrayRef<AffineMap> maps,
                         ArrayRef<utils::IteratorType> iters) {
  return buildGeneric(
      b, loc, ValueRange{lhs, rhs}, init, maps, iters,
      [](OpBuilder &nb, Location nl, ValueRange a) {
        Value l = a[0], r = a[1];
        Type acc = a[2].getType();
        if (l.getType() != acc)
          l = castScalar(nb, nl, l, l.getType(), acc);
        if (r.getType() != acc)
          r = castScalar(nb, nl, r, r.getType(), acc);
        return mulAdd(nb, nl, l, r, a[2]);
      });
}

namespace {
// One conversion at a time runs on a module; the lock keeps parallel
// compilations in one process (Python) apart.
std::mutex failuresLock;
llvm::DenseMap<mlir::Operation *, std::string> &failures() {
  static llvm::DenseMap<mlir::Operation *, std::string> map;
  return map;
}
} // namespace

mlir::LogicalResult cannotLower(mlir::RewriterBase &rw, mlir::Operation *op,
                                const llvm::Twine &why) {
  {
    std::lock_guard<std::mutex> guard(failuresLock);
    failures()[op] = why.str();
  }
  return rw.notifyMatchFailure(op, why);
}

std::string loweringFailure(mlir::Operation *op) {
  std::lock_guard<std::mutex> guard(failuresLock);
  auto it = failures().find(op);
  return it == failures().end() ? std::string() : it->second;
}

void clearLoweringFailures() {
  std::lock_guard<std::mutex> guard(failuresLock);
  failures().clear();
}

/// A generic over `outType` with no inputs; `body` gets the loop indices.
Value indexGeneric(OpBuilder &b, Location loc, RankedTensorType outType,
                   ArrayRef<OpFoldResult> sizes, ValueRange inputs,
                   ArrayRef<AffineMap> inputMaps,
                   function_ref<Value(OpBuilder &, Location, ValueRange,
                                      ValueRange)>
                       body) {
  int64_t rank = outType.getRank();
  Value init = emptyTensor(b, loc, outType, sizes);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, inputs, ValueRange{init}, maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               SmallVector<Value> ivs;
               for (int64_t d = 0; d < rank; ++d)
                 ivs.push_back(linalg::IndexOp::create(nb, nl, d));
               linalg::YieldOp::create(
                   nb, nl, body(nb, nl, ivs, args.drop_back()));
             })
      .getResult(0);
}

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value clampIndex(OpBuilder &b, Location loc, Value i, Value dim) {
  Value hi = b.createOrFold<arith::SubIOp>(loc, dim, indexConst(b, loc, 1));
  return arith::MaxSIOp::create(b, loc, arith::MinSIOp::create(b, loc, i, hi),
                                indexConst(b, loc, 0));
}

Value inRange(OpBuilder &b, Location loc, Value i, Value dim) {
  return arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, i,
                            indexConst(b, loc, 0)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, dim));
}

/// An index read from an integer tensor element, wrapped when negative.
Value wrapIndex(OpBuilder &b, Location loc, Value v, Value dim) {
  Value i = toIndex(b, loc, v);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i,
                                    indexConst(b, loc, 0));
  return arith::SelectOp::create(b, loc, neg,
                                 arith::AddIOp::create(b, loc, i, dim), i);
}

} // namespace mnemo::lowering

/// `buf` with its dim `axis` cut to the first `count` entries, count
/// clamped to [0, bound], copied into a tensor of its own: a slice of a
/// row-major buffer is strided, and returned as it is, the function
/// boundary's cast to an identity layout would read the wrong elements.
Value mnemo::lowering::boundedSlice(OpBuilder &b, Location loc, Value buf, int64_t axis,
                   Value count, int64_t bound) {
  Value n = arith::MaxSIOp::create(
      b, loc,
      arith::MinSIOp::create(b, loc, count, indexConst(b, loc, bound)),
      indexConst(b, loc, 0));
  auto t = cast<RankedTensorType>(buf.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(t.getRank(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < t.getRank(); ++d)
    sizes.push_back(d == axis ? OpFoldResult(n)
                              : (OpFoldResult)b.getIndexAttr(t.getDimSize(d)));
  Value slice =
      tensor::ExtractSliceOp::create(b, loc, buf, offsets, sizes, strides);
  Value fresh = tensor::EmptyOp::create(b, loc, sizes, t.getElementType());
  return linalg::CopyOp::create(b, loc, slice, fresh).getResult(0);
}

// A thread-local global: runs on different threads do not see each
// other's status.
void mnemo::lowering::storeRunStatus(OpBuilder &b, Location loc, Operation *from,
                                     int32_t code) {
  auto module = from->getParentOfType<ModuleOp>();
  Type i32 = b.getI32Type();
  if (!module.lookupSymbol(kRunStatusGlobal)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    LLVM::GlobalOp::create(b, loc, i32, /*isConstant=*/false,
                           LLVM::Linkage::Internal, kRunStatusGlobal,
                           b.getI32IntegerAttr(0), /*alignment=*/4,
                           /*addrSpace=*/0, /*dsoLocal=*/true,
                           /*thread_local_=*/true);
  }
  Value ptr = LLVM::AddressOfOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext()), kRunStatusGlobal);
  LLVM::StoreOp::create(b, loc, arith::ConstantIntOp::create(b, loc, i32, code),
                        ptr);
}
