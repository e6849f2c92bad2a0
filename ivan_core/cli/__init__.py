"""Command line: ``ivan`` (or ``python -m ivan_core``).

On your own scans: ``synthesise``, ``recover``, ``fuse`` and ``train`` (:mod:`ivan_core.cli.scans`).
The tutorial harness: ``tutorial``, ``pretrain``, ``compare`` and ``benchmark`` (:mod:`ivan_core.cli.harness`).
"""

from __future__ import annotations

import argparse
import sys

from ivan_core.cli import harness, scans


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m ivan_core`` and the ``ivan`` script; returns the exit status."""
    parser = argparse.ArgumentParser(prog="ivan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    scans.add_commands(sub)
    harness.add_commands(sub)
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.handler(args)
    except scans.USER_ERRORS as exc:
        print(f"ivan {args.command}: error: {exc}", file=sys.stderr)
        return 2
