//===- ConstantData.h - raw bytes of constant attributes --------*- C++ -*-===//
//
// Passes that rewrite weights at compile time (vocabulary slices, packed
// weights) read a constant's bytes the same way whether the importer
// stored it inline or as a resource blob.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_SUPPORT_CONSTANTDATA_H
#define MNEMO_SUPPORT_CONSTANTDATA_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseSet.h"

#include <cstring>
#include <optional>
#include <vector>

namespace mnemo {

/// The raw little-endian bytes of a constant (inline or resource blob);
/// empty for splats and blobs that are not loaded.
inline llvm::ArrayRef<char> rawConstantBytes(mlir::ElementsAttr a) {
  if (auto r = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(a))
    if (mlir::AsmResourceBlob *blob = r.getRawHandle().getBlob())
      return blob->getData();
  if (auto d = llvm::dyn_cast<mlir::DenseElementsAttr>(a); d && !d.isSplat())
    return d.getRawData();
  return {};
}

/// Whether f32Values can read `a` (f32, a splat or all its bytes at hand),
/// without copying them.
inline bool hasF32Values(mlir::ElementsAttr a) {
  if (!a.getElementType().isF32())
    return false;
  if (auto d = llvm::dyn_cast<mlir::DenseElementsAttr>(a); d && d.isSplat())
    return true;
  return (int64_t)rawConstantBytes(a).size() == a.getNumElements() * 4;
}

/// The f32 values of a constant (a splat expanded), or nothing for other
/// element types and unloaded blobs.
inline std::optional<std::vector<float>> f32Values(mlir::ElementsAttr a) {
  if (!hasF32Values(a))
    return std::nullopt;
  int64_t n = a.getNumElements();
  if (auto d = llvm::dyn_cast<mlir::DenseElementsAttr>(a); d && d.isSplat())
    return std::vector<float>(n, d.getSplatValue<float>());
  llvm::ArrayRef<char> raw = rawConstantBytes(a);
  std::vector<float> values(n);
  std::memcpy(values.data(), raw.data(), raw.size());
  return values;
}

/// An f32 constant of `type` holding `values`: inline when small, else a
/// resource blob named `name` (aligned for vector loads), which keeps
/// large weights out of the printed IR.
inline mlir::ElementsAttr f32Elements(mlir::ShapedType type,
                                      llvm::ArrayRef<float> values,
                                      llvm::StringRef name) {
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                             values.size() * sizeof(float));
  if (bytes.size() <= 4096)
    return mlir::DenseElementsAttr::getFromRawBuffer(type, bytes);
  return mlir::DenseResourceElementsAttr::get(
      type, name,
      mlir::HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/64));
}

/// The bytes of `value` as the global stores them (row-major, one element
/// after the other), or nullopt for data that stays in the object
/// (bools and sub-byte types, whose storage differs from the attribute's).
/// A splat is expanded into `scratch`.
inline std::optional<llvm::ArrayRef<char>>
storedElementBytes(mlir::ElementsAttr value, std::vector<char> &scratch) {
  mlir::Type elt = value.getElementType();
  if (!elt.isIntOrFloat())
    return std::nullopt;
  unsigned bits = elt.getIntOrFloatBitWidth();
  if (bits < 8 || bits % 8)
    return std::nullopt;
  int64_t n = value.getNumElements();
  if (auto res = llvm::dyn_cast<mlir::DenseResourceElementsAttr>(value)) {
    mlir::AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || (int64_t)blob->getData().size() != n * (bits / 8))
      return std::nullopt;
    return blob->getData();
  }
  auto dense = llvm::dyn_cast<mlir::DenseElementsAttr>(value);
  if (!dense)
    return std::nullopt;
  llvm::ArrayRef<char> raw = dense.getRawData();
  if (!dense.isSplat())
    return raw;
  scratch.resize(n * (bits / 8));
  for (int64_t i = 0; i < n; ++i)
    std::copy(raw.begin(), raw.begin() + bits / 8,
              scratch.begin() + i * (bits / 8));
  return llvm::ArrayRef<char>(scratch);
}

/// The resource blobs (weights) that hold data, in `ctx`.
inline llvm::SmallVector<mlir::DialectResourceBlobManager::BlobEntry *>
loadedBlobs(mlir::MLIRContext *ctx) {
  using Entry = mlir::DialectResourceBlobManager::BlobEntry;
  llvm::SmallVector<Entry *> out;
  mlir::DenseResourceElementsHandle::getManagerInterface(ctx)
      .getBlobManager()
      .getBlobMap([&](const llvm::StringMap<Entry> &map) {
        for (const auto &e : map)
          if (e.second.getBlob())
            out.push_back(const_cast<Entry *>(&e.second));
      });
  return out;
}

/// Frees the data of every resource blob of `module`'s context that no
/// attribute in `module` refers to (a weight a pass replaced: folded into
/// another, repacked, written to the weights file). Only for a context
/// whose blobs are this module's alone (mnemoc's
/// CompileOptions::releaseWeights): another module's constants would lose
/// their data.
inline void releaseUnusedBlobs(mlir::ModuleOp module) {
  llvm::DenseSet<const void *> used;
  module.walk([&](mlir::Operation *op) {
    op->getAttrDictionary().walk([&](mlir::DenseResourceElementsAttr a) {
      used.insert(a.getRawHandle().getResource());
    });
  });
  for (auto *entry : loadedBlobs(module.getContext()))
    if (!used.contains(entry))
      entry->setBlob(mlir::AsmResourceBlob());
}

} // namespace mnemo

#endif // MNEMO_SUPPORT_CONSTANTDATA_H
