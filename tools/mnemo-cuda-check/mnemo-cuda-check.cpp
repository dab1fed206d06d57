//===- mnemo-cuda-check.cpp - run prepared CUDA artifacts on a GPU --------===//
//
// The GPU half of scripts/gpu-check.sh: a runner with no LLVM, MLIR or
// protobuf dependency (the GPU machine has none of them), linking only
// libmnemo_cuda_runtime. Each argument is a directory that
// `scripts/gpu-check.sh prepare` filled: lib<name>.so and check.txt,
//
//   name <symbol prefix>
//   dims <count> <value>...
//   workspace <bytes>
//   input <bytes> <file>
//   output <dtype> <elements> <file> <rtol> <atol>
//
// with raw little-endian tensors beside it. Every artifact runs once and
// is compared with its reference outputs, then `--repeat N` times for the
// median of its CUDA-event times. Prints one line per artifact and closes
// with `N passed, N failed`; exits 77 when there is no GPU.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Runtime/CUDARuntime.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using mnemo::CudaRunBuffers;

namespace {

typedef int (*RunDimsStream)(const int64_t *, const void *const *,
                             void *const *, int64_t *, void *, void *);

struct Output {
  std::string dtype, file;
  int64_t elements = 0;
  double rtol = 1e-4, atol = 1e-5;
};

struct Check {
  std::string dir, name;
  std::vector<int64_t> dims;
  int64_t workspace = 0;
  std::vector<std::pair<int64_t, std::string>> inputs;
  std::vector<Output> outputs;
};

bool readFile(const std::string &path, std::vector<char> &out) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return false;
  out.assign(std::istreambuf_iterator<char>(f), {});
  return true;
}

bool parse(const std::string &dir, Check &c) {
  std::ifstream f(dir + "/check.txt");
  if (!f)
    return false;
  c.dir = dir;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream s(line);
    std::string key;
    s >> key;
    if (key == "name") {
      s >> c.name;
    } else if (key == "dims") {
      int64_t n, v;
      s >> n;
      while (n-- > 0 && s >> v)
        c.dims.push_back(v);
    } else if (key == "workspace") {
      s >> c.workspace;
    } else if (key == "input") {
      int64_t bytes;
      std::string file;
      s >> bytes >> file;
      c.inputs.push_back({bytes, file});
    } else if (key == "output") {
      Output o;
      s >> o.dtype >> o.elements >> o.file >> o.rtol >> o.atol;
      c.outputs.push_back(o);
    }
  }
  return !c.name.empty();
}

size_t dtypeBytes(const std::string &t) {
  if (t == "float64" || t == "int64" || t == "uint64")
    return 8;
  if (t == "float32" || t == "int32" || t == "uint32")
    return 4;
  if (t == "float16" || t == "bfloat16" || t == "int16" || t == "uint16")
    return 2;
  return 1;
}

double value(const char *p, const std::string &t) {
  if (t == "float32") {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  if (t == "float64") {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  if (t == "int64") {
    int64_t v;
    std::memcpy(&v, p, 8);
    return double(v);
  }
  if (t == "int32") {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  return (unsigned char)p[0];
}

struct Timed {
  RunDimsStream run;
  const Check *c;
  CudaRunBuffers *dev;
  int rc = 0;
};

/// Runs `c` once and compares; fills `ms` with the event times of
/// `repeat` more runs. Returns "" or why it failed.
std::string runCheck(const Check &c, int repeat, std::vector<float> &ms,
                     double &maxErr) {
  std::string so = c.dir + "/lib" + c.name + ".so";
  void *lib = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return std::string("dlopen: ") + dlerror();
  auto run = (RunDimsStream)dlsym(lib, (c.name + "_run_dims_stream").c_str());
  if (!run)
    return "no " + c.name + "_run_dims_stream";
  // Released on every return below.
  CudaRunBuffers dev;
  std::vector<std::vector<char>> expected;
  for (auto &[bytes, file] : c.inputs) {
    std::vector<char> host;
    if (!readFile(c.dir + "/" + file, host) || (int64_t)host.size() != bytes)
      return "cannot read " + file;
    void *d = mnemo_cuda_malloc(std::max<int64_t>(bytes, 1));
    dev.inputs.push_back(d);
    if (!d || mnemo_cuda_copy_to_device(d, host.data(), bytes))
      return mnemo_cuda_last_error();
  }
  for (const Output &o : c.outputs) {
    std::vector<char> host;
    if (!readFile(c.dir + "/" + o.file, host))
      return "cannot read " + o.file;
    expected.push_back(std::move(host));
    // Outputs are sized by their reference (the prepared run's shapes).
    dev.outputs.push_back(mnemo_cuda_malloc(
        std::max<size_t>(o.elements * dtypeBytes(o.dtype), 1)));
  }
  dev.workspace = mnemo_cuda_malloc(std::max<int64_t>(c.workspace, 64));
  dev.stream = mnemo_cuda_stream_create();
  if (!dev.workspace || !dev.stream)
    return mnemo_cuda_last_error();
  Timed t{run, &c, &dev};
  auto once = [](void *arg) {
    auto *t = static_cast<Timed *>(arg);
    t->rc = t->run(t->c->dims.data(), t->dev->inputs.data(),
                   t->dev->outputs.data(), nullptr, t->dev->workspace,
                   t->dev->stream);
  };
  float first = mnemo_cuda_time(once, &t, dev.stream);
  if (t.rc != 0 || first < 0)
    return "run returned " + std::to_string(t.rc) + ": " +
           mnemo_cuda_last_error();
  maxErr = 0;
  for (size_t j = 0; j < c.outputs.size(); ++j) {
    const Output &o = c.outputs[j];
    size_t eb = dtypeBytes(o.dtype);
    std::vector<char> got(o.elements * eb);
    if (mnemo_cuda_copy_to_host(got.data(), dev.outputs[j], got.size()))
      return mnemo_cuda_last_error();
    bool isFloat = o.dtype.rfind("float", 0) == 0;
    for (int64_t i = 0; i < o.elements; ++i) {
      double g = value(got.data() + i * eb, o.dtype),
             w = value(expected[j].data() + i * eb, o.dtype);
      if (std::isnan(g) || std::isnan(w)) {
        if (std::isnan(g) != std::isnan(w))
          return "output " + std::to_string(j) + " NaN mismatch at " +
                 std::to_string(i);
        continue;
      }
      double a = std::fabs(g - w);
      maxErr = std::max(maxErr, a);
      if (isFloat ? a > o.atol + o.rtol * std::fabs(w) : a != 0)
        return "output " + std::to_string(j) + " differs at " +
               std::to_string(i) + ": " + std::to_string(g) + " vs " +
               std::to_string(w);
    }
  }
  for (int r = 0; r < repeat; ++r) {
    float m = mnemo_cuda_time(once, &t, dev.stream);
    if (t.rc != 0 || m < 0)
      return "a timed run failed: " + std::string(mnemo_cuda_last_error());
    ms.push_back(m);
  }
  return "";
}

} // namespace

int main(int argc, char **argv) {
  int repeat = 0;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = std::atoi(argv[++i]);
    else
      dirs.push_back(argv[i]);
  }
  char device[256] = "";
  int cc = mnemo_cuda_device(device, sizeof device);
  if (cc <= 0) {
    std::printf("mnemo-cuda-check: no GPU: %s\n", mnemo_cuda_last_error());
    return 77;
  }
  std::printf("device: %s (sm_%d)\n", device, cc);
  int passed = 0, failed = 0;
  for (const std::string &dir : dirs) {
    Check c;
    if (!parse(dir, c)) {
      std::printf("FAIL %s: no check.txt\n", dir.c_str());
      ++failed;
      continue;
    }
    std::vector<float> ms;
    double err = 0;
    std::string why = runCheck(c, repeat, ms, err);
    if (!why.empty()) {
      std::printf("FAIL %s: %s\n", dir.c_str(), why.c_str());
      ++failed;
      continue;
    }
    ++passed;
    std::sort(ms.begin(), ms.end());
    if (ms.empty())
      std::printf("PASS %s max_abs_err %.3g\n", dir.c_str(), err);
    else
      std::printf("PASS %s max_abs_err %.3g median %.3f ms over %zu runs\n",
                  dir.c_str(), err, ms[ms.size() / 2], ms.size());
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
