"""How a verdict looks on screen: a short word or glyph, readable without colour.

Loss that a verdict explains away (a rate limit, a silent router) is drawn
quietly, so only real loss looks like an alarm.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text

from tracetui.path.diagnosis import BranchVerdict, HopVerdict, Verdict
from tracetui.path.snapshot import Multipath
from tracetui.probe.mda import HopBranches
from tracetui.tui.palette import COLOUR, Palette

VERDICT_WIDTH = 12
"""The longest verdict shown (``~ ratelimit``) and a space after it."""


class VerdictLook(NamedTuple):
    label: str
    """As the Verdict column shows it (``{code}``: the refusal's, as traceroute marks it)."""
    style: str
    """The palette entry that styles it."""
    quiet: bool
    """Its Loss% is no alarm: drawn quietly."""
    meaning: str
    """The help screen's glossary entry."""
    glossary_label: str = ""
    """How the glossary shows it when the label alone would not do (the refusal codes)."""

    @property
    def legend(self) -> str:
        return self.glossary_label or self.label


LOOKS: dict[Verdict, VerdictLook] = {
    Verdict.OK: VerdictLook("ok", "ok", False, "answers, no loss worth mentioning"),
    Verdict.RATE_LIMITED: VerdictLook(
        "~ ratelimit",
        "aside",
        True,
        "rate-limited: loses replies that later hops do not: the router limits "
        "the ICMP it sends; traffic through it is fine (pings confirm it)",
    ),
    Verdict.LOSS_ORIGIN: VerdictLook(
        "▶ ORIGIN",
        "origin",
        False,
        "loss-origin: the first hop whose loss carries on to the destination: the "
        "trouble starts on the link into it, or in it",
    ),
    Verdict.LOSS_CARRIED: VerdictLook(
        "↓ carried",
        "carried",
        False,
        "loss-carried: loss inherited from the origin above",
    ),
    Verdict.SILENT: VerdictLook(
        "silent",
        "aside",
        True,
        "never answers while later hops do: sends no time-exceeded; not a fault",
    ),
    Verdict.UNREACHABLE: VerdictLook(
        "✗ {code}",
        "unreachable",
        False,
        "unreachable: the path ends here with a refusal (network, host, "
        "administratively prohibited, fragmentation needed)",
        "✗ !N !H !X !F",
    ),
    Verdict.NO_REPLY: VerdictLook(
        "✗ no reply",
        "no_reply",
        True,
        "no-reply: past the last hop that answers, the target never does",
    ),
    Verdict.PENDING: VerdictLook(
        "…", "aside", False, "pending: not enough probes yet to say anything with confidence"
    ),
}
"""Every verdict's look, one row each (tests/test_closed_sets.py fails on a missing row)."""

QUIET_LOSS = frozenset(verdict for verdict, look in LOOKS.items() if look.quiet)
"""Verdicts whose Loss% is not an alarm."""

GLOSSARY: tuple[tuple[str, str], ...] = tuple(
    (look.legend, look.meaning) for look in LOOKS.values()
)


def verdict_text(verdict: HopVerdict | None, palette: Palette = COLOUR) -> Text:
    if verdict is None:
        return Text()
    look = LOOKS[verdict.verdict]
    return Text(look.label.format(code=verdict.code), style=getattr(palette, look.style))


BRANCH_LOOKS: dict[str, tuple[str, str]] = {
    "ok": ("ok", "ok"),
    "loss": ("▶ branch", "origin"),
    "carried": ("↓ carried", "carried"),
    "shared": ("= hop", "aside"),
    "unknown": ("…", "aside"),
}
"""A branch's verdict (diagnose/branches.py) as its row under the hop shows it."""


def branch_verdict_text(verdict: BranchVerdict | None, palette: Palette = COLOUR) -> Text:
    if verdict is None:
        return Text()
    label, style = BRANCH_LOOKS[verdict.verdict]
    return Text(label, style=getattr(palette, style))


def branches_mark(found: HopBranches, multipath: Multipath | None) -> str:
    """Beside a balanced hop: how many next hops, and how sure (∥3 95%, ∥2 per packet)."""
    count = len(found.interfaces)
    if found.per_packet:
        return f"∥{count} per packet"
    if multipath is None or not found.confident:
        return f"∥{count}+"
    return f"∥{count} {multipath.confidence * 100:.0f}%"
