//===- PeakMemory.h - this process's resident high-water mark ---*- C++ -*-===//
//
// mnemoc --timing and mnemo-run --repeat report the most memory the process
// held. VmHWM, not getrusage: ru_maxrss survives fork + exec, so a parent's
// footprint (a Python benchmark that launched the tool) would show up in
// the child's number.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_SUPPORT_PEAKMEMORY_H
#define MNEMO_SUPPORT_PEAKMEMORY_H

#include "llvm/Support/MemoryBuffer.h"

#include <optional>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace mnemo {

/// The process's peak resident set in MiB, where /proc tells it.
inline std::optional<double> peakResidentMiB() {
  // (/proc files report size 0: read them as a stream.)
  auto status = llvm::MemoryBuffer::getFileAsStream("/proc/self/status");
  if (!status)
    return std::nullopt;
  llvm::StringRef text = (*status)->getBuffer();
  size_t at = text.find("VmHWM:");
  if (at == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef num = text.substr(at + 6).ltrim();
  unsigned long long kb = 0;
  if (num.empty() || num.consumeInteger(10, kb))
    return std::nullopt;
  return kb / 1024.0;
}

/// Gives the heap's free pages back to the system. glibc keeps what a
/// stage freed (the ONNX protobuf after import, the MLIR module after
/// translation) in its arenas, resident, unless told: the next stages'
/// allocations are smaller and would not reuse it all.
inline void returnFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

} // namespace mnemo

#endif // MNEMO_SUPPORT_PEAKMEMORY_H
