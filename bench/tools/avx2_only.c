/* avx2_only.so: LD_PRELOAD it to make a process see an AVX2 CPU (x86-64-v3)
 * on an AVX-512 machine, so a peer that dispatches on CPUID (onnxruntime's
 * MLAS, IREE's runtime) runs its AVX2 kernels next to mnemo's
 * --cpu=x86-64-v3 code on the same core.
 *
 * How: Linux CPUID faulting (arch_prctl ARCH_SET_CPUID, /proc/cpuinfo flag
 * cpuid_fault) makes every CPUID instruction raise SIGSEGV; the handler
 * runs the real CPUID with faulting briefly off and clears the AVX-512,
 * AMX and AVX-VNNI bits before returning. Code that tested CPUID before
 * the library loaded (glibc's own string functions) keeps what it chose.
 *
 * Build: cc -O2 -shared -fPIC -o avx2_only.so avx2_only.c
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static struct sigaction previous;

static int setCpuid(int enabled) {
  return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled);
}

static void onSegv(int sig, siginfo_t *info, void *raw) {
  ucontext_t *uc = (ucontext_t *)raw;
  greg_t *r = uc->uc_mcontext.gregs;
  const uint8_t *ip = (const uint8_t *)r[REG_RIP];
  if (ip[0] != 0x0f || ip[1] != 0xa2) { /* not CPUID: a real fault */
    sigaction(SIGSEGV, &previous, NULL);
    return; /* the instruction faults again, now under the old handler */
  }
  uint32_t leaf = (uint32_t)r[REG_RAX], sub = (uint32_t)r[REG_RCX];
  uint32_t a, b, c, d;
  setCpuid(1);
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
                   : "a"(leaf), "c"(sub));
  setCpuid(0);
  if (leaf == 7 && sub == 0) {
    /* EBX: AVX512F, DQ, IFMA, PF, ER, CD, BW, VL. */
    b &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) |
           (1u << 28) | (1u << 30) | (1u << 31));
    /* ECX: VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ. */
    c &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
    /* EDX: 4VNNIW, 4FMAPS, VP2INTERSECT, AMX-BF16, FP16, AMX-TILE, AMX-INT8. */
    d &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) |
           (1u << 24) | (1u << 25));
  } else if (leaf == 7 && sub == 1) {
    a &= ~((1u << 4) | (1u << 5)); /* AVX-VNNI, AVX512_BF16 */
  }
  r[REG_RAX] = a;
  r[REG_RBX] = b;
  r[REG_RCX] = c;
  r[REG_RDX] = d;
  r[REG_RIP] += 2;
  (void)sig;
  (void)info;
}

__attribute__((constructor)) static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onSegv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &previous) != 0 || setCpuid(0) != 0) {
    fprintf(stderr, "avx2_only: CPUID faulting is not available here "
                    "(no cpuid_fault in /proc/cpuinfo?)\n");
    exit(70);
  }
}
