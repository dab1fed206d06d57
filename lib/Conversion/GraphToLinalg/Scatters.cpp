//===- Scatters.cpp - indexed reads, writes and one-hot tensors ----------===//
//
// GatherND is a generic over its output reading data at the index tuples;
// OneHot and the window functions are generics computing each element
// from its index.
// The scatters copy data and then walk the updates in order (a loop nest
// carrying the result tensor, which bufferizes in place): each update is
// written, or combined with the element there (add, mul, max, min), at the
// position its indices name. Later updates win, as in ONNX's reference.
// Indices are wrapped when negative; one outside the data is never read
// or written through (a gather reads the nearest element, a scatter skips
// the update), so a bad index cannot touch memory outside the tensors.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

struct GatherNDPattern : GraphPattern<g::GatherNDOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto iT = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
    if (!t || !iT)
      return cannotLower(rw, op, "unranked gather_nd");
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    int64_t q = iT.getRank(), k = iT.getShape().back();
    int64_t b = op.getBatchDims();
    // Output dims: the indices' leading q - 1, then data's from b + k.
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < q - 1; ++d)
      sizes.push_back(tensor::getMixedSize(rw, loc, indices, d));
    for (int64_t d = b + k; d < cast<RankedTensorType>(data.getType()).getRank();
         ++d)
      sizes.push_back(tensor::getMixedSize(rw, loc, data, d));
    Value result = indexGeneric(
        rw, loc, t, sizes, {}, {},
        [&](OpBuilder &nb, Location l, ValueRange iv, ValueRange) -> Value {
          SmallVector<Value> src(iv.take_front(b));
          SmallVector<Value> at(iv.take_front(q - 1));
          at.push_back(Value());
          for (int64_t j = 0; j < k; ++j) {
            at.back() = indexConst(nb, l, j);
            Value dim = tensor::DimOp::create(nb, l, data, b + j);
            Value i = wrapIndex(
                nb, l, tensor::ExtractOp::create(nb, l, indices, at), dim);
            src.push_back(clampIndex(nb, l, i, dim));
          }
          llvm::append_range(src, iv.drop_front(q - 1));
          return tensor::ExtractOp::create(nb, l, data, src);
        });
    rw.replaceOp(op, result);
    return success();
  }
};

/// ReverseSequence: element t < len[b] along time reads time len[b] - 1 -
/// t, the rest themselves (len clamped into [0, time]).
struct ReverseSequencePattern : GraphPattern<g::ReverseSequenceOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ReverseSequenceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t)
      return cannotLower(rw, op, "unranked reverse_sequence");
    Location loc = op.getLoc();
    Value x = adaptor.getInput(), lens = adaptor.getSequenceLens();
    int64_t batch = op.getBatchAxis(), time = op.getTimeAxis();
    Value result = indexGeneric(
        rw, loc, t, tensor::getMixedSizes(rw, loc, x), {}, {},
        [&](OpBuilder &b, Location l, ValueRange iv, ValueRange) -> Value {
          Value steps = tensor::DimOp::create(b, l, x, time);
          Value len = clampIndex(
              b, l,
              toIndex(b, l, tensor::ExtractOp::create(b, l, lens, iv[batch])),
              arith::AddIOp::create(b, l, steps, indexConst(b, l, 1)));
          Value inside = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                               iv[time], len);
          Value back = arith::SubIOp::create(
              b, l, arith::SubIOp::create(b, l, len, indexConst(b, l, 1)), iv[time]);
          SmallVector<Value> src(iv);
          src[time] = arith::SelectOp::create(b, l, inside, back, iv[time]);
          return tensor::ExtractOp::create(b, l, x, src);
        });
    rw.replaceOp(op, result);
    return success();
  }
};

struct OneHotPattern : GraphPattern<g::OneHotOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t || !t.hasStaticShape())
      return cannotLower(rw, op, "one_hot needs a constant depth (an input "
                                 "feeding only it is specialized by "
                                 "mnemo-run --specialize-shape-inputs)");
    Location loc = op.getLoc();
    int64_t axis = normalizedAxis(op.getAxis(), t.getRank());
    int64_t depth = t.getDimSize(axis);
    Value indices = adaptor.getIndices(), values = adaptor.getValues();
    Type idxElt = origElt(op.getIndices());
    Value result = indexGeneric(
        rw, loc, t, {}, {}, {},
        [&](OpBuilder &b, Location l, ValueRange iv, ValueRange) -> Value {
          SmallVector<Value> at(iv);
          at.erase(at.begin() + axis);
          Value i = tensor::ExtractOp::create(b, l, indices, at);
          // Float indices truncate toward zero, as a cast to int64.
          if (isa<FloatType>(idxElt))
            i = arith::FPToSIOp::create(b, l, b.getI64Type(), i);
          i = wrapIndex(b, l, i, indexConst(b, l, depth));
          Value hot = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i,
                                            iv[axis]);
          auto pick = [&](int64_t k) {
            SmallVector<Value> pos(
                cast<RankedTensorType>(values.getType()).getRank(),
                indexConst(b, l, 0));
            if (!pos.empty())
              pos.back() = indexConst(b, l, k);
            return tensor::ExtractOp::create(b, l, values, pos);
          };
          return arith::SelectOp::create(b, l, hot, pick(1), pick(0));
        });
    rw.replaceOp(op, result);
    return success();
  }
};

/// Hann, Hamming and Blackman windows: a0 - a1 cos(2 pi n / N) + a2 cos(4
/// pi n / N), N the size (periodic) or size - 1 (symmetric), in f64.
struct WindowPattern : GraphPattern<g::WindowOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::WindowOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    if (!t || !t.hasStaticShape())
      return cannotLower(rw, op, "window needs a constant size (an input "
                                 "feeding only it is specialized by "
                                 "mnemo-run --specialize-shape-inputs)");
    StringRef kind = op.getKind();
    double a0 = 0.5, a1 = 0.5, a2 = 0;
    if (kind == "hamming")
      a0 = 25.0 / 46, a1 = 21.0 / 46;
    else if (kind == "blackman")
      a0 = 0.42, a1 = 0.5, a2 = 0.08;
    int64_t size = t.getDimSize(0);
    double n = op.getPeriodic() ? size : size - 1;
    Type f64 = rw.getF64Type(), elt = t.getElementType();
    Value result = indexGeneric(
        rw, op.getLoc(), t, {}, {}, {},
        [&](OpBuilder &b, Location l, ValueRange iv, ValueRange) -> Value {
          auto cf = [&](double v) { return scalarConst(b, l, f64, v); };
          Value x = arith::SIToFPOp::create(
              b, l, f64,
              arith::IndexCastOp::create(b, l, b.getI64Type(), iv[0]));
          // (A one-point symmetric window has N = 0: phase 0 here.)
          Value phase = arith::MulFOp::create(
              b, l, x, cf(n > 0 ? 2 * M_PI / n : 0));
          Value w = arith::SubFOp::create(
              b, l, cf(a0),
              arith::MulFOp::create(b, l, cf(a1), math::CosOp::create(b, l, phase)));
          if (a2 != 0)
            w = arith::AddFOp::create(
                b, l, w,
                arith::MulFOp::create(
                    b, l, cf(a2),
                    math::CosOp::create(
                        b, l, arith::MulFOp::create(b, l, phase, cf(2)))));
          return castScalar(b, l, w, f64, elt);
        });
    rw.replaceOp(op, result);
    return success();
  }
};

/// `old` combined with `update` by `reduction` (add, mul, max, min).
Value combine(OpBuilder &b, Location loc, StringRef reduction, Value old,
              Value update) {
  bool f = isa<FloatType>(old.getType());
  if (reduction == "add")
    return f ? arith::AddFOp::create(b, loc, old, update).getResult()
             : arith::AddIOp::create(b, loc, old, update).getResult();
  if (reduction == "mul")
    return f ? arith::MulFOp::create(b, loc, old, update).getResult()
             : arith::MulIOp::create(b, loc, old, update).getResult();
  if (reduction == "max")
    return f ? arith::MaximumFOp::create(b, loc, old, update).getResult()
             : arith::MaxSIOp::create(b, loc, old, update).getResult();
  if (reduction == "min")
    return f ? arith::MinimumFOp::create(b, loc, old, update).getResult()
             : arith::MinSIOp::create(b, loc, old, update).getResult();
  llvm_unreachable("reductions are checked by the shape function");
}

/// The target of update `iv` in data, and whether it lies inside.
using TargetFn = function_ref<std::pair<SmallVector<Value>, Value>(
    OpBuilder &, Location, ValueRange)>;

/// data with every element of `updates` written or combined at `target`.
Value scatter(OpBuilder &b, Location loc, Value data, Value updates,
              StringRef reduction, TargetFn target) {
  auto uT = cast<RankedTensorType>(updates.getType());
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t d = 0; d < uT.getRank(); ++d) {
    lbs.push_back(indexConst(b, loc, 0));
    ubs.push_back(tensor::DimOp::create(b, loc, updates, d));
    steps.push_back(indexConst(b, loc, 1));
  }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{data},
      [&](OpBuilder &nb, Location l, ValueRange iv,
          ValueRange acc) -> scf::ValueVector {
        auto [at, inside] = target(nb, l, iv);
        Value update = tensor::ExtractOp::create(nb, l, updates, iv);
        auto ifOp = scf::IfOp::create(
            nb, l, inside,
            [&](OpBuilder &tb, Location tl) {
              Value v = update;
              if (reduction != "none")
                v = combine(tb, tl, reduction,
                            tensor::ExtractOp::create(tb, tl, acc[0], at), update);
              scf::YieldOp::create(
                  tb, tl, tensor::InsertOp::create(tb, tl, v, acc[0], at)
                              .getResult());
            },
            [&](OpBuilder &eb, Location el) {
              scf::YieldOp::create(eb, el, acc[0]);
            });
        return {ifOp.getResult(0)};
      });
  return nest.results.empty() ? data : nest.results[0];
}

struct ScatterElementsPattern : GraphPattern<g::ScatterElementsOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ScatterElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto uT = dyn_cast<RankedTensorType>(adaptor.getUpdates().getType());
    if (!t || !uT)
      return cannotLower(rw, op, "unranked scatter_elements");
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    if (data.getType() != t)
      data = tensor::CastOp::create(rw, op.getLoc(), t, data);
    int64_t axis = normalizedAxis(op.getAxis(), t.getRank());
    Value result = scatter(
        rw, op.getLoc(), data, adaptor.getUpdates(), op.getReduction(),
        [&](OpBuilder &b, Location l, ValueRange iv) {
          SmallVector<Value> at(iv);
          Value dim = tensor::DimOp::create(b, l, data, axis);
          at[axis] = wrapIndex(b, l, tensor::ExtractOp::create(b, l, indices, iv),
                               dim);
          return std::make_pair(at, inRange(b, l, at[axis], dim));
        });
    rw.replaceOp(op, result);
    return success();
  }
};

struct ScatterNDPattern : GraphPattern<g::ScatterNDOp> {
  using GraphPattern::GraphPattern;
  LogicalResult
  matchAndRewrite(g::ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    RankedTensorType t = resultType(op);
    auto iT = dyn_cast<RankedTensorType>(adaptor.getIndices().getType());
    auto uT = dyn_cast<RankedTensorType>(adaptor.getUpdates().getType());
    if (!t || !iT || !uT || iT.getRank() == 0 ||
        iT.isDynamicDim(iT.getRank() - 1))
      return cannotLower(rw, op, "scatter_nd needs ranked operands and a "
                                 "static index tuple length");
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    if (data.getType() != t)
      data = tensor::CastOp::create(rw, op.getLoc(), t, data);
    int64_t q = iT.getRank(), k = iT.getShape().back();
    Value result = scatter(
        rw, op.getLoc(), data, adaptor.getUpdates(), op.getReduction(),
        [&](OpBuilder &b, Location l, ValueRange iv) {
          // Update [p..., j...] goes to data[indices[p..., :], j...].
          SmallVector<Value> tuple(iv.take_front(q - 1)), at;
          tuple.push_back(Value());
          Value inside = arith::ConstantIntOp::create(b, l, 1, 1);
          for (int64_t j = 0; j < k; ++j) {
            tuple.back() = indexConst(b, l, j);
            Value dim = tensor::DimOp::create(b, l, data, j);
            Value i = wrapIndex(
                b, l, tensor::ExtractOp::create(b, l, indices, tuple), dim);
            inside = arith::AndIOp::create(b, l, inside, inRange(b, l, i, dim));
            at.push_back(i);
          }
          llvm::append_range(at, iv.drop_front(q - 1));
          return std::make_pair(at, inside);
        });
    rw.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mnemo::lowering::populateScatterPatterns(const TypeConverter &tc,
                                              RewritePatternSet &p) {
  p.add<GatherNDPattern, ScatterElementsPattern, ScatterNDPattern,
        OneHotPattern, WindowPattern, ReverseSequencePattern>(
      tc, p.getContext());
}
