"""The core: the invertible model, the tasks, training, inference and file I/O, on torch and numpy alone.

Everything else in :mod:`ivan_core` builds on it; nothing here imports from the layers above.
"""
