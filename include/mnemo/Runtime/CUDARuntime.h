/*===- CUDARuntime.h - what CUDA artifacts and mnemo-run call -----*- C -*-===*
 *
 * libmnemo_cuda_runtime.so implements, on the CUDA driver API loaded with
 * dlopen("libcuda.so.1"):
 *  - the mgpu* functions MLIR's gpu-to-llvm lowering emits calls to (the
 *    signatures of mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp, which
 *    Debian does not ship);
 *  - the calls an artifact's entry points make around a run (begin/end);
 *  - device memory, copies and timing for hosts such as mnemo-run.
 *
 * Nothing touches the driver before the first mnemo_cuda_begin (module
 * loads from the artifact's constructors are recorded and done lazily), so
 * an artifact links and loads on a machine without a GPU or a driver and
 * its entry points return MNEMO_CUDA_NO_DEVICE there with a message from
 * mnemo_cuda_last_error().
 *
 *===----------------------------------------------------------------------===*/

#ifndef MNEMO_RUNTIME_CUDARUNTIME_H
#define MNEMO_RUNTIME_CUDARUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of a CUDA artifact's _run entry points (the CPU ones use
   2, 3 and 4). */
enum {
  MNEMO_CUDA_NO_DEVICE = 5, /* no driver, no device, or no context */
  MNEMO_CUDA_FAILED = 6,    /* a driver call failed during the run */
};

/* Makes the primary context of device 0 current on this thread and sets
   the stream the run's kernels go to (NULL: a stream of the runtime's
   own, synchronized before _run returns). 0 or MNEMO_CUDA_NO_DEVICE. */
int mnemo_cuda_begin(void *stream);
/* Ends a run: waits for the runtime's own stream (not a caller's) and
   returns 0, or MNEMO_CUDA_FAILED if a driver call failed since begin. */
int mnemo_cuda_end(void);
/* The device copy of `bytes` of constant host data (a model's weights):
   copied on the first call for `host`, the same pointer on later ones,
   for the life of the process. NULL (and the error recorded) on failure. */
void *mnemo_cuda_constant(const void *host, size_t bytes);
/* `bytes` (at most 8) of device memory at `src`, once the run's stream has
   done its work so far, as the low bytes of the result (little-endian):
   a value the host code needs (an output's size counted on the device, a
   branch's condition, a loop's count). 0 after an error. */
uint64_t mnemo_cuda_read(const void *src, uint64_t bytes);
/* The first error of this thread since the last begin ("" if none). */
const char *mnemo_cuda_last_error(void);
/* The device's name and compute capability (major * 10 + minor), or 0. */
int mnemo_cuda_device(char *name, size_t size);

void *mnemo_cuda_malloc(size_t bytes);
void mnemo_cuda_free(void *ptr);
int mnemo_cuda_copy_to_device(void *dst, const void *src, size_t bytes);
int mnemo_cuda_copy_to_host(void *dst, const void *src, size_t bytes);
/* A stream for _run_stream, and its end. */
void *mnemo_cuda_stream_create(void);
void mnemo_cuda_stream_destroy(void *stream);
/* Milliseconds of device time the work `fn(arg)` queues on `stream` takes,
   between two events on it; negative on error. */
float mnemo_cuda_time(void (*fn)(void *), void *arg, void *stream);

#ifdef __cplusplus
}

#include <vector>

namespace mnemo {
/* The device buffers of a host's runs (inputs, outputs, workspace) and
   their stream, released together on every way out. */
struct CudaRunBuffers {
  std::vector<void *> inputs, outputs;
  void *workspace = nullptr;
  void *stream = nullptr;

  CudaRunBuffers() = default;
  CudaRunBuffers(const CudaRunBuffers &) = delete;
  CudaRunBuffers &operator=(const CudaRunBuffers &) = delete;
  ~CudaRunBuffers() {
    mnemo_cuda_stream_destroy(stream);
    for (void *p : inputs)
      mnemo_cuda_free(p);
    for (void *p : outputs)
      mnemo_cuda_free(p);
    mnemo_cuda_free(workspace);
  }
};
} // namespace mnemo
#endif

#endif /* MNEMO_RUNTIME_CUDARUNTIME_H */
