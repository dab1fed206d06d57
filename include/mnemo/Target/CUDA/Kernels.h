//===- Kernels.h - assembling a module's kernels with ptxas -----*- C++ -*-===//
//
// After mnemo-cuda-lower (format=isa), each gpu.binary holds PTX. The CUDA
// backend assembles it here with the toolkit's ptxas for the target arch
// (which also checks it), reads ptxas's resource report (registers, shared
// memory, stack, spills) and, where fatbinary exists, replaces the PTX by a
// fatbin of cubin + PTX so the driver need not JIT at load time.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CUDA_KERNELS_H
#define MNEMO_TARGET_CUDA_KERNELS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace mnemo::cuda {

/// One kernel as ptxas reports it and as the host launches it (-1: not
/// known, or a launch size that is only known at run time).
struct KernelInfo {
  std::string binary, name; // the gpu.binary symbol, the entry function
  int64_t registers = -1, sharedBytes = -1, stackBytes = -1;
  int64_t spillStores = -1, spillLoads = -1;
  int64_t grid[3] = {-1, -1, -1}, block[3] = {-1, -1, -1};
};

/// Assembles every PTX object of `module`'s gpu.binary ops with
/// `<toolkit>/bin/ptxas -arch=<arch> -v`; with `fatbin`, replaces each by a
/// fatbin made with `<toolkit>/bin/fatbinary`. Fails (with the tool's
/// message on the module) if ptxas rejects a kernel.
llvm::FailureOr<std::vector<KernelInfo>>
assembleKernels(mlir::ModuleOp module, llvm::StringRef toolkit,
                llvm::StringRef arch, bool fatbin);

/// The kernels as JSON: {"arch", "kernels": [...], "totals": {...}} (the
/// artifact's <name>.kernels.json, and the "cuda" entry of a --report).
llvm::json::Value kernelsValue(llvm::ArrayRef<KernelInfo> kernels,
                               llvm::StringRef arch);
std::string kernelsJson(llvm::ArrayRef<KernelInfo> kernels,
                        llvm::StringRef arch);

/// The kernels as an HTML table (a --report's CUDA section).
std::string kernelsHtml(llvm::ArrayRef<KernelInfo> kernels,
                        llvm::StringRef arch);

} // namespace mnemo::cuda

#endif // MNEMO_TARGET_CUDA_KERNELS_H
