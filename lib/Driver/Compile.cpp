//===- Compile.cpp - the ahead-of-time compiler driver --------------------===//
//
// The front half every target shares: shape inference and the graph
// rewrites that change the artifact's signature (KV caches, vocabulary
// parallelism), then the signature itself; the target's backend
// (Backend.h) adds its pipeline and writes the artifact.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Driver/Compile.h"
#include "Backend.h"

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Memory/Transforms/Passes.h"
#include "mnemo/Dialect/Mem/IR/Mem.h"
#include "mnemo/Support/ConstantData.h"
#include "mnemo/Support/DimSpec.h"

#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mnemo/Driver/Progress.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mnemo;

namespace {
/// Frees the weights the passes replace (BatchNorm folded into a conv's
/// weights, repacked layouts, constant folds): the old blobs would stay
/// in the context to the end of the compile, beside their replacements
/// (ResNet-18: 125 MiB of private memory through the passes for 45 MiB of
/// weights). Checked after each pass on the whole module, and only when
/// a blob appeared since the last check, so most passes cost nothing.
struct ReleaseReplacedWeights : PassInstrumentation {
  void runAfterPass(Pass *, Operation *op) override {
    auto module = dyn_cast<ModuleOp>(op);
    if (!module || module->getParentOp())
      return;
    size_t loaded = loadedBlobs(module.getContext()).size();
    if (loaded <= seen)
      return;
    releaseUnusedBlobs(module);
    seen = loadedBlobs(module.getContext()).size();
  }
  size_t seen = 0;
};
} // namespace

std::string mnemo::formatDiagnostic(Diagnostic &diag, bool verbose) {
  std::string out;
  llvm::raw_string_ostream os(out);
  auto print = [&](Diagnostic &d) {
    Location l = d.getLocation();
    if (auto name = dyn_cast<NameLoc>(l))
      l = name.getChildLoc();
    if (auto flc = dyn_cast<FileLineColLoc>(l))
      os << flc.getFilename().getValue() << ":" << flc.getLine() << ":"
         << flc.getColumn();
    else
      os << l;
    const char *kind = d.getSeverity() == DiagnosticSeverity::Error ? "error"
                       : d.getSeverity() == DiagnosticSeverity::Warning
                           ? "warning"
                           : d.getSeverity() == DiagnosticSeverity::Note
                                 ? "note"
                                 : "remark";
    os << ": " << kind << ": " << d.str() << "\n";
  };
  print(diag);
  for (Diagnostic &note : diag.getNotes())
    if (verbose || !StringRef(note.str()).starts_with("see current operation"))
      print(note);
  return out;
}

void mnemo::installCompilerDiagnostics(MLIRContext &ctx, bool verbose) {
  ctx.getDiagEngine().registerHandler([verbose](Diagnostic &diag) {
    // Remarks are the passes' reports of what they chose (ReportLine):
    // the compiler's output, as plain lines.
    if (diag.getSeverity() == DiagnosticSeverity::Remark)
      llvm::outs() << diag.str() << "\n";
    else
      llvm::errs() << formatDiagnostic(diag, verbose);
    return success();
  });
}

std::string mnemo::sanitizeName(StringRef stem) {
  std::string out;
  for (char c : stem)
    out.push_back(llvm::isAlnum(c) ? c : '_');
  if (out.empty() || llvm::isDigit(out[0]))
    out = "m_" + out;
  return out;
}

static std::string dtypeName(Type t) {
  if (t.isF32()) return "float32";
  if (t.isF64()) return "float64";
  if (t.isF16()) return "float16";
  if (t.isBF16()) return "bfloat16";
  if (t.isInteger(1)) return "bool";
  if (auto it = dyn_cast<IntegerType>(t))
    return (it.isUnsigned() ? "uint" : "int") + std::to_string(it.getWidth());
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// Marks the inputs and outputs a decode loop feeds back: past/present
/// pairs (or the caches mnemo-kv-cache made of them), the token ids (the
/// integer input indexing the largest embedding table), other integer
/// inputs of the tokens' shape (position ids), other rank-2 integer or bool
/// inputs (the attention mask) and the first other float output (logits).
static void annotateDecoderRoles(func::FuncOp fn, ArtifactSignature &sig) {
  for (KVCacheIO io : findKVCacheIO(fn)) {
    sig.inputs[io.pastArg].kvRole = "past";
    sig.inputs[io.pastArg].kvPresent = sig.outputs[io.presentResult].name;
    sig.outputs[io.presentResult].kvRole = "present";
  }
  for (unsigned r = 0; r < fn.getNumResults(); ++r)
    if (auto role = fn.getResultAttrOfType<StringAttr>(r, "graph.kv_role"))
      sig.outputs[r].kvRole = role.str();
  int tokens = -1;
  for (unsigned a = 0; a < fn.getNumArguments(); ++a) {
    TensorSignature &t = sig.inputs[a];
    if (auto role = fn.getArgAttrOfType<StringAttr>(a, "graph.kv_role"))
      t.kvRole = role.str();
    if (t.kvRole == "tokens")
      tokens = a;
    if (auto kv = fn.getArgAttrOfType<DictionaryAttr>(a, "graph.kv_cache")) {
      t.kvRole = "cache";
      auto str = [&](StringRef k) {
        auto v = kv.getAs<StringAttr>(k);
        return v ? v.str() : std::string();
      };
      auto num = [&](StringRef k) {
        auto v = kv.getAs<IntegerAttr>(k);
        return v ? v.getInt() : int64_t(0);
      };
      t.kvLayout = str("layout");
      t.kvPast = str("past");
      t.kvPresent = str("present");
      t.kvKind = str("kind");
      t.kvPart = str("part");
      t.kvMaxSeq = num("max_seq");
      t.kvBlock = num("block_size");
      t.kvGroup = num("group");
    }
  }
  int64_t rows = 0;
  for (unsigned a = 0; a < fn.getNumArguments() && tokens < 0; ++a)
    for (Operation *u : fn.getArgument(a).getUsers())
      if (auto g = dyn_cast<graph::GatherOp>(u)) {
        auto data = dyn_cast<RankedTensorType>(g.getData().getType());
        if (g.getIndices() == fn.getArgument(a) && data && data.getRank() == 2 &&
            isa<FloatType>(data.getElementType()) && data.getDimSize(0) > rows) {
          rows = data.getDimSize(0);
          tokens = a;
        }
      }
  if (tokens < 0 || (!sig.inputs[tokens].kvRole.empty() &&
                     sig.inputs[tokens].kvRole != "tokens"))
    return;
  sig.inputs[tokens].kvRole = "tokens";
  for (TensorSignature &t : sig.inputs) {
    if (!t.kvRole.empty() || t.dtype == "float32" || t.dtype == "float16")
      continue;
    if (t.shape == sig.inputs[tokens].shape &&
        t.dimNames == sig.inputs[tokens].dimNames)
      t.kvRole = "positions";
    else if (t.shape.size() == 2)
      t.kvRole = "mask";
  }
  for (TensorSignature &t : sig.outputs)
    if (t.kvRole.empty() && StringRef(t.dtype).starts_with("float")) {
      t.kvRole = "logits";
      break;
    }
}

/// The graph-level signature, read before lowering erases names and
/// signedness.
static ArtifactSignature signatureOf(func::FuncOp fn, StringRef name) {
  ArtifactSignature sig;
  sig.name = name.str();
  auto one = [&](Type t, DictionaryAttr attrs, unsigned idx, bool isInput) {
    TensorSignature ts;
    auto rt = cast<ShapedType>(t);
    auto n = attrs ? attrs.getAs<StringAttr>("graph.name") : StringAttr();
    ts.name = n ? n.str() : (isInput ? "input" : "output") + std::to_string(idx);
    ts.dtype = dtypeName(rt.getElementType());
    for (int64_t d = 0; d < rt.getRank(); ++d) {
      ts.shape.push_back(rt.isDynamicDim(d) ? -1 : rt.getDimSize(d));
      ts.dimNames.push_back(rt.isDynamicDim(d)
                                ? graph::symbolicDimName(attrs, ts.name, d)
                                : "");
    }
    return ts;
  };
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    sig.inputs.push_back(one(fn.getArgumentTypes()[i], fn.getArgAttrDict(i), i, true));
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    sig.outputs.push_back(one(fn.getResultTypes()[i], fn.getResultAttrDict(i), i, false));
  annotateDecoderRoles(fn, sig);
  return sig;
}

TimingScope mnemo::beginStage(const CompileOptions &options, StringRef name) {
  if (options.progress)
    options.progress->stage(name);
  return options.timing ? options.timing->nest(name) : TimingScope();
}

std::optional<int64_t> mnemo::parseByteSize(StringRef text) {
  text = text.trim();
  size_t digits = text.find_first_not_of("0123456789");
  StringRef num = text.substr(0, digits), unit = text.substr(num.size()).trim();
  uint64_t value;
  if (num.empty() || num.getAsInteger(10, value))
    return std::nullopt;
  static const std::pair<StringRef, int64_t> units[] = {
      {"", 1},          {"B", 1},           {"KB", 1000},
      {"KiB", 1 << 10}, {"MB", 1000000},    {"MiB", 1 << 20},
      {"GB", 1000000000}, {"GiB", 1 << 30}, {"TB", 1000000000000},
      {"TiB", int64_t(1) << 40}};
  for (auto [name, scale] : units)
    if (unit.equals_insensitive(name) &&
        value <= (uint64_t)INT64_MAX / (uint64_t)scale)
      return (int64_t)value * scale;
  return std::nullopt;
}

std::unique_ptr<driver::TargetBackend>
static backendFor(const CompileOptions &options, Location loc) {
  if (options.weights != "embed" &&
      (options.weights != "file" || options.target != "cpu")) {
    emitError(loc) << "weights '" << options.weights << "': embed, or file "
                   << "for the CPU target (the CUDA target uploads its "
                      "constants at the first run)";
    return nullptr;
  }
  if (options.target == "cpu")
    return driver::createCPUBackend(options);
  if (options.target == "cuda")
    return driver::createCUDABackend(options);
  if (options.target == "pim")
    return driver::createPIMBackend(options);
  emitError(loc) << "unknown target '" << options.target << "' (cpu, cuda or pim)";
  return nullptr;
}

/// A symbolic dim bounded to one value (--dim batch=1..1) is that value:
/// the entry's argument types get it as a static size before shape
/// inference, so every later pass (patch schedule, slicing, tiling, the
/// planners) sees static shapes rather than an unknown it must bound.
static void specializeFixedDims(func::FuncOp fn,
                                ArrayRef<std::string> bounds) {
  llvm::StringMap<int64_t> fixed;
  for (StringRef spec : bounds)
    if (std::optional<DimSpec> d = parseDimSpec(spec);
        d && d->lo == d->hi && d->lo > 0)
      fixed[d->name] = d->lo;
  if (fixed.empty())
    return;
  SmallVector<Type> inputs(fn.getArgumentTypes());
  bool changed = false;
  for (auto [a, t] : llvm::enumerate(inputs)) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt)
      continue;
    SmallVector<int64_t> shape(rt.getShape());
    for (auto [d, size] : llvm::enumerate(shape)) {
      if (!ShapedType::isDynamic(size))
        continue;
      auto it = fixed.find(graph::symbolicDimName(
          fn.getArgAttrDict(a), "input" + std::to_string(a), d));
      if (it != fixed.end())
        size = it->second;
    }
    if (shape == rt.getShape())
      continue;
    t = rt.clone(shape);
    fn.getArgument(a).setType(t);
    changed = true;
  }
  if (changed)
    fn.setType(FunctionType::get(fn.getContext(), inputs, fn.getResultTypes()));
}

FailureOr<ArtifactSignature> mnemo::compile(ModuleOp module,
                                            const CompileOptions &options) {
  Location loc = module.getLoc();
  MLIRContext *ctx = module.getContext();
  auto fn = module.lookupSymbol<func::FuncOp>("main_graph");
  if (!fn)
    return emitError(loc) << "module has no @main_graph", failure();
  std::unique_ptr<driver::TargetBackend> backend = backendFor(options, loc);
  TargetSignature target;
  if (!backend || failed(backend->describe(target, loc)))
    return failure();
  specializeFixedDims(fn, options.dims);
  // Shape inference and every later pass check tensor sizes against it.
  module->setAttr("graph.max_tensor_bytes",
                  IntegerAttr::get(IntegerType::get(ctx, 64),
                                   options.maxTensorBytes));
  // Refine types first: the signature (ranks, static dims) is read from
  // the inferred function type.
  {
    PassManager infer(ctx);
    if (options.releaseWeights)
      infer.addInstrumentation(std::make_unique<ReleaseReplacedWeights>());
    infer.addNestedPass<func::FuncOp>(graph::createGraphInferShapesPass());
    // The KV-cache rewrite changes the signature (caches in, presents
    // out), so it runs before the signature is read.
    if (!options.kvCache.empty()) {
      KVCachePassOptions kv;
      kv.layout = options.kvCache;
      kv.maxSeq = options.maxSeq;
      kv.blockSize = options.kvBlock;
      kv.group = options.int8Group;
      infer.addNestedPass<func::FuncOp>(createKVCachePass(kv));
      infer.addNestedPass<func::FuncOp>(graph::createGraphInferShapesPass());
    }
    // Vocabulary parallelism changes the outputs (argmax, last position)
    // and, per rank, the weights the module holds.
    if (options.vocabParallel > 0 || options.lmHeadOutput != "logits") {
      VocabParallelPassOptions vp;
      vp.shards = std::max<int64_t>(options.vocabParallel, 1);
      vp.rank = options.vocabRank;
      vp.output = options.lmHeadOutput;
      infer.addPass(createVocabParallelPass(vp));
      infer.addNestedPass<func::FuncOp>(graph::createGraphInferShapesPass());
    }
    TimingScope inferTiming = beginStage(options, "shape inference");
    if (options.timing)
      infer.enableTiming(inferTiming);
    if (options.progress)
      options.progress->attach(infer);
    if (failed(infer.run(module))) {
      return failure();
    }
  }
  ArtifactSignature sig = signatureOf(fn, options.name);
  sig.target = target;
  if (auto vp = module->getAttrOfType<DictionaryAttr>("mnemo.vocab_parallel")) {
    sig.vocabRank = vp.getAs<IntegerAttr>("rank").getInt();
    sig.vocabRanks = vp.getAs<IntegerAttr>("ranks").getInt();
  }
  // (An output whose rank is still unknown fails in the lowering, which
  // names the node that produced it.)

  PassManager pm(ctx);
  if (options.releaseWeights)
    pm.addInstrumentation(std::make_unique<ReleaseReplacedWeights>());
  // Verifying the module after each of the ~40 passes was a third of
  // MobileNetV2's compile (2 s of 6.5); it is once at the end unless asked
  // for (--verify-each; mnemo-opt and the lit tests verify every pass).
  pm.enableVerifier(options.verifyEach);
  if (options.printIRAfterAll) {
    ctx->disableMultithreading();
    // Weights elided (a GPT-2's would print megabytes per pass), and only
    // the passes that changed something.
    pm.enableIRPrinting([](Pass *, Operation *) { return false; },
                        [](Pass *, Operation *) { return true; },
                        /*printModuleScope=*/true,
                        /*printAfterOnlyOnChange=*/true,
                        /*printAfterOnlyOnFailure=*/false, llvm::errs(),
                        OpPrintingFlags()
                            .elideLargeElementsAttrs(16)
                            .elideLargeResourceString(64));
  }
  TimingScope passTiming = beginStage(options, "MLIR passes");
  if (options.timing)
    pm.enableTiming(passTiming);
  if (options.progress)
    options.progress->attach(pm);
  backend->buildPipeline(pm);
  // Line tables from the importer's locations (file = the model, line =
  // the ONNX node's index), so a profiler attributes time to graph nodes.
  if (options.debugInfo)
    pm.addPass(LLVM::createDIScopeForLLVMFuncOpPass(
        {LLVM::DIEmissionKind::LineTablesOnly}));
  if (failed(pm.run(module)) || failed(verify(module)))
    return failure();

  if (auto ws = module->getAttrOfType<IntegerAttr>("mnemo.workspace_bytes"))
    sig.workspaceBytes = ws.getInt();
  if (auto wb = module->getAttrOfType<IntegerAttr>("mnemo.weights_bytes")) {
    sig.weightsBytes = wb.getInt();
    sig.weightsFile = options.name + ".weights";
  }
  if (auto ob = module->getAttrOfType<ArrayAttr>("mnemo.output_max_bytes"))
    for (auto [i, a] : llvm::enumerate(ob))
      if (i < sig.outputs.size())
        sig.outputs[i].maxBytes = cast<IntegerAttr>(a).getInt();
  if (auto dims = module->getAttrOfType<ArrayAttr>("mnemo.dims"))
    for (Attribute a : dims) {
      auto d = cast<DictionaryAttr>(a);
      sig.dims.push_back({d.getAs<StringAttr>("name").str(),
                          d.getAs<IntegerAttr>("lo").getInt(),
                          d.getAs<IntegerAttr>("hi").getInt()});
    }

  SmallString<256> base(options.outDir);
  if (auto ec = llvm::sys::fs::create_directories(base))
    return emitError(loc) << "cannot create " << base << ": " << ec.message(),
           failure();
  llvm::sys::path::append(base, options.name);
  std::string b = base.str().str();
  if (options.emit == "mlir") {
    std::string s;
    llvm::raw_string_ostream os(s);
    module.print(os);
    if (failed(driver::writeFile(b + ".mlir", s, loc)))
      return failure();
    return sig;
  }
  passTiming.stop();
  if (failed(backend->writeArtifact(module, sig, b)))
    return failure();
  return sig;
}
