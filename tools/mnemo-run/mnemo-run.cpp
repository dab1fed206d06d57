//===- mnemo-run.cpp - run a compiled model and check its outputs ---------===//
//
//   mnemo-run model.onnx --inputs DIR [--rtol R --atol A] [--repeat N]
//             [--dim NAME=LO..HI] [-O N] [--keep DIR]
//   mnemo-run --artifact OUT/ --inputs DIR ...
//
// Compiles the model in-process (or loads an artifact written by mnemoc),
// reads DIR/input_*.pb (ONNX TensorProto) or DIR/input_*.npy, runs it and,
// when DIR/output_*.pb exist, compares every output: |got - want| <=
// atol + rtol * |want| (integers and bools exactly). Prints the largest
// absolute and relative error per output. Exit: 0 match, 1 mismatch or run
// failure, 2 bad input or compile failure.
//
//===----------------------------------------------------------------------===//

#ifdef MNEMO_HAVE_MPI
#include <mpi.h>
#endif
#include "mnemo/Runtime/Decode.h"
#include "mnemo/Runtime/PIMRuntime.h"

#include "mnemo/Driver/Compile.h"
#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Import/ONNX/ImportONNX.h"
#include "mnemo/Import/ONNX/TensorIO.h"
#include "mnemo/Support/PeakMemory.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

using namespace llvm;
using namespace mnemo;

static cl::OptionCategory cat("mnemo-run options");
static cl::opt<std::string> model(cl::Positional, cl::desc("<model.onnx>"),
                                  cl::cat(cat));
static cl::opt<std::string> artifact("artifact",
                                     cl::desc("Load a mnemoc output directory"),
                                     cl::cat(cat));
static cl::opt<std::string> inputsDir("inputs", cl::desc("Directory of input_*.pb"),
                                      cl::Required, cl::cat(cat));
static cl::opt<double> relTol("rtol", cl::desc("Relative tolerance"),
                              cl::init(1e-4), cl::cat(cat));
static cl::opt<double> absTol("atol", cl::desc("Absolute tolerance"),
                              cl::init(1e-5), cl::cat(cat));
static cl::opt<unsigned> repeat("repeat", cl::desc("Time N runs, print median"),
                                cl::init(0), cl::cat(cat));
static cl::list<std::string> dims("dim", cl::desc("NAME=LO..HI bound"),
                                  cl::cat(cat));
static cl::opt<unsigned> optLevel("O", cl::Prefix, cl::init(3), cl::cat(cat));
static cl::opt<std::string> target("target",
                                   cl::desc("Compile for: cpu (default) | cuda"),
                                   cl::init("cpu"), cl::cat(cat));
static cl::opt<std::string> cudaArch("cuda-arch",
                                     cl::desc("GPU architecture for "
                                              "--target=cuda (default sm_90)"),
                                     cl::init("sm_90"), cl::cat(cat));
static cl::opt<std::string>
    cpu("cpu",
        cl::desc("Target CPU when compiling a model: host | x86-64-v2 | "
                 "x86-64-v3 | x86-64-v4 | an LLVM CPU name"),
        cl::init("host"), cl::cat(cat));
static cl::opt<std::string>
    cpuFeatures("cpu-features",
                cl::desc("Extra target features (+avx2,-avx512f,...)"),
                cl::cat(cat));
static cl::opt<bool> debugInfo(
    "g", cl::desc("Compile with line tables (line = ONNX node index)"),
    cl::cat(cat));
static cl::opt<bool> verifyEach(
    "verify-each", cl::Hidden,
    cl::desc("Verify the IR after every pass (the conformance run does)"),
    cl::cat(cat));
static cl::opt<std::string> emulateCudaKernels(
    "emulate-cuda-kernels", cl::Hidden, cl::ValueOptional,
    cl::desc("With --target=cpu: the CUDA target's codegen (its tiled "
             "kernels: =fp32, the default, =tf32, =fp16 or =bf16, tensor "
             "cores; the generic kernels, one-thread launches and values "
             "read back by the host), the kernels run as sequential CPU "
             "loops (checks them without a GPU)"),
    cl::cat(cat));
static cl::opt<std::string> gpuPrecision(
    "gpu-precision",
    cl::desc("--target=cuda: fp32 (default), tf32, fp16 or bf16 (tensor "
             "cores)"),
    cl::init("fp32"), cl::cat(cat));
static cl::opt<int64_t> maxLoopIterations(
    "max-loop-iterations",
    cl::desc("Bound on a Loop's iterations where the model gives none "
             "(see mnemoc)"),
    cl::init(0), cl::cat(cat));
static cl::opt<std::string> keep("keep", cl::desc("Compile into this directory"),
                                 cl::cat(cat));

static cl::opt<std::string> saveOutputs(
    "save-outputs", cl::desc("Write each output as DIR/output_N.npy"),
    cl::cat(cat));

static cl::opt<bool> specializeShapeInputs(
    "specialize-shape-inputs",
    cl::desc("Compile inputs that decide shapes (Reshape's shape, "
             "Resize's scales, Slice's starts, reduction axes, a Range's "
             "limit, directly or through scalar arithmetic) as constants "
             "with the values given in --inputs, so their data-dependent "
             "output shapes become static. The artifact is then specific "
             "to those values."),
    cl::cat(cat));


static cl::opt<unsigned> decodeSteps(
    "decode-steps",
    cl::desc("Run N greedy decode steps from the inputs (token ids, mask, "
             "past K/V): each step's last-position argmax is the next token; "
             "past K/V are fed back from the present outputs, or a cache "
             "made by mnemoc --kv-cache is updated in place"),
    cl::init(0), cl::cat(cat));
static cl::opt<std::string> referenceArtifact(
    "reference-artifact",
    cl::desc("With --decode-steps: run this artifact (e.g. the step without "
             "--kv-cache) in lockstep and require every step's logits to "
             "match within --rtol/--atol"),
    cl::cat(cat));

static std::vector<std::string> listTensors(StringRef dir, StringRef prefix) {
  std::map<int, std::string> found;
  std::error_code ec;
  for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef file = sys::path::filename(it->path());
    if (!file.starts_with(prefix))
      continue;
    StringRef rest = file.drop_front(prefix.size());
    auto [num, ext] = rest.split('.');
    int n;
    if (num.getAsInteger(10, n) || (ext != "pb" && ext != "npy"))
      continue;
    found[n] = it->path();
  }
  std::vector<std::string> out;
  for (auto &[n, p] : found)
    out.push_back(p);
  return out;
}

/// True when operand `idx` of `op` is a shape-like operand: it decides
/// shapes, axes or sizes, never element values of a data tensor.
static bool isShapeOperand(mlir::Operation *op, unsigned idx) {
  llvm::StringRef n = op->getName().getStringRef();
  if (n == "graph.reshape" || n == "graph.expand" || n == "graph.tile" ||
      n == "graph.split" || n == "graph.squeeze" || n == "graph.unsqueeze" ||
      n == "graph.cum_sum" || n == "graph.trilu" ||
      n.starts_with("graph.reduce_"))
    return idx == 1;
  if (n == "graph.constant_of_shape" || n == "graph.range" ||
      n == "graph.window")
    return true;
  if (n == "graph.one_hot" || n == "graph.top_k")
    return idx == 1;
  if (n == "graph.resize" || n == "graph.slice")
    return idx >= 1;
  if (n == "graph.pad" || n == "graph.stft")
    return idx == 1 || idx == 3;
  return false;
}

/// True when `arg`'s value decides a shape: it reaches a shape operand
/// directly or through ops on small static values (a Cast, scalar
/// arithmetic), as a window function's size reaches its Range.
static bool decidesShape(mlir::Value arg) {
  llvm::SmallVector<mlir::Value> work = {arg};
  llvm::DenseSet<mlir::Value> seen;
  while (!work.empty()) {
    mlir::Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (mlir::OpOperand &u : v.getUses()) {
      if (isShapeOperand(u.getOwner(), u.getOperandNumber()))
        return true;
      for (mlir::Value r : u.getOwner()->getResults())
        if (auto t = mlir::dyn_cast<mlir::RankedTensorType>(r.getType());
            t && t.hasStaticShape() && t.getNumElements() <= 64)
          work.push_back(r);
    }
  }
  return false;
}

/// Replaces the uses of inputs that decide shapes with constants holding
/// `values`. Returns the names of the inputs it specialized.
static std::vector<std::string>
specializeInputs(mlir::func::FuncOp fn, const std::vector<HostTensor> &values) {
  std::vector<std::string> done;
  for (unsigned a = 0; a < fn.getNumArguments() && a < values.size(); ++a) {
    mlir::BlockArgument arg = fn.getArgument(a);
    auto t = mlir::dyn_cast<mlir::RankedTensorType>(arg.getType());
    const HostTensor &h = values[a];
    if (!t || arg.use_empty() || h.numElements() > 64 ||
        !(t.getElementType().isInteger(64) || t.getElementType().isInteger(32) ||
          t.getElementType().isF32()))
      continue;
    if (!decidesShape(arg))
      continue;
    auto ct = mlir::RankedTensorType::get(h.shape, t.getElementType());
    mlir::DenseElementsAttr value;
    if (t.getElementType().isF32()) {
      std::vector<float> v(h.numElements());
      memcpy(v.data(), h.data.data(), v.size() * 4);
      value = mlir::DenseElementsAttr::get(ct, llvm::ArrayRef<float>(v));
    } else if (t.getElementType().isInteger(64)) {
      std::vector<int64_t> v(h.numElements());
      memcpy(v.data(), h.data.data(), v.size() * 8);
      value = mlir::DenseElementsAttr::get(ct, llvm::ArrayRef<int64_t>(v));
    } else {
      std::vector<int32_t> v(h.numElements());
      memcpy(v.data(), h.data.data(), v.size() * 4);
      value = mlir::DenseElementsAttr::get(ct, llvm::ArrayRef<int32_t>(v));
    }
    mlir::OpBuilder b = mlir::OpBuilder::atBlockBegin(&fn.front());
    mlir::OperationState st(arg.getLoc(), "graph.constant");
    st.addAttribute("value", value);
    st.addTypes(ct);
    mlir::Operation *c = b.create(st);
    arg.replaceAllUsesWith(c->getResult(0));
    auto name = fn.getArgAttrOfType<mlir::StringAttr>(a, "graph.name");
    done.push_back(name ? name.str() : "input" + std::to_string(a));
  }
  return done;
}

/// Appends the tensors of the test data file `path` to `out`: a tensor,
/// or a sequence's or optional's tensors. `kind` says which ("tensor",
/// "sequence", "optional": the importer's kOutputStructureAttr) where
/// known; else `next`, the artifact's name for the next tensor, tells: a
/// name ending in [0] starts a sequence (or an optional holding one), and
/// a file that is no tensor may still be an optional holding one.
static bool readDataFile(StringRef path, StringRef kind, StringRef next,
                         std::vector<HostTensor> &out) {
  std::string err;
  auto structured = [&](bool optional) {
    HostStructured h;
    if (!readStructuredFile(path, optional, h, err))
      return false;
    for (HostTensor &t : h.tensors)
      out.push_back(std::move(t));
    return true;
  };
  bool ok;
  if (kind == "sequence" || kind == "optional")
    ok = structured(kind == "optional");
  else if (kind.empty() && next.ends_with("[0]"))
    ok = structured(false) || structured(true);
  else {
    HostTensor t;
    ok = readTensorFile(path, t, err);
    if (ok)
      out.push_back(std::move(t));
    else if (kind.empty() && !path.ends_with(".npy"))
      ok = structured(true);
  }
  if (!ok)
    errs() << "mnemo-run: " << path << ": " << err << "\n";
  return ok;
}

static double elementAsDouble(const uint8_t *p, StringRef dtype) {
  if (dtype == "float32") { float v; memcpy(&v, p, 4); return v; }
  if (dtype == "float64") { double v; memcpy(&v, p, 8); return v; }
  if (dtype == "int64") { int64_t v; memcpy(&v, p, 8); return (double)v; }
  if (dtype == "int32") { int32_t v; memcpy(&v, p, 4); return v; }
  if (dtype == "int16") { int16_t v; memcpy(&v, p, 2); return v; }
  if (dtype == "int8") { return (int8_t)*p; }
  if (dtype == "uint8" || dtype == "bool") return *p;
  if (dtype == "uint16") { uint16_t v; memcpy(&v, p, 2); return v; }
  if (dtype == "bfloat16") {
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, 4);
    return v;
  }
  if (dtype == "float16") {
    uint16_t h;
    memcpy(&h, p, 2);
    return llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, h))
        .convertToFloat();
  }
  if (dtype == "uint32") { uint32_t v; memcpy(&v, p, 4); return v; }
  if (dtype == "uint64") { uint64_t v; memcpy(&v, p, 8); return (double)v; }
  return NAN;
}

/// MPI state of a vocab-parallel run (OUT/rank<r> artifacts).
static bool mpiStarted = false;
static bool mpiFollower = false; // a rank other than 0: prints nothing
static int mpiSize = 0;

/// Picks this process's rank directory of a vocab-parallel build, starting
/// MPI. Other ranks compute the same outputs; only rank 0 prints them.
/// (The build's rank count is checked once the artifact is loaded.)
static bool selectRank(std::string &dir) {
  SmallString<256> rank0(dir);
  sys::path::append(rank0, "rank0");
  if (!sys::fs::is_directory(rank0))
    return true;
#ifdef MNEMO_HAVE_MPI
  MPI_Init(nullptr, nullptr);
  mpiStarted = true;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &mpiSize);
  SmallString<256> mine(dir);
  sys::path::append(mine, "rank" + std::to_string(rank));
  if (!sys::fs::is_directory(mine)) {
    errs() << "mnemo-run: " << dir << " has no " << sys::path::filename(mine)
           << ": its vocab-parallel build has fewer ranks than this run's "
           << mpiSize << " (start it with mpirun -np N)\n";
    return false;
  }
  dir = std::string(mine);
  mpiFollower = rank != 0;
  if (mpiFollower && !freopen("/dev/null", "w", stdout))
    return false;
  return true;
#else
  errs() << "mnemo-run: " << dir
         << " is a vocab-parallel build (rank0/...), but this mnemo-run was "
            "built without MPI\n";
  return false;
#endif
}

static int runMain(int argc, char **argv);

/// The device's share of the run just made (a PIM artifact): modelled
/// time and energy of its programs on the simulator. False after a device
/// error (the outputs hold NaN).
static bool printPIMTotals() {
  std::string err = mnemo::pim::pimRuntimeError();
  if (!err.empty()) {
    errs() << "mnemo-run: PIM device: " << err << "\n";
    return false;
  }
  mnemo::pim::RuntimeTotals t = mnemo::pim::pimRuntimeTotals();
  double pj = t.totalPJ();
  outs() << format("pim device: %lld GEMV calls, %lld program runs, %lld cycles "
                   "(%.3f us modelled), %.2f useful GFLOP/s, energy %.3f uJ (activation "
                   "%.3f, column %.3f, MAC %.3f, data movement %.3f)\n",
                   (long long)t.calls, (long long)t.programRuns, (long long)t.cycles,
                   t.seconds * 1e6, t.seconds > 0 ? t.flops / t.seconds * 1e-9 : 0.0,
                   pj * 1e-6, t.actPJ * 1e-6, t.columnPJ * 1e-6, t.macPJ * 1e-6,
                   t.movePJ * 1e-6);
  outs() << format("pim device: %.3f s of wall time inside the device calls "
                   "(the simulator)\n",
                   t.callWallSeconds);
  if (t.kvCalls)
    outs() << format("pim device: attention against the KV caches in the banks: "
                     "%lld calls, %lld tokens written, %lld of the cycles "
                     "(%.3f us); the prompt's %lld tokens uploaded in %lld "
                     "cycles, %.3f uJ\n",
                     (long long)t.kvCalls, (long long)t.kvTokensWritten,
                     (long long)t.kvCycles,
                     t.kvCycles * (t.cycles ? t.seconds / t.cycles : 0.0) * 1e6,
                     (long long)t.kvUploadTokens, (long long)t.kvUploadCycles,
                     t.kvUploadPJ * 1e-6);
  return true;
}

int main(int argc, char **argv) {
  int rc = runMain(argc, argv);
#ifdef MNEMO_HAVE_MPI
  if (mpiStarted) {
    outs().flush();
    // A rank that fails must not leave the others waiting in a collective.
    if (rc != 0)
      MPI_Abort(MPI_COMM_WORLD, rc);
    MPI_Finalize();
  }
#endif
  return rc;
}

static int runMain(int argc, char **argv) {
  InitLLVM y(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "run a mnemo-compiled model\n");

  // Inputs are read after the model imports (the importer asks for the
  // sequence and optional ones as it meets them: their structure is fixed
  // at compile time), before it compiles (their shapes bound the symbolic
  // dims). A sequence's or optional's tensors are inputs of their own.
  std::vector<std::string> inputFiles = listTensors(inputsDir, "input_");
  std::map<unsigned, HostStructured> structuredInputs;
  std::vector<HostTensor> inputs;
  // `sig`: a prebuilt artifact's signature, which tells a sequence's
  // file by the name of its first tensor.
  auto readInputs = [&](const ArtifactSignature *sig) {
    for (auto [k, p] : llvm::enumerate(inputFiles)) {
      if (auto it = structuredInputs.find(k); it != structuredInputs.end()) {
        for (HostTensor &t : it->second.tensors)
          inputs.push_back(std::move(t));
        continue;
      }
      StringRef next = sig && inputs.size() < sig->inputs.size()
                           ? StringRef(sig->inputs[inputs.size()].name)
                           : StringRef();
      if (!readDataFile(p, "", next, inputs))
        return false;
    }
    return true;
  };
  // How the artifact's outputs group into the model's (sequences and
  // optionals flattened), from the importer's kOutputStructureAttr.
  std::vector<std::string> outputKinds;
  std::string dir = artifact;
  // A model compiled for this run (no --keep) goes to a temporary folder
  // that leaves with the process, whichever way main returns: the
  // conformance sweeps run mnemo-run thousands of times.
  std::string tempDir;
  auto removeTempDir = llvm::make_scope_exit([&] {
    if (!tempDir.empty())
      (void)sys::fs::remove_directories(tempDir);
  });
  ArtifactSignature sig;
  if (artifact.empty()) {
    if (model.empty()) {
      errs() << "mnemo-run: give a model or --artifact\n";
      return 2;
    }
    mlir::DialectRegistry registry;
    registerCompilerDialects(registry);
    mlir::MLIRContext ctx(registry);
    ctx.loadAllAvailableDialects();
    installCompilerDiagnostics(ctx);
    ImportOptions iopts;
    iopts.maxLoopIterations = maxLoopIterations;
    iopts.inputStructure = [&](unsigned index, StringRef name,
                               StructuredInputKind kind)
        -> std::optional<InputStructure> {
      if (index >= inputFiles.size())
        return std::nullopt;
      HostStructured h;
      std::string err;
      if (!readStructuredFile(inputFiles[index],
                              kind != StructuredInputKind::Sequence, h, err)) {
        errs() << "mnemo-run: " << inputFiles[index] << ": " << err << "\n";
        return std::nullopt;
      }
      InputStructure s{h.present, (int64_t)h.tensors.size(), {}};
      for (const HostTensor &t : h.tensors)
        s.ranks.push_back(t.shape.size());
      structuredInputs[index] = std::move(h);
      return s;
    };
    auto module = importOnnxFile(model, &ctx, iopts);
    if (!module || !readInputs(nullptr))
      return 2;
    if (auto st = (*module)->getAttrOfType<mlir::ArrayAttr>(kOutputStructureAttr))
      for (auto entry : st.getAsRange<mlir::DictionaryAttr>())
        outputKinds.push_back(entry.getAs<mlir::StringAttr>("kind").str());
    if (specializeShapeInputs) {
      auto fn0 = module->lookupSymbol<mlir::func::FuncOp>("main_graph");
      for (const std::string &n : specializeInputs(fn0, inputs))
        errs() << "mnemo-run: input '" << n
               << "' decides shapes: compiled as a constant\n";
    }
    CompileOptions opts;
    opts.name = sanitizeName(sys::path::stem(model));
    opts.optLevel = optLevel;
    opts.target = target;
    opts.cudaArch = cudaArch;
    opts.cpu = cpu;
    opts.cpuFeatures = cpuFeatures;
    opts.debugInfo = debugInfo;
    opts.verifyEach = verifyEach;
    if (emulateCudaKernels.getNumOccurrences())
      opts.emulateCudaKernels =
          emulateCudaKernels.empty() ? std::string("fp32")
                                     : std::string(emulateCudaKernels);
    opts.gpuPrecision = gpuPrecision;
    opts.dims.assign(dims.begin(), dims.end());
    // Without --dim, each symbolic dim is bounded by the value it has here.
    auto fn = module->lookupSymbol<mlir::func::FuncOp>("main_graph");
    for (unsigned a = 0; fn && a < fn.getNumArguments() && a < inputs.size(); ++a) {
      auto t = mlir::cast<mlir::ShapedType>(fn.getArgumentTypes()[a]);
      for (int64_t d = 0; d < t.getRank() && d < (int64_t)inputs[a].shape.size(); ++d) {
        if (!t.isDynamicDim(d))
          continue;
        std::string name = mnemo::graph::symbolicDimName(
            fn.getArgAttrDict(a), "input" + std::to_string(a), d);
        bool given = llvm::any_of(opts.dims, [&](const std::string &s) {
          return StringRef(s).starts_with(name + "=");
        });
        if (!given)
          opts.dims.push_back(name + "=" + std::to_string(inputs[a].shape[d]) +
                              ".." + std::to_string(inputs[a].shape[d]));
      }
    }
    if (keep.empty()) {
      SmallString<128> tmp;
      if (sys::fs::createUniqueDirectory("mnemo-run", tmp)) {
        errs() << "mnemo-run: cannot create a temporary directory\n";
        return 2;
      }
      dir = tempDir = tmp.str().str();
    } else {
      dir = keep;
    }
    opts.outDir = dir;
    auto s = compile(*module, opts);
    if (failed(s))
      return 2;
    sig = *s;
  }

  // The artifact's signature is the .json in `dir` that reads as one
  // (memory reports may sit in the same folder), beside lib<name>.so.
  if (!artifact.empty() && !selectRank(dir))
    return 2;
  LoadedArtifact loaded;
  std::string why;
  if (!loadArtifact(dir, loaded, why)) {
    errs() << "mnemo-run: " << why << "\n";
    return loaded.noDevice ? kExitNoDevice : 2;
  }
  if (mpiStarted && loaded.sig.vocabRanks != mpiSize) {
    errs() << "mnemo-run: " << artifact << " holds a vocab-parallel build for "
           << loaded.sig.vocabRanks << " ranks; this run has " << mpiSize
           << " (start it with mpirun -np N)\n";
    return 2;
  }
  if (!artifact.empty()) {
    sig = loaded.sig;
    if (!readInputs(&sig))
      return 2;
  }
  RunDimsFn runDims = loaded.run;
  if (decodeSteps > 0) {
    LoadedArtifact ref;
    if (!referenceArtifact.empty() && !loadArtifact(referenceArtifact, ref, why)) {
      errs() << "mnemo-run: " << why << "\n";
      return 2;
    }
    DecodeOptions dopts;
    dopts.steps = decodeSteps;
    dopts.rtol = relTol;
    dopts.atol = absTol;
    bool pim = loaded.sig.target.kind == "pim";
    if (pim)
      mnemo::pim::resetPIMRuntimeTotals();
    bool haveRef = !referenceArtifact.empty();
    DecodeResult r = runDecode(loaded, haveRef ? &ref : nullptr,
                               std::move(inputs), dopts);
    outs() << formatDecode(r, haveRef);
    outs().flush(); // the steps so far, before the reason it stopped
    if (!r.error.empty())
      errs() << "mnemo-run: " << r.error << "\n";
    int rc = r.exitCode;
    // The device's share over all the steps.
    if (pim && !printPIMTotals())
      return 1;
    return rc;
  }

  if (inputs.size() != sig.inputs.size()) {
    errs() << "mnemo-run: the model has " << sig.inputs.size()
           << " inputs, found " << inputs.size() << " in " << inputsDir << "\n";
    return 2;
  }
  std::map<std::string, int64_t> dimValue;
  for (auto [i, t] : llvm::enumerate(sig.inputs)) {
    HostTensor &h = inputs[i];
    if (h.dtype == "uint16" && (t.dtype == "bfloat16" || t.dtype == "float16"))
      h.dtype = t.dtype; // 16-bit floats travel as uint16 in TensorProtos
    if (h.dtype != t.dtype || h.shape.size() != t.shape.size()) {
      errs() << "mnemo-run: input " << i << " '" << t.name << "' expects "
             << t.dtype << " of rank " << t.shape.size() << ", got " << h.dtype
             << " of rank " << h.shape.size() << "\n";
      return 2;
    }
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d] >= 0 && t.shape[d] != h.shape[d]) {
        errs() << "mnemo-run: input '" << t.name << "' dim " << d << " is "
               << h.shape[d] << ", expected " << t.shape[d] << "\n";
        return 2;
      }
      if (t.shape[d] < 0)
        dimValue[t.dimNames[d]] = h.shape[d];
    }
  }
  std::vector<int64_t> dimArgs;
  for (const DimBound &d : sig.dims)
    dimArgs.push_back(dimValue.count(d.name) ? dimValue[d.name] : d.hi);

  std::vector<HostTensor> expected;
  for (auto [j, p] : llvm::enumerate(listTensors(inputsDir, "output_"))) {
    StringRef next = expected.size() < sig.outputs.size()
                         ? StringRef(sig.outputs[expected.size()].name)
                         : StringRef();
    if (!readDataFile(p, j < outputKinds.size() ? outputKinds[j] : "", next,
                      expected))
      return 2;
  }
  // A sequence or optional of another length than compiled would shift
  // every later reference onto the wrong output.
  if (!outputKinds.empty() && !expected.empty() &&
      expected.size() != sig.outputs.size()) {
    errs() << "mnemo-run: the references hold " << expected.size()
           << " tensors, the artifact has " << sig.outputs.size()
           << " outputs\n";
    return 1;
  }

  // Output buffers: the signature shape with known dims, else the expected
  // output's size, else the dim bounds' worst case.
  std::vector<std::vector<uint8_t>> outBufs(sig.outputs.size());
  std::vector<void *> outPtrs;
  size_t shapeSlots = 0;
  for (auto [j, t] : llvm::enumerate(sig.outputs)) {
    int64_t n = 1;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      int64_t v = t.shape[d];
      if (v < 0) {
        auto it = dimValue.find(t.dimNames[d]);
        if (it != dimValue.end())
          v = it->second;
        else if (j < expected.size() && d < expected[j].shape.size())
          v = expected[j].shape[d];
        else
          v = 1 << 20;
      }
      n *= v;
    }
    // The artifact's bound is authoritative: the run never writes more.
    int64_t bytes = std::max<int64_t>(1, n) * std::max<size_t>(1, dtypeBytes(t.dtype));
    bytes = std::max<int64_t>(bytes, t.maxBytes);
    outBufs[j].resize(bytes + 64);
    outPtrs.push_back(outBufs[j].data());
    shapeSlots += t.shape.size();
  }
  std::vector<const void *> inPtrs;
  for (auto &h : inputs)
    inPtrs.push_back(h.data.data());
  std::vector<int64_t> outShapes(shapeSlots + 1);
  size_t wsBytes = (sig.workspaceBytes + 63) / 64 * 64;
  void *ws = std::aligned_alloc(64, std::max<size_t>(wsBytes, 64));

  bool pim = sig.target.kind == "pim";
  if (pim)
    mnemo::pim::resetPIMRuntimeTotals();
  int rc = runDims(dimArgs.data(), inPtrs.data(), outPtrs.data(),
                   outShapes.data(), ws);
  if (rc != 0) {
    errs() << "mnemo-run: " << sig.name << "_run_dims returned " << rc
           << " (" << describeRunError(rc) << ")\n";
    return 1;
  }
  if (pim && !printPIMTotals())
    return 1;
  if (repeat > 0) {
    std::vector<double> ms;
    for (unsigned r = 0; r < repeat; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      int timedRc = runDims(dimArgs.data(), inPtrs.data(), outPtrs.data(),
                            outShapes.data(), ws);
      auto t1 = std::chrono::steady_clock::now();
      if (timedRc != 0) {
        errs() << "mnemo-run: timed run " << r << ": " << sig.name
               << "_run_dims returned " << timedRc << " ("
               << describeRunError(timedRc) << ")\n";
        return 1;
      }
      // A CUDA run: its device time between events (no host copies).
      ms.push_back(loaded.cuda ? *loaded.deviceMs
                               : std::chrono::duration<double, std::milli>(t1 - t0)
                                     .count());
    }
    std::sort(ms.begin(), ms.end());
    outs() << format("median latency: %.3f ms over %u runs%s\n", ms[ms.size() / 2],
                     (unsigned)repeat, loaded.cuda ? " (CUDA events)" : "");
    // The process's high-water mark: code, weights paged in, buffers.
    if (std::optional<double> mib = mnemo::peakResidentMiB())
      outs() << format("max RSS: %.1f MiB\n", *mib);
  }

  bool ok = true;
  size_t slot = 0;
  for (auto [j, t] : llvm::enumerate(sig.outputs)) {
    std::vector<int64_t> shape(outShapes.begin() + slot,
                               outShapes.begin() + slot + t.shape.size());
    slot += t.shape.size();
    outs() << "output " << j << " '" << t.name << "' " << t.dtype << " [";
    for (size_t d = 0; d < shape.size(); ++d)
      outs() << (d ? "," : "") << shape[d];
    outs() << "]";
    if (!saveOutputs.empty() && !mpiFollower) {
      // A minimal .npy (version 1) so numpy can read what mnemo computed.
      static const std::map<std::string, std::string> descr = {
          {"float32", "<f4"}, {"float64", "<f8"}, {"int64", "<i8"},
          {"int32", "<i4"}, {"bool", "|b1"}, {"uint8", "|u1"},
          {"int8", "|i1"}, {"float16", "<f2"}};
      std::string hdr = "{'descr': '" +
                        (descr.count(t.dtype) ? descr.at(t.dtype) : "|u1") +
                        "', 'fortran_order': False, 'shape': (";
      int64_t n = 1;
      for (int64_t d : shape) {
        hdr += std::to_string(d) + ",";
        n *= d;
      }
      hdr += "), }";
      while ((hdr.size() + 11) % 64)
        hdr += ' ';
      hdr += '\n';
      sys::fs::create_directories(saveOutputs);
      std::error_code ec;
      raw_fd_ostream f(saveOutputs + "/output_" + std::to_string(j) + ".npy", ec);
      f << "\x93NUMPY" << (char)1 << (char)0 << (char)(hdr.size() & 255)
        << (char)(hdr.size() >> 8) << hdr;
      f.write((const char *)outBufs[j].data(), n * dtypeBytes(t.dtype));
    }
    if (j >= expected.size()) {
      outs() << " (no reference)\n";
      continue;
    }
    HostTensor &e = expected[j];
    if (e.dtype == "uint16" && (t.dtype == "bfloat16" || t.dtype == "float16"))
      e.dtype = t.dtype;
    if (e.shape != shape) {
      outs() << " FAIL: reference shape [";
      for (size_t d = 0; d < e.shape.size(); ++d)
        outs() << (d ? "," : "") << e.shape[d];
      outs() << "]\n";
      ok = false;
      continue;
    }
    size_t eb = dtypeBytes(t.dtype);
    bool isFloat = StringRef(t.dtype).starts_with("float") ||
                   t.dtype == "bfloat16";
    // 16-bit outputs are compared at their own precision (half an ulp of
    // rounding mode differences on top of the fp32 tolerance).
    double rtolHere = relTol;
    if (t.dtype == "bfloat16")
      rtolHere = std::max(rtolHere, 1.0 / 128);
    else if (t.dtype == "float16")
      rtolHere = std::max(rtolHere, 1.0 / 1024);
    double maxAbs = 0, maxRel = 0;
    // Every element is compared, past the first out of tolerance: the
    // printed errors are the maxima.
    bool sameType = e.dtype == t.dtype, good = sameType;
    for (int64_t i = 0; sameType && i < e.numElements(); ++i) {
      double g = elementAsDouble(outBufs[j].data() + i * eb, t.dtype);
      double w = elementAsDouble(e.data.data() + i * eb, t.dtype);
      if (std::isnan(w) || std::isnan(g)) {
        if (std::isnan(w) != std::isnan(g))
          good = false;
        continue;
      }
      if (std::isinf(w) || std::isinf(g)) {
        if (g != w)
          good = false;
        continue;
      }
      double a = std::fabs(g - w);
      maxAbs = std::max(maxAbs, a);
      if (w != 0)
        maxRel = std::max(maxRel, a / std::fabs(w));
      if (isFloat ? a > absTol + rtolHere * std::fabs(w) : a != 0)
        good = false;
    }
    outs() << format(" max_abs_err %.3g max_rel_err %.3g", maxAbs, maxRel)
           << (good ? " ok\n" : " FAIL\n");
    ok &= good;
  }
  std::free(ws);
  return ok ? 0 : 1;
}
