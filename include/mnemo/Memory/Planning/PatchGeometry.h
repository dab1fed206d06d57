//===- PatchGeometry.h - receptive fields of a patch-based stage -*- C++ -*-===//
//
// MCUNetV2 patch-based inference runs a CNN's first stage patch by patch:
// the stage output is cut into p x p tiles and each tile's input region
// (with halo) is computed through the whole stage. This is the geometry:
// walking the stage's spatial layers backwards from a tile, the region a
// layer must produce grows by (g - 1) * stride + (k - 1) * dilation + 1;
// 1x1 and elementwise layers keep it. The extra multiply-accumulates of the
// overlapping halos are the price (41.9% for MobileNetV2's first five
// blocks at p = 4).
//
//===----------------------------------------------------------------------===//

#ifndef MNEMO_MEMORY_PATCHGEOMETRY_H
#define MNEMO_MEMORY_PATCHGEOMETRY_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace mnemo::memory {

/// One layer of the stage, per spatial axis (H, W). Identity layers
/// (elementwise, 1x1) have kernel 1 and stride 1.
struct SpatialLayer {
  std::string name;
  std::array<int64_t, 2> kernel{1, 1}, stride{1, 1}, dilation{1, 1};
  std::array<int64_t, 2> out{0, 0}; // full output size
  int64_t macsPerPixel = 0;         // per output pixel, all channels
  /// Producers inside the stage (indices into the layer list, earlier
  /// layers); -1 is the stage input.
  std::vector<int> inputs;
};

struct PatchGeometry {
  int64_t patches = 0;                  // p: p x p tiles
  std::array<int64_t, 2> tile{0, 0};    // of the stage output
  std::array<int64_t, 2> patch{0, 0};   // of the stage input, with halo
  std::array<int64_t, 2> patchStride{0, 0};
  /// Region each layer computes per patch (same order as the layers).
  std::vector<std::array<int64_t, 2>> region;
  int64_t stageMacs = 0, patchMacs = 0;
  double macOverhead = 0; // patchMacs / stageMacs - 1
};

/// The geometry of splitting the output of `layers.back()` into p x p
/// tiles. Layers must be in program order; the last one is the stage
/// output.
PatchGeometry computePatchGeometry(const std::vector<SpatialLayer> &layers,
                                   int64_t patches);

} // namespace mnemo::memory

#endif // MNEMO_MEMORY_PATCHGEOMETRY_H
