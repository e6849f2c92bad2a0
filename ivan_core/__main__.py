"""``python -m ivan_core``: the command line of :mod:`ivan_core.cli`."""

import sys

from ivan_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
