//===- Kernels.cpp - assembling a module's kernels with ptxas -------------===//

#include "mnemo/Target/CUDA/Kernels.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Regex.h"

using namespace mlir;
using namespace mnemo::cuda;

namespace {

/// A temporary file removed when this goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  explicit TempFile(StringRef suffix) {
    llvm::sys::fs::createTemporaryFile("mnemo-kernel", suffix, path);
  }
  ~TempFile() { llvm::sys::fs::remove(path); }
};

/// Runs `tool` with `args`; its stderr (where ptxas reports) in `log`.
bool run(StringRef tool, ArrayRef<StringRef> args, std::string &log) {
  TempFile err("log");
  std::optional<StringRef> redirects[] = {std::nullopt, std::nullopt,
                                          StringRef(err.path)};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(tool, args, std::nullopt, redirects, 0, 0,
                                     &msg);
  if (auto buf = llvm::MemoryBuffer::getFile(err.path))
    log = (*buf)->getBuffer().str();
  if (!msg.empty())
    log += msg;
  return rc == 0;
}

/// Fills the resource figures of the kernels ptxas reported in `log`.
void parseReport(StringRef log, StringRef binary,
                 std::vector<KernelInfo> &out) {
  llvm::Regex entry("Compiling entry function '([^']+)'");
  llvm::Regex frame("([0-9]+) bytes stack frame, ([0-9]+) bytes spill stores, "
                    "([0-9]+) bytes spill loads");
  llvm::Regex used("Used ([0-9]+) registers");
  llvm::Regex smem("([0-9]+) bytes smem");
  KernelInfo *k = nullptr;
  SmallVector<StringRef> lines, m;
  log.split(lines, '\n');
  for (StringRef line : lines) {
    if (entry.match(line, &m)) {
      out.push_back(KernelInfo{binary.str(), m[1].str()});
      k = &out.back();
    } else if (k && frame.match(line, &m)) {
      m[1].getAsInteger(10, k->stackBytes);
      m[2].getAsInteger(10, k->spillStores);
      m[3].getAsInteger(10, k->spillLoads);
    } else if (k && used.match(line, &m)) {
      m[1].getAsInteger(10, k->registers);
      k->sharedBytes = 0;
      if (smem.match(line, &m))
        m[1].getAsInteger(10, k->sharedBytes);
    }
  }
}

/// The launch sizes of each kernel where the host passes constants.
void readLaunches(ModuleOp module, std::vector<KernelInfo> &kernels) {
  auto constant = [](Value v) -> int64_t {
    if (auto c = v.getDefiningOp<LLVM::ConstantOp>())
      if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
        return i.getInt();
    return -1;
  };
  module.walk([&](gpu::LaunchFuncOp launch) {
    for (KernelInfo &k : kernels) {
      if (k.binary != launch.getKernelModuleName().getValue() ||
          k.name != launch.getKernelName().getValue())
        continue;
      gpu::KernelDim3 g = launch.getGridSizeOperandValues(),
                      b = launch.getBlockSizeOperandValues();
      int64_t gs[3] = {constant(g.x), constant(g.y), constant(g.z)};
      int64_t bs[3] = {constant(b.x), constant(b.y), constant(b.z)};
      for (int i = 0; i < 3; ++i) {
        k.grid[i] = gs[i];
        k.block[i] = bs[i];
      }
    }
  });
}

} // namespace

FailureOr<std::vector<KernelInfo>>
mnemo::cuda::assembleKernels(ModuleOp module, StringRef toolkit, StringRef arch,
                             bool fatbin) {
  SmallString<128> ptxas(toolkit), fatbinary(toolkit);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  llvm::sys::path::append(fatbinary, "bin", "fatbinary");
  // sm_90a: ptxas takes the arch as is; the fatbin's sm number drops the a.
  std::string smNumber = arch.drop_front(3).take_while([](char c) { return llvm::isDigit(c); }).str();
  std::vector<KernelInfo> kernels;
  WalkResult walk = module.walk([&](gpu::BinaryOp bin) -> WalkResult {
    SmallVector<Attribute> objects;
    for (Attribute a : bin.getObjects()) {
      auto obj = cast<gpu::ObjectAttr>(a);
      if (obj.getFormat() != gpu::CompilationTarget::Assembly) {
        objects.push_back(a);
        continue;
      }
      TempFile ptx("ptx"), cubin("cubin"), fat("fatbin");
      {
        std::error_code ec;
        llvm::raw_fd_ostream os(ptx.path, ec);
        if (ec)
          return bin.emitError() << "cannot write " << ptx.path << ": "
                                 << ec.message();
        os << obj.getObject().getValue();
      }
      std::string archFlag = "-arch=" + arch.str(), log;
      if (!run(ptxas, {ptxas, archFlag, "-O3", "-v", ptx.path, "-o", cubin.path},
               log))
        return bin.emitError() << "ptxas rejected kernel module '"
                               << bin.getSymName() << "' for " << arch << ":\n"
                               << log;
      parseReport(log, bin.getSymName(), kernels);
      if (!fatbin) {
        objects.push_back(a);
        continue;
      }
      std::string elf = "--image3=kind=elf,sm=" + smNumber + ",file=" +
                        cubin.path.str().str();
      std::string text = "--image3=kind=ptx,sm=" + smNumber + ",file=" +
                         ptx.path.str().str();
      std::string create = "--create=" + fat.path.str().str();
      if (!run(fatbinary, {fatbinary, "-64", create, elf, text}, log))
        return bin.emitError() << "fatbinary failed on '" << bin.getSymName()
                               << "':\n"
                               << log;
      auto buf = llvm::MemoryBuffer::getFile(fat.path, /*IsText=*/false);
      if (!buf)
        return bin.emitError() << "cannot read " << fat.path;
      objects.push_back(gpu::ObjectAttr::get(
          module.getContext(), obj.getTarget(), gpu::CompilationTarget::Fatbin,
          StringAttr::get(module.getContext(), (*buf)->getBuffer()),
          obj.getProperties(), obj.getKernels()));
    }
    bin.setObjectsAttr(ArrayAttr::get(module.getContext(), objects));
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  readLaunches(module, kernels);
  return kernels;
}

llvm::json::Value mnemo::cuda::kernelsValue(ArrayRef<KernelInfo> kernels,
                                           StringRef arch) {
  using namespace llvm::json;
  Array list;
  int64_t maxRegs = 0, maxShared = 0, spilling = 0;
  for (const KernelInfo &k : kernels) {
    list.push_back(Object{{"module", k.binary},
                          {"kernel", k.name},
                          {"registers", k.registers},
                          {"shared_bytes", k.sharedBytes},
                          {"stack_bytes", k.stackBytes},
                          {"spill_stores", k.spillStores},
                          {"spill_loads", k.spillLoads},
                          {"grid", Array{k.grid[0], k.grid[1], k.grid[2]}},
                          {"block", Array{k.block[0], k.block[1], k.block[2]}}});
    maxRegs = std::max(maxRegs, k.registers);
    maxShared = std::max(maxShared, k.sharedBytes);
    if (k.spillStores > 0 || k.spillLoads > 0)
      ++spilling;
  }
  return Object{{"arch", arch},
                {"kernels", std::move(list)},
                {"totals", Object{{"kernels", int64_t(kernels.size())},
                                  {"max_registers", maxRegs},
                                  {"max_shared_bytes", maxShared},
                                  {"kernels_with_spills", spilling}}}};
}

std::string mnemo::cuda::kernelsJson(ArrayRef<KernelInfo> kernels,
                                     StringRef arch) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::formatv("{0:2}", kernelsValue(kernels, arch)) << "\n";
  return s;
}

std::string mnemo::cuda::kernelsHtml(ArrayRef<KernelInfo> kernels,
                                     StringRef arch) {
  std::string s;
  llvm::raw_string_ostream os(s);
  // A size only known at run time (-1) shows as "?".
  auto num = [](int64_t v) { return v < 0 ? std::string("?") : std::to_string(v); };
  auto dims = [&](const int64_t (&d)[3]) {
    return num(d[0]) + " x " + num(d[1]) + " x " + num(d[2]);
  };
  os << "<h2>CUDA kernels (" << arch << ", ptxas)</h2>\n<table>\n"
     << "<tr><th>kernel</th><th>grid</th><th>block</th><th>registers</th>"
        "<th>shared bytes</th><th>stack bytes</th><th>spill stores</th>"
        "<th>spill loads</th></tr>\n";
  for (const KernelInfo &k : kernels)
    os << "<tr><td>" << k.binary << "::" << k.name << "</td><td>"
       << dims(k.grid) << "</td><td>" << dims(k.block) << "</td><td>"
       << num(k.registers) << "</td><td>" << num(k.sharedBytes) << "</td><td>"
       << num(k.stackBytes) << "</td><td>" << num(k.spillStores)
       << "</td><td>" << num(k.spillLoads) << "</td></tr>\n";
  os << "</table>\n";
  return s;
}
