// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-decompose-pads | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-cpu-decompose-pads --eliminate-empty-tensors --one-shot-bufferize="bufferize-function-boundaries" --cse --mnemo-cpu-legalize-memrefs | FileCheck %s --check-prefix=BUF

// A constant pad becomes a fill of the padded tensor and an insert of the
// source. After bufferization the producer of the source (here the
// ReLU) writes the padded buffer's interior directly: no copy.
// CHECK-LABEL: func.func @pad_after_relu
// CHECK-NOT: tensor.pad
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x4x10x10xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<1x4x10x10xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %[[F]][0, 0, 1, 1] [1, 4, 8, 8] [1, 1, 1, 1]
// BUF-LABEL: func.func @pad_after_relu
// BUF: %[[BUF:.*]] = memref.alloc() {{.*}} : memref<1x4x10x10xf32>
// BUF: linalg.fill {{.*}} outs(%[[BUF]] : memref<1x4x10x10xf32>)
// BUF: %[[IN:.*]] = memref.subview %[[BUF]][0, 0, 1, 1] [1, 4, 8, 8] [1, 1, 1, 1]
// BUF: linalg.generic {{.*}} outs(%[[IN]] : memref<1x4x8x8xf32, strided<[400, 100, 10, 1], offset: 11>>)
// BUF-NOT: memref.copy
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
func.func @pad_after_relu(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x10x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x8x8xf32>) outs(%e : tensor<1x4x8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x8x8xf32>
  %p = tensor.pad %r low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  return %p : tensor<1x4x10x10xf32>
}

// -----

// Nothing else changes.
// CHECK-LABEL: func.func @no_pad
// CHECK-NEXT: return %arg0
func.func @no_pad(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
