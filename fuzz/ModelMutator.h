//===- ModelMutator.h - structure-aware mutations of ONNX models -*- C++ -*-===//
//
// Byte-level fuzzing rarely gets a protobuf past the parser with a shape
// that reaches shape inference or lowering. These mutations keep the model
// well-formed as a protobuf and break it the ways real exports break:
// extreme or negative attributes, NaN and infinite floats, dims of 0 or
// 2^40, omitted, dangling or cyclic inputs, truncated or resized
// initializers, wrong element types, opset and op-type changes, and graph
// inputs turned into constants with extreme values (which is what reaches
// the shape functions and folds with such values).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_FUZZ_MODELMUTATOR_H
#define MNEMO_FUZZ_MODELMUTATOR_H

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <random>
#include <string>

namespace mnemo::fuzz {

class ModelMutator {
public:
  explicit ModelMutator(uint64_t seed) : rng(seed) {}

  /// Applies one to three mutations to `model`; returns what was done
  /// ("attr Conv_0.pads[1]=-1; dim x[0]=2^40"), for reports.
  std::string mutate(onnx::ModelProto &model);

private:
  bool attribute(onnx::GraphProto &g, std::string &what);
  bool dropOrAddAttribute(onnx::GraphProto &g, std::string &what);
  bool rewire(onnx::GraphProto &g, std::string &what);
  bool arity(onnx::GraphProto &g, std::string &what);
  bool valueType(onnx::GraphProto &g, std::string &what);
  bool initializer(onnx::GraphProto &g, std::string &what);
  bool inputToConstant(onnx::GraphProto &g, std::string &what);
  bool opset(onnx::ModelProto &m, std::string &what);
  bool opType(onnx::GraphProto &g, std::string &what);
  bool nodes(onnx::GraphProto &g, std::string &what);
  bool outputs(onnx::GraphProto &g, std::string &what);

  void tensor(onnx::TensorProto &t, std::string &what);
  int64_t extremeInt();
  float extremeFloat();
  size_t pick(size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  }
  bool coin() { return pick(2) == 0; }

  std::mt19937_64 rng;
};

} // namespace mnemo::fuzz

#endif // MNEMO_FUZZ_MODELMUTATOR_H
