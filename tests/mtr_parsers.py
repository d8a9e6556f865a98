"""Parsers written against mtr 0.95's output, as scripts in the wild read it.

They know nothing of tracetui: the point is that they read tracetui's output too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any

HOP_LINE = re.compile(
    r"^\s*(?P<hop>\d+)\.\|--\s+(?P<host>\S+(?: \(\S+\))?)\s+(?P<loss>\d+\.\d+)%?\s+"
    r"(?P<snt>\d+)\s+(?P<last>\d+\.\d+)\s+(?P<avg>\d+\.\d+)\s+(?P<best>\d+\.\d+)\s+"
    r"(?P<wrst>\d+\.\d+)\s+(?P<stdev>\d+\.\d+)"
)
"""The usual regex for ``mtr -r`` hop lines (default fields)."""

MTR_CSV_FIELDS = (
    "Mtr_Version",
    "Start_Time",
    "Status",
    "Host",
    "Hop",
    "Ip",
    "Loss%",
    "Snt",
    " ",
    "Last",
    "Avg",
    "Best",
    "Wrst",
    "StDev",
)


def parse_text(text: str) -> list[dict[str, str]]:
    return [m.groupdict() for line in text.splitlines() if (m := HOP_LINE.match(line))]


@dataclass
class MtrInfo:
    src: str
    dst: str
    tos: int
    tests: int
    psize: str
    bitpattern: str


@dataclass
class MtrHub:
    count: int
    host: str
    Snt: int
    Last: float
    Avg: float
    Best: float
    Wrst: float
    StDev: float


@dataclass
class MtrReport:
    mtr: MtrInfo
    hubs: list[MtrHub]


def _typed(cls, data: dict[str, Any]):
    """Like a Go struct or a pydantic model: every field present, with mtr's exact type."""
    values = {}
    for field in fields(cls):
        value = data[field.name]
        expected = {"int": int, "str": str, "float": float}[field.type]
        if expected is float:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise TypeError(f"{field.name}: {value!r} is not a number")
        elif type(value) is not expected:
            raise TypeError(f"{field.name}: {value!r} is not {field.type}")
        values[field.name] = value
    return cls(**values)


def parse_json_typed(text: str) -> MtrReport:
    report = json.loads(text)["report"]
    loss = [hub["Loss%"] for hub in report["hubs"]]
    if not all(isinstance(value, int | float) for value in loss):
        raise TypeError("Loss% is not a number")
    return MtrReport(
        _typed(MtrInfo, report["mtr"]), [_typed(MtrHub, hub) for hub in report["hubs"]]
    )


RAW_LINE = re.compile(r"^(?P<kind>[xhpd]) (?P<hop>\d+) (?P<rest>.+)$")


def mtr_s_bit(line: str) -> str:
    """An ``-e`` line as mtr 0.95 would mean it: it prints the S bit with ``%cu`` (the raw
    byte, then a ``u``); tracetui prints the digit."""
    return line.replace("S \x00u", "S 0").replace("S \x01u", "S 1")


def parse_raw(text: str) -> list[tuple]:
    out: list[tuple] = []
    for line in text.splitlines():
        found = RAW_LINE.match(line)
        if found is None:
            raise ValueError(f"not an mtr raw line: {line!r}")
        out.append((found["kind"], int(found["hop"]), *found["rest"].split(" ")))
    return out


SPLIT_LINE = re.compile(
    r"^(?:-(?P<gone>\d+)|(?P<hop>\d+) (?:\?\?\?|(?P<host>\S+)(?: (?P<ip>\S+))? "
    r"(?P<loss>\d+) (?P<rcv>\d+) (?P<snt>\d+) (?P<best>\d+) (?P<avg>\d+) (?P<worst>\d+)))$"
)


def parse_split(text: str) -> list[dict[str, str | None]]:
    """mtr -p: ``HOP HOST [IP] LOSS RCV SNT BEST AVG WORST``, ``HOP ???`` or ``-HOP``."""
    out: list[dict[str, str | None]] = []
    for line in text.splitlines():
        found = SPLIT_LINE.match(line)
        if found is None:
            raise ValueError(f"not an mtr split line: {line!r}")
        out.append(found.groupdict())
    return out
