//===- GraphFolds.cpp - graph op folders ----------------------------------===//
//
// Folders that collapse shape arithmetic when shapes are static: exported
// models compute Reshape/Expand targets through Shape -> Gather -> Unsqueeze
// -> Concat chains, and integer elementwise ops on those values. Folding only
// touches small integer tensors (at most kMaxFoldElements) so large weights
// are never duplicated.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mnemo::graph;

static constexpr int64_t kMaxFoldElements = 4096;

/// A small dense integer attribute, or null.
static DenseIntElementsAttr smallInts(Attribute a) {
  auto d = dyn_cast_or_null<DenseIntElementsAttr>(a);
  if (!d || d.getNumElements() > kMaxFoldElements)
    return {};
  return d;
}

static RankedTensorType staticType(Type t) {
  auto r = dyn_cast<RankedTensorType>(t);
  return r && r.hasStaticShape() && r.getNumElements() <= kMaxFoldElements
             ? r
             : RankedTensorType();
}

/// Maps a linear index of `outShape` to the linear index in a tensor of
/// `inShape` that broadcasts to it.
static int64_t broadcastIndex(int64_t linear, ArrayRef<int64_t> outShape,
                              ArrayRef<int64_t> inShape) {
  int64_t idx = 0, stride = 1;
  int64_t off = outShape.size() - inShape.size();
  for (int64_t d = outShape.size() - 1; d >= 0; --d) {
    int64_t coord = linear % outShape[d];
    linear /= outShape[d];
    int64_t id = d - off;
    if (id < 0)
      continue;
    if (inShape[id] != 1)
      idx += coord * stride;
    stride *= inShape[id];
  }
  return idx;
}

/// Elementwise fold of integer constants with numpy broadcasting.
static Attribute
foldIntBinary(Type resultType, ArrayRef<Attribute> operands,
              function_ref<std::optional<APInt>(const APInt &, const APInt &)>
                  fn) {
  RankedTensorType rt = staticType(resultType);
  if (!rt || operands.size() != 2)
    return {};
  DenseIntElementsAttr a = smallInts(operands[0]), b = smallInts(operands[1]);
  if (!a || !b || !isa<IntegerType>(rt.getElementType()))
    return {};
  auto av = llvm::to_vector(a.getValues<APInt>());
  auto bv = llvm::to_vector(b.getValues<APInt>());
  unsigned width = rt.getElementType().getIntOrFloatBitWidth();
  SmallVector<APInt> out;
  for (int64_t i = 0, e = rt.getNumElements(); i < e; ++i) {
    const APInt &x = av[broadcastIndex(i, rt.getShape(), a.getType().getShape())];
    const APInt &y = bv[broadcastIndex(i, rt.getShape(), b.getType().getShape())];
    std::optional<APInt> r = fn(x, y);
    if (!r)
      return {};
    out.push_back(r->zextOrTrunc(width));
  }
  return DenseElementsAttr::get(rt, out);
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }
OpFoldResult NoneOp::fold(FoldAdaptor) { return UnitAttr::get(getContext()); }
OpFoldResult IdentityOp::fold(FoldAdaptor) { return getX(); }

OpFoldResult DropoutOp::fold(FoldAdaptor adaptor) {
  // Inference, or a ratio of 0: identity unless training_mode is a
  // constant true.
  if (isNone(getTrainingMode()) || isConstantZero(getRatio()))
    return getData();
  if (auto mode = smallInts(adaptor.getTrainingMode()))
    if (mode.getNumElements() == 1 && (*mode.value_begin<APInt>()).isZero())
      return getData();
  return {};
}

OpFoldResult DropoutMaskOp::fold(FoldAdaptor adaptor) {
  // Keeping everything (as DropoutOp::fold decides), a static mask is a
  // constant true.
  bool keepsAll = isNone(getTrainingMode()) || isConstantZero(getRatio());
  if (auto mode = smallInts(adaptor.getTrainingMode()))
    keepsAll |= mode.getNumElements() == 1 &&
                (*mode.value_begin<APInt>()).isZero();
  auto t = dyn_cast<RankedTensorType>(getType());
  if (!keepsAll || !t || !t.hasStaticShape())
    return {};
  return DenseElementsAttr::get(t, true);
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(getType(), adaptor.getOperands(),
                       [](const APInt &a, const APInt &b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(getType(), adaptor.getOperands(),
                       [](const APInt &a, const APInt &b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(getType(), adaptor.getOperands(),
                       [](const APInt &a, const APInt &b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  // ONNX integer Div truncates like C; leave division by zero to run time.
  return foldIntBinary(
      getType(), adaptor.getOperands(),
      [](const APInt &a, const APInt &b) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        return a.sdiv(b);
      });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  // Shape arithmetic (a function body's `Neg(axis)`); floats stay ops.
  RankedTensorType rt = staticType(getType());
  DenseIntElementsAttr x = smallInts(adaptor.getX());
  if (!rt || !x || !isa<IntegerType>(rt.getElementType()))
    return {};
  SmallVector<APInt> out;
  for (const APInt &v : x.getValues<APInt>())
    out.push_back(-v);
  return DenseElementsAttr::get(rt, out);
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldIntBinary(getType(), adaptor.getOperands(),
                       [](const APInt &a, const APInt &b) {
                         return APInt(1, a == b ? 1 : 0);
                       });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  RankedTensorType rt = staticType(getType());
  DenseIntElementsAttr c = smallInts(adaptor.getCondition());
  if (!rt || !c)
    return {};
  auto x = dyn_cast_or_null<DenseElementsAttr>(adaptor.getX());
  auto y = dyn_cast_or_null<DenseElementsAttr>(adaptor.getY());
  if (!x || !y || x.getNumElements() > kMaxFoldElements ||
      y.getNumElements() > kMaxFoldElements)
    return {};
  auto cv = llvm::to_vector(c.getValues<APInt>());
  auto xv = llvm::to_vector(x.getValues<Attribute>());
  auto yv = llvm::to_vector(y.getValues<Attribute>());
  SmallVector<Attribute> out;
  for (int64_t i = 0, e = rt.getNumElements(); i < e; ++i) {
    bool take = !cv[broadcastIndex(i, rt.getShape(), c.getType().getShape())]
                     .isZero();
    out.push_back(
        take ? xv[broadcastIndex(i, rt.getShape(), x.getType().getShape())]
             : yv[broadcastIndex(i, rt.getShape(), y.getType().getShape())]);
  }
  return DenseElementsAttr::get(rt, out);
}

OpFoldResult ShapeOp::fold(FoldAdaptor) {
  auto in = dyn_cast<RankedTensorType>(getData().getType());
  auto rt = dyn_cast<RankedTensorType>(getType());
  if (!in || !rt || !rt.hasStaticShape())
    return {};
  int64_t r = in.getRank();
  int64_t start = getStart() ? (int64_t)*getStart() : 0;
  if (start < 0)
    start += r;
  start = std::clamp<int64_t>(start, 0, r);
  ArrayRef<int64_t> dims =
      in.getShape().slice(start, rt.getDimSize(0));
  if (llvm::any_of(dims, ShapedType::isDynamic))
    return {};
  return DenseElementsAttr::get(rt, dims);
}

OpFoldResult SizeOp::fold(FoldAdaptor) {
  auto in = dyn_cast<RankedTensorType>(getData().getType());
  if (!in || !in.hasStaticShape())
    return {};
  return DenseElementsAttr::get(cast<ShapedType>(getType()),
                                in.getNumElements());
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  RankedTensorType rt = staticType(getType());
  DenseIntElementsAttr in = smallInts(adaptor.getInput());
  if (!rt || !in)
    return {};
  Type to = rt.getElementType();
  bool srcUnsigned = in.getElementType().isUnsignedInteger();
  if (auto it = dyn_cast<IntegerType>(to)) {
    SmallVector<APInt> out;
    for (const APInt &v : in.getValues<APInt>())
      out.push_back(it.getWidth() == 1
                        ? APInt(1, v.isZero() ? 0 : 1)
                        : (srcUnsigned || v.getBitWidth() == 1
                               ? v.zextOrTrunc(it.getWidth())
                               : v.sextOrTrunc(it.getWidth())));
    return DenseElementsAttr::get(rt, out);
  }
  if (auto ft = dyn_cast<FloatType>(to)) {
    SmallVector<APFloat> out;
    for (const APInt &v : in.getValues<APInt>()) {
      APFloat f(ft.getFloatSemantics());
      f.convertFromAPInt(v, !srcUnsigned && v.getBitWidth() != 1,
                         APFloat::rmNearestTiesToEven);
      out.push_back(f);
    }
    return DenseElementsAttr::get(rt, out);
  }
  return {};
}

OpFoldResult ConstantOfShapeOp::fold(FoldAdaptor) {
  RankedTensorType rt = staticType(getType());
  if (!rt)
    return {};
  if (auto v = getValueAttr()) {
    auto dense = dyn_cast<DenseElementsAttr>(v);
    if (!dense || dense.getNumElements() != 1)
      return {};
    return DenseElementsAttr::get(rt, *dense.value_begin<Attribute>());
  }
  return DenseElementsAttr::get(rt, FloatAttr::get(rt.getElementType(), 0.0));
}

OpFoldResult RangeOp::fold(FoldAdaptor adaptor) {
  RankedTensorType rt = staticType(getType());
  DenseIntElementsAttr s = smallInts(adaptor.getStart());
  DenseIntElementsAttr d = smallInts(adaptor.getDelta());
  if (!rt || !s || !d)
    return {};
  APInt v = *s.value_begin<APInt>(), step = *d.value_begin<APInt>();
  SmallVector<APInt> out;
  for (int64_t i = 0; i < rt.getNumElements(); ++i, v += step)
    out.push_back(v);
  return DenseElementsAttr::get(rt, out);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getData().getType() == getType() &&
      cast<ShapedType>(getType()).hasStaticShape())
    return getData();
  auto in = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  RankedTensorType rt = staticType(getType());
  if (in && rt && in.getNumElements() <= kMaxFoldElements)
    return in.reshape(rt);
  return {};
}

OpFoldResult UnsqueezeOp::fold(FoldAdaptor adaptor) {
  auto in = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  RankedTensorType rt = staticType(getType());
  if (in && rt && in.getNumElements() <= kMaxFoldElements)
    return in.reshape(rt);
  return {};
}

SmallVector<int64_t> TransposeOp::getPermutation() {
  SmallVector<int64_t> perm;
  if (std::optional<ArrayAttr> p = getPerm()) {
    for (Attribute a : *p)
      perm.push_back(cast<IntegerAttr>(a).getInt());
  } else if (auto in = dyn_cast<RankedTensorType>(getData().getType())) {
    for (int64_t d = in.getRank() - 1; d >= 0; --d)
      perm.push_back(d);
  }
  return perm;
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  if (!isa<RankedTensorType>(getData().getType()))
    return {};
  for (auto [i, p] : llvm::enumerate(getPermutation()))
    if (p != (int64_t)i)
      return {};
  return getData();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  // Row-major concatenation along axis 0 appends the element lists.
  RankedTensorType rt = staticType(getType());
  if (!rt)
    return {};
  int64_t axis = (int64_t)getAxis();
  if (axis != 0 && axis != -rt.getRank())
    return {};
  SmallVector<Attribute> out;
  for (Attribute a : adaptor.getInputs()) {
    auto d = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!d)
      return {};
    llvm::append_range(out, d.getValues<Attribute>());
  }
  return DenseElementsAttr::get(rt, out);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  auto in = dyn_cast<RankedTensorType>(getData().getType());
  if (in && in == getType() && in.hasStaticShape()) {
    // A full-range slice with unit steps is the identity.
    auto steps = isNone(getSteps()) ? std::optional<SmallVector<int64_t>>(
                                          SmallVector<int64_t>())
                                    : getConstantInts(getSteps());
    if (steps && llvm::all_of(*steps, [](int64_t s) { return s == 1; }))
      return getData();
  }
  // Constant 1-D data (shape vectors): evaluate.
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  RankedTensorType rt = staticType(getType());
  if (!data || !rt || rt.getRank() != 1 || !in || in.getRank() != 1)
    return {};
  auto starts = getConstantInts(getStarts());
  auto steps = isNone(getSteps()) ? std::optional<SmallVector<int64_t>>(
                                        SmallVector<int64_t>{1})
                                  : getConstantInts(getSteps());
  if (!starts || !steps || starts->size() != 1 || steps->size() != 1)
    return {};
  int64_t dim = in.getDimSize(0), s = (*starts)[0], step = (*steps)[0];
  if (s < 0)
    s += dim;
  s = step > 0 ? std::clamp<int64_t>(s, 0, dim)
               : std::clamp<int64_t>(s, 0, dim - 1);
  auto values = llvm::to_vector(data.getValues<Attribute>());
  SmallVector<Attribute> out;
  for (int64_t i = 0; i < rt.getDimSize(0); ++i)
    out.push_back(values[s + i * step]);
  return DenseElementsAttr::get(rt, out);
}

/// gather(shape(x), i) is known when the selected dims of x are static,
/// even if other dims are dynamic.
static Attribute foldGatherOfShape(GatherOp op) {
  auto shape = op.getData().getDefiningOp<ShapeOp>();
  auto rt = dyn_cast<RankedTensorType>(op.getType());
  if (!shape || shape.getStart() || shape.getEnd() || !rt ||
      !rt.hasStaticShape())
    return {};
  auto in = dyn_cast<RankedTensorType>(shape.getData().getType());
  std::optional<SmallVector<int64_t>> idx = getConstantInts(op.getIndices());
  if (!in || !idx)
    return {};
  SmallVector<int64_t> dims;
  for (int64_t i : *idx) {
    if (i < 0)
      i += in.getRank();
    if (i < 0 || i >= in.getRank() || in.isDynamicDim(i))
      return {};
    dims.push_back(in.getDimSize(i));
  }
  return DenseElementsAttr::get(rt, ArrayRef<int64_t>(dims));
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  if (Attribute a = foldGatherOfShape(*this))
    return a;
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  DenseIntElementsAttr idx = smallInts(adaptor.getIndices());
  RankedTensorType rt = staticType(getType());
  if (!data || !idx || !rt || data.getNumElements() > kMaxFoldElements)
    return {};
  ArrayRef<int64_t> ds = data.getType().getShape();
  int64_t axis = (int64_t)getAxis();
  if (axis < 0)
    axis += ds.size();
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i)
    outer *= ds[i];
  for (int64_t i = axis + 1; i < (int64_t)ds.size(); ++i)
    inner *= ds[i];
  int64_t n = ds[axis];
  auto values = llvm::to_vector(data.getValues<Attribute>());
  SmallVector<int64_t> indices;
  for (const APInt &v : idx.getValues<APInt>()) {
    int64_t i = v.getSExtValue();
    if (i < -n || i >= n)
      return {};
    indices.push_back(i < 0 ? i + n : i);
  }
  SmallVector<Attribute> out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : indices)
      for (int64_t k = 0; k < inner; ++k)
        out.push_back(values[(o * n + i) * inner + k]);
  return DenseElementsAttr::get(rt, out);
}
