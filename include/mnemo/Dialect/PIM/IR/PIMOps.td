//===- PIMOps.td - mnemo pim dialect -----------------------*- tablegen -*-===//
//
// The `pim` dialect describes a GDDR6-AiM-style processing-in-memory
// device in two levels, as Cinnamon (CINM) does for its device dialects:
//  - mapping: `pim.gemv`, a matrix-vector product whose weight lives in the
//    banks, with its layout over channels, banks and DRAM rows as an
//    attribute (`#pim.gemv_layout`);
//  - commands: `pim.program`, a straight-line AiM program, one op per
//    instruction (WR_GB ... EOC), each checked against the program's
//    `#pim.device` by the same code the trace reader and the simulator use
//    (mnemo/Target/PIM/Program.h).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DIALECT_PIM_IR_PIMOPS_TD
#define MNEMO_DIALECT_PIM_IR_PIMOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def PIM_Dialect : Dialect {
  let name = "pim";
  let cppNamespace = "::mnemo::pim";
  let summary = "A GDDR6-AiM-style PIM device: GEMV mapping and AiM commands.";
  let useDefaultAttributePrinterParser = 1;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class PIM_Attr<string name, string attrMnemonic> : AttrDef<PIM_Dialect, name> {
  let mnemonic = attrMnemonic;
}

class Dev<string default> : DefaultValuedParameter<"int64_t", default>;

def PIM_DeviceAttr : PIM_Attr<"Device", "device"> {
  let summary = "The organisation and command timing of a PIM device.";
  let description = [{
    Defaults are SK hynix GDDR6-AiM's (REFERENCES.md section 8): 32
    channels of 4 bank groups x 4 banks, 16K rows of 2 KB, a 2 KB global
    buffer per channel, bf16 data; timing in command-clock cycles of
    `tCK_ps` picoseconds (ACT to MAC 56, one column per 2, last column to
    precharge 12, precharge 32, tRAS 54, tRC 89, refresh every 3800 for
    210 when `refresh` is 1). Only the fields that differ are printed:

    ```mlir
    #pim.device<>                           // the AiM default
    #pim.device<channels = 2, rows = 1024>  // a small test device
    ```
  }];
  let parameters = (ins
    Dev<"32">:$channels, Dev<"4">:$bank_groups, Dev<"4">:$banks_per_group,
    Dev<"16384">:$rows, Dev<"2048">:$row_bytes, Dev<"2048">:$gb_bytes,
    StringRefParameter<"element type", "\"bf16\"">:$dtype,
    Dev<"500">:$tCK_ps, Dev<"56">:$tRCDMAC, Dev<"2">:$tCCD, Dev<"12">:$tRTP,
    Dev<"32">:$tRP, Dev<"54">:$tRAS, Dev<"89">:$tRC, Dev<"3800">:$tREFI,
    Dev<"210">:$tRFC, Dev<"0">:$refresh);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The device the simulator and the checks take (figures the attribute
    /// does not carry keep their defaults).
    ::mnemo::pim::Device getDevice() const;
  }];
}

def PIM_GemvLayoutAttr : PIM_Attr<"GemvLayout", "gemv_layout"> {
  let summary = "Where a GEMV's weight lies in the banks.";
  let description = [{
    y[n] = sum_k x[k] W[k, n] with output n = slot * (channels * 16) +
    channel * 16 + bank: the outputs are spread over every bank of every
    channel, so one all-bank MAC per channel computes 16 x channels of
    them and one RD_MAC over all channels returns them in order. Column n
    of W (its K values, as bf16) is contiguous in that bank from DRAM row
    `row_base + slot * passes`, one 2 KB row per pass of `row_values` inputs
    (the global buffer's size): an input longer than the buffer is split
    into passes whose partial sums the host adds.

    ```mlir
    #pim.gemv_layout<k = 768, n = 2304, row_base = 0, slots = 5, passes = 1>
    ```
  }];
  let parameters = (ins "int64_t":$k, "int64_t":$n, "int64_t":$row_base,
                        "int64_t":$slots, "int64_t":$passes);
  let assemblyFormat = "`<` struct(params) `>`";
}

//===----------------------------------------------------------------------===//
// Mapping level
//===----------------------------------------------------------------------===//

class PIM_Op<string mnemonic, list<Trait> traits = []>
    : Op<PIM_Dialect, mnemonic, traits>;

def PIM_GemvOp : PIM_Op<"gemv", [Pure]> {
  let summary = "A matrix-vector product whose weight lives in the banks.";
  let description = [{
    `y = x W` for `x` of shape [R, K] with few rows (R <= 16: a decode
    step's projections, MLP and LM head) and a weight `w` [K, N] that is a
    constant of the model. `layout` (set by the mapping) says where `w`
    lies in the banks, `program` (set by the emission) the pim.program
    that computes one row; `bias` [N] is optional.

    ```mlir
    %y = pim.gemv %x, %w : tensor<1x768xf32>, tensor<768x2304xf32> -> tensor<1x2304xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$w,
                       Optional<AnyRankedTensor>:$bias,
                       OptionalAttr<PIM_GemvLayoutAttr>:$layout,
                       OptionalAttr<FlatSymbolRefAttr>:$program);
  let results = (outs AnyRankedTensor:$y);
  let assemblyFormat = [{
    $x `,` $w (`bias` $bias^)? attr-dict `:` type($x) `,` type($w)
    (`,` type($bias)^)? `->` type($y)
  }];
  let hasVerifier = 1;
}

def PIM_KVAttendOp : PIM_Op<"kv_attend", [
    MemoryEffects<[MemRead<DefaultResource>, MemWrite<DefaultResource>]>]> {
  let summary = "Attention against one layer's KV cache held in the banks.";
  let description = [{
    A decode step's product with its KV cache, run where the cache lives
    (docs/pim.md): the step's new row (`new_row` [1, H, 1, D], the key or
    value of the token at `position`) is appended to the device's cache,
    then, with `kind = "key"`, `y` [1, H, 1, position + 1] is `x` [1, H,
    1, D] times the keys' transpose (the attention scores); with `kind =
    "value"`, `y` [1, H, 1, D] is `x` [1, H, 1, position + 1] (the
    probabilities) times the values. `cache` is the host's cache input
    [1, H, max_seq, D], read only for the tokens the device does not hold
    yet (the prompt's). The device's rows are its state: the op is not
    pure. `cache_id` names the cache in OUT/pim/pim.json, `row_base` (set
    by mnemo-pim-map-gemv) its first bank row.
  }];
  let arguments = (ins AnyRankedTensor:$x, AnyRankedTensor:$new_row,
                       AnyRankedTensor:$position, AnyRankedTensor:$cache,
                       StrAttr:$kind, I64Attr:$cache_id,
                       OptionalAttr<I64Attr>:$row_base);
  let results = (outs AnyRankedTensor:$y);
  let assemblyFormat = [{
    $x `,` $new_row `,` $position `,` $cache attr-dict `:` type($x) `,`
    type($new_row) `,` type($position) `,` type($cache) `->` type($y)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Command level
//===----------------------------------------------------------------------===//

def PIM_ProgramOp : PIM_Op<"program", [IsolatedFromAbove, Symbol,
    SingleBlock, NoTerminator]> {
  let summary = "A straight-line AiM program for one device.";
  let description = [{
    The commands in order, ending with `pim.eoc`; `mnemo-translate
    --emit-pim-asm` prints them in the AiM trace grammar, `--emit-pim-bin`
    in mnemo's binary form. Registers (GPRs) are the host's staging area:
    the host writes inputs there before the program and reads results
    after it.

    ```mlir
    pim.program @gemv device(#pim.device<channels = 2>) {
      pim.wr_gb opsize(4) gpr0(0) mask(0xC0000000)
      pim.mac_abk opsize(4) mask(0xC0000000) row(0)
      pim.rd_mac gpr0(8) mask(0xC0000000)
      pim.eoc
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       OptionalAttr<PIM_DeviceAttr>:$device);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name (`device` `(` $device^ `)`)? attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The program's device (the AiM default when none is given).
    ::mnemo::pim::Device getDeviceOrDefault();
  }];
}

// One op per AiM instruction. `fields` lists the trace fields the opcode
// carries, in trace order; each becomes an I64 attribute of the same name.
class PIM_CommandOp<string mnemonic, string summaryText, dag fields,
                    string format>
    : PIM_Op<mnemonic, [HasParent<"ProgramOp">]> {
  let summary = summaryText;
  let arguments = fields;
  let assemblyFormat = format # " attr-dict";
  let hasVerifier = 1;
}

def PIM_WrGbOp : PIM_CommandOp<"wr_gb",
    "WR_GB: registers to the global buffer's first `opsize` columns.",
    (ins I64Attr:$opsize, I64Attr:$gpr0, I64Attr:$mask),
    "`opsize` `(` $opsize `)` `gpr0` `(` $gpr0 `)` `mask` `(` $mask `)`">;
def PIM_WrBiasOp : PIM_CommandOp<"wr_bias",
    "WR_BIAS: a register (16 values) per channel into its banks' accumulators.",
    (ins I64Attr:$gpr0, I64Attr:$mask),
    "`gpr0` `(` $gpr0 `)` `mask` `(` $mask `)`">;
def PIM_MacAbkOp : PIM_CommandOp<"mac_abk",
    "MAC_ABK: every bank's accumulator += its row's columns from `col` (0 when absent) . the buffer's.",
    (ins I64Attr:$opsize, I64Attr:$mask, I64Attr:$row, OptionalAttr<I64Attr>:$col),
    "`opsize` `(` $opsize `)` `mask` `(` $mask `)` `row` `(` $row `)` (`col` `(` $col^ `)`)?">;
def PIM_MacSbkOp : PIM_CommandOp<"mac_sbk",
    "MAC_SBK: MAC_ABK in one bank.",
    (ins I64Attr:$opsize, I64Attr:$mask, I64Attr:$bank, I64Attr:$row, OptionalAttr<I64Attr>:$col),
    "`opsize` `(` $opsize `)` `mask` `(` $mask `)` `bank` `(` $bank `)` `row` `(` $row `)` (`col` `(` $col^ `)`)?">;
def PIM_RdMacOp : PIM_CommandOp<"rd_mac",
    "RD_MAC: each channel's 16 accumulators into a register (blocking).",
    (ins I64Attr:$gpr0, I64Attr:$mask),
    "`gpr0` `(` $gpr0 `)` `mask` `(` $mask `)`">;
def PIM_RdAfOp : PIM_CommandOp<"rd_af",
    "RD_AF: each channel's 16 activation results into a register (blocking).",
    (ins I64Attr:$gpr0, I64Attr:$mask),
    "`gpr0` `(` $gpr0 `)` `mask` `(` $mask `)`">;
def PIM_AfOp : PIM_CommandOp<"af",
    "AF: the activation table over every bank's accumulator.",
    (ins I64Attr:$mask), "`mask` `(` $mask `)`">;
def PIM_EwMulOp : PIM_CommandOp<"ewmul",
    "EWMUL: every bank's row, column by column, times the global buffer.",
    (ins I64Attr:$opsize, I64Attr:$mask, I64Attr:$row),
    "`opsize` `(` $opsize `)` `mask` `(` $mask `)` `row` `(` $row `)`">;
def PIM_EwAddOp : PIM_CommandOp<"ewadd",
    "EWADD: registers gpr0.. += registers gpr1.. (on the host).",
    (ins I64Attr:$opsize, I64Attr:$gpr0, I64Attr:$gpr1),
    "`opsize` `(` $opsize `)` `gpr0` `(` $gpr0 `)` `gpr1` `(` $gpr1 `)`">;
def PIM_CopyBkGbOp : PIM_CommandOp<"copy_bkgb",
    "COPY_BKGB: a bank row's first `opsize` columns into the global buffer.",
    (ins I64Attr:$opsize, I64Attr:$mask, I64Attr:$bank, I64Attr:$row),
    "`opsize` `(` $opsize `)` `mask` `(` $mask `)` `bank` `(` $bank `)` `row` `(` $row `)`">;
def PIM_CopyGbBkOp : PIM_CommandOp<"copy_gbbk",
    "COPY_GBBK: the global buffer's first `opsize` columns into a bank row.",
    (ins I64Attr:$opsize, I64Attr:$mask, I64Attr:$bank, I64Attr:$row),
    "`opsize` `(` $opsize `)` `mask` `(` $mask `)` `bank` `(` $bank `)` `row` `(` $row `)`">;
def PIM_WrSbkOp : PIM_CommandOp<"wr_sbk",
    "WR_SBK: `opsize` registers into one bank's row from column `col`.",
    (ins I64Attr:$opsize, I64Attr:$gpr0, I64Attr:$mask, I64Attr:$bank, I64Attr:$row, I64Attr:$col),
    "`opsize` `(` $opsize `)` `gpr0` `(` $gpr0 `)` `mask` `(` $mask `)` `bank` `(` $bank `)` `row` `(` $row `)` `col` `(` $col `)`">;
def PIM_WrAbkOp : PIM_CommandOp<"wr_abk",
    "WR_ABK: a row's worth of registers into that row of every bank of one channel.",
    (ins I64Attr:$gpr0, I64Attr:$mask, I64Attr:$row),
    "`gpr0` `(` $gpr0 `)` `mask` `(` $mask `)` `row` `(` $row `)`">;
def PIM_RdSbkOp : PIM_CommandOp<"rd_sbk",
    "RD_SBK: `opsize` columns of one bank's row from `col` into registers (blocking).",
    (ins I64Attr:$opsize, I64Attr:$gpr0, I64Attr:$mask, I64Attr:$bank, I64Attr:$row, I64Attr:$col),
    "`opsize` `(` $opsize `)` `gpr0` `(` $gpr0 `)` `mask` `(` $mask `)` `bank` `(` $bank `)` `row` `(` $row `)` `col` `(` $col `)`">;
def PIM_SyncOp : PIM_CommandOp<"sync",
    "SYNC: every channel and the host wait for the slowest.", (ins), "">;
def PIM_EocOp : PIM_CommandOp<"eoc", "EOC: the end of the program.", (ins), "">;

#endif // MNEMO_DIALECT_PIM_IR_PIMOPS_TD
