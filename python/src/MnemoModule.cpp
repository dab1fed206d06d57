//===- MnemoModule.cpp - mnemo._mnemo: the driver library for Python ------===//
//
// The native half of the `mnemo` package: ONNX import and the ahead-of-
// time compile of lib/Driver, in process. Options arrive already checked
// by the Python layer (mnemo/_options.py); diagnostics are collected, not
// printed, and a failure raises mnemo.CompileError with them.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Driver/Compile.h"
#include "mnemo/Import/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace {

/// A context whose diagnostics are kept as text (`file:node: error: ...`).
struct Session {
  mlir::DialectRegistry registry;
  std::unique_ptr<mlir::MLIRContext> ctx;
  std::string diagnostics;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;

  Session() {
    mnemo::registerCompilerDialects(registry);
    ctx = std::make_unique<mlir::MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
    handler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        ctx.get(), [this](mlir::Diagnostic &d) {
          diagnostics += mnemo::formatDiagnostic(d);
          return mlir::success();
        });
  }
};

py::object compileError() {
  return py::module_::import("mnemo._errors").attr("CompileError");
}

[[noreturn]] void fail(const std::string &what, const Session &s) {
  std::string msg = what;
  if (!s.diagnostics.empty())
    msg += ":\n" + s.diagnostics;
  PyErr_SetString(compileError().ptr(), msg.c_str());
  throw py::error_already_set();
}

mlir::OwningOpRef<mlir::ModuleOp> importModel(Session &s, py::bytes model,
                                              const std::string &name,
                                              const std::string &baseDir) {
  std::string bytes = model;
  mnemo::ImportOptions iopts;
  auto module = mnemo::importOnnxBytes(bytes, name, baseDir, s.ctx.get(), iopts);
  if (!module)
    fail("cannot import " + name, s);
  return module;
}

template <typename T> T get(const py::dict &o, const char *key, T fallback) {
  return o.contains(key) ? o[key].cast<T>() : fallback;
}

/// compile(model, name, base_dir, output_dir, options): writes the artifact
/// and returns nothing; options are CompileOptions' fields by their Python
/// names, already validated.
void compileModel(py::bytes model, const std::string &name,
                  const std::string &baseDir, const std::string &outDir,
                  const py::dict &o) {
  Session s;
  auto module = importModel(s, model, name, baseDir);
  mnemo::CompileOptions opts;
  opts.name = get<std::string>(o, "c_name", "model");
  opts.outDir = outDir;
  opts.target = get<std::string>(o, "target", opts.target);
  opts.cudaArch = get<std::string>(o, "cuda_arch", opts.cudaArch);
  opts.optLevel = get<unsigned>(o, "opt_level", opts.optLevel);
  opts.cpu = get<std::string>(o, "cpu", opts.cpu);
  opts.cpuFeatures = get<std::string>(o, "cpu_features", opts.cpuFeatures);
  opts.dims = get<std::vector<std::string>>(o, "dims", {});
  opts.planner = get<std::string>(o, "planner", opts.planner);
  opts.ilpTimeLimit = get<double>(o, "ilp_time_limit", opts.ilpTimeLimit);
  opts.reports = get<std::vector<std::string>>(o, "reports", {});
  opts.sramBudget = get<int64_t>(o, "sram_budget", 0);
  opts.tileBudget = get<int64_t>(o, "tile_budget", 0);
  opts.lowMemory = get<bool>(o, "low_memory", false);
  opts.patchSchedule = get<bool>(o, "patch_schedule", false);
  opts.patches = get<int64_t>(o, "patches", 0);
  opts.featureSlice = get<bool>(o, "feature_slice", false);
  opts.tileForBudget = get<bool>(o, "tile_for_budget", false);
  opts.kvCache = get<std::string>(o, "kv_cache", "");
  opts.maxSeq = get<int64_t>(o, "max_seq", 0);
  opts.vocabParallel = get<int64_t>(o, "vocab_parallel", 0);
  opts.pimDevice = get<std::string>(o, "pim_device", "");
  opts.pimOps = get<std::vector<std::string>>(o, "pim_ops", {});
  opts.hostOps = get<std::vector<std::string>>(o, "host_ops", {});
  bool ok;
  {
    // The compile does not touch Python objects: other threads run.
    py::gil_scoped_release release;
    ok = succeeded(mnemo::compile(*module, opts));
  }
  if (!ok)
    fail("cannot compile " + name, s);
}

std::string importOnnx(py::bytes model, const std::string &name,
                       const std::string &baseDir) {
  Session s;
  auto module = importModel(s, model, name, baseDir);
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return text;
}

} // namespace

PYBIND11_MODULE(_mnemo, m) {
  m.doc() = "mnemo's driver library (import and compile), in process";
  m.def("compile", &compileModel, py::arg("model"), py::arg("name"),
        py::arg("base_dir"), py::arg("output_dir"), py::arg("options"));
  m.def("import_onnx", &importOnnx, py::arg("model"), py::arg("name"),
        py::arg("base_dir"));
}
