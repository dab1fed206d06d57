//===- EmitObject.cpp - LLVM IR to one object file, in parallel pieces ----===//
//
// The host code's object: the module translated to LLVM IR, optimized and
// compiled for the target CPU; a large module in pieces on parallel
// threads, merged into one object with the symbols of one piece.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"
#include "mnemo/Target/CPU/DataObject.h"

#include "mnemo/Support/ConstantData.h"
#include "mnemo/Support/PeakMemory.h"
#include "mnemo/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Pass.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"

using namespace mlir;
using namespace mnemo;
using driver::linkCompiler;

// A developer switch for measuring what LLVM's own loop unrolling buys on
// top of mnemo's register tiles (see emitObject).
static llvm::cl::opt<bool> llvmLoopUnroll(
    "mnemo-llvm-loop-unroll", llvm::cl::Hidden, llvm::cl::init(false),
    llvm::cl::desc("Let LLVM's optimizer unroll loops (mnemo's kernels are "
                   "unrolled already)"));

/// LLVM's default module pipeline at `optLevel`. The kernels arrive
/// register-tiled and unrolled by mnemo's passes; LLVM's unroller would
/// spend a third of the optimizer's time (full-unroll cost analysis over
/// every loop) to re-unroll them, so it only runs where asked to.
static llvm::Error optimizeModule(llvm::Module &module,
                                  llvm::TargetMachine &tm, unsigned optLevel) {
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = llvmLoopUnroll;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  // LLVM's instrumentations, so its -time-passes (a hidden mnemoc flag,
  // as in opt) times the optimizer's passes too, not only code generation.
  llvm::PassInstrumentationCallbacks pic;
  llvm::StandardInstrumentations si(module.getContext(),
                                    /*DebugLogging=*/false);
  si.registerCallbacks(pic, &mam);
  llvm::PassBuilder pb(&tm, tuning, std::nullopt, &pic);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = llvm::OptimizationLevel::O0;
  switch (optLevel) {
  case 1:
    level = llvm::OptimizationLevel::O1;
    break;
  case 2:
    level = llvm::OptimizationLevel::O2;
    break;
  case 3:
    level = llvm::OptimizationLevel::O3;
    break;
  }
  llvm::ModulePassManager mpm =
      optLevel == 0 ? pb.buildO0DefaultPipeline(level)
                    : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
  return llvm::Error::success();
}

/// Machine code for `module` into `path`.
static llvm::Error emitCode(llvm::Module &module, llvm::TargetMachine &tm,
                            StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError(ec, "cannot write " + path);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  pm.run(module);
  return llvm::Error::success();
}

// LLVM instructions from which a module is compiled in pieces: MobileNetV2
// has 35k (1.5 s of code generation on one core), one convolution 1.5k.
static llvm::cl::opt<unsigned> splitInstructions(
    "mnemo-codegen-split-instructions", llvm::cl::Hidden, llvm::cl::init(8000),
    llvm::cl::desc("LLVM instructions from which a module is compiled in "
                   "--mnemo-codegen-parts pieces"));

// Constants of at least this size are compiled apart from the pieces.
static constexpr uint64_t kSeparateConstantBytes = 4096;

// The object is compiled in this many parts on a thread per core. The
// count is fixed, not the machine's, so the object is the same wherever it
// is built. More parts than threads: a thread compiles a smaller piece at a
// time and the threads finish closer together. Code generation is the
// compile's peak since the weights leave before the lowering: MobileNetV2
// held 56 MB with 4 parts, 53 with 8, 51.5 with 40, 50.5-50.7 with 48,
// 50.8-50.9 with 64 and 51.4-52 with 96 (about one function a part; the
// pieces' own set-up then costs), SqueezeNet and ShuffleNetV2 4-6 MB less
// with 48 than 8, all in the same time.
static llvm::cl::opt<unsigned> codegenParts(
    "mnemo-codegen-parts", llvm::cl::Hidden, llvm::cl::init(48),
    llvm::cl::desc("Split the module into N parts optimized and compiled "
                   "in parallel, then merged into one object (1: none)"));

/// Makes hidden globals local in a merged object: what the split made
/// global (see emitParallel) becomes local again, as in one piece.
/// binutils' objcopy first: it holds about the object (ResNet-18: 78 MB
/// for a 76 MB object), llvm-objcopy (a process loading libLLVM) 205 MB.
static std::string objcopyTool() {
  std::string gnu = driver::findTool("", {"objcopy"});
  return gnu.empty() ? driver::findTool(MNEMO_LLVM_OBJCOPY, {"llvm-objcopy-22"})
                     : gnu;
}

bool driver::canMergeObjects() {
  return !linkCompiler().empty() && !objcopyTool().empty();
}

/// Moves the definitions of `module`'s large constants (the weights) into
/// a new module in the same context, leaving declarations; null when there
/// are none. Both sides name them as hidden globals (local again after
/// the merge, see emitParallel).
static std::unique_ptr<llvm::Module> splitOffConstants(llvm::Module &module) {
  const llvm::DataLayout &layout = module.getDataLayout();
  SmallVector<llvm::GlobalVariable *> large;
  for (llvm::GlobalVariable &g : module.globals())
    if (g.isConstant() && g.hasInitializer() &&
        layout.getTypeAllocSize(g.getValueType()) >= kSeparateConstantBytes)
      large.push_back(&g);
  if (large.empty())
    return nullptr;
  auto data = std::make_unique<llvm::Module>(module.getName().str() + ".data",
                                             module.getContext());
  data->setDataLayout(layout);
  data->setTargetTriple(module.getTargetTriple());
  for (llvm::GlobalVariable *g : large) {
    if (!g->hasName())
      g->setName("__mnemo_constant");
    g->setLinkage(llvm::GlobalValue::ExternalLinkage);
    g->setVisibility(llvm::GlobalValue::HiddenVisibility);
    g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::None);
    auto *copy = new llvm::GlobalVariable(
        *data, g->getValueType(), /*isConstant=*/true,
        llvm::GlobalValue::ExternalLinkage, g->getInitializer(), g->getName(),
        nullptr, llvm::GlobalValue::NotThreadLocal, g->getAddressSpace());
    copy->setVisibility(llvm::GlobalValue::HiddenVisibility);
    copy->setAlignment(g->getAlign());
    copy->setSection(g->getSection());
    g->setInitializer(nullptr);
  }
  return data;
}

/// Runs `tool` with `args`; an error naming `what` if it fails.
static llvm::Error runTool(StringRef tool, ArrayRef<StringRef> args,
                           StringRef what) {
  std::string err;
  int rc = llvm::sys::ExecuteAndWait(tool, args, std::nullopt, {}, 0, 0, &err);
  if (rc == 0)
    return llvm::Error::success();
  return llvm::createStringError(what + " failed (" + tool + " exit " +
                                 std::to_string(rc) + ") " + err);
}

/// Merges `objects` into the relocatable object `path` (`ld -r`, or
/// `cc -r` without a linker on PATH: the compiler driver is a process as
/// large as clang) and makes its hidden globals local (what a split or the
/// weights' object named across the parts), so it has the symbols of one
/// object.
static llvm::Error mergeObjects(ArrayRef<std::string> objects, StringRef path,
                                StringRef cc, StringRef objcopy) {
  std::string ld = driver::findTool("", {"ld"});
  SmallVector<StringRef> args;
  if (ld.empty())
    args = {cc, "-r", "-nostdlib", "-o", path};
  else
    args = {ld, "-r", "-o", path};
  for (const std::string &o : objects)
    args.push_back(o);
  if (auto e = runTool(args[0], args, "merging the object's parts"))
    return e;
  return runTool(objcopy, {objcopy, "--localize-hidden", path},
                 "merging the object's parts");
}

/// A weight's LLVM global as a declaration of the hidden symbol its data
/// object defines (made local by the merge, see emitParallel).
static void declareHidden(LLVM::GlobalOp global) {
  global.setLinkage(LLVM::Linkage::External);
  global.setVisibility_(LLVM::Visibility::Hidden);
  global.setDsoLocal(true);
  global.setUnnamedAddr(std::nullopt);
}

/// Takes the weights (the byte arrays of mnemo-cpu-flatten-constant-globals
/// held in resource blobs) out of `module`'s LLVM globals, which become
/// hidden declarations: translation then copies no weight into LLVM IR,
/// and writeDataObject writes them as an object of their own. Both
/// copies were alive at once through translation and again, as LLVM
/// constants beside the assembler's buffers, through code generation.
static SmallVector<DataSymbol> detachWeights(ModuleOp module) {
  SmallVector<DataSymbol> out;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    auto blob = dyn_cast_or_null<DenseResourceElementsAttr>(
        global.getValueOrNull());
    auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
    bool plainLinkage = global.getLinkage() == LLVM::Linkage::Private ||
                        global.getLinkage() == LLVM::Linkage::Internal;
    if (!blob || !blob.getRawHandle().getBlob() || !array ||
        !array.getElementType().isInteger(8) ||
        array.getNumElements() < kSeparateConstantBytes ||
        !global.getConstant() || !plainLinkage || global.getThreadLocal_() ||
        global.getAddrSpace() != 0 || global.getSection() ||
        global.getComdat() ||
        blob.getRawHandle().getBlob()->getData().size() !=
            array.getNumElements())
      continue;
    out.push_back({global.getSymName().str(),
                   blob.getRawHandle().getBlob()->getData(),
                   std::max<uint64_t>(1, global.getAlignment().value_or(1)),
                   blob.getRawHandle().getResource()});
    global.removeValueAttr();
    declareHidden(global);
  }
  return out;
}

/// The object mnemo-cpu-weights-object wrote before the lowering (its
/// path), its declarations made hidden like detachWeights'; "" if none.
static std::string earlyWeightsObject(ModuleOp module) {
  auto early = module->getAttrOfType<DictionaryAttr>("mnemo.weights_object");
  if (!early)
    return "";
  for (Attribute name : early.getAs<ArrayAttr>("symbols"))
    if (auto global = module.lookupSymbol<LLVM::GlobalOp>(
            cast<FlatSymbolRefAttr>(name).getAttr()))
      declareHidden(global);
  return early.getAs<StringAttr>("file").str();
}

/// Optimizes and compiles `module` in `parts` pieces on parallel threads:
/// SplitModule assigns each function (and the globals it alone uses) to a
/// piece, making the locals other pieces call hidden globals; each piece
/// goes through a bitcode file into a context of its own (a context is not
/// thread-safe) and becomes an object; `cc -r` merges the objects into the
/// one at `path` and objcopy makes the hidden globals local again, so the
/// object's symbols are those of one piece (two models' objects still link
/// into one program). Code generation and the optimizer work per function
/// on mnemo's modules (nothing inlines across the outlined parallel
/// regions), so the split costs no code quality. Memory: the module is
/// freed once split and its context (which owns the constants: the
/// weights) once they are compiled; the bitcode goes to files, read back
/// mapped, so the weights are in memory about as often as in one piece.
static llvm::Error emitParallel(std::unique_ptr<llvm::Module> module,
                                std::unique_ptr<llvm::LLVMContext> context,
                                const CPUTarget &target, unsigned optLevel,
                                unsigned parts, StringRef path,
                                StringRef cc, StringRef objcopy,
                                ArrayRef<std::string> weightObjects) {
  // The weights (large constants) stay out of the pieces: they go to a
  // data module of their own in this context, compiled here while the
  // threads run, so they are never written to bitcode and read back (a
  // round trip that made ResNet-18's 45 MB of weights the longest piece).
  std::unique_ptr<llvm::Module> data = splitOffConstants(*module);
  std::vector<std::string> bitcode, objects;
  std::string failedWrite;
  llvm::SplitModule(*module, parts, [&](std::unique_ptr<llvm::Module> part) {
    // A piece without definitions (the split keeps every count) is left out.
    if (llvm::all_of(part->global_objects(), [](const llvm::GlobalObject &g) {
          return g.isDeclaration();
        }))
      return;
    std::string base = (path + ".part" + std::to_string(bitcode.size())).str();
    bitcode.push_back(base + ".bc");
    objects.push_back(base + ".o");
    std::error_code ec;
    llvm::raw_fd_ostream os(bitcode.back(), ec, llvm::sys::fs::OF_None);
    if (!ec) {
      llvm::WriteBitcodeToFile(*part, os);
      os.close();
      ec = os.error();
    }
    if (ec && failedWrite.empty())
      failedWrite = "cannot write " + bitcode.back() + ": " + ec.message();
  });
  module.reset();
  // The threads allocate from arenas of their own: give what the module
  // held back to the system, or it stays in the main arena beside them.
  mnemo::returnFreedMemory();
  auto removeParts = [&] {
    for (const std::string &f : bitcode)
      llvm::sys::fs::remove(f);
    for (const std::string &f : objects)
      llvm::sys::fs::remove(f);
  };
  if (!failedWrite.empty()) {
    removeParts();
    return llvm::createStringError(failedWrite);
  }
  // Every slot exists before the threads start: they write theirs.
  size_t pieces = bitcode.size();
  if (data)
    objects.push_back((path + ".data.o").str());
  std::vector<llvm::Error> errors;
  for (size_t i = 0; i < objects.size(); ++i)
    errors.push_back(llvm::Error::success());
  {
    // At most one thread per core: more would run more code generators
    // (and their memory) at once for no time.
    llvm::DefaultThreadPool pool(llvm::optimal_concurrency(pieces));
    auto compilePiece = [&](size_t i) {
      llvm::LLVMContext ctx;
      auto buffer = llvm::MemoryBuffer::getFile(bitcode[i]);
      if (!buffer) {
        errors[i] = llvm::createStringError(buffer.getError(),
                                            "cannot read " + bitcode[i]);
        return;
      }
      auto part = llvm::parseBitcodeFile(**buffer, ctx);
      buffer->reset();
      if (!part) {
        errors[i] = part.takeError();
        return;
      }
      auto tm = createTargetMachine(target, optLevel);
      if (!tm) {
        errors[i] = tm.takeError();
        return;
      }
      if (auto e = optimizeModule(**part, **tm, optLevel)) {
        errors[i] = std::move(e);
        return;
      }
      errors[i] = emitCode(**part, **tm, objects[i]);
    };
    for (size_t i = 0; i < pieces; ++i)
      pool.async([&, i] {
        compilePiece(i);
        // The piece's module and code generator are freed: give their
        // pages back, so the thread's arena does not keep the high-water
        // mark of its largest piece while the other thread peaks.
        mnemo::returnFreedMemory();
      });
    if (data) {
      auto tm = createTargetMachine(target, optLevel);
      errors[pieces] =
          tm ? emitCode(*data, **tm, objects[pieces]) : tm.takeError();
      data.reset();
    }
    context.reset();
    pool.wait();
  }
  llvm::Error failed = llvm::Error::success();
  for (llvm::Error &e : errors)
    failed = llvm::joinErrors(std::move(failed), std::move(e));
  if (failed) {
    removeParts();
    return failed;
  }
  // The weights' objects are merged too but stay their writers' to remove.
  std::vector<std::string> merge = objects;
  llvm::append_range(merge, weightObjects);
  llvm::Error merged = mergeObjects(merge, path, cc, objcopy);
  removeParts();
  return merged;
}

/// Frees the resource blobs of `module`'s LLVM globals (the weights),
/// which translation copied into the LLVM module: from here on the
/// compile only writes the object, header and JSON and links, so the
/// MLIR copy would sit idle through the optimizer and code generator.
/// Only where no other module shares the blobs (CompileOptions::
/// releaseWeights) and on the CPU target, whose backend reads nothing
/// after this.
static void releaseTranslatedBlobs(ModuleOp module) {
  for (auto global : module.getOps<LLVM::GlobalOp>())
    if (auto blob = dyn_cast_or_null<DenseResourceElementsAttr>(
            global.getValueOrNull()))
      if (blob.getRawHandle().getBlob())
        blob.getRawHandle().getResource()->setBlob(AsmResourceBlob());
}

/// Frees the bodies of `module`'s functions once translated: the LLVM
/// module is what the optimizer and code generator read, and the MLIR ops
/// (MobileNetV2: about 10 MB with their operands and blocks) would sit
/// beside it through them. The functions stay, as declarations (what
/// writes the artifact after this looks at symbols only). Under the same
/// conditions as releaseTranslatedBlobs.
static void releaseTranslatedBodies(ModuleOp module) {
  for (auto f : module.getOps<LLVM::LLVMFuncOp>()) {
    f.getBody().dropAllReferences();
    f.getBody().getBlocks().clear();
  }
  mnemo::returnFreedMemory();
}

/// LLVM IR -> optimized object file for the target CPU. The entry point
/// checks at run time that the CPU has the ISA extensions the code uses.
LogicalResult driver::emitObject(ModuleOp module, StringRef path,
                                 const CPUTarget &target, StringRef guardPrefix,
                                 const CompileOptions &options, bool llvmOnly) {
  Location loc = module.getLoc();
  // Owned here so that the parallel path can free it (and the weights
  // among its constants) once the module is split.
  auto llctx = std::make_unique<llvm::LLVMContext>();
  std::unique_ptr<llvm::Module> llmod;
  // Objects are merged (pieces, the weights' object) where the tools are.
  std::string cc, objcopy;
  bool canMerge = !llvmOnly && !(cc = linkCompiler()).empty() &&
                  !(objcopy = objcopyTool()).empty();
  bool release = options.releaseWeights && options.target == "cpu";
  // The weights' objects: the one written before the lowering (CPU
  // pipeline; the backend removes it), then one for any weight still in
  // the module (removed here).
  SmallVector<std::string> weightObjects;
  if (std::string early = earlyWeightsObject(module); !early.empty())
    weightObjects.push_back(early);
  SmallVector<DataSymbol> weights;
  if (canMerge && canWriteDataObject(target.triple))
    weights = detachWeights(module);
  std::string weightsObject = (path + ".weights.o").str();
  auto removeWeights = llvm::make_scope_exit(
      [&] { llvm::sys::fs::remove(weightsObject); });
  if (!weights.empty()) {
    weightObjects.push_back(weightsObject);
    if (auto e = writeDataObject(weights, target.triple, weightsObject))
      return emitError(loc) << llvm::toString(std::move(e));
    // Written: the module no longer refers to the blobs.
    if (release)
      releaseUnusedBlobs(module);
  }
  {
    TimingScope t = beginStage(options, "LLVM translation");
    llmod = translateModuleToLLVMIR(module, *llctx, "mnemo");
  }
  if (!llmod)
    return emitError(loc) << "translation to LLVM IR failed";
  if (release) {
    releaseTranslatedBlobs(module);
    releaseTranslatedBodies(module);
  }
  auto tmOr = createTargetMachine(target, options.optLevel);
  if (!tmOr)
    return emitError(loc) << llvm::toString(tmOr.takeError());
  std::unique_ptr<llvm::TargetMachine> tm = std::move(*tmOr);
  if (!guardPrefix.empty())
    if (auto e = addCPUFeatureGuard(*llmod, guardPrefix, target.isaFeatures))
      return emitError(loc) << llvm::toString(std::move(e));
  llmod->setDataLayout(tm->createDataLayout());
  llmod->setTargetTriple(tm->getTargetTriple());
  // In pieces on several threads, unless the IR itself is asked for,
  // LLVM's pass timers (global, not thread-safe) are on, the module is
  // small (a few ops: most tests; the merge's two processes would cost
  // more than the threads save) or the tools that merge the pieces are
  // missing.
  auto wantsPieces = [&] {
    if (llvmOnly || codegenParts <= 1 || llvm::TimePassesIsEnabled)
      return false;
    unsigned instructions = 0;
    for (llvm::Function &f : llmod->functions())
      instructions += f.getInstructionCount();
    return instructions >= splitInstructions;
  };
  if (canMerge && wantsPieces()) {
    TimingScope t =
        beginStage(options, "LLVM optimization and code generation");
    if (auto e = emitParallel(std::move(llmod), std::move(llctx), target,
                              options.optLevel, codegenParts, path, cc,
                              objcopy, weightObjects))
      return emitError(loc) << llvm::toString(std::move(e));
    return success();
  }
  {
    TimingScope t = beginStage(options, "LLVM optimization");
    if (auto e = optimizeModule(*llmod, *tm, options.optLevel))
      return emitError(loc) << "LLVM optimization failed: "
                            << llvm::toString(std::move(e));
  }
  if (llvmOnly) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
    if (ec)
      return emitError(loc) << "cannot write " << path << ": " << ec.message();
    llmod->print(os, nullptr);
    return success();
  }
  TimingScope t = beginStage(options, "LLVM code generation");
  if (weightObjects.empty()) {
    if (auto e = emitCode(*llmod, *tm, path))
      return emitError(loc) << llvm::toString(std::move(e));
    return success();
  }
  std::vector<std::string> objects = {(path + ".code.o").str()};
  llvm::append_range(objects, weightObjects);
  llvm::Error e = emitCode(*llmod, *tm, objects[0]);
  if (!e)
    e = mergeObjects(objects, path, cc, objcopy);
  llvm::sys::fs::remove(objects[0]);
  if (e)
    return emitError(loc) << llvm::toString(std::move(e));
  return success();
}
