"""Test-wide settings: notebooks run in the smoke profile; figures never open windows; under pytest-xdist
(``-n 2``) each worker, and every notebook kernel or script it starts, computes on one thread, so two workers
share two cores instead of four threads fighting over them."""

import os

import matplotlib

os.environ["IVAN_PROFILE"] = "smoke"  # read by every notebook's parameters cell (nbval)
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["OMP_NUM_THREADS"] = "1"  # read when torch is first imported, here and in child processes
matplotlib.use("Agg")
