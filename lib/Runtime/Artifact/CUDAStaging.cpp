//===- CUDAStaging.cpp - running a CUDA artifact on host tensors ----------===//

#include "mnemo/Runtime/Artifact.h"
#include "mnemo/Import/ONNX/TensorIO.h"

#include "mnemo/Runtime/CUDARuntime.h"

#include <dlfcn.h>

#include <map>
#include <memory>

using namespace llvm;
using namespace mnemo;

namespace {

typedef int (*RunDimsStreamFn)(const int64_t *, const void *const *,
                               void *const *, int64_t *, void *, void *);

/// Device copies of one artifact's buffers, grown as needed.
struct Staging {
  ArtifactSignature sig;
  RunDimsStreamFn run = nullptr;
  CudaRunBuffers dev;
  std::vector<size_t> inputBytes, outputBytes;
  size_t workspaceHave = 0;
  std::shared_ptr<float> deviceMs;

  /// A device buffer of at least `bytes` in `slot`.
  static bool reserve(void *&slot, size_t &have, size_t bytes) {
    if (slot && have >= bytes)
      return true;
    mnemo_cuda_free(slot);
    slot = mnemo_cuda_malloc(bytes);
    have = bytes;
    return slot != nullptr;
  }

  /// Bytes of `t` with the run's symbolic dims.
  int64_t bytesOf(const TensorSignature &t, const int64_t *dims) const {
    int64_t n = (int64_t)dtypeBytes(t.dtype);
    for (size_t d = 0; d < t.shape.size(); ++d) {
      int64_t v = t.shape[d];
      for (size_t k = 0; v < 0 && k < sig.dims.size(); ++k)
        if (sig.dims[k].name == t.dimNames[d])
          v = dims ? dims[k] : sig.dims[k].hi;
      n *= std::max<int64_t>(v, 0);
    }
    return n;
  }

  int operator()(const int64_t *dims, const void *const *hostIn,
                 void *const *hostOut, int64_t *shapes, void *) {
    size_t nIn = sig.inputs.size(), nOut = sig.outputs.size();
    dev.inputs.resize(nIn, nullptr);
    inputBytes.resize(nIn, 0);
    dev.outputs.resize(nOut, nullptr);
    outputBytes.resize(nOut, 0);
    for (size_t i = 0; i < nIn; ++i) {
      int64_t bytes = bytesOf(sig.inputs[i], dims);
      if (!reserve(dev.inputs[i], inputBytes[i], std::max<int64_t>(bytes, 1)) ||
          mnemo_cuda_copy_to_device(dev.inputs[i], hostIn[i], bytes))
        return MNEMO_CUDA_FAILED;
    }
    for (size_t j = 0; j < nOut; ++j)
      if (!reserve(dev.outputs[j], outputBytes[j],
                   std::max<int64_t>(sig.outputs[j].maxBytes, 1)))
        return MNEMO_CUDA_FAILED;
    if (!reserve(dev.workspace, workspaceHave,
                 std::max<int64_t>(sig.workspaceBytes, 64)))
      return MNEMO_CUDA_FAILED;
    if (!dev.stream && !(dev.stream = mnemo_cuda_stream_create()))
      return MNEMO_CUDA_FAILED;
    size_t slots = 0;
    for (const TensorSignature &t : sig.outputs)
      slots += t.shape.size();
    std::vector<int64_t> outShapes(slots + 1);
    int rc = 0;
    struct Call {
      Staging *s;
      const int64_t *dims;
      int64_t *shapes;
      int rc;
    } call{this, dims, outShapes.data(), 0};
    // The run queues on our stream; the events on it bracket exactly its
    // kernels and copies, and waiting for the second one ends the run.
    float ms = mnemo_cuda_time(
        [](void *arg) {
          auto *c = static_cast<Call *>(arg);
          c->rc = c->s->run(c->dims, c->s->dev.inputs.data(),
                            c->s->dev.outputs.data(), c->shapes,
                            c->s->dev.workspace, c->s->dev.stream);
        },
        &call, dev.stream);
    rc = call.rc;
    if (deviceMs)
      *deviceMs = ms;
    if (rc != 0)
      return rc;
    if (ms < 0)
      return MNEMO_CUDA_FAILED;
    // Outputs come back at their run-time shapes.
    size_t slot = 0;
    for (size_t j = 0; j < nOut; ++j) {
      int64_t n = (int64_t)dtypeBytes(sig.outputs[j].dtype);
      for (size_t d = 0; d < sig.outputs[j].shape.size(); ++d)
        n *= outShapes[slot++];
      if (mnemo_cuda_copy_to_host(hostOut[j], dev.outputs[j], n))
        return MNEMO_CUDA_FAILED;
    }
    if (shapes)
      std::copy(outShapes.begin(), outShapes.begin() + slots, shapes);
    return 0;
  }
};

} // namespace

bool mnemo::stageCUDAArtifact(void *lib, LoadedArtifact &out,
                              std::string &why) {
  auto fn = (RunDimsStreamFn)dlsym(lib, (out.sig.name + "_run_dims_stream").c_str());
  if (!fn) {
    why = "lib" + out.sig.name + ".so has no " + out.sig.name +
          "_run_dims_stream";
    return false;
  }
  if (mnemo_cuda_begin(nullptr) != 0 || mnemo_cuda_end() != 0) {
    why = "cannot run the CUDA artifact " + out.dir + ": " +
          mnemo_cuda_last_error();
    out.noDevice = true;
    return false;
  }
  out.reentrant = false; // one set of device buffers
  auto staging = std::make_shared<Staging>();
  staging->sig = out.sig;
  staging->run = fn;
  staging->deviceMs = out.deviceMs;
  out.run = [staging](const int64_t *dims, const void *const *in,
                      void *const *outs, int64_t *shapes, void *ws) {
    return (*staging)(dims, in, outs, shapes, ws);
  };
  return true;
}
