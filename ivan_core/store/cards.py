"""Shipped cards: reading them, finding one by name or by model key, and checking a card's weights file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ivan_core.core.io import sha256
from ivan_core.core.training.cache_key import key_hash

#: Where the shipped weights and cards live.
WEIGHTS = Path(__file__).resolve().parent / "weights"


class PretrainedMismatchError(ValueError):
    """A shipped network does not match what was asked for (task, key or checksum)."""


def _cards(folder: str | Path | None) -> list[Path]:
    """Card files in ``folder`` (default :data:`WEIGHTS`)."""
    return sorted(Path(folder if folder is not None else WEIGHTS).glob("*.json"))


def read_card(path: str | Path) -> dict[str, Any]:
    """The card at ``path`` (its ``.json`` or the ``.pt`` beside it), plus ``path``: its weights' absolute path."""
    card_path = Path(path).with_suffix(".json")
    if not card_path.is_file():
        raise FileNotFoundError(f"{card_path}: no such card; weights need their <name>.json card beside them")
    try:
        card = json.loads(card_path.read_text())
    except json.JSONDecodeError as exc:
        raise PretrainedMismatchError(f"{card_path}: not a readable card ({exc})") from exc
    return {**card, "path": str(card_path.with_suffix(".pt").resolve())}


def available(folder: str | Path | None = None) -> list[dict[str, Any]]:
    """Every shipped card (without its history), sorted by profile, name and variant."""
    cards = []
    for path in _cards(folder):
        card = read_card(path)
        card.pop("history", None)
        cards.append(card)
    return sorted(cards, key=lambda c: (c["profile"], c["name"], c["variant"]))


def find_card(name: str, profile: str = "tutorial", variant: str = "default",
              folder: str | Path | None = None) -> dict[str, Any]:
    """The full card of one shipped network; KeyError (listing what is shipped) when none or several match."""
    found = [card for card in map(read_card, _cards(folder))
             if (card["name"], card["profile"], card["variant"]) == (name, profile, variant)]
    if len(found) > 1:
        raise KeyError(f"{len(found)} shipped networks are named {name!r} / {profile!r} / {variant!r} (trained on "
                       "other data); pass key= of the one you mean to ivan_core.store.card_for_key")
    if found:
        return found[0]
    shipped = [f"{c['name']} / {c['profile']} / {c['variant']}" for c in available(folder)] or ["none"]
    raise KeyError(f"no shipped network {name!r} for profile {profile!r}, variant {variant!r}; shipped "
                   f"(name / profile / variant): {', '.join(shipped)}")


def card_for_key(key: dict[str, Any], folder: str | Path | None = None) -> dict[str, Any] | None:
    """The full card of the shipped network trained under exactly ``key``, or None."""
    wanted = key_hash(key)
    for path in _cards(folder):
        card = read_card(path)
        if card["key_sha"] == wanted and key_hash(card["key"]) == wanted:  # the stored key, not only its label
            return card
    return None


def key_differences(card_key: dict[str, Any], key: dict[str, Any]) -> list[str]:
    """Human-readable parts of two model keys that differ, e.g. ``config.lam: 1.0 != 4.0``."""
    out = []
    for part in sorted(set(card_key) | set(key)):
        a, b = card_key.get(part), key.get(part)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{part}.{k}: shipped {a.get(k)!r}, wanted {b.get(k)!r}"
                    for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        elif part in ("train", "val"):
            out.append(f"{part} subjects differ: shipped {[n for n, _ in a or []]}, wanted {[n for n, _ in b or []]} "
                       "(or the same names with other data: see Subject.fingerprint)")
        else:
            out.append(f"{part}: shipped {a!r}, wanted {b!r}")
    return out


def checked_path(card: dict[str, Any]) -> Path:
    """The card's weights file; FileNotFoundError if missing, PretrainedMismatchError on a sha256 mismatch (each says
    how to get the file back: reinstall or rebuild a shipped one, rerun the command that wrote one's own)."""
    path = Path(card["path"])
    shipped = path.parent == WEIGHTS
    again = ("reinstall ivan_core or rebuild the shipped weights with `python -m ivan_core pretrain`" if shipped else
             f"delete it and rerun the command that wrote it{': ' + card['command'] if card.get('command') else ''}")
    if not path.is_file():
        raise FileNotFoundError(f"the card {card['name']!r} names {path}, which is missing; {again}")
    found = sha256(path)
    if found != card["sha256"]:
        raise PretrainedMismatchError(f"{path}: its sha256 is not the one its card holds, so the file is damaged or "
                                      f"was replaced; {again}")
    return path
