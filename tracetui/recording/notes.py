"""What a recording says besides its packets, as text: written by the recorder, read by replay.

Three kinds of note, all untrusted on the way back in (a recording is a file a
stranger may hand over), so every reader here checks types and ranges and
raises :class:`RecordingError` with one line rather than anything else:

- the header (the section header's comment): target, local identity, probe
  settings, socket mode, start time; without it the engine could not build the
  same probes again;
- a packet comment per probe and per reply: the engine clock's moment of the
  send or read, the send stamp taken before ``sendmsg``, whether the packet's
  own timestamp is the kernel's transmit stamp; one line a person can read in
  Wireshark (``tracetui probe udp ttl=3 ...``);
- timeline records (custom blocks): commands (method switch, reset, pause),
  packets the transport could not parse, the end of the run.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from types import UnionType
from typing import Any, NamedTuple

from tracetui.path.snapshot import NameInfo
from tracetui.probe.codec import LocalIdentity
from tracetui.probe.engine import ProbeSettings
from tracetui.probe.types import Family, ProbeMethod
from tracetui.textsafe import printable

FORMAT = "tracetui-recording/1"
HEADER_PREFIX = "tracetui recording; replay with: tracetui --replay FILE\n"
MAX_TTL = 255


class RecordingError(Exception):
    """The file is not a recording tracetui can replay; one line why."""


class RecordingHeader(NamedTuple):
    version: str
    target_name: str
    target: str
    family: Family
    identity: LocalIdentity
    settings: ProbeSettings
    methods: frozenset[ProbeMethod]
    raw_sockets: bool
    started_ns: int
    """Wall clock (ns since the epoch) when the engine started."""
    started_at: float
    """The engine clock then: packet notes count from the same clock."""
    local_host: str
    shown_start: datetime
    """When the recorded run's statistics began, as its screen and report showed it."""
    engine_at: float
    """The engine clock when the engine was built: its rounds are scheduled from there."""


class ProbeNote(NamedTuple):
    method: ProbeMethod | None
    """None for a triage echo request."""
    ttl: int
    at: float
    sent_ns: int
    kernel_stamp: bool
    """Whether the packet's timestamp is the kernel's transmit stamp (else ``sent_ns``)."""
    errno: int = 0
    """Non-zero: the kernel refused the send with this error; the packet never left."""
    address: str = ""
    """Where a triage echo went."""


class ReplyNote(NamedTuple):
    at: float
    raw: bool
    """Read from a raw socket as is; else rebuilt from what a socket error queue said."""


class TimelineRecord(NamedTuple):
    at: float
    event: str
    """'method', 'reset', 'pause', 'settings' (every tunable's value after a change, as a JSON
    object of strings), 'malformed', 'name' (a name the run showed) or 'end'."""
    value: str = ""
    count: int = 0  # type: ignore[assignment]  # mypy: shadows tuple.count


TIMELINE_EVENTS = frozenset({"method", "reset", "pause", "settings", "malformed", "name", "end"})


def _header_fields(header: RecordingHeader) -> dict[str, Any]:
    s = header.settings
    return {
        "format": FORMAT,
        "tracetui": header.version,
        "target_name": header.target_name,
        "target": header.target,
        "family": int(header.family),
        "identity": header.identity._asdict(),
        "settings": {**s._asdict(), "method": str(s.method)},
        "methods": sorted(str(m) for m in header.methods),
        "raw_sockets": header.raw_sockets,
        "started_ns": header.started_ns,
        "started_at": header.started_at,
        "local_host": header.local_host,
        "shown_start": header.shown_start.isoformat(),
        "engine_at": header.engine_at,
    }


def header_text(header: RecordingHeader) -> str:
    return HEADER_PREFIX + json.dumps(_header_fields(header), sort_keys=True)


def _need(data: dict[str, Any], key: str, kind: type | UnionType) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise RecordingError(f"the recording's header has no valid {key!r}")
    return value


def _method(value: Any) -> ProbeMethod:
    try:
        return ProbeMethod(value)
    except ValueError:
        raise RecordingError(f"the recording names an unknown probe method {value!r}") from None


def _settings(data: Any) -> ProbeSettings:
    if not isinstance(data, dict):
        raise RecordingError("the recording's header has no probe settings")
    defaults = ProbeSettings()
    values: dict[str, Any] = {}
    for name in ProbeSettings._fields:
        if name not in data:
            continue
        value = data[name]
        default = getattr(defaults, name)
        if name == "method":
            values[name] = _method(value)
        elif name in ("count", "port", "grace") and value is None:
            values[name] = None
        elif isinstance(default, bool) or name == "vary_ports":
            if not isinstance(value, bool):
                raise RecordingError(f"the recording's setting {name!r} is not true or false")
            values[name] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value) or value < 0 or value > 1e9:
                raise RecordingError(f"the recording's setting {name!r} is out of range")
            wants_int = name not in ("interval", "timeout", "grace", "multipath")
            if wants_int and value != int(value):
                raise RecordingError(f"the recording's setting {name!r} is not a whole number")
            values[name] = int(value) if wants_int else float(value)
        else:
            raise RecordingError(f"the recording's setting {name!r} is not a number")
    settings = defaults._replace(**values)
    if not 1 <= settings.first_ttl <= settings.max_ttl <= MAX_TTL:
        raise RecordingError("the recording's TTL range is not valid")
    if settings.interval <= 0 or settings.timeout <= 0:
        raise RecordingError("the recording's interval and timeout must be positive")
    return settings


def _identity(data: Any) -> LocalIdentity:
    if not isinstance(data, dict):
        raise RecordingError("the recording's header has no local identity")
    source = _need(data, "source", str)
    numbers = []
    for name, bits in (("icmp_ident", 16), ("udp_port", 16), ("tcp_port", 16), ("isn_base", 32)):
        value = _need(data, name, int)
        if not 0 <= value < 1 << bits:
            raise RecordingError(f"the recording's {name} is out of range")
        numbers.append(value)
    return LocalIdentity(source, *numbers)


def parse_header(text: str) -> RecordingHeader:
    if not text.startswith(HEADER_PREFIX):
        raise RecordingError("not a tracetui recording (its section header says nothing of one)")
    try:
        data = json.loads(text[len(HEADER_PREFIX) :])
    except (ValueError, RecursionError):
        raise RecordingError("the recording's header is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordingError(f"not a recording this tracetui reads (format {FORMAT} expected)")
    family_number = _need(data, "family", int)
    if family_number not in (4, 6):
        raise RecordingError("the recording's address family is neither 4 nor 6")
    methods = data.get("methods")
    if not isinstance(methods, list) or not methods:
        raise RecordingError("the recording's header lists no probe methods")
    started_at = _need(data, "started_at", int | float)
    if not math.isfinite(started_at):
        raise RecordingError("the recording's start time is not a number")
    return RecordingHeader(
        version=_need(data, "tracetui", str),
        target_name=_need(data, "target_name", str),
        target=_need(data, "target", str),
        family=Family(family_number),
        identity=_identity(data.get("identity")),
        settings=_settings(data.get("settings")),
        methods=frozenset(_method(m) for m in methods),
        raw_sockets=_need(data, "raw_sockets", bool),
        started_ns=_need(data, "started_ns", int),
        started_at=float(started_at),
        local_host=_need(data, "local_host", str),
        shown_start=_moment(_need(data, "shown_start", str)),
        engine_at=_finite(_need(data, "engine_at", int | float), "engine start"),
    )


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise RecordingError(f"the recording's {what} is not a number")
    return float(value)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RecordingError("the recording's start time is not a date") from None
    if moment.tzinfo is None:
        raise RecordingError("the recording's start time has no time zone")
    return moment


# ------------------------------------------------------------------ packet notes
def probe_comment(note: ProbeNote) -> str:
    if note.method is None:
        words = ["tracetui echo", f"to={note.address}"]
    else:
        words = [f"tracetui probe {note.method}", f"ttl={note.ttl}"]
    words += [f"at={note.at:.9f}", f"sent={note.sent_ns}"]
    if note.kernel_stamp:
        words.append("stamp=kernel")
    if note.errno:
        words.append(f"not-sent={note.errno}")
    return " ".join(words)


def reply_comment(note: ReplyNote) -> str:
    return f"tracetui reply at={note.at:.9f}" + ("" if note.raw else " rebuilt")


def _fields(words: list[str]) -> dict[str, str]:
    fields = {}
    for word in words:
        key, sep, value = word.partition("=")
        fields[key] = value if sep else ""
    return fields


def _number(fields: dict[str, str], key: str, kind: type) -> Any:
    try:
        value = kind(fields[key])
    except (KeyError, ValueError):
        raise RecordingError(f"a packet note has no valid {key!r}") from None
    if kind is float and not math.isfinite(value):
        raise RecordingError(f"a packet note has no valid {key!r}")
    return value


def parse_comment(comment: str) -> ProbeNote | ReplyNote | None:
    """The note of a packet; None for a packet tracetui did not comment (not ours)."""
    words = comment.split()
    if len(words) < 2 or words[0] != "tracetui":
        return None
    kind = words[1]
    if kind == "reply":
        fields = _fields(words[2:])
        return ReplyNote(_number(fields, "at", float), "rebuilt" not in fields)
    if kind == "echo":
        fields = _fields(words[2:])
        method = None
        ttl = 0
    elif kind == "probe" and len(words) > 2:
        method = _method(words[2])
        fields = _fields(words[3:])
        ttl = _number(fields, "ttl", int)
        if not 1 <= ttl <= MAX_TTL:
            raise RecordingError("a probe note has a TTL out of range")
    else:
        return None
    errno = _number(fields, "not-sent", int) if "not-sent" in fields else 0
    return ProbeNote(
        method,
        ttl,
        _number(fields, "at", float),
        _number(fields, "sent", int),
        fields.get("stamp") == "kernel",
        errno,
        fields.get("to", ""),
    )


# --------------------------------------------------------------------- timeline
def timeline_text(record: TimelineRecord) -> str:
    return json.dumps(record._asdict(), sort_keys=True)


def parse_timeline(text: str) -> TimelineRecord:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise RecordingError("a timeline record of the recording is not valid JSON") from None
    if not isinstance(data, dict):
        raise RecordingError("a timeline record of the recording is not an object")
    at, event = data.get("at"), data.get("event")
    value, count = data.get("value", ""), data.get("count", 0)
    if (
        not isinstance(at, int | float)
        or isinstance(at, bool)
        or not math.isfinite(at)
        or event not in TIMELINE_EVENTS
        or not isinstance(value, str)
        or not isinstance(count, int)
        or isinstance(count, bool)
        or not 0 <= count < 1 << 32
    ):
        raise RecordingError("a timeline record of the recording is not valid")
    return TimelineRecord(float(at), event, value, count)


# ------------------------------------------------------------------------ names
def name_value(address: str, info: NameInfo) -> str:
    return json.dumps([address, *info])


def parse_name(value: str) -> tuple[str, NameInfo]:
    """A recorded name, made display-safe again: a recording is somebody else's file."""
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise RecordingError("a recorded name is not valid JSON") from None
    # fields are only ever added at the end (city came later): an older file has fewer
    if not isinstance(data, list) or not 2 <= len(data) <= 1 + len(NameInfo._fields):
        raise RecordingError("a recorded name is not valid")
    address, *fields = data
    if not isinstance(address, str):
        raise RecordingError("a recorded name has no address")
    values: list[Any] = []
    for name, field in zip(NameInfo._fields, fields, strict=False):
        if field is None:
            values.append(None)
        elif name == "asn" and isinstance(field, int) and not isinstance(field, bool):
            values.append(field if 0 <= field < 1 << 32 else None)
        elif name != "asn" and isinstance(field, str):
            values.append(printable(field))
        else:
            raise RecordingError("a recorded name is not valid")
    return printable(address, 64), NameInfo(*values)
