//===- Artifact.cpp - loading a mnemoc output directory -------------------===//
//
// One loader for every target: the signature (<name>.json), the CPU-feature
// check, the target's run-time hooks, then lib<name>.so and its entry.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Runtime/Artifact.h"
#include "mnemo/Runtime/PIMRuntime.h"
#include "mnemo/Support/RunStatus.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/// --weights=file: maps the weights file read-only and hands it to
/// <name>_set_weights; the mapping lives as long as `out`.
static bool mapWeights(const std::string &dir, void *lib, LoadedArtifact &out,
                       std::string &why) {
  SmallString<256> path(dir);
  sys::path::append(path, out.sig.weightsFile);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    why = "cannot open the weights file " + std::string(path) + ": " +
          std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return false;
  }
  if (st.st_size != out.sig.weightsBytes) {
    ::close(fd);
    why = std::string(path) + " has " + std::to_string(st.st_size) +
          " bytes, the artifact expects " +
          std::to_string(out.sig.weightsBytes);
    return false;
  }
  size_t bytes = st.st_size;
  void *data = ::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) {
    why = "cannot map " + std::string(path) + ": " + std::strerror(errno);
    return false;
  }
  out.weights = std::shared_ptr<void>(data, [bytes](void *p) {
    ::munmap(p, bytes);
  });
  typedef int (*SetWeights)(const void *, size_t);
  auto set = (SetWeights)dlsym(lib, (out.sig.name + "_set_weights").c_str());
  if (!set) {
    why = "the artifact has no " + out.sig.name + "_set_weights";
    return false;
  }
  if (int rc = set(data, bytes)) {
    why = std::string(path) + ": " + out.sig.name + "_set_weights returned " +
          std::to_string(rc) + " (" +
          (rc == kStatusBadWeights ? "not this artifact's weights file"
                                   : "no data") +
          ")";
    return false;
  }
  return true;
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
  return out.sig.weightsBytes == 0 || mapWeights(dir, lib, out, why);
}
