//===- PatchGeometryPass.cpp - the mnemo-patch-geometry pass --------------===//
//
// Reads a CNN's leading spatial stage from the graph dialect (convolutions,
// pools, and elementwise ops that keep the map size, from the image input
// until the first op that flattens or reshapes it) and reports, for every
// point where the stage can be cut (one live activation), the patch
// geometry and the extra MACs of 2x2 ... p x p patches. The geometry the
// patch schedule will use (docs/memory.md).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Dialect/Graph/IR/Graph.h"
#include "mnemo/Memory/Planning/BufferLiveness.h"
#include "mnemo/Memory/Planning/Passes.h"
#include "mnemo/Memory/Planning/PatchGeometry.h"

#include "llvm/Support/FormatVariadic.h"

namespace mnemo {
#define GEN_PASS_DEF_PATCHGEOMETRYPASS
#include "mnemo/Memory/Planning/Passes.h.inc"
} // namespace mnemo

using namespace mlir;
using mnemo::memory::SpatialLayer;

namespace {

/// A 2-element integer attribute (strides, dilations, kernel) or `dflt`
/// for both axes when it is absent.
std::array<int64_t, 2> pair(ArrayAttr attr, int64_t dflt) {
  std::array<int64_t, 2> v{dflt, dflt};
  if (attr && attr.size() == 2)
    for (int a = 0; a < 2; ++a)
      if (auto i = dyn_cast<IntegerAttr>(attr[a]))
        v[a] = i.getInt();
  return v;
}

/// An NCHW shape with static C, H and W (the batch may be symbolic), or
/// null.
RankedTensorType nchw(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!t || t.getRank() != 4)
    return {};
  for (int64_t d = 1; d < 4; ++d)
    if (t.isDynamicDim(d))
      return {};
  return t;
}

struct Stage {
  std::vector<SpatialLayer> layers;
  std::vector<Operation *> ops;
  /// Last layer that reads each layer's result.
  std::vector<int> lastUse;
};

/// The spatial stage that starts at the function's first 4-d input.
Stage extractStage(func::FuncOp fn) {
  Stage st;
  DenseMap<Value, int> layerOf;
  for (BlockArgument arg : fn.getArguments())
    if (nchw(arg)) {
      layerOf[arg] = -1;
      break;
    }
  for (Operation &op : fn.front()) {
    SmallVector<int> inputs;
    bool readsStage = false;
    for (Value v : op.getOperands())
      if (auto it = layerOf.find(v); it != layerOf.end()) {
        readsStage = true;
        inputs.push_back(it->second);
      }
    if (!readsStage)
      continue;
    RankedTensorType out =
        op.getNumResults() == 1 ? nchw(op.getResult(0)) : RankedTensorType();
    if (!out)
      break; // flatten, global pool to a vector, ...: the stage ends
    SpatialLayer l;
    l.name = mnemo::memory::nodeName(op.getLoc());
    if (l.name.empty())
      l.name = op.getName().getStringRef().str() + "#" +
               std::to_string(st.layers.size());
    l.out = {out.getDimSize(2), out.getDimSize(3)};
    if (auto conv = dyn_cast<mnemo::graph::ConvOp>(op)) {
      auto w = nchw(conv.getW());
      if (!w)
        break;
      l.kernel = {w.getDimSize(2), w.getDimSize(3)};
      l.stride = pair(conv.getStrides().value_or(ArrayAttr()), 1);
      l.dilation = pair(conv.getDilations().value_or(ArrayAttr()), 1);
      l.macsPerPixel = w.getDimSize(0) * w.getDimSize(1) * l.kernel[0] *
                       l.kernel[1];
      inputs = {layerOf.lookup(conv.getX())};
    } else if (isa<mnemo::graph::MaxPoolOp, mnemo::graph::AveragePoolOp>(op)) {
      auto kernel = op.getAttrOfType<ArrayAttr>("kernel_shape");
      l.kernel = pair(kernel, 1);
      l.stride = pair(op.getAttrOfType<ArrayAttr>("strides"), 1);
      l.dilation = pair(op.getAttrOfType<ArrayAttr>("dilations"), 1);
      l.macsPerPixel = out.getDimSize(1) * l.kernel[0] * l.kernel[1];
    } else {
      // Elementwise over the map (activations, residual adds, BN): the
      // map size must be unchanged.
      for (Value v : op.getOperands())
        if (layerOf.count(v) && layerOf.lookup(v) >= 0 &&
            st.layers[layerOf.lookup(v)].out != l.out)
          return st;
      l.macsPerPixel = 0;
    }
    l.inputs.assign(inputs.begin(), inputs.end());
    int index = st.layers.size();
    for (int in : l.inputs)
      if (in >= 0)
        st.lastUse[in] = std::max(st.lastUse[in], index);
    st.layers.push_back(l);
    st.ops.push_back(&op);
    st.lastUse.push_back(index);
    layerOf[op.getResult(0)] = index;
  }
  return st;
}

/// Layers after which only that layer's result is live (a single tensor
/// crosses the cut).
std::vector<int> cutPoints(const Stage &st) {
  std::vector<int> cuts;
  int reach = -1; // furthest last use of any earlier layer
  for (int i = 0; i < (int)st.layers.size(); ++i) {
    if (reach <= i && st.layers[i].macsPerPixel > 0)
      cuts.push_back(i);
    reach = std::max(reach, st.lastUse[i]);
  }
  return cuts;
}

struct PatchGeometryPass
    : public mnemo::impl::PatchGeometryPassBase<PatchGeometryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp fn = mnemo::memory::lookupEntry(module, entry);
    if (!fn)
      return signalPassFailure();
    if (patches < 1) {
      module.emitError("patch-geometry patches must be positive");
      return signalPassFailure();
    }
    Stage st = extractStage(fn);
    std::vector<int> cuts = cutPoints(st);
    if (cuts.empty()) {
      fn.emitError("no spatial stage: the entry has no 4-d image input "
                   "feeding convolutions");
      return signalPassFailure();
    }
    llvm::raw_ostream &os = llvm::outs();
    if (cut < 0) {
      os << "patch geometry: " << st.layers.size() << " spatial layers, "
         << cuts.size() << " cut points\n";
      os << "cut  layer  output  extra MACs for p = 2.." << patches << "\n";
      for (auto [k, i] : llvm::enumerate(cuts)) {
        const SpatialLayer &l = st.layers[i];
        os << llvm::formatv("{0,3}  {1,5}  {2}x{3}", k, i, l.out[0], l.out[1]);
        std::vector<SpatialLayer> stage(st.layers.begin(),
                                        st.layers.begin() + i + 1);
        for (int64_t p = 2; p <= patches; ++p)
          os << llvm::formatv(
              "  {0:P1}", mnemo::memory::computePatchGeometry(stage, p)
                              .macOverhead);
        os << "  " << l.name << "\n";
      }
      return;
    }
    if (cut >= (int64_t)cuts.size()) {
      fn.emitError() << "cut " << (int64_t)cut << " out of range: the stage has "
                     << cuts.size() << " cut points";
      return signalPassFailure();
    }
    int end = cuts[cut];
    std::vector<SpatialLayer> stage(st.layers.begin(),
                                    st.layers.begin() + end + 1);
    mnemo::memory::PatchGeometry g =
        mnemo::memory::computePatchGeometry(stage, patches);
    os << "patch geometry: cut after layer " << end << " ("
       << stage.back().name << "), " << patches << "x" << patches
       << " patches\n";
    os << "  stage output: " << stage.back().out[0] << "x"
       << stage.back().out[1] << "\n";
    os << "  tile: " << g.tile[0] << "x" << g.tile[1] << "\n";
    os << "  input patch: " << g.patch[0] << "x" << g.patch[1] << "\n";
    os << "  patch stride: " << g.patchStride[0] << "x" << g.patchStride[1]
       << "\n";
    os << llvm::formatv("  stage MACs: {0}, with patches: {1}, extra: {2:P1}\n",
                        g.stageMacs, g.patchMacs, g.macOverhead);
    for (auto [l, r] : llvm::zip(stage, g.region))
      os << "  " << l.name << ": " << r[0] << "x" << r[1] << " of "
         << l.out[0] << "x" << l.out[1] << "\n";
  }
};

} // namespace
