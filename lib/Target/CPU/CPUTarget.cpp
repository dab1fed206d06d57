//===- CPUTarget.cpp - resolving --cpu into a target description ----------===//

#include "mnemo/Target/CPU/CPUTarget.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/Threading.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <mutex>

using namespace llvm;

namespace mnemo {

/// Rows beyond this gain nothing measurable where 32 registers would hold
/// more (AVX-512: 12x2 measured 10-20% faster than 6x2 on ResNet-18 and
/// SqueezeNet, 8x3 no better; docs/performance.md).
constexpr int64_t kMaxBlockRows = 12;
constexpr int64_t kBlockVectors = 2;

bool CPUTarget::hasFeature(StringRef name) const {
  return llvm::is_contained(isaFeatures, name);
}

int64_t CPUTarget::int8DotLanes() const {
  if (vectorBits == 512 && hasFeature("avx512vnni"))
    return 16;
  if (vectorBits == 256 &&
      (hasFeature("avxvnni") ||
       (hasFeature("avx512vnni") && hasFeature("avx512vl"))))
    return 8;
  return 0;
}

int64_t CPUTarget::blockVectors() const { return kBlockVectors; }

int64_t CPUTarget::blockRows() const {
  // rows * vectors accumulators + `vectors` B loads + 1 broadcast.
  int64_t fit = (vectorRegisters - 1 - kBlockVectors) / kBlockVectors;
  return std::max<int64_t>(1, std::min(kMaxBlockRows, fit));
}

/// Cache sizes of CPU 0 from sysfs (Linux); 0 where not readable.
static void readHostCaches(CPUTarget &t) {
  for (int i = 0; i < 8; ++i) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    auto read = [&](StringRef file) -> std::string {
      // sysfs files claim a page of size and cannot be mapped: read them
      // as a stream.
      auto buf = MemoryBuffer::getFileAsStream(dir + file.str());
      return buf ? (*buf)->getBuffer().trim().str() : std::string();
    };
    std::string level = read("level"), type = read("type"), size = read("size");
    if (level.empty())
      break;
    if (type == "Instruction")
      continue;
    StringRef s(size);
    int64_t scale = s.consume_back("K") ? 1024 : s.consume_back("M") ? 1 << 20 : 1;
    int64_t bytes = 0;
    if (s.getAsInteger(10, bytes))
      continue;
    bytes *= scale;
    if (level == "1")
      t.l1dBytes = bytes;
    else if (level == "2")
      t.l2Bytes = bytes;
    else if (level == "3")
      t.l3Bytes = bytes;
  }
}

Expected<CPUTarget> resolveCPUTarget(StringRef cpu, StringRef features) {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    // The run-time feature check is inline assembly.
    InitializeNativeTargetAsmParser();
  });
  CPUTarget t;
  t.requested = cpu.empty() ? "host" : cpu.str();
  t.triple = sys::getDefaultTargetTriple();
  Triple triple(t.triple);
  std::string err;
  const Target *target = TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return createStringError("no LLVM target for " + t.triple + ": " + err);
  std::unique_ptr<MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));

  SubtargetFeatures fs;
  if (t.requested == "host") {
    t.cpu = sys::getHostCPUName().str();
    for (auto &f : sys::getHostCPUFeatures())
      fs.AddFeature(f.first(), f.second);
    readHostCaches(t);
    t.cores = std::max(0, get_physical_cores());
  } else {
    if (!generic->isCPUStringValid(t.requested))
      return createStringError(
          "--cpu=" + t.requested +
          " is not a CPU LLVM knows (host, x86-64-v2, x86-64-v3, x86-64-v4, "
          "or a name such as znver3, skylake-avx512)");
    t.cpu = t.requested;
    // Named CPUs: cache sizes of current x86-64 cores (32 KiB L1D on
    // all; L2 from 512 KiB on Zen 2/3 to 2 MiB on Sapphire Rapids).
    t.l1dBytes = 32 << 10;
    t.l2Bytes = 1 << 20;
  }
  StringSet<> known;
  for (const SubtargetFeatureKV &kv : generic->getAllProcessorFeatures())
    known.insert(kv.Key);
  SmallVector<StringRef> extra;
  features.split(extra, ',', -1, /*KeepEmpty=*/false);
  for (StringRef f : extra) {
    f = f.trim();
    StringRef name = f.drop_front(f.starts_with("+") || f.starts_with("-"));
    if (!known.contains(name) || !(f.starts_with("+") || f.starts_with("-")))
      return createStringError("--cpu-features: '" + f.str() +
                               "' is not +NAME or -NAME with an LLVM feature "
                               "name (avx2, fma, avx512f, ...)");
    fs.AddFeature(f);
  }
  t.featureString = fs.getString();

  std::unique_ptr<MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple, t.cpu, t.featureString));
  auto has = [&](StringRef f) { return sti->checkFeatures(("+" + f).str()); };
  for (const SubtargetFeatureKV &kv : generic->getAllProcessorFeatures())
    if (isCheckableFeature(kv.Key) && has(kv.Key))
      t.isaFeatures.push_back(kv.Key);
  if (has("avx512f")) {
    t.vectorBits = 512;
    t.vectorRegisters = 32;
  } else if (has("avx")) {
    t.vectorBits = 256;
  }
  t.fma = has("fma");
  return t;
}

Expected<std::unique_ptr<TargetMachine>>
createTargetMachine(const CPUTarget &t, unsigned optLevel) {
  Triple triple(t.triple);
  std::string err;
  const Target *target = TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return createStringError("no LLVM target for " + t.triple + ": " + err);
  TargetOptions opts;
  std::unique_ptr<TargetMachine> tm(target->createTargetMachine(
      triple, t.cpu, t.featureString, opts, Reloc::PIC_, std::nullopt,
      optLevel == 0 ? CodeGenOptLevel::None : CodeGenOptLevel::Aggressive));
  if (!tm)
    return createStringError("cannot create a target machine for " + t.cpu);
  return std::move(tm);
}

std::vector<std::string> missingHostFeatures(ArrayRef<std::string> features) {
  StringMap<bool> host = sys::getHostCPUFeatures();
  std::vector<std::string> missing;
  for (const std::string &f : features)
    if (!host.lookup(f))
      missing.push_back(f);
  return missing;
}

} // namespace mnemo
