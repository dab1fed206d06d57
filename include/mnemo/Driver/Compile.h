//===- Compile.h - the ahead-of-time compiler driver ------------*- C++ -*-===//
//
// What mnemoc does, as a library so mnemo-run can compile in-process:
// import -> named pipelines of the chosen target (cpu, cuda) -> LLVM IR ->
// object -> shared library, plus the C header and a JSON description of
// the artifact's signature.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DRIVER_COMPILE_H
#define MNEMO_DRIVER_COMPILE_H

#include "mnemo/Dialect/Graph/IR/GraphShapeFunctions.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/LogicalResult.h"

#include <optional>
#include <string>
#include <vector>

namespace mnemo {

class Progress;

/// One graph input or output as the artifact sees it.
struct TensorSignature {
  std::string name;
  std::string dtype;                 // ONNX-style: float32, int64, bool, ...
  std::vector<int64_t> shape;        // -1 for symbolic dims
  std::vector<std::string> dimNames; // "" for static dims
  int64_t maxBytes = -1;             // outputs: worst case over the dim bounds
  // Decoder roles (mnemo-run --decode-steps drives a step with them):
  // inputs "tokens", "positions", "mask", "past" (with kvPresent: the
  // output that becomes it next step), "cache", "position", "block_table";
  // outputs "logits", "present".
  std::string kvRole;
  std::string kvPresent;
  // Caches (mnemo-kv-cache): layout, the past input they replace, keys or
  // values, which part ("data", "scale", "group") and their geometry.
  std::string kvLayout, kvPast, kvKind, kvPart;
  int64_t kvMaxSeq = 0, kvBlock = 0, kvGroup = 0;
};

struct DimBound {
  std::string name;
  int64_t lo = 0, hi = 0;
};

/// The machine an artifact was built for (its JSON "target").
struct TargetSignature {
  std::string kind = "cpu";          // cpu | cuda
  std::string arch;                  // cuda: sm_90, ...
  std::string image;                 // cuda: fatbin | ptx (JIT by the driver)
  std::string cpu;                   // as requested: host, x86-64-v3, ...
  std::string llvmCpu;               // resolved: znver3, sapphirerapids, ...
  std::vector<std::string> features; // ISA extensions checked at run time
  int64_t vectorBits = 0;
};

struct ArtifactSignature {
  std::string name;
  TargetSignature target;
  std::vector<TensorSignature> inputs, outputs;
  std::vector<DimBound> dims;
  int64_t workspaceBytes = 0;
  int64_t vocabRank = -1, vocabRanks = 0; // a vocab-parallel rank's module
  /// --weights=file: the weights file (next to the JSON) and its size.
  std::string weightsFile;
  int64_t weightsBytes = 0;
};

struct CompileOptions {
  std::string name;              // C symbol prefix; from the file by default
  std::string outDir = ".";
  std::string emit = "so";       // mlir | llvm | obj | so
  std::string target = "cpu";    // cpu | cuda | pim
  std::string cudaArch = "sm_90"; // sm_80 | sm_86 | sm_89 | sm_90 | sm_90a
  int64_t smemBudget = 48 * 1024; // CUDA: bytes a tiled kernel's block stages
  std::string gpuPrecision = "fp32"; // CUDA: fp32 | tf32 (tensor cores)
  unsigned optLevel = 3;
  std::string cpu = "host";      // host | x86-64-v2..v4 | LLVM CPU name
  std::string cpuFeatures;       // +avx2,-avx512f,...
  std::vector<std::string> dims; // name=lo..hi
  int64_t maxTensorBytes = graph::kDefaultMaxTensorBytes; // --max-tensor-bytes
  bool printIRAfterAll = false;
  bool verifyEach = false;          // verify the IR after every pass
  bool debugInfo = false;           // DWARF line tables: line = ONNX node index
  /// --timing: stages and passes are timed under this scope; may be null.
  mlir::TimingScope *timing = nullptr;
  /// Shows the stage of a long compile (mnemoc on a terminal); may be null.
  Progress *progress = nullptr;
  std::string weights = "embed";    // embed | file (OUT/<name>.weights)
  /// Free the context's copy of each weight once it is no longer needed:
  /// written to the file (--weights=file), or translated to LLVM IR (CPU
  /// target, embedded). Only where no other module of the context refers
  /// to the same resource blobs (mnemoc sets it unless --vocab-ranks,
  /// whose rank modules are copies of one import).
  bool releaseWeights = false;
  std::string planner = "ilp";      // first-fit | greedy | ilp
  double ilpTimeLimit = 10.0;       // seconds
  std::string operatorOrder = "memory"; // memory | program
  std::vector<std::string> reports; // memory plan reports (.json, .html)
  int64_t sramBudget = 0;           // bytes on chip; 0: one arena
  bool lowMemory = false;           // memory-first rewrites
  bool blockChannels = true;        // NCHWc depthwise convolution chains
  bool winograd = true;             // 3x3 stride-1 convolutions as F(2x2, 3x3)
  std::string emulateCudaKernels;   // tests: CUDA tiled kernels as CPU
                                    // loops at this precision ("": off)
  bool patchSchedule = false;       // MCUNetV2 patches (implied by budget)
  int64_t patches = 0;              // p (0: choose)
  std::string patchCut;             // ONNX node name (empty: choose)
  double maxRecompute = 0.2;        // extra MACs allowed by patches
  double maxNetworkRecompute = 0;   // ... as a fraction of the network's
  bool featureSlice = false;        // slice op groups (implied by budget)
  int64_t maxSlices = 16;           // most slices per group
  bool tileForBudget = false;       // flash attention, tiles (implied by budget)
  int64_t tileBudget = 0;           // bytes per tile; 0: sramBudget
  std::string kvCache;              // KV-cache layout; empty: as exported
  int64_t maxSeq = 0;               // positions per KV cache
  int64_t kvBlock = 16;             // paged layout block
  int64_t int8Group = 16;           // int8 key scale group
  int64_t vocabParallel = 0;        // vocabulary parts; 0: as exported
  int64_t vocabRank = -1;           // this module's rank; -1: one device
  std::string lmHeadOutput = "logits"; // logits | last-logits | argmax | last-argmax
  std::string pimDevice;            // PIM device settings over the AiM defaults
  std::vector<std::string> pimOps;  // ONNX nodes forced to PIM
  std::vector<std::string> hostOps; // ONNX nodes kept on the host
};

/// Enters a compile stage: names it on the progress line and times it
/// under --timing until the returned scope ends.
mlir::TimingScope beginStage(const CompileOptions &options,
                             llvm::StringRef name);

/// Parses a byte size: a number with an optional B, KB, KiB, MB, MiB, GB,
/// GiB, TB or TiB suffix (KB = 1000, KiB = 1024).
std::optional<int64_t> parseByteSize(llvm::StringRef text);

/// A C identifier from a file name (tiny-cnn.onnx -> tiny_cnn).
std::string sanitizeName(llvm::StringRef stem);

/// Runs the target's pipeline on an imported module and writes the
/// artifacts `emit` asks for into `outDir`. Diagnostics go to the module's
/// context.
llvm::FailureOr<ArtifactSignature> compile(mlir::ModuleOp module,
                                           const CompileOptions &options);

/// Reads the JSON written next to an artifact.
llvm::FailureOr<ArtifactSignature> readSignature(llvm::StringRef jsonPath,
                                                 std::string &error);

/// Whether this CPU has every ISA extension `sig` was built for; if not,
/// `why` says which are missing and what to rebuild with.
bool hostCanRun(const ArtifactSignature &sig, std::string &why);

/// What a nonzero return code of `_run` / `_run_dims` means.
std::string describeRunError(int rc);

/// `diag` and its notes as `file:node:1: error: message` lines (the "see
/// current operation" IR dumps left out unless `verbose`).
std::string formatDiagnostic(mlir::Diagnostic &diag, bool verbose = false);

/// Prints diagnostics as `file:node:1: error: message` on stderr without
/// echoing the model file's bytes as a source line (models are binary
/// protobufs), and drops the pass manager's "see current operation" IR
/// dumps unless `verbose`. Remarks (the passes' reports) are printed as
/// plain lines on stdout.
void installCompilerDiagnostics(mlir::MLIRContext &ctx, bool verbose = false);

/// Registers every dialect (upstream and mnemo's) and translation the
/// driver needs.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Registers every upstream and mnemo pass and named pipeline, so a
/// textual pipeline (mnemo-opt's, runPipeline's) can name them.
void registerCompilerPasses();

/// Parses `mlirText` (a module), runs the textual pass `pipeline` on it
/// (e.g. "builtin.module(mnemo-shape-inference,canonicalize)") and returns
/// the result as text. Failures come back as the context's diagnostics
/// plus a message in `why`.
llvm::FailureOr<std::string> runPipeline(mlir::MLIRContext &ctx,
                                         llvm::StringRef mlirText,
                                         llvm::StringRef pipeline,
                                         std::string &why);

} // namespace mnemo

#endif // MNEMO_DRIVER_COMPILE_H
