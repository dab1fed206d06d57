/* Two models' objects linked into one program: both graph functions are
   main_graph, which must not clash (mnemo-cpu-abi makes it internal);
   each runs on zeros. */
#include "first.h"
#include "second.h"

#include <stdio.h>
#include <stdlib.h>

/* Up to 16 inputs and outputs of up to 1 MiB (conv_model.py's are). */
static int runOnZeros(size_t wsBytes, int (*run)(const void *const *,
                                                 void *const *, void *)) {
  const void *inputs[16];
  void *outputs[16];
  for (int i = 0; i < 16; ++i) {
    inputs[i] = calloc(1, 1 << 20);
    outputs[i] = calloc(1, 1 << 20);
  }
  void *ws = aligned_alloc(64, (wsBytes + 63) / 64 * 64);
  int rc = run(inputs, outputs, ws);
  free(ws);
  return rc;
}

int main(void) {
  printf("first %d\n", runOnZeros(first_workspace_bytes(), first_run));
  printf("second %d\n", runOnZeros(second_workspace_bytes(), second_run));
  return 0;
}
