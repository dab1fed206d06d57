//===- Pipelines.h - mnemo's named pass pipelines ---------------*- C++ -*-===//
//
// The stages of the CPU compiler as pipelines that mnemoc runs in order and
// mnemo-opt exposes by name, so each stage can be inspected and lit-tested:
//
//   mnemo-graph-to-linalg   shape inference, folding, graph -> linalg,
//                           elementwise fusion
//   mnemo-cpu-bufferize     one-shot bufferization (identity layouts at
//                           the function boundary)
//   mnemo-cpu-codegen       tiling and vectorization of linalg ops, then
//                           loops
//   mnemo-cpu-lower-to-llvm the C ABI (workspace, entry points) and the
//                           conversion of everything to the LLVM dialect
//
// and for the CUDA target (the same front half, then):
//
//   mnemo-cuda-bufferize    one-shot bufferization (no MPI collectives)
//   mnemo-cuda-codegen      linalg ops as kernels (gpu.launch), the rest
//                           in one-thread launches
//   mnemo-cuda-lower        the C ABI on device memory and streams, kernel
//                           outlining, NVVM, the gpu.binary, host code in
//                           the LLVM dialect
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_PIPELINES_PIPELINES_H
#define MNEMO_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>
#include <vector>

namespace mnemo {

struct CPUPipelineOptions : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<std::string> name{*this, "name",
                           llvm::cl::desc("Prefix of the exported C symbols"),
                           llvm::cl::init("model")};
  ListOption<std::string> dims{
      *this, "dims", llvm::cl::desc("Bounds of symbolic dims, name=lo..hi")};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("0 keeps plain loops (no tiling "
                                           "or vectorization)"),
                            llvm::cl::init(3)};
  Option<std::string> cpu{
      *this, "cpu",
      llvm::cl::desc("Target CPU: host, x86-64-v2/v3/v4 or an LLVM CPU "
                     "name (include/mnemo/Target/CPU/CPUTarget.h)"),
      llvm::cl::init("host")};
  Option<std::string> cpuFeatures{
      *this, "cpu-features",
      llvm::cl::desc("Extra target features: +avx2,-avx512f,..."),
      llvm::cl::init("")};
  Option<bool> parallel{*this, "parallel",
                        llvm::cl::desc("Split large ops across threads "
                                       "(OpenMP; at -O2 and above)"),
                        llvm::cl::init(true)};
  Option<std::string> planner{
      *this, "planner",
      llvm::cl::desc("Memory planner: first-fit, greedy or ilp"),
      llvm::cl::init("ilp")};
  Option<double> ilpTimeLimit{
      *this, "ilp-time-limit",
      llvm::cl::desc("Seconds the placement ILP may run"), llvm::cl::init(10.0)};
  Option<std::string> operatorOrder{
      *this, "operator-order",
      llvm::cl::desc("program, or memory: reorder independent ops for the "
                     "smallest peak"),
      llvm::cl::init("memory")};
  Option<int64_t> sramBudget{
      *this, "sram-budget",
      llvm::cl::desc("On-chip bytes: place buffers in SRAM and DRAM with "
                     "spills (0: one workspace arena)"),
      llvm::cl::init(0)};
  Option<bool> lowMemory{
      *this, "low-memory",
      llvm::cl::desc("Prefer less activation memory over speed (implied by "
                     "sram-budget)"),
      llvm::cl::init(false)};
  Option<bool> patchSchedule{
      *this, "patch-schedule",
      llvm::cl::desc("Run the first CNN stage patch by patch (MCUNetV2; "
                     "implied by sram-budget)"),
      llvm::cl::init(false)};
  Option<int64_t> patches{
      *this, "patches",
      llvm::cl::desc("p x p patches (0: choose)"), llvm::cl::init(0)};
  Option<std::string> patchCut{
      *this, "patch-cut",
      llvm::cl::desc("ONNX node name ending the patched stage (empty: "
                     "choose)"),
      llvm::cl::init("")};
  Option<double> maxRecompute{
      *this, "max-recompute",
      llvm::cl::desc("Extra multiply-accumulates the patches may cost, as a "
                     "fraction of the stage's"),
      llvm::cl::init(0.2)};
  Option<double> maxNetworkRecompute{
      *this, "max-network-recompute",
      llvm::cl::desc("Extra multiply-accumulates the patches may cost, as a "
                     "fraction of the whole network's (0: max-recompute)"),
      llvm::cl::init(0.0)};
  Option<bool> featureSlice{
      *this, "feature-slice",
      llvm::cl::desc("Slice groups of ops along tokens, heads, channels or "
                     "rows (implied by sram-budget)"),
      llvm::cl::init(false)};
  Option<int64_t> maxSlices{
      *this, "max-slices",
      llvm::cl::desc("Most slices per feature-sliced group"),
      llvm::cl::init(16)};
  Option<bool> tileForBudget{
      *this, "tile-for-budget",
      llvm::cl::desc("Fuse attention into a tiled online softmax and tile "
                     "ops over the budget (implied by sram-budget)"),
      llvm::cl::init(false)};
  Option<int64_t> tileBudget{
      *this, "tile-budget",
      llvm::cl::desc("Bytes one tile's working set must fit (0: "
                     "sram-budget)"),
      llvm::cl::init(0)};
  Option<bool> blockChannels{
      *this, "block-channels",
      llvm::cl::desc("Channel-blocked (NCHWc) layout for depthwise "
                     "convolution chains (at -O2 and above, not with the "
                     "memory-first passes)"),
      llvm::cl::init(true)};
  Option<bool> winograd{
      *this, "winograd",
      llvm::cl::desc("3x3 stride-1 convolutions as Winograd F(2x2, 3x3) (at "
                     "-O2 and above, not with the memory-first passes)"),
      llvm::cl::init(true)};
  Option<std::string> emulateCudaKernels{
      *this, "emulate-cuda-kernels",
      llvm::cl::desc("Tests: build matmuls and convolutions with the CUDA "
                     "target's tiled kernels at this precision (fp32 or "
                     "tf32) and run them as CPU loops; empty: off"),
      llvm::cl::init("")};
  ListOption<std::string> reports{
      *this, "reports",
      llvm::cl::desc("Memory plan reports to write (.json or .html)")};
  Option<std::string> weightsFile{
      *this, "weights-file",
      llvm::cl::desc("Write the weights to this file, read at run time "
                     "through <name>_set_weights (mnemoc --weights=file); "
                     "empty: in the object")};
  Option<std::string> weightsObject{
      *this, "weights-object",
      llvm::cl::desc("Write the large weights to this ELF object before "
                     "the lowering to LLVM, leaving declarations (mnemoc "
                     "links it in); empty: the driver writes them after "
                     "translation")};
  Option<bool> releaseWeights{
      *this, "release-weights",
      llvm::cl::desc("Free each weight's resource blob once written to "
                     "weights-file or weights-object, or replaced by "
                     "mnemo-cpu-winograd (no other module may share them)"),
      llvm::cl::init(false)};
};

struct CUDAPipelineOptions
    : public mlir::PassPipelineOptions<CUDAPipelineOptions> {
  Option<std::string> name{*this, "name",
                           llvm::cl::desc("Prefix of the exported C symbols"),
                           llvm::cl::init("model")};
  ListOption<std::string> dims{
      *this, "dims", llvm::cl::desc("Bounds of symbolic dims, name=lo..hi")};
  Option<std::string> arch{
      *this, "cuda-arch",
      llvm::cl::desc("GPU architecture: sm_80, sm_90 or sm_90a"),
      llvm::cl::init("sm_90")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel image: isa (PTX text, no tools needed), bin "
                     "(cubin, runs ptxas) or fatbin (cubin + PTX)"),
      llvm::cl::init("isa")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit root (libdevice, ptxas, fatbinary); "
                     "default: the one found at configure time"),
      llvm::cl::init("")};
  Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the generic kernels"),
      llvm::cl::init(256)};
  Option<int64_t> smemBudget{
      *this, "smem-budget",
      llvm::cl::desc("Shared memory bytes one block of a tiled kernel may "
                     "stage (up to the device's opt-in maximum)"),
      llvm::cl::init(49152)};
  Option<std::string> precision{
      *this, "gpu-precision",
      llvm::cl::desc("fp32 (FMAs), tf32, fp16 or bf16 (tensor cores, f32 "
                     "accumulation)"),
      llvm::cl::init("fp32")};
  Option<std::string> planner{
      *this, "planner",
      llvm::cl::desc("Memory planner: first-fit, greedy or ilp"),
      llvm::cl::init("ilp")};
  Option<double> ilpTimeLimit{
      *this, "ilp-time-limit",
      llvm::cl::desc("Seconds the placement ILP may run"), llvm::cl::init(10.0)};
  Option<std::string> operatorOrder{
      *this, "operator-order",
      llvm::cl::desc("program, or memory: reorder independent ops for the "
                     "smallest peak"),
      llvm::cl::init("memory")};
  ListOption<std::string> reports{
      *this, "reports",
      llvm::cl::desc("Memory plan reports to write (.json or .html)")};
};

/// The GPU architectures the CUDA target accepts (--cuda-arch).
bool isCUDAArch(llvm::StringRef arch);
/// Multiprocessors of the usual part of an architecture (the tile choice
/// gives each a block).
int64_t smCount(llvm::StringRef arch);
/// The most shared memory one block may opt in to on `arch`.
int64_t maxSharedMemory(llvm::StringRef arch);
/// The CUDA toolkit found when mnemo was configured ("" if none).
llvm::StringRef defaultCUDAToolkit();

void buildCUDABufferizePipeline(mlir::OpPassManager &pm);
void buildCUDACodegenPipeline(mlir::OpPassManager &pm,
                              const CUDAPipelineOptions &options);
void buildCUDALowerPipeline(mlir::OpPassManager &pm,
                            const CUDAPipelineOptions &options);
/// graph -> LLVM dialect with a gpu.binary: all stages in order.
void buildCUDAPipeline(mlir::OpPassManager &pm,
                       const CUDAPipelineOptions &options);

/// `fuseAttention` runs mnemo-fuse-attention (tiles for `sramBudget`, 0:
/// defaults) before the conversion.
/// graph -> the PIM target's device share: memory-bound GEMVs chosen by
/// the cost model become pim.gemv, laid out in the banks, one pim.program
/// each (docs/pim.md). The host's share stays graph ops.
struct PIMPipelineOptions
    : public mlir::PassPipelineOptions<PIMPipelineOptions> {
  Option<std::string> device{*this, "device",
                             llvm::cl::desc("Device settings over the AiM defaults")};
  ListOption<std::string> pimOps{*this, "pim-ops",
                                 llvm::cl::desc("ONNX nodes forced to PIM")};
  ListOption<std::string> hostOps{*this, "host-ops",
                                  llvm::cl::desc("ONNX nodes kept on the host")};
  Option<bool> print{*this, "print", llvm::cl::desc("Print the partition's choices"),
                     llvm::cl::init(false)};
};
void buildPIMDevicePipeline(mlir::OpPassManager &pm,
                            const PIMPipelineOptions &options);

/// The graph before its lowering: shapes, quantization, and with
/// `fuseAttention` graph.attention tiled for `sramBudget` (0: chosen).
void buildGraphPreparePipeline(mlir::OpPassManager &pm, bool fuseAttention,
                               int64_t sramBudget);
/// graph -> linalg on tensors, elementwise chains fused.
void buildGraphLoweringPipeline(mlir::OpPassManager &pm);
/// Both in order.
void buildGraphToLinalgPipeline(mlir::OpPassManager &pm,
                                bool fuseAttention = false,
                                int64_t sramBudget = 0);
/// `lowMemory` adds the memory-first rewrites (depthwise channel tiles).
void buildCPUBufferizePipeline(mlir::OpPassManager &pm, bool lowMemory);
void buildCPUCodegenPipeline(mlir::OpPassManager &pm,
                             const CPUPipelineOptions &options);
void buildCPULowerToLLVMPipeline(mlir::OpPassManager &pm,
                                 const CPUPipelineOptions &options);
/// All four in order.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);

void registerPipelines();

/// Registers every upstream and mnemo pass and the named pipelines, once
/// per process, so a textual pipeline can name any of them.
void registerAllPassesAndPipelines();

} // namespace mnemo

#endif // MNEMO_PIPELINES_PIPELINES_H
