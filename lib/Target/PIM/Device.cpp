//===- Device.cpp - PIM device figures, parsed and printed ----------------===//

#include "mnemo/Target/PIM/Device.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mnemo::pim;

namespace {

struct IntField {
  const char *name;
  int64_t Device::*member;
};

// One table for parsing and printing, in the order printDevice writes.
const IntField kIntFields[] = {
    {"channels", &Device::channels},
    {"bank_groups", &Device::bankGroups},
    {"banks_per_group", &Device::banksPerGroup},
    {"rows", &Device::rows},
    {"row_bytes", &Device::rowBytes},
    {"gb_bytes", &Device::globalBufferBytes},
    {"gprs", &Device::gprs},
    {"tCK_ps", &Device::tCKps},
    {"tRCDMAC", &Device::tRCDMAC},
    {"tCCD", &Device::tCCD},
    {"tRTP", &Device::tRTP},
    {"tRP", &Device::tRP},
    {"tRAS", &Device::tRAS},
    {"tRC", &Device::tRC},
    {"tMODE", &Device::tModeChange},
    {"tRCDWR", &Device::tRCDWR},
    {"tWR", &Device::tWR},
    {"tREAD", &Device::tReadLatency},
    {"tAF", &Device::tAF},
    {"tREFI", &Device::tREFI},
    {"tRFC", &Device::tRFC},
};

struct RealField {
  const char *name;
  double Device::*member;
};

const RealField kRealFields[] = {
    {"act_pj_per_bit", &Device::actPJPerBit},
    {"cell_pj_per_bit", &Device::cellPJPerBit},
    {"move_pj_per_bit", &Device::movePJPerBit},
    {"alu_pj_per_byte", &Device::aluPJPerByte},
};

llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

} // namespace

llvm::Error Device::validate() const {
  for (const IntField &f : kIntFields)
    if (this->*f.member <= 0)
      return fail(llvm::Twine("PIM device: ") + f.name + " must be positive");
  if (dataType != "bf16")
    return fail("PIM device: data type '" + dataType + "' is not supported (bf16)");
  if (banks() != kLanes)
    return fail("PIM device: RD_MAC returns one 16-value register per channel, "
                "so a channel must have 16 banks (bank_groups x banks_per_group)");
  if (rowBytes % kColumnBytes || globalBufferBytes % kColumnBytes)
    return fail("PIM device: row_bytes and gb_bytes must be whole 32-byte columns");
  if (channels > 32)
    return fail("PIM device: the channel mask has 32 bits (at most 32 channels)");
  // The binary form's field widths (docs/pim.md).
  if (rows > (1 << 24) || columns() > 256 || gprs > (1 << 16))
    return fail("PIM device: at most 2^24 rows, 256 columns per row and 2^16 "
                "registers (the binary command's fields)");
  return llvm::Error::success();
}

llvm::Expected<Device> mnemo::pim::parseDevice(llvm::StringRef spec) {
  Device d;
  llvm::SmallVector<llvm::StringRef> items;
  spec.split(items, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef item : items) {
    auto [key, value] = item.split('=');
    key = key.trim();
    value = value.trim();
    bool done = false;
    for (const IntField &f : kIntFields) {
      if (key != f.name)
        continue;
      if (value.getAsInteger(0, d.*f.member))
        return fail("PIM device: '" + value + "' is not an integer for " + key);
      done = true;
    }
    for (const RealField &f : kRealFields) {
      if (key != f.name)
        continue;
      if (value.getAsDouble(d.*f.member))
        return fail("PIM device: '" + value + "' is not a number for " + key);
      done = true;
    }
    if (key == "refresh") {
      d.refresh = value == "1" || value == "true";
      done = value == "0" || value == "1" || value == "true" || value == "false";
    } else if (key == "dtype") {
      d.dataType = value.str();
      done = true;
    }
    if (!done)
      return fail("PIM device: unknown or malformed setting '" + item + "'");
  }
  if (llvm::Error e = d.validate())
    return std::move(e);
  return d;
}

std::string mnemo::pim::printDevice(const Device &d) {
  std::string s;
  llvm::raw_string_ostream os(s);
  for (const IntField &f : kIntFields)
    os << f.name << "=" << d.*f.member << ",";
  for (const RealField &f : kRealFields)
    os << f.name << "=" << d.*f.member << ",";
  os << "refresh=" << (d.refresh ? 1 : 0) << ",dtype=" << d.dataType;
  return s;
}
