"""Test-wide settings: notebooks run in the smoke profile; figures never open windows."""

import os

import matplotlib

os.environ["IVAN_PROFILE"] = "smoke"  # read by every notebook's parameters cell (nbval)
matplotlib.use("Agg")
