//===- Artifact.cpp - loading a mnemoc output directory -------------------===//
//
// One loader for every target: the signature (<name>.json), the CPU-feature
// check, the target's run-time hooks, then lib<name>.so and its entry.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Runtime/Artifact.h"
#include "mnemo/Runtime/PIMRuntime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <dlfcn.h>

using namespace llvm;
using namespace mnemo;

extern "C" void _mlir_ciface_mnemo_pim_gemv();

/// A PIM artifact's library resolves `_mlir_ciface_mnemo_pim_*` in the
/// global scope. mnemo-run exports them from the executable; a module
/// loaded with RTLD_LOCAL (Python's extension modules) is promoted to the
/// global scope here, once, before the artifact is opened.
static void exportPIMHooks() {
  Dl_info info;
  if (!dladdr((void *)&_mlir_ciface_mnemo_pim_gemv, &info) || !info.dli_fname)
    return;
  // The executable itself is already global; this only matters for a
  // shared object, and failing to reopen one leaves dlopen to report the
  // missing symbol.
  dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

bool mnemo::loadArtifact(const std::string &dir, LoadedArtifact &out,
                         std::string &why, const std::string &name) {
  out.dir = dir;
  std::error_code ec;
  bool found = false;
  // The signature is the .json that reads as one (memory reports may sit
  // in the same folder), beside lib<name>.so.
  for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec && !found;
       it.increment(ec)) {
    StringRef path = it->path();
    if (!path.ends_with(".json") ||
        (!name.empty() && sys::path::stem(path) != name))
      continue;
    std::string ignored;
    auto s = readSignature(path, ignored);
    if (succeeded(s)) {
      out.sig = *s;
      found = true;
    }
  }
  if (ec) {
    why = "cannot read " + dir + ": " + ec.message();
    return false;
  }
  if (!found) {
    why = "no artifact signature (" + (name.empty() ? "<name>" : name) +
          ".json) in " + dir;
    return false;
  }
  // Refuse before running code the CPU cannot execute (the entry point
  // would return 4; an artifact from before that check would SIGILL).
  if (!hostCanRun(out.sig, why)) {
    why = dir + ": " + why;
    return false;
  }
  // A PIM artifact's host library calls its device through this process's
  // _mlir_ciface_mnemo_pim_gemv, run on the simulator.
  if (out.sig.target.kind == "pim") {
    if (Error e = pim::loadPIMRuntime(dir)) {
      why = dir + ": " + toString(std::move(e));
      return false;
    }
    exportPIMHooks();
    out.reentrant = false; // one simulated device
  }
  SmallString<256> so(dir);
  sys::path::append(so, "lib" + out.sig.name + ".so");
  void *lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    why = dlerror();
    return false;
  }
  if (out.sig.target.kind == "cuda") {
    out.cuda = true;
    return stageCUDAArtifact(lib, out, why);
  }
  typedef int (*RunDims)(const int64_t *, const void *const *, void *const *,
                         int64_t *, void *);
  out.run = (RunDims)dlsym(lib, (out.sig.name + "_run_dims").c_str());
  if (!out.run) {
    why = std::string(so) + " has no " + out.sig.name + "_run_dims";
    return false;
  }
  return true;
}
