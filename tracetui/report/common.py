"""What every report format shares: options, host labels, number formatting."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from tracetui.snapshot import HopView, ResponderView
from tracetui.textsafe import printable

UNKNOWN_HOST = "???"


class ReportOptions(NamedTuple):
    show_names: bool = True
    show_asn: bool = False


def ms(value: float) -> float:
    """Milliseconds with microsecond precision, the unit of every machine-readable format."""
    return round(value, 3)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def responder_label(responder: ResponderView, options: ReportOptions) -> str:
    """``name (address)`` when a name is known and wanted, else the address."""
    name = responder.hostname if options.show_names else None
    if name and name != responder.address:
        return f"{printable(name)} ({responder.address})"
    return responder.address


def hop_label(hop: HopView, options: ReportOptions) -> str:
    primary = hop.primary
    return responder_label(primary, options) if primary else UNKNOWN_HOST


def asn_label(responder: ResponderView | None) -> str:
    if responder is None or responder.names.asn is None:
        return "AS???"
    return f"AS{responder.names.asn}"
