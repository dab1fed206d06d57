//===- ControlFlow.cpp - If, Loop and Scan --------------------------------===//
//
// The subgraph attributes become regions of graph.if / graph.loop /
// graph.scan (Importer::importSubgraph). What the bodies receive is typed
// from the op's operands, not from the subgraph's declarations (exporters
// leave those without shapes). Shapes the graph level cannot know are
// settled here or rejected with the node's name: a loop-carried value must
// keep its shape, and a Loop's scan outputs need a bound on the iteration
// count (the artifact's workspace is fixed at compile time).
//
//===----------------------------------------------------------------------===//

#include "BuildOp.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::onnx_import;
namespace g = mnemo::graph;

static const onnx::GraphProto *graphAttr(NodeContext &c, StringRef name) {
  for (const auto &a : c.node.attribute())
    if (a.name() == name && a.has_g()) {
      c.take(name);
      return &a.g();
    }
  return nullptr;
}

/// The type a result has until its body is imported and the result's
/// real type is set from what the body yields (as Importer::build types
/// results before inferring them).
static Type typeBeforeBody(Builder &b) {
  return UnrankedTensorType::get(b.getF32Type());
}

static Type yieldedType(Region &body, unsigned i) {
  return body.front().getTerminator()->getOperand(i).getType();
}

/// The type both branch types refine: dims on which they differ are
/// dynamic. Null when element types or ranks differ.
static Type join(Type a, Type b) {
  if (a == b)
    return a;
  auto ra = dyn_cast<RankedTensorType>(a), rb = dyn_cast<RankedTensorType>(b);
  if (!ra || !rb || ra.getElementType() != rb.getElementType() ||
      ra.getRank() != rb.getRank())
    return {};
  SmallVector<int64_t> shape;
  for (auto [x, y] : llvm::zip(ra.getShape(), rb.getShape()))
    shape.push_back(x == y ? x : ShapedType::kDynamic);
  return RankedTensorType::get(shape, ra.getElementType());
}

/// `t` with the dims it leaves dynamic taken from `declared` (the model's
/// declaration of the same value), when the ranks agree.
static Type refineWith(Type t, Type declared) {
  auto rt = dyn_cast<RankedTensorType>(t);
  auto rd = dyn_cast_or_null<RankedTensorType>(declared);
  if (!rt || !rd || rd.getRank() != rt.getRank())
    return t;
  SmallVector<int64_t> shape(rt.getShape());
  for (auto [s, d] : llvm::zip(shape, rd.getShape()))
    if (ShapedType::isDynamic(s))
      s = d;
  return RankedTensorType::get(shape, rt.getElementType());
}

static std::string typeString(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

static LogicalResult finish(Operation *op,
                            SmallVectorImpl<Value> &outs) {
  if (failed(verify(op)))
    return failure();
  llvm::append_range(outs, op->getResults());
  return success();
}

//===----------------------------------------------------------------------===//
// If
//===----------------------------------------------------------------------===//

static LogicalResult convertIf(NodeContext &c, SmallVectorImpl<Value> &outs) {
  const onnx::GraphProto *thenG = graphAttr(c, "then_branch");
  const onnx::GraphProto *elseG = graphAttr(c, "else_branch");
  if (!thenG || !elseG)
    return emitError(c.loc) << "needs graph attributes then_branch and "
                               "else_branch";
  if (NodeBuilder{c}.leftover())
    return success();
  unsigned n = c.node.output_size();
  if ((unsigned)thenG->output_size() != n || (unsigned)elseG->output_size() != n)
    return emitError(c.loc) << "has " << n << " outputs but its branches yield "
                            << thenG->output_size() << " and "
                            << elseG->output_size();
  // A condition known at compile time imports the branch taken alone: the
  // other may read what this compile lacks (an absent optional's value).
  if (std::optional<int64_t> cond = constantScalar(c.input(0))) {
    SmallVector<ImportedValue> yielded;
    if (failed(c.imp.importInline(*cond ? *thenG : *elseG, {}, yielded)))
      return failure();
    for (const ImportedValue &v : yielded)
      c.addOutput(v, outs);
    return success();
  }
  OpBuilder &b = c.imp.getBuilder();
  auto op = g::IfOp::create(b, c.loc, SmallVector<Type>(n, typeBeforeBody(b)),
                            c.input(0));
  // Branches may yield sequences or optionals: their tensors are yielded
  // in order, and both branches must yield the same form.
  SmallVector<ImportedValue> thenForm, elseForm;
  if (failed(c.imp.importSubgraph(*thenG, op.getThenBranch(), {}, &thenForm)) ||
      failed(c.imp.importSubgraph(*elseG, op.getElseBranch(), {}, &elseForm))) {
    op->erase();
    return failure();
  }
  for (unsigned i = 0; i < n; ++i)
    if (!thenForm[i].sameStructure(elseForm[i])) {
      op->erase();
      return emitError(c.loc) << "output " << i << ": the then branch yields "
                              << thenForm[i].describe() << ", the else branch "
                              << elseForm[i].describe()
                              << " (mnemo resolves sequences and optionals at "
                                 "compile time; a run-time condition must "
                                 "not change their form)";
    }
  unsigned flat = op.getThenBranch().front().getTerminator()->getNumOperands();
  if (flat != n) {
    auto wide = g::IfOp::create(
        b, c.loc, SmallVector<Type>(flat, typeBeforeBody(b)), c.input(0));
    wide.getThenBranch().takeBody(op.getThenBranch());
    wide.getElseBranch().takeBody(op.getElseBranch());
    op->erase();
    op = wide;
  }
  for (unsigned i = 0; i < flat; ++i) {
    Type a = yieldedType(op.getThenBranch(), i),
         e = yieldedType(op.getElseBranch(), i);
    Type t = join(a, e);
    if (!t) {
      op->erase();
      return emitError(c.loc) << "output " << i << ": the branches yield "
                              << a << " and " << e
                              << " (different element types or ranks)";
    }
    op.getResult(i).setType(t);
  }
  if (failed(verify(op)))
    return failure();
  unsigned next = 0;
  for (unsigned i = 0; i < n; ++i) {
    ImportedValue v = thenForm[i];
    for (Value &t : v.tensors)
      t = op.getResult(next++);
    c.addOutput(v, outs);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Loop
//===----------------------------------------------------------------------===//

/// Most iterations a Loop carrying a sequence or an optional is unrolled
/// for at import.
static constexpr int64_t kMaxUnrolledIterations = 4096;

/// A Loop carrying a sequence or an optional: the iterations imported one
/// after another (mnemo resolves those at compile time), so the trip count
/// and every iteration's condition must be constants.
static LogicalResult unrollLoop(NodeContext &c, const onnx::GraphProto &body,
                                SmallVectorImpl<Value> &outs) {
  auto notConstant = [&](StringRef what) {
    return emitError(c.loc) << "carries a sequence or an optional, so it is "
                               "unrolled at compile time, but "
                            << what << " is known only at run time";
  };
  std::optional<int64_t> trips;
  if (c.hasInput(0)) {
    trips = constantScalar(c.input(0));
    if (!trips)
      return notConstant("its trip count");
    trips = std::max<int64_t>(0, *trips);
  }
  bool cond = true;
  if (c.hasInput(1)) {
    std::optional<int64_t> given = constantScalar(c.input(1));
    if (!given)
      return notConstant("its condition");
    cond = *given != 0;
  }
  SmallVector<ImportedValue> carried;
  for (unsigned i = 2; i < c.inputs.size(); ++i)
    carried.push_back(c.structuredIns[i] ? *c.structuredIns[i]
                                         : ImportedValue::tensor(c.inputs[i]));
  unsigned n = carried.size();
  if (body.output_size() < (int)n + 1)
    return emitError(c.loc) << "body yields " << body.output_size()
                            << " values, fewer than the condition and " << n
                            << " carried values";
  unsigned k = body.output_size() - n - 1;
  SmallVector<SmallVector<Value>> scans(k);
  Type i1 = c.imp.getBuilder().getI1Type();
  for (int64_t it = 0; cond && (!trips || it < *trips); ++it) {
    if (it == kMaxUnrolledIterations)
      return emitError(c.loc) << "carries a sequence or an optional and runs "
                                 "more than "
                              << kMaxUnrolledIterations
                              << " iterations (it is unrolled at compile time)";
    SmallVector<ImportedValue> args = {
        ImportedValue::tensor(c.imp.constI64({it}, c.loc, /*scalar=*/true)),
        ImportedValue::tensor(c.imp.constant(
            DenseElementsAttr::get(RankedTensorType::get({}, i1), cond),
            c.loc))};
    llvm::append_range(args, carried);
    SmallVector<ImportedValue> yielded;
    if (failed(c.imp.importInline(body, args, yielded)))
      return failure();
    for (auto [j, y] : llvm::enumerate(yielded))
      if ((j == 0 || j > n) && !y.isTensor())
        return emitError(c.loc) << "body output " << j << " is "
                                << y.describe() << ", not a tensor";
    std::optional<int64_t> next = constantScalar(yielded[0].tensors.front());
    if (!next)
      return notConstant("the condition its body computes");
    cond = *next != 0;
    for (unsigned i = 0; i < n; ++i)
      carried[i] = yielded[1 + i];
    for (unsigned j = 0; j < k; ++j)
      scans[j].push_back(yielded[1 + n + j].tensors.front());
  }
  for (const ImportedValue &v : carried)
    c.addOutput(v, outs);
  NodeBuilder f{c};
  for (auto [j, parts] : llvm::enumerate(scans)) {
    if (parts.empty())
      return emitError(c.loc) << "runs no iteration, so its scan output '"
                              << c.node.output(n + j)
                              << "' has no shape to take";
    for (Value &p : parts)
      p = f.op<g::UnsqueezeOp>({p, c.imp.constI64({0}, c.loc)});
    Value stacked = parts.size() == 1
                        ? parts.front()
                        : f.op<g::ConcatOp>(parts, {f.attr("axis", 0)});
    if (failed(f.status) || !c.unsupported.empty())
      return f.status;
    outs.push_back(stacked);
  }
  return success();
}

static LogicalResult convertLoop(NodeContext &c, SmallVectorImpl<Value> &outs) {
  const onnx::GraphProto *body = graphAttr(c, "body");
  if (!body)
    return emitError(c.loc) << "needs a graph attribute 'body'";
  if (NodeBuilder{c}.leftover())
    return success();
  if (llvm::any_of(c.structuredIns, [](const auto &s) { return s.has_value(); }))
    return unrollLoop(c, *body, outs);
  OpBuilder &b = c.imp.getBuilder();
  SmallVector<Value> carried(c.inputs.begin() + std::min<size_t>(2, c.inputs.size()),
                             c.inputs.end());
  unsigned n = carried.size();
  if (body->output_size() < (int)n + 1)
    return emitError(c.loc) << "body yields " << body->output_size()
                            << " values, fewer than the condition and " << n
                            << " carried values";
  unsigned k = body->output_size() - n - 1;
  for (unsigned i = 0; i < 2; ++i)
    if (auto t = dyn_cast<RankedTensorType>(c.input(i).getType());
        t && t.hasStaticShape() && t.getNumElements() != 1)
      return emitError(c.loc) << (i ? "the condition" : "the trip count")
                              << " must hold one element, got " << t;

  SmallVector<Type> argTypes = {
      RankedTensorType::get({}, b.getI64Type()),
      RankedTensorType::get({}, b.getI1Type())};
  for (Value v : carried)
    argTypes.push_back(v.getType());
  SmallVector<Type> resultTypes(n + k, typeBeforeBody(b));
  for (unsigned i = 0; i < n; ++i)
    resultTypes[i] = carried[i].getType();
  auto op = g::LoopOp::create(b, c.loc, resultTypes, c.input(0), c.input(1),
                              carried, IntegerAttr());
  auto fail = [&]() {
    op->erase();
    return failure();
  };
  if (failed(c.imp.importSubgraph(*body, op.getBody(), argTypes)))
    return fail();

  for (unsigned i = 0; i < n; ++i) {
    Type next = yieldedType(op.getBody(), i + 1);
    if (!join(carried[i].getType(), next) ||
        failed(verifyCompatibleShape(carried[i].getType(), next))) {
      op->erase();
      return emitError(c.loc)
             << "loop-carried value '" << c.node.input(i + 2)
             << "' changes shape across iterations (" << carried[i].getType()
             << " in, " << next << " yielded); not supported";
    }
  }
  if (k == 0)
    return finish(op, outs);

  // The iteration count is a run-time value: scan outputs get a buffer of
  // the bound's rows. The tightest bound known: a constant trip count, a
  // static size the model declares for a scan output, the user's option.
  std::optional<int64_t> bound;
  auto tighten = [&](int64_t v) {
    v = std::max<int64_t>(v, 0);
    bound = bound ? std::min(*bound, v) : v;
  };
  if (std::optional<int64_t> trips = constantScalar(c.input(0)))
    tighten(*trips);
  for (unsigned j = 0; j < k; ++j) {
    const std::string &name = c.node.output(n + j);
    auto declared =
        dyn_cast_or_null<RankedTensorType>(c.imp.declaredType(name));
    Type scan = yieldedType(op.getBody(), 1 + n + j);
    if (declared && declared.getRank() >= 1) {
      if (!ShapedType::isDynamic(declared.getDimSize(0)))
        tighten(declared.getDimSize(0));
      scan = refineWith(scan, RankedTensorType::get(
                                  declared.getShape().drop_front(),
                                  declared.getElementType()));
    }
    auto st = dyn_cast<RankedTensorType>(scan);
    if (!st || !st.hasStaticShape()) {
      op->erase();
      return emitError(c.loc) << "scan output '" << name << "' has a shape "
                              << "unknown at compile time (" << scan << ")";
    }
    SmallVector<int64_t> shape = {ShapedType::kDynamic};
    llvm::append_range(shape, st.getShape());
    op.getResult(n + j).setType(RankedTensorType::get(shape, st.getElementType()));
  }
  if (c.imp.getOptions().maxLoopIterations > 0)
    tighten(c.imp.getOptions().maxLoopIterations);
  if (!bound) {
    op->erase();
    return emitError(c.loc)
           << "its scan outputs need a bound on the number of iterations: "
              "the trip count is not a constant and the model declares no "
              "static size for output '"
           << c.node.output(n) << "'; give one with --max-loop-iterations=N";
  }
  op.setTripBoundAttr(b.getI64IntegerAttr(*bound));
  for (unsigned j = 0; j < k; ++j) {
    auto t = cast<RankedTensorType>(op.getResult(n + j).getType());
    SmallVector<int64_t> shape(t.getShape());
    shape[0] = *bound;
    if (failed(g::checkTensorBytes(c.loc,
                                   RankedTensorType::get(shape, t.getElementType()),
                                   c.imp.getOptions().maxTensorBytes,
                                   "scan output '" + c.node.output(n + j) +
                                       "' at its bound of " +
                                       std::to_string(*bound) + " iterations")))
      return fail();
  }
  return finish(op, outs);
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

/// One graph.scan (opset 9 semantics) of `states` and `scans` with `body`;
/// axes normalized, directions 0 (forward) or 1.
static FailureOr<Operation *>
buildScan(NodeContext &c, const onnx::GraphProto &body, ValueRange states,
          ValueRange scans, SmallVector<int64_t> inAxes,
          SmallVector<int64_t> inDirs, SmallVector<int64_t> outAxes,
          SmallVector<int64_t> outDirs) {
  OpBuilder &b = c.imp.getBuilder();
  unsigned n = states.size(), m = scans.size();
  if (body.output_size() < (int)n)
    return emitError(c.loc) << "body yields " << body.output_size()
                            << " values, fewer than its " << n << " states";
  unsigned k = body.output_size() - n;
  inAxes.resize(m, 0);
  inDirs.resize(m, 0);
  outAxes.resize(k, 0);
  outDirs.resize(k, 0);

  SmallVector<Type> argTypes;
  for (Value s : states)
    argTypes.push_back(s.getType());
  int64_t length = ShapedType::kDynamic;
  for (auto [j, x] : llvm::enumerate(scans)) {
    auto t = dyn_cast<RankedTensorType>(x.getType());
    if (!t)
      return emitError(c.loc) << "scan input " << j << " has unknown rank";
    int64_t &axis = inAxes[j];
    if (axis < -t.getRank() || axis >= t.getRank())
      return emitError(c.loc) << "scan_input_axes[" << j << "] = " << axis
                              << " is out of range for rank " << t.getRank();
    axis = axis < 0 ? axis + t.getRank() : axis;
    int64_t len = t.getDimSize(axis);
    if (!ShapedType::isDynamic(len) && !ShapedType::isDynamic(length) &&
        len != length)
      return emitError(c.loc) << "scan inputs have different lengths ("
                              << length << " and " << len << ")";
    if (!ShapedType::isDynamic(len))
      length = len;
    SmallVector<int64_t> shape(t.getShape());
    shape.erase(shape.begin() + axis);
    argTypes.push_back(RankedTensorType::get(shape, t.getElementType()));
  }
  for (int64_t d : llvm::concat<int64_t>(inDirs, outDirs))
    if (d != 0 && d != 1)
      return emitError(c.loc) << "a scan direction must be 0 or 1, got " << d;

  SmallVector<Type> resultTypes(n + k, typeBeforeBody(b));
  for (unsigned i = 0; i < n; ++i)
    resultTypes[i] = states[i].getType();
  SmallVector<Value> operands(states);
  llvm::append_range(operands, scans);
  auto op = g::ScanOp::create(b, c.loc, resultTypes, operands,
                              b.getI64IntegerAttr(m), b.getI64ArrayAttr(inAxes),
                              b.getI64ArrayAttr(inDirs), ArrayAttr(),
                              b.getI64ArrayAttr(outDirs));
  if (failed(c.imp.importSubgraph(body, op.getBody(), argTypes))) {
    op->erase();
    return failure();
  }
  for (unsigned i = 0; i < n; ++i) {
    Type next = yieldedType(op.getBody(), i);
    if (failed(verifyCompatibleShape(states[i].getType(), next)) ||
        !join(states[i].getType(), next)) {
      op->erase();
      return emitError(c.loc) << "state " << i << " changes shape ("
                              << states[i].getType() << " in, " << next
                              << " yielded); not supported";
    }
  }
  for (unsigned j = 0; j < k; ++j) {
    auto st = dyn_cast<RankedTensorType>(yieldedType(op.getBody(), n + j));
    int64_t &axis = outAxes[j];
    if (!st || axis < -(st.getRank() + 1) || axis > st.getRank()) {
      op->erase();
      return emitError(c.loc) << "scan output " << j << " ("
                              << (st ? typeString(st) : "unranked")
                              << ") cannot stack along axis " << axis;
    }
    axis = axis < 0 ? axis + st.getRank() + 1 : axis;
    SmallVector<int64_t> shape(st.getShape());
    shape.insert(shape.begin() + axis, length);
    op.getResult(n + j).setType(RankedTensorType::get(shape, st.getElementType()));
  }
  op.setScanOutputAxesAttr(b.getI64ArrayAttr(outAxes));
  if (failed(verify(op))) {
    op->erase();
    return failure();
  }
  return op.getOperation();
}

static SmallVector<int64_t> intsOf(NodeContext &c, StringRef name) {
  SmallVector<int64_t> out;
  if (auto a = dyn_cast_or_null<ArrayAttr>(c.take(name)))
    for (Attribute x : a)
      out.push_back(cast<IntegerAttr>(x).getInt());
  return out;
}

static LogicalResult convertScan(NodeContext &c, SmallVectorImpl<Value> &outs) {
  const onnx::GraphProto *body = graphAttr(c, "body");
  auto m = dyn_cast_or_null<IntegerAttr>(c.take("num_scan_inputs"));
  if (!body || !m)
    return emitError(c.loc) << "needs the attributes 'body' and "
                               "'num_scan_inputs'";
  NodeBuilder f{c};
  if (c.opset >= 9) {
    SmallVector<int64_t> inAxes = intsOf(c, "scan_input_axes"),
                         inDirs = intsOf(c, "scan_input_directions"),
                         outAxes = intsOf(c, "scan_output_axes"),
                         outDirs = intsOf(c, "scan_output_directions");
    if (f.leftover())
      return success();
    int64_t numScans = m.getInt();
    if (numScans < 1 || numScans > (int64_t)c.inputs.size())
      return emitError(c.loc) << "num_scan_inputs = " << numScans
                              << " for " << c.inputs.size() << " inputs";
    ValueRange all(c.inputs);
    FailureOr<Operation *> op =
        buildScan(c, *body, all.drop_back(numScans), all.take_back(numScans),
                  inAxes, inDirs, outAxes, outDirs);
    if (failed(op))
      return failure();
    llvm::append_range(outs, (*op)->getResults());
    return success();
  }

  // Opset 8: dim 0 of every state, input and output is a batch, each
  // element scanned on its own along dim 1; one scan per element.
  SmallVector<int64_t> dirs = intsOf(c, "directions");
  if (f.leftover())
    return success();
  if (c.hasInput(0)) {
    c.unsupported = "sequence_lens (Scan-8 with per-batch lengths)";
    return success();
  }
  ValueRange all = ValueRange(c.inputs).drop_front();
  int64_t numScans = m.getInt();
  if (numScans < 1 || numScans > (int64_t)all.size())
    return emitError(c.loc) << "num_scan_inputs = " << numScans << " for "
                            << all.size() << " inputs";
  auto first = dyn_cast<RankedTensorType>(all.front().getType());
  if (!first || first.getRank() < 1 || first.isDynamicDim(0))
    return emitError(c.loc) << "Scan-8 needs a static batch dim, got "
                            << all.front().getType();
  int64_t batch = first.getDimSize(0);
  unsigned n = all.size() - numScans;
  SmallVector<SmallVector<Value>> perOutput;
  for (int64_t bi = 0; bi < batch; ++bi) {
    SmallVector<Value> states, scans;
    for (auto [i, v] : llvm::enumerate(all))
      (i < n ? states : scans).push_back(f.pick(v, 0, bi));
    if (failed(f.status))
      return failure();
    FailureOr<Operation *> op =
        buildScan(c, *body, states, scans, {}, dirs, {}, {});
    if (failed(op))
      return failure();
    perOutput.resize((*op)->getNumResults());
    for (auto [j, r] : llvm::enumerate((*op)->getResults()))
      perOutput[j].push_back(
          f.op<g::UnsqueezeOp>({r, c.imp.constI64({0}, c.loc)}));
  }
  SmallVector<Value> results;
  for (auto &parts : perOutput)
    results.push_back(parts.size() == 1
                          ? parts.front()
                          : f.op<g::ConcatOp>(parts, {f.attr("axis", 0)}));
  return f.result(results, outs);
}

ConvertFn mnemo::onnx_import::lookupControlFlowConverter(StringRef opType) {
  return llvm::StringSwitch<ConvertFn>(opType)
      .Case("If", convertIf)
      .Case("Loop", convertLoop)
      .Case("Scan", convertScan)
      .Default(nullptr);
}
