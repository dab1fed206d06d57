// RUN: mnemo-opt %s --verify-diagnostics --mnemo-pim-map-gemv="device=channels=2,rows=4"

// The second weight needs 2 rows per bank from row 3 on a 4-row device.
func.func @full(%x: tensor<1x32xf32>) -> (tensor<1x100xf32>, tensor<1x40xf32>) {
  %w = arith.constant dense<0.5> : tensor<32x100xf32>
  %y = pim.gemv %x, %w : tensor<1x32xf32>, tensor<32x100xf32> -> tensor<1x100xf32> loc("first")
  %v = arith.constant dense<0.5> : tensor<32x40xf32>
  // expected-error @below {{a 32 x 40 weight needs 2 rows per bank from row 4, the device has 4 (the GEMVs before it use rows 0..3)}}
  %u = pim.gemv %x, %v : tensor<1x32xf32>, tensor<32x40xf32> -> tensor<1x40xf32>
  return %y, %u : tensor<1x100xf32>, tensor<1x40xf32>
}
