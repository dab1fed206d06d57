//===- Artifact.h - loading and running a compiled artifact -----*- C++ -*-===//
//
// The run-time half shared by mnemo-run and the Python package: load a
// mnemoc output directory (signature, shared library, the target's run-time
// hooks) and call its `<name>_run_dims` on host buffers, whatever the
// target (CPU in place; CUDA staged through device memory; PIM on the
// simulator). Nothing here prints: failures come back as text.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_RUNTIME_ARTIFACT_H
#define MNEMO_RUNTIME_ARTIFACT_H

#include "mnemo/Driver/Compile.h"

#include <functional>
#include <memory>
#include <string>

namespace mnemo {

/// mnemo-run's exit code when a CUDA artifact cannot run here (no driver
/// or device): tests count it as skipped, never as passed.
constexpr int kExitNoDevice = 77;

/// `<name>_run_dims` on host buffers (for a CUDA artifact, staged through
/// device memory).
using RunDimsFn = std::function<int(const int64_t *, const void *const *,
                                    void *const *, int64_t *, void *)>;

/// A compiled model loaded from a mnemoc output directory.
struct LoadedArtifact {
  std::string dir;
  ArtifactSignature sig;
  RunDimsFn run;
  bool cuda = false;     // runs on a GPU; deviceMs times each run
  bool noDevice = false; // a CUDA artifact on a machine without a GPU
  /// Calls may overlap (a CPU artifact with one workspace per call). A
  /// CUDA artifact's staging buffers and the PIM simulator are shared, so
  /// their callers serialize runs.
  bool reentrant = true;
  /// --weights=file: the mapped weights file (unmapped with the last copy).
  std::shared_ptr<void> weights;
  /// The last run's device time (CUDA events); -1 before one.
  std::shared_ptr<float> deviceMs = std::make_shared<float>(-1.0f);
};

/// Loads `dir`'s signature and shared library. On failure returns false
/// with the reason in `why` (and `noDevice` set where a CUDA artifact finds
/// no GPU). `name` picks one artifact where the folder holds several.
bool loadArtifact(const std::string &dir, LoadedArtifact &out,
                  std::string &why, const std::string &name = "");

/// Makes `out.run` take host buffers for a CUDA artifact: inputs are
/// copied to device memory, `<name>_run_dims` runs, outputs come back.
/// Device buffers are kept for later calls. False, with `out.noDevice` set
/// where no CUDA device can be used.
bool stageCUDAArtifact(void *lib, LoadedArtifact &out, std::string &why);

} // namespace mnemo

#endif // MNEMO_RUNTIME_ARTIFACT_H
