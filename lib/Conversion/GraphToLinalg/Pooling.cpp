//===- Pooling.cpp - MaxPool, AveragePool and global pools to linalg ------===//
//
// Windowed pools are a linalg.generic over (n, c, out..., window...) whose
// window extent comes from a shape-only kernel operand, as upstream's named
// pooling ops do. ceil_mode extends the end padding so the last windows
// fit; AveragePool divides by the number of counted elements, computed by
// pooling a mask (1 where an element counts) so that padding and ceil_mode
// follow ONNX's count_include_pad rule exactly.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/Dialect/Tensor/Utils/Utils.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

/// Window reduction of the (already padded) `x` into `init`.
Value windowReduce(OpBuilder &b, Location loc, Value x, Value init,
                   ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                   ArrayRef<int64_t> dil, bool isMax, bool isUnsigned) {
  MLIRContext *ctx = b.getContext();
  int64_t sp = kernel.size(), loops = 2 + 2 * sp;
  Type elt = cast<RankedTensorType>(init.getType()).getElementType();
  Value window = tensor::EmptyOp::create(b, loc, kernel, elt);
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> xe = {d(0), d(1)}, ke, oe = {d(0), d(1)};
  for (int64_t i = 0; i < sp; ++i) {
    xe.push_back(d(2 + i) * strides[i] + d(2 + sp + i) * dil[i]);
    ke.push_back(d(2 + sp + i));
    oe.push_back(d(2 + i));
  }
  SmallVector<utils::IteratorType> iters(loops, utils::IteratorType::parallel);
  for (int64_t i = 2 + sp; i < loops; ++i)
    iters[i] = utils::IteratorType::reduction;
  bool isFloat = isa<FloatType>(elt);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{x, window},
             ValueRange{init},
             ArrayRef<AffineMap>{AffineMap::get(loops, 0, xe, ctx),
                                 AffineMap::get(loops, 0, ke, ctx),
                                 AffineMap::get(loops, 0, oe, ctx)},
             iters,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value r;
               if (isMax)
                 r = isFloat ? (Value)arith::MaximumFOp::create(nb, nl, a[0], a[2])
                     : isUnsigned
                         ? (Value)arith::MaxUIOp::create(nb, nl, a[0], a[2])
                         : (Value)arith::MaxSIOp::create(nb, nl, a[0], a[2]);
               else
                 r = isFloat ? (Value)arith::AddFOp::create(nb, nl, a[0], a[2])
                             : (Value)arith::AddIOp::create(nb, nl, a[0], a[2]);
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0);
}

/// A pooling op's window: kernel, strides, dilations and the begin/end
/// pads with auto_pad resolved against the input's static sizes.
struct PoolWindow {
  SmallVector<int64_t> kernel, strides, dil, lo, hi;
};

template <typename OpTy>
FailureOr<PoolWindow> poolWindow(OpTy op, RankedTensorType xT) {
  int64_t sp = xT.getRank() - 2;
  PoolWindow w{intsOr(op.getKernelShape(), sp, 1),
               intsOr(op.getStrides(), sp, 1),
               intsOr(op.getDilations(), sp, 1),
               {},
               {}};
  auto pads = resolvePads(xT, w.kernel, w.strides, w.dil, op.getPads(),
                          op.getAutoPad());
  if (failed(pads))
    return failure();
  w.lo = pads->first;
  w.hi = pads->second;
  return w;
}

template <typename OpTy>
struct PoolPattern : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  static constexpr bool isMax = std::is_same_v<OpTy, g::MaxPoolOp>;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = this->resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!outType || !xT || op->getNumResults() != 1)
      return cannotLower(rw, op, "unranked pooling");
    int64_t sp = xT.getRank() - 2;
    for (int64_t i = 2; i < xT.getRank(); ++i)
      if (xT.isDynamicDim(i) || outType.isDynamicDim(i))
        return cannotLower(rw, op, "dynamic spatial dims");
    FailureOr<PoolWindow> win = poolWindow(op, xT);
    if (failed(win))
      return cannotLower(rw, op, "cannot resolve pads");
    const SmallVector<int64_t> &kernel = win->kernel, &strides = win->strides,
                               &dil = win->dil, &lo = win->lo, &padHi = win->hi;
    // ceil_mode: extra end padding so every output window is in range.
    SmallVector<int64_t> hi = padHi, extra(sp, 0);
    for (int64_t i = 0; i < sp; ++i) {
      int64_t need = (outType.getDimSize(i + 2) - 1) * strides[i] +
                     (kernel[i] - 1) * dil[i] + 1;
      int64_t have = xT.getDimSize(i + 2) + lo[i] + hi[i];
      extra[i] = std::max<int64_t>(0, need - have);
      hi[i] += extra[i];
    }
    Type elt = outType.getElementType();
    bool isUnsigned = isUnsignedInt(origElt(op.getX()));
    Value padValue = isMax ? lowestValue(rw, loc, elt, isUnsigned)
                           : scalarConst(rw, loc, elt, 0);
    Value x = padSpatial(rw, loc, adaptor.getX(), lo, hi, padValue);
    SmallVector<OpFoldResult> sizes = {
        tensor::DimOp::create(rw, loc, adaptor.getX(), 0).getResult(),
        rw.getIndexAttr(outType.getDimSize(1))};
    if (!xT.isDynamicDim(0))
      sizes[0] = rw.getIndexAttr(xT.getDimSize(0));
    for (int64_t i = 0; i < sp; ++i)
      sizes.push_back(rw.getIndexAttr(outType.getDimSize(i + 2)));
    Value init = filledTensor(rw, loc, outType, sizes, padValue);
    Value r = windowReduce(rw, loc, x, init, kernel, strides, dil, isMax,
                           isUnsigned);
    if constexpr (!isMax) {
      if (!isa<FloatType>(elt))
        return cannotLower(rw, op, "integer average pool");
      r = divideByCount(rw, loc, op, r, xT, outType, kernel, strides, dil,
                        lo, padHi, extra);
    }
    rw.replaceOp(op, r);
    return success();
  }

  /// Divides window sums by the counted elements per output position.
  Value divideByCount(OpBuilder &b, Location loc, OpTy op, Value sum,
                      RankedTensorType xT, RankedTensorType outType,
                      ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                      ArrayRef<int64_t> dil, ArrayRef<int64_t> lo,
                      ArrayRef<int64_t> hi, ArrayRef<int64_t> extra) const {
    Type elt = outType.getElementType();
    bool includePad = false;
    if constexpr (!isMax)
      includePad = op.getCountIncludePad();
    bool anyPad = llvm::any_of(lo, [](int64_t v) { return v; }) ||
                  llvm::any_of(hi, [](int64_t v) { return v; }) ||
                  llvm::any_of(extra, [](int64_t v) { return v; });
    bool uniform = !anyPad || (includePad && llvm::all_of(extra, [](int64_t v) {
                                 return v == 0;
                               }));
    if (uniform) {
      int64_t count = 1;
      for (int64_t k : kernel)
        count *= k;
      return buildElementwise(
          b, loc, outType, sum,
          [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
            return arith::DivFOp::create(nb, nl, a[0],
                                         scalarConst(nb, nl, elt, count));
          },
          tensor::getMixedSizes(b, loc, sum));
    }
    // Mask of counted positions over one [1, 1, spatial...] plane.
    int64_t sp = kernel.size();
    SmallVector<int64_t> maskShape = {1, 1}, lo2(lo), hi2(hi);
    for (int64_t i = 0; i < sp; ++i) {
      int64_t dim = xT.getDimSize(i + 2);
      if (includePad) {
        dim += lo[i] + hi[i];
        lo2[i] = 0;
        hi2[i] = extra[i];
      } else {
        hi2[i] = hi[i] + extra[i];
      }
      maskShape.push_back(dim);
    }
    auto maskType = RankedTensorType::get(maskShape, elt);
    Value ones = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(maskType, b.getFloatAttr(elt, 1.0)));
    Value mask = padSpatial(b, loc, ones, lo2, hi2, scalarConst(b, loc, elt, 0));
    SmallVector<int64_t> cShape = {1, 1};
    SmallVector<OpFoldResult> cSizes = {b.getIndexAttr(1), b.getIndexAttr(1)};
    for (int64_t i = 0; i < sp; ++i) {
      cShape.push_back(outType.getDimSize(i + 2));
      cSizes.push_back(b.getIndexAttr(outType.getDimSize(i + 2)));
    }
    auto cType = RankedTensorType::get(cShape, elt);
    Value counts = windowReduce(
        b, loc, mask, filledTensor(b, loc, cType, cSizes, scalarConst(b, loc, elt, 0)),
        kernel, strides, dil, /*isMax=*/false, false);
    return buildElementwise(
        b, loc, outType, ValueRange{sum, counts},
        [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          return arith::DivFOp::create(nb, nl, a[0], a[1]);
        },
        tensor::getMixedSizes(b, loc, sum));
  }
};

/// GlobalAveragePool / GlobalMaxPool: a reduction over the spatial dims.
template <typename OpTy>
struct GlobalPoolPattern : GraphPattern<OpTy> {
  using GraphPattern<OpTy>::GraphPattern;
  static constexpr bool isMax = std::is_same_v<OpTy, g::GlobalMaxPoolOp>;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = this->resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!outType || !xT)
      return cannotLower(rw, op, "unranked pooling");
    Type elt = outType.getElementType();
    if (!isa<FloatType>(elt))
      return cannotLower(rw, op, "integer global pool");
    SmallVector<int64_t> axes;
    for (int64_t i = 2; i < xT.getRank(); ++i)
      axes.push_back(i);
    Value init = isMax ? lowestValue(rw, loc, elt, false)
                       : scalarConst(rw, loc, elt, 0);
    Value r = buildReduction(
        rw, loc, adaptor.getX(), axes, /*keepDims=*/true, outType, init,
        [&](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          if (isMax)
            return arith::MaximumFOp::create(b, l, acc, x);
          return arith::AddFOp::create(b, l, acc, x);
        });
    if (!isMax) {
      Value countF = countOver(rw, loc, adaptor.getX(), axes, elt);
      r = buildElementwise(
          rw, loc, outType, r,
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::DivFOp::create(b, l, a[0], countF);
          },
          tensor::getMixedSizes(rw, loc, r));
    }
    rw.replaceOp(op, r);
    return success();
  }
};

/// MaxPool's indices: per output element a loop over its window, keeping
/// the first strictly greater value's flat offset. Windows reach into the
/// padding only through in-range checks (padding never wins).
struct MaxPoolIndicesPattern : GraphPattern<g::MaxPoolIndicesOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::MaxPoolIndicesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    if (!outType || !xT || !xT.hasStaticShape() || !outType.hasStaticShape())
      return cannotLower(rw, op, "max_pool_indices needs static shapes");
    int64_t r = xT.getRank(), sp = r - 2;
    FailureOr<PoolWindow> win = poolWindow(op, xT);
    if (failed(win))
      return cannotLower(rw, op, "cannot resolve pads");
    const SmallVector<int64_t> &kernel = win->kernel, &strides = win->strides,
                               &dil = win->dil, &lo = win->lo;
    Type elt = xT.getElementType();
    bool isUnsigned = isUnsignedInt(origElt(op.getX()));
    // Flat offsets: row-major, or with storage_order 1 the spatial dims
    // column-major (the batch and channel offsets stay row-major).
    SmallVector<int64_t> stride(r, 1);
    for (int64_t d = r - 2; d >= 0; --d)
      stride[d] = stride[d + 1] * xT.getDimSize(d + 1);
    if (op.getStorageOrder() == 1) {
      int64_t s = 1;
      for (int64_t d = 2; d < r; ++d) {
        stride[d] = s;
        s *= xT.getDimSize(d);
      }
    }
    Value c0 = indexConst(rw, loc, 0), c1 = indexConst(rw, loc, 1);
    SmallVector<Value> lbs(r, c0), ubs, steps(r, c1);
    for (int64_t d = 0; d < r; ++d)
      ubs.push_back(indexConst(rw, loc, outType.getDimSize(d)));
    Value init = tensor::EmptyOp::create(rw, loc, outType.getShape(),
                                         rw.getI64Type());
    scf::LoopNest nest = scf::buildLoopNest(
        rw, loc, lbs, ubs, steps, ValueRange{init},
        [&](OpBuilder &b, Location l, ValueRange out,
            ValueRange acc) -> scf::ValueVector {
          SmallVector<Value> wl(sp, indexConst(b, l, 0)), wu, ws(sp, indexConst(b, l, 1));
          for (int64_t i = 0; i < sp; ++i)
            wu.push_back(indexConst(b, l, kernel[i]));
          Value none = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(-1));
          scf::LoopNest win = scf::buildLoopNest(
              b, l, wl, wu, ws,
              ValueRange{lowestValue(b, l, elt, isUnsigned), none},
              [&](OpBuilder &wb, Location ll, ValueRange k,
                  ValueRange best) -> scf::ValueVector {
                SmallVector<Value> at = {out[0], out[1]};
                Value inside = arith::ConstantOp::create(wb, ll, wb.getBoolAttr(true));
                for (int64_t i = 0; i < sp; ++i) {
                  // out * stride - pad + k * dilation
                  Value p = arith::AddIOp::create(
                      wb, ll,
                      arith::MulIOp::create(wb, ll, out[i + 2], indexConst(wb, ll, strides[i])),
                      arith::MulIOp::create(wb, ll, k[i], indexConst(wb, ll, dil[i])));
                  p = arith::SubIOp::create(wb, ll, p, indexConst(wb, ll, lo[i]));
                  inside = arith::AndIOp::create(
                      wb, ll, inside,
                      inRange(wb, ll, p, indexConst(wb, ll, xT.getDimSize(i + 2))));
                  at.push_back(clampIndex(wb, ll, p, indexConst(wb, ll, xT.getDimSize(i + 2))));
                }
                Value v = tensor::ExtractOp::create(wb, ll, adaptor.getX(), at);
                Value greater =
                    isa<FloatType>(elt)
                        ? (Value)arith::CmpFOp::create(wb, ll, arith::CmpFPredicate::OGT, v, best[0])
                        : (Value)arith::CmpIOp::create(wb, ll,
                                                       isUnsigned ? arith::CmpIPredicate::ugt
                                                                  : arith::CmpIPredicate::sgt,
                                                       v, best[0]);
                Value first = arith::CmpIOp::create(
                    wb, ll, arith::CmpIPredicate::slt, best[1],
                    arith::ConstantOp::create(wb, ll, wb.getI64IntegerAttr(0)));
                Value take = arith::AndIOp::create(
                    wb, ll, inside, arith::OrIOp::create(wb, ll, greater, first));
                Value off = indexConst(wb, ll, 0);
                for (int64_t d = 0; d < r; ++d)
                  off = arith::AddIOp::create(
                      wb, ll, off,
                      arith::MulIOp::create(wb, ll, at[d], indexConst(wb, ll, stride[d])));
                off = arith::IndexCastOp::create(wb, ll, wb.getI64Type(), off);
                return {arith::SelectOp::create(wb, ll, take, v, best[0]),
                        arith::SelectOp::create(wb, ll, take, off, best[1])};
              });
          return {tensor::InsertOp::create(b, l, win.results[1], acc[0], out)};
        });
    rw.replaceOp(op, nest.results[0]);
    return success();
  }
};

} // namespace

void mnemo::populateGraphPoolingToLinalgPatterns(const TypeConverter &tc,
                                                 RewritePatternSet &p) {
  p.add<PoolPattern<g::MaxPoolOp>, PoolPattern<g::AveragePoolOp>,
        GlobalPoolPattern<g::GlobalAveragePoolOp>,
        GlobalPoolPattern<g::GlobalMaxPoolOp>, MaxPoolIndicesPattern>(
      tc, p.getContext());
}
