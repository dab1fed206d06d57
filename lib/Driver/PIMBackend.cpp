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
#include "mnemo/Target/PIM/Device.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

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
    if (!options.reports.empty() && failed(addDeviceToReports(module.getLoc())))
      return failure();
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

  /// The --report files get a "pim" entry: the device, the bank rows the
  /// weights take, each program's modelled time per activation row.
  LogicalResult addDeviceToReports(Location loc) {
    SmallString<256> path(options.outDir);
    llvm::sys::path::append(path, "pim", "pim.json");
    auto buf = llvm::MemoryBuffer::getFile(path);
    if (!buf)
      return emitError(loc) << "cannot read " << path;
    llvm::Expected<llvm::json::Value> v = llvm::json::parse((*buf)->getBuffer());
    if (!v)
      return emitError(loc) << path << ": " << llvm::toString(v.takeError());
    llvm::json::Object *root = v->getAsObject();
    llvm::Expected<pim::Device> dev = pim::parseDevice(*root->getString("device"));
    if (!dev)
      return emitError(loc) << llvm::toString(dev.takeError());
    int64_t rows = 0, cycles = 0;
    std::string html;
    llvm::raw_string_ostream hs(html);
    hs << "<h2>PIM device</h2>\n<p>" << root->getString("device")->str()
       << "</p>\n<table><tr><th>program</th><th>ONNX node</th><th>K</th>"
          "<th>N</th><th>bank rows</th><th>cycles per row</th><th>us per "
          "row</th></tr>\n";
    for (const llvm::json::Value &p : *root->getArray("programs")) {
      const llvm::json::Object *o = p.getAsObject();
      int64_t r = o->getInteger("rows").value_or(0);
      int64_t c = o->getInteger("cycles_per_row").value_or(0);
      rows += r;
      cycles += c;
      hs << "<tr><td>" << o->getString("name").value_or("") << "</td><td>"
         << o->getString("node").value_or("") << "</td><td>"
         << o->getInteger("k").value_or(0) << "</td><td>"
         << o->getInteger("n").value_or(0) << "</td><td>" << r << "</td><td>"
         << c << "</td><td>" << llvm::format("%.3f", c * dev->tCKps * 1e-6)
         << "</td></tr>\n";
    }
    hs << "</table>\n";
    int64_t imageBytes = rows * dev->rowBytes * dev->banks() * dev->channels;
    hs << "<p>" << rows << " of " << dev->rows << " rows per bank ("
       << imageBytes << " bytes of weights in bf16); one activation row "
       << "through every program: " << cycles << " cycles, "
       << llvm::format("%.3f", cycles * dev->tCKps * 1e-6) << " us modelled</p>\n";
    (*root)["bank_rows_used"] = rows;
    (*root)["bank_rows"] = dev->rows;
    (*root)["weight_image_bytes"] = imageBytes;
    (*root)["cycles_per_row"] = cycles;
    (*root)["seconds_per_row"] = cycles * dev->tCKps * 1e-12;
    return driver::addToReports(options.reports, "pim", std::move(*root), html, loc);
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
      "    struct mnemo_pim_memref1d *bias, struct mnemo_pim_memref2d *y);\n"
      "/* Attention against KV cache `id` held in the device (pim.json's\n"
      "   kv_caches; with --kv-cache=head-major): appends new_row [1, H, 1, D]\n"
      "   at *position, then y = x K^T (keys: x [1, H, 1, D], y [1, H, 1,\n"
      "   position + 1]) or y = x V (values: x [1, H, 1, position + 1], y [1,\n"
      "   H, 1, D]). cache is the host's cache input, read for the tokens the\n"
      "   device does not hold yet (the prompt's). */\n"
      "struct mnemo_pim_memref4d { float *allocated, *aligned; int64_t offset,\n"
      "    sizes[4], strides[4]; };\n"
      "struct mnemo_pim_memref1d_i64 { int64_t *allocated, *aligned; int64_t offset,\n"
      "    sizes[1], strides[1]; };\n"
      "void _mlir_ciface_mnemo_pim_kv_attend(int64_t id, struct mnemo_pim_memref4d *x,\n"
      "    struct mnemo_pim_memref4d *new_row, struct mnemo_pim_memref1d_i64 *position,\n"
      "    struct mnemo_pim_memref4d *cache, struct mnemo_pim_memref4d *y);\n\n";

private:
  const CompileOptions &options;
  std::unique_ptr<driver::TargetBackend> host;
};

} // namespace

std::unique_ptr<driver::TargetBackend>
driver::createPIMBackend(const CompileOptions &options) {
  return std::make_unique<PIMBackend>(options);
}
