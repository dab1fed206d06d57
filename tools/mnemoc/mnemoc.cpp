//===- mnemoc.cpp - mnemo ahead-of-time compiler --------------------------===//
//
//   mnemoc model.onnx --target=cpu -o OUT/ [-O0..3] [--emit=mlir|llvm|obj|so]
//          [--dim NAME=LO..HI ...] [--name NAME] [--print-ir-after-all]
//          [--timing]
//
// Writes OUT/<name>.o, OUT/<name>.h, OUT/<name>.json and OUT/lib<name>.so.
// Exit codes: 0 success, 1 the model could not be compiled (diagnostics name
// the ONNX node), 2 bad command line.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Driver/Compile.h"
#include "mnemo/Driver/Progress.h"
#include "mnemo/Import/ONNX/ImportONNX.h"
#include "mnemo/Support/PeakMemory.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "mnemo/Memory/Planning/MemoryPlan.h"
#include "mnemo/Memory/Planning/StepOrder.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "mlir/IR/Diagnostics.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

using namespace llvm;

static cl::OptionCategory cat("mnemoc options");
static cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx>"),
                                  cl::Required, cl::cat(cat));
static cl::opt<std::string> outDir("o", cl::desc("Output directory"),
                                   cl::value_desc("dir"), cl::init("."),
                                   cl::cat(cat));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimization level 0-3"),
                                  cl::Prefix, cl::init(3), cl::cat(cat));
static cl::opt<std::string> target("target", cl::desc("cpu | cuda | pim"),
                                   cl::init("cpu"), cl::cat(cat));
static cl::opt<std::string>
    cpu("cpu",
        cl::desc("Target CPU: host (default) | x86-64-v2 | x86-64-v3 (AVX2, "
                 "FMA) | x86-64-v4 (AVX-512) | an LLVM CPU name (znver3, "
                 "skylake-avx512, ...)"),
        cl::init("host"), cl::cat(cat));
static cl::opt<std::string>
    cpuFeatures("cpu-features",
                cl::desc("Extra target features, e.g. +avx512f,-avx512bf16"),
                cl::cat(cat));
static cl::opt<std::string>
    cudaArch("cuda-arch",
             cl::desc("GPU architecture for --target=cuda: sm_80 | sm_86 | "
                      "sm_89 | sm_90 (default) | sm_90a"),
             cl::init("sm_90"), cl::cat(cat));
static cl::opt<std::string>
    emit("emit", cl::desc("Last stage to write: mlir | llvm | obj | so"),
         cl::init("so"), cl::cat(cat));
static cl::opt<std::string> weights(
    "weights",
    cl::desc("embed: the weights are constants in the object; file: they go "
             "to OUT/<name>.weights, which the loader maps read-only and "
             "passes to <name>_set_weights (the compile never gives them to "
             "LLVM; CPU target)"),
    cl::init("embed"), cl::cat(cat));
static cl::opt<std::string> name("name",
                                 cl::desc("C symbol prefix (default: file name)"),
                                 cl::cat(cat));
static cl::list<std::string>
    dims("dim", cl::desc("Bound of a symbolic dim: NAME=LO..HI, or NAME=N for one size"),
         cl::cat(cat));
static cl::opt<bool> verifyEach(
    "verify-each", cl::Hidden,
    cl::desc("Verify the IR after every pass (slower; once at the end by "
             "default)"));
static cl::opt<std::string> emulateCudaKernels(
    "emulate-cuda-kernels", cl::Hidden, cl::ValueOptional,
    cl::desc("With --target=cpu: the CUDA target's codegen (=fp32, the "
             "default, =tf32, =fp16 or =bf16), its kernels run as "
             "sequential CPU loops (checks kernels and the host/device "
             "split without a GPU; mnemo-run takes the same flag)"));
static cl::opt<bool> printIR("print-ir-after-all",
                             cl::desc("Print the IR after every pass"),
                             cl::cat(cat));
static cl::opt<bool>
    debugInfo("g",
              cl::desc("Emit DWARF line tables: file = the model, line = the "
                       "ONNX node's index (perf report --sort srcline)"),
              cl::cat(cat));
static cl::opt<bool> timing("timing", cl::desc("Report time per pass"),
                            cl::cat(cat));
static cl::opt<std::string>
    planner("planner", cl::desc("Memory planner: first-fit | greedy | ilp"),
            cl::init("ilp"), cl::cat(cat));
static cl::opt<double>
    ilpTimeLimit("ilp-time-limit",
                 cl::desc("Seconds the placement ILP may run (then the best "
                          "plan found is used and its gap reported)"),
                 cl::init(10.0), cl::cat(cat));
static cl::opt<std::string> operatorOrder(
    "operator-order",
    cl::desc("memory (default): run independent ops in the order with the "
             "smallest peak (ILP); program: keep the model's order"),
    cl::init("memory"), cl::cat(cat));
static cl::opt<std::string>
    sramBudget("sram-budget",
               cl::desc("On-chip memory budget (e.g. 256KiB): buffers are "
                        "placed in SRAM and DRAM with spills and reloads"),
               cl::cat(cat));
static cl::opt<std::string> gpuPrecision(
    "gpu-precision",
    cl::desc("--target=cuda: fp32 (default: FMAs), tf32 (tensor cores, "
             "mma.sync with f32 accumulation; inputs keep 10 mantissa "
             "bits), fp16 or bf16 (tensor cores; inputs rounded to f16 "
             "or bf16, f32 accumulation)"),
    cl::init("fp32"), cl::cat(cat));
static cl::opt<std::string> smemBudget(
    "smem-budget",
    cl::desc("--target=cuda: shared memory one block of a tiled kernel may "
             "use (default 48KiB; at most the architecture's opt-in "
             "maximum)"),
    cl::cat(cat));
static cl::opt<std::string> maxTensorBytes(
    "max-tensor-bytes",
    cl::desc("Most bytes one tensor of the model may hold (default 16GiB): "
             "a larger initializer, input or inferred shape is an error "
             "naming the node"),
    cl::cat(cat));
static cl::opt<int64_t> maxLoopIterations(
    "max-loop-iterations",
    cl::desc("Bound on a Loop's iterations where the model gives none (a "
             "constant trip count or a static size of its scan outputs): "
             "the scan outputs' buffers hold this many rows, and a run "
             "that needs more returns an error"),
    cl::init(0), cl::cat(cat));
static cl::list<std::string> sequenceLengths(
    "sequence-length",
    cl::desc("NAME=N: a sequence input (or an optional holding one) is "
             "compiled for N tensors, passed as inputs NAME[0] .. NAME[N-1]"),
    cl::cat(cat));
static cl::list<std::string> absentInputs(
    "absent-input",
    cl::desc("NAME: an optional input is compiled as empty (without it, "
             "an optional input holds its value)"),
    cl::cat(cat));
static cl::opt<bool>
    lowMemory("low-memory",
              cl::desc("Prefer less activation memory over speed (pad "
                       "depthwise inputs per channel tile); implied by "
                       "--sram-budget"),
              cl::cat(cat));
static cl::opt<bool> blockChannels(
    "block-channels",
    cl::desc("Run depthwise convolution chains in the channel-blocked layout "
             "[N, C/B, H, W, B] (default on at -O2 and above; off with the "
             "memory-first options)"),
    cl::init(true), cl::cat(cat));
static cl::opt<bool> winograd(
    "winograd",
    cl::desc("Run 3x3 stride-1 convolutions as Winograd F(2x2, 3x3): 2.25x "
             "fewer multiply-adds, 16/9 of their weights and larger "
             "intermediate maps (default on at -O2 and above; off with the "
             "memory-first options)"),
    cl::init(true), cl::cat(cat));
static cl::opt<bool> patchSchedule(
    "patch-schedule",
    cl::desc("Run the first CNN stage patch by patch (MCUNetV2): the cut and "
             "p with the smallest peak within --max-recompute; implied by "
             "--sram-budget (then the least recompute that fits)"),
    cl::cat(cat));
static cl::opt<int64_t> patches("patches",
                                cl::desc("p x p patches (default: choose)"),
                                cl::init(0), cl::cat(cat));
static cl::opt<std::string>
    patchCut("patch-cut",
             cl::desc("ONNX node name of the patched stage's last op "
                      "(default: choose)"),
             cl::cat(cat));
static cl::opt<double> maxRecompute(
    "max-recompute",
    cl::desc("Extra multiply-accumulates patches may cost, as a fraction of "
             "the stage's (default 0.2)"),
    cl::init(0.2), cl::cat(cat));
static cl::opt<double> maxNetworkRecompute(
    "max-network-recompute",
    cl::desc("Extra multiply-accumulates patches may cost, as a fraction of "
             "the whole network's (replaces --max-recompute; MCUNetV2 "
             "reports this figure)"),
    cl::init(0.0), cl::cat(cat));
static cl::opt<bool> featureSlice(
    "feature-slice",
    cl::desc("Run groups of ops slice by slice along tokens, heads, channels "
             "or rows where that lowers the peak; implied by --sram-budget"),
    cl::cat(cat));
static cl::opt<int64_t>
    maxSlices("max-slices",
              cl::desc("Most slices a feature-sliced group is split into "
                       "(default 16)"),
              cl::init(16), cl::cat(cat));
static cl::opt<bool> tileForBudget(
    "tile-for-budget",
    cl::desc("Fuse exported attention into a tiled online softmax "
             "(FlashAttention) and tile ops whose working set exceeds the "
             "budget; implied by --sram-budget"),
    cl::cat(cat));
static cl::opt<std::string> tileBudget(
    "tile-budget",
    cl::desc("Fast-memory bytes one tile's working set must fit (e.g. "
             "64KiB); implies --tile-for-budget; default: --sram-budget"),
    cl::cat(cat));
static cl::opt<std::string> kvCache(
    "kv-cache",
    cl::desc("Rewrite the exported past/present KV cache to a preallocated "
             "cache updated in place: head-major | token-major | paged | "
             "int8 | kivi2 (2-bit, KIVI) (needs --max-seq)"),
    cl::cat(cat));
static cl::opt<int64_t> maxSeq("max-seq",
                               cl::desc("Positions each KV cache holds"),
                               cl::init(0), cl::cat(cat));
static cl::opt<int64_t> kvBlock("kv-block",
                                cl::desc("Positions per block (paged cache)"),
                                cl::init(16), cl::cat(cat));
static cl::opt<int64_t>
    int8Group("int8-group",
              cl::desc("Tokens per key scale group, and of the full-precision "
                       "window (int8 and kivi2 caches)"),
              cl::init(16), cl::cat(cat));
static cl::opt<int64_t> vocabParallel(
    "vocab-parallel",
    cl::desc("Split the token embedding and LM head into N vocabulary parts "
             "(in sequence on one device, or one MPI rank each with "
             "--vocab-ranks)"),
    cl::init(0), cl::cat(cat));
static cl::opt<bool> vocabRanks(
    "vocab-ranks",
    cl::desc("Emit one module per rank in OUT/rank<r>, each holding 1/N of "
             "the vocabulary weights and merging over MPI (run with mpirun "
             "-np N mnemo-run --artifact OUT)"),
    cl::cat(cat));
static cl::opt<std::string> lmHeadOutput(
    "lm-head-output",
    cl::desc("What the LM head returns: logits (as exported) | last-logits "
             "(last position only) | argmax (token ids; the logits never "
             "exist) | last-argmax"),
    cl::init("logits"), cl::cat(cat));
static cl::list<std::string>
    reports("report",
            cl::desc("Write the memory plan report (PATH.json or PATH.html; "
                     "may be repeated)"),
            cl::cat(cat));

static cl::opt<std::string> pimDevice(
    "pim-device",
    cl::desc("--target=pim: device settings over the GDDR6-AiM defaults "
             "(channels=8,rows=4096,refresh=1,...; see mnemo-pim-sim --print-device)"),
    cl::cat(cat));
static cl::list<std::string> pimOps(
    "pim-ops", cl::CommaSeparated,
    cl::desc("--target=pim: ONNX node names to put on PIM whatever the cost model says"),
    cl::cat(cat));
static cl::list<std::string> hostOps(
    "host-ops", cl::CommaSeparated,
    cl::desc("--target=pim: ONNX node names to keep on the host"), cl::cat(cat));

static cl::opt<bool> quiet(
    "quiet", cl::desc("Print no progress line on a terminal (--timing stays "
                      "the detailed view)"),
    cl::cat(cat));
static cl::opt<std::string> progressMode(
    "progress",
    cl::desc("Show the stage of a compile running past --progress-delay: "
             "auto (on a terminal unless --quiet), always, never"),
    cl::init("auto"), cl::Hidden, cl::cat(cat));
static cl::opt<double> progressDelay(
    "progress-delay", cl::desc("Seconds before the progress line appears"),
    cl::init(1.5), cl::Hidden, cl::cat(cat));

int main(int argc, char **argv) {
  InitLLVM y(argc, argv);
#ifdef __GLIBC__
  // Weights come and go in large blocks (the protobuf's copy, resource
  // blobs, blobs a pass replaces, LLVM's constants): each block of 1 MiB or
  // more is its own mapping, returned to the system when freed. glibc's
  // default threshold rises to the largest block freed (up to 32 MiB), after
  // which freed weights stay in the heap between live ones.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv, "mnemo ahead-of-time compiler\n");
  if (target != "cpu" && target != "cuda" && target != "pim") {
    errs() << "mnemoc: --target must be cpu, cuda or pim (got '" << target
           << "')\n";
    return 2;
  }
  if (!mnemo::memory::isPlannerName(planner) || ilpTimeLimit <= 0) {
    errs() << "mnemoc: --planner must be first-fit, greedy or ilp and "
              "--ilp-time-limit positive\n";
    return 2;
  }
  if (!mnemo::memory::isOperatorOrderName(operatorOrder)) {
    errs() << "mnemoc: --operator-order must be memory or program (got '"
           << operatorOrder << "')\n";
    return 2;
  }
  for (const std::string &r : reports)
    if (!StringRef(r).ends_with(".json") && !StringRef(r).ends_with(".html")) {
      errs() << "mnemoc: --report=" << r << " must end in .json or .html\n";
      return 2;
    }
  if (weights != "embed" && weights != "file") {
    errs() << "mnemoc: --weights must be embed or file\n";
    return 2;
  }
  if (weights == "file" && target != "cpu") {
    errs() << "mnemoc: --weights=file is for the CPU target (the CUDA target "
              "uploads its constants at the first run)\n";
    return 2;
  }
  if (optLevel > 3 || !StringRef(emit).starts_with("") ||
      !llvm::is_contained({"mlir", "llvm", "obj", "so"}, StringRef(emit))) {
    errs() << "mnemoc: bad -O level or --emit value\n";
    return 2;
  }
  mlir::DialectRegistry registry;
  mnemo::registerCompilerDialects(registry);
  mlir::MLIRContext ctx(registry);
  mnemo::installCompilerDiagnostics(ctx);

  if (progressMode != "auto" && progressMode != "always" &&
      progressMode != "never") {
    errs() << "mnemoc: --progress must be auto, always or never\n";
    return 2;
  }
  mnemo::Progress progress(progressMode == "always" ||
                               (progressMode == "auto" &&
                                mnemo::Progress::wanted(quiet)),
                           progressDelay);
  // --timing: one tree of stages (import, passes, LLVM, link), printed
  // when the manager goes out of scope.
  mlir::DefaultTimingManager timingManager;
  timingManager.setEnabled(timing);
  mlir::TimingScope rootTiming = timingManager.getRootScope();
  // A diagnostic gets a clean line (handlers run newest first; failure()
  // passes it on to the printer).
  ctx.getDiagEngine().registerHandler([&](mlir::Diagnostic &) {
    progress.erase();
    return mlir::failure();
  });
  mnemo::ImportOptions iopts;
  mnemo::CompileOptions opts;
  opts.progress = &progress;
  if (!maxTensorBytes.empty()) {
    std::optional<int64_t> bytes = mnemo::parseByteSize(maxTensorBytes);
    if (!bytes || *bytes <= 0) {
      errs() << "mnemoc: --max-tensor-bytes=" << maxTensorBytes
             << " is not a size (e.g. 1GiB)\n";
      return 2;
    }
    iopts.maxTensorBytes = opts.maxTensorBytes = *bytes;
  }
  iopts.maxLoopIterations = maxLoopIterations;
  {
    std::string why;
    iopts.inputStructure =
        mnemo::inputStructureFromOptions(sequenceLengths, absentInputs, why);
    if (!iopts.inputStructure) {
      errs() << "mnemoc: " << why << "\n";
      return 2;
    }
  }
  opts.timing = &rootTiming;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  {
    mlir::TimingScope importTiming = mnemo::beginStage(opts, "import");
    module = mnemo::importOnnxFile(input, &ctx, iopts);
  }
  // The parsed protobuf (a copy of every weight) is gone.
  mnemo::returnFreedMemory();
  if (!module)
    return 1;
  opts.name = name.empty()
                  ? mnemo::sanitizeName(sys::path::stem(input))
                  : std::string(name);
  opts.outDir = outDir;
  opts.emit = emit;
  opts.weights = weights;
  opts.target = target;
  opts.cudaArch = cudaArch;
  opts.gpuPrecision = gpuPrecision;
  opts.pimDevice = pimDevice;
  opts.pimOps.assign(pimOps.begin(), pimOps.end());
  opts.hostOps.assign(hostOps.begin(), hostOps.end());
  opts.optLevel = optLevel;
  opts.cpu = cpu;
  opts.cpuFeatures = cpuFeatures;
  opts.dims.assign(dims.begin(), dims.end());
  opts.printIRAfterAll = printIR;
  opts.verifyEach = verifyEach;
  if (emulateCudaKernels.getNumOccurrences())
    opts.emulateCudaKernels = emulateCudaKernels.empty()
                                  ? std::string("fp32")
                                  : std::string(emulateCudaKernels);
  opts.debugInfo = debugInfo;
  opts.planner = planner;
  opts.ilpTimeLimit = ilpTimeLimit;
  opts.operatorOrder = operatorOrder;
  opts.reports.assign(reports.begin(), reports.end());
  opts.lowMemory = lowMemory;
  opts.blockChannels = blockChannels;
  opts.winograd = winograd;
  opts.patchSchedule = patchSchedule || patches > 0 || !patchCut.empty();
  opts.patches = patches;
  opts.patchCut = patchCut;
  opts.maxRecompute = maxRecompute;
  opts.maxNetworkRecompute = maxNetworkRecompute;
  opts.featureSlice = featureSlice;
  opts.maxSlices = maxSlices;
  opts.tileForBudget = tileForBudget;
  opts.kvCache = kvCache;
  opts.maxSeq = maxSeq;
  opts.kvBlock = kvBlock;
  opts.int8Group = int8Group;
  if (!kvCache.empty() && maxSeq <= 0) {
    errs() << "mnemoc: --kv-cache needs --max-seq (positions per cache)\n";
    return 2;
  }
  if (patches < 0 || patches == 1 || maxRecompute < 0 || maxNetworkRecompute < 0 || maxSlices < 2) {
    errs() << "mnemoc: --patches and --max-slices must be at least 2 and "
              "--max-recompute non-negative\n";
    return 2;
  }
  for (auto [flag, text, out] :
       {std::tuple("sram-budget", &sramBudget, &opts.sramBudget),
        std::tuple("tile-budget", &tileBudget, &opts.tileBudget),
        std::tuple("smem-budget", &smemBudget, &opts.smemBudget)}) {
    if (text->empty())
      continue;
    std::optional<int64_t> bytes = mnemo::parseByteSize(*text);
    if (!bytes || *bytes <= 0) {
      errs() << "mnemoc: --" << flag << "=" << *text
             << " is not a size (e.g. 262144, 256KiB, 1MiB)\n";
      return 2;
    }
    *out = *bytes;
  }
  opts.vocabParallel = vocabParallel;
  opts.lmHeadOutput = lmHeadOutput;
  if (vocabParallel < 0 || (vocabRanks && vocabParallel < 2)) {
    errs() << "mnemoc: --vocab-ranks needs --vocab-parallel=N with N >= 2\n";
    return 2;
  }
  // --timing also gives the compile's peak memory (bench_cpu.py reads it).
  auto reportPeak = [&] {
    if (timing)
      if (std::optional<double> mib = mnemo::peakResidentMiB())
        errs() << format("mnemoc: peak memory %.1f MiB\n", *mib);
  };
  if (!vocabRanks) {
    // One module: the weights' blobs are its alone.
    opts.releaseWeights = true;
    if (failed(mnemo::compile(*module, opts)))
      return 1;
    reportPeak();
    return 0;
  }
  // One module per rank: the same graph, each keeping its own vocabulary
  // rows (compiled from a copy, so every rank starts from the import).
  for (int64_t r = 0; r < vocabParallel; ++r) {
    mlir::OwningOpRef<mlir::ModuleOp> copy = module->clone();
    mnemo::CompileOptions ropts = opts;
    ropts.vocabRank = r;
    SmallString<256> dir(outDir);
    sys::path::append(dir, "rank" + std::to_string(r));
    ropts.outDir = std::string(dir);
    if (failed(mnemo::compile(*copy, ropts)))
      return 1;
  }
  reportPeak();
  return 0;
}
