# lit configuration for pfc: CLI tests on specs and pfc-opt tests on MLIR.
import os
import sys

import lit.formats

config.name = "pfc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".yaml", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.pfc_obj_root, "tests", "lit")

config.environment["PATH"] = os.pathsep.join(
    [config.pfc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
# Compiled kernels and tuned schedules go to a cache of the tests' own.
config.environment["PFC_CACHE_DIR"] = os.path.join(config.test_exec_root, "kernel-cache")
config.substitutions.append(("%specs", os.path.join(config.pfc_src_root, "specs")))
# The runtime C API's test program (tests/runtime/runtime-c-api.c).
config.substitutions.append(("%pfc-runtime-c-api", os.path.join(config.pfc_tools_dir, "pfc-runtime-c-api")))
config.substitutions.append(("%pfc-opt", os.path.join(config.pfc_tools_dir, "pfc-opt")))
config.substitutions.append(("%pfc-translate", os.path.join(config.pfc_tools_dir, "pfc-translate")))
config.substitutions.append(("%pfc", os.path.join(config.pfc_tools_dir, "pfc")))
# `%cc` builds C programs against pfc's AOT objects; `%nm` lists symbols.
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(("%nm", os.path.join(config.llvm_tools_dir, "llvm-nm")))
# `%python` runs helper scripts with lit's own interpreter (standard library).
config.substitutions.append(("%python", sys.executable))
# `%exit N cmd...` runs cmd and fails unless it exits with exactly N.
config.substitutions.append(
    ("%exit", "%s %s" % (sys.executable,
                         os.path.join(config.test_source_root, "exit-code.py")))
)

# The host's AVX-512, for tests that read generated machine code.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512f" in cpuinfo.read():
            config.available_features.add("avx512f")
except OSError:
    pass

# NVRTC, for tests that compile generated CUDA (no GPU needed).
import ctypes
for name in ("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"):
    try:
        ctypes.CDLL(name)
        config.available_features.add("nvrtc")
        break
    except OSError:
        pass

# A GPU the CUDA driver can use, for tests of what happens without one.
try:
    driver = ctypes.CDLL("libcuda.so.1")
    count = ctypes.c_int(0)
    if driver.cuInit(0) == 0 and driver.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0:
        config.available_features.add("cuda-gpu")
except OSError:
    pass
