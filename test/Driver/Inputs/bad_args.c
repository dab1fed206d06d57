/* A C application calling tiny_cnn's entry points with the arguments a
   careless caller passes: each call returns an error code and writes
   nothing, never crashes. */
#include "tiny_cnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  static float image[1 * 3 * 64 * 64], probs[10];
  const void *inputs[] = {image};
  const void *noInput[] = {NULL};
  void *outputs[] = {probs};
  void *noOutput[] = {NULL};
  int64_t dims[TINY_CNN_NUM_DIMS] = {1};
  size_t bytes = (tiny_cnn_workspace_bytes() + 63) / 64 * 64;
  char *ws = aligned_alloc(64, bytes + 64);
  memset(probs, 0x7f, sizeof probs); /* untouched by a failed run */
  printf("null dims %d\n", tiny_cnn_run_dims(NULL, inputs, outputs, NULL, ws));
  printf("null inputs %d\n", tiny_cnn_run_dims(dims, NULL, outputs, NULL, ws));
  printf("null outputs %d\n", tiny_cnn_run_dims(dims, inputs, NULL, NULL, ws));
  printf("null input %d\n", tiny_cnn_run_dims(dims, noInput, outputs, NULL, ws));
  printf("null output %d\n", tiny_cnn_run_dims(dims, inputs, noOutput, NULL, ws));
  printf("null workspace %d\n",
         tiny_cnn_run_dims(dims, inputs, outputs, NULL, NULL));
  printf("misaligned workspace %d\n",
         tiny_cnn_run_dims(dims, inputs, outputs, NULL, ws + 8));
  printf("untouched %d\n", probs[0] != 0 && probs[9] != 0);
  printf("dim out of bounds %d\n",
         tiny_cnn_run_dims((int64_t[]){9}, inputs, outputs, NULL, ws));
  printf("good %d\n", tiny_cnn_run_dims(dims, inputs, outputs, NULL, ws));
  free(ws);
  return 0;
}
