//===- Progress.cpp - which stage a long compile is in --------------------===//

#include "mnemo/Driver/Progress.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"

using namespace mnemo;

Progress::Progress(bool enabled, double delaySeconds, llvm::raw_ostream &os)
    : enabled(enabled), delay(delaySeconds), os(os),
      start(std::chrono::steady_clock::now()) {
  if (enabled)
    worker = std::thread([this] { run(); });
}

Progress::~Progress() {
  if (!enabled)
    return;
  {
    std::lock_guard<std::mutex> g(lock);
    done = true;
  }
  wake.notify_all();
  worker.join();
  erase();
}

void Progress::erase() {
  if (!enabled)
    return;
  std::lock_guard<std::mutex> g(lock);
  if (!drawn)
    return;
  os << '\r' << std::string(drawn, ' ') << '\r';
  os.flush();
  drawn = 0;
}

bool Progress::wanted(bool quiet) {
  return !quiet && llvm::sys::Process::StandardErrIsDisplayed();
}

void Progress::stage(llvm::StringRef name) {
  if (!enabled)
    return;
  std::lock_guard<std::mutex> g(lock);
  current = name.str();
}

void Progress::run() {
  std::unique_lock<std::mutex> g(lock);
  // Redraws a few times a second so the elapsed time moves.
  while (!wake.wait_for(g, std::chrono::milliseconds(250),
                        [this] { return done; }))
    draw();
}

void Progress::draw() {
  double elapsed = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  if (elapsed < delay)
    return;
  std::string line;
  llvm::raw_string_ostream(line)
      << "mnemoc: " << llvm::format("%5.1f", elapsed) << " s  " << current;
  size_t width = line.size();
  if (width < drawn)
    line.append(drawn - width, ' ');
  os << '\r' << line;
  os.flush();
  drawn = std::max(drawn, width);
}

namespace {
/// Names the pass about to run as the stage (nested passes included: the
/// innermost one running is what the compile waits on).
struct PassStages : mlir::PassInstrumentation {
  explicit PassStages(Progress &p) : progress(p) {}
  void runBeforePass(mlir::Pass *pass, mlir::Operation *) override {
    llvm::StringRef arg = pass->getArgument();
    progress.stage("pass " + (arg.empty() ? pass->getName() : arg).str());
  }
  Progress &progress;
};
} // namespace

void Progress::attach(mlir::PassManager &pm) {
  if (enabled)
    pm.addInstrumentation(std::make_unique<PassStages>(*this));
}
