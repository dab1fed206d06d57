//===- ImportTest.cpp - ONNX importer unit tests --------------------------===//

#include "mnemo/Import/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

#include <random>

using namespace mlir;

namespace {
/// Random and truncated byte strings must be rejected with a diagnostic and
/// never crash: the same property the libFuzzer target explores at length.
TEST(ImportONNX, RejectsGarbageWithoutCrashing) {
  DialectRegistry registry;
  mnemo::registerImportDialects(registry);
  MLIRContext ctx(registry);
  unsigned errors = 0;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &) {
    ++errors;
    return success();
  });
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(rng() % 256, '\0');
    for (char &c : bytes)
      c = (char)(rng() & 0xff);
    auto module = mnemo::importOnnxBytes(bytes, "fuzz.onnx", "", &ctx, {});
    // Tiny inputs may parse as an empty ModelProto: that is an error too
    // (no graph), so no random input yields a module.
    EXPECT_FALSE(module) << "input " << i;
  }
  EXPECT_GE(errors, 200u);
}
} // namespace
