//===- MulAdd.h - the multiply-accumulate body of linalg ops ----*- C++ -*-===//
//
// `out = out + x * y` is the body of every contraction the CPU and CUDA
// kernels build (channel blocks, Winograd's batched products, flattened
// convolutions) and claim (register tiles, the GPU's tiled kernels): one
// builder and one matcher for it.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_SUPPORT_MULADD_H
#define MNEMO_SUPPORT_MULADD_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mnemo {

/// Builds `yield args[2] + args[0] * args[1]` (a linalg body builder).
inline void buildMulAddBody(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::ValueRange args) {
  mlir::Value mul = mlir::arith::MulFOp::create(b, loc, args[0], args[1]);
  mlir::Value add = mlir::arith::AddFOp::create(b, loc, args[2], mul);
  mlir::linalg::YieldOp::create(b, loc, add);
}

/// Whether the body is exactly mulf of the two inputs (either order), addf
/// with the output (either order), yield, all f32.
inline bool isMulAddBody(mlir::linalg::LinalgOp op) {
  mlir::Block *body = op.getBlock();
  if (body->getNumArguments() != 3 || body->getOperations().size() != 3 ||
      !llvm::all_of(body->getArgumentTypes(),
                    [](mlir::Type t) { return t.isF32(); }))
    return false;
  auto yield = llvm::dyn_cast<mlir::linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  auto add = yield.getOperand(0).getDefiningOp<mlir::arith::AddFOp>();
  if (!add)
    return false;
  mlir::Value out = body->getArgument(2);
  if (add.getLhs() != out && add.getRhs() != out)
    return false;
  mlir::Value prod = add.getLhs() == out ? add.getRhs() : add.getLhs();
  auto mul = prod.getDefiningOp<mlir::arith::MulFOp>();
  if (!mul)
    return false;
  mlir::Value x = body->getArgument(0), y = body->getArgument(1);
  return (mul.getLhs() == x && mul.getRhs() == y) ||
         (mul.getLhs() == y && mul.getRhs() == x);
}

} // namespace mnemo

#endif // MNEMO_SUPPORT_MULADD_H
