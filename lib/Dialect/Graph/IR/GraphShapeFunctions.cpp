//===- GraphShapeFunctions.cpp - shared graph shape functions -------------===//
//
// Shape functions used by many ops (elementwise, broadcasting, reductions)
// and the helpers that read constant operands.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"

#include "mnemo/Support/ConstantData.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace mnemo::graph;

bool mnemo::graph::areRefinedTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [i, a] : llvm::zip(inferred, actual)) {
    if (i == a)
      continue;
    auto ti = dyn_cast<TensorType>(i), ta = dyn_cast<TensorType>(a);
    if (!ti || !ta || ti.getElementType() != ta.getElementType())
      return false;
    if (failed(verifyCompatibleShape(ti, ta)))
      return false;
  }
  return true;
}

bool mnemo::graph::isNone(Value v) { return isa<NoneType>(v.getType()); }

/// A resource blob's elements (large weights the importer keeps out of
/// line), read from their little-endian bytes.
template <typename T, typename Read>
static std::optional<SmallVector<T>> resourceValues(Attribute attr, Read read) {
  auto r = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!r)
    return std::nullopt;
  ArrayRef<char> raw = mnemo::rawConstantBytes(r);
  int64_t n = r.getNumElements();
  unsigned width = r.getElementType().getIntOrFloatBitWidth();
  if (width % 8 != 0 || (int64_t)raw.size() != n * (width / 8))
    return std::nullopt;
  SmallVector<T> out;
  out.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    std::optional<T> v = read(raw.data() + i * (width / 8), width);
    if (!v)
      return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

static std::optional<SmallVector<int64_t>> constantInts(Value v,
                                                        bool blobs) {
  if (!v || isNone(v))
    return std::nullopt;
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto shaped = dyn_cast<ElementsAttr>(attr);
  if (!shaped)
    return std::nullopt;
  bool isUnsigned = shaped.getElementType().isUnsignedInteger();
  if (blobs && isa<DenseResourceElementsAttr>(attr) &&
      isa<IntegerType>(shaped.getElementType()))
    return resourceValues<int64_t>(
        attr, [&](const char *p, unsigned width) -> std::optional<int64_t> {
          uint64_t bits = 0;
          std::memcpy(&bits, p, width / 8);
          if (width == 64)
            return (int64_t)bits;
          APInt a(width, bits);
          return isUnsigned ? (int64_t)a.getZExtValue() : a.getSExtValue();
        });
  auto dense = dyn_cast<DenseIntElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> out;
  out.reserve(dense.getNumElements());
  for (const APInt &x : dense.getValues<APInt>())
    out.push_back(isUnsigned ? (int64_t)x.getZExtValue() : x.getSExtValue());
  return out;
}

static std::optional<SmallVector<double>> constantFloats(Value v, bool blobs) {
  if (!v || isNone(v))
    return std::nullopt;
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  if (auto r = dyn_cast<DenseResourceElementsAttr>(attr)) {
    if (!blobs)
      return std::nullopt;
    Type elt = r.getElementType();
    if (!elt.isF32() && !elt.isF64())
      return std::nullopt;
    return resourceValues<double>(
        attr, [](const char *p, unsigned width) -> std::optional<double> {
          if (width == 32) {
            float f;
            std::memcpy(&f, p, 4);
            return f;
          }
          double d;
          std::memcpy(&d, p, 8);
          return d;
        });
  }
  auto dense = dyn_cast<DenseFPElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  SmallVector<double> out;
  for (const APFloat &x : dense.getValues<APFloat>())
    out.push_back(x.convertToDouble());
  return out;
}

std::optional<SmallVector<int64_t>> mnemo::graph::getConstantInts(Value v) {
  return constantInts(v, /*blobs=*/false);
}
std::optional<SmallVector<double>> mnemo::graph::getConstantFloats(Value v) {
  return constantFloats(v, /*blobs=*/false);
}
bool mnemo::graph::isConstantZero(Value v) {
  if (auto ints = getConstantInts(v))
    return llvm::all_of(*ints, [](int64_t x) { return x == 0; });
  if (auto floats = getConstantFloats(v))
    return llvm::all_of(*floats, [](double x) { return x == 0; });
  return false;
}
std::optional<SmallVector<int64_t>> mnemo::graph::getWeightInts(Value v) {
  return constantInts(v, /*blobs=*/true);
}
std::optional<SmallVector<double>> mnemo::graph::getWeightFloats(Value v) {
  return constantFloats(v, /*blobs=*/true);
}

FailureOr<SmallVector<int64_t>>
mnemo::graph::broadcastShapes(std::optional<Location> loc,
                              ArrayRef<ArrayRef<int64_t>> shapes) {
  size_t rank = 0;
  for (ArrayRef<int64_t> s : shapes)
    rank = std::max(rank, s.size());
  SmallVector<int64_t> out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t known = 1;
    bool dynamic = false;
    for (ArrayRef<int64_t> s : shapes) {
      if (i >= s.size())
        continue;
      int64_t d = s[s.size() - 1 - i];
      if (ShapedType::isDynamic(d)) {
        dynamic = true;
        continue;
      }
      if (d == 1)
        continue;
      if (known != 1 && known != d)
        return emitOptionalError(loc, "operand shapes are not broadcastable: ",
                                 "dimension ", known, " vs ", d,
                                 " at position ", -(int64_t)i - 1);
      known = d;
    }
    out[rank - 1 - i] = known != 1 ? known : (dynamic ? ShapedType::kDynamic : 1);
  }
  return out;
}

static FailureOr<Type> broadcastType(std::optional<Location> loc,
                                     ValueRange operands, Type elementType) {
  SmallVector<ArrayRef<int64_t>> shapes;
  for (Value v : operands) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      return Type(UnrankedTensorType::get(elementType));
    shapes.push_back(t.getShape());
  }
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(loc, shapes);
  if (failed(shape))
    return failure();
  return Type(RankedTensorType::get(*shape, elementType));
}

Type mnemo::graph::elementTypeOf(Value v) {
  auto t = dyn_cast<ShapedType>(v.getType());
  return t ? t.getElementType() : Type(); // none: an omitted input
}

LogicalResult mnemo::graph::inferResultTypes(Operation *op,
                                             SmallVectorImpl<Type> &types) {
  auto iface = dyn_cast<InferTypeOpInterface>(op);
  if (!iface)
    return failure();
  return iface.inferReturnTypes(op->getContext(), std::nullopt,
                                op->getOperands(), op->getAttrDictionary(),
                                op->getPropertiesStorage(), op->getRegions(),
                                types);
}

SmallVector<NamedAttribute> mnemo::graph::convWindowAttrs(Operation *conv) {
  SmallVector<NamedAttribute> attrs;
  for (StringRef n :
       {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
    if (Attribute a = conv->getAttr(n))
      attrs.push_back(NamedAttribute(StringAttr::get(conv->getContext(), n), a));
  return attrs;
}

bool mnemo::graph::isDirectMatMulInteger(Value a, Value b, Value aZeroPoint,
                                         Value bZeroPoint) {
  auto at = dyn_cast<RankedTensorType>(a.getType());
  auto bt = dyn_cast<RankedTensorType>(b.getType());
  if (!at || !bt || at.getRank() < 2 || bt.getRank() != 2)
    return false;
  auto rankAtMost = [](Value v, int64_t r, bool oneElement) {
    if (isNone(v))
      return true;
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return t && t.getRank() <= r &&
           (!oneElement || (t.hasStaticShape() && t.getNumElements() == 1));
  };
  return rankAtMost(aZeroPoint, 1, true) && rankAtMost(bZeroPoint, 1, false);
}

Operation *mnemo::graph::createInferred(OpBuilder &b, Location loc,
                                       StringRef name, ValueRange operands,
                                       ArrayRef<NamedAttribute> attrs,
                                       unsigned numResults) {
  OperationState state(loc, name);
  state.addOperands(operands);
  state.addAttributes(attrs);
  state.addTypes(SmallVector<Type>(numResults,
                                   UnrankedTensorType::get(b.getF32Type())));
  Operation *op = b.create(state);
  SmallVector<Type> types;
  if (failed(inferResultTypes(op, types)) || types.size() != numResults) {
    op->erase();
    return nullptr;
  }
  for (auto [r, t] : llvm::zip(op->getResults(), types))
    r.setType(t);
  return op;
}

LogicalResult mnemo::graph::inferSameAsFirst(std::optional<Location>,
                                             ValueRange operands,
                                             DictionaryAttr,
                                             SmallVectorImpl<Type> &types) {
  types.push_back(operands[0].getType());
  return success();
}

std::optional<int64_t> mnemo::graph::staticTensorBytes(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  if (!rt || !rt.getElementType().isIntOrFloat())
    return 0;
  unsigned bits = rt.getElementType().getIntOrFloatBitWidth();
  int64_t bytes = bits == 1 ? 1 : (bits + 7) / 8;
  for (int64_t d : rt.getShape())
    if (!ShapedType::isDynamic(d) &&
        llvm::MulOverflow(bytes, d, bytes))
      return std::nullopt;
  return bytes;
}

LogicalResult mnemo::graph::checkTensorBytes(Location loc, Type t,
                                             int64_t limit, StringRef what) {
  std::optional<int64_t> bytes = staticTensorBytes(t);
  if (!bytes)
    return emitError(loc) << what << " has type " << t
                          << ", whose size overflows 64 bits";
  if (*bytes > limit)
    return emitError(loc) << what << " has type " << t << ", " << *bytes
                          << " bytes: above the limit of " << limit
                          << " bytes a tensor may hold (--max-tensor-bytes)";
  return success();
}

int64_t mnemo::graph::maxTensorBytesFor(Operation *op) {
  for (; op; op = op->getParentOp())
    if (auto a = op->getAttrOfType<IntegerAttr>("graph.max_tensor_bytes"))
      return a.getInt();
  return kDefaultMaxTensorBytes;
}

FailureOr<int64_t> mnemo::graph::normalizeAxis(std::optional<Location> loc,
                                               int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return emitOptionalError(loc, "axis ", axis, " is out of range for rank ",
                             rank);
  return axis < 0 ? axis + rank : axis;
}

LogicalResult mnemo::graph::inferSameAsFirstWithAxis(
    std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    SmallVectorImpl<Type> &types) {
  if (auto t = dyn_cast<RankedTensorType>(operands[0].getType())) {
    int64_t axis = -1;
    if (auto a = attrs ? attrs.getAs<IntegerAttr>("axis") : IntegerAttr())
      axis = a.getInt();
    if (failed(normalizeAxis(loc, axis, t.getRank())))
      return failure();
  }
  types.push_back(operands[0].getType());
  return success();
}

LogicalResult mnemo::graph::inferSameShapeBool(std::optional<Location>,
                                               ValueRange operands,
                                               DictionaryAttr,
                                               SmallVectorImpl<Type> &types) {
  auto t = cast<TensorType>(operands[0].getType());
  types.push_back(t.clone(IntegerType::get(t.getContext(), 1)));
  return success();
}

LogicalResult mnemo::graph::inferBroadcastSameElement(
    std::optional<Location> loc, ValueRange operands, DictionaryAttr attrs,
    SmallVectorImpl<Type> &types) {
  for (Value v : operands)
    if (elementTypeOf(v) != elementTypeOf(operands[0]))
      return emitOptionalError(loc, "operands have different element types ",
                               elementTypeOf(operands[0]), " and ",
                               elementTypeOf(v));
  return inferBroadcastFirstElement(loc, operands, attrs, types);
}

LogicalResult mnemo::graph::inferBroadcastFirstElement(
    std::optional<Location> loc, ValueRange operands, DictionaryAttr,
    SmallVectorImpl<Type> &types) {
  if (operands.empty())
    return emitOptionalError(loc, "expects at least one operand");
  FailureOr<Type> t = broadcastType(loc, operands, elementTypeOf(operands[0]));
  if (failed(t))
    return failure();
  types.push_back(*t);
  return success();
}

LogicalResult mnemo::graph::inferBroadcastBool(std::optional<Location> loc,
                                               ValueRange operands,
                                               DictionaryAttr,
                                               SmallVectorImpl<Type> &types) {
  if (elementTypeOf(operands[0]) != elementTypeOf(operands[1]))
    return emitOptionalError(loc, "operands have different element types ",
                             elementTypeOf(operands[0]), " and ",
                             elementTypeOf(operands[1]));
  FailureOr<Type> t = broadcastType(
      loc, operands, IntegerType::get(operands[0].getContext(), 1));
  if (failed(t))
    return failure();
  types.push_back(*t);
  return success();
}

static int64_t getIntAttr(DictionaryAttr attrs, StringRef name, int64_t dflt) {
  if (auto a = attrs ? attrs.getAs<IntegerAttr>(name) : IntegerAttr())
    return a.getInt();
  return dflt;
}

/// Result shape of reducing `shape` over `axes` (already normalized).
static SmallVector<int64_t> reduceShape(ArrayRef<int64_t> shape,
                                        ArrayRef<int64_t> axes, bool keep) {
  SmallVector<int64_t> out;
  for (int64_t i = 0, e = shape.size(); i < e; ++i) {
    if (!llvm::is_contained(axes, i))
      out.push_back(shape[i]);
    else if (keep)
      out.push_back(1);
  }
  return out;
}

LogicalResult mnemo::graph::inferReduce(std::optional<Location> loc,
                                        ValueRange operands,
                                        DictionaryAttr attrs,
                                        SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(operands[0].getType());
  Type elt = elementTypeOf(operands[0]);
  bool keep = getIntAttr(attrs, "keepdims", 1) != 0;
  bool noopEmpty = getIntAttr(attrs, "noop_with_empty_axes", 0) != 0;
  Value axesV = operands.size() > 1 ? operands[1] : Value();
  std::optional<SmallVector<int64_t>> axes;
  if (!axesV || isNone(axesV))
    axes = SmallVector<int64_t>();
  else
    axes = getConstantInts(axesV);
  if (!in) {
    types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  if (!axes) {
    // Axes known only at run time: with keepdims the rank is preserved.
    if (keep)
      types.push_back(RankedTensorType::get(
          SmallVector<int64_t>(in.getRank(), ShapedType::kDynamic), elt));
    else
      types.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  if (axes->empty()) {
    if (noopEmpty) {
      types.push_back(in);
      return success();
    }
    for (int64_t i = 0; i < in.getRank(); ++i)
      axes->push_back(i);
  }
  for (int64_t &a : *axes) {
    FailureOr<int64_t> n = normalizeAxis(loc, a, in.getRank());
    if (failed(n))
      return failure();
    a = *n;
  }
  types.push_back(
      RankedTensorType::get(reduceShape(in.getShape(), *axes, keep), elt));
  return success();
}

LogicalResult mnemo::graph::inferArgReduce(std::optional<Location> loc,
                                           ValueRange operands,
                                           DictionaryAttr attrs,
                                           SmallVectorImpl<Type> &types) {
  Type i64 = IntegerType::get(operands[0].getContext(), 64);
  auto in = dyn_cast<RankedTensorType>(operands[0].getType());
  if (!in) {
    types.push_back(UnrankedTensorType::get(i64));
    return success();
  }
  FailureOr<int64_t> axis =
      normalizeAxis(loc, getIntAttr(attrs, "axis", 0), in.getRank());
  if (failed(axis))
    return failure();
  bool keep = getIntAttr(attrs, "keepdims", 1) != 0;
  types.push_back(
      RankedTensorType::get(reduceShape(in.getShape(), {*axis}, keep), i64));
  return success();
}

LogicalResult mnemo::graph::inferGlobalPool(std::optional<Location> loc,
                                            ValueRange operands,
                                            DictionaryAttr,
                                            SmallVectorImpl<Type> &types) {
  auto in = dyn_cast<RankedTensorType>(operands[0].getType());
  if (!in) {
    types.push_back(operands[0].getType());
    return success();
  }
  if (in.getRank() < 3)
    return emitOptionalError(loc, "expects an input of rank >= 3 (N, C, ...)",
                             ", got rank ", in.getRank());
  SmallVector<int64_t> shape(in.getShape());
  for (int64_t i = 2; i < in.getRank(); ++i)
    shape[i] = 1;
  types.push_back(in.clone(shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Partially known shape values
//===----------------------------------------------------------------------===//

namespace {
constexpr int64_t kUnknown = ShapedType::kDynamic;

/// A 0-D or 1-D integer tensor's static element count.
std::optional<int64_t> smallLength(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || !isa<IntegerType>(t.getElementType()) || t.getRank() > 1 ||
      !t.hasStaticShape() || t.getNumElements() > 64)
    return std::nullopt;
  return t.getNumElements();
}

std::optional<SmallVector<int64_t>> partialInts(Value v, int depth);

/// Elementwise `f` over two partial values broadcast against each other
/// (one of them may have a single element); unknown in, unknown out.
template <typename F>
std::optional<SmallVector<int64_t>> combine(Value a, Value b, int64_t n,
                                            int depth, F f) {
  std::optional<SmallVector<int64_t>> x = partialInts(a, depth),
                                      y = partialInts(b, depth);
  if (!x || !y)
    return std::nullopt;
  auto at = [n](const SmallVector<int64_t> &s,
                int64_t i) -> std::optional<int64_t> {
    if ((int64_t)s.size() == n)
      return s[i];
    if (s.size() == 1)
      return s[0];
    return std::nullopt;
  };
  SmallVector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) {
    std::optional<int64_t> l = at(*x, i), r = at(*y, i);
    if (!l || !r)
      return std::nullopt;
    if (*l == kUnknown || *r == kUnknown) {
      out.push_back(kUnknown);
      continue;
    }
    // An overflowing entry is no shape the graph can mean: unknown.
    std::optional<int64_t> v = f(*l, *r);
    out.push_back(v && *v != kUnknown ? *v : kUnknown);
  }
  return out;
}

/// LLVM's overflow-checked `op` as a rule of `combine`: an entry that
/// overflows is unknown.
auto checked(int64_t (*op)(int64_t, int64_t, int64_t &)) {
  return [op](int64_t a, int64_t b) -> std::optional<int64_t> {
    int64_t r;
    if (op(a, b, r))
      return std::nullopt;
    return r;
  };
}

std::optional<SmallVector<int64_t>> partialInts(Value v, int depth) {
  std::optional<int64_t> n = smallLength(v);
  if (!n)
    return std::nullopt;
  if (std::optional<SmallVector<int64_t>> c = getConstantInts(v))
    return c;
  SmallVector<int64_t> unknown(*n, kUnknown);
  Operation *op = v.getDefiningOp();
  if (!op || depth <= 0)
    return unknown;
  --depth;
  auto known = [&](Value x) { return partialInts(x, depth); };
  std::optional<SmallVector<int64_t>> out =
      llvm::TypeSwitch<Operation *, std::optional<SmallVector<int64_t>>>(op)
          .Case([&](ShapeOp s) -> std::optional<SmallVector<int64_t>> {
            auto t = dyn_cast<RankedTensorType>(s.getData().getType());
            if (!t)
              return std::nullopt;
            int64_t r = t.getRank();
            auto clampAxis = [r](int64_t a) {
              return std::clamp<int64_t>(a < 0 ? a + r : a, 0, r);
            };
            int64_t lo = clampAxis(s.getStart().value_or(0));
            int64_t hi = clampAxis(s.getEnd().value_or(r));
            SmallVector<int64_t> dims;
            for (int64_t d = lo; d < hi; ++d)
              dims.push_back(t.getDimSize(d));
            return dims;
          })
          .Case([&](GatherOp g) -> std::optional<SmallVector<int64_t>> {
            std::optional<SmallVector<int64_t>> data = known(g.getData());
            std::optional<SmallVector<int64_t>> idx =
                getConstantInts(g.getIndices());
            if (!data || !idx || g.getAxis() != 0)
              return std::nullopt;
            SmallVector<int64_t> picked;
            for (int64_t i : *idx) {
              int64_t j = i < 0 ? i + (int64_t)data->size() : i;
              if (j < 0 || j >= (int64_t)data->size())
                return std::nullopt;
              picked.push_back((*data)[j]);
            }
            return picked;
          })
          .Case([&](ConcatOp c) -> std::optional<SmallVector<int64_t>> {
            SmallVector<int64_t> all;
            for (Value in : c.getInputs()) {
              std::optional<SmallVector<int64_t>> part = known(in);
              if (!part)
                return std::nullopt;
              llvm::append_range(all, *part);
            }
            return all;
          })
          // A scalar made a 1-element vector and back: the same value.
          .Case<UnsqueezeOp, SqueezeOp, ReshapeOp, IdentityOp>(
              [&](Operation *o) { return known(o->getOperand(0)); })
          .Case([&](CastOp c) -> std::optional<SmallVector<int64_t>> {
            if (!isa<IntegerType>(elementTypeOf(c.getInput())))
              return std::nullopt;
            return known(c.getInput());
          })
          .Case([&](AddOp o) {
            return combine(o.getA(), o.getB(), *n, depth,
                           checked(llvm::AddOverflow<int64_t>));
          })
          .Case([&](SubOp o) {
            return combine(o.getA(), o.getB(), *n, depth,
                           checked(llvm::SubOverflow<int64_t>));
          })
          .Case([&](MulOp o) {
            return combine(o.getA(), o.getB(), *n, depth,
                           checked(llvm::MulOverflow<int64_t>));
          })
          .Case([&](EqualOp o) {
            return combine(o.getA(), o.getB(), *n, depth,
                           [](int64_t a, int64_t b) -> std::optional<int64_t> {
                             return a == b;
                           });
          })
          .Case([&](WhereOp w) -> std::optional<SmallVector<int64_t>> {
            // Expand's "-1 means keep" idiom: Where(Equal(s, -1), 1, s).
            std::optional<SmallVector<int64_t>> c = known(w.getCondition()),
                                                x = known(w.getX()),
                                                y = known(w.getY());
            if (!c || !x || !y)
              return std::nullopt;
            auto at = [&](const SmallVector<int64_t> &s, int64_t i) {
              return s.size() == 1 ? s[0] : s[i];
            };
            for (auto *s : {&*c, &*x, &*y})
              if ((int64_t)s->size() != *n && s->size() != 1)
                return std::nullopt;
            SmallVector<int64_t> picked;
            for (int64_t i = 0; i < *n; ++i) {
              int64_t ci = at(*c, i);
              picked.push_back(ci == kUnknown ? kUnknown
                                              : at(ci ? *x : *y, i));
            }
            return picked;
          })
          .Default([](Operation *) { return std::nullopt; });
  // A rule that gave the wrong length (a malformed graph) knows nothing.
  if (!out || (int64_t)out->size() != *n)
    return unknown;
  return out;
}
} // namespace

std::optional<SmallVector<int64_t>> mnemo::graph::getPartialInts(Value v) {
  // Shape chains are short (Shape -> Gather -> Unsqueeze -> Concat ->
  // Equal -> Where); the bound keeps a pathological graph linear.
  return partialInts(v, /*depth=*/16);
}
