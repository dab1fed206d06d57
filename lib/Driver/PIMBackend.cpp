//===- PIMBackend.cpp - the PIM target: host library + device part --------===//
//
// A PIM artifact is the CPU artifact of the host's share of the model (the
// GEMVs replaced by calls of the device interface, mnemo_pim_gemv) plus
// the device's share under OUT/pim/: one AiM program per GEMV (trace text
// and binary), the weight image and pim.json (docs/pim.md). The partition,
// mapping and program passes run right after the shared front half.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include "mnemo/Pipelines/Pipelines.h"
#include "mnemo/Target/PIM/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace mnemo;

namespace {

class PIMBackend : public driver::TargetBackend {
public:
  explicit PIMBackend(const CompileOptions &options)
      : options(options), host(driver::createCPUBackend(options)) {}

  LogicalResult describe(TargetSignature &sig, Location loc) override {
    if (failed(host->describe(sig, loc)))
      return failure();
    sig.kind = "pim"; // host code as for --target=cpu, plus OUT/pim/
    return success();
  }

  void buildPipeline(OpPassManager &pm) override {
    PIMPipelineOptions device;
    device.device = options.pimDevice;
    device.pimOps = options.pimOps;
    device.hostOps = options.hostOps;
    device.print = true;
    buildPIMDevicePipeline(pm, device);
    PIMLowerToHostPassOptions lower;
    if (options.emit == "so" || options.emit == "obj")
      lower.artifactDir = options.outDir;
    pm.addPass(createPIMLowerToHostPass(lower));
    host->buildPipeline(pm);
  }

  LogicalResult writeArtifact(ModuleOp module, const ArtifactSignature &sig,
                              StringRef base) override {
    return host->writeArtifact(module, sig, base);
  }

private:
  const CompileOptions &options;
  std::unique_ptr<driver::TargetBackend> host;
};

} // namespace

std::unique_ptr<driver::TargetBackend>
driver::createPIMBackend(const CompileOptions &options) {
  return std::make_unique<PIMBackend>(options);
}
