// tiny_cnn with its stem and first block sliced by feature slicing around
// a MaxPool (2 channel slices), bufferized: the stem's pad inside the loop
// is a fill and a linalg.copy (input for fill-pad-borders.mlir; weights
// replaced by splats).
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map1 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
#map2 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>
#map3 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>
#map4 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
#map5 = affine_map<(d0, d1) -> (d1)>
#map6 = affine_map<(d0, d1) -> (d0, d1)>
#map7 = affine_map<(d0, d1, d2) -> (d0, d2)>
#map8 = affine_map<(d0, d1, d2) -> (d1, d2)>
#map9 = affine_map<(d0, d1, d2) -> (d0, d1)>
#map10 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map11 = affine_map<(d0, d1) -> (d0, 0)>
module attributes {graph.ir_version = 8 : i64, graph.opset_import = {ai.onnx = 17 : i64}, graph.producer = "pytorch 1.13.0"} {
  memref.global "private" constant @__constant_16x16x1x1xf32_1 : memref<16x16x1x1xf32> = dense<5.000000e-01> {alignment = 64 : i64}
  memref.global "private" constant @__constant_16x16x1x1xf32 : memref<16x16x1x1xf32> = dense<5.000000e-01> {alignment = 64 : i64}
  memref.global "private" constant @__constant_16x3x3x3xf32 : memref<16x3x3x3xf32> = dense<5.000000e-01> {alignment = 64 : i64}
  memref.global "private" constant @__constant_10xf32 : memref<10xf32> = dense<5.000000e-01> {alignment = 64 : i64}
  memref.global "private" constant @__constant_10x16xf32 : memref<10x16xf32> = dense<5.000000e-01> {alignment = 64 : i64}
  memref.global "private" constant @__constant_16x3x3xf32_0 : memref<16x3x3xf32> = dense<5.000000e-01> {alignment = 64 : i64}
  memref.global "private" constant @__constant_16x3x3xf32 : memref<16x3x3xf32> = dense<5.000000e-01> {alignment = 64 : i64}
  func.func @main_graph(%arg0: memref<1x3x64x64xf32> {graph.dim_params = ["batch", "", "", ""], graph.name = "image"}) -> (memref<1x10xf32> {graph.dim_params = ["batch", ""], graph.name = "probs"}) attributes {graph.name = "torch_jit"} {
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant 0xFF800000 : f32
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c0 = arith.constant 0 : index
    %cst_1 = arith.constant 6.000000e+00 : f32
    %cst_2 = arith.constant 2.560000e+02 : f32
    %0 = memref.get_global @__constant_16x3x3xf32 : memref<16x3x3xf32>
    %1 = memref.get_global @__constant_16x3x3xf32_0 : memref<16x3x3xf32>
    %2 = memref.get_global @__constant_10x16xf32 : memref<10x16xf32>
    %3 = memref.get_global @__constant_10xf32 : memref<10xf32>
    %4 = memref.get_global @__constant_16x3x3x3xf32 : memref<16x3x3x3xf32>
    %5 = memref.get_global @__constant_16x16x1x1xf32 : memref<16x16x1x1xf32>
    %6 = memref.get_global @__constant_16x16x1x1xf32_1 : memref<16x16x1x1xf32>
    %alloc = memref.alloc() {alignment = 64 : i64} : memref<1x3x66x66xf32>
    linalg.fill ins(%cst : f32) outs(%alloc : memref<1x3x66x66xf32>)
    %subview = memref.subview %alloc[0, 0, 1, 1] [1, 3, 64, 64] [1, 1, 1, 1] : memref<1x3x66x66xf32> to memref<1x3x64x64xf32, strided<[13068, 4356, 66, 1], offset: 67>>
    linalg.copy ins(%arg0 : memref<1x3x64x64xf32>) outs(%subview : memref<1x3x64x64xf32, strided<[13068, 4356, 66, 1], offset: 67>>)
    %alloc_3 = memref.alloc() {alignment = 64 : i64} : memref<1x16x32x32xf32>
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%alloc_3 : memref<1x16x32x32xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst : f32
    }
    linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%alloc, %4 : memref<1x3x66x66xf32>, memref<16x3x3x3xf32>) outs(%alloc_3 : memref<1x16x32x32xf32>)
    %alloc_4 = memref.alloc() {alignment = 64 : i64} : memref<1x16x34x34xf32>
    linalg.fill ins(%cst : f32) outs(%alloc_4 : memref<1x16x34x34xf32>)
    %subview_5 = memref.subview %alloc_4[0, 0, 1, 1] [1, 16, 32, 32] [1, 1, 1, 1] : memref<1x16x34x34xf32> to memref<1x16x32x32xf32, strided<[18496, 1156, 34, 1], offset: 35>>
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%alloc_3 : memref<1x16x32x32xf32>) outs(%subview_5 : memref<1x16x32x32xf32, strided<[18496, 1156, 34, 1], offset: 35>>) {
    ^bb0(%in: f32, %out: f32):
      %7 = arith.maximumf %in, %cst : f32
      %8 = arith.minimumf %7, %cst_1 : f32
      linalg.yield %8 : f32
    }
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%alloc_3 : memref<1x16x32x32xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst : f32
    }
    linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%alloc_4, %1 : memref<1x16x34x34xf32>, memref<16x3x3xf32>) outs(%alloc_3 : memref<1x16x32x32xf32>)
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%alloc_3 : memref<1x16x32x32xf32>) outs(%alloc_3 : memref<1x16x32x32xf32>) {
    ^bb0(%in: f32, %out: f32):
      %7 = arith.maximumf %in, %cst : f32
      %8 = arith.minimumf %7, %cst_1 : f32
      linalg.yield %8 : f32
    }
    %alloc_6 = memref.alloc() {alignment = 64 : i64} : memref<1x16x16x16xf32>
    %alloc_7 = memref.alloc() {alignment = 64 : i64} : memref<2x2xf32>
    %alloc_8 = memref.alloc() {alignment = 64 : i64} : memref<1x16x18x18xf32>
    linalg.fill ins(%cst : f32) outs(%alloc_8 : memref<1x16x18x18xf32>)
    %subview_9 = memref.subview %alloc_8[0, 0, 1, 1] [1, 16, 16, 16] [1, 1, 1, 1] : memref<1x16x18x18xf32> to memref<1x16x16x16xf32, strided<[5184, 324, 18, 1], offset: 19>>
    %alloc_10 = memref.alloc() {alignment = 64 : i64} : memref<1x16x16x16xf32>
    linalg.copy ins(%subview_9 : memref<1x16x16x16xf32, strided<[5184, 324, 18, 1], offset: 19>>) outs(%alloc_10 : memref<1x16x16x16xf32>)
    scf.for %arg1 = %c0 to %c16 step %c8 {
      %alloc_20 = memref.alloc() {alignment = 64 : i64} : memref<1x3x65x65xf32>
      linalg.fill ins(%cst : f32) outs(%alloc_20 : memref<1x3x65x65xf32>)
      %subview_21 = memref.subview %alloc_20[0, 0, 1, 1] [1, 3, 64, 64] [1, 1, 1, 1] : memref<1x3x65x65xf32> to memref<1x3x64x64xf32, strided<[12675, 4225, 65, 1], offset: 66>>
      linalg.copy ins(%arg0 : memref<1x3x64x64xf32>) outs(%subview_21 : memref<1x3x64x64xf32, strided<[12675, 4225, 65, 1], offset: 66>>)
      %subview_22 = memref.subview %4[%arg1, 0, 0, 0] [8, 3, 3, 3] [1, 1, 1, 1] : memref<16x3x3x3xf32> to memref<8x3x3x3xf32, strided<[27, 9, 3, 1], offset: ?>>
      %alloc_23 = memref.alloc() {alignment = 64 : i64} : memref<1x8x32x32xf32>
      linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%alloc_23 : memref<1x8x32x32xf32>) {
      ^bb0(%out: f32):
        linalg.yield %cst : f32
      }
      linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%alloc_20, %subview_22 : memref<1x3x65x65xf32>, memref<8x3x3x3xf32, strided<[27, 9, 3, 1], offset: ?>>) outs(%alloc_23 : memref<1x8x32x32xf32>)
      %alloc_24 = memref.alloc() {alignment = 64 : i64} : memref<1x8x32x32xf32>
      linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%alloc_23 : memref<1x8x32x32xf32>) outs(%alloc_24 : memref<1x8x32x32xf32>) {
      ^bb0(%in: f32, %out: f32):
        %7 = arith.maximumf %in, %cst : f32
        %8 = arith.minimumf %7, %cst_1 : f32
        linalg.yield %8 : f32
      }
      %subview_25 = memref.subview %5[%arg1, 0, 0, 0] [8, 16, 1, 1] [1, 1, 1, 1] : memref<16x16x1x1xf32> to memref<8x16x1x1xf32, strided<[16, 1, 1, 1], offset: ?>>
      linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%alloc_23 : memref<1x8x32x32xf32>) {
      ^bb0(%out: f32):
        linalg.yield %cst : f32
      }
      linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%alloc_3, %subview_25 : memref<1x16x32x32xf32>, memref<8x16x1x1xf32, strided<[16, 1, 1, 1], offset: ?>>) outs(%alloc_23 : memref<1x8x32x32xf32>)
      linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%alloc_24, %alloc_23 : memref<1x8x32x32xf32>, memref<1x8x32x32xf32>) outs(%alloc_23 : memref<1x8x32x32xf32>) {
      ^bb0(%in: f32, %in_27: f32, %out: f32):
        %7 = arith.addf %in, %in_27 : f32
        linalg.yield %7 : f32
      }
      %subview_26 = memref.subview %alloc_10[0, %arg1, 0, 0] [1, 8, 16, 16] [1, 1, 1, 1] : memref<1x16x16x16xf32> to memref<1x8x16x16xf32, strided<[4096, 256, 16, 1], offset: ?>>
      linalg.fill ins(%cst_0 : f32) outs(%subview_26 : memref<1x8x16x16xf32, strided<[4096, 256, 16, 1], offset: ?>>)
      linalg.generic {indexing_maps = [#map1, #map2, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%alloc_23, %alloc_7 : memref<1x8x32x32xf32>, memref<2x2xf32>) outs(%subview_26 : memref<1x8x16x16xf32, strided<[4096, 256, 16, 1], offset: ?>>) {
      ^bb0(%in: f32, %in_27: f32, %out: f32):
        %7 = arith.maximumf %in, %out : f32
        linalg.yield %7 : f32
      }
    } {mnemo.feature_slice = {consumer = "/blocks/blocks.1/MaxPool", group = ["/blocks/blocks.0/Add", "/stem/stem.2/Clip", "/blocks/blocks.0/pw/pw.0/Conv", "/stem/stem.0/Conv", "/stem/stem.0/Conv"], group_macs = 720896 : i64, loop = 1 : i64, peak_after = 183320 : i64, peak_before = 205056 : i64, reduction = false, sliced_macs = 720896 : i64, slices = 2 : i64}}
    linalg.copy ins(%alloc_10 : memref<1x16x16x16xf32>) outs(%subview_9 : memref<1x16x16x16xf32, strided<[5184, 324, 18, 1], offset: 19>>)
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%alloc_6 : memref<1x16x16x16xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst : f32
    }
    linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%alloc_8, %0 : memref<1x16x18x18xf32>, memref<16x3x3xf32>) outs(%alloc_6 : memref<1x16x16x16xf32>)
    %alloc_11 = memref.alloc() {alignment = 64 : i64} : memref<1x16x16x16xf32>
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%alloc_6 : memref<1x16x16x16xf32>) outs(%alloc_11 : memref<1x16x16x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %7 = arith.maximumf %in, %cst : f32
      %8 = arith.minimumf %7, %cst_1 : f32
      linalg.yield %8 : f32
    }
    linalg.generic {indexing_maps = [#map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%alloc_6 : memref<1x16x16x16xf32>) {
    ^bb0(%out: f32):
      linalg.yield %cst : f32
    }
    linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%alloc_11, %6 : memref<1x16x16x16xf32>, memref<16x16x1x1xf32>) outs(%alloc_6 : memref<1x16x16x16xf32>)
    %expand_shape = memref.expand_shape %alloc_10 [[0], [1, 2, 3], [4], [5]] output_shape [1, 16, 1, 1, 16, 16] : memref<1x16x16x16xf32> into memref<1x16x1x1x16x16xf32>
    %expand_shape_12 = memref.expand_shape %alloc_6 [[0], [1, 2, 3], [4], [5]] output_shape [1, 16, 1, 1, 16, 16] : memref<1x16x16x16xf32> into memref<1x16x1x1x16x16xf32>
    %alloc_13 = memref.alloc() {alignment = 64 : i64} : memref<1x16xf32>
    %expand_shape_14 = memref.expand_shape %alloc_13 [[0], [1, 2, 3]] output_shape [1, 16, 1, 1] : memref<1x16xf32> into memref<1x16x1x1xf32>
    linalg.fill ins(%cst : f32) outs(%expand_shape_14 : memref<1x16x1x1xf32>)
    linalg.generic {indexing_maps = [#map4, #map4, #map3], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%expand_shape, %expand_shape_12 : memref<1x16x1x1x16x16xf32>, memref<1x16x1x1x16x16xf32>) outs(%expand_shape_14 : memref<1x16x1x1xf32>) {
    ^bb0(%in: f32, %in_20: f32, %out: f32):
      %7 = arith.addf %in, %in_20 : f32
      %8 = arith.addf %out, %7 : f32
      linalg.yield %8 : f32
    }
    %alloc_15 = memref.alloc() {alignment = 64 : i64} : memref<1x16x1x1xf32>
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expand_shape_14 : memref<1x16x1x1xf32>) outs(%alloc_15 : memref<1x16x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %7 = arith.divf %in, %cst_2 : f32
      linalg.yield %7 : f32
    }
    %collapse_shape = memref.collapse_shape %alloc_15 [[0], [1, 2, 3]] : memref<1x16x1x1xf32> into memref<1x16xf32>
    %alloc_16 = memref.alloc() {alignment = 64 : i64} : memref<1x10xf32>
    linalg.generic {indexing_maps = [#map5, #map6], iterator_types = ["parallel", "parallel"]} ins(%3 : memref<10xf32>) outs(%alloc_16 : memref<1x10xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [#map7, #map8, #map9], iterator_types = ["parallel", "parallel", "reduction"]} ins(%collapse_shape, %2 : memref<1x16xf32>, memref<10x16xf32>) outs(%alloc_16 : memref<1x10xf32>) {
    ^bb0(%in: f32, %in_20: f32, %out: f32):
      %7 = arith.mulf %in, %in_20 : f32
      %8 = arith.addf %out, %7 : f32
      linalg.yield %8 : f32
    }
    %alloc_17 = memref.alloc() {alignment = 64 : i64} : memref<1xf32>
    %expand_shape_18 = memref.expand_shape %alloc_17 [[0, 1]] output_shape [1, 1] : memref<1xf32> into memref<1x1xf32>
    linalg.fill ins(%cst_0 : f32) outs(%expand_shape_18 : memref<1x1xf32>)
    %expand_shape_19 = memref.expand_shape %alloc_16 [[0, 1], [2]] output_shape [1, 1, 10] : memref<1x10xf32> into memref<1x1x10xf32>
    linalg.generic {indexing_maps = [#map10, #map9], iterator_types = ["parallel", "parallel", "reduction"]} ins(%expand_shape_19 : memref<1x1x10xf32>) outs(%expand_shape_18 : memref<1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %7 = arith.maximumf %out, %in : f32
      linalg.yield %7 : f32
    }
    linalg.generic {indexing_maps = [#map6, #map11, #map6], iterator_types = ["parallel", "parallel"]} ins(%alloc_16, %expand_shape_18 : memref<1x10xf32>, memref<1x1xf32>) outs(%alloc_16 : memref<1x10xf32>) {
    ^bb0(%in: f32, %in_20: f32, %out: f32):
      %7 = arith.subf %in, %in_20 : f32
      %8 = math.exp %7 : f32
      linalg.yield %8 : f32
    }
    linalg.fill ins(%cst : f32) outs(%expand_shape_18 : memref<1x1xf32>)
    linalg.generic {indexing_maps = [#map10, #map9], iterator_types = ["parallel", "parallel", "reduction"]} ins(%expand_shape_19 : memref<1x1x10xf32>) outs(%expand_shape_18 : memref<1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %7 = arith.addf %out, %in : f32
      linalg.yield %7 : f32
    }
    linalg.generic {indexing_maps = [#map6, #map11, #map6], iterator_types = ["parallel", "parallel"]} ins(%alloc_16, %expand_shape_18 : memref<1x10xf32>, memref<1x1xf32>) outs(%alloc_16 : memref<1x10xf32>) {
    ^bb0(%in: f32, %in_20: f32, %out: f32):
      %7 = arith.divf %in, %in_20 : f32
      linalg.yield %7 : f32
    }
    return %alloc_16 : memref<1x10xf32>
  }
}


