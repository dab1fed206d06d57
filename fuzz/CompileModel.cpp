//===- CompileModel.cpp - one model through the whole compile path --------===//

#include "CompileModel.h"

#include "mnemo/Driver/Compile.h"
#include "mnemo/Import/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

using namespace mnemo;

fuzz::Outcome fuzz::compileModel(llvm::StringRef bytes, llvm::StringRef outDir,
                                 std::string &firstError) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    registerCompilerDialects(*r);
    registerCompilerPasses();
    return r;
  }();
  mlir::MLIRContext ctx(*registry, mlir::MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  unsigned errors = 0;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    if (d.getSeverity() == mlir::DiagnosticSeverity::Error && errors++ == 0)
      firstError = formatDiagnostic(d);
    return mlir::success();
  });
  // No base folder: external data is rejected rather than read from disk.
  auto module = importOnnxBytes(bytes, "fuzz.onnx", /*baseDir=*/"", &ctx, {});
  bool ok = false;
  if (module) {
    CompileOptions opts;
    opts.name = "fuzz";
    opts.outDir = outDir.str();
    opts.emit = "llvm";
    // A bounded solve: the ILP's time limit is the slowest legitimate step.
    opts.ilpTimeLimit = 2.0;
    ok = succeeded(compile(*module, opts));
  }
  if (ok)
    return Outcome::Compiled;
  if (!errors)
    return Outcome::Silent;
  return module ? Outcome::Diagnosed : Outcome::ImportDiagnosed;
}
