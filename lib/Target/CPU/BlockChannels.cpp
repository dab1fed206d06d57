//===- BlockChannels.cpp - channel-blocked (NCHWc) convolutions -----------===//
//
// Chains of depthwise and pointwise convolutions rewritten into the layout
// [N, C/B, H, W, B] (B = the target's f32 lanes), so one vector is B
// channels of one pixel: always full, aligned, and indifferent to the
// stride, where an NCHW row of 7 or 14 pixels fills a 16-lane vector
// poorly, a depthwise tap reads it unaligned and a stride-2 one must
// deinterleave it. Each convolution becomes pack -> blocked generic ->
// unpack; upstream's data-layout propagation then carries the unpacks down
// and the packs up through activations, residual adds and pads until they
// meet and cancel, so a chain of such convolutions stays blocked and pays
// one reorder on entry and one on exit. Weights are re-laid at compile
// time. See Passes.td (BlockChannelsPass) for the forms.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Support/ConstantData.h"
#include "mnemo/Support/MulAdd.h"
#include "mnemo/Target/CPU/PassTarget.h"
#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"


namespace mnemo {
#define GEN_PASS_DEF_BLOCKCHANNELSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The constant `v` is, seen through reshapes (which keep the row-major
/// order), or null.
ElementsAttr constantUnderReshapes(Value v) {
  while (v.getDefiningOp<tensor::CollapseShapeOp>() ||
         v.getDefiningOp<tensor::ExpandShapeOp>())
    v = v.getDefiningOp()->getOperand(0);
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  return cst ? dyn_cast<ElementsAttr>(cst.getValue()) : ElementsAttr();
}

/// The f32 values of such a constant, or nothing.
std::optional<std::vector<float>> constantFloats(Value v) {
  ElementsAttr attr = constantUnderReshapes(v);
  if (!attr)
    return std::nullopt;
  return mnemo::f32Values(attr);
}

/// An elementwise generic: no reductions, identity maps (an activation, a
/// residual add). Moving such an op between layouts keeps its meaning
/// unless its body reads its indices or other tensors.
bool isElementwise(linalg::GenericOp g) {
  return g.getNumReductionLoops() == 0 &&
         llvm::all_of(g.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); });
}

/// A new f32 constant of `shape` holding `values`.
Value floatConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    const std::vector<float> &values, StringRef name) {
  return arith::ConstantOp::create(
      b, loc,
      mnemo::f32Elements(RankedTensorType::get(shape, b.getF32Type()), values,
                         name));
}

/// `x` [N, C, H, W] packed into [N, C/B, H, W, B].
Value packChannels(OpBuilder &b, Location loc, Value x, int64_t block) {
  OpFoldResult tile = b.getIndexAttr(block);
  Value dest = linalg::PackOp::createDestinationTensor(b, loc, x, {tile}, {1},
                                                       {});
  return linalg::PackOp::create(b, loc, x, dest, {1}, {tile}).getResult();
}

/// Whether `v` is a tensor.pad with a constant zero on H and W only.
tensor::PadOp spatialZeroPad(Value v) {
  auto pad = v.getDefiningOp<tensor::PadOp>();
  if (!pad || pad.getSourceType().getRank() != 4)
    return {};
  Value value = pad.getConstantPaddingValue();
  if (!value || !matchPattern(value, m_AnyZeroFloat()))
    return {};
  for (int64_t d : {0, 1})
    if (pad.getStaticLow()[d] != 0 || pad.getStaticHigh()[d] != 0)
      return {};
  if (ShapedType::isDynamicShape(pad.getStaticLow()) ||
      ShapedType::isDynamicShape(pad.getStaticHigh()))
    return {};
  return pad;
}

/// The blocked input [N, C/B, H', W', B] of a convolution reading `x`:
/// the pad (if any) moves after the pack, so the reorder reads the
/// unpadded map and propagation can cancel it against the producer's
/// unpack.
Value blockedInput(OpBuilder &b, Location loc, Value x, int64_t block) {
  tensor::PadOp pad = spatialZeroPad(x);
  if (!pad)
    return packChannels(b, loc, x, block);
  Value packed = packChannels(b, loc, pad.getSource(), block);
  SmallVector<OpFoldResult> low, high;
  for (int64_t d = 0; d < 4; ++d) {
    low.push_back(b.getIndexAttr(pad.getStaticLow()[d]));
    high.push_back(b.getIndexAttr(pad.getStaticHigh()[d]));
  }
  low.push_back(b.getIndexAttr(0));
  high.push_back(b.getIndexAttr(0));
  auto srcType = cast<RankedTensorType>(packed.getType());
  SmallVector<int64_t> shape(srcType.getShape());
  for (int64_t d = 0; d < 4; ++d)
    shape[d] += pad.getStaticLow()[d] + pad.getStaticHigh()[d];
  return tensor::PadOp::create(
             b, loc, RankedTensorType::get(shape, srcType.getElementType()),
             packed, low, high, pad.getConstantPaddingValue())
      .getResult();
}

/// The convolution's init in the blocked layout [N, F/B, OH, OW, B]: a
/// fill stays a fill, a bias broadcast (a generic yielding an input that
/// varies along the channel dim only) broadcasts the bias re-laid [F/B,
/// B]; anything else is packed.
Value blockedInit(OpBuilder &b, Location loc, Value init, int64_t block) {
  auto type = cast<RankedTensorType>(init.getType());
  SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(1) / block,
                                type.getDimSize(2), type.getDimSize(3), block};
  auto blockedType = RankedTensorType::get(shape, type.getElementType());
  // A fill, or a generic yielding one value from outside (what
  // mnemo-fuse-elementwise leaves of a constant bias).
  Value scalar;
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    scalar = fill.getInputs()[0];
  if (auto g = init.getDefiningOp<linalg::GenericOp>();
      g && g.getNumDpsInputs() == 0 && g.getNumResults() == 1) {
    Value y = cast<linalg::YieldOp>(g.getBody()->getTerminator()).getOperand(0);
    if (y.getParentRegion() != &g.getRegion())
      scalar = y;
  }
  if (scalar) {
    Value empty = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
    return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
  }
  if (auto copy = init.getDefiningOp<linalg::GenericOp>();
      copy && copy.getNumDpsInputs() == 1 && copy.getNumReductionLoops() == 0 &&
      copy.getMatchingIndexingMap(copy.getDpsInitOperand(0)).isIdentity()) {
    Block *body = copy.getBody();
    AffineMap map = copy.getMatchingIndexingMap(copy.getDpsInputOperand(0));
    bool channelOnly = llvm::all_of(map.getResults(), [](AffineExpr e) {
      auto c = dyn_cast<AffineConstantExpr>(e);
      auto d = dyn_cast<AffineDimExpr>(e);
      return (c && c.getValue() == 0) || (d && d.getPosition() == 1);
    });
    std::optional<std::vector<float>> bias =
        constantFloats(copy.getDpsInputs()[0]);
    if (cast<linalg::YieldOp>(body->getTerminator()).getOperand(0) ==
            body->getArgument(0) &&
        channelOnly && bias && (int64_t)bias->size() == type.getDimSize(1)) {
      Value biasBlocked = floatConstant(
          b, loc, {shape[1], block}, *bias, "bias_blocked");
      Value empty = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
      MLIRContext *ctx = b.getContext();
      AffineMap src = AffineMap::get(
          5, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(4, ctx)}, ctx);
      SmallVector<utils::IteratorType> iters(5, utils::IteratorType::parallel);
      return linalg::GenericOp::create(
                 b, loc, blockedType, ValueRange{biasBlocked},
                 ValueRange{empty},
                 ArrayRef<AffineMap>{src,
                                     AffineMap::getMultiDimIdentityMap(5, ctx)},
                 iters,
                 [](OpBuilder &b, Location loc, ValueRange args) {
                   linalg::YieldOp::create(b, loc, args[0]);
                 })
          .getResult(0);
    }
  }
  return packChannels(b, loc, init, block);
}

/// out += x * w as a generic over `maps` with `iters`.
Value mulAddGeneric(OpBuilder &b, Location loc, Value x, Value w, Value init,
                    ArrayRef<AffineMap> maps,
                    ArrayRef<utils::IteratorType> iters) {
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x, w}, ValueRange{init}, maps,
             iters, mnemo::buildMulAddBody)
      .getResult(0);
}

/// An elementwise generic (identity maps, all parallel) over unpacked
/// operands runs on the packed ones instead, its result unpacked: upstream's
/// propagation takes one unpacked operand only, and a residual add has two.
/// Operands that are not unpacks of the same layout are packed (cancelling
/// against their own unpacks later).
struct PushUnPacksThroughElementwise : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rw) const override {
    if (op.getNumResults() != 1 || !isElementwise(op) ||
        !op.hasPureTensorSemantics())
      return failure();
    // A body reading its indices or other tensors depends on the layout.
    if (llvm::any_of(op.getBody()->getOperations(), [](Operation &inner) {
          return isa<linalg::IndexOp, tensor::ExtractOp>(inner);
        }))
      return failure();
    linalg::UnPackOp layout;
    unsigned unpacked = 0;
    for (Value in : op.getDpsInputs())
      if (auto u = in.getDefiningOp<linalg::UnPackOp>()) {
        if (layout && (u.getInnerDimsPos() != layout.getInnerDimsPos() ||
                       u.getStaticTiles() != layout.getStaticTiles() ||
                       u.getOuterDimsPerm() != layout.getOuterDimsPerm() ||
                       u.getSourceType() != layout.getSourceType()))
          return failure();
        layout = layout ? layout : u;
        ++unpacked;
      }
    if (unpacked < 2)
      return failure(); // upstream's pattern covers one
    if (!layout.getOuterDimsPerm().empty() ||
        layout.getDestType() != op.getResultTypes()[0])
      return failure();
    Location loc = op.getLoc();
    auto packedType = layout.getSourceType();
    SmallVector<Value> inputs;
    for (Value in : op.getDpsInputs()) {
      auto u = in.getDefiningOp<linalg::UnPackOp>();
      if (u) {
        inputs.push_back(u.getSource());
        continue;
      }
      Value dest = tensor::EmptyOp::create(rw, loc, packedType.getShape(),
                                           packedType.getElementType());
      inputs.push_back(linalg::PackOp::create(rw, loc, in, dest,
                                              layout.getInnerDimsPos(),
                                              layout.getMixedTiles())
                           .getResult());
    }
    Value init = op.getDpsInits()[0];
    Value packedInit = tensor::EmptyOp::create(rw, loc, packedType.getShape(),
                                               packedType.getElementType());
    if (op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)))
      packedInit = linalg::PackOp::create(rw, loc, init, packedInit,
                                          layout.getInnerDimsPos(),
                                          layout.getMixedTiles())
                       .getResult();
    unsigned rank = packedType.getRank();
    SmallVector<AffineMap> maps(
        inputs.size() + 1, AffineMap::getMultiDimIdentityMap(rank, getContext()));
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto packed = linalg::GenericOp::create(rw, loc, TypeRange{packedType},
                                            inputs, ValueRange{packedInit},
                                            maps, iters);
    rw.inlineRegionBefore(op.getRegion(), packed.getRegion(),
                          packed.getRegion().begin());
    Value dest = tensor::EmptyOp::create(
        rw, loc, cast<RankedTensorType>(op.getResultTypes()[0]).getShape(),
        packedType.getElementType());
    rw.replaceOpWithNewOp<linalg::UnPackOp>(
        op, packed.getResult(0), dest, layout.getInnerDimsPos(),
        layout.getMixedTiles());
    return success();
  }
};

/// A convolution's strides and dilations along H and W.
struct Window {
  int64_t sh, sw, dh, dw;
};
template <typename ConvOp> Window windowOf(ConvOp conv) {
  auto at = [](DenseIntElementsAttr a, int64_t i) {
    return a.getValues<int64_t>()[i];
  };
  return {at(conv.getStrides(), 0), at(conv.getStrides(), 1),
          at(conv.getDilations(), 0), at(conv.getDilations(), 1)};
}

struct BlockChannelsPass
    : public mnemo::impl::BlockChannelsPassBase<BlockChannelsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    FailureOr<int64_t> lanesOrTarget =
        mnemo::passF32Lanes(ctx, lanes, cpu, cpuFeatures);
    if (failed(lanesOrTarget))
      return failure();
    block = *lanesOrTarget;
    return success();
  }

  /// Static f32 shapes, output channels in whole blocks, constant weights.
  bool canBlock(Operation *op) {
    auto x = cast<ShapedType>(op->getOperand(0).getType());
    auto w = cast<ShapedType>(op->getOperand(1).getType());
    auto out = cast<ShapedType>(op->getResult(0).getType());
    ElementsAttr weights = constantUnderReshapes(op->getOperand(1));
    return x.hasStaticShape() && w.hasStaticShape() && out.hasStaticShape() &&
           x.getElementType().isF32() && out.getDimSize(1) % block == 0 &&
           weights && mnemo::hasF32Values(weights);
  }

  /// Where the blocked layout pays: output rows at most `max-width` wide.
  bool wants(Operation *op) {
    return canBlock(op) &&
           cast<ShapedType>(op->getResult(0).getType()).getDimSize(3) <=
               maxWidth;
  }

  /// Whether `v` comes from a blocked result (an unpack, possibly through a
  /// pad and elementwise ops): packing it again cancels, so a convolution
  /// reads it blocked; otherwise it reads NCHW and nothing is reordered.
  static bool fromBlocked(Value v) {
    if (tensor::PadOp pad = spatialZeroPad(v))
      v = pad.getSource();
    Operation *def = v.getDefiningOp();
    if (isa_and_nonnull<linalg::UnPackOp>(def))
      return true;
    auto g = dyn_cast_or_null<linalg::GenericOp>(def);
    return g && isElementwise(g) && llvm::any_of(g.getDpsInputs(), fromBlocked);
  }

  /// The convolution whose result `v` is, through a spatial zero pad and
  /// one-input elementwise ops (the activation).
  static Operation *producingConv(Value v) {
    while (Operation *def = v.getDefiningOp()) {
      if (isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp>(def))
        return def;
      if (auto pad = spatialZeroPad(v)) {
        v = pad.getSource();
        continue;
      }
      auto g = dyn_cast<linalg::GenericOp>(def);
      if (!g || g.getNumDpsInputs() != 1 || !isElementwise(g))
        return nullptr;
      v = g.getDpsInputs()[0];
    }
    return nullptr;
  }

  /// A convolution: [F/B, C/B, KH, KW, B, B] weights when the input is
  /// blocked too (C a multiple of B), else [F/B, C, KH, KW, B] and the
  /// NCHW input read as broadcast scalars.
  /// `nchwInput`: read the input in NCHW even when C is a multiple of B
  /// (a chain's first convolution, whose producer writes NCHW: its
  /// broadcast scalars cost nothing there, a reorder would).
  LogicalResult rewriteConv(IRRewriter &rw, linalg::Conv2DNchwFchwOp conv,
                            bool nchwInput) {
    Value x = conv.getInputs()[0], w = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto wType = cast<ShapedType>(w.getType());
    int64_t F = wType.getDimSize(0), C = wType.getDimSize(1),
            KH = wType.getDimSize(2), KW = wType.getDimSize(3);
    std::optional<std::vector<float>> weights = constantFloats(w);
    if (!weights)
      return failure();
    bool blockedIn = C % block == 0 && !nchwInput;
    auto [sh, sw, dh, dwl] = windowOf(conv);
    Location loc = conv.getLoc();
    rw.setInsertionPoint(conv);
    MLIRContext *ctx = rw.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };

    // Weights: w'[fo][c or co][kh][kw]([ci])[fi].
    int64_t cb = blockedIn ? block : 1, cOuter = C / cb;
    std::vector<float> packed(weights->size());
    for (int64_t f = 0; f < F; ++f)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw) {
            int64_t to =
                ((((f / block * cOuter + c / cb) * KH + kh) * KW + kw) * cb +
                 c % cb) * block + f % block;
            packed[to] = (*weights)[((f * C + c) * KH + kh) * KW + kw];
          }
    SmallVector<int64_t> wShape = {F / block, cOuter, KH, KW};
    if (blockedIn)
      wShape.push_back(block);
    wShape.push_back(block);
    Value wb = floatConstant(rw, loc, wShape, packed, "conv_blocked");
    // The init is made right before the generic (after the input's
    // reorder), where the register-tile pass looks for it to start its
    // accumulators from.
    Value initB;

    SmallVector<AffineMap> maps;
    SmallVector<utils::IteratorType> iters;
    Value xb;
    Value result;
    bool pointwise = KH == 1 && KW == 1 && sh == 1 && sw == 1 &&
                     !x.getDefiningOp<tensor::PadOp>();
    if (pointwise) {
      // The map flattened, rows of pixels span the whole map:
      //   out'[n, fo, p, fi] += x'[n, co, p, ci] * w'[fo, co, ci, fi]
      //   (dims n, fo, p, fi, co, ci), or with an NCHW input
      //   out'[n, fo, p, fi] += x[n, c, p] * w'[fo, c, fi].
      SmallVector<ReassociationIndices> flat = {{0}, {1}, {2, 3}, {4}};
      Value xf, wf;
      if (blockedIn) {
        xf = tensor::CollapseShapeOp::create(
            rw, loc, packChannels(rw, loc, x, block), flat);
        wf = tensor::CollapseShapeOp::create(
            rw, loc, wb,
            SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4}, {5}});
        maps = {AffineMap::get(6, 0, {d(0), d(4), d(2), d(5)}, ctx),
                AffineMap::get(6, 0, {d(1), d(4), d(5), d(3)}, ctx),
                AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx)};
      } else {
        xf = tensor::CollapseShapeOp::create(
            rw, loc, x, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
        wf = tensor::CollapseShapeOp::create(
            rw, loc, wb, SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4}});
        maps = {AffineMap::get(5, 0, {d(0), d(4), d(2)}, ctx),
                AffineMap::get(5, 0, {d(1), d(4), d(3)}, ctx),
                AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
      }
      initB = blockedInit(rw, loc, init, block);
      Value initF = tensor::CollapseShapeOp::create(rw, loc, initB, flat);
      iters.assign(4, utils::IteratorType::parallel);
      iters.append(maps[0].getNumDims() - 4, utils::IteratorType::reduction);
      Value r = mulAddGeneric(rw, loc, xf, wf, initF, maps, iters);
      result = tensor::ExpandShapeOp::create(rw, loc, initB.getType(), r, flat);
    } else {
      // dims n, fo, oh, ow, fi, c|co, kh, kw (, ci)
      AffineExpr h = d(2) * sh + d(6) * dh, wexp = d(3) * sw + d(7) * dwl;
      if (blockedIn) {
        xb = blockedInput(rw, loc, x, block);
        maps = {AffineMap::get(9, 0, {d(0), d(5), h, wexp, d(8)}, ctx),
                AffineMap::get(9, 0, {d(1), d(5), d(6), d(7), d(8), d(4)}, ctx)};
      } else {
        xb = x;
        maps = {AffineMap::get(8, 0, {d(0), d(5), h, wexp}, ctx),
                AffineMap::get(8, 0, {d(1), d(5), d(6), d(7), d(4)}, ctx)};
      }
      initB = blockedInit(rw, loc, init, block);
      unsigned dims = blockedIn ? 9 : 8;
      maps.push_back(AffineMap::get(dims, 0, {d(0), d(1), d(2), d(3), d(4)}, ctx));
      iters.assign(5, utils::IteratorType::parallel);
      iters.append(dims - 5, utils::IteratorType::reduction);
      result = mulAddGeneric(rw, loc, xb, wb, initB, maps, iters);
    }
    replaceWithUnpack(rw, conv, result);
    return success();
  }

  /// A depthwise convolution: w'[cb][kh][kw][c], input and output blocked.
  LogicalResult rewriteDepthwise(IRRewriter &rw,
                                 linalg::DepthwiseConv2DNchwChwOp conv) {
    Value x = conv.getInputs()[0], w = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto wType = cast<ShapedType>(w.getType());
    int64_t C = wType.getDimSize(0), KH = wType.getDimSize(1),
            KW = wType.getDimSize(2);
    std::optional<std::vector<float>> weights = constantFloats(w);
    if (!weights)
      return failure();
    auto [sh, sw, dh, dwl] = windowOf(conv);
    Location loc = conv.getLoc();
    rw.setInsertionPoint(conv);
    MLIRContext *ctx = rw.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    std::vector<float> packed(weights->size());
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < KH * KW; ++k)
        packed[((c / block) * KH * KW + k) * block + c % block] =
            (*weights)[c * KH * KW + k];
    Value wb = floatConstant(rw, loc, {C / block, KH, KW, block}, packed,
                             "depthwise_blocked");
    Value xb = blockedInput(rw, loc, x, block);
    Value initB = blockedInit(rw, loc, init, block); // right before, as above
    // dims n, cb, oh, ow, c, kh, kw
    AffineExpr h = d(2) * sh + d(5) * dh, wexp = d(3) * sw + d(6) * dwl;
    SmallVector<AffineMap> maps = {
        AffineMap::get(7, 0, {d(0), d(1), h, wexp, d(4)}, ctx),
        AffineMap::get(7, 0, {d(1), d(5), d(6), d(4)}, ctx),
        AffineMap::get(7, 0, {d(0), d(1), d(2), d(3), d(4)}, ctx)};
    SmallVector<utils::IteratorType> iters(5, utils::IteratorType::parallel);
    iters.append(2, utils::IteratorType::reduction);
    Value result = mulAddGeneric(rw, loc, xb, wb, initB, maps, iters);
    replaceWithUnpack(rw, conv, result);
    return success();
  }

  void replaceWithUnpack(IRRewriter &rw, Operation *conv, Value blocked) {
    Location loc = conv->getLoc();
    auto type = cast<RankedTensorType>(conv->getResult(0).getType());
    Value empty = tensor::EmptyOp::create(rw, loc, type.getShape(),
                                          type.getElementType());
    Value out = linalg::UnPackOp::create(rw, loc, blocked, empty, {1},
                                         {rw.getIndexAttr(block)});
    rw.replaceOp(conv, out);
  }

  void runOnOperation() override {
    if (block <= 1)
      return;
    IRRewriter rw(&getContext());
    bool changed = false;
    SmallVector<Operation *> convs;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp>(op) &&
          op->getNumResults() == 1)
        convs.push_back(op);
    });
    // The chains: depthwise convolutions (NCHW reads their taps unaligned
    // and deinterleaves stride-2 ones), the pointwise convolution feeding
    // each (it then writes the blocked layout), and pointwise convolutions
    // reading a blocked one's result. Dense KxK convolutions keep NCHW: their pitched NCHW kernel
    // reuses each weight across a whole map row, where blocked rows of 7
    // or 14 pixels reload the weights per row (ResNet-18: 30 vs 26 ms).
    auto pointwise = [&](Operation *op) {
      auto conv = dyn_cast_or_null<linalg::Conv2DNchwFchwOp>(op);
      if (!conv || !canBlock(op))
        return false;
      auto w = cast<ShapedType>(conv.getInputs()[1].getType());
      return w.getDimSize(2) == 1 && w.getDimSize(3) == 1;
    };
    llvm::SetVector<Operation *> blocked;
    for (Operation *op : convs)
      if (isa<linalg::DepthwiseConv2DNchwChwOp>(op) && wants(op))
        blocked.insert(op);
    for (Operation *op : SmallVector<Operation *>(blocked.getArrayRef()))
      if (Operation *prev = producingConv(op->getOperand(0)); pointwise(prev))
        blocked.insert(prev);
    for (Operation *op : convs) // in order: chains of pointwise ones
      if (pointwise(op) && blocked.contains(producingConv(op->getOperand(0))))
        blocked.insert(op);
    for (Operation *op : convs) {
      if (!blocked.contains(op))
        continue;
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op))
        changed |= succeeded(
            rewriteConv(rw, conv, !fromBlocked(conv.getInputs()[0])));
      else
        changed |= succeeded(
            rewriteDepthwise(rw, cast<linalg::DepthwiseConv2DNchwChwOp>(op)));
    }
    if (!changed)
      return;
    // Unpacks down and packs up through elementwise ops and pads, where
    // they cancel (pack(unpack(x)) of one layout folds to x).
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    linalg::populateDataLayoutPropagationPatterns(
        patterns, [](OpOperand *operand) {
          Operation *owner = operand->getOwner();
          if (isa<tensor::PadOp>(owner))
            return true;
          auto generic = dyn_cast<linalg::GenericOp>(owner);
          return generic && isElementwise(generic);
        });
    patterns.add<PushUnPacksThroughElementwise>(ctx);
    linalg::PackOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::UnPackOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::PadOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // The reorders left where a blocked chain starts and ends: pad +
    // reshape + transpose, ops bufferization and the CPU pipeline know.
    SmallVector<Operation *> relayouts;
    getOperation().walk([&](Operation *op) {
      if (isa<linalg::PackOp, linalg::UnPackOp>(op))
        relayouts.push_back(op);
    });
    for (Operation *op : relayouts) {
      rw.setInsertionPoint(op);
      if (auto pack = dyn_cast<linalg::PackOp>(op)) {
        if (failed(linalg::lowerPack(rw, pack)))
          return signalPassFailure();
      } else if (failed(linalg::lowerUnPack(rw, cast<linalg::UnPackOp>(op)))) {
        return signalPassFailure();
      }
    }
    // lowerUnPack copies the reordered map into the unpack's destination;
    // into a tensor.empty that copy is the identity.
    getOperation().walk([&](linalg::CopyOp copy) {
      if (copy.hasPureTensorSemantics() &&
          copy.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() &&
          copy.getInputs()[0].getType() == copy.getResultTypes()[0])
        rw.replaceOp(copy, copy.getInputs()[0]);
    });
  }

  int64_t block = 0;
};

} // namespace
