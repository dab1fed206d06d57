//===- ExpandBF16.cpp - bf16 conversions without a runtime library --------===//
//
// LLVM lowers f32 <-> bf16 conversions to libcalls (__truncsfbf2,
// __extendbfsf2) on CPUs without AVX512-BF16. gcc 12's libgcc, which the
// system linker brings in, has neither, so an artifact that casts to bf16
// would not load on such a machine. Upstream's bf16 expansion writes the
// conversions as integer bit arithmetic (round to nearest even, NaN kept
// quiet) instead, which vectorizes and needs nothing at link time.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mnemo {
#define GEN_PASS_DEF_EXPANDBF16PASS
#include "mnemo/Target/CPU/Passes.h.inc"
} // namespace mnemo

using namespace mlir;

namespace {
struct ExpandBF16Pass : public mnemo::impl::ExpandBF16PassBase<ExpandBF16Pass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    arith::populateExpandBFloat16Patterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
