// RUN: mnemo-opt %s -split-input-file -mnemo-cpu-collectives-to-mpi | FileCheck %s
// RUN: mnemo-opt %s -split-input-file -mnemo-cpu-collectives-to-mpi -one-shot-bufferize=bufferize-function-boundaries -expand-strided-metadata -mnemo-cpu-mpi-to-llvm | FileCheck %s --check-prefix=LLVM

// A vocab-parallel rank's merge (dynamic batch, as exported decoders
// have): each all-reduce sends the input's buffer into a new one over
// MPI_COMM_WORLD; no communicator is split per call.
module attributes {mnemo.vocab_parallel = {rank = 0 : i64, ranks = 2 : i64, vocab = 8 : i64}} {
  shard.grid @vocab(shape = 2)
  func.func @main_graph(%x: tensor<?x4xf32>, %i: tensor<?x1xi64>) -> (tensor<?x4xf32>, tensor<?x1xi64>) {
    %s = shard.all_reduce %x on @vocab grid_axes = [0] : tensor<?x4xf32> -> tensor<?x4xf32>
    %m = shard.all_reduce %i on @vocab grid_axes = [0] reduction = min : tensor<?x1xi64> -> tensor<?x1xi64>
    return %s, %m : tensor<?x4xf32>, tensor<?x1xi64>
  }
}

// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">
// CHECK-NOT: shard.grid
// CHECK-LABEL: func.func @main_graph
// CHECK: %[[SEND:.*]] = bufferization.to_buffer %arg0 read_only : tensor<?x4xf32> to memref<?x4xf32>
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c0
// CHECK: %[[RECV:.*]] = memref.alloc(%[[N]]) : memref<?x4xf32>
// CHECK: %[[W:.*]] = mpi.comm_world : !mpi.comm
// CHECK: %[[SF:.*]] = memref.collapse_shape %[[SEND]] {{\[\[}}0, 1]]
// CHECK: %[[RF:.*]] = memref.collapse_shape %[[RECV]] {{\[\[}}0, 1]]
// CHECK: mpi.allreduce(%[[SF]], %[[RF]], MPI_SUM, %[[W]]) : memref<?xf32>, memref<?xf32>
// CHECK: bufferization.to_tensor %[[RECV]] restrict writable
// CHECK: mpi.allreduce({{.*}}, MPI_MIN, {{.*}}) : memref<?xi64>, memref<?xi64>
// CHECK-NOT: mpi.comm_split
// CHECK-NOT: shard.

// OpenMPI's predefined ops are the globals ompi_mpi_op_<name> (MLIR 22's
// OpenMPI traits say ompi_mpi_<name>, which libmpi does not export).
// LLVM-DAG: llvm.mlir.global external @ompi_mpi_op_sum()
// LLVM-DAG: llvm.mlir.global external @ompi_mpi_op_min()
// LLVM-DAG: llvm.mlir.global external @ompi_mpi_comm_world()
// LLVM-DAG: llvm.mlir.global external @ompi_mpi_int64_t()
// LLVM-DAG: llvm.func @MPI_Allreduce(
// LLVM: llvm.mlir.addressof @ompi_mpi_op_sum
// LLVM: llvm.call @MPI_Allreduce
// LLVM-NOT: @ompi_mpi_sum

// -----

// A module without collectives is left alone.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: mpi.
func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
