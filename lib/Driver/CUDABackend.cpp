//===- CUDABackend.cpp - the CUDA target's pipeline and artifact ----------===//
//
// Kernels are compiled into a gpu.binary inside the host object (a fatbin
// of cubin + PTX when the toolkit's ptxas and fatbinary are there, else PTX
// that the driver JIT-compiles); the host code is plain x86-64 calling
// libmnemo_cuda_runtime, which the shared library links with an rpath.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include "mnemo/Pipelines/Pipelines.h"
#include "mnemo/Target/CPU/CPUTarget.h"
#include "mnemo/Target/CUDA/Kernels.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mnemo;

namespace {

/// Whether `toolkit` has `tool` (ptxas, fatbinary).
bool hasTool(StringRef toolkit, StringRef tool) {
  SmallString<128> p(toolkit);
  llvm::sys::path::append(p, "bin", tool);
  return !toolkit.empty() && llvm::sys::fs::can_execute(p);
}

/// Where the host code reads a value back from the device (calls to
/// mnemo_cuda_read: an output sized by the data, a condition, a count).
int64_t readBackSites(ModuleOp module) {
  int64_t n = 0;
  module.walk([&](LLVM::CallOp call) {
    if (call.getCallee() == StringRef("mnemo_cuda_read"))
      ++n;
  });
  return n;
}

std::string entryPointsText(const ArtifactSignature &sig, int64_t reads) {
  std::string s;
  llvm::raw_string_ostream os(s);
  std::string upper = StringRef(sig.name).upper();
  os << "/* Built for CUDA " << sig.target.arch << " ("
     << (sig.target.image == "fatbin" ? "cubin + PTX" : "PTX, compiled by the driver")
     << "). Every pointer below is device memory. The entry points return 5\n"
        "   without a CUDA driver or device (mnemo_cuda_last_error() in\n"
        "   libmnemo_cuda_runtime says why) and 6 if a driver call failed. */\n"
     << "#define " << upper << "_CUDA_ARCH \"" << sig.target.arch << "\"\n\n"
     << "/* Device bytes of the workspace. */\n"
     << "size_t " << sig.name << "_workspace_bytes(void);\n\n"
     << "/* Runs on the runtime's own stream and returns when done. 0 on "
        "success;\n   2 if the model has symbolic dims (use _run_dims). */\n"
     << "int " << sig.name
     << "_run(const void *const *inputs, void *const *outputs, void "
        "*workspace);\n\n"
     << "/* Queues the run on `stream` (a CUstream) and returns: the caller\n"
        "   synchronizes. */\n";
  if (reads > 0)
    os << "/* The host code reads values back from the device during a run "
          "(an output\n   sized by the data, a branch's condition, a loop's "
          "count; " << reads << " place"
       << (reads == 1 ? "" : "s") << "\n   in the code): at each, "
          "`stream` is synchronized, so _run_stream returns only\n   once "
          "the work queued before the last read is done. */\n";
  os
     << "int " << sig.name
     << "_run_stream(const void *const *inputs, void *const *outputs,\n"
        "    void *workspace, void *stream);\n\n"
     << "/* dims: one host value per symbolic dim; output_shapes (host "
        "memory, may be\n   NULL) receives every output's dims in order. "
        "Returns 3 if a dim is outside\n   its bound. */\n"
     << "int " << sig.name
     << "_run_dims(const int64_t *dims, const void *const *inputs,\n"
     << "    void *const *outputs, int64_t *output_shapes, void *workspace);\n"
     << "int " << sig.name
     << "_run_dims_stream(const int64_t *dims, const void *const *inputs,\n"
     << "    void *const *outputs, int64_t *output_shapes, void *workspace,\n"
        "    void *stream);\n\n";
  return s;
}

class CUDABackend : public driver::TargetBackend {
public:
  explicit CUDABackend(const CompileOptions &options) : options(options) {}

  LogicalResult describe(TargetSignature &sig, Location loc) override {
    if (!isCUDAArch(options.cudaArch))
      return emitError(loc) << "unknown --cuda-arch=" << options.cudaArch
                            << " (sm_80, sm_86, sm_89, sm_90 or sm_90a)";
    if (options.gpuPrecision != "fp32" && options.gpuPrecision != "tf32" &&
        options.gpuPrecision != "fp16" && options.gpuPrecision != "bf16")
      return emitError(loc) << "unknown --gpu-precision=" << options.gpuPrecision
                            << " (fp32, tf32, fp16 or bf16)";
    if (options.smemBudget > maxSharedMemory(options.cudaArch))
      return emitError(loc)
             << "--smem-budget=" << options.smemBudget << " is over "
             << options.cudaArch << "'s " << maxSharedMemory(options.cudaArch)
             << " bytes of shared memory per block";
    // The SRAM-budget rewrites target a CPU's on-chip memory; the GPU's is
    // per block (shared memory), planned by the CUDA target itself.
    if (options.sramBudget > 0 || options.lowMemory || options.patchSchedule ||
        options.featureSlice || options.tileForBudget || options.tileBudget ||
        options.vocabRank >= 0)
      return emitError(loc)
             << "--sram-budget, --low-memory, --patch-schedule, "
                "--feature-slice, --tile-for-budget and --vocab-ranks are CPU "
                "options; --target=cuda does not take them";
    // The host side is plain x86-64: it only computes addresses and calls
    // the runtime.
    llvm::Expected<CPUTarget> resolved = resolveCPUTarget("x86-64", "");
    if (!resolved)
      return emitError(loc) << llvm::toString(resolved.takeError());
    host = *resolved;
    toolkit = defaultCUDAToolkit().str();
    ptxas = hasTool(toolkit, "ptxas");
    fatbin = ptxas && hasTool(toolkit, "fatbinary");
    sig.kind = "cuda";
    sig.arch = options.cudaArch;
    sig.image = fatbin ? "fatbin" : "ptx";
    sig.cpu = "x86-64";
    sig.llvmCpu = host->cpu;
    sig.vectorBits = 0;
    return success();
  }

  void buildPipeline(OpPassManager &pm) override {
    CUDAPipelineOptions popts;
    popts.name = options.name;
    popts.dims = options.dims;
    popts.arch = options.cudaArch;
    popts.smemBudget = options.smemBudget;
    popts.precision = options.gpuPrecision;
    // PTX, which writeArtifact assembles with ptxas (its resource report
    // goes into <name>.kernels.json) and packs with fatbinary when it can.
    popts.format = "isa";
    popts.toolkit = toolkit;
    popts.planner = options.planner;
    popts.ilpTimeLimit = options.ilpTimeLimit;
    popts.operatorOrder = options.operatorOrder;
    popts.reports = options.reports;
    buildCUDAPipeline(pm, popts);
  }

  LogicalResult writeArtifact(ModuleOp module, const ArtifactSignature &sig,
                              StringRef base) override {
    Location loc = module.getLoc();
    std::string b = base.str();
    if (ptxas) {
      FailureOr<std::vector<cuda::KernelInfo>> kernels = cuda::assembleKernels(
          module, toolkit, options.cudaArch, fatbin);
      if (failed(kernels) ||
          failed(driver::writeFile(b + ".kernels.json",
                                   cuda::kernelsJson(*kernels, options.cudaArch),
                                   loc)) ||
          failed(addKernelsToReports(*kernels, loc)))
        return failure();
    }
    if (failed(driver::writeHostArtifact(module, sig, base, *host, "", options,
                                         "Device buffers",
                                         entryPointsText(
                                             sig, readBackSites(module)))))
      return failure();
    if (options.emit != "so")
      return success();
    SmallString<256> so(options.outDir);
    llvm::sys::path::append(so, "lib" + options.name + ".so");
    std::string lib = runtimeLibDir();
    TimingScope linkTiming = beginStage(options, "link");
    return driver::linkShared(
        b + ".o", so, {"-L" + lib, "-lmnemo_cuda_runtime", "-Wl,-rpath," + lib},
        /*mpi=*/false, loc);
  }

  /// Where libmnemo_cuda_runtime.so is: next to an installed mnemoc
  /// (PREFIX/bin/../lib), else the build tree's lib/.
  static std::string runtimeLibDir() {
    std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
    SmallString<256> lib(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
    llvm::sys::path::append(lib, "lib");
    SmallString<256> so(lib);
    llvm::sys::path::append(so, "libmnemo_cuda_runtime.so");
    return llvm::sys::fs::exists(so) ? lib.str().str() : std::string(MNEMO_RUNTIME_LIBDIR);
  }

private:
  /// The --report files were written by the pipeline's ABI pass, before
  /// ptxas ran: their "cuda" entry (JSON) or section (HTML) is added now.
  LogicalResult addKernelsToReports(ArrayRef<cuda::KernelInfo> kernels,
                                    Location loc) {
    return driver::addToReports(options.reports, "cuda",
                                cuda::kernelsValue(kernels, options.cudaArch),
                                cuda::kernelsHtml(kernels, options.cudaArch), loc);
  }

  const CompileOptions &options;
  std::optional<CPUTarget> host;
  std::string toolkit;
  bool ptxas = false, fatbin = false;
};

} // namespace

std::unique_ptr<driver::TargetBackend>
driver::createCUDABackend(const CompileOptions &options) {
  return std::make_unique<CUDABackend>(options);
}
