//===- AlignWorkgroup.cpp - 16-byte aligned shared memory buffers ---------===//

#include "mnemo/Target/CUDA/Passes.h"

namespace mnemo {
#define GEN_PASS_DEF_ALIGNWORKGROUPPASS
#include "mnemo/Target/CUDA/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {

/// The widest shared-memory access the kernels emit (ld.shared.v4.f32).
constexpr int64_t kAlign = 16;

struct AlignWorkgroupPass
    : public mnemo::impl::AlignWorkgroupPassBase<AlignWorkgroupPass> {
  void runOnOperation() override {
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    auto align = IntegerAttr::get(IntegerType::get(&getContext(), 64), kAlign);
    getOperation().walk([&](gpu::GPUFuncOp func) {
      for (unsigned i = 0, e = func.getNumWorkgroupAttributions(); i < e; ++i)
        if (!func.getWorkgroupAttributionAttr(i, name))
          func.setWorkgroupAttributionAttr(i, name, align);
    });
  }
};

} // namespace
