//===- PIMRuntime.cpp - the host side of a PIM artifact -------------------===//

#include "mnemo/Runtime/PIMRuntime.h"

#include "mnemo/Target/PIM/KVMapping.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>

using namespace mnemo::pim;

namespace {

struct Program {
  std::vector<Command> commands;
  int64_t k = 0, n = 0, x = 0, y = 0, zero = 0, bias = -1;
};

/// A KV cache the device holds: tokens [0, length) are in the banks.
/// For values, the host keeps the column being filled (16 tokens of every
/// head dim, `openColumn`): an append rewrites that column without
/// reading it back (a controller's staging buffer: H x D x 16 values).
struct KVCache {
  KVPlan plan;
  KVRegisters regs;
  int64_t length = 0;
  int64_t openColumn = -1;
  std::vector<float> open;
};

struct Runtime {
  Device device;
  std::unique_ptr<Simulator> sim;
  std::vector<Program> programs;
  std::vector<KVCache> caches;
  RuntimeTotals totals;
  std::string error;
  std::mutex mutex; // one device: calls from several threads take turns
};

Runtime *runtime = nullptr;

/// Adds the wall time of its scope to the totals' callWallSeconds.
struct CallTimer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  ~CallTimer() {
    if (runtime)
      runtime->totals.callWallSeconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

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
template <int N, typename T = float> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
  T &at(std::initializer_list<int64_t> idx) {
    int64_t o = offset, i = 0;
    for (int64_t v : idx)
      o += v * strides[i++];
    return aligned[o];
  }
};

/// A device call's failure cannot be returned through the call: the first
/// one is kept for pimRuntimeError() (stderr when nothing is loaded).
void recordError(const std::string &why) {
  if (runtime && runtime->error.empty())
    runtime->error = why;
  else if (!runtime)
    fprintf(stderr, "mnemo: %s\n", why.c_str());
}

constexpr const char *kNotLoaded =
    "a PIM artifact called its device, but no device part is loaded (load "
    "OUT/pim first; mnemo-run does)";

/// Runs `commands` (EOC appended) on the device, adding its time and
/// energy to the totals; returns the cycles it took.
llvm::Expected<int64_t> run(Runtime &rt, std::vector<Command> commands) {
  commands.push_back(Command()); // EOC
  int64_t before = rt.sim->elapsedCycles();
  llvm::Expected<Stats> s = rt.sim->run(commands);
  if (!s)
    return s.takeError();
  RuntimeTotals &t = rt.totals;
  ++t.programRuns;
  t.cycles += s->cycles - before;
  t.seconds = t.cycles * rt.device.tCKps * 1e-12;
  t.actPJ += s->actPJ;
  t.columnPJ += s->columnPJ;
  t.macPJ += s->macPJ;
  t.movePJ += s->movePJ;
  return s->cycles - before;
}

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
  if (const llvm::json::Array *caches = root->getArray("kv_caches"))
    for (const llvm::json::Value &v : *caches) {
      const llvm::json::Object *c = v.getAsObject();
      auto num = [&](llvm::StringRef key) {
        return c ? c->getInteger(key).value_or(-1) : -1;
      };
      if (!c || num("id") != int64_t(rt->caches.size()))
        return fail(dir + "/pim.json: KV cache ids must be 0, 1, ... in order");
      llvm::Expected<KVPlan> plan = planKV(
          rt->device, c->getString("kind") == "key" ? KVKind::Key : KVKind::Value,
          num("heads"), num("head_dim"), num("max_seq"), num("row_base"));
      if (!plan)
        return fail(dir + "/pim.json: KV cache " + llvm::Twine(num("id")) + ": " +
                    llvm::toString(plan.takeError()));
      rt->caches.push_back({*plan, kvRegisters(rt->device, *plan), 0});
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
    recordError(why);
  };
  if (!runtime)
    return poison(kNotLoaded);
  std::lock_guard<std::mutex> lock(runtime->mutex);
  CallTimer timer;
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
    std::vector<Command> commands(p.commands.begin(), p.commands.end() - 1);
    if (llvm::Expected<int64_t> c = run(*runtime, std::move(commands)); !c)
      return poison(llvm::toString(c.takeError()));
    t.flops += 2.0 * p.k * p.n; // useful work: padding outputs do not count
    for (int64_t j = 0; j < p.n; ++j)
      yData[r * y->strides[0] + j * y->strides[1]] =
          sim.gpr(p.y + j / kLanes)[j % kLanes];
  }
}

/// Writes tokens [first, last) of cache `c` into the banks, `value(t, h,
/// i)` giving element i of head h's key or value of token t.
template <typename Fn>
static llvm::Error writeTokens(Runtime &rt, KVCache &c, int64_t first,
                               int64_t last, Fn value) {
  const KVPlan &p = c.plan;
  for (int64_t a = first; a < last; a += kMaxWriteTokens) {
    int64_t b = std::min(last, a + kMaxWriteTokens);
    KVWrite w = emitKVWrite(rt.device, p, c.regs, a, b);
    if (!w.reads.empty())
      if (llvm::Expected<int64_t> r = run(rt, w.reads); !r)
        return r.takeError();
    stageKVWrite(*rt.sim, p, c.regs, w, a, b, value);
    if (llvm::Expected<int64_t> r = run(rt, w.writes); !r)
      return r.takeError();
    if (p.kind == KVKind::Value) {
      // The column the range ends in, as the device now holds it.
      int64_t col = (b - 1) / kLanes;
      if (col != c.openColumn) {
        c.open.assign(p.heads * p.dim * kLanes, 0.0f);
        if (a > col * kLanes) { // its earlier tokens came with the reads
          for (int64_t h = 0; h < p.heads; ++h)
            for (int64_t d = 0; d < p.dim; ++d)
              for (int64_t t = col * kLanes; t < a; ++t)
                c.open[(h * p.dim + d) * kLanes + t % kLanes] =
                    rt.sim->gpr(c.regs.stage + (h * p.dim + d) * w.columnsPerRow +
                                w.columnsPerRow - 1)[t % kLanes];
        }
        c.openColumn = col;
      }
      for (int64_t h = 0; h < p.heads; ++h)
        for (int64_t d = 0; d < p.dim; ++d)
          for (int64_t t = std::max(a, col * kLanes); t < b; ++t)
            c.open[(h * p.dim + d) * kLanes + t % kLanes] = value(t, h, d);
    }
    rt.totals.kvTokensWritten += b - a;
  }
  return llvm::Error::success();
}

/// The device interface for attention against a KV cache in the banks
/// (pim.kv_attend): appends `row` (the token at `position`) to cache `id`,
/// then y = x K^T (keys, y [1, H, 1, position + 1]) or y = x V (values, y
/// [1, H, 1, D]). Tokens the device lacks before `position` (the prompt's)
/// are written first from the host's `cache`; a position below the
/// device's length rewinds (the rows before it are kept).
extern "C" void _mlir_ciface_mnemo_pim_kv_attend(int64_t id, MemRef<4> *x,
                                                 MemRef<4> *row,
                                                 MemRef<1, int64_t> *position,
                                                 MemRef<4> *cache, MemRef<4> *y) {
  auto poison = [&](const std::string &why) {
    for (int64_t h = 0; h < y->sizes[1]; ++h)
      for (int64_t j = 0; j < y->sizes[3]; ++j)
        y->at({0, h, 0, j}) = NAN;
    recordError(why);
  };
  if (!runtime)
    return poison(kNotLoaded);
  std::lock_guard<std::mutex> lock(runtime->mutex);
  CallTimer timer;
  if (id < 0 || id >= int64_t(runtime->caches.size()))
    return poison("KV cache " + std::to_string(id) + " is not in pim.json");
  KVCache &c = runtime->caches[id];
  const KVPlan &p = c.plan;
  bool key = p.kind == KVKind::Key;
  int64_t pos = std::clamp<int64_t>(position->at({0}), 0, p.maxSeq - 1);
  int64_t len = pos + 1;
  if (cache->sizes[1] != p.heads || cache->sizes[2] != p.maxSeq ||
      cache->sizes[3] != p.dim || row->sizes[1] != p.heads || row->sizes[3] != p.dim ||
      row->sizes[0] != 1 || row->sizes[2] != 1 || x->sizes[2] != 1 ||
      y->sizes[1] != p.heads || y->sizes[3] != (key ? len : p.dim) ||
      x->sizes[1] != p.heads || x->sizes[3] != (key ? p.dim : len))
    return poison("KV cache " + std::to_string(id) + " (" + std::to_string(p.heads) +
                  " heads x " + std::to_string(p.maxSeq) + " x " + std::to_string(p.dim) +
                  ") called with operands of other shapes at position " +
                  std::to_string(pos));
  Runtime &rt = *runtime;
  RuntimeTotals &t = rt.totals;
  ++t.kvCalls;
  int64_t before = t.cycles;
  auto fail = [&](llvm::Error e) { poison(llvm::toString(std::move(e))); };
  if (c.length < pos) {
    int64_t cycles = t.cycles;
    double pj = t.totalPJ();
    if (llvm::Error e = writeTokens(rt, c, c.length, pos, [&](int64_t tok, int64_t h, int64_t i) {
          return cache->at({0, h, tok, i});
        }))
      return fail(std::move(e));
    t.kvUploadTokens += pos - c.length;
    t.kvUploadCycles += t.cycles - cycles;
    t.kvUploadPJ += t.totalPJ() - pj;
  }
  // A value whose column the host holds rewrites that column whole (no
  // read back); otherwise the column is read first.
  int64_t from = pos;
  if (!key && pos % kLanes && c.openColumn == pos / kLanes)
    from = pos / kLanes * kLanes;
  if (llvm::Error e = writeTokens(rt, c, from, len, [&](int64_t tok, int64_t h, int64_t i) {
        return tok < pos ? c.open[(h * p.dim + i) * kLanes + tok % kLanes]
                         : row->at({0, h, 0, i});
      }))
    return fail(std::move(e));
  t.kvTokensWritten -= pos - from; // the column's earlier tokens, rewritten
  c.length = len;
  // The inputs: q per head, or p over [0, len).
  Simulator &sim = *rt.sim;
  setKVInput(sim, p, c.regs, len,
             [&](int64_t h, int64_t i) { return x->at({0, h, 0, i}); });
  if (llvm::Expected<int64_t> r = run(rt, emitKVAttend(rt.device, p, c.regs, len)); !r)
    return fail(r.takeError());
  for (int64_t h = 0; h < p.heads; ++h)
    for (int64_t j = 0; j < (key ? len : p.dim); ++j)
      y->at({0, h, 0, j}) = kvOutput(sim, p, c.regs, h, j);
  t.kvCycles += t.cycles - before;
  t.flops += 2.0 * p.heads * p.dim * len;
}
