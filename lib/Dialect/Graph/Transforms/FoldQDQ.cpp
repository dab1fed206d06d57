//===- FoldQDQ.cpp - graph-fold-qdq pass ----------------------------------===//
//
// QDQ layers (DequantizeLinear -> float op -> QuantizeLinear) as the
// integer ops they stand for, so a quantized model computes in integers.
//
//===----------------------------------------------------------------------===//

#include "Expander.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Support/Remarks.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/MapVector.h"

#include <cmath>

namespace mnemo::graph {
#define GEN_PASS_DEF_GRAPHFOLDQDQPASS
#include "mnemo/Dialect/Graph/Transforms/Passes.h.inc"
} // namespace mnemo::graph

using namespace mlir;
namespace g = mnemo::graph;

namespace {

int64_t rankOf(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t ? t.getRank() : -1;
}

/// A DequantizeLinear whose scale is per tensor (a scalar or one value).
bool perTensor(Value scale) {
  auto t = dyn_cast<RankedTensorType>(scale.getType());
  return t && t.hasStaticShape() && t.getNumElements() == 1;
}

/// The zero point of `dq`, or a 0 of x's type where it has none (the
/// QLinear ops take one).
Value zeroPointOf(PatternRewriter &b, g::DequantizeLinearOp dq) {
  if (!g::isNone(dq.getXZeroPoint()))
    return dq.getXZeroPoint();
  Type elt = g::elementTypeOf(dq.getX());
  auto t = RankedTensorType::get({}, elt);
  return g::ConstantOp::create(
      b, dq.getLoc(), DenseElementsAttr::get(t, IntegerAttr::get(elt, 0)));
}

/// A graph op typed by its shape function, or null (a fold only tries).
template <typename OpTy>
Value build(PatternRewriter &b, Location loc, ValueRange operands,
            ArrayRef<NamedAttribute> attrs) {
  g::Expander e{b, loc, /*failed=*/false, /*quiet=*/true};
  Value v = e.op<OpTy>(operands, attrs);
  return e.failed ? Value() : v;
}

/// The conv's float bias as values per output channel: a float constant,
/// or a DequantizeLinear of constants; nullopt otherwise.
std::optional<SmallVector<double>> biasValues(Value bias) {
  if (auto f = g::getWeightFloats(bias))
    return f;
  if (auto dq = bias.getDefiningOp<g::DequantizeLinearOp>())
    return g::dequantizedConstant(dq);
  return std::nullopt;
}

/// A float bias (a constant, or a DequantizeLinear of one) times `factor`
/// as the i32 bias of an integer layer: factor * bias[m] / (x_scale *
/// w_scale[m]), rounded; none stays none. Fails when a scale is not a
/// positive constant or a value overflows int32.
FailureOr<Value> quantizedBias(PatternRewriter &b, Location loc, Value bias,
                               Value xScale, Value wScale,
                               double factor = 1.0) {
  if (g::isNone(bias))
    return bias;
  auto xs = g::getWeightFloats(xScale);
  auto ws = g::getWeightFloats(wScale);
  auto bf = biasValues(bias);
  if (!xs || !ws || !bf || xs->empty() || ws->empty() ||
      (ws->size() != 1 && ws->size() != bf->size()))
    return failure();
  SmallVector<int32_t> bi;
  for (size_t m = 0; m < bf->size(); ++m) {
    double s = (*xs)[0] * (ws->size() == 1 ? (*ws)[0] : (*ws)[m]);
    if (!(s > 0))
      return failure();
    double v = std::nearbyint(factor * (*bf)[m] / s);
    if (!(std::fabs(v) < 2147483647.0))
      return failure();
    bi.push_back((int32_t)v);
  }
  auto t = RankedTensorType::get({(int64_t)bi.size()}, b.getI32Type());
  return (Value)g::ConstantOp::create(
      b, loc, DenseElementsAttr::get(t, ArrayRef<int32_t>(bi)));
}

/// A rewrite of one QDQ layer; counts the layers it folds.
struct FoldPattern : OpRewritePattern<g::QuantizeLinearOp> {
  FoldPattern(MLIRContext *ctx, int64_t &folded)
      : OpRewritePattern(ctx), folded(folded) {}
  /// Replaces `q` with the integer form and counts the layer.
  LogicalResult fold(PatternRewriter &b, g::QuantizeLinearOp q,
                     ValueRange values) const {
    b.replaceOp(q, values);
    ++folded;
    return success();
  }
  int64_t &folded;
};

/// Q(Conv(DQ(x), DQ(w), bias)) -> QLinearConv.
struct FoldConv : FoldPattern {
  using FoldPattern::FoldPattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    auto conv = q.getX().getDefiningOp<g::ConvOp>();
    if (!conv || !conv->hasOneUse())
      return failure();
    auto dx = conv.getX().getDefiningOp<g::DequantizeLinearOp>();
    auto dw = conv.getW().getDefiningOp<g::DequantizeLinearOp>();
    if (!dx || !dw || !perTensor(dx.getXScale()) || !perTensor(q.getYScale()) ||
        g::isNone(q.getYZeroPoint()))
      return b.notifyMatchFailure(q, "not a per-tensor QDQ convolution");
    // Weights per tensor or per output channel (axis 0).
    if (!perTensor(dw.getXScale()) && dw.getAxis() != 0)
      return b.notifyMatchFailure(q, "weights quantized along another axis");
    FailureOr<Value> bias =
        quantizedBias(b, conv.getLoc(), conv.getB(), dx.getXScale(),
                      dw.getXScale());
    if (failed(bias))
      return b.notifyMatchFailure(q, "the bias cannot be quantized to int32");
    // The fused op sits at the conv (its name in diagnostics and reports).
    Value fused =
        build<g::QLinearConvOp>(b, conv.getLoc(),
                                {dx.getX(), dx.getXScale(), zeroPointOf(b, dx),
                                 dw.getX(), dw.getXScale(), zeroPointOf(b, dw),
                                 q.getYScale(), q.getYZeroPoint(), *bias},
                                g::convWindowAttrs(conv));
    if (!fused || fused.getType() != q.getType())
      return b.notifyMatchFailure(q,
                                  "the fused op does not type as Q's result");
    return fold(b, q, fused);
  }
};

/// Q(MatMul(DQ(a), DQ(b))) -> QLinearMatMul (b per tensor or per column).
struct FoldMatMul : FoldPattern {
  using FoldPattern::FoldPattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    auto mm = q.getX().getDefiningOp<g::MatMulOp>();
    if (!mm || !mm->hasOneUse())
      return failure();
    auto da = mm.getA().getDefiningOp<g::DequantizeLinearOp>();
    auto db = mm.getB().getDefiningOp<g::DequantizeLinearOp>();
    if (!da || !db || !perTensor(da.getXScale()) || !perTensor(q.getYScale()) ||
        g::isNone(q.getYZeroPoint()) || rankOf(db.getX()) < 2)
      return b.notifyMatchFailure(q, "not a per-tensor QDQ matmul");
    // The attribute holds a signed axis (-1: the last).
    int64_t rb = rankOf(db.getX()), axis = (int64_t)db.getAxis();
    if (!perTensor(db.getXScale()) && axis != rb - 1 && axis != -1)
      return b.notifyMatchFailure(q, "b quantized along another axis");
    Value fused = build<g::QLinearMatMulOp>(
        b, mm.getLoc(),
        {da.getX(), da.getXScale(), zeroPointOf(b, da), db.getX(),
         db.getXScale(), zeroPointOf(b, db), q.getYScale(), q.getYZeroPoint(),
         g::NoneOp::create(b, mm.getLoc())},
        {});
    if (!fused || fused.getType() != q.getType())
      return b.notifyMatchFailure(q,
                                  "the fused op does not type as Q's result");
    return fold(b, q, fused);
  }
};

/// Two quantization parameters that are the same value or equal constants.
bool sameParam(Value a, Value b) {
  if (a == b)
    return true;
  if (g::isNone(a) || g::isNone(b))
    return g::isNone(a) && g::isNone(b);
  if (auto fa = g::getWeightFloats(a))
    return fa == g::getWeightFloats(b);
  auto ia = g::getWeightInts(a);
  return ia && ia == g::getWeightInts(b) &&
         g::elementTypeOf(a) == g::elementTypeOf(b);
}

/// `scale` (an f32 constant) times `factor` (positive, finite), as a new
/// constant; fails when `scale` is no f32 constant.
FailureOr<Value> scaledScale(PatternRewriter &b, Location loc, Value scale,
                             double factor) {
  if (factor == 1.0)
    return scale;
  auto t = dyn_cast<RankedTensorType>(scale.getType());
  auto values = g::getWeightFloats(scale);
  if (!t || !t.getElementType().isF32() || !values)
    return failure();
  SmallVector<float> scaled;
  for (double v : *values)
    scaled.push_back((float)(v * factor));
  return (Value)g::ConstantOp::create(
      b, loc, DenseElementsAttr::get(t, ArrayRef<float>(scaled)));
}

/// Q(Gemm(DQ(a), DQ(w), bias)) with a plain A -> QLinearMatMul with an i32
/// bias; a transposed w ([N, K], scales along N = axis 0) is a
/// graph.transpose the integer matmul reads in place. alpha * A * B + beta
/// * C is the product with w's scales times alpha (alpha > 0) and the bias
/// times beta.
struct FoldGemm : FoldPattern {
  using FoldPattern::FoldPattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    auto gemm = q.getX().getDefiningOp<g::GemmOp>();
    if (!gemm || !gemm->hasOneUse())
      return failure();
    auto da = gemm.getA().getDefiningOp<g::DequantizeLinearOp>();
    auto dw = gemm.getB().getDefiningOp<g::DequantizeLinearOp>();
    if (!da || !dw || !perTensor(da.getXScale()) || !perTensor(q.getYScale()) ||
        g::isNone(q.getYZeroPoint()) || gemm.getTransA() != 0 ||
        rankOf(dw.getX()) != 2)
      return b.notifyMatchFailure(q, "not a per-tensor QDQ Gemm");
    bool transB = gemm.getTransB() != 0;
    int64_t axis = (int64_t)dw.getAxis();
    if (axis < 0)
      axis += 2;
    if (!perTensor(dw.getXScale()) && axis != (transB ? 0 : 1))
      return b.notifyMatchFailure(q, "w quantized along K");
    // A bias per column ([N]) or one value; a [M, N] C is not a bias.
    if (!g::isNone(gemm.getC()) && rankOf(gemm.getC()) > 1)
      return b.notifyMatchFailure(q, "C is not a per-column bias");
    // alpha scales the weights' scales (a scale must stay positive), beta
    // the bias before it is quantized.
    double alpha = gemm.getAlpha().convertToDouble();
    double beta = gemm.getBeta().convertToDouble();
    if (!(alpha > 0) || !std::isfinite(alpha) || !std::isfinite(beta))
      return b.notifyMatchFailure(q, "alpha is not positive and finite, or "
                                     "beta is not finite");
    FailureOr<Value> wScale =
        scaledScale(b, gemm.getLoc(), dw.getXScale(), alpha);
    if (failed(wScale))
      return b.notifyMatchFailure(q, "the weights' scales are not f32 "
                                     "constants");
    FailureOr<Value> bias = quantizedBias(b, gemm.getLoc(), gemm.getC(),
                                          da.getXScale(), *wScale, beta);
    if (failed(bias))
      return b.notifyMatchFailure(q, "the bias cannot be quantized to int32");
    Value w = dw.getX();
    if (transB)
      w = build<g::TransposeOp>(b, gemm.getLoc(), {w}, {});
    Value fused = w ? build<g::QLinearMatMulOp>(
                          b, gemm.getLoc(),
                          {da.getX(), da.getXScale(), zeroPointOf(b, da), w,
                           *wScale, zeroPointOf(b, dw), q.getYScale(),
                           q.getYZeroPoint(), *bias},
                          {})
                    : Value();
    if (!fused || fused.getType() != q.getType())
      return b.notifyMatchFailure(q,
                                  "the fused op does not type as Q's result");
    return fold(b, q, fused);
  }
};

/// The operands of `op` that carry data (the rest are shapes, axes,
/// indices or bounds, which stay as they are).
SmallVector<unsigned> dataOperands(Operation *op) {
  if (isa<g::ConcatOp>(op))
    return llvm::to_vector(llvm::seq<unsigned>(0, op->getNumOperands()));
  return {0};
}

/// Q(op(DQ(x), ...)) -> op(x, ...) for ops that only move, select or
/// compare elements (reshapes, transposes, slices, gathers, max pooling,
/// concatenation), when every data input has Q's scale and zero point:
/// dequantization is monotonic (a positive scale) and Q(DQ(v)) = v, so the
/// 8-bit result is exact. A Concat input with other parameters is
/// requantized to Q's first (Q(DQ(x)), one 8-bit elementwise pass).
struct FoldSameQuantization : FoldPattern {
  using FoldPattern::FoldPattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    Operation *op = q.getX().getDefiningOp();
    if (!op || !op->hasOneUse() || op->getNumResults() != 1 ||
        !isa<g::ReshapeOp, g::FlattenOp, g::TransposeOp, g::SqueezeOp,
             g::UnsqueezeOp, g::SliceOp, g::IdentityOp, g::ExpandOp,
             g::GatherOp, g::MaxPoolOp, g::GlobalMaxPoolOp, g::ConcatOp>(op))
      return failure();
    if (!perTensor(q.getYScale()) || g::isNone(q.getYZeroPoint()))
      return b.notifyMatchFailure(q, "Q is not per tensor");
    auto s = g::getWeightFloats(q.getYScale());
    if (!s || s->empty() || !((*s)[0] > 0))
      return b.notifyMatchFailure(q, "the scale is not a positive constant");
    SmallVector<Value> operands(op->getOperands());
    for (unsigned i : dataOperands(op)) {
      auto dq = operands[i].getDefiningOp<g::DequantizeLinearOp>();
      if (!dq || !perTensor(dq.getXScale()) ||
          g::elementTypeOf(dq.getX()) != g::elementTypeOf(q))
        return b.notifyMatchFailure(q, "a data input is not dequantized");
      if (sameParam(dq.getXScale(), q.getYScale()) &&
          sameParam(dq.getXZeroPoint(), q.getYZeroPoint())) {
        operands[i] = dq.getX();
        continue;
      }
      if (!isa<g::ConcatOp>(op))
        return b.notifyMatchFailure(q, "not the same quantization around it");
      Value requant =
          build<g::QuantizeLinearOp>(b, dq.getLoc(),
                                     {dq.getResult(), q.getYScale(),
                                      q.getYZeroPoint()},
                                     {});
      if (!requant)
        return b.notifyMatchFailure(q, "cannot requantize a Concat input");
      operands[i] = requant;
    }
    Operation *created = g::createInferred(
        b, op->getLoc(), op->getName().getStringRef(), operands,
        op->getAttrs());
    if (!created || created->getResult(0).getType() != q.getType()) {
      if (created)
        b.eraseOp(created);
      return b.notifyMatchFailure(q, "the op does not type as Q's result");
    }
    return fold(b, q, created->getResults());
  }
};

/// Q(GlobalAveragePool(DQ(x))) per tensor -> the sum of the 8-bit values in
/// i32 (widened in the reduction's loop), requantized once per channel:
/// y = saturate(round((sum - n * x_zp) * x_scale / (n * y_scale)) + y_zp),
/// written as QuantizeLinear(float(sum - n * x_zp) * m, 1, y_zp).
struct FoldGlobalAveragePool : FoldPattern {
  using FoldPattern::FoldPattern;
  LogicalResult matchAndRewrite(g::QuantizeLinearOp q,
                                PatternRewriter &b) const override {
    auto pool = q.getX().getDefiningOp<g::GlobalAveragePoolOp>();
    if (!pool || !pool->hasOneUse())
      return failure();
    auto dq = pool.getX().getDefiningOp<g::DequantizeLinearOp>();
    auto xt = dq ? dyn_cast<RankedTensorType>(dq.getX().getType()) : nullptr;
    if (!dq || !xt || xt.getRank() < 3 || !perTensor(dq.getXScale()) ||
        !perTensor(q.getYScale()) || g::isNone(q.getYZeroPoint()))
      return b.notifyMatchFailure(q, "not a per-tensor QDQ average pool");
    int64_t n = 1;
    for (int64_t d = 2; d < xt.getRank(); ++d)
      n = xt.isDynamicDim(d) || n == ShapedType::kDynamic
              ? ShapedType::kDynamic
              : n * xt.getDimSize(d);
    auto xs = g::getWeightFloats(dq.getXScale());
    auto ys = g::getWeightFloats(q.getYScale());
    std::optional<SmallVector<int64_t>> xz =
        g::isNone(dq.getXZeroPoint()) ? SmallVector<int64_t>{0}
                                      : g::getWeightInts(dq.getXZeroPoint());
    if (n == ShapedType::kDynamic || !xs || !ys || !xz || xs->empty() ||
        ys->empty() || xz->empty() || !((*ys)[0] > 0))
      return b.notifyMatchFailure(q, "dynamic spatial dims or parameters");
    Type i32 = b.getI32Type(), f32 = b.getF32Type();
    g::Expander e{b, pool.getLoc(), /*failed=*/false, /*quiet=*/true};
    SmallVector<int64_t> axes;
    for (int64_t d = 2; d < xt.getRank(); ++d)
      axes.push_back(d);
    auto at = RankedTensorType::get({(int64_t)axes.size()}, b.getI64Type());
    Value axesV = g::ConstantOp::create(
        b, e.loc, DenseElementsAttr::get(at, ArrayRef<int64_t>(axes)));
    Value sum = e.op<g::ReduceSumOp>({e.cast(dq.getX(), i32), axesV});
    Value centered = e.op<g::SubOp>({sum, e.constant(i32, n * (*xz)[0])});
    float m = (float)(*xs)[0] / ((float)n * (float)(*ys)[0]);
    Value scaled = e.op<g::MulOp>({e.cast(centered, f32), e.constant(f32, m)});
    e.loc = q.getLoc();
    Value y = e.op<g::QuantizeLinearOp>(
        {scaled, e.constant(f32, 1.0), q.getYZeroPoint()});
    if (e.failed || y.getType() != q.getType())
      return b.notifyMatchFailure(q, "the integer pool does not type");
    return fold(b, q, y);
  }
};

/// Elementwise ops that, between DequantizeLinear inputs and a
/// QuantizeLinear of their result, become one fused loop from 8-bit
/// tensors to an 8-bit tensor (float arithmetic in registers only).
bool isQuantizedElementwise(Operation *op) {
  if (!isa<g::AddOp, g::SubOp, g::MulOp, g::DivOp, g::ReluOp, g::ClipOp,
           g::SigmoidOp, g::HardSigmoidOp, g::HardSwishOp, g::LeakyReluOp,
           g::TanhOp, g::MaxOp, g::MinOp>(op))
    return false;
  return !op->use_empty() && llvm::all_of(op->getUsers(), [](Operation *u) {
    return isa<g::QuantizeLinearOp>(u);
  });
}

struct GraphFoldQDQPass
    : public mnemo::graph::impl::GraphFoldQDQPassBase<GraphFoldQDQPass> {
  void runOnOperation() override {
    int64_t folded = 0;
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldConv, FoldMatMul, FoldGemm, FoldSameQuantization,
                 FoldGlobalAveragePool>(&getContext(), folded);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    // What still reads dequantized (float) values, by op type: elementwise
    // ops between 8-bit tensors (one fused loop each) and the rest.
    llvm::MapVector<StringRef, int64_t> elementwise, left;
    getOperation().walk([&](Operation *op) {
      if (isa<g::QuantizeLinearOp>(op) || op->hasTrait<OpTrait::IsTerminator>() ||
          llvm::none_of(op->getOperands(), [](Value v) {
            return v.getDefiningOp<g::DequantizeLinearOp>();
          }))
        return;
      ++(isQuantizedElementwise(op) ? elementwise : left)[op->getName().stripDialect()];
    });
    auto describe = [](const llvm::MapVector<StringRef, int64_t> &ops,
                       int64_t &total) {
      std::string list;
      for (auto [name, n] : ops) {
        total += n;
        list += (list.empty() ? "" : ", ") + name.str() +
                (n > 1 ? " x" + std::to_string(n) : "");
      }
      return list;
    };
    int64_t nElementwise = 0, nLeft = 0;
    std::string elementwiseList = describe(elementwise, nElementwise);
    std::string leftList = describe(left, nLeft);
    if (folded > 0 || nElementwise > 0 || nLeft > 0) {
      auto line = mnemo::ReportLine(getOperation().getLoc());
      line << "qdq: " << folded
           << " layers folded into integer ops, " << nElementwise
           << " elementwise between 8-bit tensors";
      if (nElementwise)
        line << " (" << elementwiseList << ")";
      line << ", " << nLeft << " left in float";
      if (nLeft)
        line << " (" << leftList << ")";
    }
  }
};

} // namespace
