//===- CUDARuntime.cpp - mgpu* and mnemo_cuda_* on the CUDA driver API ----===//
//
// The driver is loaded with dlopen on first use, never at load time, so an
// artifact built for CUDA loads anywhere and fails softly without a GPU.
// Errors are kept per thread (the first since mnemo_cuda_begin) and turned
// into the entry points' return code by mnemo_cuda_end; the mgpu* calls
// MLIR emits return no status of their own.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Runtime/CUDARuntime.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace {

// The few driver types and constants used here (cuda.h need not exist on
// the build machine).
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
using CUdeviceptr = unsigned long long;
constexpr int kAttrMaxDynamicShared = 8; // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
constexpr int kAttrComputeMajor = 75, kAttrComputeMinor = 76;
constexpr int kStreamNonBlocking = 1;

struct Driver {
  bool loaded = false;
  std::string why; // why the driver cannot be used
  CUcontext ctx = nullptr;
#define MNEMO_CU(name, ...) CUresult (*name)(__VA_ARGS__) = nullptr;
#include "DriverFunctions.def"
};

Driver &driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] {
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      d.why = "no CUDA driver (libcuda.so.1 not found: no NVIDIA driver on "
              "this machine)";
      return;
    }
    bool ok = true;
#define MNEMO_CU(name, ...)                                                    \
  d.name = reinterpret_cast<decltype(d.name)>(dlsym(lib, MNEMO_CU_SYMBOL(name))); \
  ok = ok && d.name;
#define MNEMO_CU_SYMBOL(name) #name
#include "DriverFunctions.def"
    if (!ok) {
      d.why = "libcuda.so.1 lacks a driver API function mnemo needs (driver "
              "too old?)";
      return;
    }
    CUdevice dev = 0;
    int count = 0;
    CUresult rc = d.cuInit(0);
    if (rc == 0)
      rc = d.cuDeviceGetCount(&count);
    if (rc != 0 || count == 0) {
      d.why = "no CUDA device (cuInit/cuDeviceGetCount: " +
              std::to_string(rc) + ", " + std::to_string(count) + " devices)";
      return;
    }
    if ((rc = d.cuDeviceGet(&dev, 0)) != 0 ||
        (rc = d.cuDevicePrimaryCtxRetain(&d.ctx, dev)) != 0) {
      d.why = "cannot open a context on CUDA device 0 (error " +
              std::to_string(rc) + ")";
      return;
    }
    d.loaded = true;
  });
  return d;
}

struct ThreadState {
  std::string error;
  CUstream stream = nullptr; // the run's stream
  bool ownStream = false;    // created by begin, synchronized by end
  bool contextCurrent = false; // the primary context, made current once
};
thread_local ThreadState state;

void fail(const char *what, CUresult rc) {
  if (!state.error.empty())
    return;
  const char *text = nullptr;
  Driver &d = driver();
  if (d.loaded && d.cuGetErrorString)
    d.cuGetErrorString(rc, &text);
  state.error = std::string(what) + ": CUDA error " + std::to_string(rc) +
                (text ? std::string(" (") + text + ")" : std::string());
}

bool check(const char *what, CUresult rc) {
  if (rc != 0)
    fail(what, rc);
  return rc == 0;
}

/// Makes the primary context current on this thread; false (with the reason
/// recorded) if there is no usable driver or device.
bool ready() {
  Driver &d = driver();
  if (!d.loaded) {
    if (state.error.empty())
      state.error = d.why;
    return false;
  }
  // Once per thread: the context stays current, and every mgpu* call of a
  // launch passes through here.
  if (!state.contextCurrent)
    state.contextCurrent = check("cuCtxSetCurrent", d.cuCtxSetCurrent(d.ctx));
  return state.contextCurrent;
}

/// A kernel image registered by an artifact's constructor; loaded on the
/// first launch (not at dlopen, which must work without a driver).
struct LazyModule {
  explicit LazyModule(const void *image) : image(image) {}
  const void *image; // PTX text or a cubin/fatbin: cuModuleLoadData takes both
  std::once_flag once;
  CUmodule module = nullptr;
  CUresult rc = 0;
  std::mutex mu;
  std::map<std::string, CUfunction> functions;
};

} // namespace

extern "C" {

//===----------------------------------------------------------------------===//
// The calls MLIR's gpu-to-llvm emits
//===----------------------------------------------------------------------===//

void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return new LazyModule(data);
}

void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return new LazyModule(data);
}

void mgpuModuleUnload(void *handle) {
  auto *m = static_cast<LazyModule *>(handle);
  // Unloading needs a context; at process exit the driver may be gone
  // already, and the context owns the module anyway.
  delete m;
}

void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *m = static_cast<LazyModule *>(handle);
  if (!m || !ready())
    return nullptr;
  Driver &d = driver();
  std::call_once(m->once, [&] { m->rc = d.cuModuleLoadData(&m->module, m->image); });
  if (!check("cuModuleLoadData", m->rc))
    return nullptr;
  std::lock_guard<std::mutex> lock(m->mu);
  auto it = m->functions.find(name);
  if (it != m->functions.end())
    return it->second;
  CUfunction fn = nullptr;
  if (!check("cuModuleGetFunction", d.cuModuleGetFunction(&fn, m->module, name)))
    return nullptr;
  m->functions[name] = fn;
  return fn;
}

void mgpuLaunchKernel(void *fn, intptr_t gx, intptr_t gy, intptr_t gz,
                      intptr_t bx, intptr_t by, intptr_t bz, int32_t smem,
                      void *stream, void **params, void **extra,
                      size_t /*paramsCount*/) {
  // After an error (a lookup, a constant that did not reach the device)
  // nothing more is launched: its operands may be invalid.
  if (!fn || !state.error.empty())
    return;
  Driver &d = driver();
  if (smem > 48 * 1024 &&
      !check("cuFuncSetAttribute",
             d.cuFuncSetAttribute(fn, kAttrMaxDynamicShared, smem)))
    return;
  check("cuLaunchKernel",
        d.cuLaunchKernel(fn, gx, gy, gz, bx, by, bz, smem, stream, params,
                         extra));
}

/// The run's stream: every launch of one _run goes to it in order.
void *mgpuStreamCreate() { return state.stream; }
void mgpuStreamDestroy(void *) {}
void mgpuStreamSynchronize(void *stream) {
  // A caller's stream is synchronized by the caller.
  if (ready() && state.ownStream)
    check("cuStreamSynchronize", driver().cuStreamSynchronize(stream));
}
void mgpuStreamWaitEvent(void *stream, void *event) {
  if (ready())
    check("cuStreamWaitEvent", driver().cuStreamWaitEvent(stream, event, 0));
}
void *mgpuEventCreate() {
  CUevent e = nullptr;
  if (ready())
    check("cuEventCreate", driver().cuEventCreate(&e, 0));
  return e;
}
void mgpuEventDestroy(void *event) {
  if (event && ready())
    check("cuEventDestroy", driver().cuEventDestroy_v2(event));
}
void mgpuEventSynchronize(void *event) {
  if (event && ready())
    check("cuEventSynchronize", driver().cuEventSynchronize(event));
}
void mgpuEventRecord(void *event, void *stream) {
  if (event && ready())
    check("cuEventRecord", driver().cuEventRecord(event, stream));
}

void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/, bool /*hostShared*/) {
  return mnemo_cuda_malloc(bytes);
}
void mgpuMemFree(void *ptr, void * /*stream*/) { mnemo_cuda_free(ptr); }
void mgpuMemcpy(void *dst, void *src, size_t bytes, void *stream) {
  if (ready())
    check("cuMemcpyAsync",
          driver().cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                 reinterpret_cast<CUdeviceptr>(src), bytes,
                                 stream));
}
void mgpuMemset32(void *dst, unsigned value, size_t count, void *stream) {
  if (ready())
    check("cuMemsetD32Async",
          driver().cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                    count, stream));
}
void mgpuMemset16(void *dst, unsigned short value, size_t count,
                  void *stream) {
  if (ready())
    check("cuMemsetD16Async",
          driver().cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value,
                                    count, stream));
}

//===----------------------------------------------------------------------===//
// Entry-point bracket and host helpers
//===----------------------------------------------------------------------===//

int mnemo_cuda_begin(void *stream) {
  state.error.clear();
  if (!ready())
    return MNEMO_CUDA_NO_DEVICE;
  state.ownStream = stream == nullptr;
  state.stream = stream;
  if (state.ownStream) {
    // One stream per thread, kept for its later runs.
    static thread_local CUstream own = nullptr;
    if (!own && !check("cuStreamCreate",
                       driver().cuStreamCreate(&own, kStreamNonBlocking)))
      return MNEMO_CUDA_FAILED;
    state.stream = own;
  }
  return 0;
}

int mnemo_cuda_end(void) {
  if (state.ownStream && state.error.empty() && ready())
    check("cuStreamSynchronize", driver().cuStreamSynchronize(state.stream));
  return state.error.empty() ? 0 : MNEMO_CUDA_FAILED;
}

void *mnemo_cuda_constant(const void *host, size_t bytes) {
  static std::mutex mu;
  static std::map<const void *, CUdeviceptr> copies;
  if (!ready())
    return nullptr;
  std::lock_guard<std::mutex> lock(mu);
  auto it = copies.find(host);
  if (it != copies.end())
    return reinterpret_cast<void *>(it->second);
  Driver &d = driver();
  CUdeviceptr p = 0;
  if (!check("cuMemAlloc (constant)", d.cuMemAlloc_v2(&p, bytes ? bytes : 1)) ||
      !check("cuMemcpyHtoD (constant)", d.cuMemcpyHtoD_v2(p, host, bytes)))
    return nullptr;
  copies[host] = p;
  return reinterpret_cast<void *>(p);
}

uint64_t mnemo_cuda_read(const void *src, uint64_t bytes) {
  // The host's control flow goes on with 0 after an error (an empty
  // output, a loop that ends); nothing is launched after one anyway.
  uint64_t value = 0;
  if (!state.error.empty() || !ready())
    return value;
  if (bytes > sizeof(value)) {
    state.error = "mnemo_cuda_read: " + std::to_string(bytes) +
                  " bytes asked for, at most 8 can be read back";
    return value;
  }
  Driver &d = driver();
  if (check("cuStreamSynchronize (read back)",
            d.cuStreamSynchronize(state.stream)))
    check("cuMemcpyDtoH (read back)",
          d.cuMemcpyDtoH_v2(&value, reinterpret_cast<CUdeviceptr>(src),
                            bytes));
  return value;
}

const char *mnemo_cuda_last_error(void) { return state.error.c_str(); }

int mnemo_cuda_device(char *name, size_t size) {
  if (!ready())
    return 0;
  Driver &d = driver();
  CUdevice dev = 0;
  int major = 0, minor = 0;
  if (!check("cuDeviceGet", d.cuDeviceGet(&dev, 0)))
    return 0;
  if (name && size)
    d.cuDeviceGetName(name, (int)size, dev);
  d.cuDeviceGetAttribute(&major, kAttrComputeMajor, dev);
  d.cuDeviceGetAttribute(&minor, kAttrComputeMinor, dev);
  return major * 10 + minor;
}

void *mnemo_cuda_malloc(size_t bytes) {
  CUdeviceptr p = 0;
  if (!ready() || !check("cuMemAlloc", driver().cuMemAlloc_v2(&p, bytes ? bytes : 1)))
    return nullptr;
  return reinterpret_cast<void *>(p);
}

void mnemo_cuda_free(void *ptr) {
  if (ptr && ready())
    check("cuMemFree", driver().cuMemFree_v2(reinterpret_cast<CUdeviceptr>(ptr)));
}

int mnemo_cuda_copy_to_device(void *dst, const void *src, size_t bytes) {
  return ready() && check("cuMemcpyHtoD",
                          driver().cuMemcpyHtoD_v2(
                              reinterpret_cast<CUdeviceptr>(dst), src, bytes))
             ? 0
             : MNEMO_CUDA_FAILED;
}

int mnemo_cuda_copy_to_host(void *dst, const void *src, size_t bytes) {
  return ready() && check("cuMemcpyDtoH",
                          driver().cuMemcpyDtoH_v2(
                              dst, reinterpret_cast<CUdeviceptr>(src), bytes))
             ? 0
             : MNEMO_CUDA_FAILED;
}

void *mnemo_cuda_stream_create(void) {
  CUstream s = nullptr;
  if (ready())
    check("cuStreamCreate", driver().cuStreamCreate(&s, kStreamNonBlocking));
  return s;
}

void mnemo_cuda_stream_destroy(void *stream) {
  if (stream && ready())
    check("cuStreamDestroy", driver().cuStreamDestroy_v2(stream));
}

float mnemo_cuda_time(void (*fn)(void *), void *arg, void *stream) {
  if (!ready())
    return -1;
  Driver &d = driver();
  CUevent start = nullptr, stop = nullptr;
  float ms = -1;
  if (check("cuEventCreate", d.cuEventCreate(&start, 0)) &&
      check("cuEventCreate", d.cuEventCreate(&stop, 0)) &&
      check("cuEventRecord", d.cuEventRecord(start, stream))) {
    fn(arg);
    if (check("cuEventRecord", d.cuEventRecord(stop, stream)) &&
        check("cuEventSynchronize", d.cuEventSynchronize(stop)) &&
        !check("cuEventElapsedTime", d.cuEventElapsedTime(&ms, start, stop)))
      ms = -1;
  }
  if (start)
    d.cuEventDestroy_v2(start);
  if (stop)
    d.cuEventDestroy_v2(stop);
  return ms;
}

} // extern "C"
