//===- mnemo-pim-sim.cpp - run and time AiM programs ----------------------===//
//
//   mnemo-pim-sim PROGRAM [--image FILE] [--device k=v,...] [--json]
//                 [--gprs FILE] [--dump-gprs FIRST:COUNT]
//   mnemo-pim-sim --trace FILE.trace ...
//
// PROGRAM is trace text (`AiM <opcode> ...` lines, as the public AiM
// simulator reads them, from mnemo or any other tool) or mnemo's binary
// form (MNPIMBIN). With a weight image (--image, MNPIMIMG) the program also
// runs functionally; --gprs preloads registers from raw little-endian fp32
// (16 values per register, from register 0) and --dump-gprs prints some
// after the run. Without an image it only times the program.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/PIM/KVMapping.h"
#include "mnemo/Target/PIM/Simulator.h"

#include "llvm/ADT/Sequence.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"

using namespace mnemo::pim;
namespace cl = llvm::cl;

static cl::opt<std::string> programFile(cl::Positional, cl::desc("<program>"));
static cl::opt<std::string> traceFile("trace",
                                      cl::desc("A program as trace text (same as the positional argument)"));
static cl::opt<std::string> imageFile("image", cl::desc("Weight image (MNPIMIMG)"));
static cl::opt<std::string> deviceSpec(
    "device", cl::desc("Device settings over the AiM defaults: channels=8,tRCDMAC=56,refresh=1,..."));
static cl::opt<bool> json("json", cl::desc("Print the figures as JSON"));
static cl::opt<std::string> gprFile("gprs", cl::desc("Registers to preload: raw fp32, 16 per register"));
static cl::opt<std::string> dumpGprs("dump-gprs", cl::desc("FIRST:COUNT registers to print after the run"));
static cl::opt<bool> printDeviceOpt("print-device", cl::desc("Print the device's settings and exit"));
static cl::opt<std::string> kvStep(
    "kv-step",
    cl::desc("Instead of a program: one decode step's attention against a KV "
             "cache in the banks, KIND,HEADS,DIM,MAX_SEQ,LEN (KIND key or "
             "value): appending token LEN-1 (a value rewrites its column from "
             "the host's copy), then the GEMVs over LEN tokens, as mnemo-run's "
             "device runs them (docs/pim.md)"));
static cl::opt<std::string> emitTrace("emit-trace",
                                      cl::desc("Also write the program run as trace text"));

static int error(const llvm::Twine &msg) {
  llvm::WithColor::error(llvm::errs(), "mnemo-pim-sim") << msg << "\n";
  return 1;
}

static llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> readFile(llvm::StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf)
    return llvm::createStringError(buf.getError(), "cannot read '" + path + "'");
  return std::move(*buf);
}

/// The commands of one decode step's attention (see --kv-step).
static llvm::Expected<std::vector<Command>> kvStepProgram(const Device &d,
                                                          llvm::StringRef spec) {
  llvm::SmallVector<llvm::StringRef> f;
  spec.split(f, ',');
  int64_t n[4];
  if (f.size() != 5 || (f[0] != "key" && f[0] != "value") ||
      llvm::any_of(llvm::seq(0, 4), [&](int i) {
        return f[i + 1].getAsInteger(10, n[i]) || n[i] < 1;
      }))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--kv-step wants KIND,HEADS,DIM,MAX_SEQ,LEN "
                                   "(key or value, then four positive numbers)");
  if (n[3] > n[2])
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "--kv-step: LEN is past MAX_SEQ");
  llvm::Expected<KVPlan> plan =
      planKV(d, f[0] == "key" ? KVKind::Key : KVKind::Value, n[0], n[1], n[2], 0);
  if (!plan)
    return plan.takeError();
  return emitKVStep(d, *plan, kvRegisters(d, *plan), n[3]);
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "mnemo PIM (AiM) simulator\n");
  llvm::Expected<Device> device = parseDevice(deviceSpec);
  if (!device)
    return error(llvm::toString(device.takeError()));
  if (printDeviceOpt) {
    llvm::outs() << printDevice(*device) << "\n";
    return 0;
  }
  std::string path = !traceFile.empty() ? traceFile : programFile;
  llvm::Expected<std::vector<Command>> program = std::vector<Command>();
  if (!kvStep.empty()) {
    path = "--kv-step";
    program = kvStepProgram(*device, kvStep);
  } else {
    if (path.empty())
      return error("no program (give a trace or binary file, or --kv-step)");
    auto buf = readFile(path);
    if (!buf)
      return error(llvm::toString(buf.takeError()));
    llvm::StringRef bytes = (*buf)->getBuffer();
    program = bytes.starts_with("MNPIMBIN") ? decodeBinary(bytes, *device)
                                            : parseTrace(bytes, *device);
  }
  if (!program)
    return error(path + ": " + llvm::toString(program.takeError()));
  if (!emitTrace.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(emitTrace, ec);
    if (ec)
      return error("cannot write " + emitTrace + ": " + ec.message());
    printTrace(os, *program);
  }

  Simulator sim(*device);
  bool functional = !imageFile.empty();
  if (functional) {
    auto img = readFile(imageFile);
    if (!img)
      return error(llvm::toString(img.takeError()));
    llvm::Expected<Image> image = decodeImage((*img)->getBuffer(), *device);
    if (!image)
      return error(imageFile + ": " + llvm::toString(image.takeError()));
    sim.load(*image);
  }
  if (!gprFile.empty()) {
    auto g = readFile(gprFile);
    if (!g)
      return error(llvm::toString(g.takeError()));
    llvm::StringRef data = (*g)->getBuffer();
    int64_t values = data.size() / 4;
    if (values > device->gprs * kLanes)
      return error("--gprs holds more than the device's registers");
    for (int64_t i = 0; i < values; ++i) {
      uint32_t bits = llvm::support::endian::read32le(data.data() + 4 * i);
      float f;
      std::memcpy(&f, &bits, 4);
      sim.gpr(i / kLanes)[i % kLanes] = f;
    }
  }
  llvm::Expected<Stats> stats = sim.run(*program, functional || !gprFile.empty());
  if (!stats)
    return error(path + ": " + llvm::toString(stats.takeError()));
  if (json)
    stats->printJSON(llvm::outs(), *device);
  else
    stats->print(llvm::outs(), *device);
  if (!dumpGprs.empty()) {
    auto [a, b] = llvm::StringRef(dumpGprs).split(':');
    int64_t first, count;
    if (a.getAsInteger(10, first) || b.getAsInteger(10, count) || first < 0 ||
        count < 0 || first + count > device->gprs)
      return error("--dump-gprs wants FIRST:COUNT within the registers");
    for (int64_t r = first; r < first + count; ++r) {
      llvm::outs() << "gpr " << r << ":";
      for (float v : sim.gpr(r))
        llvm::outs() << " " << llvm::format("%g", v);
      llvm::outs() << "\n";
    }
  }
  return 0;
}
