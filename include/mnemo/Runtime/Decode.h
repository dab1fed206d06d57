//===- Decode.h - the greedy decode loop over a compiled step ---*- C++ -*-===//
//
// Drives a compiled decoder step token by token, the way a serving loop
// does (mnemo-run --decode-steps and mnemo.Artifact.decode). Nothing here
// prints: the result holds every step.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_RUNTIME_DECODE_H
#define MNEMO_RUNTIME_DECODE_H

#include "mnemo/Import/ONNX/TensorIO.h"
#include "mnemo/Runtime/Artifact.h"

#include <string>
#include <vector>

namespace mnemo {

struct DecodeOptions {
  unsigned steps = 0;
  double rtol = 1e-4, atol = 1e-5;
};

/// One step of the loop.
struct DecodeStep {
  int64_t position = 0;      // tokens in the KV state before the step
  int64_t token = -1;        // the step's greedy choice
  int64_t referenceToken = -1;
  bool comparedLogits = false; // else ids were compared
  double maxAbsErr = 0;        // logits against the reference
  bool ok = true;              // agrees with the reference
  int64_t kvBytesWritten = 0, referenceKvBytesWritten = -1;
  double ms = 0, referenceMs = -1;
  int64_t next = 0; // the token fed to the next step
};

struct DecodeResult {
  /// 0 match (or no reference), 1 mismatch or failed run, 2 bad inputs.
  int exitCode = 0;
  std::string error; // why the loop stopped early
  std::vector<DecodeStep> steps;
  bool logits = false; // the step has a logits output (else next_token)
  double medianMs = 0, referenceMedianMs = -1;
};

/// Runs `options.steps` greedy decode steps of `main` from the exported
/// inputs `initial` (token ids, mask, past K/V of some length): each
/// step's last-position argmax is the next token, the past grows by the
/// new tokens (present outputs fed back, or the caches updated in place at
/// the next position). With `reference`, the same steps run on it in
/// lockstep (fed the reference's tokens) and every step's logits must
/// agree within the tolerances.
DecodeResult runDecode(LoadedArtifact &main, LoadedArtifact *reference,
                       std::vector<HostTensor> initial,
                       const DecodeOptions &options);

/// The result as mnemo-run prints it: one line per step and a summary.
std::string formatDecode(const DecodeResult &result, bool haveReference);

} // namespace mnemo

#endif // MNEMO_RUNTIME_DECODE_H
