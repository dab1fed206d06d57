//===- MathExtras.h - small integer helpers shared by passes ----*- C++ -*-===//

#ifndef MNEMO_SUPPORT_MATHEXTRAS_H
#define MNEMO_SUPPORT_MATHEXTRAS_H

#include <algorithm>
#include <cstdint>

namespace mnemo {

/// The largest divisor of `n` not above `limit` (at least 1): the number of
/// equal, statically sized chunks to split a dim of size `n` into.
inline int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t c = std::min(n, limit); c > 1; --c)
    if (n % c == 0)
      return c;
  return 1;
}

} // namespace mnemo

#endif // MNEMO_SUPPORT_MATHEXTRAS_H
