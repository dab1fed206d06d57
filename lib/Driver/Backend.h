//===- Backend.h - what a target supplies to the driver ---------*- C++ -*-===//
//
// The driver's front half (import, shape inference, the graph rewrites that
// change the signature) runs once for every target; a backend then adds its
// pipeline, writes its artifact and describes the C contract's
// target-specific part. lib/Driver/{CPU,CUDA}Backend.cpp implement it.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_DRIVER_BACKEND_H
#define MNEMO_LIB_DRIVER_BACKEND_H

#include "mnemo/Driver/Compile.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/JSON.h"

#include <memory>

namespace mnemo {
struct CPUTarget;

namespace driver {

class TargetBackend {
public:
  virtual ~TargetBackend() = default;
  /// Fills `target` (the JSON's "target"); fails on bad target options.
  virtual llvm::LogicalResult describe(TargetSignature &target,
                                       mlir::Location loc) = 0;
  /// graph (after the front half) -> the LLVM dialect.
  virtual void buildPipeline(mlir::OpPassManager &pm) = 0;
  /// Writes `<base>.ll` (emit=llvm) or `<base>.o`, the header, the JSON
  /// and with emit=so the shared library.
  virtual llvm::LogicalResult writeArtifact(mlir::ModuleOp module,
                                            const ArtifactSignature &sig,
                                            llvm::StringRef base) = 0;
};

std::unique_ptr<TargetBackend> createCPUBackend(const CompileOptions &options);
std::unique_ptr<TargetBackend> createCUDABackend(const CompileOptions &options);
std::unique_ptr<TargetBackend> createPIMBackend(const CompileOptions &options);

//===----------------------------------------------------------------------===//
// Shared by the backends (Artifact.cpp)
//===----------------------------------------------------------------------===//

llvm::LogicalResult writeFile(llvm::StringRef path, llvm::StringRef text,
                              mlir::Location loc);
/// The header: buffers and dims, then `entryPoints` (the target's
/// declarations and what they return).
std::string headerText(const ArtifactSignature &sig, llvm::StringRef buffers,
                       llvm::StringRef entryPoints);
std::string signatureJson(const ArtifactSignature &sig);
/// The first of `preferred` (a path fixed at build time) and `names` on
/// PATH that can run, or "".
std::string findTool(llvm::StringRef preferred,
                     llvm::ArrayRef<llvm::StringRef> names);
/// The C compiler that links artifacts: the one mnemo was built with
/// (clang-22, which scripts/setup.sh installs), else the first on PATH.
std::string linkCompiler();
/// Whether the tools that merge an object's parts (the weights' objects,
/// the code's pieces) are at hand: the link compiler and an objcopy.
bool canMergeObjects();
/// LLVM IR -> optimized object (or .ll text) for a CPU; `guardPrefix`
/// non-empty adds the entry points' ISA check (EmitObject.cpp).
llvm::LogicalResult emitObject(mlir::ModuleOp module, llvm::StringRef path,
                               const CPUTarget &target,
                               llvm::StringRef guardPrefix,
                               const CompileOptions &options, bool llvmOnly);
/// emit=llvm: `<base>.ll`; otherwise `<base>.o`, the header (its target
/// part `entryPoints`, its buffers called `buffers`) and the JSON. The
/// caller links the object when emit=so.
llvm::LogicalResult writeHostArtifact(mlir::ModuleOp module,
                                      const ArtifactSignature &sig,
                                      llvm::StringRef base,
                                      const CPUTarget &target,
                                      llvm::StringRef guardPrefix,
                                      const CompileOptions &options,
                                      llvm::StringRef buffers,
                                      llvm::StringRef entryPoints);
/// Adds a target's entry to the --report files the pipeline wrote: `key`
/// = `value` in each JSON one, `html` before </body> in each HTML one.
llvm::LogicalResult addToReports(llvm::ArrayRef<std::string> reports,
                                 llvm::StringRef key, llvm::json::Value value,
                                 llvm::StringRef html, mlir::Location loc);
/// Links `obj` into the shared library `so` with the C compiler mnemo was
/// built with; `libs` are extra linker arguments, `mpi` links through mpicc.
llvm::LogicalResult linkShared(llvm::StringRef obj, llvm::StringRef so,
                               llvm::ArrayRef<std::string> libs, bool mpi,
                               mlir::Location loc);

} // namespace driver
} // namespace mnemo

#endif // MNEMO_LIB_DRIVER_BACKEND_H
