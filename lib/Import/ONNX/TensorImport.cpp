//===- TensorImport.cpp - ONNX tensors and attributes ---------------------===//
//
// TensorProto -> ElementsAttr. Small tensors become `dense` (foldable shape
// data); larger ones become `dense_resource` blobs, holding the bytes once.
// External data (`data_location = EXTERNAL`) is read from a file next to the
// model; locations that escape the model's folder are rejected.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mnemo::onnx_import;

Type Importer::convertElementType(int32_t t) {
  MLIRContext *c = ctx;
  switch (t) {
  case onnx::TensorProto::FLOAT: return Float32Type::get(c);
  case onnx::TensorProto::DOUBLE: return Float64Type::get(c);
  case onnx::TensorProto::FLOAT16: return Float16Type::get(c);
  case onnx::TensorProto::BFLOAT16: return BFloat16Type::get(c);
  case onnx::TensorProto::BOOL: return IntegerType::get(c, 1);
  case onnx::TensorProto::INT8: return IntegerType::get(c, 8);
  case onnx::TensorProto::INT16: return IntegerType::get(c, 16);
  case onnx::TensorProto::INT32: return IntegerType::get(c, 32);
  case onnx::TensorProto::INT64: return IntegerType::get(c, 64);
  case onnx::TensorProto::UINT8:
    return IntegerType::get(c, 8, IntegerType::Unsigned);
  case onnx::TensorProto::UINT16:
    return IntegerType::get(c, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return IntegerType::get(c, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return IntegerType::get(c, 64, IntegerType::Unsigned);
  // Float8 types of opset 19 (not in libonnx 1.12's enum).
  case 17: return Float8E4M3FNType::get(c);
  case 18: return Float8E4M3FNUZType::get(c);
  case 19: return Float8E5M2Type::get(c);
  case 20: return Float8E5M2FNUZType::get(c);
  default: return {};
  }
}

static size_t storageBytes(Type elt) {
  if (elt.isInteger(1))
    return 1;
  return (elt.getIntOrFloatBitWidth() + 7) / 8;
}

FailureOr<std::string> Importer::readExternal(const onnx::TensorProto &t,
                                              Location loc) {
  std::string location;
  uint64_t offset = 0;
  int64_t length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      uint64_t v;
      if (StringRef(kv.value()).getAsInteger(10, v))
        return emitError(loc) << "external data " << kv.key() << " '"
                              << kv.value() << "' is not a number";
      if (kv.key() == "offset")
        offset = v;
      else
        length = (int64_t)v;
    }
  }
  if (location.empty())
    return emitError(loc) << "external data of '" << t.name()
                          << "' has no location";
  if (baseDir.empty())
    return emitError(loc) << "external data '" << location
                          << "' cannot be resolved without a model folder";
  // The location must stay inside the model's folder: no absolute paths, no
  // `..`, no links (a model is untrusted input).
  if (llvm::sys::path::is_absolute(location) ||
      llvm::sys::path::has_root_name(location))
    return emitError(loc) << "external data location '" << location
                          << "' is absolute; it must be relative to the "
                             "model's folder";
  for (auto it = llvm::sys::path::begin(location),
            e = llvm::sys::path::end(location);
       it != e; ++it)
    if (*it == "..")
      return emitError(loc) << "external data location '" << location
                            << "' escapes the model's folder";
  SmallString<256> full(baseDir);
  llvm::sys::path::append(full, location);
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(full, status, /*follow=*/false))
    return emitError(loc) << "external data file '" << full.str()
                          << "' does not exist";
  if (llvm::sys::fs::is_symlink_file(status))
    return emitError(loc) << "external data file '" << full.str()
                          << "' is a symbolic link, which is not allowed";
  if (!llvm::sys::fs::is_regular_file(status))
    return emitError(loc) << "external data '" << full.str()
                          << "' is not a regular file";
  uint64_t size = status.getSize();
  if (offset > size || (length >= 0 && offset + (uint64_t)length > size))
    return emitError(loc) << "external data of '" << t.name()
                          << "' (offset " << offset << ", length " << length
                          << ") lies beyond the end of '" << location << "' ("
                          << size << " bytes)";
  uint64_t n = length >= 0 ? (uint64_t)length : size - offset;
  auto buf = llvm::MemoryBuffer::getFileSlice(full, n, offset);
  if (!buf)
    return emitError(loc) << "cannot read external data '" << full.str()
                          << "': " << buf.getError().message();
  return (*buf)->getBuffer().str();
}

/// Appends the typed-field payload of `t` as little-endian raw bytes in the
/// storage layout of `elt`.
static LogicalResult typedFieldBytes(const onnx::TensorProto &t, Type elt,
                                     int64_t n, std::string &bytes,
                                     Location loc) {
  size_t w = storageBytes(elt);
  // The count is checked before anything is allocated: the dims are the
  // model's word, the values are what the file holds.
  int64_t have;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    have = t.float_data_size();
    break;
  case onnx::TensorProto::DOUBLE:
    have = t.double_data_size();
    break;
  case onnx::TensorProto::INT64:
    have = t.int64_data_size();
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    have = t.uint64_data_size();
    break;
  default:
    have = t.int32_data_size();
  }
  if (have != n)
    return emitError(loc) << "tensor '" << t.name() << "' has " << have
                          << " values for " << n << " elements";
  bytes.resize(n * w);
  char *out = bytes.data();
  auto fromInt32 = [&]() -> LogicalResult {
    if (t.int32_data_size() != n)
      return emitError(loc) << "tensor '" << t.name() << "' has "
                            << t.int32_data_size() << " values for " << n
                            << " elements";
    for (int64_t i = 0; i < n; ++i) {
      int32_t v = t.int32_data(i);
      std::memcpy(out + i * w, &v, w); // little-endian truncation
    }
    return success();
  };
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    if (t.float_data_size() != n)
      break;
    if (n) // an empty repeated field's data() is null
      std::memcpy(out, t.float_data().data(), n * 4);
    return success();
  case onnx::TensorProto::DOUBLE:
    if (t.double_data_size() != n)
      break;
    if (n)
      std::memcpy(out, t.double_data().data(), n * 8);
    return success();
  case onnx::TensorProto::INT64:
    if (t.int64_data_size() != n)
      break;
    if (n)
      std::memcpy(out, t.int64_data().data(), n * 8);
    return success();
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    if (t.uint64_data_size() != n)
      break;
    for (int64_t i = 0; i < n; ++i) {
      uint64_t v = t.uint64_data(i);
      std::memcpy(out + i * w, &v, w);
    }
    return success();
  default:
    return fromInt32();
  }
  return emitError(loc) << "tensor '" << t.name()
                        << "' has the wrong number of values for " << n
                        << " elements";
}

FailureOr<ElementsAttr> Importer::importTensor(const onnx::TensorProto &t,
                                               Location loc) {
  Type elt = convertElementType(t.data_type());
  if (!elt)
    return emitError(loc) << "tensor '" << t.name()
                          << "' has an unsupported element type "
                          << onnx::TensorProto_DataType_Name(
                                 (onnx::TensorProto_DataType)t.data_type())
                          << " (" << t.data_type() << ")";
  if (t.has_segment())
    return emitError(loc) << "segmented tensors are not supported";
  SmallVector<int64_t> shape;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0)
      return emitError(loc) << "tensor '" << t.name()
                            << "' has a negative dimension " << d;
    if (d != 0 && n > (int64_t(1) << 40) / d)
      return emitError(loc) << "tensor '" << t.name() << "' is too large";
    n *= d;
    shape.push_back(d);
  }
  auto type = RankedTensorType::get(shape, elt);
  if (failed(graph::checkTensorBytes(loc, type, options.maxTensorBytes,
                                     "tensor '" + t.name() + "'")))
    return failure();
  size_t bytesNeeded = n * storageBytes(elt);

  std::string owned;
  const std::string *raw = nullptr;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<std::string> data = readExternal(t, loc);
    if (failed(data))
      return failure();
    owned = std::move(*data);
    raw = &owned;
  } else if (t.has_raw_data()) {
    raw = &t.raw_data();
  } else {
    if (failed(typedFieldBytes(t, elt, n, owned, loc)))
      return failure();
    raw = &owned;
  }
  if (raw->size() != bytesNeeded)
    return emitError(loc) << "tensor '" << t.name() << "' holds "
                          << raw->size() << " bytes but " << type << " needs "
                          << bytesNeeded;

  if (elt.isInteger(1)) {
    SmallVector<bool> bits(n);
    for (int64_t i = 0; i < n; ++i)
      bits[i] = (*raw)[i] != 0;
    return cast<ElementsAttr>(DenseElementsAttr::get(type, bits));
  }
  ArrayRef<char> data(raw->data(), raw->size());
  if (bytesNeeded <= options.denseLimitBytes) {
    bool isSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, data, isSplat))
      return emitError(loc) << "tensor '" << t.name() << "' has bad data";
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, data));
  }
  // One copy into a blob the resource manager owns, aligned to a cache line
  // so later stages can use it in place with vector loads.
  std::string blobName = t.name().empty() ? "tensor" : t.name();
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(data, /*align=*/64);
  return cast<ElementsAttr>(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

static Attribute floatsAttr(Builder &b, const onnx::AttributeProto &a) {
  SmallVector<Attribute> v;
  for (float f : a.floats())
    v.push_back(b.getF32FloatAttr(f));
  return b.getArrayAttr(v);
}

static Attribute intsAttr(Builder &b, const onnx::AttributeProto &a) {
  return b.getI64ArrayAttr(
      SmallVector<int64_t>(a.ints().begin(), a.ints().end()));
}

FailureOr<Attribute> Importer::convertAttribute(const onnx::AttributeProto &a,
                                                Location loc) {
  Builder &b = builder;
  switch (a.type()) {
  case onnx::AttributeProto::FLOAT:
    return Attribute(b.getF32FloatAttr(a.f()));
  case onnx::AttributeProto::INT:
    return Attribute(b.getI64IntegerAttr(a.i()));
  case onnx::AttributeProto::STRING:
    return Attribute(b.getStringAttr(a.s()));
  case onnx::AttributeProto::TENSOR: {
    FailureOr<ElementsAttr> t = importTensor(a.t(), loc);
    if (failed(t))
      return emitError(loc) << "in attribute '" << a.name() << "'";
    return Attribute(*t);
  }
  case onnx::AttributeProto::FLOATS:
    return floatsAttr(b, a);
  case onnx::AttributeProto::INTS:
    return intsAttr(b, a);
  case onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> v;
    for (const std::string &s : a.strings())
      v.push_back(b.getStringAttr(s));
    return Attribute(b.getArrayAttr(v));
  }
  case onnx::AttributeProto::GRAPH:
  case onnx::AttributeProto::GRAPHS:
  case onnx::AttributeProto::SPARSE_TENSOR:
  case onnx::AttributeProto::SPARSE_TENSORS:
  case onnx::AttributeProto::TYPE_PROTO:
  case onnx::AttributeProto::TYPE_PROTOS:
    // Kept by kind only: ops that need them (If, Loop, Scan, sparse
    // constants) import as generic nodes, which cannot be lowered anyway.
    return Attribute(b.getStringAttr(
        "<" + onnx::AttributeProto_AttributeType_Name(a.type()) + ">"));
  default:
    // IR < 4 models may leave `type` unset; infer it from the payload.
    if (a.has_f())
      return Attribute(b.getF32FloatAttr(a.f()));
    if (a.has_i())
      return Attribute(b.getI64IntegerAttr(a.i()));
    if (a.has_s())
      return Attribute(b.getStringAttr(a.s()));
    if (a.has_t()) {
      FailureOr<ElementsAttr> t = importTensor(a.t(), loc);
      if (failed(t))
        return failure();
      return Attribute(*t);
    }
    if (a.ints_size())
      return intsAttr(b, a);
    if (a.floats_size())
      return floatsAttr(b, a);
    return emitError(loc) << "attribute '" << a.name()
                          << "' has an unknown type " << (int)a.type();
  }
}
