//===- Remarks.h - passes report their decisions as remarks -----*- C++ -*-===//
//
// A pass that explains what it chose (a patch cut, a slice, a tile, a PIM
// placement) writes one line through ReportLine. The line becomes an MLIR
// remark at the op it is about, so the driver decides what the user sees:
// mnemoc prints remarks as plain lines on stdout, mnemo-opt shows them on
// stderr with their location, the Python API collects them
// (Artifact.log), and nothing reaches stdout behind a library caller's
// back.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_SUPPORT_REMARKS_H
#define MNEMO_SUPPORT_REMARKS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mnemo {

/// Streams a line; emits it as a remark at `loc` when it goes out of
/// scope (a trailing newline is dropped; several lines make several
/// remarks).
class ReportLine {
public:
  explicit ReportLine(mlir::Location loc) : loc(loc), os(text) {}
  ReportLine(const ReportLine &) = delete;
  ReportLine &operator=(const ReportLine &) = delete;
  ~ReportLine() {
    llvm::StringRef rest(text);
    while (!rest.empty()) {
      auto [line, tail] = rest.split('\n');
      if (!line.empty())
        mlir::emitRemark(loc) << line;
      rest = tail;
    }
  }

  template <typename T> ReportLine &operator<<(T &&value) {
    os << std::forward<T>(value);
    return *this;
  }

private:
  mlir::Location loc;
  std::string text;
  llvm::raw_string_ostream os;
};

} // namespace mnemo

#endif // MNEMO_SUPPORT_REMARKS_H
