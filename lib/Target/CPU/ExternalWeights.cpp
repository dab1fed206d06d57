//===- ExternalWeights.cpp - weights in a file mapped at load time --------===//
//
// `mnemoc --weights=file`: the constant globals move to OUT/<name>.weights
// and their reads become views of a base pointer the loader sets (see
// Passes.td). The data is written straight from the globals' attributes
// (resource blobs or dense arrays), once, so the compile holds no further
// copy of the weights and LLVM never sees them.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"
#include "mnemo/Support/ConstantData.h"

#include "mnemo/Support/RunStatus.h"
#include "mnemo/Target/CPU/MemRefPointers.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace mnemo {
#define GEN_PASS_DEF_EXTERNALWEIGHTSPASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo;

namespace {

/// FNV-1a, 64 bits: tells one compile's weights file from another's.
struct Hash {
  uint64_t h = 1469598103934665603ull;
  void add(ArrayRef<char> bytes) {
    for (char c : bytes) {
      h ^= (unsigned char)c;
      h *= 1099511628211ull;
    }
  }
};

struct ExternalWeightsPass
    : public mnemo::impl::ExternalWeightsPassBase<ExternalWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    if (file.empty()) {
      module.emitError("mnemo-cpu-external-weights needs file=PATH");
      return signalPassFailure();
    }

    // Layout: each weight at a 64-byte aligned offset after the header.
    struct Entry {
      memref::GlobalOp global;
      ArrayRef<char> bytes;
      std::vector<char> scratch;
      int64_t offset;
    };
    std::vector<Entry> entries;
    int64_t end = kWeightsHeaderBytes;
    Hash hash;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      auto value = dyn_cast_or_null<ElementsAttr>(global.getInitialValueAttr());
      MemRefType type = global.getType();
      if (!global.getConstant() || !value || !type.hasStaticShape() ||
          !type.getLayout().isIdentity())
        continue;
      Entry e{global, {}, {}, 0};
      std::optional<ArrayRef<char>> bytes =
          storedElementBytes(value, e.scratch);
      if (!bytes || (int64_t)bytes->size() < minBytes)
        continue;
      e.bytes = *bytes;
      if (!e.scratch.empty())
        e.bytes = ArrayRef<char>(e.scratch);
      e.offset = end;
      end = (end + (int64_t)bytes->size() + 63) / 64 * 64;
      hash.add(e.bytes);
      entries.push_back(std::move(e));
    }

    // The file: header, then the weights (zeros between them).
    std::error_code ec;
    // The artifact's folder may not exist yet (the driver makes it after
    // the pipeline).
    if (StringRef dir = llvm::sys::path::parent_path(file); !dir.empty())
      ec = llvm::sys::fs::create_directories(dir);
    llvm::raw_fd_ostream os(file, ec, llvm::sys::fs::OF_None);
    if (ec) {
      module.emitError() << "cannot write " << file << ": " << ec.message();
      return signalPassFailure();
    }
    auto u64 = [&](uint64_t v) {
      os.write(reinterpret_cast<const char *>(&v), sizeof(v));
    };
    os << "MNEMOWT1";
    u64(end);
    u64(hash.h);
    os.write_zeros(kWeightsHeaderBytes - 24);
    int64_t at = kWeightsHeaderBytes;
    for (const Entry &e : entries) {
      os.write_zeros(e.offset - at);
      os.write(e.bytes.data(), e.bytes.size());
      at = e.offset + e.bytes.size();
    }
    os.write_zeros(end - at);
    os.close();
    if (os.has_error()) {
      module.emitError() << "cannot write " << file << ": "
                         << os.error().message();
      os.clear_error();
      return signalPassFailure();
    }

    // The base pointer, set by <name>_set_weights (the CPU ABI).
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto ptrT = LLVM::LLVMPointerType::get(ctx);
    auto base = LLVM::GlobalOp::create(b, module.getLoc(), ptrT,
                                       /*isConstant=*/false,
                                       LLVM::Linkage::Internal, kWeightsGlobal,
                                       Attribute(), /*alignment=*/8);
    {
      OpBuilder::InsertionGuard guard(b);
      Block *init = b.createBlock(&base.getInitializerRegion());
      b.setInsertionPointToStart(init);
      LLVM::ReturnOp::create(b, module.getLoc(),
                             LLVM::ZeroOp::create(b, module.getLoc(), ptrT));
    }
    base->setAttr("mnemo.weights_bytes", b.getI64IntegerAttr(end));
    base->setAttr("mnemo.weights_hash",
                  b.getI64IntegerAttr((int64_t)hash.h));
    module->setAttr("mnemo.weights_bytes", b.getI64IntegerAttr(end));

    // Reads of the moved globals: views of the base pointer.
    llvm::DenseMap<StringAttr, int64_t> offsets;
    for (Entry &e : entries)
      offsets[e.global.getSymNameAttr()] = e.offset - kWeightsHeaderBytes;
    SmallVector<memref::GetGlobalOp> reads;
    module.walk([&](memref::GetGlobalOp get) {
      if (offsets.count(get.getNameAttr().getAttr()))
        reads.push_back(get);
    });
    for (memref::GetGlobalOp get : reads) {
      Location loc = get.getLoc();
      b.setInsertionPoint(get);
      Value addr = LLVM::AddressOfOp::create(b, loc, ptrT, kWeightsGlobal);
      Value p = LLVM::LoadOp::create(b, loc, ptrT, addr);
      Value offset = LLVM::ConstantOp::create(
          b, loc, b.getI64Type(), offsets[get.getNameAttr().getAttr()]);
      Value at = LLVM::GEPOp::create(b, loc, ptrT, b.getI8Type(), p,
                                     ArrayRef<LLVM::GEPArg>{offset});
      SmallVector<Value> sizes;
      for (int64_t d : get.getType().getShape())
        sizes.push_back(arith::ConstantIndexOp::create(b, loc, d));
      get.replaceAllUsesWith(memrefFromPointer(b, loc, at, get.getType(), sizes));
      get.erase();
    }
    for (Entry &e : entries)
      e.global.erase();
    // The written weights' MLIR copies, unless something still refers to
    // them (two globals may share one blob).
    if (release)
      releaseUnusedBlobs(module);
  }

};

} // namespace
