"""What every report format shares: options and number formatting."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from tracetui.columns import LATENCY_ORDER
from tracetui.path.diagnosis import PathEvent


class ReportOptions(NamedTuple):
    show_names: bool = True
    show_asn: bool = False
    """mtr's -z: the AS number (the same as ``ipinfo=0``)."""
    show_ips: bool = False
    """mtr's -b: ``name (address)`` where a name is known."""
    wide: bool = False
    """mtr's -w: host names are not cut in the text report."""
    order: str = LATENCY_ORDER
    """mtr's -o: the statistics fields, by letter."""
    ipinfo: int | None = None
    """mtr's -y: which Team Cymru field to show before the host (0 AS ... 4 date)."""
    extra: bool = False
    """tracetui's verdicts and summary in the text report (--report-extra)."""
    mpls: bool = False
    """mtr's -e: MPLS label stacks under their hop (text report, raw stream)."""
    privacy_max_ttl: int = 0
    """Hops 1 to N and the source hidden (path/privacy.py), whatever the format."""

    @property
    def info_field(self) -> int | None:
        """The -y field shown, -z meaning the AS number; None for none."""
        if self.ipinfo is not None:
            return self.ipinfo
        return 0 if self.show_asn else None


def ms(value: float) -> float:
    """Milliseconds with microsecond precision, the unit of every machine-readable format."""
    return round(value, 3)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def event_record(event: PathEvent) -> dict[str, Any]:
    """A path event as the JSON report and --events write it (an alert's with its rule)."""
    record: dict[str, Any] = {
        "time": iso(event.at),
        "kind": event.kind,
        "hop": event.ttl,
        "message": event.message,
    }
    if event.alert is not None:
        record["alert"] = event.alert._asdict()
    return record


def mtr_start(moment: datetime) -> str:
    """mtr's ``Start:`` time: local time with its UTC offset."""
    return moment.astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
