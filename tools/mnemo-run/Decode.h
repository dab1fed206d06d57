//===- Decode.h - mnemo-run's greedy decode loop ----------------*- C++ -*-===//

#ifndef MNEMO_TOOLS_MNEMO_RUN_DECODE_H
#define MNEMO_TOOLS_MNEMO_RUN_DECODE_H

#include "mnemo/Driver/Compile.h"
#include "mnemo/Import/ONNX/TensorIO.h"

#include <functional>
#include <string>
#include <vector>

namespace mnemo {

/// `<name>_run_dims` on host buffers (for a CUDA artifact, staged through
/// device memory: CUDAStaging.h).
using RunDimsFn = std::function<int(const int64_t *, const void *const *,
                                    void *const *, int64_t *, void *)>;

/// A compiled step loaded from a mnemoc output directory.
struct LoadedArtifact {
  std::string dir;
  ArtifactSignature sig;
  RunDimsFn run;
  bool cuda = false;     // runs on a GPU; deviceMs times each run
  bool noDevice = false; // a CUDA artifact on a machine without a GPU
  float deviceMs = -1;
};

/// Loads `dir`'s signature and shared library (every mnemo-run mode uses
/// it); prints why on failure (with `noDevice` set where a CUDA artifact
/// finds no GPU).
bool loadArtifact(const std::string &dir, LoadedArtifact &out);

struct DecodeOptions {
  unsigned steps = 0;
  double rtol = 1e-4, atol = 1e-5;
  bool quiet = false;
};

/// Runs `steps` greedy decode steps of `main` from the exported inputs
/// `initial` (token ids, mask, past K/V of some length): each step's
/// last-position argmax is the next token, the past grows by the new
/// tokens (present outputs fed back, or the caches updated in place at the
/// next position). With `reference`, the same steps run on it in lockstep
/// (fed the reference's tokens) and every step's logits must agree within
/// the tolerances. Prints per step the token, the logits error, the bytes
/// each step wrote into its KV state and the latency. Returns the exit
/// code: 0 match, 1 mismatch or failed run, 2 bad inputs.
int runDecode(LoadedArtifact &main, LoadedArtifact *reference,
              std::vector<HostTensor> initial, const DecodeOptions &options);

} // namespace mnemo

#endif // MNEMO_TOOLS_MNEMO_RUN_DECODE_H
