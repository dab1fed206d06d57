// RUN: mnemo-opt %s --verify-diagnostics --pass-pipeline="builtin.module(func.func(mnemo-cuda-map-parallel-loops))"

// Kernels read buffers: a linalg op still on tensors means bufferization
// did not run.
func.func @tensors(%a: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @below {{linalg op on tensors left after bufferization}}
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                       iterator_types = ["parallel"]}
      ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
