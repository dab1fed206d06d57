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
#include "mlir/IR/DialectResourceBlobManager.h"

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

} // namespace mnemo

#endif // MNEMO_SUPPORT_CONSTANTDATA_H
