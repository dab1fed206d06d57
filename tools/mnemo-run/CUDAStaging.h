//===- CUDAStaging.h - running a CUDA artifact on host tensors --*- C++ -*-===//

#ifndef MNEMO_TOOLS_MNEMO_RUN_CUDASTAGING_H
#define MNEMO_TOOLS_MNEMO_RUN_CUDASTAGING_H

#include "Decode.h"

namespace mnemo {

/// mnemo-run's exit code when a CUDA artifact cannot run here (no driver
/// or device): tests count it as skipped, never as passed.
constexpr int kExitNoDevice = 77;

/// Makes `out.run` take host buffers for a CUDA artifact: inputs are
/// copied to device memory, `<name>_run_dims` runs, outputs come back.
/// Device buffers are kept for later calls. `out.deviceMs` receives each
/// run's device time (CUDA events). False, with `out.noDevice` set and the
/// reason printed, where no CUDA device can be used.
bool stageCUDAArtifact(void *lib, LoadedArtifact &out);

} // namespace mnemo

#endif // MNEMO_TOOLS_MNEMO_RUN_CUDASTAGING_H
