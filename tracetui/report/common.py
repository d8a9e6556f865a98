"""What every report format shares: options and number formatting."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class ReportOptions(NamedTuple):
    show_names: bool = True
    show_asn: bool = False


def ms(value: float) -> float:
    """Milliseconds with microsecond precision, the unit of every machine-readable format."""
    return round(value, 3)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
