#!/bin/bash
# The installed tree as a build pipeline uses it: `cmake --install` into a
# fresh prefix, then examples/c-app configured against that prefix alone
# (find_package(mnemo), mnemo_add_model), built (mnemoc runs at build
# time) and run on the bundled example's data; a second build with nothing
# changed must not rerun mnemoc.
#
#   install_consumer.sh BUILD_DIR SOURCE_DIR WORK_DIR PYTHON C_COMPILER
# (the C compiler mnemo was built with: a fresh machine may have no `cc`)
set -euo pipefail
build=$1 src=$2 work=$3 python=$4 cc=$5
# The tests' Python, or Debian's when that one lacks onnx (a pyenv shim).
"$python" -c "import numpy, onnx" 2> /dev/null || python=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work"
# The installed tree and the package's staging hold the statically linked
# tools (about 1 GB unstripped): stripped, and removed when the test ends
# (the logs stay), so a build with little free disk still runs the rest.
trap 'rm -rf "$work/prefix" "$work/deb"' EXIT
cmake --install "$build" --prefix "$work/prefix" --strip > "$work/install.log"

# The example's ONNX test data as the raw float32 files the C app reads.
batch=$("$python" - "$src/examples/tiny_cnn_data" "$work" <<'PY'
import sys
import numpy as np
from onnx import TensorProto, numpy_helper
data, work = sys.argv[1:]
for name, out in (("input_0.pb", "input.bin"), ("output_0.pb", "expected.bin")):
    t = TensorProto()
    t.ParseFromString(open("%s/%s" % (data, name), "rb").read())
    a = numpy_helper.to_array(t).astype(np.float32)
    a.tofile("%s/%s" % (work, out))
    if name == "input_0.pb":
        print(a.shape[0])
PY
)

gen=()
command -v ninja > /dev/null && gen=(-G Ninja)
cmake -S "$src/examples/c-app" -B "$work/app" "${gen[@]}" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/app" -v > "$work/build.log"
# mnemoc came from the prefix, not the build tree.
grep -q "$work/prefix/bin/mnemoc" "$work/build.log" ||
  { echo "install-c-app: the build did not run $work/prefix/bin/mnemoc"; exit 1; }
"$work/app/c-app" "$work/input.bin" "$work/expected.bin" "$batch"
cmake --build "$work/app" -v > "$work/rebuild.log"
if grep -q "bin/mnemoc" "$work/rebuild.log"; then
  echo "install-c-app: mnemoc ran again with nothing changed"
  exit 1
fi
# The installed Python package, from the prefix alone (its native module
# finds the prefix's libraries through its RPATH).
if ls "$work"/prefix/lib/python3/dist-packages/mnemo/_mnemo*.so > /dev/null 2>&1; then
  (cd "$work" && PYTHONPATH="$work/prefix/lib/python3/dist-packages" /usr/bin/python3 - \
      "$src/examples/tiny_cnn.onnx" "$work" <<'PY'
import sys
import numpy as np
import mnemo
assert mnemo.__file__.startswith(sys.argv[2] + "/prefix/"), mnemo.__file__
art = mnemo.compile(sys.argv[1], sys.argv[2] + "/py", dims={"batch": (1, 8)})
x = np.fromfile(sys.argv[2] + "/input.bin", np.float32).reshape(-1, 3, 64, 64)
want = np.fromfile(sys.argv[2] + "/expected.bin", np.float32).reshape(x.shape[0], -1)
got = art.run(x)["probs"]
np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
print("install-c-app: the installed Python package compiled and ran tiny_cnn (max abs err %.2g)"
      % np.abs(got - want).max())
PY
  )
fi
rm -rf "$work/prefix"
# The same tree as a .deb (stripped: CPACK_STRIP_FILES): its contents listed.
(cd "$build" && cpack -G DEB -B "$work/deb" > "$work/cpack.log")
rm -rf "$work/deb/_CPack_Packages"
deb=$(ls "$work"/deb/mnemo_*.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/mnemoc ./usr/bin/mnemo-run ./usr/lib/cmake/mnemo/mnemoConfig.cmake \
         ./usr/lib/libmnemo_cuda_runtime.so ./usr/include/mnemo/Driver/Compile.h \
         ./usr/lib/python3/dist-packages/mnemo/__init__.py; do
  grep -q " $f\$" <<< "$contents" || { echo "install-c-app: $deb lacks $f"; exit 1; }
done
echo "install-c-app: $(basename "$deb"): $(wc -l <<< "$contents") entries, $(du -m "$deb" | cut -f1) MB"
echo "install-c-app: the installed package built and ran examples/c-app"
