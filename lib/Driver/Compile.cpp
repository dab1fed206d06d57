//===- Compile.cpp - the ahead-of-time CPU compiler driver ----------------===//

#include "mnemo/Driver/Compile.h"

#include "mnemo/Conversion/Passes.h"
#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Dialect/Mem/IR/Mem.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Import/ONNX/ImportONNX.h"
#include "mnemo/Pipelines/Pipelines.h"
#include "mnemo/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

extern char **environ;

using namespace mlir;
using namespace mnemo;

void mnemo::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<graph::GraphDialect, mem::MemDialect>();
}

void mnemo::installCompilerDiagnostics(MLIRContext &ctx, bool verbose) {
  ctx.getDiagEngine().registerHandler([verbose](Diagnostic &diag) {
    auto print = [](Diagnostic &d) {
      std::string loc;
      llvm::raw_string_ostream os(loc);
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
      llvm::errs() << loc << ": " << kind << ": " << d.str() << "\n";
    };
    print(diag);
    for (Diagnostic &note : diag.getNotes())
      if (verbose || !StringRef(note.str()).starts_with("see current operation"))
        print(note);
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

static std::string cType(StringRef dtype) {
  return llvm::StringSwitch<std::string>(dtype)
      .Case("float32", "float").Case("float64", "double")
      .Case("float16", "uint16_t").Case("bfloat16", "uint16_t")
      .Case("bool", "bool").Case("int8", "int8_t").Case("int16", "int16_t")
      .Case("int32", "int32_t").Case("int64", "int64_t")
      .Case("uint8", "uint8_t").Case("uint16", "uint16_t")
      .Case("uint32", "uint32_t").Case("uint64", "uint64_t")
      .Default("void");
}

/// Marks the inputs and outputs a decode loop feeds back: past/present
/// pairs (or the caches mnemo-kv-cache made of them), the token ids (the
/// integer input indexing the largest embedding table), other integer
/// inputs of the tokens' shape (position ids), other rank-2 integer or bool
/// inputs (the attention mask) and the first other float output (logits).
static void annotateDecoderRoles(func::FuncOp fn, ArtifactSignature &sig) {
  for (graph::KVCacheIO io : graph::findKVCacheIO(fn)) {
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

static LogicalResult writeFile(StringRef path, StringRef text, Location loc) {
  std::string err;
  auto f = openOutputFile(path, &err);
  if (!f)
    return emitError(loc) << "cannot write " << path << ": " << err;
  f->os() << text;
  f->keep();
  return success();
}

static std::string headerText(const ArtifactSignature &sig) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string guard = StringRef(sig.name).upper() + "_H";
  os << "/* Generated by mnemoc: the C contract of model '" << sig.name
     << "'. */\n#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n#include <stdbool.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  auto describe = [&](const char *kind, const std::vector<TensorSignature> &ts) {
    for (auto [i, t] : llvm::enumerate(ts)) {
      os << " *   " << kind << "[" << i << "] " << t.name << ": " << cType(t.dtype)
         << " [";
      for (auto [d, v] : llvm::enumerate(t.shape))
        os << (d ? ", " : "") << (v < 0 ? t.dimNames[d] : std::to_string(v));
      os << "]";
      if (t.maxBytes >= 0)
        os << ", at most " << t.maxBytes << " bytes";
      os << "\n";
    }
  };
  os << "/* Buffers (row-major, contiguous):\n";
  describe("inputs", sig.inputs);
  describe("outputs", sig.outputs);
  os << " * The workspace must be " << sig.workspaceBytes
     << " bytes (see _workspace_bytes), 64-byte aligned.\n */\n\n";
  if (!sig.dims.empty()) {
    os << "/* Symbolic dims, in the order _run_dims reads them, with the bounds "
          "the\n   workspace was sized for. */\n";
    for (auto [i, d] : llvm::enumerate(sig.dims))
      os << "#define " << StringRef(sig.name).upper() << "_DIM_"
         << StringRef(sanitizeName(d.name)).upper() << " " << i << " /* "
         << d.lo << ".." << d.hi << " */\n";
    os << "#define " << StringRef(sig.name).upper() << "_NUM_DIMS "
       << sig.dims.size() << "\n\n";
  }
  std::string upper = StringRef(sig.name).upper();
  os << "/* Built for --cpu=" << sig.target.cpu << " (LLVM CPU "
     << sig.target.llvmCpu << ", " << sig.target.vectorBits
     << "-bit vectors). The entry points return 4 on a CPU without these "
        "ISA\n   extensions; _cpu_supported() tells beforehand. */\n"
     << "#define " << upper << "_CPU \"" << sig.target.cpu << "\"\n"
     << "#define " << upper << "_CPU_FEATURES \""
     << llvm::join(sig.target.features, ",") << "\"\n"
     << "int " << sig.name << "_cpu_supported(void);\n\n";
  os << "size_t " << sig.name << "_workspace_bytes(void);\n\n"
     << "/* Returns 0 on success; 2 if the model has symbolic dims (use "
        "_run_dims);\n   4 if this CPU lacks an extension of "
     << upper << "_CPU_FEATURES. */\n"
     << "int " << sig.name
     << "_run(const void *const *inputs, void *const *outputs, void "
        "*workspace);\n\n"
     << "/* dims: one value per symbolic dim; output_shapes (may be NULL) "
        "receives\n   every output's dims in order. Returns 3 if a dim is "
        "outside its bound,\n   4 as _run. */\n"
     << "int " << sig.name
     << "_run_dims(const int64_t *dims, const void *const *inputs,\n"
     << "    void *const *outputs, int64_t *output_shapes, void *workspace);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return s;
}

static std::string signatureJson(const ArtifactSignature &sig) {
  using namespace llvm::json;
  auto tensors = [](const std::vector<TensorSignature> &ts) {
    Array a;
    for (const auto &t : ts) {
      Array shape, names;
      for (int64_t v : t.shape)
        shape.push_back(v);
      for (const auto &n : t.dimNames)
        names.push_back(n);
      Object o{{"name", t.name}, {"dtype", t.dtype},
               {"shape", std::move(shape)}, {"dim_names", std::move(names)},
               {"max_bytes", t.maxBytes}};
      if (!t.kvRole.empty())
        o["kv"] = Object{{"role", t.kvRole},       {"present", t.kvPresent},
                         {"layout", t.kvLayout},   {"past", t.kvPast},
                         {"kind", t.kvKind},       {"part", t.kvPart},
                         {"max_seq", t.kvMaxSeq},  {"block_size", t.kvBlock},
                         {"group", t.kvGroup}};
      a.push_back(std::move(o));
    }
    return a;
  };
  Array dims;
  for (const auto &d : sig.dims)
    dims.push_back(Object{{"name", d.name}, {"lo", d.lo}, {"hi", d.hi}});
  Array features;
  for (const auto &f : sig.target.features)
    features.push_back(f);
  Object top{{"name", sig.name},
             {"target", Object{{"cpu", sig.target.cpu},
                               {"llvm_cpu", sig.target.llvmCpu},
                               {"features", std::move(features)},
                               {"vector_bits", sig.target.vectorBits}}},
             {"workspace_bytes", sig.workspaceBytes},
             {"inputs", tensors(sig.inputs)},
             {"outputs", tensors(sig.outputs)},
             {"dims", std::move(dims)}};
  if (sig.vocabRanks > 0)
    top["vocab_parallel"] =
        Object{{"rank", sig.vocabRank}, {"ranks", sig.vocabRanks}};
  llvm::json::Value v = std::move(top);
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::formatv("{0:2}", v) << "\n";
  return s;
}

FailureOr<ArtifactSignature> mnemo::readSignature(StringRef jsonPath,
                                                  std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(jsonPath);
  if (!buf) {
    error = "cannot read " + jsonPath.str();
    return failure();
  }
  auto parsed = llvm::json::parse((*buf)->getBuffer());
  if (!parsed) {
    error = llvm::toString(parsed.takeError());
    return failure();
  }
  // Every field is checked: a report or other JSON next to the artifact
  // must be rejected, not crash the reader.
  auto bad = [&](StringRef what) {
    error = jsonPath.str() + " is not an artifact signature (" + what.str() +
            ")";
    return failure();
  };
  auto *o = parsed->getAsObject();
  if (!o || !o->getString("name") || !o->getArray("inputs") ||
      !o->getArray("outputs") || !o->getArray("dims"))
    return bad("needs name, inputs, outputs, dims");
  ArtifactSignature sig;
  sig.name = o->getString("name")->str();
  sig.workspaceBytes = o->getInteger("workspace_bytes").value_or(0);
  auto tensors = [](const llvm::json::Array *a,
                    std::vector<TensorSignature> &out) {
    for (const auto &e : *a) {
      const auto *t = e.getAsObject();
      if (!t || !t->getArray("shape") || !t->getArray("dim_names"))
        return false;
      TensorSignature ts;
      ts.name = t->getString("name").value_or("").str();
      ts.dtype = t->getString("dtype").value_or("").str();
      for (const auto &d : *t->getArray("shape")) {
        if (!d.getAsInteger())
          return false;
        ts.shape.push_back(*d.getAsInteger());
      }
      for (const auto &d : *t->getArray("dim_names"))
        ts.dimNames.push_back(d.getAsString().value_or("").str());
      ts.maxBytes = t->getInteger("max_bytes").value_or(-1);
      if (const auto *kv = t->getObject("kv")) {
        auto str = [&](StringRef k) {
          return kv->getString(k).value_or("").str();
        };
        ts.kvRole = str("role");
        ts.kvPresent = str("present");
        ts.kvLayout = str("layout");
        ts.kvPast = str("past");
        ts.kvKind = str("kind");
        ts.kvPart = str("part");
        ts.kvMaxSeq = kv->getInteger("max_seq").value_or(0);
        ts.kvBlock = kv->getInteger("block_size").value_or(0);
        ts.kvGroup = kv->getInteger("group").value_or(0);
      }
      out.push_back(ts);
    }
    return true;
  };
  if (!tensors(o->getArray("inputs"), sig.inputs) ||
      !tensors(o->getArray("outputs"), sig.outputs))
    return bad("malformed tensor entry");
  // Artifacts before --cpu have no "target": they were built for the
  // host that compiled them, which cannot be checked.
  if (const auto *t = o->getObject("target")) {
    sig.target.cpu = t->getString("cpu").value_or("").str();
    sig.target.llvmCpu = t->getString("llvm_cpu").value_or("").str();
    sig.target.vectorBits = t->getInteger("vector_bits").value_or(0);
    if (const auto *fs = t->getArray("features"))
      for (const auto &f : *fs)
        if (auto str = f.getAsString())
          sig.target.features.push_back(str->str());
  }
  if (const auto *vp = o->getObject("vocab_parallel")) {
    sig.vocabRank = vp->getInteger("rank").value_or(-1);
    sig.vocabRanks = vp->getInteger("ranks").value_or(0);
  }
  for (const auto &e : *o->getArray("dims")) {
    const auto *d = e.getAsObject();
    if (!d || !d->getInteger("lo") || !d->getInteger("hi"))
      return bad("malformed dim entry");
    sig.dims.push_back({d->getString("name").value_or("").str(),
                        *d->getInteger("lo"), *d->getInteger("hi")});
  }
  return sig;
}

bool mnemo::hostCanRun(const ArtifactSignature &sig, std::string &why) {
  std::vector<std::string> missing = missingHostFeatures(sig.target.features);
  if (missing.empty())
    return true;
  why = sig.name + " was built for --cpu=" + sig.target.cpu + " (LLVM CPU " +
        sig.target.llvmCpu + "); this CPU (" +
        llvm::sys::getHostCPUName().str() + ") lacks " +
        llvm::join(missing, ", ") +
        ". Rebuild it on this machine with --cpu=host, or with "
        "--cpu=x86-64-v3 to run on any AVX2 machine.";
  return false;
}

std::string mnemo::describeRunError(int rc) {
  switch (rc) {
  case 2:
    return "the model has symbolic dims: call _run_dims";
  case 3:
    return "a symbolic dim is outside the bound the artifact was built for";
  case 4:
    return "this CPU lacks an ISA extension the artifact was built for";
  default:
    return "error " + std::to_string(rc);
  }
}

/// LLVM IR -> optimized object file for the target CPU. The entry point
/// checks at run time that the CPU has the ISA extensions the code uses.
static LogicalResult emitObject(ModuleOp module, StringRef path,
                                const CPUTarget &target, StringRef name,
                                unsigned optLevel, bool llvmOnly) {
  Location loc = module.getLoc();
  llvm::LLVMContext llctx;
  auto llmod = translateModuleToLLVMIR(module, llctx, "mnemo");
  if (!llmod)
    return emitError(loc) << "translation to LLVM IR failed";
  auto tmOr = createTargetMachine(target, optLevel);
  if (!tmOr)
    return emitError(loc) << llvm::toString(tmOr.takeError());
  std::unique_ptr<llvm::TargetMachine> tm = std::move(*tmOr);
  if (auto e = addCPUFeatureGuard(*llmod, name, target.isaFeatures))
    return emitError(loc) << llvm::toString(std::move(e));
  llmod->setDataLayout(tm->createDataLayout());
  llmod->setTargetTriple(tm->getTargetTriple());
  auto transformer = makeOptimizingTransformer(optLevel, 0, tm.get());
  if (auto e = transformer(llmod.get()))
    return emitError(loc) << "LLVM optimization failed: "
                          << llvm::toString(std::move(e));
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  if (llvmOnly) {
    llmod->print(os, nullptr);
    return success();
  }
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return emitError(loc) << "the target cannot emit object files";
  pm.run(*llmod);
  return success();
}

/// Whether the lowered module runs loops on OpenMP threads (then the
/// library links LLVM's libomp, found through an rpath).
static bool usesOpenMP(ModuleOp module) {
  bool found = false;
  module.walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "omp") {
      found = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// Whether the lowered module calls into MPI (vocab-parallel ranks).
static bool usesMPI(ModuleOp module) {
  for (auto f : module.getOps<LLVM::LLVMFuncOp>())
    if (f.isExternal() && f.getName().starts_with("MPI_"))
      return true;
  return false;
}

/// Links the object into a shared library with the C compiler mnemo was
/// built with (clang-22, which scripts/setup.sh installs), else the first
/// C compiler on PATH. MPI builds go through mpicc, told to wrap that same
/// compiler: its default (gcc) need not be installed.
static LogicalResult linkShared(StringRef obj, StringRef so, bool openmp,
                                bool mpi, Location loc) {
  std::string cc;
  if (llvm::sys::fs::can_execute(MNEMO_LINK_CC))
    cc = MNEMO_LINK_CC;
  for (const char *name : {"cc", "clang-22", "clang", "gcc"})
    if (cc.empty())
      if (auto p = llvm::sys::findProgramByName(name))
        cc = *p;
  if (cc.empty())
    return emitError(loc) << "no C compiler (" MNEMO_LINK_CC
                             ", cc, clang, gcc) to link "
                          << so;
  std::string driver = cc;
  std::vector<std::string> env;
  if (mpi) {
    auto p = llvm::sys::findProgramByName("mpicc");
    if (!p)
      return emitError(loc) << "linking " << so
                            << " needs MPI: no mpicc on PATH (install "
                               "libopenmpi-dev, as scripts/setup.sh does)";
    driver = *p;
    for (char **e = environ; *e; ++e)
      env.push_back(*e);
    env.push_back("OMPI_CC=" + cc);  // Open MPI
    env.push_back("MPICH_CC=" + cc); // MPICH
  }
  SmallVector<StringRef> args = {driver, "-shared", "-o", so, obj, "-lm"};
  if (openmp)
    args.append({"-L" MNEMO_LLVM_LIBDIR, "-lomp",
                 "-Wl,-rpath," MNEMO_LLVM_LIBDIR});
  SmallVector<StringRef> envRefs(env.begin(), env.end());
  std::string err;
  int rc = llvm::sys::ExecuteAndWait(
      driver, args,
      mpi ? std::optional<ArrayRef<StringRef>>(envRefs) : std::nullopt, {}, 0,
      0, &err);
  if (rc != 0)
    return emitError(loc) << "linking " << so << " failed (" << driver
                          << " exit " << rc << ") " << err;
  return success();
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
      {"GB", 1000000000}, {"GiB", 1 << 30}};
  for (auto [name, scale] : units)
    if (unit.equals_insensitive(name) &&
        value <= (uint64_t)INT64_MAX / (uint64_t)scale)
      return (int64_t)value * scale;
  return std::nullopt;
}

FailureOr<ArtifactSignature> mnemo::compileCPU(ModuleOp module,
                                               const CompileOptions &options) {
  Location loc = module.getLoc();
  MLIRContext *ctx = module.getContext();
  auto fn = module.lookupSymbol<func::FuncOp>("main_graph");
  if (!fn)
    return emitError(loc) << "module has no @main_graph", failure();
  llvm::Expected<CPUTarget> target =
      resolveCPUTarget(options.cpu, options.cpuFeatures);
  if (!target)
    return emitError(loc) << llvm::toString(target.takeError()), failure();
  // Refine types first: the signature (ranks, static dims) is read from
  // the inferred function type.
  {
    PassManager infer(ctx);
    infer.addNestedPass<func::FuncOp>(graph::createGraphInferShapesPass());
    // The KV-cache rewrite changes the signature (caches in, presents
    // out), so it runs before the signature is read.
    if (!options.kvCache.empty()) {
      graph::KVCachePassOptions kv;
      kv.layout = options.kvCache;
      kv.maxSeq = options.maxSeq;
      kv.blockSize = options.kvBlock;
      kv.group = options.int8Group;
      infer.addNestedPass<func::FuncOp>(graph::createKVCachePass(kv));
      infer.addNestedPass<func::FuncOp>(graph::createGraphInferShapesPass());
    }
    // Vocabulary parallelism changes the outputs (argmax, last position)
    // and, per rank, the weights the module holds.
    if (options.vocabParallel > 0 || options.lmHeadOutput != "logits") {
      graph::VocabParallelPassOptions vp;
      vp.shards = std::max<int64_t>(options.vocabParallel, 1);
      vp.rank = options.vocabRank;
      vp.output = options.lmHeadOutput;
      infer.addPass(graph::createVocabParallelPass(vp));
      infer.addNestedPass<func::FuncOp>(graph::createGraphInferShapesPass());
    }
    if (failed(infer.run(module)))
      return failure();
  }
  ArtifactSignature sig = signatureOf(fn, options.name);
  sig.target = {target->requested, target->cpu, target->isaFeatures,
                target->vectorBits};
  if (auto vp = module->getAttrOfType<DictionaryAttr>("mnemo.vocab_parallel")) {
    sig.vocabRank = vp.getAs<IntegerAttr>("rank").getInt();
    sig.vocabRanks = vp.getAs<IntegerAttr>("ranks").getInt();
  }
  // (An output whose rank is still unknown fails in the lowering, which
  // names the node that produced it.)

  PassManager pm(ctx);
  if (options.printIRAfterAll) {
    ctx->disableMultithreading();
    pm.enableIRPrinting([](Pass *, Operation *) { return false; },
                        [](Pass *, Operation *) { return true; },
                        /*printModuleScope=*/true);
  }
  if (options.timing)
    pm.enableTiming();
  CPUPipelineOptions popts;
  popts.name = options.name;
  popts.dims = options.dims;
  popts.optLevel = options.optLevel;
  popts.cpu = options.cpu;
  popts.cpuFeatures = options.cpuFeatures;
  popts.planner = options.planner;
  popts.ilpTimeLimit = options.ilpTimeLimit;
  popts.reports = options.reports;
  popts.sramBudget = options.sramBudget;
  popts.lowMemory = options.lowMemory;
  popts.blockChannels = options.blockChannels;
  popts.patchSchedule = options.patchSchedule;
  popts.patches = options.patches;
  popts.patchCut = options.patchCut;
  popts.maxRecompute = options.maxRecompute;
  popts.featureSlice = options.featureSlice;
  popts.maxSlices = options.maxSlices;
  popts.tileForBudget = options.tileForBudget;
  popts.tileBudget = options.tileBudget;
  buildCPUPipeline(pm, popts);
  // Line tables from the importer's locations (file = the model, line =
  // the ONNX node's index), so a profiler attributes time to graph nodes.
  if (options.debugInfo)
    pm.addPass(LLVM::createDIScopeForLLVMFuncOpPass(
        {LLVM::DIEmissionKind::LineTablesOnly}));
  if (failed(pm.run(module)))
    return failure();

  if (auto ws = module->getAttrOfType<IntegerAttr>("mnemo.workspace_bytes"))
    sig.workspaceBytes = ws.getInt();
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
    if (failed(writeFile(b + ".mlir", s, loc)))
      return failure();
    return sig;
  }
  if (options.emit == "llvm")
    return failed(emitObject(module, b + ".ll", *target, options.name,
                             options.optLevel, true))
               ? FailureOr<ArtifactSignature>(failure())
               : FailureOr<ArtifactSignature>(sig);
  if (failed(emitObject(module, b + ".o", *target, options.name,
                        options.optLevel, false)) ||
      failed(writeFile(b + ".h", headerText(sig), loc)) ||
      failed(writeFile(b + ".json", signatureJson(sig), loc)))
    return failure();
  if (options.emit == "so") {
    SmallString<256> so(options.outDir);
    llvm::sys::path::append(so, "lib" + options.name + ".so");
    if (failed(linkShared(b + ".o", so, usesOpenMP(module), usesMPI(module),
                          loc)))
      return failure();
  }
  return sig;
}
