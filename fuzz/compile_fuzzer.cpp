//===- compile_fuzzer.cpp - libFuzzer target for the whole compile path ---===//
//
// Feeds a model through import, shape inference, the graph passes and the
// CPU pipeline to LLVM IR. The property: it compiles or fails with an
// error diagnostic; a crash, an abort, a hang (-timeout), an allocation
// over -malloc_limit_mb or a failure without a diagnostic is a finding.
//
// The custom mutator parses the input as a ModelProto and applies the
// structure-aware mutations of ModelMutator (byte mutations rarely get a
// protobuf past the parser with a shape that reaches lowering); inputs
// that do not parse fall back to libFuzzer's byte mutations.
//
//===----------------------------------------------------------------------===//

#include "CompileModel.h"
#include "ModelMutator.h"

#include "llvm/Support/FileSystem.h"

#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

using namespace mnemo::fuzz;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  onnx::ModelProto model;
  if (size == 0 || !model.ParseFromArray(data, int(size)) ||
      !model.has_graph() || seed % 8 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  ModelMutator(seed).mutate(model);
  std::string bytes;
  if (!model.SerializeToString(&bytes) || bytes.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, bytes.data(), bytes.size());
  return bytes.size();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // One output folder for the process, removed when it exits (libFuzzer
  // ends a timed run with exit(), which runs static destructors).
  static const struct OutDir {
    std::string path;
    OutDir() {
      llvm::SmallString<128> dir;
      (void)llvm::sys::fs::createUniqueDirectory("mnemo-compile-fuzz", dir);
      path = dir.str().str();
    }
    ~OutDir() { (void)llvm::sys::fs::remove_directories(path); }
  } outDir;
  std::string firstError;
  Outcome o = compileModel(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), outDir.path,
      firstError);
  if (o == Outcome::Silent) {
    // As much a bug as a crash: the user gets a non-zero exit and no reason.
    fprintf(stderr, "compile failed without a diagnostic\n");
    abort();
  }
  return 0;
}
