//===- Pipelines.cpp - mnemo's named pass pipelines -----------------------===//

#include "mnemo/Pipelines/Pipelines.h"
#include "AddText.h"

#include "mnemo/Conversion/Passes.h"
#include "mnemo/Dialect/Graph/Transforms/Passes.h"
#include "mnemo/Memory/Planning/Passes.h"
#include "mnemo/Memory/Planning/TileAttrs.h"
#include "mnemo/Memory/Transforms/Passes.h"
#include "mnemo/Target/CPU/Passes.h"
#include "mnemo/Target/CUDA/Passes.h"
#include "mnemo/Target/PIM/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

using namespace mlir;

namespace mnemo {

void registerAllPassesAndPipelines() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    graph::registerGraphPasses();
    registerMnemoConversionPasses();
    registerMnemoCPUPasses();
    registerMnemoCUDAPasses();
    registerMnemoPIMPasses();
    registerMnemoMemoryPlanningPasses();
    registerMnemoMemoryTransformsPasses();
    registerPipelines();
  });
}

void addText(OpPassManager &pm, StringRef text) {
  // Textual pipelines resolve names through the pass registry.
  registerAllPassesAndPipelines();
  if (failed(parsePassPipeline(text, pm, llvm::errs())))
    llvm::report_fatal_error("mnemo: bad built-in pass pipeline");
}

void buildGraphPreparePipeline(OpPassManager &pm, bool fuseAttention,
                               int64_t sramBudget) {
  pm.addNestedPass<func::FuncOp>(graph::createGraphInferShapesPass());
  // QDQ layers as integer ops, then every quantization op as integer
  // graph arithmetic.
  pm.addNestedPass<func::FuncOp>(graph::createGraphFoldQDQPass());
  pm.addNestedPass<func::FuncOp>(graph::createGraphExpandQuantizedPass());
  if (fuseAttention) {
    FuseAttentionPassOptions attention;
    attention.sramBudget = sramBudget;
    attention.print = true;
    pm.addNestedPass<func::FuncOp>(createFuseAttentionPass(attention));
  }
}

void buildGraphLoweringPipeline(OpPassManager &pm) {
  pm.addPass(createConvertGraphToLinalgPass());
  addText(pm, "canonicalize,cse,func.func(mnemo-fuse-elementwise),"
              "canonicalize,cse");
}

void buildGraphToLinalgPipeline(OpPassManager &pm, bool fuseAttention,
                                int64_t sramBudget) {
  buildGraphPreparePipeline(pm, fuseAttention, sramBudget);
  buildGraphLoweringPipeline(pm);
}

/// Integer accumulators requantized tile by tile; after the patches and
/// slices, which read the convolutions of a stage as whole ops. Smaller
/// tiles when memory comes first (what the patch and slice estimates
/// assume), larger ones for the kernels otherwise.
static void addFuseAccumulators(OpPassManager &pm, bool memoryFirst) {
  FuseAccumulatorsPassOptions options;
  options.tileBytes = memoryFirst ? memory::kLowMemoryAccumulatorTileBytes
                                  : memory::kAccumulatorTileBytes;
  pm.addNestedPass<func::FuncOp>(createFuseAccumulatorsPass(options));
  addText(pm, "canonicalize,cse");
}

/// One-shot bufferization; `collectives` lowers vocab-parallel collectives
/// to MPI first (CPU only).
static void buildBufferizePipeline(OpPassManager &pm, bool lowMemory,
                                   bool collectives) {
  // Depthwise inputs padded one channel tile at a time: a fraction of the
  // padded copy instead of all of it, but one thread fork/join per tile, so
  // only when memory comes first. canonicalize folds the tiled pads'
  // empty-slice checks; the tiles read the batch size from the source, not
  // from the untiled pad (which would otherwise stay alive).
  if (lowMemory)
    addText(pm, "func.func(mnemo-depthwise-channel-tiles),"
                "resolve-ranked-shaped-type-result-dims,canonicalize,cse");
  // Collectives become MPI calls on buffers, which one-shot bufferization
  // then joins to the tensors around them.
  if (collectives)
    addText(pm, "mnemo-cpu-collectives-to-mpi");
  // Pads as fill + insert_slice: the padded tensor's producer then writes
  // the interior in place (empty-tensor elimination), with no copy.
  addText(pm, "func.func(mnemo-cpu-decompose-pads)");
  addText(pm, "func.func(mnemo-unshare-inits),eliminate-empty-tensors,"
              "one-shot-bufferize{bufferize-function-boundaries "
              "function-boundary-type-conversion=identity-layout-map},"
              "canonicalize,cse");
}

void buildCPUBufferizePipeline(OpPassManager &pm, bool lowMemory) {
  buildBufferizePipeline(pm, lowMemory, /*collectives=*/true);
}

void buildCUDABufferizePipeline(OpPassManager &pm) {
  buildBufferizePipeline(pm, /*lowMemory=*/false, /*collectives=*/false);
}

/// Whether a memory option (a budget, low memory, patches, slices) asks
/// for the smallest footprint rather than the fastest code.
static bool memoryComesFirst(const CPUPipelineOptions &options) {
  return options.lowMemory || options.sramBudget > 0 ||
         options.patchSchedule || options.featureSlice;
}

void buildCPUCodegenPipeline(OpPassManager &pm,
                             const CPUPipelineOptions &options) {
  addText(pm, "func.func(mnemo-cpu-legalize-memrefs)");
  // The CUDA target's codegen, its kernels run sequentially: their
  // outputs check the kernel builders, the generic route and the split
  // between host and device (a value read back, one-thread launches)
  // without a GPU. Every reduction takes a warp or a block, however short
  // (the node tests' rows are a few elements).
  if (!options.emulateCudaKernels.empty())
    addText(pm, "func.func(mnemo-cuda-tile-contractions{precision=" +
                    options.emulateCudaKernels + "},"
                    "mnemo-cuda-block-reductions{warp-min-length=1},"
                    "mnemo-cuda-map-parallel-loops,"
                    "convert-parallel-loops-to-gpu),canonicalize,cse,"
                    "mnemo-cuda-launch-host-ops{emulate=1},"
                    "func.func(mnemo-cuda-emulate-launches)");
  if (options.optLevel > 0) {
    FillPadBordersPassOptions pad;
    pad.parallel = options.parallel && options.optLevel >= 2;
    pm.addNestedPass<func::FuncOp>(createFillPadBordersPass(pad));
  }
  // Winograd trades memory (weights 16/9, transformed bands) for
  // multiply-adds: a speed choice, like the blocked layouts. Before the
  // register tiles, which take its batched matmuls.
  bool memoryFirst = memoryComesFirst(options);
  if (options.winograd && options.optLevel >= 2 && !memoryFirst) {
    WinogradPassOptions winograd;
    winograd.cpu = options.cpu;
    winograd.cpuFeatures = options.cpuFeatures;
    winograd.releaseWeights = options.releaseWeights;
    pm.addPass(createWinogradPass(winograd));
  }
  // -O0 keeps linalg's loop order (the plain reference loops).
  if (options.optLevel > 0) {
    RegisterTilePassOptions tile;
    tile.parallel = options.parallel && options.optLevel >= 2;
    tile.cpu = options.cpu;
    tile.cpuFeatures = options.cpuFeatures;
    // Under a budget the tier planner may spill a residual across the
    // convolution before its add; folding the add would pin it on chip.
    tile.residualEpilogues = !options.lowMemory && options.sramBudget == 0;
    tile.dimBounds.assign(options.dims.begin(), options.dims.end());
    pm.addPass(createRegisterTilePass(tile));
    addText(pm, "func.func(mnemo-cpu-interchange-reductions)");
    VectorTransposesPassOptions transposes;
    transposes.cpu = options.cpu;
    transposes.cpuFeatures = options.cpuFeatures;
    pm.addNestedPass<func::FuncOp>(createVectorTransposesPass(transposes));
    if (tile.parallel)
      addText(pm, "func.func(mnemo-cpu-parallelize-loops),"
                  "scf-forall-to-parallel");
    // 8-bit contractions (convolutions with stride 1 or 2 along the row,
    // matmuls) with their accumulators in registers, per thread's chunk.
    IntegerContractionsPassOptions integer;
    integer.cpu = options.cpu;
    integer.cpuFeatures = options.cpuFeatures;
    pm.addPass(createIntegerContractionsPass(integer));
    // After the chunking: each thread's chunk reduces with vectors.
    VectorizeReductionsPassOptions reductions;
    reductions.cpu = options.cpu;
    reductions.cpuFeatures = options.cpuFeatures;
    pm.addNestedPass<func::FuncOp>(createVectorizeReductionsPass(reductions));
    // Elementwise ops on small maps as one flat loop the vectorizer widens.
    addText(pm, "func.func(mnemo-cpu-collapse-elementwise)");
    // exp, tanh, pow, ... as arith ops the loop vectorizer widens.
    addText(pm, "func.func(mnemo-cpu-approximate-math)");
  }
  addText(pm, "func.func(convert-linalg-to-loops),canonicalize,cse");
}

void buildCPULowerToLLVMPipeline(OpPassManager &pm,
                                 const CPUPipelineOptions &options) {
  // Weights out of the object before the ABI (it emits _set_weights), or
  // into an object of their own before the lowering (its IR is the
  // compile's peak).
  if (!options.weightsFile.empty()) {
    ExternalWeightsPassOptions weights;
    weights.file = options.weightsFile;
    weights.release = options.releaseWeights;
    pm.addPass(createExternalWeightsPass(weights));
  } else if (!options.weightsObject.empty()) {
    WeightsObjectPassOptions weights;
    weights.object = options.weightsObject;
    weights.release = options.releaseWeights;
    pm.addPass(createWeightsObjectPass(weights));
  }
  CPUABIPassOptions abi = abiOptions(options);
  abi.sramBudget = options.sramBudget;
  pm.addPass(createCPUABIPass(abi));
  // canonicalize inlines the alloca_scope scf-to-openmp wraps loop bodies
  // in (they allocate nothing); scf-to-cf cannot split blocks inside one.
  // bf16 needs no runtime library: arithmetic in f32, conversions as
  // integer ops (mnemo-cpu-expand-bf16).
  addText(pm, "arith-emulate-unsupported-floats{source-types=bf16 "
              "target-type=f32},mnemo-cpu-expand-bf16");
  // Large layers in functions of their own: the object's parallel pieces
  // then split the body by layer.
  addText(pm, "mnemo-cpu-outline-layers");
  addText(pm, "canonicalize,lower-affine,convert-scf-to-openmp,canonicalize,"
              "convert-scf-to-cf,"
              "convert-vector-to-llvm,expand-strided-metadata,lower-affine,"
              "mnemo-cpu-mpi-to-llvm,finalize-memref-to-llvm,convert-math-to-llvm,"
              "convert-math-to-libm,convert-arith-to-llvm,"
              "convert-index-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,"
              "convert-openmp-to-llvm,"
              "reconcile-unrealized-casts,mnemo-cpu-flatten-constant-globals");
  // (No canonicalize/cse on the LLVM dialect: LLVM's optimizer folds the
  // same constants and address arithmetic, and on MobileNetV2 the two
  // passes were 0.4 s of a 6.5 s compile.)
}

void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  // Tiles default to the whole SRAM budget. Half of it (--tile-budget)
  // leaves the tier planner room for buffers kept on chip next to a
  // streamed step's tiles, which tiny_gpt needs below 64 KiB, but it also
  // tiles elementwise ops inside MobileNetV2's patch loop and raises its
  // least feasible budget (see docs/memory.md).
  int64_t tileBudget =
      options.tileBudget > 0 ? options.tileBudget : options.sramBudget;
  bool tile = options.tileForBudget || tileBudget > 0;
  bool emulateCuda = !options.emulateCudaKernels.empty();
  buildGraphPreparePipeline(pm, tile || emulateCuda, tileBudget);
  // The GPU's FlashAttention, softmax and layer-norm kernels, emulated
  // (see the codegen stage).
  if (emulateCuda) {
    pm.addNestedPass<func::FuncOp>(createFlashAttentionPass());
    pm.addNestedPass<func::FuncOp>(createRowKernelsPass());
  }
  buildGraphLoweringPipeline(pm);
  if (options.patchSchedule || options.sramBudget > 0) {
    PatchSchedulePassOptions patch;
    patch.patches = options.patches;
    patch.cut = options.patchCut;
    patch.maxRecompute = options.maxRecompute;
    patch.maxNetworkRecompute = options.maxNetworkRecompute;
    patch.sramBudget = options.sramBudget;
    patch.sliceAfter = options.featureSlice;
    patch.sliceMaxSlices = options.maxSlices;
    patch.print = true;
    // Constants the patch loop reads are hoisted; its index arithmetic is
    // folded before bufferization.
    pm.addPass(createPatchSchedulePass(patch));
    addText(pm, "canonicalize,cse");
  }
  // Slicing works on whatever peak the patches leave (later stages,
  // transformer blocks).
  if (options.featureSlice || options.sramBudget > 0) {
    FeatureSlicePassOptions slice;
    slice.maxSlices = options.maxSlices;
    slice.maxRecompute = options.maxRecompute;
    slice.sramBudget = options.sramBudget;
    slice.print = true;
    pm.addPass(createFeatureSlicePass(slice));
    addText(pm, "canonicalize,cse");
  }
  // Integer accumulators tiled into their requantization before the tiles
  // for the budget are sized: a contraction tiled on its own would still
  // write its whole i32 accumulator.
  bool memoryFirst = memoryComesFirst(options);
  addFuseAccumulators(pm, memoryFirst);
  // Channel-tiled loops (the accumulator tiles of depthwise convolutions)
  // write over their input: TinyEngine's in-place depthwise. Before the
  // tiles for the budget: a streamed tile loop needs its input and output
  // apart (written over its input, tiny_gpt's QKV bias add under 64 KiB
  // had to stay on chip whole and the budget became infeasible).
  if (memoryFirst)
    addText(pm, "func.func(mnemo-in-place-channel-tiles)");
  // Last: tiles are sized for what patches and slices left of each op.
  if (tileBudget > 0) {
    TileForBudgetPassOptions tiles;
    tiles.sramBudget = tileBudget;
    tiles.print = true;
    pm.addPass(createTileForBudgetPass(tiles));
    addText(pm, "canonicalize,cse");
  }
  // The memory passes above and the depthwise channel tiles read NCHW
  // convolutions; blocked layouts are a speed choice for the default build.
  if (options.blockChannels && options.optLevel >= 2 && !memoryFirst) {
    BlockChannelsPassOptions blocked;
    blocked.cpu = options.cpu;
    blocked.cpuFeatures = options.cpuFeatures;
    pm.addNestedPass<func::FuncOp>(createBlockChannelsPass(blocked));
    addText(pm, "canonicalize,cse");
  }
  buildCPUBufferizePipeline(pm, options.lowMemory || options.sramBudget > 0);
  buildCPUCodegenPipeline(pm, options);
  buildCPULowerToLLVMPipeline(pm, options);
}

void buildPIMDevicePipeline(OpPassManager &pm, const PIMPipelineOptions &options) {
  PIMPartitionPassOptions partition;
  partition.device = options.device;
  partition.forcePim.assign(options.pimOps.begin(), options.pimOps.end());
  partition.forceHost.assign(options.hostOps.begin(), options.hostOps.end());
  partition.print = options.print;
  pm.addNestedPass<func::FuncOp>(createPIMPartitionPass(partition));
  PIMMapGemvPassOptions map;
  map.device = options.device;
  pm.addPass(createPIMMapGemvPass(map));
  pm.addPass(createPIMEmitProgramsPass());
}

void registerPipelines() {
  PassPipelineRegistration<>("mnemo-graph-to-linalg",
                             "Shape inference, graph -> linalg, fusion",
                             [](OpPassManager &pm) {
                               buildGraphToLinalgPipeline(pm);
                             });
  PassPipelineRegistration<>(
      "mnemo-cpu-bufferize", "One-shot bufferization for the CPU target",
      [](OpPassManager &pm) { buildCPUBufferizePipeline(pm, false); });
  PassPipelineRegistration<CPUPipelineOptions>(
      "mnemo-cpu-codegen", "Tiling, vectorization and loops",
      buildCPUCodegenPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "mnemo-cpu-lower-to-llvm", "The C ABI and conversion to LLVM",
      buildCPULowerToLLVMPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "mnemo-cpu-pipeline", "graph -> LLVM dialect for the CPU target",
      buildCPUPipeline);
  PassPipelineRegistration<>(
      "mnemo-cuda-bufferize", "One-shot bufferization for the CUDA target",
      buildCUDABufferizePipeline);
  PassPipelineRegistration<CUDAPipelineOptions>(
      "mnemo-cuda-codegen", "Linalg ops as GPU kernels (gpu.launch)",
      buildCUDACodegenPipeline);
  PassPipelineRegistration<CUDAPipelineOptions>(
      "mnemo-cuda-lower",
      "The C ABI on device memory, NVVM kernels in a gpu.binary, host code "
      "in LLVM",
      buildCUDALowerPipeline);
  PassPipelineRegistration<CUDAPipelineOptions>(
      "mnemo-cuda-pipeline", "graph -> LLVM dialect for the CUDA target",
      buildCUDAPipeline);
  PassPipelineRegistration<PIMPipelineOptions>(
      "mnemo-pim-device-pipeline",
      "graph -> pim.gemv for the device's share, mapped, one pim.program each",
      buildPIMDevicePipeline);
}

} // namespace mnemo
