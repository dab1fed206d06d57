//===- CbcLibrary.cpp - COIN-OR CBC, loaded when a plan needs it ----------===//

#include "CbcLibrary.h"

#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/WithColor.h"

namespace mnemo::memory::detail {

namespace {
struct Loaded {
  CbcLibrary library;
  std::string error; ///< empty when loaded
};

Loaded load() {
  Loaded out;
  // The library CMake found (its real file: the unversioned link exists
  // only with the -dev package), else the loader's search by soname.
  std::string why;
  llvm::sys::DynamicLibrary lib;
  for (const char *path : {MNEMO_CBC_LIBRARY, MNEMO_CBC_SONAME}) {
    lib = llvm::sys::DynamicLibrary::getPermanentLibrary(path, &why);
    if (lib.isValid())
      break;
  }
  if (!lib.isValid()) {
    out.error = "cannot load the CBC solver (" MNEMO_CBC_SONAME "): " + why;
    return out;
  }
#define MNEMO_CBC_RESOLVE(name)                                                \
  out.library.name = reinterpret_cast<decltype(&::Cbc_##name)>(                \
      lib.getAddressOfSymbol("Cbc_" #name));                                   \
  if (!out.library.name) {                                                     \
    out.error = "the CBC solver (" MNEMO_CBC_SONAME ") lacks Cbc_" #name;      \
    return out;                                                                \
  }
  MNEMO_CBC_FUNCTIONS(MNEMO_CBC_RESOLVE)
#undef MNEMO_CBC_RESOLVE
  return out;
}
} // namespace

const CbcLibrary *loadCbc(std::string &why) {
  static const Loaded loaded = [] {
    Loaded l = load();
    if (!l.error.empty())
      llvm::WithColor::warning() << l.error << "; the ILPs keep their "
                                 << "heuristic plans\n";
    return l;
  }();
  why = loaded.error;
  return loaded.error.empty() ? &loaded.library : nullptr;
}

} // namespace mnemo::memory::detail
