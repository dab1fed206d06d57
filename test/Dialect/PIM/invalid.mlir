// RUN: mnemo-opt %s --split-input-file --verify-diagnostics

pim.program @row device(#pim.device<channels = 2, rows = 1024>) {
  // expected-error @below {{'pim.mac_abk' op row 1024 is outside 0..1023}}
  pim.mac_abk opsize(64) mask(0x80000000) row(1024)
  pim.eoc
}

// -----

pim.program @bank {
  // expected-error @below {{bank 16 is outside 0..15}}
  pim.mac_sbk opsize(4) mask(0x80000000) bank(16) row(0)
  pim.eoc
}

// -----

pim.program @opsize {
  // expected-error @below {{opsize 65 is outside 1..64 (64 columns of a row)}}
  pim.copy_gbbk opsize(65) mask(0x80000000) bank(0) row(0)
  pim.eoc
}

// -----

pim.program @mask device(#pim.device<channels = 2>) {
  // expected-error @below {{channel mask 0x20000000 selects a channel past the device's 2 (bit i is channel 31 - i)}}
  pim.af mask(0x20000000)
  pim.eoc
}

// -----

pim.program @empty_mask {
  // expected-error @below {{channel mask selects no channel}}
  pim.rd_mac gpr0(0) mask(0)
  pim.eoc
}

// -----

pim.program @one_channel {
  // expected-error @below {{WR_ABK's channel mask must name exactly one channel}}
  pim.wr_abk gpr0(0) mask(0xC0000000) row(0)
  pim.eoc
}

// -----

pim.program @registers {
  // expected-error @below {{registers GPR0 65500..65563 are outside the 65536 registers}}
  pim.rd_sbk opsize(64) gpr0(65500) mask(0x80000000) bank(0) row(0) col(0)
  pim.eoc
}

// -----

pim.program @columns {
  // expected-error @below {{columns 60..67 are outside the row's 0..63}}
  pim.wr_sbk opsize(8) gpr0(0) mask(0x80000000) bank(0) row(0) col(60)
  pim.eoc
}

// -----

func.func @kv_kind(%q: tensor<1x4x1x16xf32>, %pos: tensor<1xi64>, %c: tensor<1x4x64x16xf32>) -> tensor<1x4x1x?xf32> {
  // expected-error @below {{kind must be "key" or "value"}}
  %s = pim.kv_attend %q, %q, %pos, %c {kind = "query", cache_id = 0}
      : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1xi64>, tensor<1x4x64x16xf32> -> tensor<1x4x1x?xf32>
  return %s : tensor<1x4x1x?xf32>
}

// -----

func.func @kv_cache_shape(%q: tensor<1x4x1x16xf32>, %pos: tensor<1xi64>, %c: tensor<1x64x4x16xf32>) -> tensor<1x4x1x?xf32> {
  // expected-error @below {{new_row must be [1, 64, 1, 16]}}
  %s = pim.kv_attend %q, %q, %pos, %c {kind = "key", cache_id = 0}
      : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1xi64>, tensor<1x64x4x16xf32> -> tensor<1x4x1x?xf32>
  return %s : tensor<1x4x1x?xf32>
}

// -----

func.func @kv_value_shape(%p: tensor<1x4x1x?xf32>, %k: tensor<1x4x1x16xf32>, %pos: tensor<1xi64>, %c: tensor<1x4x64x16xf32>) -> tensor<1x4x1x8xf32> {
  // expected-error @below {{values take x [1, H, 1, L] and give y [1, H, 1, D] (H = 4, D = 16)}}
  %o = pim.kv_attend %p, %k, %pos, %c {kind = "value", cache_id = 0}
      : tensor<1x4x1x?xf32>, tensor<1x4x1x16xf32>, tensor<1xi64>, tensor<1x4x64x16xf32> -> tensor<1x4x1x8xf32>
  return %o : tensor<1x4x1x8xf32>
}

// -----

func.func @kv_position(%q: tensor<1x4x1x16xf32>, %pos: tensor<1xi32>, %c: tensor<1x4x64x16xf32>) -> tensor<1x4x1x?xf32> {
  // expected-error @below {{position must be tensor<1xi64>}}
  %s = pim.kv_attend %q, %q, %pos, %c {kind = "key", cache_id = 0}
      : tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1xi32>, tensor<1x4x64x16xf32> -> tensor<1x4x1x?xf32>
  return %s : tensor<1x4x1x?xf32>
}

// -----

// expected-error @below {{'pim.program' op must end with pim.eoc}}
pim.program @no_eoc {
  pim.sync
}

// -----

pim.program @eoc_early {
  // expected-error @below {{must be the program's last command}}
  pim.eoc
  pim.sync
  pim.eoc
}

// -----

// expected-error @below {{a channel must have 16 banks}}
pim.program @device device(#pim.device<bank_groups = 2>) {
  pim.eoc
}

// -----

func.func @gemv_shapes(%x: tensor<1x700xf32>, %w: tensor<768x64xf32>) -> tensor<1x64xf32> {
  // expected-error @below {{x has 700 columns but the weight 768 rows}}
  %y = pim.gemv %x, %w : tensor<1x700xf32>, tensor<768x64xf32> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

func.func @gemv_layout(%x: tensor<1x768xf32>, %w: tensor<768x64xf32>) -> tensor<1x64xf32> {
  // expected-error @below {{layout is for a 768 x 128 weight, not 768 x 64}}
  %y = pim.gemv %x, %w {layout = #pim.gemv_layout<k = 768, n = 128, row_base = 0, slots = 1, passes = 1>} : tensor<1x768xf32>, tensor<768x64xf32> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
