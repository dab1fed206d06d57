/* Calls a CUDA artifact's entry point with no buffers: on a machine
   without a GPU it must return 5 (no driver or device) before touching
   them; with a GPU this program is not a valid run and prints rc=0 only
   if the entry point never got that far. */
#include <stdio.h>

#include "mnemo/Runtime/CUDARuntime.h"
#include "tiny_cnn.h"

int main(void) {
  int64_t dims[1] = {1};
  if (mnemo_cuda_device(NULL, 0) > 0) {
    printf("rc=0 (a GPU is present)\n");
    return 0;
  }
  int rc = tiny_cnn_run_dims(dims, NULL, NULL, NULL, NULL);
  printf("rc=%d %s\n", rc, mnemo_cuda_last_error());
  return rc == 5 ? 0 : 1;
}
