//===- mutation_sweep.cpp - mutate every model, compile each in a child ---===//
//
// mnemo-mutation-sweep [--seeds=N] [--jobs=J] [--keep=DIR] MODEL|DIR...
//
// For every model (a DIR contributes each */model.onnx and *.onnx below
// it) and every seed, applies the structure-aware mutations of
// ModelMutator and compiles the mutant through the whole compile path in a
// forked child with a wall-clock limit and an address-space limit. A child
// must compile the mutant or fail with an error diagnostic; a signal, an
// abort, an LLVM fatal error, a timeout or a failure without a diagnostic
// is a finding: it is listed with the mutations that produced it and, with
// --keep, saved as a regression input. --seeds=0 compiles the models as
// they are (the regression inputs themselves).
//
//===----------------------------------------------------------------------===//

#include "CompileModel.h"
#include "ModelMutator.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace llvm;
using namespace mnemo::fuzz;

static cl::list<std::string> inputs(cl::Positional, cl::OneOrMore,
                                    cl::desc("<model.onnx or folder>..."));
static cl::opt<unsigned> seeds("seeds", cl::init(3),
                               cl::desc("Mutants per model (0: the models "
                                        "unmutated)"));
static cl::opt<unsigned> firstSeed("first-seed", cl::init(1),
                                   cl::desc("Seed of the first mutant"));
static cl::opt<unsigned> jobs("jobs", cl::init(2),
                              cl::desc("Children compiling at once"));
static cl::opt<unsigned> timeoutSec("timeout", cl::init(60),
                                    cl::desc("Seconds one compile may take"));
static cl::opt<unsigned> memoryMB("memory-mb", cl::init(4096),
                                  cl::desc("Address space of one compile "
                                           "(not applied under ASan)"));
static cl::opt<std::string> keepDir("keep", cl::desc("Save findings here"));
static cl::opt<bool> verbose("v", cl::desc("Print every mutant's outcome"));

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MNEMO_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MNEMO_ASAN 1
#endif

namespace {
enum ExitCode { kCompiled = 10, kImportDiagnosed, kDiagnosed, kSilent, kUnreadable };

struct Job {
  std::string model, mutations, bytes, logPath, outDir;
  unsigned seed;
  std::chrono::steady_clock::time_point start;
};

struct Finding {
  std::string kind, model, mutations, detail;
  unsigned seed;
};
} // namespace

/// The models named on the command line, folders expanded, sorted.
static std::vector<std::string> collectModels() {
  std::vector<std::string> out;
  for (const std::string &in : inputs) {
    if (!sys::fs::exists(in)) {
      errs() << "mnemo-mutation-sweep: " << in << " does not exist\n";
      std::exit(2);
    }
    if (!sys::fs::is_directory(in)) {
      out.push_back(in);
      continue;
    }
    std::error_code ec;
    for (sys::fs::recursive_directory_iterator it(in, ec), end;
         it != end && !ec; it.increment(ec))
      if (StringRef(it->path()).ends_with(".onnx"))
        out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The mutator's seed: the seed and the model's folder and file name
/// (not the absolute path), so a finding reproduces on any machine.
static uint64_t seedFor(StringRef model, unsigned seed) {
  std::string key = (sys::path::filename(sys::path::parent_path(model)) + "/" +
                     sys::path::filename(model))
                        .str();
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : key)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

/// The child: compile `bytes` under the limits, report through the exit
/// code. Diagnostics and crash reports go to `logPath`.
[[noreturn]] static void child(const std::string &bytes,
                               const std::string &logPath,
                               const std::string &outDir) {
  int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ::dup2(fd, 2);
    ::dup2(fd, 1);
  }
#ifndef MNEMO_ASAN
  rlimit as = {rlim_t(memoryMB) << 20, rlim_t(memoryMB) << 20};
  ::setrlimit(RLIMIT_AS, &as);
#endif
  rlimit cpu = {rlim_t(timeoutSec) + 5, rlim_t(timeoutSec) + 10};
  ::setrlimit(RLIMIT_CPU, &cpu);
  std::string firstError;
  Outcome o = compileModel(bytes, outDir, firstError);
  if (!firstError.empty())
    llvm::errs() << firstError;
  llvm::errs().flush();
  switch (o) {
  case Outcome::Compiled:
    ::_exit(kCompiled);
  case Outcome::ImportDiagnosed:
    ::_exit(kImportDiagnosed);
  case Outcome::Diagnosed:
    ::_exit(kDiagnosed);
  case Outcome::Silent:
    ::_exit(kSilent);
  }
  ::_exit(kSilent);
}

static std::string tail(const std::string &path, size_t lines) {
  auto buf = MemoryBuffer::getFile(path);
  if (!buf)
    return "";
  StringRef text = (*buf)->getBuffer().rtrim();
  size_t at = text.size();
  for (size_t n = 0; n < lines && at != StringRef::npos && at > 0; ++n)
    at = text.rfind('\n', at - 1);
  return text.substr(at == StringRef::npos ? 0 : at + 1).str();
}

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(argc, argv, "mnemo mutation sweep\n");
  std::vector<std::string> models = collectModels();
  SmallString<128> tmp;
  if (sys::fs::createUniqueDirectory("mnemo-sweep", tmp)) {
    errs() << "mnemo-mutation-sweep: cannot create a temporary folder\n";
    return 2;
  }
  auto begin = std::chrono::steady_clock::now();
  std::map<pid_t, Job> running;
  std::vector<Finding> findings;
  std::map<int, unsigned> counts;
  unsigned unreadable = 0, total = 0, launched = 0;

  // The slowest compile and the largest child: what "bounded" measured.
  double slowest = 0;
  long largestKB = 0;
  std::string slowestName, largestName;
  auto finish = [&](pid_t pid, int status, const rusage &usage) {
    Job job = std::move(running[pid]);
    running.erase(pid);
    ++total;
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - job.start)
                      .count();
    std::string name = job.model + " seed " + std::to_string(job.seed);
    if (secs > slowest)
      slowest = secs, slowestName = name;
    if (usage.ru_maxrss > largestKB)
      largestKB = usage.ru_maxrss, largestName = name;
    Finding f{"", job.model, job.mutations, "", job.seed};
    if (verbose)
      outs() << job.model << " seed " << job.seed << " [" << job.mutations
             << "] -> " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
             << "\n  " << tail(job.logPath, 1) << "\n";
    if (WIFEXITED(status) && WEXITSTATUS(status) >= kCompiled &&
        WEXITSTATUS(status) <= kDiagnosed) {
      ++counts[WEXITSTATUS(status)];
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kSilent) {
      f.kind = "failed without a diagnostic";
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
      f.kind = "hang (over " + std::to_string(timeoutSec) + " s)";
    } else if (WIFSIGNALED(status)) {
      f.kind = std::string("signal ") + strsignal(WTERMSIG(status));
    } else {
      f.kind = "exit " + std::to_string(WEXITSTATUS(status)) +
               " (abort or fatal error)";
    }
    if (!f.kind.empty()) {
      f.detail = tail(job.logPath, 6);
      if (!keepDir.empty()) {
        sys::fs::create_directories(keepDir);
        std::string stem = sys::path::filename(sys::path::parent_path(job.model)).str() +
                           "-" + sys::path::stem(job.model).str() + "-s" +
                           std::to_string(job.seed);
        SmallString<256> path(keepDir);
        sys::path::append(path, stem + ".onnx");
        std::error_code ec;
        raw_fd_ostream os(path, ec);
        if (!ec)
          os << job.bytes;
        path.pop_back_n(5);
        raw_fd_ostream txt((path + ".txt").str(), ec);
        if (!ec)
          txt << "model: " << job.model << "\nseed: " << job.seed
              << "\nmutations: " << job.mutations << "\nfinding: " << f.kind
              << "\n" << f.detail << "\n";
      }
      findings.push_back(std::move(f));
    }
    sys::fs::remove(job.logPath);
    sys::fs::remove_directories(job.outDir);
  };

  auto reap = [&](bool block) {
    while (!running.empty()) {
      int status;
      rusage usage{};
      pid_t pid = ::wait4(-1, &status, WNOHANG, &usage);
      if (pid > 0) {
        finish(pid, status, usage);
        continue;
      }
      auto now = std::chrono::steady_clock::now();
      for (auto &[p, job] : running)
        if (now - job.start > std::chrono::seconds(timeoutSec))
          ::kill(p, SIGKILL);
      if (!block && running.size() < jobs)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };

  for (const std::string &model : models) {
    auto buf = MemoryBuffer::getFile(model);
    onnx::ModelProto original;
    if (!buf || !original.ParseFromArray((*buf)->getBufferStart(),
                                         int((*buf)->getBufferSize()))) {
      if (verbose)
        outs() << model << ": not a ModelProto\n";
      ++unreadable;
      continue;
    }
    unsigned n = std::max(1u, unsigned(seeds));
    for (unsigned k = 0; k < n; ++k) {
      Job job;
      job.model = model;
      job.seed = firstSeed + k;
      if (seeds == 0) {
        job.bytes = (*buf)->getBuffer().str();
      } else {
        onnx::ModelProto mutant = original;
        // The seed and the model's name pick the mutations: a finding
        // reproduces from the two.
        ModelMutator mutator(seedFor(model, job.seed));
        job.mutations = mutator.mutate(mutant);
        mutant.SerializeToString(&job.bytes);
      }
      reap(/*block=*/false);
      job.logPath = (tmp + "/" + std::to_string(launched) + ".log").str();
      job.outDir = (tmp + "/out" + std::to_string(launched++)).str();
      job.start = std::chrono::steady_clock::now();
      errs().flush();
      outs().flush();
      pid_t pid = ::fork();
      if (pid == 0)
        child(job.bytes, job.logPath, job.outDir);
      if (pid < 0) {
        errs() << "mnemo-mutation-sweep: fork failed\n";
        return 2;
      }
      running.emplace(pid, std::move(job));
    }
  }
  reap(/*block=*/true);
  sys::fs::remove_directories(tmp);

  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              begin)
                    .count();
  outs() << "mutation sweep: " << models.size() - unreadable << " models x "
         << std::max(1u, unsigned(seeds)) << (seeds ? " mutants" : " (unmutated)")
         << " = " << total << " compiles in " << format("%.0f", secs) << " s\n"
         << "  compiled to LLVM IR:            " << counts[kCompiled] << "\n"
         << "  rejected by the importer:       " << counts[kImportDiagnosed]
         << "\n"
         << "  imported, then a diagnostic:    " << counts[kDiagnosed] << "\n"
         << "  crashes, aborts, hangs, silent: " << findings.size() << "\n"
         << "  slowest compile: " << format("%.1f", slowest) << " s ("
         << slowestName << ")\n"
         << "  largest compile: " << largestKB / 1024 << " MiB resident ("
         << largestName << ")\n";
  if (unreadable)
    outs() << "  (" << unreadable << " files were not ModelProtos)\n";
  for (const Finding &f : findings)
    outs() << "FINDING " << f.kind << ": " << f.model << " seed " << f.seed
           << (f.mutations.empty() ? "" : " [" + f.mutations + "]") << "\n"
           << f.detail << "\n";
  outs() << (total - findings.size()) << " passed, " << findings.size()
         << " failed\n";
  return findings.empty() ? 0 : 1;
}
