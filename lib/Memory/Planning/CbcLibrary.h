//===- CbcLibrary.h - COIN-OR CBC, loaded when a plan needs it --*- C++ -*-===//
//
// Internal to lib/Memory/Planning. The ILPs (placement, operator order,
// SRAM residency) call CBC through its C interface, but most compiles
// never need the solver: the placement ILP is skipped where first-fit or
// greedy already meets the liveness bound (every real model so far).
// Linked in, CBC and the libraries it pulls in (Clp, Cgl, Osi, LAPACK,
// gfortran: 7 MiB resident) were loaded and relocated by every mnemoc run;
// loaded on first use, a compile that solves nothing never maps them.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_MEMORY_PLANNING_CBCLIBRARY_H
#define MNEMO_LIB_MEMORY_PLANNING_CBCLIBRARY_H

#include <coin/Cbc_C_Interface.h>

#include <string>

namespace mnemo::memory::detail {

// The entry points mnemo calls, as X(name): Cbc_<name>.
#define MNEMO_CBC_FUNCTIONS(X)                                                 \
  X(newModel)                                                                  \
  X(deleteModel)                                                               \
  X(setLogLevel)                                                               \
  X(setParameter)                                                              \
  X(addCol)                                                                    \
  X(addRow)                                                                    \
  X(setColLower)                                                               \
  X(setObjSense)                                                               \
  X(setMIPStart)                                                               \
  X(setMaximumSeconds)                                                         \
  X(setAllowableGap)                                                           \
  X(setAllowableFractionGap)                                                   \
  X(solve)                                                                     \
  X(bestSolution)                                                              \
  X(isProvenOptimal)                                                           \
  X(getBestPossibleObjValue)

/// CBC's C interface: `cbc->solve(m)` calls Cbc_solve.
struct CbcLibrary {
#define MNEMO_CBC_POINTER(name) decltype(&::Cbc_##name) name = nullptr;
  MNEMO_CBC_FUNCTIONS(MNEMO_CBC_POINTER)
#undef MNEMO_CBC_POINTER
};

/// The solver, loaded on the first call (thread-safe); null when it cannot
/// be loaded, with the reason in `why`. The first failure is also printed
/// as a warning: the ILP then keeps its heuristic start.
const CbcLibrary *loadCbc(std::string &why);

} // namespace mnemo::memory::detail

#endif // MNEMO_LIB_MEMORY_PLANNING_CBCLIBRARY_H
