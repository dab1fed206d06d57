// RUN: mnemo-opt %s --split-input-file -verify-diagnostics

func.func @too_big() {
  %s = mem.arena <sram> : memref<1024xi8>
  // expected-error @+1 {{view of 1024 bytes at offset 512 exceeds the arena of 1024 bytes}}
  %v = mem.view %s[512] : memref<1024xi8> to memref<256xf32>
  return
}

// -----

func.func @missing_size(%n: index) {
  %s = mem.arena <dram> : memref<1024xi8>
  // expected-error @+1 {{expected 1 dynamic sizes, got 0}}
  %v = mem.view %s[0] : memref<1024xi8> to memref<?xf32>
  return
}

// -----

func.func @bad_space() {
  // expected-error @+2 {{expected ::mnemo::mem::Space to be one of: sram, dram, hbm, pim_bank}}
  // expected-error @+1 {{failed to parse Mem_SpaceAttr parameter 'value'}}
  %s = mem.arena <flash> : memref<1024xi8>
  return
}
