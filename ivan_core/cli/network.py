"""Which network a command uses: ``--weights`` resolved to a card, described in one line, checked against the scan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: The shipped variant used without ``--weights``: the real-data network where one ships, else ``"default"``
#: (trained on the phantom).
DEFAULT_VARIANT = {"t2ct_fusion": "harvard", "t1_to_pet": "aanlib", "t2_to_spect": "aanlib", "t2spect_fusion": "aanlib"}


def choose_card(task: str, weights: str | None, profile: str) -> dict[str, Any]:
    """The iVAN card ``--weights`` names for ``task``: a shipped variant, a card or weights file, or a run folder."""
    from ivan_core.store import PretrainedMismatchError, available, read_card

    if weights is not None and (Path(weights).suffix in (".json", ".pt") or Path(weights).is_dir()):
        card = _card_at(Path(weights), read_card)
    else:
        variant = weights or DEFAULT_VARIANT.get(task, "default")
        cards = [c for c in available() if c.get("kind", "ivan") == "ivan" and (c["name"], c["profile"]) == (task, profile)]
        found = [c for c in cards if c["variant"] == variant]
        if not found:
            shipped = ", ".join(c["variant"] for c in cards) or "none"
            raise ValueError(f"no shipped {task} network named {variant!r} for profile {profile!r}; its variants: "
                             f"{shipped} (`ivan models --task {task}` describes them), or pass a card or run folder")
        card = read_card(found[0]["path"])
    if card["task"]["name"] != task:
        raise PretrainedMismatchError(f"{card['path']}: trained for task {card['task']['name']!r}, not {task!r}; "
                                      f"pass weights trained for {task!r}")
    if card.get("kind", "ivan") != "ivan":
        raise PretrainedMismatchError(f"{card['path']}: holds a {card['kind']}, not an iVAN network")
    return card


def _card_at(path: Path, read_card: Any) -> dict[str, Any]:
    if not path.is_dir():
        return read_card(path)
    cards = [c for c in (read_card(p) for p in sorted(path.glob("*.json")) if p.with_suffix(".pt").is_file())
             if c.get("kind", "ivan") == "ivan"]
    if len(cards) != 1:
        raise ValueError(f"{path}: expected one iVAN card (<name>.json beside <name>.pt), found {len(cards)}; "
                         "pass the card's path")
    return cards[0]


def trained_on(card: dict[str, Any]) -> str:
    """What a card's network was trained on, in words (the phantom, the Harvard atlas, or named subjects)."""
    names = card["data"]["train"]
    if all(n.startswith("phantom-") for n in names):
        return f"the simulated head phantom ({len(names)} subjects)"
    if all(n.startswith("aanlib-") for n in names):
        cases = ", ".join(n.split("-", 3)[-1] for n in names)
        pair = "-".join(names[0].split("-")[1:3])
        return f"the Harvard atlas {pair} pairs (case{'s' if len(names) > 1 else ''} {cases})"
    return f"{len(names)} subject(s): {', '.join(names[:4])}{', ...' if len(names) > 4 else ''}"


def describe(card: dict[str, Any]) -> str:
    """One line: the network's task, variant, profile, training data and weights file (shipped ones by name)."""
    from ivan_core.store import WEIGHTS

    path = Path(card["path"])
    weights = f"shipped weights {path.name}" if path.parent == WEIGHTS else f"weights {path}"
    return (f"{card['name']} network {card['variant']!r} ({card['profile']} profile), trained on {trained_on(card)}; "
            f"{weights}")
