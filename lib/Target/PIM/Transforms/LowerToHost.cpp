//===- LowerToHost.cpp - host calls into the device, device part out -----===//
//
// After this pass the module is host code only (the CPU pipeline takes it
// from here): each GEMV is a call of `mnemo_pim_gemv` on buffers, and what
// runs on the device (programs, the weight image, their registers) is in
// files next to the host library.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/PIM/Transforms/Passes.h"

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Target/PIM/GemvMapping.h"
#include "mnemo/Target/PIM/KVMapping.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace mnemo {
#define GEN_PASS_DEF_PIMLOWERTOHOSTPASS
#include "mnemo/Target/PIM/Transforms/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using namespace mnemo::pim;

namespace {

constexpr llvm::StringLiteral kCallee = "mnemo_pim_gemv";
constexpr llvm::StringLiteral kKVCallee = "mnemo_pim_kv_attend";

/// The f32 values of a constant weight (dense, splat or a resource blob).
bool readFloats(Value v, std::vector<float> &out) {
  ElementsAttr attr;
  if (auto c = v.getDefiningOp<mnemo::graph::ConstantOp>())
    attr = c.getValue();
  else if (auto c = v.getDefiningOp<arith::ConstantOp>())
    attr = dyn_cast<ElementsAttr>(c.getValue());
  if (!attr || !attr.getElementType().isF32())
    return false;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    out.assign(dense.value_begin<float>(), dense.value_end<float>());
    return true;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != attr.getNumElements() * sizeof(float))
      return false;
    out.resize(attr.getNumElements());
    std::memcpy(out.data(), blob->getData().data(), blob->getData().size());
    return true;
  }
  return false;
}

MemRefType stridedType(MLIRContext *ctx, unsigned rank, Type element = {}) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  return MemRefType::get(shape, element ? element : Float32Type::get(ctx),
                         StridedLayoutAttr::get(ctx, ShapedType::kDynamic, shape));
}

/// `v` as a buffer of the strided type of its rank (the C interface's
/// descriptor).
Value descriptor(OpBuilder &b, Location loc, Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  Value m = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(t.getShape(), t.getElementType()), v,
      /*readOnly=*/true);
  return memref::CastOp::create(
      b, loc, stridedType(b.getContext(), t.getRank(), t.getElementType()), m);
}

/// The host side of a pim.kv_attend: a call of mnemo_pim_kv_attend that
/// appends the new row on the device and fills y.
void lowerKVAttend(OpBuilder &b, func::FuncOp callee, KVAttendOp kv) {
  Location loc = kv.getLoc();
  b.setInsertionPoint(kv);
  auto cache = cast<RankedTensorType>(kv.getCache().getType());
  int64_t h = cache.getDimSize(1), t = cache.getDimSize(2), d = cache.getDimSize(3);
  bool key = kv.getKind() == "key";
  SmallVector<Value> dyn;
  if (key) {
    // len = clamp(position, 0, T - 1) + 1, as kv_cache_write clamps.
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value pos = tensor::ExtractOp::create(b, loc, kv.getPosition(), ValueRange{zero});
    pos = arith::MaxSIOp::create(b, loc, pos,
                                 arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0)));
    pos = arith::MinSIOp::create(b, loc, pos,
                                 arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(t - 1)));
    pos = arith::AddIOp::create(b, loc, pos,
                                arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1)));
    dyn.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(), pos));
  }
  auto yType = MemRefType::get({1, h, 1, key ? ShapedType::kDynamic : d}, b.getF32Type());
  Value y = memref::AllocOp::create(b, loc, yType, dyn);
  Value idv = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(kv.getCacheId()));
  func::CallOp::create(
      b, loc, callee,
      ValueRange{idv, descriptor(b, loc, kv.getX()), descriptor(b, loc, kv.getNewRow()),
                 descriptor(b, loc, kv.getPosition()), descriptor(b, loc, kv.getCache()),
                 memref::CastOp::create(b, loc, stridedType(b.getContext(), 4), y)});
  Value result = bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(yType.getShape(), b.getF32Type()), y,
      /*restrict=*/true, /*writable=*/true);
  if (result.getType() != kv.getY().getType())
    result = tensor::CastOp::create(b, loc, kv.getY().getType(), result);
  kv.getY().replaceAllUsesWith(result);
  kv.erase();
}

/// `<artifactDir>/pim`, created.
FailureOr<std::string> deviceDir(Operation *at, llvm::StringRef artifactDir) {
  SmallString<256> dir(artifactDir);
  llvm::sys::path::append(dir, "pim");
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return at->emitError() << "cannot create " << dir << ": " << ec.message();
  return dir.str().str();
}

LogicalResult writeBytes(Operation *at, llvm::StringRef path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return at->emitError() << "cannot write " << path << ": " << ec.message();
  os << bytes;
  return success();
}

struct PIMLowerToHostPass
    : public mnemo::impl::PIMLowerToHostPassBase<PIMLowerToHostPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    auto devAttr = module->getAttrOfType<DeviceAttr>("pim.device");
    Device dev = devAttr ? devAttr.getDevice() : Device();
    SmallVector<GemvOp> gemvs;
    module.walk([&](GemvOp g) { gemvs.push_back(g); });
    // Without GEMVs the artifact still has its (empty) device part, so a
    // loader tells a PIM build with nothing on the device from a broken one.

    // The device part: programs, weights, registers.
    Image image;
    llvm::json::Array programs;
    SymbolTable symbols(module);
    for (auto [id, gemv] : llvm::enumerate(gemvs)) {
      auto program = gemv.getProgramAttr()
                         ? symbols.lookup<ProgramOp>(gemv.getProgramAttr().getValue())
                         : ProgramOp();
      GemvLayoutAttr l = gemv.getLayoutAttr();
      if (!program || !l) {
        gemv.emitError("pim.gemv has no layout or program (run "
                       "mnemo-pim-map-gemv and mnemo-pim-emit-programs first)");
        return signalPassFailure();
      }
      std::vector<float> w;
      if (!readFloats(gemv.getW(), w)) {
        gemv.emitError() << "node '" << mnemo::graph::getOnnxNodeName(gemv)
                         << "': the weight is not an f32 constant the "
                            "compiler can read";
        return signalPassFailure();
      }
      GemvPlan plan{l.getK(), l.getN(), l.getRowBase(), l.getSlots(), l.getPasses()};
      if (w.size() == 1) // a splat
        w.assign(plan.k * plan.n, w[0]);
      packGemvWeights(dev, plan, w, image);
      std::vector<Command> commands;
      for (Operation &op : program.getBody().front())
        commands.push_back(*commandOf(&op));
      auto reg = [&](StringRef name) -> int64_t {
        auto a = program->getAttrOfType<IntegerAttr>(name);
        return a ? a.getInt() : -1;
      };
      std::string name = program.getSymName().str();
      // The program's modelled time for one activation row, from a cold
      // device (all rows closed).
      Simulator sim(dev);
      llvm::Expected<Stats> t = sim.run(commands, /*functional=*/false);
      if (!t) {
        program.emitError() << llvm::toString(t.takeError());
        return signalPassFailure();
      }
      programs.push_back(llvm::json::Object{
          {"row_base", plan.rowBase},
          {"rows", plan.rows()},
          {"cycles_per_row", t->cycles},
          {"energy_pj_per_row", t->totalPJ()},
          {"id", int64_t(id)},
          {"name", name},
          {"node", mnemo::graph::getOnnxNodeName(gemv)},
          {"k", plan.k},
          {"n", plan.n},
          {"x_gpr", reg("pim.x_gpr")},
          {"y_gpr", reg("pim.y_gpr")},
          {"zero_gpr", reg("pim.zero_gpr")},
          {"bias_gpr", reg("pim.bias_gpr")},
          {"commands", int64_t(commands.size())},
          {"binary", name + ".bin"},
          {"trace", name + ".trace"}});
      if (!artifactDir.empty()) {
        FailureOr<std::string> dir = deviceDir(module, artifactDir);
        if (failed(dir))
          return signalPassFailure();
        std::string text;
        llvm::raw_string_ostream ts(text);
        printTrace(ts, commands);
        if (failed(writeBytes(program, *dir + "/" + name + ".trace", text)) ||
            failed(writeBytes(program, *dir + "/" + name + ".bin",
                              encodeBinary(commands))))
          return signalPassFailure();
      }
    }
    // The KV caches the device holds: where, and the host cache input
    // each one starts from.
    SmallVector<KVAttendOp> kvs;
    module.walk([&](KVAttendOp kv) { kvs.push_back(kv); });
    llvm::json::Array caches;
    for (KVAttendOp kv : kvs) {
      auto cache = cast<RankedTensorType>(kv.getCache().getType());
      if (!kv.getRowBase()) {
        kv.emitError("pim.kv_attend has no row_base (run mnemo-pim-map-gemv first)");
        return signalPassFailure();
      }
      if (kv.getCacheId() != int64_t(caches.size())) {
        kv.emitError("pim.kv_attend cache ids must be 0, 1, ... in order");
        return signalPassFailure();
      }
      std::string name;
      if (auto arg = dyn_cast<BlockArgument>(kv.getCache()))
        if (auto f = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
          if (auto n = f.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "graph.name"))
            name = n.str();
      caches.push_back(llvm::json::Object{
          {"id", kv.getCacheId()},
          {"kind", kv.getKind()},
          {"cache", name},
          {"node", mnemo::graph::getOnnxNodeName(kv)},
          {"heads", cache.getDimSize(1)},
          {"max_seq", cache.getDimSize(2)},
          {"head_dim", cache.getDimSize(3)},
          {"row_base", *kv.getRowBase()}});
    }
    if (!artifactDir.empty()) {
      FailureOr<std::string> dir = deviceDir(module, artifactDir);
      if (failed(dir))
        return signalPassFailure();
      llvm::json::Object root{{"device", printDevice(dev)},
                              {"weights", "weights.img"},
                              {"programs", std::move(programs)},
                              {"kv_caches", std::move(caches)}};
      std::string json;
      llvm::raw_string_ostream js(json);
      js << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
      if (failed(writeBytes(module, *dir + "/pim.json", json)) ||
          failed(writeBytes(module, *dir + "/weights.img", encodeImage(image, dev))))
        return signalPassFailure();
    }

    module->removeAttr("pim.device");
    OpBuilder b(module.getBodyRegion());
    if (!kvs.empty()) {
      b.setInsertionPointToStart(module.getBody());
      MemRefType m4 = stridedType(ctx, 4);
      auto kvType = b.getFunctionType(
          {b.getI64Type(), m4, m4, stridedType(ctx, 1, b.getI64Type()), m4, m4}, {});
      auto kvCallee = func::FuncOp::create(b, module.getLoc(), kKVCallee, kvType);
      kvCallee.setPrivate();
      kvCallee->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
      for (KVAttendOp kv : kvs)
        lowerKVAttend(b, kvCallee, kv);
    }
    if (gemvs.empty())
      return;
    // The host side: one call per GEMV on buffers.
    b.setInsertionPointToStart(module.getBody());
    MemRefType m2 = stridedType(ctx, 2), m1 = stridedType(ctx, 1);
    auto fnType = b.getFunctionType({b.getI64Type(), m2, m1, m2}, {});
    auto callee = func::FuncOp::create(b, module.getLoc(), kCallee, fnType);
    callee.setPrivate();
    callee->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    for (auto [id, gemv] : llvm::enumerate(gemvs)) {
      b.setInsertionPoint(gemv);
      Location loc = gemv.getLoc();
      auto yt = cast<RankedTensorType>(gemv.getY().getType());
      Value x = descriptor(b, loc, gemv.getX());
      Value bias = gemv.getBias()
                       ? descriptor(b, loc, gemv.getBias())
                       : memref::CastOp::create(
                             b, loc, m1,
                             memref::AllocOp::create(
                                 b, loc, MemRefType::get({0}, b.getF32Type())));
      SmallVector<Value> dyn;
      if (yt.isDynamicDim(0))
        dyn.push_back(tensor::DimOp::create(b, loc, gemv.getX(), 0));
      auto ymt = MemRefType::get(yt.getShape(), yt.getElementType());
      Value y = memref::AllocOp::create(b, loc, ymt, dyn);
      Value idv = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(id));
      func::CallOp::create(b, loc, callee,
                           ValueRange{idv, x, bias, memref::CastOp::create(b, loc, m2, y)});
      Value result = bufferization::ToTensorOp::create(b, loc, yt, y,
                                                       /*restrict=*/true,
                                                       /*writable=*/true);
      gemv.getY().replaceAllUsesWith(result);
      gemv.erase();
    }
    for (ProgramOp p : llvm::make_early_inc_range(module.getOps<ProgramOp>()))
      p.erase();
  }
};

} // namespace
