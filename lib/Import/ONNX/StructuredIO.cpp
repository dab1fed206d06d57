//===- StructuredIO.cpp - sequences and optionals at the graph's edges ----===//
//
// mnemo resolves sequences and optionals at import (Sequences.cpp), so at
// the graph's edges they become tensors: the AOT contract fixes what a
// sequence or optional input holds (its length, its presence; mnemoc's
// --sequence-length and --absent-input, or mnemo-run's test data), and its
// tensors are ordinary inputs `name[0]`, `name[1]`, ... An output is
// flattened the same way, and the module attribute kOutputStructureAttr
// tells a runner how the artifact's outputs group into the model's.
// Bodies that an op runs once per element or iteration at compile time
// (SequenceMap, a Loop carrying a sequence) import inline.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mnemo;
using namespace mnemo::onnx_import;

std::string ImportedValue::describe() const {
  auto count = [](size_t n) {
    return std::to_string(n) + (n == 1 ? " tensor" : " tensors");
  };
  switch (kind) {
  case Tensor:
    return "a tensor";
  case Sequence:
    return "a sequence of " + count(tensors.size());
  case Optional:
    if (!present)
      return "an empty optional";
    return ofSequence ? "an optional holding a sequence of " +
                            count(tensors.size())
                      : "an optional holding a tensor";
  }
  return "?";
}

InputStructureFn
mnemo::inputStructureFromOptions(ArrayRef<std::string> lengths,
                                 ArrayRef<std::string> absent,
                                 std::string &error) {
  llvm::StringMap<int64_t> byName;
  for (StringRef spec : lengths) {
    auto [name, value] = spec.rsplit('=');
    int64_t n;
    if (name.empty() || value.getAsInteger(10, n) || n < 0) {
      error = ("bad sequence length '" + spec + "' (expected NAME=N)").str();
      return nullptr;
    }
    byName[name] = n;
  }
  llvm::StringSet<> none;
  for (StringRef name : absent)
    none.insert(name);
  return [byName = std::move(byName), none = std::move(none)](
             unsigned, StringRef name,
             StructuredInputKind kind) -> std::optional<InputStructure> {
    InputStructure s;
    if (kind != StructuredInputKind::Sequence && none.contains(name)) {
      s.present = false;
      return s;
    }
    if (kind == StructuredInputKind::OptionalTensor)
      return s;
    auto it = byName.find(name);
    if (it == byName.end())
      return std::nullopt;
    s.length = it->second;
    return s;
  };
}

FailureOr<ImportedValue> Importer::importStructuredInput(
    const onnx::ValueInfoProto &in, unsigned index, Block *entry,
    SmallVectorImpl<Type> &argTypes, SmallVectorImpl<DictionaryAttr> &argAttrs) {
  Location loc = NameLoc::get(StringAttr::get(ctx, in.name()),
                              entry->getParentOp()->getLoc());
  const onnx::TypeProto &type = in.type();
  bool optional = type.has_optional_type();
  const onnx::TypeProto &held = optional ? type.optional_type().elem_type() : type;
  bool isSequence = held.has_sequence_type();
  const onnx::TypeProto &tensorType =
      isSequence ? held.sequence_type().elem_type() : held;
  if (!tensorType.has_tensor_type())
    return emitError(loc) << "graph input '" << in.name()
                          << "': only sequences and optionals of tensors "
                             "are supported";
  StructuredInputKind kind = !optional ? StructuredInputKind::Sequence
                             : isSequence
                                 ? StructuredInputKind::OptionalSequence
                                 : StructuredInputKind::OptionalTensor;
  std::optional<InputStructure> s;
  if (options.inputStructure)
    s = options.inputStructure(index, in.name(), kind);
  if (!s)
    return emitError(loc)
           << "graph input '" << in.name() << "' is "
           << (!optional ? "a sequence"
               : isSequence ? "an optional sequence"
                            : "an optional tensor")
           << ": the compiled artifact takes tensors, so give "
           << (isSequence ? "its length (--sequence-length " + in.name() + "=N)"
                          : "whether it is absent (--absent-input " +
                                in.name() + ")");
  FailureOr<Type> elemType = convertType(tensorType, loc);
  if (failed(elemType))
    return failure();
  ImportedValue v = optional ? ImportedValue::optional(nullptr, isSequence)
                             : ImportedValue::sequence({});
  if (optional && !s->present)
    return v;
  v.present = true;
  int64_t count = isSequence ? s->length : 1;
  // Each tensor is an argument of the entry function.
  constexpr int64_t kMaxSequenceLength = 1 << 16;
  if (count < 0 || count > kMaxSequenceLength)
    return emitError(loc) << "graph input '" << in.name() << "': a sequence of "
                          << count << " tensors (at most "
                          << kMaxSequenceLength << ")";
  for (int64_t i = 0; i < count; ++i) {
    std::string name =
        isSequence ? in.name() + "[" + std::to_string(i) + "]" : in.name();
    Type t = *elemType;
    if (auto unranked = dyn_cast<UnrankedTensorType>(t)) {
      if (i >= (int64_t)s->ranks.size() || s->ranks[i] < 0)
        return emitError(loc) << "graph input '" << in.name()
                              << "' declares no shape for its tensors: "
                                 "mnemo needs their ranks";
      t = RankedTensorType::get(
          SmallVector<int64_t>(s->ranks[i], ShapedType::kDynamic),
          unranked.getElementType());
    }
    if (failed(graph::checkTensorBytes(loc, t, options.maxTensorBytes,
                                       "graph input '" + name + "'")))
      return failure();
    v.tensors.push_back(entry->addArgument(t, loc));
    argTypes.push_back(t);
    // A sequence's elements may differ in shape: each has its own dims.
    SmallVector<NamedAttribute> attrs = {
        builder.getNamedAttr("graph.name", builder.getStringAttr(name))};
    if (ArrayAttr dims = dimParams(builder, tensorType,
                                   isSequence ? name + "." : ""))
      attrs.push_back(builder.getNamedAttr("graph.dim_params", dims));
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
  }
  return v;
}

void mnemo::onnx_import::appendGraphOutput(Builder &b,
                                           const onnx::ValueInfoProto &out,
                                           const ImportedValue &v,
                                           SmallVectorImpl<Value> &results,
                                           SmallVectorImpl<DictionaryAttr> &attrs) {
  bool indexed = v.kind == ImportedValue::Sequence || v.ofSequence;
  for (auto [i, t] : llvm::enumerate(v.tensors)) {
    std::string name =
        indexed ? out.name() + "[" + std::to_string(i) + "]" : out.name();
    SmallVector<NamedAttribute> a = {
        b.getNamedAttr("graph.name", b.getStringAttr(name))};
    if (v.isTensor())
      if (ArrayAttr dims = dimParams(b, out.type()))
        a.push_back(b.getNamedAttr("graph.dim_params", dims));
    results.push_back(t);
    attrs.push_back(b.getDictionaryAttr(a));
  }
}

ArrayAttr mnemo::onnx_import::outputStructure(Builder &b,
                                              const onnx::GraphProto &graph,
                                              ArrayRef<ImportedValue> outputs) {
  SmallVector<Attribute> entries;
  for (auto [out, v] : llvm::zip(graph.output(), outputs)) {
    StringRef kind = v.kind == ImportedValue::Tensor     ? "tensor"
                     : v.kind == ImportedValue::Sequence ? "sequence"
                                                         : "optional";
    entries.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("name", b.getStringAttr(out.name())),
         b.getNamedAttr("kind", b.getStringAttr(kind)),
         b.getNamedAttr("count", b.getI64IntegerAttr(v.tensors.size())),
         b.getNamedAttr("present", b.getBoolAttr(v.present)),
         b.getNamedAttr("of_sequence", b.getBoolAttr(v.ofSequence))}));
  }
  return b.getArrayAttr(entries);
}

void Importer::bind(StringRef name, const ImportedValue &v) {
  if (v.isTensor()) {
    structured.erase(name);
    values[name] = v.tensors.front();
  } else {
    values.erase(name);
    structured[name] = v;
  }
}

LogicalResult Importer::importInline(const onnx::GraphProto &graph,
                                     ArrayRef<ImportedValue> args,
                                     SmallVectorImpl<ImportedValue> &results) {
  Location loc = NameLoc::get(StringAttr::get(ctx, graph.name()),
                              builder.getInsertionBlock()->getParentOp()->getLoc());
  llvm::StringMap<Value> outer = values;
  llvm::StringMap<ImportedValue> outerStructured = structured;
  llvm::scope_exit restore([&] {
    values = std::move(outer);
    structured = std::move(outerStructured);
  });
  return importBody(graph, loc, args, results);
}
