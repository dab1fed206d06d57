/* A C application against tiny_cnn.h: asks whether this CPU can run the
   artifact, then runs it on zeros. */
#include "tiny_cnn.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  static float image[1 * 3 * 64 * 64], probs[10];
  const void *inputs[] = {image};
  void *outputs[] = {probs};
  int64_t dims[TINY_CNN_NUM_DIMS] = {1};
  void *ws = aligned_alloc(64, (tiny_cnn_workspace_bytes() + 63) / 64 * 64);
  printf("cpu_supported %d\n", tiny_cnn_cpu_supported());
  printf("run %d\n", tiny_cnn_run_dims(dims, inputs, outputs, NULL, ws));
  free(ws);
  return 0;
}
