// The example model (its symbolic batch pinned to 1: the schedule needs
// static maps), cut after its max pool into 2x2 patches.
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --debug-info | sed 's/tensor<?x/tensor<1x/g' | mnemo-opt --mnemo-graph-to-linalg --mnemo-patch-schedule="cut=/blocks/blocks.1/MaxPool patches=2 print=1" -canonicalize | FileCheck %s --check-prefix=MODEL
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --debug-info | sed 's/tensor<?x/tensor<1x/g' | mnemo-opt --mnemo-graph-to-linalg --mnemo-patch-schedule="cut=/blocks/blocks.1/MaxPool patches=2 print=1" -canonicalize -o /dev/null 2>&1 | FileCheck %s --check-prefix=MODEL-REPORT
// Without a cut the pass chooses one (smallest peak within 20% extra MACs).
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --debug-info | sed 's/tensor<?x/tensor<1x/g' | mnemo-opt --mnemo-graph-to-linalg --mnemo-patch-schedule="print=1 list-candidates=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHOOSE-REPORT
// With feature slicing to follow, candidates are compared after slicing
// copies of the function: the best by the rules above and, per cut, its p
// with the lowest peak to the stage's end.
// RUN: mnemo-translate --import-onnx %S/../../../examples/tiny_cnn.onnx --debug-info | sed 's/tensor<?x/tensor<1x/g' | mnemo-opt --mnemo-graph-to-linalg --mnemo-patch-schedule="print=1 list-candidates=1 slice-after=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=SLICED
// RUN: mnemo-opt %s --mnemo-graph-to-linalg --mnemo-patch-schedule="cut=relu patches=2" | FileCheck %s
// RUN: mnemo-opt %s --mnemo-graph-to-linalg --mnemo-patch-schedule="sram-budget=100000000 print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FITS-REPORT

// Same geometry as mnemo-patch-geometry's: 8x8 tiles of the 16x16 pool
// output, 37x37 input patches, 13.5% extra MACs.
// MODEL-REPORT: patch schedule: cut after '/blocks/blocks.1/MaxPool', 2x2 patches, tile 8x8, input patch 37x37, extra MACs 13.5% (868352 -> 985856), estimated peak 205056 -> 74240 bytes (2.76x lower)
// MODEL: %[[OUT:.*]] = scf.for %[[I:.*]] = %{{.*}} to %c2
// MODEL-NEXT: scf.for %[[J:.*]] = %{{.*}} to %c2
// The input patch: the in-image part, padded with zeros to 37x37.
// MODEL: %[[IN:.*]] = tensor.extract_slice %arg0[0, 0, %{{.*}}, %{{.*}}] [1, 3, %{{.*}}, %{{.*}}]
// MODEL: tensor.pad %[[IN]] low[0, 0, %{{.*}}, %{{.*}}] high[0, 0, %{{.*}}, %{{.*}}]
// MODEL: } : tensor<1x3x?x?xf32> to tensor<1x3x37x37xf32>
// The stem computes 18x18 (the depthwise halo), the block 16x16.
// MODEL: linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x16x18x18xf32>
// Its pad is a mask in place: positions outside the map read zero (no
// padded copy of the span).
// MODEL: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x16x18x18xf32>)
// MODEL: arith.cmpi ult
// MODEL: arith.select
// MODEL-NOT: tensor.pad
// MODEL: linalg.depthwise_conv_2d_nchw_chw {{.*}} -> tensor<1x16x16x16xf32>
// The residual reads the middle of the stem's span.
// MODEL: tensor.extract_slice %{{.*}}[0, 0, 1, 1] [1, 16, 16, 16]
// MODEL: linalg.fill {{.*}} -> tensor<1x16x8x8xf32>
// MODEL: %[[TILE:.*]] = linalg.generic {{.*}}"reduction", "reduction"]{{.*}} outs({{.*}}tensor<1x16x8x8xf32>)
// MODEL: tensor.insert_slice %[[TILE]] into %{{.*}}[0, 0, %{{.*}}, %{{.*}}] [1, 16, 8, 8]
// MODEL: mnemo.patch_schedule = {cut = "/blocks/blocks.1/MaxPool", input_patch = array<i64: 37, 37>, patch_macs = 985856 : i64, patches = 2 : i64
// MODEL-SAME: peak_after = 74240 : i64, peak_before = 205056 : i64
// The rest runs layer by layer on the assembled output.
// MODEL: tensor.pad %[[OUT]] low[0, 0, 1, 1]

// CHOOSE-REPORT: candidate: cut after '/blocks/blocks.0/Add' p=2 peak 123392 (to the stage's end 123392) extra MACs 13.8% ({{.*}} of the network)
// CHOOSE-REPORT: candidate: cut after '/blocks/blocks.1/MaxPool' p=4 peak 53504 (to the stage's end 33280) extra MACs 28.7% ({{.*}} of the network)
// CHOOSE-REPORT: patch schedule: cut after '/blocks/blocks.1/MaxPool', 2x2 patches, tile 8x8, input patch 37x37, extra MACs 13.5%

// SLICED: sliced: cut after '/stem/stem.0/Conv' p=8: peak 205056 -> 140320
// SLICED: sliced: cut after '/blocks/blocks.0/Add' p=2: peak 123392 -> 123392
// SLICED: sliced: cut after '/blocks/blocks.1/MaxPool' p=2: peak 74240 -> 53548
// SLICED: patch schedule: cut after '/blocks/blocks.1/MaxPool', 2x2 patches, {{.*}} estimated peak 205056 -> 53548 bytes

// Two 3x3 convolutions (pad 1, the first of stride 2) and a ReLU: the
// second needs a 1-pixel halo of the first's tile, the first a 2*(4+2-1)+3
// = 13 pixel input patch starting 3 pixels before the tile's receptive
// field.
// CHECK-LABEL: func.func @main_graph
// CHECK: scf.for %[[I:[^ ]*]] =
// CHECK: scf.for %[[J:[^ ]*]] =
// CHECK: tensor.pad
// CHECK: } : tensor<1x2x?x?xf32> to tensor<1x2x13x13xf32>
// CHECK: %[[A:.*]] = linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x4x6x6xf32>
// The second conv's pad: the first's 6x6 span masked in place where it
// lies outside the 8x8 map.
// CHECK: linalg.generic {{.*}} outs(%[[A]] : tensor<1x4x6x6xf32>)
// CHECK: arith.cmpi ult
// CHECK: arith.cmpi ult
// CHECK: arith.select
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x4x4x4xf32>
// CHECK: linalg.generic
// CHECK: tensor.insert_slice {{.*}} [1, 4, 4, 4]
// CHECK: mnemo.patch_schedule = {cut = "relu", input_patch = array<i64: 13, 13>
// FITS-REPORT: patch schedule: none (estimated peak {{[0-9]+}} bytes; no cut lowers it)
func.func @main_graph(%x: tensor<1x2x16x16xf32>, %w1: tensor<4x2x3x3xf32>, %w2: tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %none = graph.none
  %a = graph.conv %x, %w1, %none {kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [2, 2]} : (tensor<1x2x16x16xf32>, tensor<4x2x3x3xf32>, none) -> tensor<1x4x8x8xf32>
  %b = graph.conv %a, %w2, %none {kernel_shape = [3, 3], pads = [1, 1, 1, 1], strides = [1, 1]} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, none) -> tensor<1x4x8x8xf32>
  %c = graph.relu %b : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  return %c : tensor<1x4x8x8xf32>
}
