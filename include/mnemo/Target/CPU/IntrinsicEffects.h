//===- IntrinsicEffects.h - memory effects of llvm.call_intrinsic -*- C++ -*-===//
//
// The CPU kernels call x86 intrinsics (vpdpbusd, vpmaddwd) through
// `llvm.call_intrinsic`, which declares no memory effects, so every
// analysis must assume it reads and writes anything: the operator order
// would keep a buffer's fill in place across a kernel that only does
// register arithmetic, and CSE and LICM would leave the calls alone.
// Registered here: `llvm.call_intrinsic` reports what LLVM's own intrinsic
// table says (no effects for an intrinsic LLVM marks as not accessing
// memory, reads and writes of everything otherwise).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_TARGET_CPU_INTRINSICEFFECTS_H
#define MNEMO_TARGET_CPU_INTRINSICEFFECTS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mnemo {

void registerIntrinsicEffects(mlir::DialectRegistry &registry);

} // namespace mnemo

#endif // MNEMO_TARGET_CPU_INTRINSICEFFECTS_H
