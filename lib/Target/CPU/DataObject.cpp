//===- DataObject.cpp - the weights' object, written directly -------------===//
//
// The weights leave the compile as an ELF relocatable object of their own:
// one .rodata section holding each blob once, and a hidden global symbol
// per weight global naming it (the code's objects refer to them; the merge
// makes them local). Written here, straight from the blobs, because the
// other ways hold the weights again in another process: an assembler
// reading `.incbin`s (clang's integrated assembler peaked at 108 MB on
// MobileNetV2's 13 MB of weights, 242 MB on ResNet-18's 45 MB, above the
// compile itself) or LLVM constants in the code generator.
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/DataObject.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Support/EndianStream.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

using namespace mnemo;
using namespace llvm;

/// The ELF machine of a 64-bit little-endian ELF target; 0 for any other.
static uint16_t elfMachine(const Triple &triple) {
  if (!triple.isOSBinFormatELF() || !triple.isLittleEndian() ||
      !triple.isArch64Bit())
    return 0;
  switch (triple.getArch()) {
  case Triple::x86_64:
    return ELF::EM_X86_64;
  case Triple::aarch64:
    return ELF::EM_AARCH64;
  case Triple::riscv64:
    return ELF::EM_RISCV;
  case Triple::ppc64le:
    return ELF::EM_PPC64;
  default:
    return 0;
  }
}

bool mnemo::canWriteDataObject(StringRef triple) {
  return elfMachine(Triple(triple)) != 0;
}

namespace {
/// A string table under construction (offset 0 is the empty name).
struct StringTable {
  std::string bytes = std::string(1, '\0');
  uint32_t add(StringRef s) {
    uint32_t at = bytes.size();
    bytes.append(s.begin(), s.end());
    bytes.push_back('\0');
    return at;
  }
};
} // namespace

Error mnemo::writeDataObject(ArrayRef<DataSymbol> symbols, StringRef triple,
                              StringRef path) {
  uint16_t machine = elfMachine(Triple(triple));
  if (!machine)
    return createStringError("cannot write an ELF data object for " + triple);

  // .rodata: each blob once (globals may share one), at the largest
  // alignment of the globals sharing it.
  DenseMap<const void *, uint64_t> keyAlign;
  for (const DataSymbol &s : symbols)
    keyAlign[s.key] = std::max<uint64_t>(keyAlign.lookup(s.key), s.align);
  DenseMap<const void *, uint64_t> placed;
  SmallVector<uint64_t> offsets;
  SmallVector<std::pair<uint64_t, ArrayRef<char>>> stored; // offset, bytes
  uint64_t size = 0, align = 1;
  for (const DataSymbol &s : symbols) {
    auto [it, inserted] = placed.try_emplace(s.key, 0);
    if (inserted) {
      size = alignTo(size, keyAlign[s.key]);
      it->second = size;
      stored.push_back({size, s.bytes});
      size += s.bytes.size();
    }
    offsets.push_back(it->second);
    align = std::max<uint64_t>(align, s.align);
  }

  StringTable names, sectionNames;
  uint32_t rodataName = sectionNames.add(".rodata");
  uint32_t stackName = sectionNames.add(".note.GNU-stack");
  uint32_t symtabName = sectionNames.add(".symtab");
  uint32_t strtabName = sectionNames.add(".strtab");
  uint32_t shstrtabName = sectionNames.add(".shstrtab");
  SmallVector<uint32_t> symbolNames;
  for (const DataSymbol &s : symbols)
    symbolNames.push_back(names.add(s.symbol));

  // Layout: header, .rodata, .strtab, .shstrtab, .symtab, section headers.
  const uint64_t headerBytes = sizeof(ELF::Elf64_Ehdr);
  uint64_t rodataAt = alignTo(headerBytes, align);
  uint64_t strtabAt = rodataAt + size;
  uint64_t shstrtabAt = strtabAt + names.bytes.size();
  uint64_t symtabAt = alignTo(shstrtabAt + sectionNames.bytes.size(), 8);
  uint64_t symtabBytes = (symbols.size() + 1) * sizeof(ELF::Elf64_Sym);
  uint64_t sectionsAt = alignTo(symtabAt + symtabBytes, 8);
  enum : uint16_t { kNull, kRodata, kStack, kSymtab, kStrtab, kShstrtab, kCount };

  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot write " + path);
  support::endian::Writer w(os, endianness::little);
  auto padTo = [&](uint64_t at) { os.write_zeros(at - os.tell()); };

  // ELF header.
  os << ELF::ElfMagic;
  w.write<uint8_t>(ELF::ELFCLASS64);
  w.write<uint8_t>(ELF::ELFDATA2LSB);
  w.write<uint8_t>(ELF::EV_CURRENT);
  w.write<uint8_t>(ELF::ELFOSABI_NONE);
  os.write_zeros(ELF::EI_NIDENT - ELF::EI_ABIVERSION);
  w.write<uint16_t>(ELF::ET_REL);
  w.write<uint16_t>(machine);
  w.write<uint32_t>(ELF::EV_CURRENT);
  w.write<uint64_t>(0); // entry
  w.write<uint64_t>(0); // program headers
  w.write<uint64_t>(sectionsAt);
  w.write<uint32_t>(0); // flags
  w.write<uint16_t>(headerBytes);
  w.write<uint16_t>(0); // program header size
  w.write<uint16_t>(0); // program header count
  w.write<uint16_t>(sizeof(ELF::Elf64_Shdr));
  w.write<uint16_t>(kCount);
  w.write<uint16_t>(kShstrtab);

  padTo(rodataAt);
  for (auto [offset, bytes] : stored) {
    padTo(rodataAt + offset);
    os.write(bytes.data(), bytes.size());
  }
  padTo(strtabAt);
  os << names.bytes;
  os << sectionNames.bytes;

  // Symbols: the null one (the only local), then the hidden globals.
  padTo(symtabAt);
  os.write_zeros(sizeof(ELF::Elf64_Sym));
  for (auto [i, s] : llvm::enumerate(symbols)) {
    w.write<uint32_t>(symbolNames[i]);
    w.write<uint8_t>((ELF::STB_GLOBAL << 4) | ELF::STT_OBJECT);
    w.write<uint8_t>(ELF::STV_HIDDEN);
    w.write<uint16_t>(kRodata);
    w.write<uint64_t>(offsets[i]);
    w.write<uint64_t>(s.bytes.size());
  }

  padTo(sectionsAt);
  auto section = [&](uint32_t name, uint32_t type, uint64_t flags,
                     uint64_t offset, uint64_t bytes, uint32_t link,
                     uint32_t info, uint64_t alignment, uint64_t entry) {
    w.write<uint32_t>(name);
    w.write<uint32_t>(type);
    w.write<uint64_t>(flags);
    w.write<uint64_t>(0); // address
    w.write<uint64_t>(offset);
    w.write<uint64_t>(bytes);
    w.write<uint32_t>(link);
    w.write<uint32_t>(info);
    w.write<uint64_t>(alignment);
    w.write<uint64_t>(entry);
  };
  section(0, ELF::SHT_NULL, 0, 0, 0, 0, 0, 0, 0);
  section(rodataName, ELF::SHT_PROGBITS, ELF::SHF_ALLOC, rodataAt, size, 0, 0,
          align, 0);
  // No executable stack is asked for (as an assembler's object says).
  section(stackName, ELF::SHT_PROGBITS, 0, rodataAt, 0, 0, 0, 1, 0);
  section(symtabName, ELF::SHT_SYMTAB, 0, symtabAt, symtabBytes, kStrtab,
          /*first global=*/1, 8, sizeof(ELF::Elf64_Sym));
  section(strtabName, ELF::SHT_STRTAB, 0, strtabAt, names.bytes.size(), 0, 0,
          1, 0);
  section(shstrtabName, ELF::SHT_STRTAB, 0, shstrtabAt,
          sectionNames.bytes.size(), 0, 0, 1, 0);
  os.close();
  if (os.has_error()) {
    std::error_code why = os.error();
    os.clear_error();
    return createStringError(why, "cannot write " + path);
  }
  return Error::success();
}
