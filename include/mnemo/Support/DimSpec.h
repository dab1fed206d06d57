//===- DimSpec.h - `--dim NAME=LO..HI` bounds -------------------*- C++ -*-===//
//
// One parser for the dim bounds mnemoc, mnemo-run and the Python package
// pass down (the driver's fixed-dim specialization, the size bounds, the
// C ABI's dim table all read them).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_SUPPORT_DIMSPEC_H
#define MNEMO_SUPPORT_DIMSPEC_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace mnemo {

struct DimSpec {
  llvm::StringRef name;
  int64_t lo, hi;
};

/// `NAME=LO..HI` with 0 <= LO <= HI, or `NAME=N` (N..N), or nullopt.
inline std::optional<DimSpec> parseDimSpec(llvm::StringRef spec) {
  auto [name, range] = spec.split('=');
  auto [lo, hi] = range.split("..");
  if (!range.contains(".."))
    hi = lo;
  int64_t l, h;
  if (name.empty() || lo.getAsInteger(10, l) || hi.getAsInteger(10, h) ||
      l < 0 || h < l)
    return std::nullopt;
  return DimSpec{name, l, h};
}

} // namespace mnemo

#endif // MNEMO_SUPPORT_DIMSPEC_H
