"""Repository-wide pytest set-up."""
import os
from pathlib import Path

SANITIZE_FILE = Path(__file__).resolve().parent / "tests" / "nbval_sanitize.cfg"

# BLAS threads for the test session and the notebook kernels it starts (they inherit the environment).
# Our matrices are small: on a 2-core machine one thread is faster, and 2-thread OpenBLAS stalls badly
# whenever anything else runs. Stored outputs do not depend on it (float64), which a run with
# OPENBLAS_NUM_THREADS=2 confirms; an explicit setting in the environment always wins.
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")


def pytest_configure(config):
    # nbval resolves --nbval-sanitize-with against the current directory; give it an absolute path.
    if getattr(config.option, "nbval_sanitize_with", None) is None:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)
