//===- DataObject.h - the weights as an ELF object of their own -*- C++ -*-===//
//
// Weights leave a CPU compile as a relocatable object written directly
// from their bytes (DataObject.cpp), never as LLVM constants: the driver
// writes one for the weights translation would otherwise carry, and
// mnemo-cpu-weights-object one before the lowering to LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_DATAOBJECT_H
#define MNEMO_TARGET_CPU_DATAOBJECT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mnemo {

/// A hidden global of a data object: `bytes` at `align`; symbols with the
/// same `key` (a blob) share one copy.
struct DataSymbol {
  std::string symbol;
  llvm::ArrayRef<char> bytes;
  uint64_t align;
  const void *key;
};

/// Whether writeDataObject can write objects for `triple` (64-bit
/// little-endian ELF).
bool canWriteDataObject(llvm::StringRef triple);

/// Writes the relocatable object `path` defining `symbols` in .rodata.
llvm::Error writeDataObject(llvm::ArrayRef<DataSymbol> symbols,
                            llvm::StringRef triple, llvm::StringRef path);

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_DATAOBJECT_H
