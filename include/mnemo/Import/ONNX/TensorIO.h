//===- TensorIO.h - reading tensors from .pb and .npy files -----*- C++ -*-===//
//
// Host-side tensors for mnemo-run: ONNX TensorProto files (the backend test
// suite's input_N.pb / output_N.pb) and NumPy .npy files.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_IMPORT_ONNX_TENSORIO_H
#define MNEMO_IMPORT_ONNX_TENSORIO_H

#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <string>
#include <vector>

namespace mnemo {

struct HostTensor {
  std::string name;
  std::string dtype; // float32, int64, bool, uint8, ...
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; // little-endian, row-major

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// Bytes per element of a dtype name (bool is one byte); 0 if unknown.
size_t dtypeBytes(llvm::StringRef dtype);

/// Reads a TensorProto (.pb) or NumPy (.npy) file. Returns false and sets
/// `error` on failure.
bool readTensorFile(llvm::StringRef path, HostTensor &out, std::string &error);

/// A sequence or an optional read from a SequenceProto or OptionalProto
/// (.pb) file: its tensors in order.
struct HostStructured {
  /// An optional: whether it holds a value, and whether that is a sequence.
  bool present = true, isSequence = false;
  std::vector<HostTensor> tensors;
};

/// Reads a SequenceProto (`optional` false) or an OptionalProto file.
bool readStructuredFile(llvm::StringRef path, bool optional,
                        HostStructured &out, std::string &error);

} // namespace mnemo

#endif // MNEMO_IMPORT_ONNX_TENSORIO_H
