//===- Contraction.cpp - MatMul, Gemm and Conv to linalg ------------------===//
//
// Plain 2-D and batched products become linalg.matmul / batch_matmul (and
// N-d x 2-D folds the batch into M) so the CPU pipeline can tile and
// vectorize named ops; transposed or batch-broadcast products become a
// linalg.generic contraction. 2-D convolutions use conv_2d_nchw_fchw and
// depthwise_conv_2d_nchw_chw; grouped and 1-D/3-D ones a generic
// convolution. Bias initializes the accumulator.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mnemo/Dialect/Graph/IR/Einsum.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

RankedTensorType withShape(ArrayRef<int64_t> shape, Type elt) {
  return RankedTensorType::get(shape, elt);
}

/// Numpy matmul: 1-D operands are promoted, batch dims broadcast.
struct MatMulPattern : GraphPattern<g::MatMulOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = resultType(op);
    auto aT = dyn_cast<RankedTensorType>(adaptor.getA().getType());
    auto bT = dyn_cast<RankedTensorType>(adaptor.getB().getType());
    if (!outType || !aT || !bT)
      return cannotLower(rw, op, "unranked operands");
    Type elt = outType.getElementType();
    Value a = adaptor.getA(), bv = adaptor.getB();
    // Promote 1-D operands to matrices.
    if (aT.getRank() == 1) {
      aT = withShape({1, aT.getDimSize(0)}, elt);
      a = reshapeTensor(rw, loc, a, aT, {rw.getIndexAttr(1), tensor::getMixedSize(rw, loc, a, 0)});
    }
    if (bT.getRank() == 1) {
      bT = withShape({bT.getDimSize(0), 1}, elt);
      bv = reshapeTensor(rw, loc, bv, bT, {tensor::getMixedSize(rw, loc, bv, 0), rw.getIndexAttr(1)});
    }
    int64_t ra = aT.getRank(), rb = bT.getRank();
    int64_t batchRank = std::max(ra, rb) - 2;
    OpFoldResult m = tensor::getMixedSize(rw, loc, a, ra - 2), n = tensor::getMixedSize(rw, loc, bv, rb - 1);
    Value zero = scalarConst(rw, loc, elt, 0);
    Value result;
    if (rb == 2) {
      // [..., M, K] x [K, N]: fold the batch into M and use linalg.matmul.
      SmallVector<OpFoldResult> aSizes = mixedSizes(rw, loc, a);
      int64_t mStatic = 1;
      for (int64_t d = 0; d < ra - 1; ++d)
        mStatic = (mStatic == ShapedType::kDynamic || aT.isDynamicDim(d))
                      ? ShapedType::kDynamic
                      : mStatic * aT.getDimSize(d);
      Value a2 = a;
      if (ra > 2) {
        SmallVector<ReassociationIndices> re(2);
        for (int64_t d = 0; d < ra - 1; ++d)
          re[0].push_back(d);
        re[1].push_back(ra - 1);
        a2 = tensor::CollapseShapeOp::create(
            rw, loc, withShape({mStatic, aT.getDimSize(ra - 1)}, elt), a, re);
      }
      auto mmType = withShape({mStatic, bT.getDimSize(1)}, elt);
      Value init = filledTensor(rw, loc, mmType,
                                {tensor::getMixedSize(rw, loc, a2, 0), n}, zero);
      result = linalg::MatmulOp::create(rw, loc, TypeRange{mmType},
                                        ValueRange{a2, bv}, ValueRange{init})
                   .getResult(0);
      SmallVector<int64_t> shape(aT.getShape().drop_back());
      shape.push_back(bT.getDimSize(1));
      SmallVector<OpFoldResult> sizes(ArrayRef(aSizes).drop_back());
      sizes.push_back(n);
      if (ra > 2)
        result = tensor::ExpandShapeOp::create(
            rw, loc, withShape(shape, elt), result,
            SmallVector<ReassociationIndices>{
                llvm::to_vector(llvm::seq<int64_t>(0, ra - 1)), {ra - 1}},
            sizes);
    } else if (ra == rb &&
               llvm::equal(aT.getShape().drop_back(2),
                           bT.getShape().drop_back(2)) &&
               !llvm::any_of(aT.getShape().drop_back(2),
                             ShapedType::isDynamic)) {
      // Equal static batch dims: collapse them into one and batch_matmul.
      int64_t batch = 1;
      for (int64_t d : aT.getShape().drop_back(2))
        batch *= d;
      auto collapse = [&](Value v, RankedTensorType t) -> Value {
        if (t.getRank() == 3)
          return v;
        SmallVector<ReassociationIndices> re(3);
        for (int64_t d = 0; d < t.getRank() - 2; ++d)
          re[0].push_back(d);
        re[1].push_back(t.getRank() - 2);
        re[2].push_back(t.getRank() - 1);
        return tensor::CollapseShapeOp::create(
            rw, loc,
            withShape({batch, t.getDimSize(t.getRank() - 2),
                       t.getDimSize(t.getRank() - 1)},
                      elt),
            v, re);
      };
      Value a3 = collapse(a, aT), b3 = collapse(bv, bT);
      auto bmType =
          withShape({batch, aT.getDimSize(ra - 2), bT.getDimSize(rb - 1)}, elt);
      Value init = filledTensor(rw, loc, bmType,
                                {rw.getIndexAttr(batch), m, n}, zero);
      result = linalg::BatchMatmulOp::create(rw, loc, TypeRange{bmType},
                                             ValueRange{a3, b3},
                                             ValueRange{init})
                   .getResult(0);
      if (ra != 3) {
        SmallVector<int64_t> shape(aT.getShape().drop_back());
        shape.push_back(bT.getDimSize(rb - 1));
        SmallVector<ReassociationIndices> re(3);
        for (int64_t d = 0; d < ra - 2; ++d)
          re[0].push_back(d);
        re[1].push_back(ra - 2);
        re[2].push_back(ra - 1);
        SmallVector<OpFoldResult> sizes;
        for (int64_t d : aT.getShape().drop_back(2))
          sizes.push_back(rw.getIndexAttr(d));
        sizes.push_back(m);
        sizes.push_back(n);
        result = tensor::ExpandShapeOp::create(rw, loc, withShape(shape, elt),
                                               result, re, sizes);
      }
    } else {
      // Broadcast batch dims: a generic contraction over
      // (batch..., m, n, k).
      MLIRContext *ctx = rw.getContext();
      int64_t loops = batchRank + 3;
      SmallVector<int64_t> shape;
      SmallVector<OpFoldResult> sizes;
      auto mapFor = [&](RankedTensorType t, bool isA) {
        SmallVector<AffineExpr> e;
        int64_t off = batchRank - (t.getRank() - 2);
        for (int64_t d = 0; d < t.getRank() - 2; ++d)
          e.push_back(t.getDimSize(d) == 1 ? getAffineConstantExpr(0, ctx)
                                           : getAffineDimExpr(d + off, ctx));
        AffineExpr mE = getAffineDimExpr(batchRank, ctx),
                   nE = getAffineDimExpr(batchRank + 1, ctx),
                   kE = getAffineDimExpr(batchRank + 2, ctx);
        e.push_back(isA ? mE : kE);
        e.push_back(isA ? kE : nE);
        return AffineMap::get(loops, 0, e, ctx);
      };
      for (int64_t d = 0; d < batchRank; ++d) {
        shape.push_back(outType.getDimSize(d));
        int64_t ia = d - (batchRank - (ra - 2)), ib = d - (batchRank - (rb - 2));
        OpFoldResult s = rw.getIndexAttr(1);
        if (ia >= 0 && aT.getDimSize(ia) != 1)
          s = tensor::getMixedSize(rw, loc, a, ia);
        else if (ib >= 0 && bT.getDimSize(ib) != 1)
          s = tensor::getMixedSize(rw, loc, bv, ib);
        sizes.push_back(s);
      }
      shape.push_back(aT.getDimSize(ra - 2));
      shape.push_back(bT.getDimSize(rb - 1));
      sizes.push_back(m);
      sizes.push_back(n);
      auto t = withShape(shape, elt);
      Value init = filledTensor(rw, loc, t, sizes, zero);
      SmallVector<AffineExpr> oe;
      for (int64_t d = 0; d < batchRank + 2; ++d)
        oe.push_back(getAffineDimExpr(d, ctx));
      SmallVector<utils::IteratorType> iters(loops,
                                             utils::IteratorType::parallel);
      iters.back() = utils::IteratorType::reduction;
      result = genericContraction(
          rw, loc, a, bv, init,
          {mapFor(aT, true), mapFor(bT, false), AffineMap::get(loops, 0, oe, ctx)},
          iters);
    }
    // Undo the 1-D promotions: drop the unit M (A was 1-D) or N (B was 1-D).
    if (result.getType() != outType) {
      bool aVec = cast<RankedTensorType>(op.getA().getType()).getRank() == 1;
      bool bVec = cast<RankedTensorType>(op.getB().getType()).getRank() == 1;
      auto rt = cast<RankedTensorType>(result.getType());
      SmallVector<OpFoldResult> sizes;
      for (int64_t d = 0; d < rt.getRank(); ++d) {
        if ((aVec && d == rt.getRank() - 2) || (bVec && d == rt.getRank() - 1))
          continue;
        sizes.push_back(tensor::getMixedSize(rw, loc, result, d));
      }
      result = reshapeTensor(rw, loc, result, outType, sizes);
    }
    rw.replaceOp(op, result);
    return success();
  }
};

/// Gemm: alpha * op(A) op(B) + beta * C as one contraction whose
/// accumulator starts from beta * C.
struct GemmPattern : GraphPattern<g::GemmOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    RankedTensorType outType = resultType(op);
    if (!outType || !isa<RankedTensorType>(adaptor.getA().getType()) ||
        !isa<RankedTensorType>(adaptor.getB().getType()))
      return cannotLower(rw, op, "unranked operands");
    Type elt = outType.getElementType();
    bool tA = op.getTransA(), tB = op.getTransB();
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    Value a = adaptor.getA(), bv = adaptor.getB();
    SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(rw, loc, a, tA ? 1 : 0),
                                       tensor::getMixedSize(rw, loc, bv, tB ? 0 : 1)};
    Value init;
    if (!g::isNone(op.getC()) && beta != 0.0) {
      init = buildElementwise(
          rw, loc, outType, adaptor.getC(),
          [&](OpBuilder &b, Location l, ValueRange x) -> Value {
            if (beta == 1.0)
              return x[0];
            Value bc = scalarConst(b, l, elt, beta);
            return isa<FloatType>(elt)
                       ? (Value)arith::MulFOp::create(b, l, x[0], bc)
                       : (Value)arith::MulIOp::create(b, l, x[0], bc);
          },
          sizes);
    } else {
      init = filledTensor(rw, loc, outType, sizes, scalarConst(rw, loc, elt, 0));
    }
    if (alpha != 1.0) {
      a = buildElementwise(
          rw, loc, cast<RankedTensorType>(a.getType()), a,
          [&](OpBuilder &b, Location l, ValueRange x) -> Value {
            Value c = scalarConst(b, l, elt, alpha);
            return isa<FloatType>(elt)
                       ? (Value)arith::MulFOp::create(b, l, x[0], c)
                       : (Value)arith::MulIOp::create(b, l, x[0], c);
          },
          mixedSizes(rw, loc, a));
    }
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    Value result;
    if (!tA && !tB) {
      result = linalg::MatmulOp::create(rw, loc, TypeRange{outType},
                                        ValueRange{a, bv}, ValueRange{init})
                   .getResult(0);
    } else {
      SmallVector<AffineMap> maps = {
          AffineMap::get(3, 0, tA ? ArrayRef<AffineExpr>{k, m}
                                  : ArrayRef<AffineExpr>{m, k}, ctx),
          AffineMap::get(3, 0, tB ? ArrayRef<AffineExpr>{n, k}
                                  : ArrayRef<AffineExpr>{k, n}, ctx),
          AffineMap::get(3, 0, {m, n}, ctx)};
      result = genericContraction(rw, loc, a, bv, init, maps,
                                  {utils::IteratorType::parallel,
                                   utils::IteratorType::parallel,
                                   utils::IteratorType::reduction});
    }
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

namespace mnemo::lowering {

/// Begin/end pads per spatial dim, resolving auto_pad against static input
/// sizes. Fails when SAME padding meets a dynamic spatial dim.
FailureOr<std::pair<SmallVector<int64_t>, SmallVector<int64_t>>>
resolvePads(RankedTensorType in, ArrayRef<int64_t> kernel,
            ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
            std::optional<ArrayAttr> padsAttr, StringRef autoPad) {
  size_t s = kernel.size();
  SmallVector<int64_t> begin(s, 0), end(s, 0);
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (size_t i = 0; i < s; ++i) {
      int64_t dim = in.getDimSize(i + 2);
      if (ShapedType::isDynamic(dim))
        return failure();
      int64_t out = (dim + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - dim);
      int64_t small = total / 2, big = total - small;
      begin[i] = autoPad == "SAME_UPPER" ? small : big;
      end[i] = autoPad == "SAME_UPPER" ? big : small;
    }
  } else if (autoPad != "VALID" && padsAttr && *padsAttr) {
    auto pads = llvm::to_vector(llvm::map_range(
        padsAttr->getAsRange<IntegerAttr>(),
        [](IntegerAttr a) { return a.getInt(); }));
    if (pads.size() != 2 * s)
      return failure();
    for (size_t i = 0; i < s; ++i) {
      begin[i] = pads[i];
      end[i] = pads[i + s];
    }
  }
  return std::make_pair(begin, end);
}

SmallVector<int64_t> intsOr(std::optional<ArrayAttr> attr, size_t n,
                            int64_t dflt) {
  if (!attr || !*attr)
    return SmallVector<int64_t>(n, dflt);
  return llvm::to_vector(llvm::map_range(
      attr->getAsRange<IntegerAttr>(), [](IntegerAttr a) { return a.getInt(); }));
}

/// Pads the spatial dims (2..) of `x` with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> lo,
                 ArrayRef<int64_t> hi, Value value) {
  if (llvm::all_of(lo, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(hi, [](int64_t v) { return v == 0; }))
    return x;
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> l = {0, 0}, h = {0, 0}, shape(t.getShape());
  l.append(lo.begin(), lo.end());
  h.append(hi.begin(), hi.end());
  for (size_t i = 0; i < lo.size(); ++i)
    if (!ShapedType::isDynamic(shape[i + 2]))
      shape[i + 2] += lo[i] + hi[i];
  auto padType = RankedTensorType::get(shape, t.getElementType());
  SmallVector<OpFoldResult> lf, hf;
  for (int64_t v : l)
    lf.push_back(b.getIndexAttr(v));
  for (int64_t v : h)
    hf.push_back(b.getIndexAttr(v));
  return tensor::PadOp::create(b, loc, padType, x, lf, hf, value);
}

/// A grouped N-d convolution of the padded `x` and `w` into `init` as one
/// linalg.generic. Plain (group 1) and depthwise (one output channel per
/// group) convolutions loop over (n, m, o_1..o_s, c, k_1..k_s) and write
/// `init` directly, so an elementwise consumer reads the contraction
/// itself (which is what lets the requantization of an integer conv take
/// its accumulator one tile at a time); other groupings loop over (n, g,
/// m, o.., c, k..) on views with a group dim. `perChannel` values ([M],
/// one per output channel) are read at the output channel after x and w;
/// `body` gets (x, w, per-channel..., acc) and returns the new accumulator.
Value groupedConvGeneric(OpBuilder &rw, Location loc, Value x, Value w,
                         Value init, RankedTensorType outType,
                         ArrayRef<OpFoldResult> outSizes,
                         ArrayRef<int64_t> strides, ArrayRef<int64_t> dil,
                         int64_t group, ValueRange perChannel, BodyFn body) {
  MLIRContext *ctx = rw.getContext();
  auto wT = cast<RankedTensorType>(w.getType());
  int64_t sp = wT.getRank() - 2;
  SmallVector<int64_t> kernel(wT.getShape().drop_front(2));
  int64_t cOut = wT.getDimSize(0), cg = wT.getDimSize(1), mg = cOut / group;
  Type elt = outType.getElementType();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  auto spatial = [&](int64_t first) {
    SmallVector<ReassociationIndices> re;
    for (int64_t i = 0; i < sp; ++i)
      re.push_back({first + i});
    return re;
  };
  // A group dim is needed only when groups hold several output channels
  // and there are several groups.
  bool grouped = group > 1 && mg > 1;
  // Loops: n, [g], m, o.., c, k.. (m is the output channel when ungrouped;
  // for a depthwise conv it is the group itself).
  int64_t gDim = 1, mDim = grouped ? 2 : 1, oDim = mDim + 1,
          cDim = oDim + sp, kDim = cDim + 1, loops = kDim + sp;
  AffineExpr outChannel = d(mDim);
  // x's channel: g * cg + c; ungrouped, the group is m / mg, i.e. m when
  // each group has one output channel (depthwise) and 0 for group 1.
  AffineExpr groupE = grouped ? d(gDim)
                      : group == 1 ? getAffineConstantExpr(0, ctx)
                                   : d(mDim);
  SmallVector<AffineExpr> xe = {d(0), groupE * cg + d(cDim)}, we, oe = {d(0)};
  if (grouped) {
    we = {d(gDim), d(mDim), d(cDim)};
    oe.append({d(gDim), d(mDim)});
  } else {
    we = {outChannel, d(cDim)};
    oe.push_back(outChannel);
  }
  for (int64_t i = 0; i < sp; ++i) {
    xe.push_back(d(oDim + i) * strides[i] + d(kDim + i) * dil[i]);
    we.push_back(d(kDim + i));
    oe.push_back(d(oDim + i));
  }
  Value wIn = w, out = init;
  SmallVector<ReassociationIndices> ore;
  if (grouped) {
    SmallVector<int64_t> wg = {group, mg, cg};
    wg.append(kernel.begin(), kernel.end());
    SmallVector<ReassociationIndices> wre = {{0, 1}, {2}};
    wre.append(spatial(3));
    SmallVector<OpFoldResult> wgSizes;
    for (int64_t v : wg)
      wgSizes.push_back(rw.getIndexAttr(v));
    wIn = tensor::ExpandShapeOp::create(
        rw, loc, RankedTensorType::get(wg, wT.getElementType()), w, wre,
        wgSizes);
    SmallVector<int64_t> og = {outType.getDimSize(0), group, mg};
    og.append(outType.getShape().begin() + 2, outType.getShape().end());
    SmallVector<OpFoldResult> ogSizes = {outSizes[0], rw.getIndexAttr(group),
                                         rw.getIndexAttr(mg)};
    ogSizes.append(outSizes.begin() + 2, outSizes.end());
    ore = {{0}, {1, 2}};
    ore.append(spatial(3));
    out = tensor::ExpandShapeOp::create(rw, loc, RankedTensorType::get(og, elt),
                                        init, ore, ogSizes);
  }
  SmallVector<Value> ins = {x, wIn};
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, ctx),
                                 AffineMap::get(loops, 0, we, ctx)};
  for (Value pc : perChannel) {
    if (!grouped) {
      ins.push_back(pc);
      maps.push_back(AffineMap::get(loops, 0, {outChannel}, ctx));
      continue;
    }
    auto t = cast<RankedTensorType>(pc.getType());
    ins.push_back(tensor::ExpandShapeOp::create(
        rw, loc, RankedTensorType::get({group, mg}, t.getElementType()), pc,
        SmallVector<ReassociationIndices>{{0, 1}},
        SmallVector<OpFoldResult>{rw.getIndexAttr(group), rw.getIndexAttr(mg)}));
    maps.push_back(AffineMap::get(loops, 0, {d(gDim), d(mDim)}, ctx));
  }
  maps.push_back(AffineMap::get(loops, 0, oe, ctx));
  SmallVector<utils::IteratorType> iters(loops, utils::IteratorType::parallel);
  for (int64_t i = cDim; i < loops; ++i)
    iters[i] = utils::IteratorType::reduction;
  Value r = buildGeneric(rw, loc, ins, out, maps, iters, body);
  if (!grouped)
    return r;
  return tensor::CollapseShapeOp::create(rw, loc, outType, r, ore);
}

} // namespace mnemo::lowering

namespace {

/// A convolution's window, checked: ranked x, static weights, static
/// channel and spatial output dims, pads resolved against x.
struct ConvWindow {
  SmallVector<int64_t> strides, dilations, padLo, padHi;
};

/// Fills `win` for Conv or ConvInteger; returns why it cannot, or null.
template <typename OpTy>
const char *convWindow(OpTy op, RankedTensorType xT, RankedTensorType wT,
                       RankedTensorType outType, ConvWindow &win) {
  if (!outType || !xT || !wT || !wT.hasStaticShape())
    return "needs ranked input and static weights";
  for (int64_t d = 1; d < outType.getRank(); ++d)
    if (outType.isDynamicDim(d))
      return "dynamic channel or spatial dims";
  int64_t sp = xT.getRank() - 2;
  SmallVector<int64_t> kernel(wT.getShape().drop_front(2));
  win.strides = intsOr(op.getStrides(), sp, 1);
  win.dilations = intsOr(op.getDilations(), sp, 1);
  auto pads = resolvePads(xT, kernel, win.strides, win.dilations, op.getPads(),
                          op.getAutoPad());
  if (failed(pads))
    return "cannot resolve pads";
  win.padLo = pads->first;
  win.padHi = pads->second;
  return nullptr;
}

/// The output sizes: x's batch (static or not), then the static dims.
SmallVector<OpFoldResult> convOutputSizes(OpBuilder &b, Location loc, Value x,
                                          RankedTensorType outType) {
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, x, 0)};
  for (int64_t d = 1; d < outType.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(outType.getDimSize(d)));
  return sizes;
}

struct ConvPattern : GraphPattern<g::ConvOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    auto wT = dyn_cast<RankedTensorType>(adaptor.getW().getType());
    ConvWindow win;
    if (const char *why = convWindow(op, xT, wT, outType, win))
      return cannotLower(rw, op, why);
    int64_t sp = win.strides.size();
    SmallVector<int64_t> kernel(wT.getShape().drop_front(2));
    ArrayRef<int64_t> strides = win.strides, dil = win.dilations;
    Type elt = outType.getElementType();
    int64_t group = op.getGroup();
    int64_t cIn = wT.getDimSize(1) * group, cOut = wT.getDimSize(0);
    Value x = padSpatial(rw, loc, adaptor.getX(), win.padLo, win.padHi,
                         scalarConst(rw, loc, elt, 0));
    SmallVector<OpFoldResult> outSizes =
        convOutputSizes(rw, loc, adaptor.getX(), outType);
    // Accumulator: the bias broadcast over the output, or zeros.
    Value init;
    if (!g::isNone(op.getB())) {
      SmallVector<int64_t> bShape(sp + 1, 1);
      bShape[0] = cOut;
      Value bias = reshapeTensor(rw, loc, adaptor.getB(),
                                 RankedTensorType::get(bShape, elt), {});
      init = buildElementwise(
          rw, loc, outType, bias,
          [](OpBuilder &, Location, ValueRange v) { return v[0]; }, outSizes);
    } else {
      init = filledTensor(rw, loc, outType, outSizes,
                          scalarConst(rw, loc, elt, 0));
    }
    auto i64s = [&](ArrayRef<int64_t> v) {
      return DenseIntElementsAttr::get(
          RankedTensorType::get({(int64_t)v.size()}, rw.getI64Type()), v);
    };
    Value w = adaptor.getW();
    Value result;
    if (sp == 2 && group == 1) {
      result = linalg::Conv2DNchwFchwOp::create(
                   rw, loc, TypeRange{outType}, ValueRange{x, w},
                   ValueRange{init}, i64s(strides), i64s(dil))
                   .getResult(0);
    } else if (sp == 2 && group == cIn && cOut == cIn) {
      auto dwType = RankedTensorType::get({cOut, kernel[0], kernel[1]}, elt);
      Value w3 = tensor::CollapseShapeOp::create(
          rw, loc, dwType, w,
          SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
      result = linalg::DepthwiseConv2DNchwChwOp::create(
                   rw, loc, TypeRange{outType}, ValueRange{x, w3},
                   ValueRange{init}, i64s(strides), i64s(dil))
                   .getResult(0);
    } else {
      result = groupedConvGeneric(
          rw, loc, x, w, init, outType, outSizes, strides, dil, group, {},
          [](OpBuilder &b, Location l, ValueRange a) {
            Type acc = a[2].getType();
            Value xv = a[0], wv = a[1];
            if (xv.getType() != acc)
              xv = castScalar(b, l, xv, xv.getType(), acc);
            if (wv.getType() != acc)
              wv = castScalar(b, l, wv, wv.getType(), acc);
            return mulAdd(b, l, xv, wv, a[2]);
          });
    }
    rw.replaceOp(op, result);
    return success();
  }
};

/// An integer op's zero point as a scalar of the signless type `elt`: a
/// constant where the model has one (a value read from a tensor would be
/// read by the host on a GPU target, to pad with it), 0 where it has none.
Value zeroPointScalar(OpBuilder &b, Location loc, Value orig, Value converted,
                      Type elt) {
  if (g::isNone(orig))
    return scalarConst(b, loc, elt, 0);
  if (auto c = g::getConstantInts(orig); c && c->size() == 1)
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(elt, (*c)[0]));
  auto t = cast<RankedTensorType>(converted.getType());
  SmallVector<Value> idx(t.getRank(), arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, converted, idx);
}

/// A weight zero point: one i32 value (`scalar`), or a tensor with one
/// value per output channel / column (`perChannel`) that the contraction
/// reads alongside that dim, widened in its body.
struct WeightZeroPoint {
  Value scalar, perChannel;
};
WeightZeroPoint weightZeroPoint(OpBuilder &b, Location loc, Value orig,
                                Value converted, Type signlessElt,
                                Type origElt) {
  auto t = dyn_cast<RankedTensorType>(converted.getType());
  if (t && t.getRank() == 1 &&
      !(t.hasStaticShape() && t.getNumElements() == 1))
    return {Value(), converted};
  return {castScalar(b, loc,
                     zeroPointScalar(b, loc, orig, converted, signlessElt),
                     origElt, b.getI32Type()),
          Value()};
}

/// The contraction body of the integer ops: acc + (a - a_zp) * (b - b_zp)
/// with both operands widened from their 8-bit types to i32 in the loop.
Value integerMacBody(OpBuilder &b, Location l, Value a, Type aElt, Value az32,
                     Value bv, Type bElt, Value bz32, Value acc) {
  Type i32 = b.getI32Type();
  Value x = arith::SubIOp::create(b, l, castScalar(b, l, a, aElt, i32), az32);
  Value y = arith::SubIOp::create(b, l, castScalar(b, l, bv, bElt, i32), bz32);
  return arith::AddIOp::create(b, l, acc, arith::MulIOp::create(b, l, x, y));
}

/// MatMulInteger against a 2-D B (a weight): (A - a_zp) x (B - b_zp) in
/// i32 as one contraction over (A's leading dims, n, k) read from the 8-bit
/// tensors, so no widened copy exists. A B that is graph.transpose of an
/// [N, K] tensor (what a Gemm with transB folds to) is read in place.
struct MatMulIntegerPattern : GraphPattern<g::MatMulIntegerOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::MatMulIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    if (!g::isDirectMatMulInteger(op.getA(), op.getB(), op.getAZeroPoint(),
                                  op.getBZeroPoint()))
      return cannotLower(rw, op, "expanded by graph-expand-quantized");
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    RankedTensorType outType = resultType(op);
    auto aT = dyn_cast<RankedTensorType>(adaptor.getA().getType());
    if (!outType || !aT)
      return cannotLower(rw, op, "unranked operands");
    Value bv = adaptor.getB();
    bool transposed = false;
    if (auto tr = op.getB().getDefiningOp<g::TransposeOp>()) {
      if (tr.getPermutation() == ArrayRef<int64_t>{1, 0}) {
        bv = rw.getRemappedValue(tr.getData());
        transposed = true;
      }
    }
    Type i32 = outType.getElementType();
    Type aElt = origElt(op.getA()), bElt = origElt(op.getB());
    auto signless = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getElementType();
    };
    Value az32 = castScalar(
        rw, loc,
        zeroPointScalar(rw, loc, op.getAZeroPoint(), adaptor.getAZeroPoint(),
                        signless(adaptor.getA())),
        aElt, i32);
    SmallVector<Value> ins = {adaptor.getA(), bv};
    int64_t ra = aT.getRank(), loops = ra + 1;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> ae, oe;
    for (int64_t i = 0; i < ra - 1; ++i) {
      ae.push_back(d(i));
      oe.push_back(d(i));
    }
    AffineExpr nE = d(ra - 1), kE = d(ra);
    ae.push_back(kE);
    oe.push_back(nE);
    SmallVector<AffineMap> maps = {
        AffineMap::get(loops, 0, ae, ctx),
        AffineMap::get(loops, 0,
                       transposed ? SmallVector<AffineExpr>{nE, kE}
                                  : SmallVector<AffineExpr>{kE, nE},
                       ctx)};
    // b's zero point: one value, or one per column.
    WeightZeroPoint bz = weightZeroPoint(rw, loc, op.getBZeroPoint(),
                                         adaptor.getBZeroPoint(), signless(bv),
                                         bElt);
    if (bz.perChannel) {
      ins.push_back(bz.perChannel);
      maps.push_back(AffineMap::get(loops, 0, {nE}, ctx));
    }
    maps.push_back(AffineMap::get(loops, 0, oe, ctx));
    SmallVector<OpFoldResult> sizes = mixedSizes(rw, loc, adaptor.getA());
    sizes.back() = tensor::getMixedSize(rw, loc, bv, transposed ? 0 : 1);
    Value init =
        filledTensor(rw, loc, outType, sizes, scalarConst(rw, loc, i32, 0));
    SmallVector<utils::IteratorType> iters(loops, utils::IteratorType::parallel);
    iters.back() = utils::IteratorType::reduction;
    Value result = buildGeneric(
        rw, loc, ins, init, maps, iters,
        [&](OpBuilder &b, Location l, ValueRange v) {
          Value z = bz.scalar ? bz.scalar : castScalar(b, l, v[2], bElt, i32);
          return integerMacBody(b, l, v[0], aElt, az32, v[1], bElt, z,
                                v.back());
        });
    rw.replaceOp(op, result);
    return success();
  }
};

/// ConvInteger: (x - x_zp) * (w - w_zp) accumulated in i32, read from the
/// 8-bit tensors themselves (widened in the loop body, so no wider copy of
/// the activations exists). x is padded with its zero point, which the
/// subtraction turns into 0; w's zero point may be per output channel.
struct ConvIntegerPattern : GraphPattern<g::ConvIntegerOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConvIntegerOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    RankedTensorType outType = resultType(op);
    auto xT = dyn_cast<RankedTensorType>(adaptor.getX().getType());
    auto wT = dyn_cast<RankedTensorType>(adaptor.getW().getType());
    ConvWindow win;
    if (const char *why = convWindow(op, xT, wT, outType, win))
      return cannotLower(rw, op, why);
    ArrayRef<int64_t> strides = win.strides, dil = win.dilations;
    Type i32 = outType.getElementType();
    Type xElt = origElt(op.getX()), wElt = origElt(op.getW());
    Value xz = zeroPointScalar(rw, loc, op.getXZeroPoint(),
                               adaptor.getXZeroPoint(), xT.getElementType());
    Value x = padSpatial(rw, loc, adaptor.getX(), win.padLo, win.padHi, xz);
    Value xz32 = castScalar(rw, loc, xz, xElt, i32);
    // w's zero point: one value, or one per output channel.
    WeightZeroPoint wz = weightZeroPoint(rw, loc, op.getWZeroPoint(),
                                         adaptor.getWZeroPoint(),
                                         wT.getElementType(), wElt);
    SmallVector<Value> perChannel;
    if (wz.perChannel)
      perChannel.push_back(wz.perChannel);
    SmallVector<OpFoldResult> outSizes =
        convOutputSizes(rw, loc, adaptor.getX(), outType);
    Value init =
        filledTensor(rw, loc, outType, outSizes, scalarConst(rw, loc, i32, 0));
    Value result = groupedConvGeneric(
        rw, loc, x, adaptor.getW(), init, outType, outSizes, strides, dil,
        op.getGroup(), perChannel,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value z = wz.scalar ? wz.scalar : castScalar(b, l, a[2], wElt, i32);
          return integerMacBody(b, l, a[0], xElt, xz32, a[1], wElt, z,
                                a.back());
        });
    rw.replaceOp(op, result);
    return success();
  }
};

/// Einsum: one linalg.generic over the equation's loops (Einsum.h), the
/// product of the inputs summed into a zero-filled output. A size-1 input
/// dim along a longer loop broadcasts (read at 0).
struct EinsumPattern : GraphPattern<g::EinsumOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::EinsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t || !t.hasStaticShape())
      return cannotLower(rw, op, "einsum with a dynamic result shape");
    SmallVector<int64_t> ranks;
    SmallVector<ArrayRef<int64_t>> shapes;
    for (Value v : adaptor.getInputs()) {
      auto vt = dyn_cast<RankedTensorType>(v.getType());
      if (!vt || !vt.hasStaticShape())
        return cannotLower(rw, op, "einsum with dynamic input shapes");
      ranks.push_back(vt.getRank());
      shapes.push_back(vt.getShape());
    }
    FailureOr<g::EinsumSpec> spec =
        g::parseEinsum(op.getLoc(), op.getEquation(), ranks);
    if (failed(spec))
      return failure();
    FailureOr<SmallVector<int64_t>> sizes =
        g::einsumLoopSizes(op.getLoc(), *spec, shapes);
    if (failed(sizes))
      return failure();
    MLIRContext *ctx = rw.getContext();
    SmallVector<AffineMap> maps;
    for (auto [dims, shape] : llvm::zip(spec->inputs, shapes)) {
      SmallVector<AffineExpr> exprs;
      for (auto [loop, size] : llvm::zip(dims, shape))
        exprs.push_back(size == 1 && (*sizes)[loop] != 1
                            ? getAffineConstantExpr(0, ctx)
                            : getAffineDimExpr(loop, ctx));
      maps.push_back(AffineMap::get(spec->numLoops, 0, exprs, ctx));
    }
    SmallVector<AffineExpr> outExprs;
    SmallVector<utils::IteratorType> iters(spec->numLoops,
                                           utils::IteratorType::reduction);
    for (int64_t loop : spec->output) {
      outExprs.push_back(getAffineDimExpr(loop, ctx));
      iters[loop] = utils::IteratorType::parallel;
    }
    maps.push_back(AffineMap::get(spec->numLoops, 0, outExprs, ctx));
    Location loc = op.getLoc();
    Type elt = t.getElementType();
    Value init = filledTensor(rw, loc, t, {}, scalarConst(rw, loc, elt, 0));
    unsigned n = adaptor.getInputs().size();
    Value result = buildGeneric(
        rw, loc, adaptor.getInputs(), init, maps, iters,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value product = a[0];
          for (unsigned i = 1; i < n; ++i)
            product = isa<FloatType>(elt)
                          ? arith::MulFOp::create(b, l, product, a[i]).getResult()
                          : arith::MulIOp::create(b, l, product, a[i]).getResult();
          return isa<FloatType>(elt)
                     ? arith::AddFOp::create(b, l, a[n], product).getResult()
                     : arith::AddIOp::create(b, l, a[n], product).getResult();
        });
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mnemo::populateGraphContractionToLinalgPatterns(const TypeConverter &tc,
                                                     RewritePatternSet &p) {
  p.add<MatMulPattern, GemmPattern, ConvPattern, ConvIntegerPattern,
        MatMulIntegerPattern, EinsumPattern>(
      tc, p.getContext());
}
