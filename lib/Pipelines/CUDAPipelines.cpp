//===- CUDAPipelines.cpp - the CUDA target's named pipelines --------------===//
//
// After the shared front half (mnemo-graph-to-linalg), the CUDA target
// bufferizes like the CPU, launches every linalg op as a kernel, plans the
// same workspace (now device memory) with mnemo-cpu-abi, and lowers kernels
// through NVVM to a gpu.binary and the host side to LLVM calls into
// libmnemo_cuda_runtime (lib/Runtime/CUDA). Pitfalls each step avoids are
// in ../shared/CUDA-NOTES.md.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Pipelines/Pipelines.h"
#include "AddText.h"

#include "mnemo/Target/CPU/Passes.h"
#include "mnemo/Target/CUDA/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;

namespace mnemo {

bool isCUDAArch(StringRef arch) {
  return llvm::is_contained({"sm_80", "sm_86", "sm_89", "sm_90", "sm_90a"},
                            arch);
}

int64_t smCount(StringRef arch) {
  // A100 108, RTX 30xx up to 84, RTX 40xx up to 144 (L40: 142), H100 and
  // H200 SXM 132.
  return llvm::StringSwitch<int64_t>(arch)
      .Case("sm_80", 108)
      .Case("sm_86", 84)
      .Case("sm_89", 142)
      .Default(132);
}

int64_t maxSharedMemory(StringRef arch) {
  // The opt-in maximum per block (CUDA programming guide, compute
  // capabilities table).
  return llvm::StringSwitch<int64_t>(arch)
      .Case("sm_80", 163 * 1024)
      .Cases("sm_86", "sm_89", 99 * 1024)
      .Default(227 * 1024);
}

StringRef defaultCUDAToolkit() { return MNEMO_CUDA_TOOLKIT; }

void buildCUDACodegenPipeline(OpPassManager &pm,
                              const CUDAPipelineOptions &options) {
  // Performance kernels claim their ops first; the generic route takes
  // what is left.
  TileContractionsPassOptions tile;
  tile.smemBudget = options.smemBudget;
  tile.smCount = smCount(options.arch);
  tile.precision = options.precision;
  pm.addNestedPass<func::FuncOp>(createTileContractionsPass(tile));
  BlockReductionsPassOptions reductions;
  reductions.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(createBlockReductionsPass(reductions));
  MapParallelLoopsPassOptions map;
  map.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(createMapParallelLoopsPass(map));
  addText(pm, "func.func(convert-parallel-loops-to-gpu),canonicalize,cse,"
              "mnemo-cuda-launch-host-ops");
}

void buildCUDALowerPipeline(OpPassManager &pm,
                            const CUDAPipelineOptions &options) {
  // The workspace plan and entry points of the CPU target, on device
  // pointers; then streams and device copies.
  pm.addPass(createCPUABIPass(abiOptions(options)));
  EntryPointsPassOptions entry;
  entry.modelName = options.name;
  pm.addPass(createEntryPointsPass(entry));
  pm.addPass(createDeviceConstantsPass());
  std::string toolkit = options.toolkit.empty()
                            ? defaultCUDAToolkit().str()
                            : std::string(options.toolkit);
  // Index computations are sunk before outlining so loop bounds stay
  // constants in the kernel (pitfall 2). PTX 8.0 for sm_90 (the default
  // +ptx60 aborts LLVM there).
  addText(pm, "canonicalize,gpu-launch-sink-index-computations,"
              "gpu-kernel-outlining,gpu.module(mnemo-cuda-align-workgroup),"
              "lower-affine,convert-scf-to-cf");
  addText(pm, llvm::formatv("nvvm-attach-target{{chip={0} features=+ptx80 "
                            "O=3}",
                            std::string(options.arch))
                  .str());
  // Locations survive until the libdevice check, which names the node.
  addText(pm, "gpu.module(mnemo-cuda-lower-bf16-mma,convert-nvgpu-to-nvvm,"
              "convert-gpu-to-nvvm,"
              "canonicalize,cse,reconcile-unrealized-casts)");
  CheckLibdevicePassOptions libdevice;
  libdevice.toolkit = toolkit;
  pm.addPass(createCheckLibdevicePass(libdevice));
  addText(pm, "gpu.module(strip-debuginfo)");
  // Host side: one stream per run (gpu-async-region chains launches and
  // copies with tokens; the runtime hands out the run's stream).
  addText(pm, "func.func(gpu-async-region),"
              "arith-emulate-unsupported-floats{source-types=bf16 "
              "target-type=f32},mnemo-cpu-expand-bf16,"
              "canonicalize,convert-scf-to-cf,"
              "func.func(mnemo-cuda-reshapes-as-casts),expand-strided-metadata,"
              "lower-affine,finalize-memref-to-llvm,convert-math-to-llvm,"
              "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
              "convert-func-to-llvm,gpu-to-llvm");
  std::string binary = "gpu-module-to-binary{format=" +
                       std::string(options.format);
  if (!toolkit.empty())
    binary += " toolkit=" + toolkit;
  addText(pm, binary + "}");
  addText(pm, "reconcile-unrealized-casts,canonicalize,cse,"
              "mnemo-cpu-flatten-constant-globals");
}

void buildCUDAPipeline(OpPassManager &pm, const CUDAPipelineOptions &options) {
  // Attention chains become graph.attention, and that one kernel each
  // (the tensor lowering would launch ten kernels per tile); the softmaxes
  // left and layer normalizations one kernel each (three and five
  // otherwise).
  buildGraphPreparePipeline(pm, /*fuseAttention=*/true, /*sramBudget=*/0);
  FlashAttentionPassOptions attention;
  attention.smemBudget = options.smemBudget;
  pm.addNestedPass<func::FuncOp>(createFlashAttentionPass(attention));
  RowKernelsPassOptions rowKernels;
  rowKernels.blockSize = options.blockSize;
  pm.addNestedPass<func::FuncOp>(createRowKernelsPass(rowKernels));
  buildGraphLoweringPipeline(pm);
  buildCUDABufferizePipeline(pm);
  buildCUDACodegenPipeline(pm, options);
  buildCUDALowerPipeline(pm, options);
}

} // namespace mnemo
