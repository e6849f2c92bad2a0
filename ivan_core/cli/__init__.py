"""The ``ivan`` command (also ``python -m ivan_core``): iVAN on your own scans, and the tutorial's harness.

Parsing loads neither torch nor the package's heavy parts, so ``ivan --help`` answers at once; each command
imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys

from ivan_core.cli import harness, models, scans, train

DESCRIPTION = """iVAN: invertible networks for medical image synthesis and fusion.

on your own scans:
  ivan models                          the shipped networks and what each was trained on
  ivan synthesise t1_to_pet --input T1=t1.nii.gz --output PET_rgb=pet.nii.gz
  ivan recover t1_to_t2 --input T2=t2.nii.gz --output T1=t1_back.nii.gz
  ivan fuse --method ivan --input T2=t2.nii.gz --input CT=ct.nii.gz --output FUSED=fused.nii.gz
  ivan train t1_to_t2 --pairs DIR --out runs/mine

`ivan COMMAND --help` lists a command's options and the modalities of each task."""

#: Exceptions that are the user's input, not a bug: printed as one line, exit status 2.
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, KeyError, PermissionError, NotADirectoryError)


def parser(task_lists: bool = True) -> argparse.ArgumentParser:
    """The ``ivan`` parser: the commands for your scans first, then the tutorial harness; ``task_lists`` adds each
    task's modalities to the commands' help (it loads numpy, so it is left out unless help is asked for)."""
    p = argparse.ArgumentParser(prog="ivan", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND",
                           title="commands (your scans: models, synthesise, recover, fuse, train; "
                                 "the tutorial: tutorial, pretrain, compare, benchmark)")
    models.add_command(sub)
    scans.add_commands(sub, task_lists)
    train.add_command(sub, task_lists)
    harness.add_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m ivan_core`` and the ``ivan`` script; returns the exit status (2: a bad call or
    input, one line on stderr; 130: interrupted)."""
    given = list(sys.argv[1:] if argv is None else argv)
    command_help = bool(given) and not given[0].startswith("-") and ("-h" in given or "--help" in given)
    args = parser(task_lists=command_help).parse_args(given)
    args.argv = given
    try:
        return args.handler(args)
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"ivan {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nivan {args.command}: interrupted; no output was written unless `wrote` was printed for it "
              "(`ivan train` resumes when rerun)", file=sys.stderr)
        return 130
