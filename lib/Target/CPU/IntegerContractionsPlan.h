//===- IntegerContractionsPlan.h - mnemo-cpu-integer-contractions -*- C++ -*-===//
//
// The pieces of mnemo-cpu-integer-contractions: IntegerContractionsPlanning.cpp
// matches an 8-bit contraction and plans its loops (and copies constant
// weights for the dot product's groups); IntegerContractions.cpp writes the
// vector code and is the pass. Internal to lib/Target/CPU.
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_LIB_TARGET_CPU_INTEGERCONTRACTIONSPLAN_H
#define MNEMO_LIB_TARGET_CPU_INTEGERCONTRACTIONSPLAN_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace mnemo::integer_contractions {
using namespace mlir;


/// One operand of the multiply: which input, how it is widened, and the
/// zero point subtracted after widening (null: none).
struct Factor {
  unsigned input = 0;
  bool isSigned = true;
  Value zeroPoint;
};

/// The loops of a contraction in the form above.
struct Plan {
  Factor a, b;                   // a: broadcast (no j), b: vector along j
  unsigned i = 0, j = 0;         // loop positions
  SmallVector<unsigned> ks;      // reduction loops longer than 1
  SmallVector<unsigned> outer;   // other parallel loops, iterated
  bool shareA = false;           // rows share A's broadcast, not B's vector
  int64_t strideJ = 1;           // B's step along j (2: a strided window)
  std::optional<unsigned> flatH; // the loop whose rows j runs on through
  SmallVector<int64_t> ranges;   // static loop ranges
  // The reduction loop the 8-bit dot product runs four at a time: A reads
  // it as its contiguous innermost index (result aGroupPos; later dims
  // have size 1), B as one plain index of its own.
  std::optional<unsigned> group;
  unsigned aGroupPos = 0;
  int64_t groupSize = 0; // 4: vpdpbusd, 2: vpmaddwd on 16-bit pairs
};

/// The plan of `op` (a linalg.generic adding ext(a) [- za] * ext(b)
/// [- zb] of two 8-bit inputs into an i32 output, in the form described
/// in IntegerContractions.cpp), its group loop run `groupSize` steps per
/// instruction (4: vpdpbusd, 2: vpmaddwd pairs, 0: none); none when the
/// op is not of that form.
std::optional<Plan> planContraction(linalg::GenericOp op, int64_t groupSize);

/// Constant weights whose group loop is not contiguous (a 3x3
/// convolution's [F][C][KH][KW]) get a copy with that dim innermost
/// ([F][KH][KW][C]), seen through tile and thread-chunk subviews, and the
/// contraction reads the copy (a new module-level global).
void moveGroupsInnermost(ModuleOp module, int64_t groupSize);

} // namespace mnemo::integer_contractions

#endif // MNEMO_LIB_TARGET_CPU_INTEGERCONTRACTIONSPLAN_H
