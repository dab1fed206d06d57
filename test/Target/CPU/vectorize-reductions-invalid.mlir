// RUN: mnemo-opt %s --verify-diagnostics --mnemo-cpu-vectorize-reductions="vector-width=3"

// expected-error @below {{vector-width must be a power of 2 (at least 2)}}
func.func @width() {
  return
}
