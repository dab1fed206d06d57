//===- TensorPeakTest.cpp - the peak estimate of tensor-level IR ----------===//

#include "mnemo/Memory/Planning/TensorPeak.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <string>

using namespace mlir;

namespace {

// An int8 stride-1 depthwise convolution: X (1x64x14x14 i8, 12544 bytes)
// padded to 16x16 (16384), an i32 accumulator (50176 whole; 16 KiB tiles of
// 16 channels, 12544 bytes) requantized to X's type. `tail` is what the
// function returns besides the requantized result.
std::string depthwise(const std::string &results, const std::string &ret) {
  return R"(
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#in = affine_map<(n, c, h, w, g, kh, kw) -> (n, c + g, h + kh, w + kw)>
#wt = affine_map<(n, c, h, w, g, kh, kw) -> (c, g, kh, kw)>
#out = affine_map<(n, c, h, w, g, kh, kw) -> (n, c, h, w)>
func.func @f(%a: tensor<1x64x14x14xi8>, %w: tensor<64x1x3x3xi8>) -> ()" +
         results + R"() {
  %z8 = arith.constant 0 : i8
  %z32 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x64x14x14xi8>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x64x14x14xi8>) outs(%e : tensor<1x64x14x14xi8>) {
  ^bb0(%v: i8, %o: i8):
    %r = arith.addi %v, %v : i8
    linalg.yield %r : i8
  } -> tensor<1x64x14x14xi8>
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %z8 : i8
  } : tensor<1x64x14x14xi8> to tensor<1x64x16x16xi8>
  %ae = tensor.empty() : tensor<1x64x14x14xi32>
  %af = linalg.fill ins(%z32 : i32) outs(%ae : tensor<1x64x14x14xi32>) -> tensor<1x64x14x14xi32>
  %acc = linalg.generic {indexing_maps = [#in, #wt, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%p, %w : tensor<1x64x16x16xi8>, tensor<64x1x3x3xi8>) outs(%af : tensor<1x64x14x14xi32>) {
  ^bb0(%i: i8, %k: i8, %o: i32):
    %i32 = arith.extsi %i : i8 to i32
    %k32 = arith.extsi %k : i8 to i32
    %m = arith.muli %i32, %k32 : i32
    %s = arith.addi %o, %m : i32
    linalg.yield %s : i32
  } -> tensor<1x64x14x14xi32>
  %qe = tensor.empty() : tensor<1x64x14x14xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : tensor<1x64x14x14xi32>) outs(%qe : tensor<1x64x14x14xi8>) {
  ^bb0(%v: i32, %o: i8):
    %t = arith.trunci %v : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x64x14x14xi8>
  return )" + ret + R"(
}
)";
}

int64_t peakOf(const std::string &source) {
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, tensor::TensorDialect>();
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &ctx);
  EXPECT_TRUE(module);
  if (!module)
    return -1;
  auto fn = *module->getOps<func::FuncOp>().begin();
  return mnemo::memory::estimateTensorPeak(fn.front());
}

// The requantized output overwrites X (mnemo-in-place-channel-tiles), and
// the pad exists one 16-channel tile at a time (16384 / 4): X, the pad tile
// and the accumulator tile, 12544 + 4096 + 12544.
TEST(TensorPeak, DepthwiseRunsInPlaceOverItsInput) {
  EXPECT_EQ(peakOf(depthwise("tensor<1x64x14x14xi8>",
                             "%q : tensor<1x64x14x14xi8>")),
            12544 + 4096 + 12544);
}

// X is read after the convolution (returned): nothing is written over it,
// and the whole padded copy and the output exist next to it.
TEST(TensorPeak, DepthwiseInputReadLaterIsNotOverwritten) {
  EXPECT_EQ(peakOf(depthwise("tensor<1x64x14x14xi8>, tensor<1x64x14x14xi8>",
                             "%q, %x : tensor<1x64x14x14xi8>, "
                             "tensor<1x64x14x14xi8>")),
            12544 + 16384 + 12544 + 12544);
}

} // namespace
