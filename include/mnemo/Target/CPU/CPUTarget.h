//===- CPUTarget.h - the machine a CPU artifact is built for ----*- C++ -*-===//
//
// Every codegen choice that depends on the machine (vector width, register
// block, cache sizes, the LLVM target machine, the run-time feature check)
// reads one description, resolved once from `--cpu` and `--cpu-features`:
//
//   host            the machine mnemoc runs on (its CPU name and the
//                   features its CPUID reports)
//   x86-64-v2..v4   the psABI levels (v3: AVX2 + FMA, v4: AVX-512)
//   <llvm cpu>      any CPU name LLVM knows (znver3, skylake-avx512, ...)
//
// The description lives here, not in a pass, so the pass defaults, the
// pipeline and the object emission cannot disagree about the machine.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_CPUTARGET_H
#define MNEMO_TARGET_CPU_CPUTARGET_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace mnemo {

struct CPUTarget {
  std::string requested;     // as given: host, x86-64-v3, znver3, ...
  std::string cpu;           // the LLVM CPU name (host resolved)
  std::string triple;
  std::string featureString; // for the LLVM target machine: +avx2,-avx512f,...
  /// The ISA extensions the code may use that the run-time check can see
  /// (CPUID bits; see FeatureGuard.cpp), in LLVM's names.
  std::vector<std::string> isaFeatures;

  int64_t vectorBits = 128;     // widest vector the kernels use
  int64_t vectorRegisters = 16; // architectural vector registers
  bool fma = false;
  int64_t l1dBytes = 0, l2Bytes = 0, l3Bytes = 0; // per core (L3: shared)
  int64_t cores = 0;                              // 0: unknown (run time)

  int64_t f32Lanes() const { return vectorBits / 32; }
  bool hasFeature(llvm::StringRef name) const;
  /// i32 lanes of the 8-bit dot product (vpdpbusd: four u8 x s8 products
  /// summed into each i32 lane) at the target's vector width; 0 where the
  /// target has none (AVX-512 VNNI for 512 bits, AVX-VNNI or AVX-512 VNNI
  /// with VL for 256).
  int64_t int8DotLanes() const;
  /// The f32 register block (rows x vectors of f32Lanes()): accumulators
  /// plus one row of B vectors plus the broadcast A scalar fit the
  /// register file.
  int64_t blockRows() const;
  int64_t blockVectors() const;
};

/// Resolves `cpu` (host, x86-64-vN, or an LLVM CPU name) with extra
/// `features` ("+avx2,-avx512f"). Unknown names are errors, not LLVM's
/// "ignoring processor" warning.
llvm::Expected<CPUTarget> resolveCPUTarget(llvm::StringRef cpu,
                                           llvm::StringRef features = "");

/// The LLVM target machine for `target` (PIC, for shared libraries).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CPUTarget &target, unsigned optLevel);

/// The entries of `features` (LLVM names) that the CPU running this
/// process lacks.
std::vector<std::string> missingHostFeatures(llvm::ArrayRef<std::string> features);

/// Guards the artifact's entry point `<prefix>_run_dims` with a CPUID check
/// of `features`: it returns 4 instead of running code the CPU cannot
/// execute (SIGILL). Adds `int <prefix>_cpu_supported(void)` (1 or 0; the
/// check runs once). Must run before LLVM's optimizer inlines the entry
/// point into `<prefix>_run`.
llvm::Error addCPUFeatureGuard(llvm::Module &module, llvm::StringRef prefix,
                               llvm::ArrayRef<std::string> features);

/// Whether the run-time check can see `feature` (an LLVM feature name).
bool isCheckableFeature(llvm::StringRef feature);

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_CPUTARGET_H
