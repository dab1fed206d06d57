//===- DataMovement.cpp - transpose, concat, slice, gather, pad, ... ------===//
//
// Copies that move data without arithmetic. Strided slices with positive
// steps and concatenation use tensor.extract_slice / insert_slice (views or
// memcpy-like copies after bufferization); everything that needs computed
// source indices (Gather, negative-step Slice, Tile, non-constant Pad modes,
// Trilu) is a linalg.generic over the output whose body reads the source
// with tensor.extract.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct TransposePattern : GraphPattern<g::TransposeOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!t || !inT)
      return cannotLower(rw, op, "unranked transpose");
    Location loc = op.getLoc();
    SmallVector<int64_t> perm = op.getPermutation();
    SmallVector<OpFoldResult> in = mixedSizes(rw, loc, adaptor.getData()), sizes;
    for (int64_t p : perm)
      sizes.push_back(in[p]);
    Value init = emptyTensor(rw, loc, t, sizes);
    auto tr = linalg::TransposeOp::create(rw, loc, adaptor.getData(), init, perm);
    rw.replaceOp(op, tr->getResult(0));
    return success();
  }
};

struct ConcatPattern : GraphPattern<g::ConcatOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t)
      return cannotLower(rw, op, "unranked concat");
    Location loc = op.getLoc();
    int64_t r = t.getRank();
    int64_t axis = normalizedAxis(op.getAxis(), r);
    ValueRange ins = adaptor.getInputs();
    if (r == 1 && isSmallShapeTensor(t) &&
        llvm::all_of(ins, [](Value v) {
          return cast<RankedTensorType>(v.getType()).hasStaticShape();
        })) {
      SmallVector<Value> elems;
      for (Value in : ins)
        llvm::append_range(elems, extractAll(rw, loc, in));
      rw.replaceOpWithNewOp<tensor::FromElementsOp>(op, t, elems);
      return success();
    }
    SmallVector<OpFoldResult> sizes = mixedSizes(rw, loc, ins[0]);
    Value total = indexConst(rw, loc, 0);
    for (Value in : ins)
      total = arith::AddIOp::create(rw, loc, total,
                                    tensor::DimOp::create(rw, loc, in, axis));
    sizes[axis] = total;
    Value acc = emptyTensor(rw, loc, t, sizes);
    Value offset = indexConst(rw, loc, 0);
    for (Value in : ins) {
      SmallVector<OpFoldResult> offs(r, rw.getIndexAttr(0)), strides(r, rw.getIndexAttr(1));
      offs[axis] = offset;
      acc = tensor::InsertSliceOp::create(rw, loc, in, acc, offs,
                                          mixedSizes(rw, loc, in), strides);
      offset = arith::AddIOp::create(rw, loc, offset,
                                     tensor::DimOp::create(rw, loc, in, axis));
    }
    if (acc.getType() != t)
      acc = tensor::CastOp::create(rw, loc, t, acc);
    rw.replaceOp(op, acc);
    return success();
  }
};

struct SplitPattern : GraphPattern<g::SplitOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    auto inT = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!inT)
      return cannotLower(rw, op, "unranked split");
    Location loc = op.getLoc();
    int64_t r = inT.getRank(), n = op->getNumResults();
    int64_t axis = normalizedAxis(op.getAxis(), r);
    Value dim = tensor::DimOp::create(rw, loc, adaptor.getInput(), axis);
    SmallVector<Value> parts;
    if (!g::isNone(op.getSplit())) {
      auto c = constInts(op.getSplit());
      if (!c)
        return cannotLower(rw, op, "split sizes known only at run time");
      for (int64_t v : *c)
        parts.push_back(indexConst(rw, loc, v));
    } else {
      // Equal parts of ceil(dim / n); the last takes what remains.
      Value chunk = arith::CeilDivUIOp::create(rw, loc, dim, indexConst(rw, loc, n));
      Value used = indexConst(rw, loc, 0);
      for (int64_t i = 0; i < n; ++i) {
        Value rest = arith::SubIOp::create(rw, loc, dim, used);
        Value p = arith::MinSIOp::create(rw, loc, chunk, rest);
        parts.push_back(p);
        used = arith::AddIOp::create(rw, loc, used, p);
      }
    }
    SmallVector<Value> results;
    Value offset = indexConst(rw, loc, 0);
    SmallVector<OpFoldResult> base = mixedSizes(rw, loc, adaptor.getInput());
    for (int64_t i = 0; i < n; ++i) {
      RankedTensorType t = resultType(op, i);
      if (!t)
        return cannotLower(rw, op, "unranked split result");
      SmallVector<OpFoldResult> offs(r, rw.getIndexAttr(0)),
          strides(r, rw.getIndexAttr(1)), sizes(base);
      offs[axis] = offset;
      sizes[axis] = parts[i];
      Value s = tensor::ExtractSliceOp::create(rw, loc, adaptor.getInput(),
                                               offs, sizes, strides);
      if (s.getType() != t)
        s = tensor::CastOp::create(rw, loc, t, s);
      results.push_back(s);
      offset = arith::AddIOp::create(rw, loc, offset, parts[i]);
    }
    rw.replaceOp(op, results);
    return success();
  }
};

struct SlicePattern : GraphPattern<g::SliceOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!t || !inT)
      return cannotLower(rw, op, "unranked slice");
    Location loc = op.getLoc();
    int64_t r = inT.getRank();
    auto startsT = cast<RankedTensorType>(adaptor.getStarts().getType());
    if (startsT.isDynamicDim(0))
      return cannotLower(rw, op, "dynamic number of slice axes");
    int64_t n = startsT.getDimSize(0);
    SmallVector<int64_t> axes, steps(n, 1);
    if (g::isNone(op.getAxes())) {
      for (int64_t i = 0; i < n; ++i)
        axes.push_back(i);
    } else if (auto c = constInts(op.getAxes())) {
      axes = *c;
    } else {
      return cannotLower(rw, op, "axes known only at run time");
    }
    if (!g::isNone(op.getSteps())) {
      auto c = constInts(op.getSteps());
      if (!c)
        return cannotLower(rw, op, "steps known only at run time");
      steps = *c;
    }
    // Small shape tensors with constant bounds: pick the elements.
    auto cs = constInts(op.getStarts()), ce = constInts(op.getEnds());
    if (r == 1 && inT.hasStaticShape() && isSmallShapeTensor(t) && cs && ce &&
        n == 1) {
      int64_t dim = inT.getDimSize(0), step = steps[0];
      int64_t b = (*cs)[0], e = (*ce)[0];
      if (b < 0)
        b += dim;
      if (e < 0)
        e += dim;
      SmallVector<Value> elems;
      if (step > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        for (int64_t i = b; i < e; i += step)
          elems.push_back(extractScalar(rw, loc, adaptor.getData(), {i}));
      } else {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        for (int64_t i = b; i > e; i += step)
          elems.push_back(extractScalar(rw, loc, adaptor.getData(), {i}));
      }
      if ((int64_t)elems.size() == t.getNumElements()) {
        rw.replaceOpWithNewOp<tensor::FromElementsOp>(op, t, elems);
        return success();
      }
    }
    SmallVector<Value> starts =
        indexValues(rw, loc, op.getStarts(), adaptor.getStarts(), n);
    SmallVector<Value> ends =
        indexValues(rw, loc, op.getEnds(), adaptor.getEnds(), n);
    SmallVector<OpFoldResult> in = mixedSizes(rw, loc, adaptor.getData());
    SmallVector<OpFoldResult> offs(r, rw.getIndexAttr(0)), sizes(in),
        strides(r, rw.getIndexAttr(1));
    SmallVector<int64_t> stepOf(r, 1);
    bool negative = false;
    for (int64_t i = 0; i < n; ++i) {
      int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
      int64_t step = steps[i];
      if (step == 0)
        return cannotLower(rw, op, "zero step");
      stepOf[a] = step;
      negative |= step < 0;
      Value dim = getValueOrCreateConstantIndexOp(rw, loc, in[a]);
      Value zero = indexConst(rw, loc, 0);
      auto normalize = [&](Value v) {
        Value neg = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::slt, v, zero);
        return arith::SelectOp::create(rw, loc, neg,
                                       arith::AddIOp::create(rw, loc, v, dim), v)
            .getResult();
      };
      auto clamp = [&](Value v, Value lo, Value hi) {
        return arith::MinSIOp::create(rw, loc, arith::MaxSIOp::create(rw, loc, v, lo),
                                      hi)
            .getResult();
      };
      Value s = normalize(starts[i]), e = normalize(ends[i]);
      Value len;
      if (step > 0) {
        s = clamp(s, zero, dim);
        e = clamp(e, zero, dim);
        len = arith::CeilDivSIOp::create(rw, loc, arith::SubIOp::create(rw, loc, e, s),
                                         indexConst(rw, loc, step));
      } else {
        Value dm1 = arith::SubIOp::create(rw, loc, dim, indexConst(rw, loc, 1));
        s = clamp(s, zero, dm1);
        e = clamp(e, indexConst(rw, loc, -1), dm1);
        len = arith::CeilDivSIOp::create(rw, loc, arith::SubIOp::create(rw, loc, s, e),
                                         indexConst(rw, loc, -step));
      }
      len = arith::MaxSIOp::create(rw, loc, len, zero);
      offs[a] = s;
      sizes[a] = len;
      strides[a] = rw.getIndexAttr(step);
    }
    Value result;
    if (!negative) {
      for (auto &o : offs)
        if (auto v = dyn_cast<Value>(o))
          o = getAsOpFoldResult(v);
      for (auto &sz : sizes)
        if (auto v = dyn_cast<Value>(sz))
          sz = getAsOpFoldResult(v);
      result = tensor::ExtractSliceOp::create(rw, loc, adaptor.getData(), offs,
                                              sizes, strides);
      if (result.getType() != t)
        result = tensor::CastOp::create(rw, loc, t, result);
    } else {
      // in[d] = start[d] + i * step[d]
      Value data = adaptor.getData();
      SmallVector<Value> offV;
      for (auto o : offs)
        offV.push_back(getValueOrCreateConstantIndexOp(rw, loc, o));
      result = indexGeneric(
          rw, loc, t, sizes, {}, {},
          [&](OpBuilder &b, Location l, ValueRange iv, ValueRange) -> Value {
            SmallVector<Value> src;
            for (int64_t d = 0; d < r; ++d)
              src.push_back(arith::AddIOp::create(
                  b, l, offV[d],
                  arith::MulIOp::create(b, l, iv[d], indexConst(b, l, stepOf[d]))));
            return tensor::ExtractOp::create(b, l, data, src);
          });
    }
    rw.replaceOp(op, result);
    return success();
  }
};

struct GatherPattern : GraphPattern<g::GatherOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto dT = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    auto iT = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
    if (!t || !dT || !iT)
      return cannotLower(rw, op, "unranked gather");
    Location loc = op.getLoc();
    MLIRContext *ctx = rw.getContext();
    int64_t r = dT.getRank(), ri = iT.getRank();
    int64_t axis = normalizedAxis(op.getAxis(), r);
    Value data = adaptor.getData();
    SmallVector<OpFoldResult> dS = mixedSizes(rw, loc, data),
                              iS = mixedSizes(rw, loc, adaptor.getIndices()), sizes;
    sizes.append(dS.begin(), dS.begin() + axis);
    sizes.append(iS.begin(), iS.end());
    sizes.append(dS.begin() + axis + 1, dS.end());
    SmallVector<AffineExpr> ie;
    for (int64_t i = 0; i < ri; ++i)
      ie.push_back(getAffineDimExpr(axis + i, ctx));
    auto constIdx = constInts(op.getIndices());
    if (r == 1 && dT.hasStaticShape() && isSmallShapeTensor(t) && constIdx) {
      SmallVector<Value> elems;
      for (int64_t i : *constIdx) {
        int64_t k = i < 0 ? i + dT.getDimSize(0) : i;
        if (k < 0 || k >= dT.getDimSize(0))
          return cannotLower(rw, op, "gather index out of range");
        elems.push_back(extractScalar(rw, loc, data, {k}));
      }
      rw.replaceOpWithNewOp<tensor::FromElementsOp>(op, t, elems);
      return success();
    }
    Value axisDim = tensor::DimOp::create(rw, loc, data, axis);
    Value result = indexGeneric(
        rw, loc, t, sizes, adaptor.getIndices(),
        {AffineMap::get(t.getRank(), 0, ie, ctx)},
        [&](OpBuilder &b, Location l, ValueRange iv, ValueRange a) -> Value {
          SmallVector<Value> src(iv.begin(), iv.begin() + axis);
          src.push_back(wrapIndex(b, l, a[0], axisDim));
          src.append(iv.begin() + axis + ri, iv.end());
          return tensor::ExtractOp::create(b, l, data, src);
        });
    rw.replaceOp(op, result);
    return success();
  }
};

struct GatherElementsPattern : GraphPattern<g::GatherElementsOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto dT = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!t || !dT)
      return cannotLower(rw, op, "unranked gather_elements");
    Location loc = op.getLoc();
    int64_t r = dT.getRank();
    int64_t axis = normalizedAxis(op.getAxis(), r);
    Value data = adaptor.getData();
    Value axisDim = tensor::DimOp::create(rw, loc, data, axis);
    Value result = indexGeneric(
        rw, loc, t, mixedSizes(rw, loc, adaptor.getIndices()),
        adaptor.getIndices(), {rw.getMultiDimIdentityMap(r)},
        [&](OpBuilder &b, Location l, ValueRange iv, ValueRange a) -> Value {
          SmallVector<Value> src(iv);
          src[axis] = wrapIndex(b, l, a[0], axisDim);
          return tensor::ExtractOp::create(b, l, data, src);
        });
    rw.replaceOp(op, result);
    return success();
  }
};

struct ExpandPattern : GraphPattern<g::ExpandOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    auto sT = dyn_cast<RankedTensorType>(adaptor.getShape().getType());
    if (!t || !inT || !sT || sT.isDynamicDim(0))
      return cannotLower(rw, op, "unranked expand");
    Location loc = op.getLoc();
    int64_t r = t.getRank(), n = sT.getDimSize(0);
    SmallVector<Value> shape =
        indexValues(rw, loc, op.getShape(), adaptor.getShape(), n);
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < r; ++d) {
      int64_t si = d - (r - n), ii = d - (r - inT.getRank());
      Value s = si >= 0 ? shape[si] : indexConst(rw, loc, 1);
      if (ii >= 0)
        s = arith::MaxSIOp::create(
            rw, loc, s, tensor::DimOp::create(rw, loc, adaptor.getInput(), ii));
      sizes.push_back(getAsOpFoldResult(s));
    }
    Value result = buildElementwise(
        rw, loc, t, adaptor.getInput(),
        [](OpBuilder &, Location, ValueRange a) { return a[0]; }, sizes);
    rw.replaceOp(op, result);
    return success();
  }
};

struct TilePattern : GraphPattern<g::TileOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TileOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
    if (!t || !inT)
      return cannotLower(rw, op, "unranked tile");
    Location loc = op.getLoc();
    int64_t r = inT.getRank();
    Value data = adaptor.getInput();
    SmallVector<Value> reps =
        indexValues(rw, loc, op.getRepeats(), adaptor.getRepeats(), r);
    SmallVector<Value> dims;
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < r; ++d) {
      dims.push_back(tensor::DimOp::create(rw, loc, data, d));
      sizes.push_back(getAsOpFoldResult(
          arith::MulIOp::create(rw, loc, dims[d], reps[d]).getResult()));
    }
    Value result = indexGeneric(
        rw, loc, t, sizes, {}, {},
        [&](OpBuilder &b, Location l, ValueRange iv, ValueRange) -> Value {
          SmallVector<Value> src;
          for (int64_t d = 0; d < r; ++d)
            src.push_back(arith::RemUIOp::create(b, l, iv[d], dims[d]));
          return tensor::ExtractOp::create(b, l, data, src);
        });
    rw.replaceOp(op, result);
    return success();
  }
};

struct PadPattern : GraphPattern<g::PadOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto inT = dyn_cast<RankedTensorType>(adaptor.getData().getType());
    if (!t || !inT)
      return cannotLower(rw, op, "unranked pad");
    Location loc = op.getLoc();
    int64_t r = inT.getRank();
    auto pads = constInts(op.getPads());
    if (!pads)
      return cannotLower(rw, op, "pads known only at run time");
    SmallVector<int64_t> axes;
    if (g::isNone(op.getAxes())) {
      for (int64_t d = 0; d < r; ++d)
        axes.push_back(d);
    } else if (auto c = constInts(op.getAxes())) {
      for (int64_t a : *c)
        axes.push_back(a < 0 ? a + r : a);
    } else {
      return cannotLower(rw, op, "axes known only at run time");
    }
    int64_t na = axes.size();
    if ((int64_t)pads->size() != 2 * na)
      return cannotLower(rw, op, "pads length mismatch");
    SmallVector<int64_t> lo(r, 0), hi(r, 0);
    for (int64_t i = 0; i < na; ++i) {
      lo[axes[i]] = (*pads)[i];
      hi[axes[i]] = (*pads)[i + na];
    }
    Value data = adaptor.getData();
    // Negative pads crop first.
    if (llvm::any_of(lo, [](int64_t v) { return v < 0; }) ||
        llvm::any_of(hi, [](int64_t v) { return v < 0; })) {
      SmallVector<OpFoldResult> offs, sizes, strides(r, rw.getIndexAttr(1));
      SmallVector<OpFoldResult> in = mixedSizes(rw, loc, data);
      for (int64_t d = 0; d < r; ++d) {
        int64_t cl = std::max<int64_t>(0, -lo[d]), ch = std::max<int64_t>(0, -hi[d]);
        offs.push_back(rw.getIndexAttr(cl));
        Value s = arith::SubIOp::create(
            rw, loc, getValueOrCreateConstantIndexOp(rw, loc, in[d]),
            indexConst(rw, loc, cl + ch));
        sizes.push_back(getAsOpFoldResult(s));
        lo[d] = std::max<int64_t>(0, lo[d]);
        hi[d] = std::max<int64_t>(0, hi[d]);
      }
      data = tensor::ExtractSliceOp::create(rw, loc, data, offs, sizes, strides);
    }
    Type elt = t.getElementType();
    StringRef mode = op.getMode();
    Value result;
    if (mode == "constant") {
      Value value = g::isNone(op.getConstantValue())
                        ? scalarConst(rw, loc, elt, 0)
                        : extractScalar(
                              rw, loc, adaptor.getConstantValue(),
                              SmallVector<int64_t>(
                                  cast<RankedTensorType>(
                                      adaptor.getConstantValue().getType())
                                      .getRank(),
                                  0));
      SmallVector<OpFoldResult> l, h;
      for (int64_t d = 0; d < r; ++d) {
        l.push_back(rw.getIndexAttr(lo[d]));
        h.push_back(rw.getIndexAttr(hi[d]));
      }
      result = tensor::PadOp::create(rw, loc, Type(), data, l, h, value);
    } else if (mode == "edge" || mode == "reflect" || mode == "wrap") {
      SmallVector<Value> dims;
      SmallVector<OpFoldResult> sizes;
      for (int64_t d = 0; d < r; ++d) {
        dims.push_back(tensor::DimOp::create(rw, loc, data, d));
        sizes.push_back(getAsOpFoldResult(
            arith::AddIOp::create(rw, loc, dims[d], indexConst(rw, loc, lo[d] + hi[d]))
                .getResult()));
      }
      result = indexGeneric(
          rw, loc, cast<RankedTensorType>(RankedTensorType::get(
                       [&] {
                         SmallVector<int64_t> s(r, ShapedType::kDynamic);
                         return s;
                       }(),
                       elt)),
          sizes, {}, {},
          [&](OpBuilder &b, Location l, ValueRange iv, ValueRange) -> Value {
            SmallVector<Value> src;
            for (int64_t d = 0; d < r; ++d) {
              Value i = arith::SubIOp::create(b, l, iv[d], indexConst(b, l, lo[d]));
              Value n = dims[d], zero = indexConst(b, l, 0);
              Value nm1 = arith::SubIOp::create(b, l, n, indexConst(b, l, 1));
              if (mode == "edge") {
                i = arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, i, nm1),
                                           zero);
              } else if (mode == "wrap") {
                Value m = arith::RemSIOp::create(b, l, i, n);
                i = arith::RemSIOp::create(b, l, arith::AddIOp::create(b, l, m, n), n);
              } else {
                // reflect: -i below 0, 2(n-1)-i past the end.
                Value neg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
                i = arith::SelectOp::create(b, l, neg,
                                            arith::SubIOp::create(b, l, zero, i), i);
                Value over = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, i, nm1);
                Value twice = arith::MulIOp::create(b, l, nm1, indexConst(b, l, 2));
                i = arith::SelectOp::create(b, l, over,
                                            arith::SubIOp::create(b, l, twice, i), i);
              }
              src.push_back(i);
            }
            return tensor::ExtractOp::create(b, l, data, src);
          });
    } else {
      return cannotLower(rw, op, "unknown pad mode");
    }
    if (result.getType() != t)
      result = tensor::CastOp::create(rw, loc, t, result);
    rw.replaceOp(op, result);
    return success();
  }
};

struct TriluPattern : GraphPattern<g::TriluOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::TriluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t || t.getRank() < 2)
      return cannotLower(rw, op, "trilu needs rank >= 2");
    Location loc = op.getLoc();
    int64_t r = t.getRank();
    Value k = indexConst(rw, loc, 0);
    if (!g::isNone(op.getK()))
      k = indexValues(rw, loc, op.getK(), adaptor.getK(), 1)[0];
    bool upper = op.getUpper();
    Type elt = t.getElementType();
    Value result = buildElementwise(
        rw, loc, t, adaptor.getInput(),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value row = linalg::IndexOp::create(b, l, r - 2);
          Value col = linalg::IndexOp::create(b, l, r - 1);
          Value diff = arith::SubIOp::create(b, l, col, row);
          Value keep = arith::CmpIOp::create(
              b, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
              diff, k);
          return arith::SelectOp::create(b, l, keep, a[0],
                                         scalarConst(b, l, elt, 0));
        },
        mixedSizes(rw, loc, adaptor.getInput()));
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mnemo::lowering::populateDataMovementPatterns(const TypeConverter &tc,
                                                   RewritePatternSet &p) {
  p.add<TransposePattern, ConcatPattern, SplitPattern, SlicePattern,
        GatherPattern, GatherElementsPattern, ExpandPattern, TilePattern,
        PadPattern, TriluPattern>(tc, p.getContext());
}

void mnemo::populateGraphDataMovementToLinalgPatterns(const TypeConverter &tc,
                                                      RewritePatternSet &p) {
  lowering::populateShapePatterns(tc, p);
  lowering::populateDataMovementPatterns(tc, p);
  lowering::populateScatterPatterns(tc, p);
  lowering::populateTopKPatterns(tc, p);
  lowering::populateDataDependentPatterns(tc, p);
  lowering::populateDetPatterns(tc, p);
  lowering::populateSpectralPatterns(tc, p);
  lowering::populateRoiAlignPatterns(tc, p);
  lowering::populateTfIdfPatterns(tc, p);
  lowering::populateResizePatterns(tc, p);
  lowering::populateConvTransposePatterns(tc, p);
}
