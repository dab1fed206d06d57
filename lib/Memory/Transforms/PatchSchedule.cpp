//===- PatchSchedule.cpp - MCUNetV2 patch-based inference -----------------===//
//
// A CNN's first layers hold the largest activations. MCUNetV2 runs that
// stage patch by patch: the stage output is cut into p x p tiles, and each
// tile's receptive field (its input patch plus halo) flows through every
// layer of the stage before the next patch starts, so only one patch's
// intermediates are live. The price is the halo's recomputation.
//
// The rewrite works on linalg-on-tensors. The stage is the backward slice
// of the cut value through the ops whose results are NCHW maps (pads,
// convolutions, pools, elementwise generics and their inits). Walking it
// backwards from one tile, every value gets the span patch (i, j) needs
// along H and W: [a*i + b, a*i + b + size), where a value read by several
// ops takes the union (MCUNetV2's receptive-field rule, the same one
// lib/Memory/PatchGeometry.cpp states on the graph dialect). All spans are
// static in size; only their starts move with the patch. The loop body
// clones each op at its span's shape. A tensor.pad becomes the in-map part
// of its source's span padded to the needed size (dynamic pad amounts,
// static result), so halos outside the image read the padding value and
// whatever a patch computed outside the map is never read.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Memory/Transforms/FeatureSlice.h"
#include "mnemo/Memory/Transforms/Passes.h"

#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/TensorPeak.h"

#include "mnemo/Support/Remarks.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace mnemo {
#define GEN_PASS_DEF_PATCHSCHEDULEPASS
#include "mnemo/Memory/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// Along one spatial axis, patch i needs [a*i + b, a*i + b + size).
struct Span {
  int64_t a = 0, b = 0, size = 0;
};
using Need = std::array<Span, 2>; // H, W

/// A static NCHW map.
RankedTensorType mapType(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == 4 && t.hasStaticShape() ? t : RankedTensorType();
}

RankedTensorType withSpan(RankedTensorType t, const Need &n) {
  return RankedTensorType::get(
      {t.getDimSize(0), t.getDimSize(1), n[0].size, n[1].size},
      t.getElementType());
}

struct Window {
  std::array<int64_t, 2> kernel, stride, dilation;
};

template <typename OpT>
Window windowOf(OpT op, Value kernelOperand, unsigned firstKernelDim) {
  Window w;
  auto kt = cast<ShapedType>(kernelOperand.getType());
  auto strides = op.getStrides().template getValues<int64_t>();
  auto dilations = op.getDilations().template getValues<int64_t>();
  for (int a = 0; a < 2; ++a) {
    w.kernel[a] = kt.getDimSize(firstKernelDim + a);
    w.stride[a] = strides[a];
    w.dilation[a] = dilations[a];
  }
  return w;
}

/// The coefficient of `dim` in the linear expression `e` of `numDims` dims.
std::optional<int64_t> coefficient(AffineExpr e, unsigned numDims,
                                   unsigned dim) {
  MLIRContext *ctx = e.getContext();
  SmallVector<AffineExpr> dims(numDims, getAffineConstantExpr(0, ctx));
  dims[dim] = getAffineConstantExpr(1, ctx);
  auto c = dyn_cast<AffineConstantExpr>(e.replaceDims(dims));
  return c ? std::optional<int64_t>(c.getValue()) : std::nullopt;
}

/// A pool or a convolution as a generic (what graph-to-linalg writes for
/// pools, integer convolutions and grouped ones): the output at (n, m, oh,
/// ow) = loops 0..3, the input read at (n, channel, oh*s + kh*d, ow*s +
/// kw*d) where kh and kw are reduction loops (the kernel) and the channel
/// does not move along H or W; every other input (weights, a window, per
/// channel parameters) is read independently of oh and ow.
std::optional<Window> genericWindow(linalg::GenericOp g) {
  unsigned loops = g.getNumLoops();
  if (loops < 6 || g.getNumDpsInputs() < 1 || g.getNumDpsInits() != 1)
    return std::nullopt;
  auto iters = g.getIteratorTypesArray();
  for (unsigned d = 0; d < 4; ++d)
    if (iters[d] != utils::IteratorType::parallel)
      return std::nullopt;
  for (unsigned d = 4; d < loops; ++d)
    if (iters[d] != utils::IteratorType::reduction)
      return std::nullopt;
  MLIRContext *ctx = g.getContext();
  AffineMap out = g.getMatchingIndexingMap(g.getDpsInitOperand(0));
  AffineMap in = g.getMatchingIndexingMap(g.getDpsInputOperand(0));
  if (out != AffineMap::getMultiDimIdentityMap(loops, ctx)
                 .getSubMap({0, 1, 2, 3}) ||
      in.getNumResults() != 4 || in.getResult(0) != getAffineDimExpr(0, ctx))
    return std::nullopt;
  for (unsigned k : {2u, 3u})
    if (coefficient(in.getResult(1), loops, k) != 0)
      return std::nullopt;
  SmallVector<int64_t> ranges = g.getStaticLoopRanges();
  Window w;
  for (int a = 0; a < 2; ++a) {
    AffineExpr e = in.getResult(2 + a);
    std::optional<int64_t> s = coefficient(e, loops, 2 + a);
    // Exactly one reduction loop (the kernel along this axis) moves the
    // read besides the output position; nothing else, no constant offset.
    std::optional<unsigned> kernelDim;
    for (unsigned k = 0; k < loops; ++k) {
      if (k == 2u + a)
        continue;
      std::optional<int64_t> c = coefficient(e, loops, k);
      if (!c)
        return std::nullopt;
      if (*c == 0)
        continue;
      if (k < 4 || kernelDim)
        return std::nullopt;
      kernelDim = k;
    }
    if (!s || *s < 1 || !kernelDim ||
        ShapedType::isDynamic(ranges[*kernelDim]))
      return std::nullopt;
    std::optional<int64_t> d = coefficient(e, loops, *kernelDim);
    if (!d || *d < 1)
      return std::nullopt;
    w.kernel[a] = ranges[*kernelDim];
    w.stride[a] = *s;
    w.dilation[a] = *d;
  }
  for (OpOperand *operand : g.getDpsInputOperands())
    if (operand->getOperandNumber() > 0 &&
        (g.getMatchingIndexingMap(operand).isFunctionOfDim(2) ||
         g.getMatchingIndexingMap(operand).isFunctionOfDim(3)))
      return std::nullopt;
  return w;
}

/// Convolutions and pools over NCHW maps.
std::optional<Window> slidingWindow(Operation *op) {
  if (auto g = dyn_cast<linalg::GenericOp>(op))
    return genericWindow(g);
  if (auto c = dyn_cast<linalg::Conv2DNchwFchwOp>(op))
    return windowOf(c, c.getInputs()[1], 2);
  if (auto c = dyn_cast<linalg::DepthwiseConv2DNchwChwOp>(op))
    return windowOf(c, c.getInputs()[1], 1);
  if (auto c = dyn_cast<linalg::PoolingNchwMaxOp>(op))
    return windowOf(c, c.getInputs()[1], 0);
  if (auto c = dyn_cast<linalg::PoolingNchwSumOp>(op))
    return windowOf(c, c.getInputs()[1], 0);
  return std::nullopt;
}

/// A pad of H and W only, by constant amounts, with a constant value.
tensor::PadOp spatialPad(Operation *op) {
  auto pad = dyn_cast<tensor::PadOp>(op);
  if (!pad || !pad.getConstantPaddingValue() || !mapType(pad.getSource()))
    return {};
  if (!pad.getStaticLow().size() || ShapedType::isDynamicShape(pad.getStaticLow()) ||
      ShapedType::isDynamicShape(pad.getStaticHigh()))
    return {};
  for (int d = 0; d < 2; ++d)
    if (pad.getStaticLow()[d] != 0 || pad.getStaticHigh()[d] != 0)
      return {};
  return pad;
}

/// An all-parallel generic over NCHW whose map operands are read at the
/// output position and whose other operands do not vary along H and W
/// (per-channel bias, scalars).
bool isMapElementwise(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  if (!g || g.getNumLoops() != 4 || g.getNumParallelLoops() != 4 ||
      g.getNumDpsInits() != 1)
    return false;
  for (OpOperand &operand : g->getOpOperands()) {
    AffineMap m = g.getMatchingIndexingMap(&operand);
    if (mapType(operand.get()) && m.isIdentity())
      continue;
    if (g.isDpsInit(&operand) || m.isFunctionOfDim(2) || m.isFunctionOfDim(3))
      return false;
  }
  return true;
}

/// An elementwise op on the model's inputs only (the quantization of the
/// input image): it stays outside the stage, whose first pad then reads its
/// result like an input, clamped to the map; each patch applies it to the
/// clamped part of the input it reads (PatchBuilder::preparedPart).
bool isInputPreparation(Operation *op) {
  if (!isMapElementwise(op))
    return false;
  auto g = cast<linalg::GenericOp>(op);
  bool readsInput = false;
  for (Value v : g.getDpsInputs()) {
    if (!mapType(v))
      continue;
    if (!isa<BlockArgument>(v))
      return false;
    readsInput = true;
  }
  return readsInput;
}

bool isStageOp(Operation *op) {
  if (op->getNumResults() != 1 || !mapType(op->getResult(0)))
    return false;
  return isa<tensor::EmptyOp, linalg::FillOp>(op) || spatialPad(op) ||
         slidingWindow(op) || isMapElementwise(op);
}

/// The operands of a stage op that carry the map, with what patch (i, j)
/// needs of each when it needs `out` of the result.
SmallVector<std::pair<OpOperand *, Need>> mapOperands(Operation *op,
                                                      const Need &out) {
  SmallVector<std::pair<OpOperand *, Need>> result;
  if (tensor::PadOp pad = spatialPad(op)) {
    Need n = out;
    for (int a = 0; a < 2; ++a)
      n[a].b -= pad.getStaticLow()[2 + a];
    result.push_back({&pad.getSourceMutable(), n});
  } else if (std::optional<Window> w = slidingWindow(op)) {
    auto linalgOp = cast<linalg::LinalgOp>(op);
    Need in;
    for (int a = 0; a < 2; ++a)
      in[a] = {out[a].a * w->stride[a], out[a].b * w->stride[a],
               (out[a].size - 1) * w->stride[a] +
                   (w->kernel[a] - 1) * w->dilation[a] + 1};
    result.push_back({linalgOp.getDpsInputOperand(0), in});
    result.push_back({linalgOp.getDpsInitOperand(0), out});
  } else if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    result.push_back({fill.getDpsInitOperand(0), out});
  } else if (isMapElementwise(op)) {
    auto g = cast<linalg::GenericOp>(op);
    for (OpOperand &operand : g->getOpOperands())
      if (mapType(operand.get()) && g.getMatchingIndexingMap(&operand).isIdentity())
        result.push_back({&operand, out});
  }
  return result;
}

/// The first stage of a CNN cut after `cut`, and the spans of one patch.
struct Stage {
  Operation *cut = nullptr;
  int64_t patches = 0;
  std::array<int64_t, 2> tile{0, 0};
  /// Program order. Leaves (empties and fills: no map operand that is
  /// computed) are rebuilt per use, at the span that use needs.
  SmallVector<Operation *> ops;
  llvm::SmallPtrSet<Operation *, 8> leaves;
  DenseMap<Value, Need> need;
  int64_t stageMacs = 0;
};

/// Builds the stage ending at `cut` for p x p patches; fails if the slice
/// has a value that escapes the stage, spans of different strides, or an
/// outside map that a patch would read out of bounds.
FailureOr<Stage> analyzeStage(Operation *cut, int64_t p) {
  Stage st;
  st.cut = cut;
  st.patches = p;
  RankedTensorType outType = mapType(cut->getResult(0));
  if (!isStageOp(cut) || isa<tensor::EmptyOp>(cut) || spatialPad(cut))
    return failure();
  for (int a = 0; a < 2; ++a) {
    int64_t size = outType.getDimSize(2 + a);
    if (size % p)
      return failure();
    st.tile[a] = size / p;
  }
  Block *block = cut->getBlock();
  llvm::SetVector<Operation *> slice;
  SmallVector<Operation *> worklist = {cut};
  Need probe; // the operand roles do not depend on the spans
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!slice.insert(op))
      continue;
    for (auto &[operand, n] : mapOperands(op, probe))
      if (Operation *def = operand->get().getDefiningOp())
        if (def->getBlock() == block && isStageOp(def) &&
            !isInputPreparation(def))
          worklist.push_back(def);
  }
  st.ops.assign(slice.begin(), slice.end());
  llvm::sort(st.ops, [](Operation *x, Operation *y) {
    return x->isBeforeInBlock(y);
  });
  for (Operation *op : st.ops) {
    bool leaf = true;
    for (auto &[operand, n] : mapOperands(op, probe)) {
      Operation *def = operand->get().getDefiningOp();
      leaf &= def && st.leaves.contains(def);
    }
    if (leaf)
      st.leaves.insert(op);
    else
      st.stageMacs += mnemo::memory::multiplyAccumulates(op);
  }
  if (!st.stageMacs)
    return failure(); // nothing to recompute: not a CNN stage
  // Only the cut's result may be read after the stage.
  for (Operation *op : st.ops)
    if (op != cut && !st.leaves.contains(op))
      for (Operation *user : op->getUsers())
        if (!slice.contains(user))
          return failure();
  // Spans, from the cut backwards.
  for (int a = 0; a < 2; ++a)
    st.need[cut->getResult(0)][a] = {st.tile[a], 0, st.tile[a]};
  for (Operation *op : llvm::reverse(st.ops)) {
    if (st.leaves.contains(op))
      continue;
    auto it = st.need.find(op->getResult(0));
    if (it == st.need.end())
      return failure();
    Need out = it->second;
    for (auto &[operand, n] : mapOperands(op, out)) {
      Value v = operand->get();
      Operation *def = v.getDefiningOp();
      if (def && st.leaves.contains(def))
        continue;
      auto [entry, inserted] = st.need.try_emplace(v, n);
      if (inserted)
        continue;
      for (int a = 0; a < 2; ++a) {
        Span &s = entry->second[a];
        if (s.a != n[a].a)
          return failure();
        int64_t lo = std::min(s.b, n[a].b);
        int64_t hi = std::max(s.b + s.size, n[a].b + n[a].size);
        s = {s.a, lo, hi - lo};
      }
    }
  }
  // Maps from outside the stage are read in place: every patch's span must
  // lie inside them unless a pad reads them (it clamps).
  for (Operation *op : st.ops) {
    if (st.leaves.contains(op) || spatialPad(op))
      continue;
    for (auto &[operand, n] : mapOperands(op, st.need[op->getResult(0)])) {
      Operation *def = operand->get().getDefiningOp();
      if (def && slice.contains(def))
        continue;
      RankedTensorType t = mapType(operand->get());
      for (int a = 0; a < 2; ++a)
        if (n[a].b < 0 || n[a].a * (p - 1) + n[a].b + n[a].size >
                              t.getDimSize(2 + a))
          return failure();
    }
  }
  return st;
}

/// Emits the patch loops after the cut and redirects the cut's users.
class PatchBuilder {
public:
  PatchBuilder(Stage &st) : st(st), b(st.cut->getContext()) {}

  scf::ForOp build() {
    Operation *cut = st.cut;
    Location loc = cut->getLoc();
    b.setInsertionPointAfter(cut);
    RankedTensorType outType = mapType(cut->getResult(0));
    Value init = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                         outType.getElementType());
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value count = arith::ConstantIndexOp::create(b, loc, st.patches);
    auto outer = scf::ForOp::create(
        b, loc, zero, count, one, ValueRange{init},
        [&](OpBuilder &ob, Location, Value i, ValueRange outerAcc) {
          auto inner = scf::ForOp::create(
              ob, loc, zero, count, one, outerAcc,
              [&](OpBuilder &ib, Location, Value j, ValueRange acc) {
                b.setInsertionPoint(ib.getInsertionBlock(),
                                    ib.getInsertionPoint());
                iv = {i, j};
                Value tile = buildPatch();
                SmallVector<OpFoldResult> offsets = {
                    b.getIndexAttr(0), b.getIndexAttr(0),
                    mul(i, st.tile[0]), mul(j, st.tile[1])};
                Value done = tensor::InsertSliceOp::create(
                    b, loc, tile, acc[0], offsets,
                    sizes(outType, st.need[cut->getResult(0)]), strides());
                scf::YieldOp::create(b, loc, done);
              });
          scf::YieldOp::create(ob, loc, inner.getResult(0));
        });
    cut->getResult(0).replaceAllUsesExcept(outer.getResult(0), outer);
    SmallVector<Operation *> preps;
    for (Operation *op : st.ops)
      if (tensor::PadOp pad = spatialPad(op))
        if (Operation *def = pad.getSource().getDefiningOp())
          if (isInputPreparation(def))
            preps.push_back(def);
    for (Operation *op : llvm::reverse(st.ops))
      if (op->use_empty())
        op->erase();
    // The prepared input, when only the stage read it.
    for (Operation *op : preps)
      if (op->use_empty())
        op->erase();
    return outer;
  }

private:
  Value index(int64_t v) {
    return arith::ConstantIndexOp::create(b, loc(), v);
  }
  Location loc() { return st.cut->getLoc(); }
  OpFoldResult mul(Value i, int64_t k) {
    return arith::MulIOp::create(b, loc(), i, index(k)).getResult();
  }
  /// a*i + b along axis `a` for the current patch.
  Value start(const Span &s, int axis) {
    Value v = arith::MulIOp::create(b, loc(), iv[axis], index(s.a));
    return arith::AddIOp::create(b, loc(), v, index(s.b));
  }
  SmallVector<OpFoldResult> sizes(RankedTensorType t, const Need &n) {
    return {b.getIndexAttr(t.getDimSize(0)), b.getIndexAttr(t.getDimSize(1)),
            b.getIndexAttr(n[0].size), b.getIndexAttr(n[1].size)};
  }
  SmallVector<OpFoldResult> strides() {
    return SmallVector<OpFoldResult>(4, b.getIndexAttr(1));
  }

  /// `v`'s part `n` for the current patch.
  Value view(Value v, const Need &n) {
    RankedTensorType t = mapType(v);
    Operation *def = v.getDefiningOp();
    if (def && st.leaves.contains(def))
      return rebuildLeaf(def, n);
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)};
    Value source = v;
    if (auto it = region.find(v); it != region.end()) {
      const Need &have = st.need[v];
      if (have[0].b == n[0].b && have[1].b == n[1].b &&
          have[0].size == n[0].size && have[1].size == n[1].size)
        return it->second;
      source = it->second;
      for (int a = 0; a < 2; ++a)
        offsets.push_back(b.getIndexAttr(n[a].b - have[a].b));
    } else {
      for (int a = 0; a < 2; ++a)
        offsets.push_back(start(n[a], a));
    }
    return tensor::ExtractSliceOp::create(b, loc(), withSpan(t, n), source,
                                          offsets, sizes(t, n), strides());
  }

  /// Empties and fills, rebuilt at the span their user needs.
  Value rebuildLeaf(Operation *op, const Need &n) {
    RankedTensorType t = withSpan(mapType(op->getResult(0)), n);
    if (isa<tensor::EmptyOp>(op))
      return tensor::EmptyOp::create(b, op->getLoc(), t.getShape(),
                                     t.getElementType());
    SmallVector<Value> operands(op->getOperands());
    for (auto &[operand, m] : mapOperands(op, n))
      operands[operand->getOperandNumber()] = view(operand->get(), m);
    return mlir::clone(b, op, t, operands)->getResult(0);
  }

  /// The input preparation `prep` (the quantization of the image) applied
  /// to the static window `offsets`/`lens` of the model input only: each
  /// patch reads the input itself, so the prepared image never exists whole
  /// (for an int8 model it would be the largest buffer the patches leave).
  Value preparedPart(linalg::GenericOp prep, ArrayRef<OpFoldResult> offsets,
                     ArrayRef<OpFoldResult> lens) {
    Location l = prep.getLoc();
    SmallVector<Value> operands(prep->getOperands());
    for (OpOperand *in : prep.getDpsInputOperands())
      if (mapType(in->get()) && prep.getMatchingIndexingMap(in).isIdentity())
        operands[in->getOperandNumber()] = tensor::ExtractSliceOp::create(
            b, l, in->get(), offsets, lens, strides());
    RankedTensorType t = mapType(prep.getResult(0));
    Value init = tensor::EmptyOp::create(b, l, lens, t.getElementType());
    operands[prep.getDpsInitOperand(0)->getOperandNumber()] = init;
    return mlir::clone(b, prep, init.getType(), operands)->getResult(0);
  }

  /// The pad in place: when the source's span is the one the pad reads
  /// (no other op of the stage needs more of it), the source's patch has
  /// the padded patch's shape already and only its positions outside the
  /// map must read the padding value. Masking them in place leaves no
  /// padded copy (TinyEngine's in-place padding; the copy was the largest
  /// buffer of MobileNetV2's patch loop).
  Value maskPatch(tensor::PadOp pad, const Need &n, const Need &out) {
    Value src = pad.getSource();
    auto it = region.find(src);
    Value padding = pad.getConstantPaddingValue();
    if (it == region.end() || !padding)
      return {};
    const Need &have = st.need[src];
    for (int a = 0; a < 2; ++a)
      if (have[a].b != n[a].b || have[a].size != n[a].size)
        return {};
    Value part = it->second;
    if (part.getType() != withSpan(mapType(pad.getResult()), out))
      return {};
    Location l = pad.getLoc();
    RankedTensorType srcType = mapType(src);
    std::array<Value, 2> first;
    for (int a = 0; a < 2; ++a)
      first[a] = start(n[a], a);
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
    auto mask = linalg::GenericOp::create(
        b, l, part.getType(), ValueRange{}, ValueRange{part},
        ArrayRef<AffineMap>{id},
        SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value inside;
          for (int a = 0; a < 2; ++a) {
            // first + index in [0, extent), as one unsigned compare.
            Value i = linalg::IndexOp::create(nb, nl, 2 + a);
            Value pos = arith::AddIOp::create(nb, nl, first[a], i);
            Value extent = arith::ConstantIndexOp::create(
                nb, nl, srcType.getDimSize(2 + a));
            Value in = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::ult, pos, extent);
            inside = inside ? arith::AndIOp::create(nb, nl, inside, in)
                                  .getResult()
                            : in;
          }
          Value v = arith::SelectOp::create(nb, nl, inside, args[0], padding);
          linalg::YieldOp::create(nb, nl, v);
        });
    return mask.getResult(0);
  }

  /// The in-map part of the source's span, padded to the span the pad's
  /// users need: halos outside the image read the padding value.
  Value padPatch(tensor::PadOp pad, const Need &out) {
    Location l = pad.getLoc();
    Value src = pad.getSource();
    RankedTensorType srcType = mapType(src);
    Need n = mapOperands(pad, out).front().second;
    if (Value masked = maskPatch(pad, n, out))
      return masked;
    Value srcTensor = src;
    SmallVector<Value, 2> srcStart = {index(0), index(0)};
    if (auto it = region.find(src); it != region.end()) {
      srcTensor = it->second;
      for (int a = 0; a < 2; ++a)
        srcStart[a] = start(st.need[src][a], a);
    }
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> lens = {b.getIndexAttr(srcType.getDimSize(0)),
                                      b.getIndexAttr(srcType.getDimSize(1))};
    SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> high = low;
    for (int a = 0; a < 2; ++a) {
      Value t = start(n[a], a);
      Value end = arith::AddIOp::create(b, l, t, index(n[a].size));
      Value lo = arith::MaxSIOp::create(b, l, t, index(0));
      Value hi = arith::MinSIOp::create(
          b, l, end, index(srcType.getDimSize(2 + a)));
      Value len = arith::SubIOp::create(b, l, hi, lo);
      offsets.push_back(
          arith::SubIOp::create(b, l, lo, srcStart[a]).getResult());
      lens.push_back(len);
      Value padLo = arith::SubIOp::create(b, l, lo, t);
      low.push_back(padLo);
      high.push_back(arith::SubIOp::create(b, l, end, hi).getResult());
    }
    auto prep = src.getDefiningOp<linalg::GenericOp>();
    if (prep && !region.count(src) && isInputPreparation(prep)) {
      // The prepared window has the span's static size, moved inside the
      // map at the borders; the part is a view of it.
      SmallVector<OpFoldResult> wOffsets = {b.getIndexAttr(0), b.getIndexAttr(0)};
      SmallVector<OpFoldResult> wSizes = {lens[0], lens[1]};
      for (int a = 0; a < 2; ++a) {
        int64_t extent = srcType.getDimSize(2 + a);
        int64_t size = std::min(n[a].size, extent);
        Value lo = getValueOrCreateConstantIndexOp(b, l, offsets[2 + a]);
        Value w = arith::MinSIOp::create(b, l, lo, index(extent - size));
        wOffsets.push_back(w);
        wSizes.push_back(b.getIndexAttr(size));
        offsets[2 + a] = arith::SubIOp::create(b, l, lo, w).getResult();
      }
      srcTensor = preparedPart(prep, wOffsets, wSizes);
    }
    Value part = tensor::ExtractSliceOp::create(b, l, srcTensor, offsets, lens,
                                                strides());
    return tensor::PadOp::create(b, l, withSpan(mapType(pad.getResult()), out),
                                 part, low, high,
                                 pad.getConstantPaddingValue())
        .getResult();
  }

  Value buildPatch() {
    region.clear();
    for (Operation *op : st.ops) {
      if (st.leaves.contains(op))
        continue;
      const Need &out = st.need[op->getResult(0)];
      Value result;
      if (tensor::PadOp pad = spatialPad(op)) {
        result = padPatch(pad, out);
      } else {
        SmallVector<Value> operands(op->getOperands());
        for (auto &[operand, n] : mapOperands(op, out))
          operands[operand->getOperandNumber()] = view(operand->get(), n);
        result = mlir::clone(b, op, withSpan(mapType(op->getResult(0)), out),
                             operands)
                     ->getResult(0);
      }
      region[op->getResult(0)] = result;
    }
    return region[st.cut->getResult(0)];
  }

  Stage &st;
  OpBuilder b;
  std::array<Value, 2> iv;
  DenseMap<Value, Value> region;
};

struct Candidate {
  int64_t cutIndex = -1; // position of the cut op in the block
  std::string cutName;
  int64_t patches = 0;
  std::array<int64_t, 2> tile{0, 0}, patch{0, 0};
  int64_t peak = 0, stageMacs = 0, patchMacs = 0;
  int64_t stagePeak = 0; // the peak up to the end of the patch loop
  int64_t extraMacs() const { return patchMacs - stageMacs; }
  double overhead() const {
    return stageMacs ? (double)patchMacs / stageMacs - 1 : 0;
  }
};

/// The smaller peak, then fewer MACs; among equal ones (the peak is
/// elsewhere in the model, in layers feature slicing lowers later) the
/// lower peak up to the stage's end.
bool lowerPeak(const Candidate &x, const Candidate &y) {
  return std::make_tuple(x.peak, x.extraMacs(), x.stagePeak) <
         std::make_tuple(y.peak, y.extraMacs(), y.stagePeak);
}

/// The input patch: the span of the stage's first map (the one no stage op
/// produces) with the largest extent.
std::array<int64_t, 2> inputPatch(const Stage &st) {
  std::array<int64_t, 2> patch{0, 0};
  for (auto &[v, n] : st.need) {
    Operation *def = v.getDefiningOp();
    if (def && llvm::is_contained(st.ops, def))
      continue;
    for (int a = 0; a < 2; ++a)
      patch[a] = std::max(patch[a], n[a].size);
  }
  return patch;
}

/// Rewrites a copy of `fn` and measures it.
std::optional<Candidate> evaluate(func::FuncOp fn, int64_t cutIndex,
                                  int64_t p) {
  OwningOpRef<func::FuncOp> copy = fn.clone();
  Operation *cut = &*std::next(copy->front().begin(), cutIndex);
  FailureOr<Stage> st = analyzeStage(cut, p);
  if (failed(st))
    return std::nullopt;
  Candidate c;
  c.cutIndex = cutIndex;
  c.cutName = mnemo::memory::nodeName(cut->getLoc());
  c.patches = p;
  c.tile = st->tile;
  c.patch = inputPatch(*st);
  c.stageMacs = st->stageMacs;
  scf::ForOp loop = PatchBuilder(*st).build();
  c.patchMacs = mnemo::memory::totalMultiplyAccumulates(loop);
  mnemo::memory::LiveProfile profile =
      mnemo::memory::estimateLiveProfile(copy->front());
  c.peak = profile.peak;
  // Up to the end of the patch loop: what the choice of stage decides
  // (later layers are left to feature slicing).
  int loopAt = std::distance(copy->front().begin(), loop->getIterator());
  c.stagePeak = *std::max_element(profile.live.begin(),
                                  profile.live.begin() + loopAt + 1);
  return c;
}

struct PatchSchedulePass
    : public mnemo::impl::PatchSchedulePassBase<PatchSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = mnemo::memory::lookupEntry(module, entry);
    if (!fn)
      return signalPassFailure();
    if (patches < 0 || maxPatches < 2 || maxRecompute < 0) {
      module.emitError("patch-schedule: patches must be >= 0, max-patches "
                       ">= 2 and max-recompute >= 0");
      return signalPassFailure();
    }
    Block &block = fn.front();
    int64_t before = mnemo::memory::estimateTensorPeak(block);
    networkMacs = mnemo::memory::totalMultiplyAccumulates(fn);

    // Every cut and p the options allow.
    std::vector<Candidate> candidates;
    bool namedCutSeen = false;
    for (auto [k, op] : llvm::enumerate(block)) {
      if (!isStageOp(&op) || isa<tensor::EmptyOp>(op) || spatialPad(&op))
        continue;
      if (!cut.empty()) {
        if (mnemo::memory::nodeName(op.getLoc()) != cut)
          continue;
        namedCutSeen = true;
      }
      for (int64_t p = 2; p <= maxPatches; ++p) {
        if (patches && p != patches)
          continue;
        if (std::optional<Candidate> c = evaluate(fn, k, p))
          candidates.push_back(*c);
      }
    }
    if (!cut.empty() && !namedCutSeen) {
      fn.emitError() << "patch-schedule: no map-producing op named '" << cut
                     << "'";
      return signalPassFailure();
    }
    if (!cut.empty() && candidates.empty()) {
      fn.emitError() << "patch-schedule: cannot cut after '" << cut << "'"
                     << (patches ? llvm::formatv(" into {0}x{0} patches",
                                                 (int64_t)patches)
                                       .str()
                                 : std::string())
                     << ": another value of the stage is live after it, or "
                        "its map size is not a multiple of p";
      return signalPassFailure();
    }

    const Candidate *best = choose(fn, candidates, before);
    if (listCandidates)
      for (const Candidate &c : candidates)
        mnemo::ReportLine(fn.getLoc()) << llvm::formatv(
            "candidate: cut after '{0}' p={1} peak {2} (to the stage's end "
            "{4}) extra MACs {3:P1} ({5:P1} of the network)\n",
            c.cutName, c.patches, c.peak, c.overhead(), c.stagePeak,
            (double)c.extraMacs() / std::max<int64_t>(networkMacs, 1));
    if (!best) {
      if (print)
        mnemo::ReportLine(fn.getLoc()) << "patch schedule: none (estimated peak " << before
           << " bytes; no cut lowers it"
           << (sramBudget > 0 ? "" : " within the recompute limit") << ")\n";
      return;
    }
    Operation *cutOp = &*std::next(block.begin(), best->cutIndex);
    FailureOr<Stage> st = analyzeStage(cutOp, best->patches);
    scf::ForOp loop = PatchBuilder(*st).build();
    Builder b(&getContext());
    loop->setAttr(
        "mnemo.patch_schedule",
        b.getDictionaryAttr({
            b.getNamedAttr("cut", b.getStringAttr(best->cutName)),
            b.getNamedAttr("patches", b.getI64IntegerAttr(best->patches)),
            b.getNamedAttr("tile", b.getDenseI64ArrayAttr(best->tile)),
            b.getNamedAttr("input_patch", b.getDenseI64ArrayAttr(best->patch)),
            b.getNamedAttr("stage_macs", b.getI64IntegerAttr(best->stageMacs)),
            b.getNamedAttr("patch_macs", b.getI64IntegerAttr(best->patchMacs)),
            b.getNamedAttr("peak_before", b.getI64IntegerAttr(before)),
            b.getNamedAttr("peak_after", b.getI64IntegerAttr(best->peak)),
        }));
    if (print)
      mnemo::ReportLine(loop.getLoc()) << llvm::formatv(
          "patch schedule: cut after '{0}', {1}x{1} patches, tile {2}x{3}, "
          "input patch {4}x{5}, extra MACs {6:P1} ({7} -> {8}), estimated "
          "peak {9} -> {10} bytes ({11:F2}x lower), {12:P1} more MACs over "
          "the network\n",
          best->cutName, best->patches, best->tile[0], best->tile[1],
          best->patch[0], best->patch[1], best->overhead(), best->stageMacs,
          best->patchMacs, before, best->peak,
          (double)before / std::max<int64_t>(best->peak, 1),
          (double)best->extraMacs() / std::max<int64_t>(networkMacs, 1));
  }

  /// With a budget: the least recompute that fits, else the smallest peak.
  /// Without: the smallest peak within the recompute limit. A candidate
  /// named by the options is taken as is.
  const Candidate *choose(func::FuncOp fn, ArrayRef<Candidate> cs,
                          int64_t before) {
    if (!cut.empty() && patches)
      return cs.empty() ? nullptr : &cs.front();
    if (sramBudget > 0 && before <= sramBudget)
      return nullptr;
    const Candidate *best = nullptr;
    if (sramBudget > 0) {
      for (const Candidate &c : cs)
        if (c.peak <= sramBudget &&
            (!best || std::make_pair(c.extraMacs(), c.peak) <
                          std::make_pair(best->extraMacs(), best->peak)))
          best = &c;
      if (best)
        return best;
    }
    // The recompute limit: of the stage's MACs, or of the network's.
    auto within = [&](const Candidate &c) {
      if (maxNetworkRecompute > 0)
        return c.extraMacs() <= maxNetworkRecompute * networkMacs + 1e-9;
      return c.overhead() <= maxRecompute + 1e-9;
    };
    for (const Candidate &c : cs)
      if ((sramBudget > 0 || within(c)) && (!best || lowerPeak(c, *best)))
        best = &c;
    if (best && sliceAfter && sramBudget == 0)
      best = afterSlicing(fn, cs, best, within);
    return best && best->peak < before ? best : nullptr;
  }

  /// Of `best` and, for the six cuts with the lowest peak up to the
  /// stage's end, their best p within the limit, the one with the lowest
  /// peak once the layers after it are sliced (each sliced on a copy; its
  /// `peak` becomes that figure).
  template <typename Within>
  const Candidate *afterSlicing(func::FuncOp fn, ArrayRef<Candidate> cs,
                                const Candidate *best, Within within) {
    // Per cut, its p with the lowest peak to the stage's end (the layers
    // after a cut are the same for every p, and so is what slicing makes
    // of them); the six cuts lowest by that peak.
    auto lower = [](const Candidate *x, const Candidate *y) {
      return std::make_tuple(x->stagePeak, x->extraMacs(), x->cutIndex,
                             x->patches) <
             std::make_tuple(y->stagePeak, y->extraMacs(), y->cutIndex,
                             y->patches);
    };
    DenseMap<int64_t, const Candidate *> perCut;
    for (const Candidate &c : cs) {
      if (!within(c) || &c == best)
        continue;
      const Candidate *&at = perCut[c.cutIndex];
      if (!at || lower(&c, at))
        at = &c;
    }
    SmallVector<const Candidate *> tried;
    for (auto &[cut, c] : perCut)
      tried.push_back(c);
    llvm::sort(tried, lower);
    tried.resize(std::min<size_t>(tried.size(), 6));
    tried.push_back(best);
    sliced.clear();
    mnemo::memory::SliceOptions options;
    options.maxSlices = sliceMaxSlices;
    options.maxRecompute = maxRecompute;
    for (const Candidate *c : tried) {
      OwningOpRef<func::FuncOp> copy = fn.clone();
      Operation *cutOp = &*std::next(copy->front().begin(), c->cutIndex);
      FailureOr<Stage> st = analyzeStage(cutOp, c->patches);
      if (failed(st))
        continue;
      PatchBuilder(*st).build();
      mnemo::memory::sliceGreedily(*copy, options);
      sliced.push_back(*c);
      sliced.back().peak = mnemo::memory::estimateTensorPeak(copy->front());
      if (listCandidates)
        mnemo::ReportLine(fn.getLoc()) << llvm::formatv(
            "sliced: cut after '{0}' p={1}: peak {2} -> {3}\n", c->cutName,
            c->patches, c->peak, sliced.back().peak);
    }
    if (sliced.empty())
      return best;
    return &*llvm::min_element(sliced, lowerPeak);
  }

  std::vector<Candidate> sliced;

  int64_t networkMacs = 0;
};

} // namespace
