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
#include "llvm/Support/MemoryBuffer.h"

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
    if (failed(host->writeArtifact(module, sig, base)))
      return failure();
    if (options.emit == "llvm")
      return success();
    // The header also declares what the host process must supply.
    std::string header = base.str() + ".h";
    auto text = llvm::MemoryBuffer::getFile(header);
    if (!text)
      return emitError(module.getLoc()) << "cannot read " << header;
    std::string h = (*text)->getBuffer().str();
    size_t at = h.rfind("#ifdef __cplusplus\n}");
    if (at == std::string::npos)
      return emitError(module.getLoc()) << "unexpected header layout in " << header;
    h.insert(at, kDeviceInterface);
    return driver::writeFile(header, h, module.getLoc());
  }

  static constexpr const char *kDeviceInterface =
      "/* PIM device interface: the library calls this for each GEMV on the\n"
      "   device (OUT/pim/pim.json lists them by id). The hosting process\n"
      "   supplies it; mnemo's runtime (lib/Runtime/PIM) runs the program on\n"
      "   its simulator. x [R, K], bias [N] or empty, y [R, N]: f32 memref\n"
      "   descriptors { allocated, aligned, offset, sizes[], strides[] }. */\n"
      "struct mnemo_pim_memref2d { float *allocated, *aligned; int64_t offset,\n"
      "    sizes[2], strides[2]; };\n"
      "struct mnemo_pim_memref1d { float *allocated, *aligned; int64_t offset,\n"
      "    sizes[1], strides[1]; };\n"
      "void _mlir_ciface_mnemo_pim_gemv(int64_t id, struct mnemo_pim_memref2d *x,\n"
      "    struct mnemo_pim_memref1d *bias, struct mnemo_pim_memref2d *y);\n\n";

private:
  const CompileOptions &options;
  std::unique_ptr<driver::TargetBackend> host;
};

} // namespace

std::unique_ptr<driver::TargetBackend>
driver::createPIMBackend(const CompileOptions &options) {
  return std::make_unique<PIMBackend>(options);
}
