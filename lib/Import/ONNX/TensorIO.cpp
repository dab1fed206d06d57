//===- TensorIO.cpp - reading tensors from .pb and .npy files -------------===//

#include "mnemo/Import/ONNX/TensorIO.h"

#include "onnx/onnx-data_pb.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstring>

using namespace mnemo;

size_t mnemo::dtypeBytes(llvm::StringRef dtype) {
  return llvm::StringSwitch<size_t>(dtype)
      .Cases({"float32", "int32", "uint32"}, 4)
      .Cases({"float64", "int64", "uint64"}, 8)
      .Cases({"float16", "bfloat16", "int16", "uint16"}, 2)
      .Cases({"bool", "int8", "uint8"}, 1)
      .Default(0);
}

static std::string protoDtype(int t) {
  switch (t) {
  case onnx::TensorProto::FLOAT: return "float32";
  case onnx::TensorProto::DOUBLE: return "float64";
  case onnx::TensorProto::FLOAT16: return "float16";
  case onnx::TensorProto::BFLOAT16: return "bfloat16";
  case onnx::TensorProto::BOOL: return "bool";
  case onnx::TensorProto::INT8: return "int8";
  case onnx::TensorProto::INT16: return "int16";
  case onnx::TensorProto::INT32: return "int32";
  case onnx::TensorProto::INT64: return "int64";
  case onnx::TensorProto::UINT8: return "uint8";
  case onnx::TensorProto::UINT16: return "uint16";
  case onnx::TensorProto::UINT32: return "uint32";
  case onnx::TensorProto::UINT64: return "uint64";
  default: return "";
  }
}

template <typename T, typename Src>
static void appendAs(std::vector<uint8_t> &out, const Src &values) {
  for (auto v : values) {
    T x = static_cast<T>(v);
    const uint8_t *p = reinterpret_cast<const uint8_t *>(&x);
    out.insert(out.end(), p, p + sizeof(T));
  }
}

static bool convertProto(const onnx::TensorProto &t, HostTensor &out,
                         std::string &error) {
  out.name = t.name();
  if (t.data_type() == onnx::TensorProto::UNDEFINED) {
    error = "not a tensor (a sequence, map or optional?)";
    return false;
  }
  out.dtype = protoDtype(t.data_type());
  if (out.dtype.empty()) {
    error = "unsupported tensor element type " + std::to_string(t.data_type());
    return false;
  }
  out.shape.assign(t.dims().begin(), t.dims().end());
  size_t eb = dtypeBytes(out.dtype);
  if (t.has_raw_data()) {
    out.data.assign(t.raw_data().begin(), t.raw_data().end());
  } else {
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      appendAs<float>(out.data, t.float_data());
      break;
    case onnx::TensorProto::DOUBLE:
      appendAs<double>(out.data, t.double_data());
      break;
    case onnx::TensorProto::INT64:
      appendAs<int64_t>(out.data, t.int64_data());
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      if (eb == 4)
        appendAs<uint32_t>(out.data, t.uint64_data());
      else
        appendAs<uint64_t>(out.data, t.uint64_data());
      break;
    default: // int32_data carries every narrower type
      if (eb == 1)
        appendAs<uint8_t>(out.data, t.int32_data());
      else if (eb == 2)
        appendAs<uint16_t>(out.data, t.int32_data());
      else
        appendAs<int32_t>(out.data, t.int32_data());
    }
  }
  if ((int64_t)out.data.size() != out.numElements() * (int64_t)eb) {
    error = "tensor data size does not match its shape";
    return false;
  }
  return true;
}

static bool readProto(llvm::StringRef bytes, HostTensor &out,
                      std::string &error) {
  onnx::TensorProto t;
  if (!t.ParseFromArray(bytes.data(), (int)bytes.size())) {
    error = "not a TensorProto";
    return false;
  }
  return convertProto(t, out, error);
}

static bool convertSequence(const onnx::SequenceProto &s, HostStructured &out,
                            std::string &error) {
  out.isSequence = true;
  if (s.elem_type() != onnx::SequenceProto::TENSOR &&
      !(s.elem_type() == onnx::SequenceProto::UNDEFINED &&
        s.tensor_values_size() == 0)) {
    error = "a sequence of other values than tensors";
    return false;
  }
  for (const onnx::TensorProto &t : s.tensor_values()) {
    out.tensors.emplace_back();
    if (!convertProto(t, out.tensors.back(), error))
      return false;
  }
  return true;
}

static bool readNpy(llvm::StringRef bytes, HostTensor &out, std::string &error) {
  if (bytes.size() < 10 || !bytes.starts_with("\x93NUMPY")) {
    error = "not a .npy file";
    return false;
  }
  unsigned major = (uint8_t)bytes[6];
  size_t hlen, hstart;
  if (major == 1) {
    hlen = (uint8_t)bytes[8] | ((uint8_t)bytes[9] << 8);
    hstart = 10;
  } else {
    hlen = (uint8_t)bytes[8] | ((uint8_t)bytes[9] << 8) |
           ((uint8_t)bytes[10] << 16) | ((size_t)(uint8_t)bytes[11] << 24);
    hstart = 12;
  }
  llvm::StringRef header = bytes.substr(hstart, hlen);
  auto field = [&](llvm::StringRef key) {
    size_t k = header.find(key);
    return k == llvm::StringRef::npos ? llvm::StringRef()
                                      : header.substr(k + key.size());
  };
  llvm::StringRef descr = field("'descr':").ltrim(" '");
  descr = descr.take_until([](char c) { return c == '\''; });
  if (field("'fortran_order':").ltrim().starts_with("True")) {
    error = "Fortran-ordered .npy is not supported";
    return false;
  }
  out.dtype = llvm::StringSwitch<std::string>(descr)
                  .Case("<f4", "float32").Case("<f8", "float64")
                  .Case("<f2", "float16").Case("|b1", "bool")
                  .Case("|i1", "int8").Case("|u1", "uint8")
                  .Case("<i2", "int16").Case("<u2", "uint16")
                  .Case("<i4", "int32").Case("<u4", "uint32")
                  .Case("<i8", "int64").Case("<u8", "uint64")
                  .Default("");
  if (out.dtype.empty()) {
    error = "unsupported .npy dtype " + descr.str();
    return false;
  }
  llvm::StringRef shape = field("'shape':").ltrim(" (");
  shape = shape.take_until([](char c) { return c == ')'; });
  out.shape.clear();
  while (!shape.trim().empty()) {
    auto [head, rest] = shape.split(',');
    int64_t d;
    if (!head.trim().empty()) {
      if (head.trim().getAsInteger(10, d)) {
        error = "bad .npy shape";
        return false;
      }
      out.shape.push_back(d);
    }
    shape = rest;
  }
  llvm::StringRef data = bytes.substr(hstart + hlen);
  size_t need = out.numElements() * dtypeBytes(out.dtype);
  if (data.size() < need) {
    error = ".npy data is truncated";
    return false;
  }
  out.data.assign(data.begin(), data.begin() + need);
  return true;
}

/// Reads `path` and hands its bytes to `parse` (protobuf may throw).
template <typename Fn>
static bool parseFile(llvm::StringRef path, std::string &error, Fn parse) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf) {
    error = "cannot read " + path.str();
    return false;
  }
  try {
    return parse((*buf)->getBuffer());
  } catch (const std::exception &e) {
    error = e.what();
    return false;
  }
}

bool mnemo::readTensorFile(llvm::StringRef path, HostTensor &out,
                           std::string &error) {
  return parseFile(path, error, [&](llvm::StringRef bytes) {
    if (path.ends_with(".npy"))
      return readNpy(bytes, out, error);
    return readProto(bytes, out, error);
  });
}

bool mnemo::readStructuredFile(llvm::StringRef path, bool optional,
                               HostStructured &out, std::string &error) {
  return parseFile(path, error, [&](llvm::StringRef bytes) {
    if (!optional) {
      onnx::SequenceProto s;
      if (!s.ParseFromArray(bytes.data(), (int)bytes.size())) {
        error = "not a SequenceProto";
        return false;
      }
      return convertSequence(s, out, error);
    }
    onnx::OptionalProto o;
    if (!o.ParseFromArray(bytes.data(), (int)bytes.size())) {
      error = "not an OptionalProto";
      return false;
    }
    out.present = o.has_tensor_value() || o.has_sequence_value();
    if (o.has_sequence_value())
      return convertSequence(o.sequence_value(), out, error);
    out.isSequence = o.elem_type() == onnx::OptionalProto::SEQUENCE;
    if (!out.present)
      return true;
    out.tensors.emplace_back();
    return convertProto(o.tensor_value(), out.tensors.back(), error);
  });
}
