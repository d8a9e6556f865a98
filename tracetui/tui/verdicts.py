"""How a verdict looks on screen: a short word or glyph, readable without colour.

Loss that a verdict explains away (a rate limit, a silent router) is drawn
quietly, so only real loss looks like an alarm.
"""

from __future__ import annotations

from rich.text import Text

from tracetui.diagnose.diagnosis import HopVerdict, Verdict
from tracetui.tui.palette import COLOUR, Palette

VERDICT_WIDTH = 12
"""The longest verdict shown (``~ ratelimit``) and a space after it."""

_SHOWN: dict[Verdict, tuple[str, str]] = {
    Verdict.OK: ("ok", "ok"),
    Verdict.RATE_LIMITED: ("~ ratelimit", "aside"),
    Verdict.LOSS_ORIGIN: ("▶ ORIGIN", "origin"),
    Verdict.LOSS_CARRIED: ("↓ carried", "carried"),
    Verdict.SILENT: ("silent", "aside"),
    Verdict.UNREACHABLE: ("✗ {code}", "unreachable"),
    Verdict.NO_REPLY: ("✗ no reply", "no_reply"),
    Verdict.PENDING: ("…", "aside"),
}
"""Each verdict's label, and the palette entry that styles it."""

QUIET_LOSS = frozenset({Verdict.RATE_LIMITED, Verdict.SILENT, Verdict.NO_REPLY})
"""Verdicts whose Loss% is not an alarm."""

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("ok", "answers, no loss worth mentioning"),
    (
        "~ ratelimit",
        "rate-limited: loses replies that later hops do not: the router limits "
        "the ICMP it sends; traffic through it is fine (pings confirm it)",
    ),
    (
        "▶ ORIGIN",
        "loss-origin: the first hop whose loss carries on to the destination: the "
        "trouble starts on the link into it, or in it",
    ),
    ("↓ carried", "loss-carried: loss inherited from the origin above"),
    ("silent", "never answers while later hops do: sends no time-exceeded; not a fault"),
    (
        "✗ !N !H !X !F",
        "unreachable: the path ends here with a refusal (network, host, "
        "administratively prohibited, fragmentation needed)",
    ),
    ("✗ no reply", "no-reply: past the last hop that answers, the target never does"),
    ("…", "pending: not enough probes yet to say anything with confidence"),
)


def verdict_text(verdict: HopVerdict | None, palette: Palette = COLOUR) -> Text:
    if verdict is None:
        return Text()
    label, entry = _SHOWN[verdict.verdict]
    return Text(label.format(code=verdict.code), style=getattr(palette, entry))
