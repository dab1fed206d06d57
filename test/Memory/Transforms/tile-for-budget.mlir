// RUN: mnemo-opt %s --split-input-file --mnemo-tile-for-budget="sram-budget=65536 print=1" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-tile-for-budget="sram-budget=65536 print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK-REPORT
// RUN: mnemo-opt %s --split-input-file --mnemo-tile-for-budget="sram-budget=100000000 print=1" | FileCheck %s --check-prefix=FITS
// RUN: mnemo-opt %s --split-input-file --mnemo-tile-for-budget="sram-budget=100000000 print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FITS-REPORT
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_gpt.onnx --debug-info | mnemo-opt --mnemo-graph-to-linalg --mnemo-tile-for-budget="sram-budget=16384 print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MODEL-REPORT

// An LM head: 128 tokens x 64 -> 512 logits (416 KiB at once). Splitting
// the vocabulary keeps the 32 KiB activations on chip across tiles, so the
// modelled traffic stays at one pass over each operand.
// CHECK-REPORT: tile for budget: 'head' working set 425984 -> 57344 bytes, tiles [128, 32, 64] of [128, 512, 64], modelled off-chip traffic 425984 bytes (1.00x its operands)
// CHECK-LABEL: @main_graph
// CHECK: %[[R:.*]] = scf.for %[[J:.*]] = %c0 to %c512 step %c32 iter_args(%[[O:.*]] = %{{.*}}) -> (tensor<128x512xf32>)
// CHECK: tensor.extract_slice %arg1[0, %[[J]]] [64, 32]
// The accumulator's fill moves into the tile (no reduction loop is tiled).
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<128x32xf32>
// CHECK: linalg.matmul {{.*}} outs(%[[Z]] : tensor<128x32xf32>) -> tensor<128x32xf32>
// CHECK: tensor.insert_slice {{.*}} into %[[O]][0, %[[J]]] [128, 32]
// CHECK: } {mnemo.tile_staging_bytes = 57344 : i64, mnemo.tile_traffic_ratio = 1.000000e+00 : f64, mnemo.tiled = array<i64: 128, 32, 64>}
// CHECK: return %[[R]]
// FITS-REPORT: tile for budget: none (every op's working set fits 100000000 bytes)
// FITS-NOT: scf.for
func.func @main_graph(%x: tensor<128x64xf32>, %w: tensor<64x512xf32>) -> tensor<128x512xf32> {
  %e = tensor.empty() : tensor<128x512xf32>
  %cst = arith.constant 0.0 : f32
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<128x512xf32>) -> tensor<128x512xf32>
  %y = linalg.matmul ins(%x, %w : tensor<128x64xf32>, tensor<64x512xf32>) outs(%z : tensor<128x512xf32>) -> tensor<128x512xf32> loc("head")
  return %y : tensor<128x512xf32>
}

// -----

// A 3x3 convolution: 16x16 output tiles, each reading an 18x18 input
// patch (the halo is the 6% extra traffic); weights stay on chip.
// CHECK-REPORT: tile for budget: 'conv' working set 148736 -> 46336 bytes, tiles [1, 16, 16, 16, 16, 3, 3] of [1, 16, 32, 32, 16, 3, 3], modelled off-chip traffic 157696 bytes (1.06x its operands)
// CHECK-LABEL: @main_graph
// CHECK: scf.for
// CHECK: linalg.conv_2d_nchw_fchw
func.func @main_graph(%x: tensor<1x16x34x34xf32>, %w: tensor<16x16x3x3xf32>, %init: tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32> {
  %y = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x16x34x34xf32>, tensor<16x16x3x3xf32>) outs(%init : tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32> loc("conv")
  return %y : tensor<1x16x32x32xf32>
}


// -----

// A long reduction (K = 2048) is tiled: the accumulator's fill stays
// outside the loop, which carries the partial sums, so it runs once.
// CHECK-REPORT: tile for budget: 'longk' working set 1064960 ->
// CHECK-LABEL: @main_graph
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<64x64xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[Z]])
// CHECK-NOT: linalg.fill
// CHECK: linalg.matmul
// CHECK: mnemo.tiled
func.func @main_graph(%x: tensor<64x2048xf32>, %w: tensor<2048x64xf32>) -> tensor<64x64xf32> {
  %e = tensor.empty() : tensor<64x64xf32>
  %cst = arith.constant 0.0 : f32
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %y = linalg.matmul ins(%x, %w : tensor<64x2048xf32>, tensor<2048x64xf32>) outs(%z : tensor<64x64xf32>) -> tensor<64x64xf32> loc("longk")
  return %y : tensor<64x64xf32>
}

// -----

// A transpose of a 16 KiB slice fits the budget by itself, but untiled the
// tier planner would need the 256 KiB tensor it slices on chip whole: it is
// split so that the step can stream.
// CHECK-REPORT: tile for budget: 'tr' working set 32768 -> {{[0-9]+}} bytes
// CHECK-LABEL: @main_graph
// CHECK: scf.for
// CHECK: linalg.transpose
// CHECK: mnemo.tiled
func.func @main_graph(%big: tensor<64x1024xf32>) -> tensor<64x64xf32> {
  %s = tensor.extract_slice %big[0, 0] [64, 64] [1, 1] : tensor<64x1024xf32> to tensor<64x64xf32>
  %e = tensor.empty() : tensor<64x64xf32>
  %t = linalg.transpose ins(%s : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) permutation = [1, 0] loc("tr")
  return %t : tensor<64x64xf32>
}

// The bundled GPT: the LM head, MLP and attention projections are tiled;
// the fused attention's own tiles already fit.
// MODEL-REPORT: tile for budget: '/blocks.0/c_attn/MatMul'
// MODEL-REPORT: tile for budget: '/blocks.0/c_fc/MatMul'
// MODEL-REPORT: tile for budget: '/lm_head/MatMul' working set 20480 -> {{[0-9]+}} bytes
