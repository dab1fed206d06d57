//===- Progress.h - which stage a long compile is in -----------*- C++ -*-===//
//
// A compile of a large model spends minutes in passes and in LLVM with
// nothing to show. Progress prints, on a terminal, one line naming the
// current stage (import, a pass, LLVM code generation) and the time since
// the compile started, once it has run past a delay; it rewrites the line
// as stages change and erases it at the end. Disabled, it prints nothing.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_DRIVER_PROGRESS_H
#define MNEMO_DRIVER_PROGRESS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace mlir {
class PassManager;
} // namespace mlir

namespace mnemo {

class Progress {
public:
  /// Shows stages on `os` once `delaySeconds` have passed, when enabled.
  Progress(bool enabled, double delaySeconds = 1.5,
           llvm::raw_ostream &os = llvm::errs());
  ~Progress();
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  /// The stage the compile is in now.
  void stage(llvm::StringRef name);
  /// Erases the line (before a diagnostic is printed); the next redraw
  /// brings it back.
  void erase();
  /// Names each pass of `pm` as a stage while it runs.
  void attach(mlir::PassManager &pm);
  /// Whether stages are shown at all: a terminal on stderr, not --quiet.
  static bool wanted(bool quiet);

private:
  void run();
  void draw(); // with `lock` held

  bool enabled;
  double delay;
  llvm::raw_ostream &os;
  std::chrono::steady_clock::time_point start;
  std::mutex lock;
  std::condition_variable wake;
  std::string current;
  size_t drawn = 0; // characters on the line now
  bool done = false;
  std::thread worker;
};

} // namespace mnemo

#endif // MNEMO_DRIVER_PROGRESS_H
