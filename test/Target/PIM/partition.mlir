// RUN: mnemo-opt %s --split-input-file --mnemo-pim-partition="print=1 host-gbps=1000 host-gflops=20000" | FileCheck %s
// RUN: mnemo-opt %s --split-input-file --mnemo-pim-partition="print=1 host-gbps=1000 host-gflops=20000" -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHECK-REPORT
// RUN: mnemo-opt %s --split-input-file --mnemo-pim-partition="force-host=proj" | FileCheck %s --check-prefix=HOST
// RUN: not mnemo-opt %s --split-input-file --mnemo-pim-partition="force-pim=tied,proj" 2>&1 | FileCheck %s --check-prefix=TIED
// RUN: not mnemo-opt %s --split-input-file --mnemo-pim-partition="device=channels=0" 2>&1 | FileCheck %s --check-prefix=DEV
// DEV: error: PIM device: channels must be positive
// RUN: mnemo-translate --import-onnx %shared/models/gpt2_tiny_decode/model.onnx --infer-shapes --debug-info | mnemo-opt --mnemo-pim-partition="print=1" -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPT2-REPORT
// RUN: mnemo-translate --import-onnx %shared/models/gpt2_tiny_decode/model.onnx --infer-shapes --debug-info | mnemo-opt --mnemo-pim-device-pipeline | FileCheck %s --check-prefix=PIPE
// REQUIRES: shared-models

// Against a GPU-like host (1 TB/s, 20 TFLOPS): a decode step's projection
// (1 row, constant weight and bias) is faster in the banks than streaming
// its 3 MB weight; the same
// product with a transposed weight (a tied LM head) stays on the host.
// CHECK-REPORT: pim partition: 'proj' (Gemm 768x1024, 1 row): PIM {{[0-9.]+}} us, host {{[0-9.]+}} us -> PIM
// CHECK-REPORT: pim partition: 'tied' (Gemm) stays on the host: B is transposed
// CHECK-LABEL: func.func @step
// CHECK: %[[Y:.*]] = pim.gemv %arg0, %{{.*}} bias %{{.*}} : tensor<1x768xf32>, tensor<768x1024xf32>, tensor<1024xf32> -> tensor<1x1024xf32>
// CHECK: graph.gemm %[[Y]]
// HOST-LABEL: func.func @step
// HOST-NOT: pim.gemv
// HOST-COUNT-2: graph.gemm
// TIED: error: loc("tied"): node 'tied' (Gemm) is forced to PIM but cannot go there: B is transposed
func.func @step(%x: tensor<1x768xf32>) -> tensor<1x768xf32> {
  %w = graph.constant dense<0.5> : tensor<768x1024xf32>
  %b = graph.constant dense<1.0> : tensor<1024xf32>
  %y = graph.gemm %x, %w, %b : (tensor<1x768xf32>, tensor<768x1024xf32>, tensor<1024xf32>) -> tensor<1x1024xf32> loc("proj")
  %e = graph.constant dense<0.25> : tensor<768x1024xf32>
  %none = graph.none
  %z = graph.gemm %y, %e, %none {transB = 1} : (tensor<1x1024xf32>, tensor<768x1024xf32>, none) -> tensor<1x768xf32> loc("tied")
  return %z : tensor<1x768xf32>
}

// -----

// 256 activation rows (a prefill) are compute-bound: that host wins.
// CHECK-REPORT: pim partition: 'prefill' (Gemm 768x768, 256 rows): PIM {{[0-9.]+}} us, host {{[0-9.]+}} us -> host
// TIED: error: force-pim names 'tied', which is not a Gemm or MatMul node of @prefill
func.func @prefill(%x: tensor<256x768xf32>) -> tensor<256x768xf32> {
  %w = graph.constant dense<0.5> : tensor<768x768xf32>
  %none = graph.none
  %y = graph.gemm %x, %w, %none : (tensor<256x768xf32>, tensor<768x768xf32>, none) -> tensor<256x768xf32> loc("prefill")
  return %y : tensor<256x768xf32>
}

// The shared GPT-2 decode step: its 8 projections and MLP layers go to PIM.
// The named pipeline (partition, map, programs): 9 programs, the 8 Gemms
// and the LM head.
// PIPE-COUNT-9: pim.program @pim_gemv_{{[0-8]}} device(<>)
// GPT2-REPORT-COUNT-8: pim partition: '/model/transformer/h.{{[01]}}/{{attn|mlp}}/{{c_attn|c_proj|c_fc}}/Gemm' (Gemm {{.*}} -> PIM

// -----

// Chained products: the second reads the first's result, which the first
// rewrite replaced (its operand is read when its turn comes).
// CHECK-REPORT: pim partition: 'up' (Gemm 768x3072, 1 row): PIM {{.*}} -> PIM
// CHECK-REPORT: pim partition: 'down' (Gemm 3072x768, 1 row): PIM {{.*}} -> PIM
// CHECK-LABEL: func.func @chain
// CHECK: %[[UP:.*]] = pim.gemv %arg0
// CHECK: pim.gemv %[[UP]]
func.func @chain(%x: tensor<1x768xf32>) -> tensor<1x768xf32> {
  %w1 = graph.constant dense<0.5> : tensor<768x3072xf32>
  %w2 = graph.constant dense<0.5> : tensor<3072x768xf32>
  %none = graph.none
  %u = graph.gemm %x, %w1, %none : (tensor<1x768xf32>, tensor<768x3072xf32>, none) -> tensor<1x3072xf32> loc("up")
  %d = graph.gemm %u, %w2, %none : (tensor<1x3072xf32>, tensor<3072x768xf32>, none) -> tensor<1x768xf32> loc("down")
  return %d : tensor<1x768xf32>
}

// -----

// Rows unknown at compile time (a symbolic token count): timed for one
// row, the decode step's case.
// CHECK-REPORT: pim partition: 'head' (MatMul 64x4096, 1 row, dynamic: timed for 1): PIM {{.*}} -> PIM
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: pim.gemv
func.func @dynamic_rows(%x: tensor<1x?x64xf32>) -> tensor<1x?x4096xf32> {
  %w = graph.constant dense<0.5> : tensor<64x4096xf32>
  %y = graph.matmul %x, %w : (tensor<1x?x64xf32>, tensor<64x4096xf32>) -> tensor<1x?x4096xf32> loc("head")
  return %y : tensor<1x?x4096xf32>
}
