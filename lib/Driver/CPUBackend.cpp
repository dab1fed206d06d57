//===- CPUBackend.cpp - the CPU target's pipeline and artifact ------------===//

#include "Backend.h"

#include "mnemo/Pipelines/Pipelines.h"
#include "mnemo/Target/CPU/CPUTarget.h"
#include "mnemo/Target/CPU/DataObject.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace mnemo;

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

/// The header's CPU part: the ISA check and the entry points.
static std::string entryPointsText(const ArtifactSignature &sig) {
  std::string s;
  llvm::raw_string_ostream os(s);
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
     << upper
     << "_CPU_FEATURES; 7 if inputs, outputs, one of\n   their "
        "pointers or the workspace is NULL (buffers with no elements\n   may "
        "be NULL); 8 if the workspace is not 64-byte aligned. Nothing is "
        "read\n   or written on an error (for an output sized at run time, "
        "no output is). */\n"
     << "int " << sig.name
     << "_run(const void *const *inputs, void *const *outputs, void "
        "*workspace);\n\n"
     << "/* dims: one value per symbolic dim; output_shapes (may be NULL) "
        "receives\n   every output's dims in order. Returns 3 if a dim is "
        "outside its bound,\n   4, 7 and 8 as _run (7 also for dims == NULL "
        "with symbolic dims). */\n"
     << "int " << sig.name
     << "_run_dims(const int64_t *dims, const void *const *inputs,\n"
     << "    void *const *outputs, int64_t *output_shapes, void *workspace);\n\n";
  if (sig.weightsBytes > 0)
    os << "/* The weights are in " << sig.weightsFile << " (" << sig.weightsBytes
       << " bytes), not in the object:\n   map it (mmap, read-only) and "
          "pass it here once, before the first run;\n   it must stay mapped "
          "while the model runs. Returns 0, 7 for NULL, 11 if\n   the bytes "
          "are not this artifact's weights file. _run and _run_dims return\n"
          "   10 until it succeeds. */\n"
       << "#define " << upper << "_WEIGHTS_FILE \"" << sig.weightsFile << "\"\n"
       << "#define " << upper << "_WEIGHTS_BYTES " << sig.weightsBytes << "\n"
       << "int " << sig.name
       << "_set_weights(const void *data, size_t bytes);\n\n";
  os << "/* Errors found while the model runs: 9 if a Loop needs more "
        "iterations\n   than its scan outputs were built for. */\n\n";
  return s;
}


namespace {

class CPUBackend : public driver::TargetBackend {
public:
  explicit CPUBackend(const CompileOptions &options) : options(options) {}

  LogicalResult describe(TargetSignature &sig, Location loc) override {
    llvm::Expected<CPUTarget> resolved =
        resolveCPUTarget(options.cpu, options.cpuFeatures);
    if (!resolved)
      return emitError(loc) << llvm::toString(resolved.takeError());
    target = *resolved;
    sig.kind = "cpu";
    sig.cpu = target->requested;
    sig.llvmCpu = target->cpu;
    sig.features = target->isaFeatures;
    sig.vectorBits = target->vectorBits;
    return success();
  }

  void buildPipeline(OpPassManager &pm) override {
    CPUPipelineOptions popts;
    popts.name = options.name;
    popts.dims = options.dims;
    popts.optLevel = options.optLevel;
    popts.cpu = options.cpu;
    popts.cpuFeatures = options.cpuFeatures;
    popts.planner = options.planner;
    popts.ilpTimeLimit = options.ilpTimeLimit;
    popts.operatorOrder = options.operatorOrder;
    popts.reports = options.reports;
    popts.sramBudget = options.sramBudget;
    popts.lowMemory = options.lowMemory;
    popts.blockChannels = options.blockChannels;
    popts.winograd = options.winograd;
    popts.emulateCudaKernels = options.emulateCudaKernels;
    popts.patchSchedule = options.patchSchedule;
    popts.patches = options.patches;
    popts.patchCut = options.patchCut;
    popts.maxRecompute = options.maxRecompute;
    popts.maxNetworkRecompute = options.maxNetworkRecompute;
    popts.featureSlice = options.featureSlice;
    popts.maxSlices = options.maxSlices;
    popts.tileForBudget = options.tileForBudget;
    popts.tileBudget = options.tileBudget;
    if (options.weights == "file") {
      SmallString<256> path(options.outDir);
      llvm::sys::path::append(path, options.name + ".weights");
      popts.weightsFile = path.str().str();
    } else if ((options.emit == "obj" || options.emit == "so") &&
               canWriteDataObject(target->triple) &&
               driver::canMergeObjects()) {
      // The weights leave before the lowering to LLVM (the compile's
      // peak); emitObject merges their object into the artifact's.
      SmallString<256> path(options.outDir);
      llvm::sys::path::append(path, options.name + ".weights.o");
      weightsObject = popts.weightsObject = path.str().str();
    }
    popts.releaseWeights = options.releaseWeights;
    buildCPUPipeline(pm, popts);
  }

  // The weights' object is merged into the artifact's; a compile that
  // fails before that leaves none behind either.
  ~CPUBackend() override {
    if (!weightsObject.empty())
      llvm::sys::fs::remove(weightsObject);
  }

  LogicalResult writeArtifact(ModuleOp module, const ArtifactSignature &sig,
                              StringRef base) override {
    // Asked before the object is written: that frees the functions'
    // bodies when the weights are released (see emitObject).
    bool openMP = usesOpenMP(module), mpi = usesMPI(module);
    if (failed(driver::writeHostArtifact(module, sig, base, *target,
                                         options.name, options, "Buffers",
                                         entryPointsText(sig))))
      return failure();
    if (options.emit != "so")
      return success();
    SmallString<256> so(options.outDir);
    llvm::sys::path::append(so, "lib" + options.name + ".so");
    // Loops on OpenMP threads link LLVM's libomp, found through an rpath.
    std::vector<std::string> libs;
    if (openMP)
      libs = {"-L" MNEMO_LLVM_LIBDIR, "-lomp", "-Wl,-rpath," MNEMO_LLVM_LIBDIR};
    TimingScope linkTiming = beginStage(options, "link");
    return driver::linkShared(base.str() + ".o", so, libs, mpi,
                              module.getLoc());
  }

private:
  const CompileOptions &options;
  std::optional<CPUTarget> target;
  std::string weightsObject;
};

} // namespace

std::unique_ptr<driver::TargetBackend>
driver::createCPUBackend(const CompileOptions &options) {
  return std::make_unique<CPUBackend>(options);
}
