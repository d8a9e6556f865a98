"""The probing settings a running trace may change (mtr's i f m s Q b keys), in one table.

The live screen's settings dialog, the engine's check and the recording's
timeline read this table, so the rules stay the command line's: the same
ranges, the same one-line messages. ``fresh`` marks the settings that change
what a probe measures (a bigger packet takes longer on every link; another TOS
may ride another queue): changing one starts new statistics, because numbers
from before and after would mix. The others change how often or how far the
path is probed, not what one probe says, so the statistics carry on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, cast

from tracetui.probe.types import Family, ProbeSettings

MAX_PACKET_SIZE = 10000
MAX_TTL = 255


def _whole(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        text = text.strip()
        try:
            value = int(text, 0) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise ValueError(f"{what} must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise ValueError(f"{what} must be between {low} and {high}, not {value}")
        return value

    return parse


def _seconds(low: float, high: float, what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text.strip().removesuffix("s"))
        except ValueError:
            raise ValueError(f"{what} must be a number of seconds, not {text!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"{what} must be between {low:g} and {high:g} seconds, not {text}")
        return value

    return parse


class Tunable(NamedTuple):
    field: str
    """The ProbeSettings field it sets."""
    key: str
    """mtr's key for it on the live screen ('' where mtr has none)."""
    label: str
    """As the settings dialog labels it."""
    name: str
    """As a sentence says it."""
    unit: str
    parse: Callable[[str], int | float]
    fresh: bool
    """Changing it starts new statistics (see the module docstring)."""
    hint: str


TUNABLES: dict[str, Tunable] = {
    t.field: t
    for t in (
        Tunable(
            "interval",
            "i",
            "Interval",
            "interval",
            "s",
            _seconds(0.001, 3600, "interval"),
            False,
            "seconds between rounds",
        ),
        Tunable(
            "first_ttl",
            "f",
            "First TTL",
            "first TTL",
            "",
            _whole(1, MAX_TTL, "first TTL"),
            False,
            "hops before it are not probed",
        ),
        Tunable(
            "max_ttl",
            "m",
            "Max TTL",
            "max TTL",
            "",
            _whole(1, MAX_TTL, "max TTL"),
            False,
            "the farthest hop",
        ),
        Tunable(
            "size",
            "s",
            "Packet size",
            "packet size",
            "B",
            _whole(1, MAX_PACKET_SIZE, "packet size"),
            True,
            "bytes on the wire, IP header included",
        ),
        Tunable(
            "tos", "Q", "TOS", "TOS", "", _whole(0, 255, "TOS"), True, "IP TOS / traffic class byte"
        ),
        Tunable(
            "pattern",
            "b",
            "Bit pattern",
            "bit pattern",
            "",
            _whole(0, 255, "bit pattern"),
            False,
            "the byte that fills the payload",
        ),
        Tunable(
            "max_unknown",
            "",
            "Max unknown",
            "max unknown",
            "",
            _whole(1, MAX_TTL, "max unknown"),
            False,
            "silent hops probed past the last reply",
        ),
    )
}


def parse_changes(texts: Mapping[str, str]) -> dict[str, int | float]:
    """Each field's text as a value; ValueError with the first bad one's message."""
    return {field: TUNABLES[field].parse(text) for field, text in texts.items()}


def apply_changes(
    settings: ProbeSettings, changes: Mapping[str, int | float], family: Family
) -> ProbeSettings:
    """``settings`` with ``changes``, checked as a whole as the command line checks it."""
    unknown = sorted(set(changes) - set(TUNABLES))
    if unknown:
        raise ValueError(f"not a setting that can change while running: {', '.join(unknown)}")
    for field, value in changes.items():
        TUNABLES[field].parse(str(value))  # the same range whoever asks
    new = settings._replace(**cast("dict[str, Any]", dict(changes)))
    if new.first_ttl > new.max_ttl:
        raise ValueError(f"first TTL ({new.first_ttl}) is above max TTL ({new.max_ttl})")
    from tracetui.probe.methods import min_packet_size  # codecs: not on --help's way

    smallest = min_packet_size(family, new.method)
    if new.size < smallest:
        raise ValueError(
            f"packet size {new.size} is too small for {new.method.upper()} over "
            f"IPv{int(family)} (at least {smallest})"
        )
    return new


def changed_fields(before: ProbeSettings, after: ProbeSettings) -> tuple[str, ...]:
    return tuple(f for f in TUNABLES if getattr(before, f) != getattr(after, f))


def starts_afresh(before: ProbeSettings, after: ProbeSettings) -> bool:
    return any(TUNABLES[f].fresh for f in changed_fields(before, after))


def show_value(field: str, value: float) -> str:
    unit = TUNABLES[field].unit
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}" if unit else text


def describe(before: ProbeSettings, after: ProbeSettings) -> str:
    """'interval 1 s → 0.5 s, max TTL 30 → 12', as the events and the screen say it."""
    parts = []
    for field in changed_fields(before, after):
        old, new = getattr(before, field), getattr(after, field)
        parts.append(f"{TUNABLES[field].name} {show_value(field, old)} → {show_value(field, new)}")
    return ", ".join(parts)
