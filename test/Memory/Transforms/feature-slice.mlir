// RUN: mnemo-opt %s --split-input-file --mnemo-feature-slice="print=1" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-feature-slice="print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK-REPORT
// RUN: mnemo-opt %s --split-input-file --mnemo-feature-slice="op=out loop=0 slices=4 print=1" | FileCheck %s --check-prefix=NAMED
// RUN: mnemo-opt %s --split-input-file --mnemo-feature-slice="op=out loop=0 slices=4 print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NAMED-REPORT
// RUN: mnemo-opt %s --split-input-file --mnemo-feature-slice="sram-budget=100000000 print=1" | FileCheck %s --check-prefix=FITS
// RUN: mnemo-opt %s --split-input-file --mnemo-feature-slice="sram-budget=100000000 print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FITS-REPORT
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --debug-info | sed 's/tensor<?x/tensor<1x/g' | mnemo-opt --mnemo-graph-to-linalg --mnemo-feature-slice="print=1" | FileCheck %s --check-prefix=MODEL
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --debug-info | sed 's/tensor<?x/tensor<1x/g' | mnemo-opt --mnemo-graph-to-linalg --mnemo-feature-slice="print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=MODEL-REPORT

// Attention over 4 heads (scores, softmax, P.V): the 4x32x32 scores and
// their softmax temporaries are the peak. The group is the whole attention.
// The automatic choice slices it along query rows (16 slices of 2 rows of
// every head); named, along heads: one head's 32x32 scores at a time.

// CHECK-REPORT: feature slice: 'out' (linalg.batch_matmul) loop 1 (parallel, 32) into 16 slices, group of 6 ops, extra MACs 0.0%, estimated peak 33280 -> 6176 bytes
// CHECK-LABEL: func.func @main_graph
// CHECK: scf.for
// CHECK: linalg.batch_matmul {{.*}} -> tensor<4x2x32xf32>
// CHECK: } -> tensor<4x2xf32>
// CHECK: linalg.batch_matmul {{.*}} -> tensor<4x2x8xf32>
// CHECK: tensor.insert_slice {{.*}} : tensor<4x2x8xf32> into tensor<4x32x8xf32>
// CHECK: } {mnemo.feature_slice = {consumer = "out", group = ["norm", "exp", "sum", "qk", "max"], group_macs = 73728 : i64, loop = 1 : i64, peak_after = 6176 : i64, peak_before = 33280 : i64, reduction = false, sliced_macs = 73728 : i64, slices = 16 : i64}}
// NAMED-REPORT: feature slice: 'out' (linalg.batch_matmul) loop 0 (parallel, 4) into 4 slices, group of 6 ops
// NAMED: scf.for
// NAMED: linalg.batch_matmul {{.*}} -> tensor<1x32x32xf32>
// NAMED: linalg.batch_matmul {{.*}} -> tensor<1x32x8xf32>
// FITS-REPORT: feature slice: none (estimated peak 33280 bytes fits the budget)
// FITS-NOT: scf.for

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @main_graph(%q: tensor<4x32x8xf32>, %k: tensor<4x8x32xf32>, %v: tensor<4x32x8xf32>) -> tensor<4x32x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4x32x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x32x32xf32>) -> tensor<4x32x32xf32>
  %s = linalg.batch_matmul ins(%q, %k : tensor<4x32x8xf32>, tensor<4x8x32xf32>) outs(%z : tensor<4x32x32xf32>) -> tensor<4x32x32xf32> loc("qk")
  %er = tensor.empty() : tensor<4x32xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%er : tensor<4x32xf32>) -> tensor<4x32xf32>
  %m = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%s : tensor<4x32x32xf32>) outs(%m0 : tensor<4x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %x = arith.maximumf %a, %b : f32
    linalg.yield %x : f32
  } -> tensor<4x32xf32> loc("max")
  %p = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %m : tensor<4x32x32xf32>, tensor<4x32xf32>) outs(%e : tensor<4x32x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %d = arith.subf %a, %b : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<4x32x32xf32> loc("exp")
  %s0 = linalg.fill ins(%zero : f32) outs(%er : tensor<4x32xf32>) -> tensor<4x32xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]} ins(%p : tensor<4x32x32xf32>) outs(%s0 : tensor<4x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %x = arith.addf %a, %b : f32
    linalg.yield %x : f32
  } -> tensor<4x32xf32> loc("sum")
  %n = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%p, %sum : tensor<4x32x32xf32>, tensor<4x32xf32>) outs(%e : tensor<4x32x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %x = arith.divf %a, %b : f32
    linalg.yield %x : f32
  } -> tensor<4x32x32xf32> loc("norm")
  %eo = tensor.empty() : tensor<4x32x8xf32>
  %zo = linalg.fill ins(%zero : f32) outs(%eo : tensor<4x32x8xf32>) -> tensor<4x32x8xf32>
  %o = linalg.batch_matmul ins(%n, %v : tensor<4x32x32xf32>, tensor<4x32x8xf32>) outs(%zo : tensor<4x32x8xf32>) -> tensor<4x32x8xf32> loc("out")
  return %o : tensor<4x32x8xf32>
}

// -----

// A transformer MLP over 64 tokens: the 64x256 hidden activation is the
// peak. It is sliced along tokens (the second matmul's rows): 16 slices
// automatically, 4 when named.

// CHECK-REPORT: feature slice: 'out' (linalg.matmul) loop 0 (parallel, 64) into 16 slices, group of 3 ops, extra MACs 0.0%, estimated peak 81920 -> 21504 bytes
// CHECK-LABEL: func.func @main_graph
// CHECK: scf.for
// CHECK: linalg.matmul {{.*}} -> tensor<4x256xf32>
// CHECK: } -> tensor<4x256xf32>
// CHECK: linalg.matmul {{.*}} -> tensor<4x64xf32>
// CHECK: mnemo.feature_slice = {consumer = "out", group = ["act", "fc1"]
// NAMED-REPORT: feature slice: 'out' (linalg.matmul) loop 0 (parallel, 64) into 4 slices, group of 3 ops, extra MACs 0.0%, estimated peak 81920 -> 36864 bytes
// NAMED: linalg.matmul {{.*}} -> tensor<16x256xf32>

#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @main_graph(%x: tensor<64x64xf32>, %w1: tensor<64x256xf32>, %w2: tensor<256x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<64x256xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<64x256xf32>) -> tensor<64x256xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<64x64xf32>, tensor<64x256xf32>) outs(%z1 : tensor<64x256xf32>) -> tensor<64x256xf32> loc("fc1")
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%h : tensor<64x256xf32>) outs(%e1 : tensor<64x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<64x256xf32> loc("act")
  %e2 = tensor.empty() : tensor<64x64xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<64x64xf32>) -> tensor<64x64xf32>
  %y = linalg.matmul ins(%a, %w2 : tensor<64x256xf32>, tensor<256x64xf32>) outs(%z2 : tensor<64x64xf32>) -> tensor<64x64xf32> loc("out")
  return %y : tensor<64x64xf32>
}

// The example model (batch fixed to 1): its first inverted block is sliced
// along the hidden channels of the pointwise projection, the projection's
// only reduction, with the depthwise convolution and its pad fused. The
// next round finds the peak inside that loop and slices it again along
// rows (the padded channel stays whole; each row slice reads its halo).
// MODEL-REPORT: feature slice: '/blocks/blocks.0/pw/pw.0/Conv' (linalg.conv_2d_nchw_fchw) loop 4 (reduction, 16) into 16 slices, group of 4 ops, extra MACs 0.0%, estimated peak 205056 -> 135168 bytes
// MODEL-REPORT: feature slice: '/blocks/blocks.0/pw/pw.0/Conv' (linalg.conv_2d_nchw_fchw) loop 2 (parallel, 32) into 16 slices, group of 3 ops, extra MACs 0.0%, estimated peak 135168 -> 117808 bytes
// MODEL: scf.for
// MODEL: tensor.pad {{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// MODEL: scf.for
// MODEL: linalg.depthwise_conv_2d_nchw_chw {{.*}} -> tensor<1x1x2x32xf32>
// MODEL: mnemo.feature_slice = {consumer = "/blocks/blocks.0/pw/pw.0/Conv", {{.*}}, loop = 2 : i64
// MODEL: mnemo.feature_slice = {consumer = "/blocks/blocks.0/pw/pw.0/Conv", {{.*}}, reduction = true
