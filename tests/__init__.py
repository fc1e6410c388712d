"""The test suite.

One BLAS/OpenMP thread per test process: `make test-unit` runs two pytest workers on the two
cores, and numpy's, scikit-learn's and scipy's own threads then only spin against each other.
Set here, before anything imports numpy (pytest imports this package before tests/conftest.py);
a value already in the environment is kept."""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
