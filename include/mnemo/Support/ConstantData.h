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
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

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

/// The f32 values of a constant (a splat expanded), or nothing for other
/// element types and unloaded blobs.
inline std::optional<std::vector<float>> f32Values(mlir::ElementsAttr a) {
  if (!a.getElementType().isF32())
    return std::nullopt;
  int64_t n = a.getNumElements();
  if (auto d = llvm::dyn_cast<mlir::DenseElementsAttr>(a); d && d.isSplat())
    return std::vector<float>(n, d.getSplatValue<float>());
  llvm::ArrayRef<char> raw = rawConstantBytes(a);
  if ((int64_t)raw.size() != n * 4)
    return std::nullopt;
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

} // namespace mnemo

#endif // MNEMO_SUPPORT_CONSTANTDATA_H
