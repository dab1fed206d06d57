//===- MnemoModule.cpp - mnemo._mnemo: the driver library for Python ------===//
//
// The native half of the `mnemo` package: ONNX import and the ahead-of-
// time compile of lib/Driver, pass pipelines on MLIR text, and running
// artifacts through lib/Runtime/Artifact (mnemo-run's loader and decode
// loop), all in process. Options arrive already checked by the Python
// layer (mnemo/_options.py); diagnostics are collected, not printed, and a
// failure raises mnemo.CompileError (mnemo.RunError when running) with
// them.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Driver/Compile.h"
#include "mnemo/Import/ONNX/ImportONNX.h"
#include "mnemo/Runtime/Decode.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>

namespace py = pybind11;

namespace {

/// A context whose diagnostics are kept as text (`file:node: error: ...`).
struct Session {
  mlir::DialectRegistry registry;
  std::unique_ptr<mlir::MLIRContext> ctx;
  std::string diagnostics;
  std::vector<std::string> remarks; // the passes' reports, in order
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;

  Session() {
    mnemo::registerCompilerDialects(registry);
    ctx = std::make_unique<mlir::MLIRContext>(registry);
    ctx->loadAllAvailableDialects();
    handler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        ctx.get(), [this](mlir::Diagnostic &d) {
          if (d.getSeverity() == mlir::DiagnosticSeverity::Remark)
            remarks.push_back(d.str());
          else
            diagnostics += mnemo::formatDiagnostic(d);
          return mlir::success();
        });
  }
};

[[noreturn]] void raise(const char *kind, const std::string &msg) {
  py::object type = py::module_::import("mnemo._errors").attr(kind);
  PyErr_SetString(type.ptr(), msg.c_str());
  throw py::error_already_set();
}

[[noreturn]] void fail(const std::string &what, const Session &s) {
  std::string msg = what;
  if (!s.diagnostics.empty())
    msg += ":\n" + s.diagnostics;
  raise("CompileError", msg);
}

template <typename T> T get(const py::dict &o, const char *key, T fallback) {
  return o.contains(key) ? o[key].cast<T>() : fallback;
}

/// Imports with the import-time options of `o` (already validated).
mlir::OwningOpRef<mlir::ModuleOp> importModel(Session &s, py::bytes model,
                                              const std::string &name,
                                              const std::string &baseDir,
                                              const py::dict &o = {}) {
  std::string bytes = model;
  mnemo::ImportOptions iopts;
  iopts.maxLoopIterations = get<int64_t>(o, "max_loop_iterations", 0);
  std::string why;
  iopts.inputStructure = mnemo::inputStructureFromOptions(
      get<std::vector<std::string>>(o, "sequence_lengths", {}),
      get<std::vector<std::string>>(o, "absent_inputs", {}), why);
  if (!iopts.inputStructure)
    raise("CompileError", why);
  auto module = mnemo::importOnnxBytes(bytes, name, baseDir, s.ctx.get(), iopts);
  if (!module)
    fail("cannot import " + name, s);
  return module;
}

/// compile(model, name, base_dir, output_dir, options): writes the artifact
/// and returns the passes' reports (and any warnings) as lines; options
/// are CompileOptions' fields by their Python names, already validated.
std::vector<std::string> compileModel(py::bytes model, const std::string &name,
                  const std::string &baseDir, const std::string &outDir,
                  const py::dict &o) {
  Session s;
  auto module = importModel(s, model, name, baseDir, o);
  mnemo::CompileOptions opts;
  opts.name = get<std::string>(o, "c_name", "model");
  opts.weights = get<std::string>(o, "weights", opts.weights);
  opts.outDir = outDir;
  opts.target = get<std::string>(o, "target", opts.target);
  opts.cudaArch = get<std::string>(o, "cuda_arch", opts.cudaArch);
  opts.optLevel = get<unsigned>(o, "opt_level", opts.optLevel);
  opts.cpu = get<std::string>(o, "cpu", opts.cpu);
  opts.cpuFeatures = get<std::string>(o, "cpu_features", opts.cpuFeatures);
  opts.dims = get<std::vector<std::string>>(o, "dims", {});
  opts.planner = get<std::string>(o, "planner", opts.planner);
  opts.ilpTimeLimit = get<double>(o, "ilp_time_limit", opts.ilpTimeLimit);
  opts.operatorOrder = get<std::string>(o, "operator_order", opts.operatorOrder);
  opts.reports = get<std::vector<std::string>>(o, "reports", {});
  opts.sramBudget = get<int64_t>(o, "sram_budget", 0);
  opts.tileBudget = get<int64_t>(o, "tile_budget", 0);
  opts.debugInfo = get<bool>(o, "debug_info", false);
  opts.lowMemory = get<bool>(o, "low_memory", false);
  opts.blockChannels = get<bool>(o, "block_channels", opts.blockChannels);
  opts.winograd = get<bool>(o, "winograd", opts.winograd);
  opts.patchSchedule = get<bool>(o, "patch_schedule", false);
  opts.patches = get<int64_t>(o, "patches", 0);
  opts.patchCut = get<std::string>(o, "patch_cut", "");
  opts.maxRecompute = get<double>(o, "max_recompute", opts.maxRecompute);
  opts.maxNetworkRecompute =
      get<double>(o, "max_network_recompute", opts.maxNetworkRecompute);
  // mnemoc: naming a cut or a patch count asks for the schedule.
  opts.patchSchedule |= opts.patches > 0 || !opts.patchCut.empty();
  opts.featureSlice = get<bool>(o, "feature_slice", false);
  opts.maxSlices = get<int64_t>(o, "max_slices", opts.maxSlices);
  opts.tileForBudget = get<bool>(o, "tile_for_budget", false);
  opts.kvCache = get<std::string>(o, "kv_cache", "");
  opts.maxSeq = get<int64_t>(o, "max_seq", 0);
  opts.kvBlock = get<int64_t>(o, "kv_block", opts.kvBlock);
  opts.int8Group = get<int64_t>(o, "int8_group", opts.int8Group);
  opts.vocabParallel = get<int64_t>(o, "vocab_parallel", 0);
  opts.vocabRank = get<int64_t>(o, "vocab_rank", -1);
  opts.lmHeadOutput = get<std::string>(o, "lm_head_output", opts.lmHeadOutput);
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
  std::vector<std::string> log = s.remarks;
  if (!s.diagnostics.empty())
    log.push_back(s.diagnostics); // warnings
  return log;
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

/// run_pipeline(mlir_text, pipeline) -> text, as mnemo-opt would print it.
std::string runPipeline(const std::string &text, const std::string &pipeline) {
  Session s;
  std::string why;
  mlir::FailureOr<std::string> out;
  {
    py::gil_scoped_release release;
    out = mnemo::runPipeline(*s.ctx, text, pipeline, why);
  }
  if (failed(out))
    fail(why, s);
  return *out;
}

/// A loaded artifact (any target) called on caller-owned buffers.
class Runner {
public:
  Runner(const std::string &dir, const std::string &name) {
    std::string why;
    if (!mnemo::loadArtifact(dir, artifact, why, name))
      raise("RunError", artifact.noDevice ? "no device: " + why : why);
  }

  /// run(dims, inputs, outputs, workspace, shape_slots) -> (rc, shapes,
  /// device_ms): the buffers are used in place (no copies); the GIL is
  /// released for the call. Runs of an artifact whose device state is
  /// shared (CUDA staging, the PIM simulator) are serialized.
  py::tuple run(const std::vector<int64_t> &dims, const py::list &inputs,
                const py::list &outputs, const py::buffer &workspace,
                size_t shapeSlots) {
    std::vector<py::buffer_info> keep;
    std::vector<const void *> ins;
    std::vector<void *> outs;
    for (py::handle h : inputs) {
      keep.push_back(h.cast<py::buffer>().request());
      ins.push_back(keep.back().ptr);
    }
    for (py::handle h : outputs) {
      keep.push_back(h.cast<py::buffer>().request(/*writable=*/true));
      outs.push_back(keep.back().ptr);
    }
    py::buffer_info ws = workspace.request(/*writable=*/true);
    std::vector<int64_t> shapes(shapeSlots + 1);
    int rc;
    float ms;
    {
      py::gil_scoped_release release;
      std::unique_lock<std::mutex> lock(serial, std::defer_lock);
      if (!artifact.reentrant)
        lock.lock();
      rc = artifact.run(dims.data(), ins.data(), outs.data(), shapes.data(),
                        ws.ptr);
      ms = *artifact.deviceMs;
    }
    shapes.pop_back();
    return py::make_tuple(rc, shapes, artifact.cuda ? py::cast(ms) : py::none());
  }

  /// decode(inputs, steps, reference, rtol, atol): mnemo-run's greedy
  /// loop. `inputs` are (name, dtype, shape, bytes) tuples.
  py::dict decode(const py::list &inputs, unsigned steps, Runner *reference,
                  double rtol, double atol) {
    std::vector<mnemo::HostTensor> initial;
    for (py::handle h : inputs) {
      auto t = h.cast<py::tuple>();
      mnemo::HostTensor ht;
      ht.name = t[0].cast<std::string>();
      ht.dtype = t[1].cast<std::string>();
      ht.shape = t[2].cast<std::vector<int64_t>>();
      std::string bytes = t[3].cast<py::bytes>();
      ht.data.assign(bytes.begin(), bytes.end());
      initial.push_back(std::move(ht));
    }
    mnemo::DecodeOptions opts;
    opts.steps = steps;
    opts.rtol = rtol;
    opts.atol = atol;
    mnemo::DecodeResult r;
    {
      py::gil_scoped_release release;
      // The loop owns both artifacts' state while it runs (the reference
      // may be shared with other threads too).
      // std::lock takes both without a lock-order deadlock.
      std::unique_lock<std::mutex> own(serial, std::defer_lock), ref;
      if (reference && reference != this) {
        ref = std::unique_lock<std::mutex>(reference->serial, std::defer_lock);
        std::lock(own, ref);
      } else {
        own.lock();
      }
      r = mnemo::runDecode(artifact, reference ? &reference->artifact : nullptr,
                           std::move(initial), opts);
    }
    py::list stepList;
    for (const mnemo::DecodeStep &s : r.steps) {
      py::dict d;
      d["position"] = s.position;
      d["token"] = s.token;
      d["next"] = s.next;
      d["kv_bytes_written"] = s.kvBytesWritten;
      d["ms"] = s.ms;
      if (reference) {
        d["reference_token"] = s.referenceToken;
        d["ok"] = s.ok;
        if (s.comparedLogits)
          d["logits_max_abs_err"] = s.maxAbsErr;
        d["reference_ms"] = s.referenceMs;
        d["reference_kv_bytes_written"] = s.referenceKvBytesWritten;
      }
      stepList.append(d);
    }
    py::dict out;
    out["exit_code"] = r.exitCode;
    out["error"] = r.error;
    out["steps"] = stepList;
    out["median_ms"] = r.medianMs;
    out["text"] = mnemo::formatDecode(r, reference != nullptr);
    return out;
  }

  std::string target() const { return artifact.sig.target.kind; }
  bool reentrant() const { return artifact.reentrant; }

private:
  mnemo::LoadedArtifact artifact;
  std::mutex serial;
};

} // namespace

PYBIND11_MODULE(_mnemo, m) {
  m.doc() = "mnemo's driver library (import and compile), in process";
  m.def("compile", &compileModel, py::arg("model"), py::arg("name"),
        py::arg("base_dir"), py::arg("output_dir"), py::arg("options"));
  m.def("import_onnx", &importOnnx, py::arg("model"), py::arg("name"),
        py::arg("base_dir"));
  m.def("run_pipeline", &runPipeline, py::arg("mlir_text"), py::arg("pipeline"));
  py::class_<Runner>(m, "Runner")
      .def(py::init<const std::string &, const std::string &>(),
           py::arg("directory"), py::arg("name"))
      .def("run", &Runner::run)
      .def("decode", &Runner::decode, py::arg("inputs"), py::arg("steps"),
           py::arg("reference").none(true), py::arg("rtol"), py::arg("atol"))
      .def_property_readonly("target", &Runner::target)
      .def_property_readonly("reentrant", &Runner::reentrant);
}
