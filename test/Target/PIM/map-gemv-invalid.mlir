// RUN: mnemo-opt %s --split-input-file --verify-diagnostics --mnemo-pim-map-gemv="device=channels=2,rows=4"

// The second weight needs 2 rows per bank from row 3 on a 4-row device.
func.func @full(%x: tensor<1x32xf32>) -> (tensor<1x100xf32>, tensor<1x40xf32>) {
  %w = arith.constant dense<0.5> : tensor<32x100xf32>
  %y = pim.gemv %x, %w : tensor<1x32xf32>, tensor<32x100xf32> -> tensor<1x100xf32> loc("first")
  %v = arith.constant dense<0.5> : tensor<32x40xf32>
  // expected-error @below {{a 32 x 40 weight needs 2 rows per bank from row 4, the device has 4 (the GEMVs before it use rows 0..3)}}
  %u = pim.gemv %x, %v : tensor<1x32xf32>, tensor<32x40xf32> -> tensor<1x40xf32>
  return %y, %u : tensor<1x100xf32>, tensor<1x40xf32>
}

// -----

// A KV cache goes after the weights: 64 tokens of 2 heads need a row per
// bank (each head on its own channel: 4 slots of 16 tokens, 64 keys of 16
// values to a row), and all 4 rows are the weight's (100 outputs over 32
// banks).
func.func @cache(%x: tensor<1x32xf32>, %q: tensor<1x2x1x16xf32>, %pos: tensor<1xi64>,
                 %c: tensor<1x2x64x16xf32>) -> (tensor<1x100xf32>, tensor<1x2x1x?xf32>) {
  %w = arith.constant dense<0.5> : tensor<32x100xf32>
  %y = pim.gemv %x, %w : tensor<1x32xf32>, tensor<32x100xf32> -> tensor<1x100xf32>
  // expected-error @below {{a key cache of 2 heads x 64 tokens x 16 needs 1 row per bank from row 4, the device has 4}}
  %s = pim.kv_attend %q, %q, %pos, %c {kind = "key", cache_id = 0}
      : tensor<1x2x1x16xf32>, tensor<1x2x1x16xf32>, tensor<1xi64>, tensor<1x2x64x16xf32> -> tensor<1x2x1x?xf32>
  return %y, %s : tensor<1x100xf32>, tensor<1x2x1x?xf32>
}
