//===- ControlFlow.cpp - If, Loop and Scan to scf -------------------------===//
//
// graph.if -> scf.if, graph.scan -> scf.for over the scan length,
// graph.loop -> scf.while, all on tensors: one-shot bufferization turns the
// carried tensors into buffers updated in place and the memory planner
// plans what the bodies allocate.
//
// The parent patterns move the bodies into the scf ops and leave their
// graph.yield in place; the yield's own pattern then sees the converted
// operands and builds the scf terminator from them: a plain yield (If), the
// states plus each scan value inserted into its stacked accumulator (Scan),
// or the next iteration number and condition as well (Loop). What the
// yield needs to know of its parent's lowering rides on the yield as
// attributes.
//
// A Loop's scan outputs are accumulators of `trip_bound` rows; the result
// is the first `count` rows (boundedSlice, like NonZero). An iteration past
// the bound stops the loop and stores kStatusBoundExceeded in the
// module's run status, which the CPU ABI clears before the run and returns
// after it.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mnemo/Support/RunStatus.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::lowering;
namespace g = mnemo::graph;

namespace {

constexpr StringLiteral kStates = "mnemo.states";
constexpr StringLiteral kOutAxes = "mnemo.scan_output_axes";
constexpr StringLiteral kOutDirs = "mnemo.scan_output_directions";

/// `v` as `type` (a tensor.cast where the body knows a dim the op does not,
/// or the other way round).
Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  return v.getType() == type ? v : tensor::CastOp::create(b, loc, type, v);
}

/// `v` as the next value of the loop-carried tensor `arg`: copied into
/// `arg`, so one-shot bufferization keeps one buffer per carried value and
/// updates it in place (a body's result is a buffer of its own, and
/// yielding it would need a fresh buffer each iteration).
Value carry(OpBuilder &b, Location loc, Value v, Value arg) {
  if (v == arg || !isa<RankedTensorType>(arg.getType()))
    return v;
  return linalg::CopyOp::create(b, loc, castTo(b, loc, v, arg.getType()), arg)
      .getResult(0);
}

/// `slice` written into `acc` at position `pos` of dim `axis` (the slice
/// has that dim removed).
Value insertAt(OpBuilder &b, Location loc, Value slice, Value acc,
               int64_t axis, Value pos) {
  auto t = cast<RankedTensorType>(acc.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(t.getRank(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes;
  SmallVector<int64_t> sliceShape;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    if (d == axis) {
      offsets[d] = pos;
      sizes.push_back(b.getIndexAttr(1));
      continue;
    }
    sizes.push_back(t.isDynamicDim(d)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, acc, d).getResult())
                        : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
    sliceShape.push_back(t.getDimSize(d));
  }
  slice = castTo(b, loc, slice,
                 RankedTensorType::get(sliceShape, t.getElementType()));
  return tensor::InsertSliceOp::create(b, loc, slice, acc, offsets, sizes,
                                       strides);
}

/// `x` at position `pos` of dim `axis`, that dim dropped.
Value extractAt(OpBuilder &b, Location loc, Value x, int64_t axis, Value pos,
                RankedTensorType sliceType) {
  auto t = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(t.getRank(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = mixedSizes(b, loc, x);
  offsets[axis] = pos;
  sizes[axis] = b.getIndexAttr(1);
  return tensor::ExtractSliceOp::create(b, loc, sliceType, x, offsets, sizes,
                                        strides);
}

/// pos or length - 1 - pos.
Value directed(OpBuilder &b, Location loc, Value pos, Value length,
               bool reverse) {
  if (!reverse)
    return pos;
  Value last = arith::SubIOp::create(b, loc, length, indexConst(b, loc, 1));
  return arith::SubIOp::create(b, loc, last, pos);
}

SmallVector<int64_t> ints(ArrayAttr a, size_t n) {
  SmallVector<int64_t> out;
  if (a)
    for (Attribute x : a)
      out.push_back(cast<IntegerAttr>(x).getInt());
  out.resize(n, 0);
  return out;
}

FailureOr<SmallVector<Type>> convertTypes(const TypeConverter &tc,
                                          TypeRange types) {
  SmallVector<Type> out;
  if (failed(tc.convertTypes(types, out)))
    return failure();
  return out;
}

struct IfLowering : OpConversionPattern<g::IfOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::IfOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    FailureOr<SmallVector<Type>> types =
        convertTypes(*getTypeConverter(), op.getResultTypes());
    if (failed(types))
      return failure();
    Location loc = op.getLoc();
    Value cond = firstElement(rw, loc, adaptor.getCond());
    auto ifOp = scf::IfOp::create(rw, loc, *types, cond, /*addThenBlock=*/false,
                                  /*addElseBlock=*/false);
    rw.inlineRegionBefore(op.getThenBranch(), ifOp.getThenRegion(),
                          ifOp.getThenRegion().end());
    rw.inlineRegionBefore(op.getElseBranch(), ifOp.getElseRegion(),
                          ifOp.getElseRegion().end());
    rw.replaceOp(op, ifOp.getResults());
    return success();
  }
};

struct ScanLowering : OpConversionPattern<g::ScanOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::ScanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    const TypeConverter &tc = *getTypeConverter();
    Location loc = op.getLoc();
    int64_t m = op.getNumScanInputs();
    ValueRange inputs = adaptor.getInputs();
    unsigned n = inputs.size() - m, k = op.getNumResults() - n;
    SmallVector<int64_t> inAxes = ints(op.getScanInputAxesAttr(), m),
                         inDirs = ints(op.getScanInputDirectionsAttr(), m);
    FailureOr<SmallVector<Type>> types = convertTypes(tc, op.getResultTypes());
    if (failed(types))
      return failure();

    // The scan length from the first scan input; the accumulators of the
    // scan outputs start empty (every row is written).
    Value length = tensor::DimOp::create(rw, loc, inputs[n], inAxes[0]);
    SmallVector<Value> init(inputs.take_front(n));
    for (unsigned j = 0; j < k; ++j) {
      auto t = cast<RankedTensorType>((*types)[n + j]);
      SmallVector<OpFoldResult> sizes;
      int64_t axis = ints(op.getScanOutputAxesAttr(), k)[j];
      for (int64_t d = 0; d < t.getRank(); ++d)
        sizes.push_back(d == axis ? OpFoldResult(length)
                        : t.isDynamicDim(d)
                            ? OpFoldResult(rw.getIndexAttr(0))
                            : OpFoldResult(rw.getIndexAttr(t.getDimSize(d))));
      if (llvm::count_if(t.getShape(), ShapedType::isDynamic) >
          (t.isDynamicDim(axis) ? 1 : 0))
        return rw.notifyMatchFailure(op, "scan output of unknown size");
      init.push_back(castTo(rw, loc, emptyTensor(rw, loc, t, sizes), t));
    }
    // Carried values take the op's (converted) result types.
    for (unsigned i = 0; i < n; ++i)
      init[i] = castTo(rw, loc, init[i], (*types)[i]);

    if (failed(rw.convertRegionTypes(&op.getBody(), tc)))
      return failure();
    auto loop = scf::ForOp::create(rw, loc, indexConst(rw, loc, 0), length,
                                   indexConst(rw, loc, 1), init);
    Block *loopBody = loop.getBody();
    rw.setInsertionPointToStart(loopBody);
    Value iv = loop.getInductionVar();
    SmallVector<Value> args;
    Block &graphBody = op.getBody().front();
    for (unsigned i = 0; i < n; ++i)
      args.push_back(castTo(rw, loc, loopBody->getArgument(1 + i),
                            graphBody.getArgument(i).getType()));
    for (int64_t j = 0; j < m; ++j) {
      Value pos = directed(rw, loc, iv, length, inDirs[j] == 1);
      args.push_back(extractAt(
          rw, loc, inputs[n + j], inAxes[j], pos,
          cast<RankedTensorType>(graphBody.getArgument(n + j).getType())));
    }
    Operation *yield = graphBody.getTerminator();
    rw.modifyOpInPlace(yield, [&] {
      yield->setAttr(kStates, rw.getI64IntegerAttr(n));
      yield->setAttr(kOutAxes, op.getScanOutputAxesAttr()
                                   ? op.getScanOutputAxesAttr()
                                   : rw.getI64ArrayAttr(SmallVector<int64_t>(k, 0)));
      yield->setAttr(kOutDirs,
                     op.getScanOutputDirectionsAttr()
                         ? op.getScanOutputDirectionsAttr()
                         : rw.getI64ArrayAttr(SmallVector<int64_t>(k, 0)));
    });
    // The graph body's yield becomes the loop's terminator (the builder
    // made one only for a loop without iteration arguments).
    if (init.empty())
      rw.eraseOp(&loopBody->back());
    rw.mergeBlocks(&graphBody, loopBody, args);
    rw.replaceOp(op, loop.getResults());
    return success();
  }
};

struct LoopLowering : OpConversionPattern<g::LoopOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::LoopOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    const TypeConverter &tc = *getTypeConverter();
    Location loc = op.getLoc();
    unsigned n = op.getInitial().size(), k = op.getNumResults() - n;
    FailureOr<SmallVector<Type>> types = convertTypes(tc, op.getResultTypes());
    if (failed(types))
      return failure();
    if (k > 0 && !op.getTripBound())
      return rw.notifyMatchFailure(op, "scan outputs without a trip bound");
    int64_t bound = op.getTripBound().value_or(0);
    Type i64 = rw.getI64Type(), i1 = rw.getI1Type();

    Value maxTrips = g::isNone(op.getMaxTripCount())
                         ? (Value)arith::ConstantIntOp::create(rw, loc, i64, INT64_MAX)
                         : firstElement(rw, loc, adaptor.getMaxTripCount());
    Value cond0 = g::isNone(op.getCond())
                      ? (Value)arith::ConstantIntOp::create(rw, loc, i1, 1)
                      : firstElement(rw, loc, adaptor.getCond());
    // Iteration arguments: i, the carried values, the accumulators, cond.
    // The condition goes last: canonicalization drops it from what the
    // before region forwards when the body yields it unchanged, and
    // bufferization pairs forwarded tensors with iteration arguments by
    // position.
    SmallVector<Value> init = {arith::ConstantIntOp::create(rw, loc, i64, 0)};
    for (auto [v, t] : llvm::zip(adaptor.getInitial(), *types))
      init.push_back(castTo(rw, loc, v, t));
    SmallVector<Type> accTypes;
    for (unsigned j = 0; j < k; ++j) {
      auto t = cast<RankedTensorType>((*types)[n + j]);
      SmallVector<int64_t> shape(t.getShape());
      shape[0] = bound;
      auto accType = RankedTensorType::get(shape, t.getElementType());
      accTypes.push_back(accType);
      init.push_back(tensor::EmptyOp::create(rw, loc, shape, t.getElementType()));
    }
    init.push_back(cond0);
    SmallVector<Type> iterTypes = llvm::to_vector(ValueRange(init).getTypes());
    SmallVector<Location> locs(iterTypes.size(), loc);

    if (failed(rw.convertRegionTypes(&op.getBody(), tc)))
      return failure();
    auto loop = scf::WhileOp::create(rw, loc, iterTypes, init);
    // Before: run while i < M and cond, and for scan outputs i < bound; an
    // iteration the bound cuts off is an error the run reports.
    {
      Block *before = rw.createBlock(&loop.getBefore(), {}, iterTypes, locs);
      Value i = before->getArgument(0), c = before->getArguments().back();
      Value run = arith::AndIOp::create(
          rw, loc,
          arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::slt, i, maxTrips),
          c);
      if (k > 0) {
        Value over = arith::AndIOp::create(
            rw, loc, run,
            arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::sge, i,
                                  arith::ConstantIntOp::create(rw, loc, i64, bound)));
        scf::IfOp::create(rw, loc, over, [&](OpBuilder &b, Location l) {
          storeRunStatus(b, l, op, kStatusBoundExceeded);
          scf::YieldOp::create(b, l);
        });
        run = arith::AndIOp::create(
            rw, loc, run,
            arith::XOrIOp::create(rw, loc, over,
                                  arith::ConstantIntOp::create(rw, loc, i1, 1)));
      }
      scf::ConditionOp::create(rw, loc, run, before->getArguments());
    }
    // After: the body, its arguments as tensors.
    Block *after = rw.createBlock(&loop.getAfter(), {}, iterTypes, locs);
    Block &graphBody = op.getBody().front();
    SmallVector<Value> args = {
        tensor::FromElementsOp::create(rw, loc,
                                       graphBody.getArgument(0).getType(),
                                       after->getArgument(0)),
        tensor::FromElementsOp::create(rw, loc,
                                       graphBody.getArgument(1).getType(),
                                       after->getArguments().back())};
    for (unsigned i = 0; i < n; ++i)
      args.push_back(castTo(rw, loc, after->getArgument(1 + i),
                            graphBody.getArgument(2 + i).getType()));
    Operation *yield = graphBody.getTerminator();
    rw.modifyOpInPlace(yield, [&] {
      yield->setAttr(kStates, rw.getI64IntegerAttr(n));
    });
    rw.mergeBlocks(&graphBody, after, args);

    rw.setInsertionPointAfter(loop);
    SmallVector<Value> results;
    for (unsigned i = 0; i < n; ++i)
      results.push_back(castTo(rw, loc, loop.getResult(1 + i), (*types)[i]));
    Value count = arith::IndexCastOp::create(rw, loc, rw.getIndexType(),
                                             loop.getResult(0));
    for (unsigned j = 0; j < k; ++j)
      results.push_back(castTo(
          rw, loc, boundedSlice(rw, loc, loop.getResult(1 + n + j), 0, count, bound),
          (*types)[n + j]));
    rw.replaceOp(op, results);
    return success();
  }
};

/// graph.yield inside the scf op its parent became.
struct YieldLowering : OpConversionPattern<g::YieldOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(g::YieldOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rw) const override {
    Location loc = op.getLoc();
    Operation *parent = op->getParentOp();
    ValueRange values = adaptor.getValues();
    if (auto ifOp = dyn_cast<scf::IfOp>(parent)) {
      SmallVector<Value> out;
      for (auto [v, t] : llvm::zip(values, ifOp.getResultTypes()))
        out.push_back(castTo(rw, loc, v, t));
      rw.replaceOpWithNewOp<scf::YieldOp>(op, out);
      return success();
    }
    auto states = op->getAttrOfType<IntegerAttr>(kStates);
    if (!states)
      return failure();
    unsigned n = states.getInt();
    if (auto loop = dyn_cast<scf::ForOp>(parent)) {
      Block *body = loop.getBody();
      unsigned k = values.size() - n;
      SmallVector<int64_t> axes = ints(op->getAttrOfType<ArrayAttr>(kOutAxes), k),
                           dirs = ints(op->getAttrOfType<ArrayAttr>(kOutDirs), k);
      // Scan values first: one may read a state that the copies below
      // then overwrite.
      SmallVector<Value> out(n);
      for (unsigned j = 0; j < k; ++j) {
        Value pos = directed(rw, loc, loop.getInductionVar(),
                             loop.getUpperBound(), dirs[j] == 1);
        out.push_back(insertAt(rw, loc, values[n + j],
                               body->getArgument(1 + n + j), axes[j], pos));
      }
      for (unsigned i = 0; i < n; ++i)
        out[i] = carry(rw, loc, values[i], body->getArgument(1 + i));
      rw.replaceOpWithNewOp<scf::YieldOp>(op, out);
      return success();
    }
    if (auto loop = dyn_cast<scf::WhileOp>(parent)) {
      Block *after = &loop.getAfter().front();
      unsigned k = values.size() - 1 - n;
      Value i = after->getArgument(0);
      SmallVector<Value> out = {arith::AddIOp::create(
          rw, loc, i, arith::ConstantIntOp::create(rw, loc, i.getType(), 1))};
      out.resize(1 + n);
      // Scan values before the carried copies, as above.
      Value pos = arith::IndexCastOp::create(rw, loc, rw.getIndexType(), i);
      for (unsigned j = 0; j < k; ++j)
        out.push_back(insertAt(rw, loc, values[1 + n + j],
                               after->getArgument(1 + n + j), 0, pos));
      for (unsigned c = 0; c < n; ++c)
        out[1 + c] = carry(rw, loc, values[1 + c], after->getArgument(1 + c));
      out.push_back(firstElement(rw, loc, values[0]));
      rw.replaceOpWithNewOp<scf::YieldOp>(op, out);
      return success();
    }
    return failure();
  }
};

} // namespace

void mnemo::populateGraphControlFlowToSCFPatterns(const TypeConverter &tc,
                                                  RewritePatternSet &p) {
  p.add<IfLowering, ScanLowering, LoopLowering, YieldLowering>(tc,
                                                               p.getContext());
}
