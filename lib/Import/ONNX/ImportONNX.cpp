//===- ImportONNX.cpp - ONNX ModelProto -> graph dialect ------------------===//
//
// Walks the model's main graph in order: inputs become function arguments,
// initializers become graph.constant ops, nodes go through the converter
// table (OpConversions.cpp) or import as generic graph.onnx_node ops, and the
// graph outputs are returned. Parsing uses libonnx's generated protobuf
// classes; protobuf/onnx may throw, which is why this library alone is built
// with exceptions.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/defs/parser.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <unistd.h>
#include <map>

using namespace mlir;
using namespace mnemo;
using namespace mnemo::onnx_import;

std::string mnemo::onnx_import::describeNode(const onnx::NodeProto &node,
                                             unsigned index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  std::string domain = node.domain().empty() || node.domain() == "ai.onnx"
                           ? ""
                           : node.domain() + ".";
  return "ONNX node '" + name + "' (" + domain + node.op_type() + ")";
}

Importer::Importer(MLIRContext *ctx, const ImportOptions &options,
                   StringRef modelName, StringRef baseDir)
    : ctx(ctx), options(options), modelName(modelName.str()),
      baseDir(baseDir.str()), builder(ctx) {
  ctx->loadDialect<graph::GraphDialect, func::FuncDialect>();
}

Location Importer::nodeLoc(const onnx::NodeProto &node, unsigned index) {
  // The node name is what users know; the "line" is the node's index in the
  // graph, so a diagnostic points at it even in an unnamed node.
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  return NameLoc::get(StringAttr::get(ctx, name),
                      FileLineColLoc::get(ctx, modelName, index + 1, 1));
}

Value Importer::none(Location loc) {
  if (!noneValue) {
    OpBuilder::InsertionGuard g(builder);
    builder.setInsertionPointToStart(builder.getInsertionBlock());
    noneValue = graph::NoneOp::create(builder, builder.getUnknownLoc());
  }
  return noneValue;
}

Value Importer::constant(ElementsAttr value, Location loc) {
  return graph::ConstantOp::create(builder, loc, value);
}

Value Importer::constI64(ArrayRef<int64_t> values, Location loc, bool scalar) {
  auto type = RankedTensorType::get(
      scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
      builder.getI64Type());
  return constant(DenseElementsAttr::get(type, values), loc);
}

FailureOr<Type> Importer::convertType(const onnx::TypeProto &type,
                                      Location loc) {
  if (!type.has_tensor_type())
    return emitError(loc) << "only tensor types are supported, got "
                          << (type.has_sequence_type()  ? "a sequence"
                              : type.has_map_type()     ? "a map"
                              : type.has_optional_type() ? "an optional"
                                                         : "no type");
  const onnx::TypeProto::Tensor &t = type.tensor_type();
  Type elt = convertElementType(t.elem_type());
  if (!elt)
    return emitError(loc) << "unsupported element type "
                          << onnx::TensorProto_DataType_Name(
                                 (onnx::TensorProto_DataType)t.elem_type())
                          << " (" << t.elem_type() << ")";
  if (!t.has_shape())
    return Type(UnrankedTensorType::get(elt));
  SmallVector<int64_t> shape;
  for (const auto &d : t.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        return emitError(loc) << "negative dimension " << d.dim_value();
      shape.push_back(d.dim_value());
    } else {
      shape.push_back(ShapedType::kDynamic);
    }
  }
  return Type(RankedTensorType::get(shape, elt));
}

ArrayAttr mnemo::onnx_import::dimParams(Builder &b, const onnx::TypeProto &type,
                                        StringRef prefix) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape())
    return {};
  SmallVector<Attribute> names;
  bool any = false;
  for (const auto &d : type.tensor_type().shape().dim()) {
    names.push_back(b.getStringAttr(
        d.dim_param().empty() ? "" : (prefix + d.dim_param()).str()));
    any |= !d.dim_param().empty();
  }
  return any ? b.getArrayAttr(names) : ArrayAttr();
}

OwningOpRef<ModuleOp> Importer::importModel(const onnx::ModelProto &model) {
  Location fileLoc = FileLineColLoc::get(ctx, modelName, 0, 0);
  if (!model.has_graph()) {
    emitError(fileLoc) << "the model has no graph";
    return nullptr;
  }
  for (const auto &op : model.opset_import()) {
    std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    opsets[domain] = op.version();
  }
  // IR version 3 and older models may omit opset_import: opset 1.
  if (!opsets.count(""))
    opsets[""] = model.opset_import_size() ? 0 : 1;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  Builder b(ctx);
  (*module)->setAttr("graph.ir_version", b.getI64IntegerAttr(model.ir_version()));
  SmallVector<NamedAttribute> opsetAttrs;
  for (auto &kv : opsets)
    opsetAttrs.push_back(
        b.getNamedAttr(kv.first().empty() ? "ai.onnx" : kv.first(),
                       b.getI64IntegerAttr(kv.second)));
  (*module)->setAttr("graph.opset_import", b.getDictionaryAttr(opsetAttrs));
  if (!model.producer_name().empty())
    (*module)->setAttr("graph.producer",
                       b.getStringAttr(model.producer_name() + " " +
                                       model.producer_version()));

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, options.funcName,
                                   builder.getFunctionType({}, {}));
  if (failed(importGraph(model.graph(), func)))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

void Importer::collectDeclaredTypes(const onnx::GraphProto &graph,
                                    Location loc) {
  // Declarations are hints: one that does not convert is not an error
  // (silenced: only a value that is used reports its type).
  ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
  for (const auto *list : {&graph.value_info(), &graph.output()})
    for (const auto &vi : *list) {
      FailureOr<Type> t = convertType(vi.type(), loc);
      if (succeeded(t) && !valueInfoTypes.count(vi.name()))
        valueInfoTypes[vi.name()] = *t;
    }
}

LogicalResult Importer::importInitializers(const onnx::GraphProto &graph,
                                           Location loc) {
  for (auto [i, init] : llvm::enumerate(graph.initializer())) {
    Location l = NameLoc::get(StringAttr::get(ctx, init.name()), loc);
    FailureOr<ElementsAttr> value = importTensor(init, l);
    if (failed(value))
      return failure();
    values[init.name()] = constant(*value, l);
    // A subgraph may be imported more than once (a Loop unrolled at
    // import); only the top-level graph's data is read just once.
    if (&graph == consumed)
      std::string().swap(*consumed->mutable_initializer(i)->mutable_raw_data());
  }
  return success();
}

LogicalResult Importer::lookupOutputs(const onnx::GraphProto &graph,
                                      Location loc, StringRef what,
                                      SmallVectorImpl<ImportedValue> &results) {
  for (const auto &out : graph.output()) {
    if (auto s = structured.find(out.name()); s != structured.end()) {
      results.push_back(s->second);
      continue;
    }
    auto it = values.find(out.name());
    if (it == values.end())
      return emitError(loc) << what << " output '" << out.name()
                            << "' is not produced";
    results.push_back(ImportedValue::tensor(it->second));
  }
  return success();
}

LogicalResult Importer::importBody(const onnx::GraphProto &graph, Location loc,
                                   ArrayRef<ImportedValue> args,
                                   SmallVectorImpl<ImportedValue> &outputs) {
  if ((size_t)graph.input_size() != args.size())
    return emitError(loc) << "body '" << graph.name() << "' takes "
                          << graph.input_size() << " inputs, the op passes "
                          << args.size();
  collectDeclaredTypes(graph, loc);
  for (auto [in, v] : llvm::zip(graph.input(), args))
    bind(in.name(), v);
  if (failed(importInitializers(graph, loc)))
    return failure();
  for (auto [i, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, i)))
      return failure();
  return lookupOutputs(graph, loc, "body", outputs);
}

LogicalResult Importer::importSubgraph(const onnx::GraphProto &graph,
                                       Region &region, TypeRange argTypes,
                                       SmallVectorImpl<ImportedValue> *structure) {
  Location loc = NameLoc::get(StringAttr::get(ctx, graph.name()),
                              builder.getInsertionBlock()->getParentOp()->getLoc());
  // The body sees the enclosing names; what it defines is dropped after.
  llvm::StringMap<Value> outer = values;
  llvm::StringMap<ImportedValue> outerStructured = structured;
  Value outerNone = noneValue;
  noneValue = nullptr;
  OpBuilder::InsertionGuard guard(builder);
  Block *block = builder.createBlock(&region);
  llvm::scope_exit restore([&] {
    values = std::move(outer);
    structured = std::move(outerStructured);
    noneValue = outerNone;
  });
  SmallVector<ImportedValue> args, outputs;
  for (Type t : argTypes)
    args.push_back(ImportedValue::tensor(block->addArgument(t, loc)));
  if (failed(importBody(graph, loc, args, outputs)))
    return failure();
  SmallVector<Value> results;
  for (auto [out, v] : llvm::zip(graph.output(), outputs)) {
    if (!v.isTensor() && !structure)
      return emitError(loc) << "body output '" << out.name() << "' is "
                            << v.describe() << ": a loop or scan body "
                            << "yields tensors only";
    llvm::append_range(results, v.tensors);
  }
  if (structure)
    structure->assign(outputs.begin(), outputs.end());
  builder.setInsertionPointToEnd(block);
  graph::YieldOp::create(builder, loc, results);
  return success();
}

LogicalResult Importer::importGraph(const onnx::GraphProto &graph,
                                    func::FuncOp func) {
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  Location graphLoc = func.getLoc();

  collectDeclaredTypes(graph, graphLoc);

  // Initializers first: IR < 4 also lists them among the graph inputs.
  llvm::StringSet<> initNames;
  for (const auto &init : graph.initializer())
    initNames.insert(init.name());
  if (failed(importInitializers(graph, graphLoc)))
    return failure();

  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  unsigned inputIndex = 0;
  for (const auto &in : graph.input()) {
    if (initNames.contains(in.name()))
      continue;
    unsigned index = inputIndex++;
    if (in.type().has_sequence_type() || in.type().has_optional_type()) {
      FailureOr<ImportedValue> v =
          importStructuredInput(in, index, entry, argTypes, argAttrs);
      if (failed(v))
        return failure();
      bind(in.name(), *v);
      continue;
    }
    Location loc = NameLoc::get(StringAttr::get(ctx, in.name()), graphLoc);
    FailureOr<Type> t = convertType(in.type(), loc);
    if (failed(t))
      return emitError(loc) << "graph input '" << in.name()
                            << "' has an unsupported type";
    if (failed(graph::checkTensorBytes(loc, *t, options.maxTensorBytes,
                                       "graph input '" + in.name() + "'")))
      return failure();
    BlockArgument arg = entry->addArgument(*t, loc);
    bind(in.name(), ImportedValue::tensor(arg));
    argTypes.push_back(*t);
    SmallVector<NamedAttribute> attrs = {
        builder.getNamedAttr("graph.name", builder.getStringAttr(in.name()))};
    if (ArrayAttr dims = dimParams(builder, in.type()))
      attrs.push_back(builder.getNamedAttr("graph.dim_params", dims));
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
  }

  for (auto [i, node] : llvm::enumerate(graph.node()))
    if (failed(importNode(node, i)))
      return failure();

  SmallVector<ImportedValue> outputs;
  if (failed(lookupOutputs(graph, graphLoc, "graph", outputs)))
    return failure();
  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resAttrs;
  for (auto [out, v] : llvm::zip(graph.output(), outputs))
    appendGraphOutput(builder, out, v, results, resAttrs);
  if (llvm::any_of(outputs, [](const ImportedValue &v) { return !v.isTensor(); }))
    func->getParentOfType<ModuleOp>()->setAttr(
        kOutputStructureAttr, outputStructure(builder, graph, outputs));
  builder.setInsertionPointToEnd(entry);
  func::ReturnOp::create(builder, graphLoc, results);
  func.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  func.setAllArgAttrs(argAttrs);
  func.setAllResultAttrs(resAttrs);
  if (!graph.name().empty())
    func->setAttr("graph.name", builder.getStringAttr(graph.name()));
  return success();
}

Attribute NodeContext::take(StringRef name) {
  for (auto *it = attrs.begin(); it != attrs.end(); ++it)
    if (it->getName() == name) {
      Attribute a = it->getValue();
      attrs.erase(it);
      return a;
    }
  return {};
}

void NodeContext::addOutput(const ImportedValue &v,
                            SmallVectorImpl<Value> &outs) {
  if (v.isTensor()) {
    outs.push_back(v.tensors.front());
    return;
  }
  if (structuredOuts.size() <= outs.size())
    structuredOuts.resize(outs.size() + 1);
  structuredOuts[outs.size()] = v;
  outs.push_back(imp.none(loc));
}

Value NodeContext::input(unsigned i) const {
  return i < inputs.size() ? inputs[i] : imp.none(loc);
}

bool NodeContext::hasInput(unsigned i) const {
  return i < inputs.size() && !graph::isNone(inputs[i]);
}

LogicalResult Importer::importNode(const onnx::NodeProto &node,
                                   unsigned index) {
  Location loc = nodeLoc(node, index);
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  auto opsetIt = opsets.find(domain);
  int64_t opset = opsetIt == opsets.end() ? 0 : opsetIt->second;

  // Collect every error raised while converting this node and re-emit them
  // as one diagnostic that names the node.
  SmallVector<std::string> errors;
  LogicalResult result = success();
  {
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Error)
        return failure();
      errors.push_back(diag.str());
      for (Diagnostic &note : diag.getNotes())
        if (!StringRef(note.str()).starts_with("see current operation"))
          errors.back() += "; " + note.str();
      return success();
    });
    NodeContext ctxt{*this, node, opset, loc, {}, {}, 0, {}, {}, {}};
    bool seqOp = domain.empty() && isSequenceOp(node.op_type());
    for (const std::string &name : node.input()) {
      ctxt.structuredIns.emplace_back();
      if (name.empty()) {
        ctxt.inputs.push_back(none(loc));
        continue;
      }
      if (auto s = structured.find(name); s != structured.end()) {
        if (!domain.empty() || !takesStructuredInputs(node.op_type())) {
          emitError(loc) << "input '" << name << "' is " << s->second.describe()
                         << ": only the sequence and optional ops, Identity, "
                            "If and Loop read one (mnemo resolves them at "
                            "compile time)";
          result = failure();
          break;
        }
        seqOp |= node.op_type() == "Identity";
        ctxt.structuredIns.back() = s->second;
        ctxt.inputs.push_back(none(loc));
        continue;
      }
      auto it = values.find(name);
      if (it == values.end()) {
        emitError(loc) << "input '" << name
                       << "' is not defined by an earlier node, an "
                          "initializer or a graph input";
        result = failure();
        break;
      }
      ctxt.inputs.push_back(it->second);
    }
    ctxt.structuredOuts.resize(node.output_size());
    for (unsigned i = 0, e = node.output_size(); i < e; ++i) {
      if (node.output(i).empty())
        continue;
      ctxt.numOutputs = i + 1;
      // ONNX graphs are SSA: a second definition would silently replace
      // the first for every later reader.
      if (succeeded(result) && (values.count(node.output(i)) ||
                                structured.count(node.output(i)))) {
        emitError(loc) << "output '" << node.output(i)
                       << "' is already defined by an earlier node, an "
                          "initializer or a graph input";
        result = failure();
      }
    }
    llvm::StringSet<> attrNames;
    for (const auto &attr : node.attribute()) {
      if (failed(result))
        break;
      // Two values for one attribute: converters and verifiers would each
      // read whichever they find first.
      if (!attrNames.insert(attr.name()).second) {
        emitError(loc) << "attribute '" << attr.name() << "' is given twice";
        result = failure();
        break;
      }
      FailureOr<Attribute> a = convertAttribute(attr, loc);
      if (failed(a)) {
        result = failure();
        break;
      }
      ctxt.attrs.push_back(builder.getNamedAttr(attr.name(), *a));
    }
    SmallVector<Value> outs;
    if (succeeded(result) && seqOp) {
      result = convertSequenceOp(ctxt, outs);
      if (succeeded(result) && !ctxt.unsupported.empty())
        result = importGeneric(ctxt, outs);
    } else if (succeeded(result)) {
      ConvertFn fn = nullptr;
      if (domain.empty())
        fn = lookupFunctionConverter(node.op_type(), ctxt.numOutputs);
      if (!fn && domain.empty())
        fn = lookupControlFlowConverter(node.op_type());
      else if (domain == "ai.onnx.preview.training")
        fn = lookupTrainingConverter(node.op_type());
      if (!fn)
        fn = domain.empty() ? lookupConverter(node.op_type())
                     : domain == "com.microsoft"
                         ? lookupMicrosoftConverter(node.op_type())
                         : nullptr;
      if (fn) {
        result = fn(ctxt, outs);
        if (succeeded(result) && !ctxt.unsupported.empty()) {
          outs.clear();
          result = importGeneric(ctxt, outs);
        }
      } else {
        result = importGeneric(ctxt, outs);
      }
    }
    if (succeeded(result)) {
      if (outs.size() < ctxt.numOutputs) {
        emitError(loc) << "produces " << outs.size() << " outputs but the "
                       << "node names " << ctxt.numOutputs;
        result = failure();
      } else {
        auto isTensor = [&](unsigned i) {
          return !node.output(i).empty() && !ctxt.structuredOuts[i];
        };
        for (unsigned i = 0; i < ctxt.numOutputs && succeeded(result); ++i)
          if (isTensor(i))
            result = graph::checkTensorBytes(
                loc, outs[i].getType(), options.maxTensorBytes,
                "output '" + node.output(i) + "'");
        for (unsigned i = 0; i < ctxt.numOutputs && succeeded(result); ++i)
          if (!node.output(i).empty())
            bind(node.output(i), isTensor(i) ? ImportedValue::tensor(outs[i])
                                             : *ctxt.structuredOuts[i]);
      }
    }
  }
  if (failed(result)) {
    InFlightDiagnostic diag = emitError(loc) << describeNode(node, index) << ": ";
    diag << (errors.empty() ? std::string("conversion failed")
                            : llvm::join(errors, "; "));
  }
  return result;
}

LogicalResult Importer::importGeneric(NodeContext &ctx,
                                      SmallVectorImpl<Value> &outs) {
  // Attributes of a typed converter may have been consumed; start over.
  SmallVector<NamedAttribute> attrs;
  for (const auto &attr : ctx.node.attribute()) {
    FailureOr<Attribute> a = convertAttribute(attr, ctx.loc);
    if (failed(a))
      return failure();
    attrs.push_back(builder.getNamedAttr(attr.name(), *a));
  }
  SmallVector<Type> types;
  Type fallbackElt = builder.getF32Type();
  for (Value v : ctx.inputs)
    if (auto t = dyn_cast<TensorType>(v.getType())) {
      fallbackElt = t.getElementType();
      break;
    }
  for (unsigned i = 0; i < ctx.numOutputs; ++i) {
    auto it = valueInfoTypes.find(ctx.node.output(i));
    types.push_back(it != valueInfoTypes.end()
                        ? it->second
                        : UnrankedTensorType::get(fallbackElt));
  }
  std::string domain =
      ctx.node.domain() == "ai.onnx" ? "" : ctx.node.domain();
  auto op = graph::OnnxNodeOp::create(
      builder, ctx.loc, types, ctx.inputs,
      builder.getStringAttr(ctx.node.op_type()), builder.getStringAttr(domain),
      builder.getI64IntegerAttr(ctx.opset), builder.getDictionaryAttr(attrs));
  if (!ctx.unsupported.empty())
    op->setAttr("reason", builder.getStringAttr(ctx.unsupported));
  llvm::append_range(outs, op->getResults());
  return success();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

static OwningOpRef<ModuleOp> importParsed(onnx::ModelProto &model,
                                          StringRef name, StringRef baseDir,
                                          MLIRContext *context,
                                          const ImportOptions &options) {
  try {
    Importer importer(context, options, name, baseDir);
    return importer.importModelConsuming(model);
  } catch (const std::exception &e) {
    emitError(FileLineColLoc::get(context, name, 0, 0))
        << "import failed: " << e.what();
    return nullptr;
  }
}

/// The one error a truncated, corrupt or oversized binary model gets.
static void notAModel(StringRef name, MLIRContext *context) {
  emitError(FileLineColLoc::get(context, name, 0, 0))
      << "not a valid ONNX model: the protobuf failed to parse "
         "(truncated or corrupt file?)";
}

/// Parses a binary ModelProto from `stream`, or says it is not one.
static bool parseModel(google::protobuf::io::CodedInputStream &stream,
                       onnx::ModelProto &model, StringRef name,
                       MLIRContext *context) {
  stream.SetTotalBytesLimit(INT32_MAX);
  if (model.ParseFromCodedStream(&stream) && stream.ConsumedEntireMessage())
    return true;
  notAModel(name, context);
  return false;
}

OwningOpRef<ModuleOp> mnemo::importOnnxBytes(StringRef bytes, StringRef name,
                                             StringRef baseDir,
                                             MLIRContext *context,
                                             const ImportOptions &options) {
  onnx::ModelProto model;
  if (bytes.size() > (size_t)INT32_MAX) {
    notAModel(name, context);
    return nullptr;
  }
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()), (int)bytes.size());
  if (!parseModel(stream, model, name, context))
    return nullptr;
  return importParsed(model, name, baseDir, context, options);
}

OwningOpRef<ModuleOp> mnemo::importOnnxFile(StringRef path,
                                            MLIRContext *context,
                                            const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  if (path.ends_with(".onnxtext") || path.ends_with(".onnxtxt")) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/true);
    if (!buffer) {
      emitError(fileLoc) << "cannot read '" << path
                         << "': " << buffer.getError().message();
      return nullptr;
    }
    onnx::ModelProto model;
    onnx::Common::Status status;
    try {
      status = onnx::OnnxParser::Parse(model, (*buffer)->getBufferStart());
    } catch (const std::exception &e) {
      emitError(fileLoc) << "cannot parse ONNX text: " << e.what();
      return nullptr;
    }
    if (!status.IsOK()) {
      emitError(fileLoc) << "cannot parse ONNX text: "
                         << status.ErrorMessage();
      return nullptr;
    }
    return importParsed(model, path, dir, context, options);
  }
  // Parsed as it is read, in blocks: the file is not held beside the
  // parsed model, whose weights the importer then moves into blobs one by
  // one (ResNet-18's import held its 45 MB of weights three times).
  int fd = -1;
  std::error_code ec = llvm::sys::fs::openFileForRead(path, fd);
  if (!ec && llvm::sys::fs::is_directory(path))
    ec = std::make_error_code(std::errc::is_a_directory);
  if (ec) {
    if (fd >= 0)
      ::close(fd);
    emitError(fileLoc) << "cannot read '" << path << "': " << ec.message();
    return nullptr;
  }
  onnx::ModelProto model;
  {
    google::protobuf::io::FileInputStream file(fd, /*block_size=*/1 << 20);
    file.SetCloseOnDelete(true);
    google::protobuf::io::CodedInputStream stream(&file);
    if (!parseModel(stream, model, path, context))
      return nullptr;
  }
  return importParsed(model, path, dir, context, options);
}

std::vector<UnsupportedOp> mnemo::listUnsupportedOps(ModuleOp module) {
  std::map<std::tuple<std::string, std::string, int64_t>, unsigned> counts;
  module.walk([&](graph::OnnxNodeOp op) {
    ++counts[{op.getOpType().str(), op.getDomain().str(),
              (int64_t)op.getOpset()}];
  });
  std::vector<UnsupportedOp> out;
  for (auto &[key, n] : counts)
    out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  std::stable_sort(out.begin(), out.end(),
                   [](const UnsupportedOp &a, const UnsupportedOp &b) {
                     return a.count > b.count;
                   });
  return out;
}

void mnemo::registerImportDialects(DialectRegistry &registry) {
  registry.insert<graph::GraphDialect, func::FuncDialect>();
}
