// RUN: mnemo-opt %s -split-input-file -verify-diagnostics -mnemo-cpu-collectives-to-mpi

// Ranks are one axis (MPI_COMM_WORLD); a 2-D grid is not lowered.
module {
  // expected-error @+1 {{only 1-D shard grids (one axis of MPI ranks) lower to MPI here}}
  shard.grid @g(shape = 2x2)
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    %s = shard.all_reduce %x on @g grid_axes = [0] : tensor<4xf32> -> tensor<4xf32>
    return %s : tensor<4xf32>
  }
}

// -----

module {
  shard.grid @vocab(shape = 2)
  func.func @f(%x: tensor<f32>) -> tensor<f32> {
    // expected-error @+1 {{expected an all-reduce of a ranked tensor (rank >= 1) to the same type}}
    %s = shard.all_reduce %x on @vocab grid_axes = [0] : tensor<f32> -> tensor<f32>
    return %s : tensor<f32>
  }
}
