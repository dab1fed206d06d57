//===- import_onnx_fuzzer.cpp - libFuzzer target for the ONNX importer ----===//
//
// Feeds arbitrary bytes to the importer. The property: it returns a verified
// module or null with diagnostics, and never crashes, hangs or trips ASan.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Import/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    mnemo::registerImportDialects(*r);
    return r;
  }();
  mlir::MLIRContext ctx(*registry, mlir::MLIRContext::Threading::DISABLED);
  mlir::ScopedDiagnosticHandler quiet(
      &ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  // No base folder: external data is rejected rather than read from disk.
  (void)mnemo::importOnnxBytes(
      llvm::StringRef(reinterpret_cast<const char *>(data), size),
      "fuzz.onnx", /*baseDir=*/"", &ctx, {});
  return 0;
}
