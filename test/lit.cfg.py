# -*- Python -*-
# lit configuration for mnemo: finds the mnemo tools and LLVM's FileCheck.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MNEMO"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.mlir_obj_dir, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

llvm_config.use_default_substitutions()
config.substitutions.append(("%PATH%", config.environment["PATH"]))

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.mnemo_tools_dir, append_path=True)

tools = ["mnemo-opt", "mnemo-translate", "mnemoc", "mnemo-run", "mnemo-pim-sim"]
llvm_config.add_tool_substitutions(tools, [config.mnemo_tools_dir, config.llvm_tools_dir])

# Tests on the shared models run only where ../shared is present.
if os.path.isdir(os.path.join(config.mnemo_shared_dir, "models")):
    config.available_features.add("shared-models")
    config.substitutions.append(("%shared", config.mnemo_shared_dir))

# The ONNX backend test data (libonnx-testdata), for tests on its models.
_testdata = "/usr/share/libonnx-testdata/data"
if os.path.isdir(_testdata):
    config.available_features.add("onnx-testdata")
    config.substitutions.append(("%testdata", _testdata))

# Debian's python3 with python3-onnx builds binary models for the tests of
# external data and corrupt files.
import subprocess
_py = "/usr/bin/python3"
if os.path.exists(_py) and subprocess.call(
        [_py, "-c", "import onnx"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("python-onnx")
    config.substitutions.append(("%onnxpy", _py))

# ... and with python3-torch, exports decoders (test/scripts/export_model.py).
if "python-onnx" in config.available_features and subprocess.call(
        [_py, "-c", "import torch"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("python-torch")

# OpenMPI runs vocab-parallel rank builds (mnemo-run links MPI when CMake
# found it; scripts/setup.sh installs libopenmpi-dev). CI runs as root and
# the machines have 2 cores: allow root, and more ranks than cores.
import shutil
if shutil.which("mpirun") and shutil.which("mpicc"):
    config.available_features.add("mpi")
    for k in ("OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"):
        config.environment[k] = "1"
    # No network interfaces are needed between ranks on one machine.
    config.environment["OMPI_MCA_btl"] = "self,vader"
    config.substitutions.append(("%mpirun", "mpirun --oversubscribe -np"))

# The C compiler mnemo links artifacts with builds the tests' C programs
# against generated headers.
config.substitutions.append(("%cc", config.mnemo_c_compiler))
# ... and links them with mnemo's run-time libraries (libmnemo_cuda_runtime).
config.substitutions.append(("%mnemo_libdir", os.path.join(os.path.dirname(config.mnemo_tools_dir), "lib")))

# The host's ISA extensions (Linux /proc/cpuinfo flags) as features
# cpu-<flag>: tests of the run-time CPU check pick an extension the host
# lacks, or skip.
try:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                for flag in line.split(":", 1)[1].split():
                    config.available_features.add("cpu-" + flag)
                break
except OSError:
    pass

# The CUDA toolkit found at configure time: libdevice for kernels calling
# math functions, ptxas for the register and spill checks.
if config.mnemo_cuda_toolkit and os.path.exists(
        os.path.join(config.mnemo_cuda_toolkit, "bin", "ptxas")):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%ptxas", os.path.join(config.mnemo_cuda_toolkit, "bin", "ptxas")))
    config.substitutions.append(("%cuda_toolkit", config.mnemo_cuda_toolkit))
