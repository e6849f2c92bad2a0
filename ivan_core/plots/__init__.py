"""Figures and interactive viewers for the notebooks."""
