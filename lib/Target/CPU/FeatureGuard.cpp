//===- FeatureGuard.cpp - the artifact's run-time CPU check ---------------===//
//
// An artifact built for AVX-512 and loaded on an AVX2 machine would die of
// SIGILL in its first kernel. The entry point instead checks the CPUID bits
// of the ISA extensions it was compiled for (once; the answer is cached in
// a global) and returns 4. The check is plain inline assembly in the
// object itself, so it needs no runtime library (libgcc's
// __builtin_cpu_supports tables differ between compiler versions).
//
//===----------------------------------------------------------------------===//

#include "mnemo/Target/CPU/CPUTarget.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Module.h"

using namespace llvm;

namespace mnemo {
namespace {

/// Where CPUID reports a feature: leaf 1, leaf 7 subleaf 0, leaf 7
/// subleaf 1, or 0x80000001; register; bit; and the XCR0 state the OS
/// must enable for its registers (AVX: XMM|YMM, AVX-512: + opmask and the
/// upper ZMM halves, AMX: tile config and data).
enum Leaf { L1, L7_0, L7_1, LExt, NumLeaves };
enum Reg { EAX, EBX, ECX, EDX };
constexpr uint64_t kAVX = 0x6, kAVX512 = 0xe6, kAMX = 0x60000;

struct CPUIDBit {
  const char *name;
  Leaf leaf;
  Reg reg;
  unsigned bit;
  uint64_t xcr0;
};

// Intel SDM vol. 2A, CPUID; AMD APM vol. 3, appendix E.
constexpr CPUIDBit kBits[] = {
    {"sse3", L1, ECX, 0, 0},          {"pclmul", L1, ECX, 1, 0},
    {"ssse3", L1, ECX, 9, 0},         {"fma", L1, ECX, 12, kAVX},
    {"cx16", L1, ECX, 13, 0},         {"sse4.1", L1, ECX, 19, 0},
    {"sse4.2", L1, ECX, 20, 0},       {"movbe", L1, ECX, 22, 0},
    {"popcnt", L1, ECX, 23, 0},       {"aes", L1, ECX, 25, 0},
    {"xsave", L1, ECX, 26, 0},        {"avx", L1, ECX, 28, kAVX},
    {"f16c", L1, ECX, 29, kAVX},      {"rdrnd", L1, ECX, 30, 0},
    {"bmi", L7_0, EBX, 3, 0},         {"avx2", L7_0, EBX, 5, kAVX},
    {"bmi2", L7_0, EBX, 8, 0},        {"avx512f", L7_0, EBX, 16, kAVX512},
    {"avx512dq", L7_0, EBX, 17, kAVX512}, {"adx", L7_0, EBX, 19, 0},
    {"avx512ifma", L7_0, EBX, 21, kAVX512}, {"avx512cd", L7_0, EBX, 28, kAVX512},
    {"sha", L7_0, EBX, 29, 0},        {"avx512bw", L7_0, EBX, 30, kAVX512},
    {"avx512vl", L7_0, EBX, 31, kAVX512}, {"avx512vbmi", L7_0, ECX, 1, kAVX512},
    {"avx512vbmi2", L7_0, ECX, 6, kAVX512}, {"gfni", L7_0, ECX, 8, 0},
    {"vaes", L7_0, ECX, 9, kAVX},     {"vpclmulqdq", L7_0, ECX, 10, kAVX},
    {"avx512vnni", L7_0, ECX, 11, kAVX512},
    {"avx512bitalg", L7_0, ECX, 12, kAVX512},
    {"avx512vpopcntdq", L7_0, ECX, 14, kAVX512},
    {"amx-bf16", L7_0, EDX, 22, kAMX}, {"avx512fp16", L7_0, EDX, 23, kAVX512},
    {"amx-tile", L7_0, EDX, 24, kAMX}, {"amx-int8", L7_0, EDX, 25, kAMX},
    {"avxvnni", L7_1, EAX, 4, kAVX},  {"avx512bf16", L7_1, EAX, 5, kAVX512},
    {"amx-fp16", L7_1, EAX, 21, kAMX}, {"avxifma", L7_1, EAX, 23, kAVX},
    {"avxvnniint8", L7_1, EDX, 4, kAVX}, {"avxneconvert", L7_1, EDX, 5, kAVX},
    {"lzcnt", LExt, ECX, 5, 0},       {"sse4a", LExt, ECX, 6, 0},
    {"xop", LExt, ECX, 11, kAVX},     {"fma4", LExt, ECX, 16, kAVX},
};

const CPUIDBit *lookup(StringRef name) {
  for (const CPUIDBit &b : kBits)
    if (name == b.name)
      return &b;
  return nullptr;
}

/// cpuid(leaf, subleaf) -> {eax, ebx, ecx, edx}.
Value *cpuid(IRBuilder<> &b, uint32_t leaf, uint32_t subleaf) {
  Type *i32 = b.getInt32Ty();
  auto *ret = StructType::get(b.getContext(), {i32, i32, i32, i32});
  auto *fty = FunctionType::get(ret, {i32, i32}, false);
  auto *asmv = InlineAsm::get(fty, "cpuid",
                              "={ax},={bx},={cx},={dx},{ax},{cx}",
                              /*hasSideEffects=*/false);
  return b.CreateCall(fty, asmv, {b.getInt32(leaf), b.getInt32(subleaf)});
}

/// (reg & mask) == mask, as an i1.
Value *hasAll(IRBuilder<> &b, Value *reg, uint64_t mask) {
  Constant *m = ConstantInt::get(reg->getType(), mask);
  return b.CreateICmpEQ(b.CreateAnd(reg, m), m);
}

/// Emits `i32 <prefix>_cpu_supported()`.
Function *buildSupported(Module &m, StringRef prefix,
                         ArrayRef<const CPUIDBit *> bits) {
  LLVMContext &ctx = m.getContext();
  IRBuilder<> b(ctx);
  Type *i32 = b.getInt32Ty(), *i64 = b.getInt64Ty();
  // 0: not checked yet, 1: supported, 2: missing features.
  auto *state = new GlobalVariable(m, i32, false, GlobalValue::InternalLinkage,
                                   b.getInt32(0), prefix + "_cpu_state");
  auto *fn = Function::Create(FunctionType::get(i32, false),
                              GlobalValue::ExternalLinkage,
                              prefix + "_cpu_supported", m);
  auto *entry = BasicBlock::Create(ctx, "entry", fn);
  auto *check = BasicBlock::Create(ctx, "check", fn);
  auto *xgetbv = BasicBlock::Create(ctx, "xgetbv", fn);
  auto *done = BasicBlock::Create(ctx, "done", fn);
  b.SetInsertPoint(entry);
  Value *known = b.CreateLoad(i32, state);
  Value *cached = b.CreateICmpNE(known, b.getInt32(0));
  b.CreateCondBr(cached, done, check);

  // Required bits per (leaf, register), and the XCR0 state.
  uint32_t need[NumLeaves][4] = {};
  uint64_t xcr0 = 0;
  for (const CPUIDBit *bit : bits) {
    need[bit->leaf][bit->reg] |= 1u << bit->bit;
    xcr0 |= bit->xcr0;
  }
  b.SetInsertPoint(check);
  auto field = [&](Value *r, Reg reg) {
    return b.CreateExtractValue(r, {(unsigned)reg});
  };
  // Leaves above the maximum return other leaves' data: such registers
  // count as zero.
  Value *maxLeaf = field(cpuid(b, 0, 0), EAX);
  Value *maxExt = field(cpuid(b, 0x80000000, 0), EAX);
  Value *l1 = cpuid(b, 1, 0), *l70 = cpuid(b, 7, 0), *l71 = cpuid(b, 7, 1),
        *lext = cpuid(b, 0x80000001, 0);
  Value *has7 = b.CreateICmpUGE(maxLeaf, b.getInt32(7));
  Value *has71 =
      b.CreateAnd(has7, b.CreateICmpUGE(field(l70, EAX), b.getInt32(1)));
  Value *hasExt = b.CreateICmpUGE(maxExt, b.getInt32(0x80000001));
  Value *leaves[NumLeaves] = {l1, l70, l71, lext};
  Value *valid[NumLeaves] = {b.getTrue(), has7, has71, hasExt};
  Value *ok = b.getTrue();
  for (unsigned l = 0; l < NumLeaves; ++l)
    for (unsigned r = 0; r < 4; ++r)
      if (need[l][r]) {
        Value *reg = b.CreateSelect(valid[l], field(leaves[l], (Reg)r),
                                    b.getInt32(0));
        ok = b.CreateAnd(ok, hasAll(b, reg, need[l][r]));
      }
  // Without XCR0 requirements the CPUID bits decide. Otherwise XGETBV
  // must show the OS saves those registers; it faults unless the OS
  // enabled XSAVE (OSXSAVE, leaf 1 ECX bit 27).
  auto stateOf = [&](Value *good) {
    Value *s = b.CreateSelect(good, b.getInt32(1), b.getInt32(2));
    b.CreateStore(s, state);
    return s;
  };
  auto *result = PHINode::Create(i32, 3, "state", done);
  result->addIncoming(known, entry);
  if (xcr0 == 0) {
    result->addIncoming(stateOf(ok), b.GetInsertBlock());
    b.CreateBr(done);
  } else {
    Value *osxsave = hasAll(b, field(l1, ECX), 1u << 27);
    Value *go = b.CreateAnd(ok, osxsave);
    result->addIncoming(stateOf(b.getFalse()), b.GetInsertBlock());
    // The store of 2 above is overwritten on the XGETBV path.
    b.CreateCondBr(go, xgetbv, done);
    b.SetInsertPoint(xgetbv);
    auto *xty = StructType::get(ctx, {i32, i32});
    auto *xfty = FunctionType::get(xty, {i32}, false);
    Value *x = b.CreateCall(
        xfty, InlineAsm::get(xfty, "xgetbv", "={ax},={dx},{cx}", false),
        {b.getInt32(0)});
    Value *lo = b.CreateZExt(b.CreateExtractValue(x, {0}), i64);
    Value *hi = b.CreateZExt(b.CreateExtractValue(x, {1}), i64);
    Value *xcr = b.CreateOr(lo, b.CreateShl(hi, 32));
    result->addIncoming(stateOf(hasAll(b, xcr, xcr0)), xgetbv);
    b.CreateBr(done);
  }
  if (xgetbv->empty())
    xgetbv->eraseFromParent();
  b.SetInsertPoint(done);
  b.CreateRet(b.CreateZExt(b.CreateICmpEQ(result, b.getInt32(1)), i32));
  return fn;
}

} // namespace

bool isCheckableFeature(StringRef feature) { return lookup(feature); }

Error addCPUFeatureGuard(Module &m, StringRef prefix,
                         ArrayRef<std::string> features) {
  SmallVector<const CPUIDBit *> bits;
  for (const std::string &f : features)
    if (const CPUIDBit *bit = lookup(f))
      bits.push_back(bit);
  Function *supported = buildSupported(m, prefix, bits);
  Function *run = m.getFunction((prefix + "_run_dims").str());
  if (!run || run->isDeclaration())
    return createStringError("no " + prefix.str() + "_run_dims to guard");
  // The body moves to an internal function; the exported symbol checks,
  // then calls it (LLVM inlines it back).
  Function *body = Function::Create(run->getFunctionType(),
                                    GlobalValue::InternalLinkage,
                                    run->getName() + ".body", m);
  body->copyAttributesFrom(run);
  body->setLinkage(GlobalValue::InternalLinkage);
  body->setVisibility(GlobalValue::DefaultVisibility);
  body->splice(body->begin(), run);
  for (auto [from, to] : llvm::zip(run->args(), body->args()))
    from.replaceAllUsesWith(&to);

  // Everything that runs before the check is baseline x86-64 code, else
  // the check itself could be the illegal instruction: the check and the
  // exported entry points (also _set_weights and _workspace_bytes, which a
  // caller may call first) are compiled for plain x86-64 and kept out of
  // line, so no AVX code is inlined or hoisted into them.
  for (Function *f : {supported, run, m.getFunction((prefix + "_run").str()),
                      m.getFunction((prefix + "_set_weights").str()),
                      m.getFunction((prefix + "_workspace_bytes").str())}) {
    if (!f)
      continue;
    f->addFnAttr("target-cpu", "x86-64");
    f->addFnAttr("target-features", "+cx8,+fxsr,+mmx,+sse,+sse2,+x87");
    f->addFnAttr(Attribute::NoInline);
  }
  body->addFnAttr(Attribute::NoInline);

  LLVMContext &ctx = m.getContext();
  IRBuilder<> b(BasicBlock::Create(ctx, "entry", run));
  auto *go = BasicBlock::Create(ctx, "supported", run);
  auto *stop = BasicBlock::Create(ctx, "unsupported", run);
  Value *yes = b.CreateICmpNE(b.CreateCall(supported), b.getInt32(0));
  b.CreateCondBr(yes, go, stop);
  b.SetInsertPoint(go);
  SmallVector<Value *> args(llvm::make_pointer_range(run->args()));
  b.CreateRet(b.CreateCall(body, args));
  b.SetInsertPoint(stop);
  b.CreateRet(ConstantInt::get(run->getReturnType(), 4));
  return Error::success();
}

} // namespace mnemo
