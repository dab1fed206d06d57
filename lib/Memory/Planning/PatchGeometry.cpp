//===- PatchGeometry.cpp - receptive fields of a patch-based stage --------===//

#include "mnemo/Memory/Planning/PatchGeometry.h"

#include <algorithm>

namespace mnemo::memory {

PatchGeometry computePatchGeometry(const std::vector<SpatialLayer> &layers,
                                   int64_t patches) {
  PatchGeometry g;
  g.patches = patches;
  const int n = layers.size();
  if (n == 0 || patches < 1)
    return g;
  g.region.assign(n, {0, 0});
  std::array<int64_t, 2> input{0, 0};
  for (int a = 0; a < 2; ++a) {
    int64_t out = layers.back().out[a];
    g.tile[a] = (out + patches - 1) / patches;
    g.region[n - 1][a] = g.tile[a];
  }
  // Backwards: each layer's region sets what its producers must compute;
  // a value read by several layers takes the largest need. The input patch
  // keeps its halo unclipped: the part outside the image is the padding.
  for (int l = n - 1; l >= 0; --l) {
    const SpatialLayer &L = layers[l];
    for (int a = 0; a < 2; ++a) {
      // A layer never computes more than its whole map (the rest of a halo
      // is padding).
      g.region[l][a] = std::min(g.region[l][a], L.out[a]);
      int64_t need = (g.region[l][a] - 1) * L.stride[a] +
                     (L.kernel[a] - 1) * L.dilation[a] + 1;
      for (int in : L.inputs) {
        int64_t &r = in < 0 ? input[a] : g.region[in][a];
        r = std::max(r, need);
      }
    }
  }
  g.patch = input;
  // Total stride from the stage input to its output along the chain of
  // first inputs.
  std::array<int64_t, 2> stride{1, 1};
  for (int l = n - 1; l >= 0;) {
    for (int a = 0; a < 2; ++a)
      stride[a] *= layers[l].stride[a];
    l = layers[l].inputs.empty() ? -1 : layers[l].inputs.front();
  }
  for (int a = 0; a < 2; ++a)
    g.patchStride[a] = g.tile[a] * stride[a];
  for (int l = 0; l < n; ++l) {
    const SpatialLayer &L = layers[l];
    g.stageMacs += L.out[0] * L.out[1] * L.macsPerPixel;
    g.patchMacs += patches * patches * g.region[l][0] * g.region[l][1] *
                   L.macsPerPixel;
  }
  g.macOverhead =
      g.stageMacs ? (double)g.patchMacs / (double)g.stageMacs - 1 : 0;
  return g;
}

} // namespace mnemo::memory
