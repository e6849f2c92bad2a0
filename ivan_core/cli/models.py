"""``ivan models``: the shipped networks, one line each (task, variant, kind, what it was trained on, its test score)."""

from __future__ import annotations

import argparse
from typing import Any

from ivan_core.cli.options import PROFILE_NAMES


def add_command(sub: argparse._SubParsersAction) -> None:
    """Register ``models`` on ``sub``."""
    text = "list the shipped networks: task, variant (pass it as --weights), what each was trained on, its test score"
    p = sub.add_parser("models", help=text, description=text)
    p.add_argument("--task", default=None, help="only this task's networks")
    p.add_argument("--profile", choices=PROFILE_NAMES, default=None, help="only this profile's networks")
    p.add_argument("--baselines", action="store_true", help="also the comparison networks (U-Net, GANs)")
    p.set_defaults(handler=_models)


def test_score(card: dict[str, Any]) -> str:
    """A card's held-out score in words: phantom test PSNR, a held-out real case's PSNR, or cross-validated fusion
    metrics."""
    metrics = card.get("test_metrics") or {}
    if "psnr_head" in metrics:
        return f"{metrics['psnr_head']:.2f} dB head PSNR on {len(metrics.get('test_subjects', []))} phantom test subjects"
    held = card.get("held_out")
    if held and "psnr_head" in held:
        return f"{held['psnr_head']:.2f} dB head PSNR on {held['on']}"
    if held and "Q_ABF" in held:
        return (f"Q^AB/F {held['Q_ABF']:.3f}, SCD {held['SCD']:.2f}, polarity {held['POLARITY']:+.2f}, colour "
                f"difference {held['COLOUR']:.1f} (CIEDE2000) on {held['on']}")
    cv = card.get("cross_validation")
    if cv:
        rows = [r for r in cv["table"] if r["method"] == card.get("method")]
        if rows:
            mean = {m: sum(r[m] for r in rows) / len(rows) for m in ("Q_ABF", "SCD", "POLARITY")}
            return (f"Q^AB/F {mean['Q_ABF']:.3f}, SCD {mean['SCD']:.2f}, polarity {mean['POLARITY']:+.2f} "
                    f"({len(rows)} cases, cross-validated)")
    return "no held-out score on its card"


def _models(args: argparse.Namespace) -> int:
    from ivan_core.cli.network import DEFAULT_VARIANT, trained_on
    from ivan_core.store.cards import available

    cards = [c for c in available() if (args.baselines or c.get("kind", "ivan") == "ivan")
             and args.task in (None, c["name"]) and args.profile in (None, c["profile"])]
    if not cards:
        print("no shipped network matches; `ivan models` lists all")
        return 0
    for card in cards:
        default = card["variant"] == DEFAULT_VARIANT.get(card["name"], "default") and card.get("kind", "ivan") == "ivan"
        print(f"{card['name']:16s} --weights {card['variant']!r}{' (the default)' if default else ''}, "
              f"{card['profile']} profile, {card.get('kind', 'ivan')}: trained on {trained_on(card)}; {test_score(card)}")
    return 0
