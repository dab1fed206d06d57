//===- PIMRuntime.cpp - the host side of a PIM artifact -------------------===//

#include "mnemo/Runtime/PIMRuntime.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <memory>
#include <mutex>

using namespace mnemo::pim;

namespace {

struct Program {
  std::vector<Command> commands;
  int64_t k = 0, n = 0, x = 0, y = 0, zero = 0, bias = -1;
};

struct Runtime {
  Device device;
  std::unique_ptr<Simulator> sim;
  std::vector<Program> programs;
  RuntimeTotals totals;
  std::string error;
  std::mutex mutex; // one device: calls from several threads take turns
};

Runtime *runtime = nullptr;

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

llvm::Expected<std::string> readAll(const llvm::Twine &path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf)
    return fail("cannot read " + path + ": " + buf.getError().message());
  return (*buf)->getBuffer().str();
}

// The memref descriptors of the call (llvm.emit_c_interface).
template <int N> struct MemRef {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
};

} // namespace

llvm::Error mnemo::pim::loadPIMRuntime(llvm::StringRef artifactDir) {
  llvm::SmallString<256> dir(artifactDir);
  llvm::sys::path::append(dir, "pim");
  llvm::Expected<std::string> text = readAll(dir + "/pim.json");
  if (!text)
    return text.takeError();
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(*text);
  if (!json)
    return fail(dir + "/pim.json: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root || !root->getString("device") || !root->getArray("programs"))
    return fail(dir + "/pim.json: expected \"device\" and \"programs\"");
  auto rt = std::make_unique<Runtime>();
  llvm::Expected<Device> dev = parseDevice(*root->getString("device"));
  if (!dev)
    return dev.takeError();
  rt->device = *dev;
  rt->sim = std::make_unique<Simulator>(rt->device);
  llvm::Expected<std::string> img = readAll(dir + "/weights.img");
  if (!img)
    return img.takeError();
  llvm::Expected<Image> image = decodeImage(*img, rt->device);
  if (!image)
    return fail(dir + "/weights.img: " + llvm::toString(image.takeError()));
  rt->sim->load(*image);
  for (const llvm::json::Value &v : *root->getArray("programs")) {
    const llvm::json::Object *p = v.getAsObject();
    if (!p || !p->getString("binary"))
      return fail(dir + "/pim.json: a program without \"binary\"");
    Program prog;
    auto num = [&](llvm::StringRef key) { return p->getInteger(key).value_or(-1); };
    prog.k = num("k");
    prog.n = num("n");
    prog.x = num("x_gpr");
    prog.y = num("y_gpr");
    prog.zero = num("zero_gpr");
    prog.bias = num("bias_gpr");
    if (num("id") != int64_t(rt->programs.size()))
      return fail(dir + "/pim.json: program ids must be 0, 1, ... in order");
    llvm::Expected<std::string> bin = readAll(dir + "/" + *p->getString("binary"));
    if (!bin)
      return bin.takeError();
    llvm::Expected<std::vector<Command>> cmds = decodeBinary(*bin, rt->device);
    if (!cmds)
      return fail(dir + "/" + *p->getString("binary") + ": " +
                  llvm::toString(cmds.takeError()));
    prog.commands = std::move(*cmds);
    rt->programs.push_back(std::move(prog));
  }
  delete runtime;
  runtime = rt.release();
  return llvm::Error::success();
}

bool mnemo::pim::pimRuntimeLoaded() { return runtime != nullptr; }

RuntimeTotals mnemo::pim::pimRuntimeTotals() {
  return runtime ? runtime->totals : RuntimeTotals();
}

void mnemo::pim::resetPIMRuntimeTotals() {
  if (runtime)
    runtime->totals = RuntimeTotals();
}

std::string mnemo::pim::pimRuntimeError() {
  return runtime ? runtime->error : std::string();
}

/// The device interface a PIM artifact's host library calls: y = x W (+
/// bias) for GEMV `id`, one program run per row of x. A failure cannot be
/// returned through the call: y is filled with NaN and the error kept for
/// pimRuntimeError().
extern "C" void _mlir_ciface_mnemo_pim_gemv(int64_t id, MemRef<2> *x,
                                            MemRef<1> *bias, MemRef<2> *y) {
  float *yData = y->aligned + y->offset;
  auto poison = [&](const std::string &why) {
    for (int64_t r = 0; r < y->sizes[0]; ++r)
      for (int64_t j = 0; j < y->sizes[1]; ++j)
        yData[r * y->strides[0] + j * y->strides[1]] = NAN;
    if (runtime && runtime->error.empty())
      runtime->error = why;
    else if (!runtime)
      fprintf(stderr, "mnemo: %s\n", why.c_str());
  };
  if (!runtime)
    return poison("a PIM artifact called its device, but no device part is "
                  "loaded (load OUT/pim first; mnemo-run does)");
  std::lock_guard<std::mutex> lock(runtime->mutex);
  if (id < 0 || id >= int64_t(runtime->programs.size()))
    return poison("GEMV " + std::to_string(id) + " has no program");
  const Program &p = runtime->programs[id];
  if (x->sizes[1] != p.k || y->sizes[1] != p.n || x->sizes[0] != y->sizes[0])
    return poison("GEMV " + std::to_string(id) + " is " + std::to_string(p.k) +
                  " x " + std::to_string(p.n) + ", called with x [" +
                  std::to_string(x->sizes[0]) + ", " + std::to_string(x->sizes[1]) +
                  "] and y [" + std::to_string(y->sizes[0]) + ", " +
                  std::to_string(y->sizes[1]) + "]");
  Simulator &sim = *runtime->sim;
  RuntimeTotals &t = runtime->totals;
  ++t.calls;
  const float *xData = x->aligned + x->offset;
  const float *bData = bias->aligned + bias->offset;
  // Zeros and bias are the same for every row (the program only reads
  // them); the input registers take each row in turn.
  for (int64_t c = 0; c < runtime->device.channels; ++c)
    sim.gpr(p.zero + c).fill(0.0f);
  if (p.bias >= 0)
    for (int64_t j = 0, e = int64_t(llvm::divideCeil(p.n, kLanes)) * kLanes; j < e; ++j)
      sim.gpr(p.bias + j / kLanes)[j % kLanes] =
          j < p.n && j < bias->sizes[0] ? bData[j * bias->strides[0]] : 0.0f;
  int64_t inRegs = llvm::divideCeil(p.k, kLanes);
  for (int64_t r = 0; r < x->sizes[0]; ++r) {
    for (int64_t i = 0; i < inRegs * kLanes; ++i)
      sim.gpr(p.x + i / kLanes)[i % kLanes] =
          i < p.k ? xData[r * x->strides[0] + i * x->strides[1]] : 0.0f;
    int64_t before = sim.elapsedCycles();
    llvm::Expected<Stats> s = sim.run(p.commands);
    if (!s)
      return poison(llvm::toString(s.takeError()));
    ++t.programRuns;
    t.cycles += s->cycles - before;
    t.seconds = t.cycles * runtime->device.tCKps * 1e-12;
    t.actPJ += s->actPJ;
    t.columnPJ += s->columnPJ;
    t.macPJ += s->macPJ;
    t.movePJ += s->movePJ;
    t.flops += 2.0 * p.k * p.n; // useful work: padding outputs do not count
    for (int64_t j = 0; j < p.n; ++j)
      yData[r * y->strides[0] + j * y->strides[1]] =
          sim.gpr(p.y + j / kLanes)[j % kLanes];
  }
}
