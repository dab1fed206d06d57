/* Runs the tiny CNN compiled by mnemo_add_model on raw float32 input and
 * compares its output with raw float32 expected values:
 *
 *   c-app input.bin expected.bin BATCH
 *
 * (input [BATCH, 3, 64, 64], output [BATCH, 10], row-major). Exits 0 when
 * every output is within 1e-5 + 1e-4 |expected|. */
#include "tiny_cnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static float *readFloats(const char *path, size_t count) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "c-app: cannot open %s\n", path);
    return NULL;
  }
  float *data = malloc(count * sizeof(float));
  size_t got = data ? fread(data, sizeof(float), count, f) : 0;
  int extra = fgetc(f) != EOF;
  fclose(f);
  if (got != count || extra) {
    fprintf(stderr, "c-app: %s does not hold %zu floats\n", path, count);
    free(data);
    return NULL;
  }
  return data;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: c-app input.bin expected.bin BATCH\n");
    return 2;
  }
  int64_t batch = atoll(argv[3]);
  if (batch < 1 || batch > 8) {
    fprintf(stderr, "c-app: BATCH must be 1..8 (the bound it was compiled for)\n");
    return 2;
  }
  if (!tiny_cnn_cpu_supported()) {
    fprintf(stderr, "c-app: this CPU lacks %s\n", TINY_CNN_CPU_FEATURES);
    return 2;
  }
  float *input = readFloats(argv[1], (size_t)batch * 3 * 64 * 64);
  float *expected = readFloats(argv[2], (size_t)batch * 10);
  float *output = malloc((size_t)batch * 10 * sizeof(float));
  /* The workspace holds every intermediate tensor, at the planner's
     offsets: one allocation, 64-byte aligned. */
  size_t bytes = (tiny_cnn_workspace_bytes() + 63) / 64 * 64;
  void *workspace = aligned_alloc(64, bytes);
  if (!input || !expected || !output || !workspace)
    return 1;
  const void *inputs[] = {input};
  void *outputs[] = {output};
  int64_t dims[TINY_CNN_NUM_DIMS];
  dims[TINY_CNN_DIM_BATCH] = batch;
  int64_t shape[2];
  int rc = tiny_cnn_run_dims(dims, inputs, outputs, shape, workspace);
  if (rc != 0) {
    fprintf(stderr, "c-app: tiny_cnn_run_dims returned %d\n", rc);
    return 1;
  }
  double worst = 0;
  int bad = 0;
  for (int64_t i = 0; i < batch * 10; ++i) {
    double err = fabs((double)output[i] - expected[i]);
    worst = err > worst ? err : worst;
    bad += !(err <= 1e-5 + 1e-4 * fabs(expected[i]));
  }
  printf("c-app: tiny_cnn probs [%lld, %lld], workspace %zu bytes, max_abs_err %.3g %s\n",
         (long long)shape[0], (long long)shape[1], tiny_cnn_workspace_bytes(), worst,
         bad ? "FAIL" : "ok");
  free(input);
  free(expected);
  free(output);
  free(workspace);
  return bad ? 1 : 0;
}
