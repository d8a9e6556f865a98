"""What each option's value may be: parsers that turn text into a value or one clear line."""

from __future__ import annotations

import argparse
import ipaddress
import math
import re
from collections.abc import Callable

from tracetui.columns import COLUMNS
from tracetui.path.history import MAX_WINDOW
from tracetui.settings.config import DnsServer, ListenAddress

NEGATIVE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)


ENVIRONMENT = "TRACETUI_OPTIONS"
"""Defaults under the command line, as mtr's MTR_OPTIONS."""


class UsageError(Exception):
    pass


def integer_between(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text, 0) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number, not {text!r}"
            ) from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{what} must be between {low} and {high}, not {value}"
            )
        return value

    return parse


def confidence_percent(text: str) -> int:
    """The MDA's published stopping points exist for 95 and 99 %."""
    if text.strip().rstrip("%") not in ("95", "99"):
        raise argparse.ArgumentTypeError(f"confidence must be 95 or 99, not {text!r}")
    return int(text.strip().rstrip("%"))


def seconds_between(low: float, high: float, what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a number of seconds, not {text!r}"
            ) from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{what} must be between {low:g} and {high:g} seconds, not {text}"
            )
        return value

    return parse


def dns_server_value(text: str) -> DnsServer:
    """ADDR, ADDR:PORT, [V6ADDR]:PORT or a bare IPv6 address."""
    host, port = text, "53"
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise argparse.ArgumentTypeError(f"not a DNS server address: {text!r}")
        port = rest[1:] or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--dns-server needs an IP address (optionally :PORT), not {text!r}"
        ) from None
    return DnsServer(address, integer_between(1, 65535, "DNS server port")(port))


def source_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"-a/--address needs an IP address of this host, not {text!r}"
        ) from None


def interface_name(text: str) -> str:
    if not text or len(text) > 15 or "/" in text or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(f"-I/--interface needs an interface name, not {text!r}")
    return text


def field_order(text: str) -> str:
    """mtr's field letters; a space is mtr's spacer."""
    unknown = sorted({letter for letter in text if letter != " " and letter not in COLUMNS})
    if unknown or not text.strip():
        known = "".join(COLUMNS)
        raise argparse.ArgumentTypeError(
            f"-o/--order takes mtr's field letters ({known}, space), not {text!r}"
        )
    return text


DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?$", re.IGNORECASE)


UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}


def alert_rule(text: str) -> str:
    """``loss>5% for 60s`` and the like (diagnose/alerts.py), in its canonical form."""
    from tracetui.diagnose.alerts import parse_rule

    try:
        return parse_rule(text).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def webhook_url(text: str) -> str:
    """An http:// or https:// URL with a host."""
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"--alert-webhook needs an http:// or https:// URL, not {text!r}"
        )
    return text


def window_duration(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``1h``: a window of recent statistics (at most an hour)."""
    found = DURATION.match(text.strip())
    if not found:
        raise argparse.ArgumentTypeError(
            f"--window needs a duration such as 60s, 10m or 1h, not {text!r}"
        )
    unit = found.group(2).lower() if found.group(2) else None
    seconds = float(found.group(1)) * UNIT_SECONDS[unit]
    if not 10 <= seconds <= MAX_WINDOW:
        raise argparse.ArgumentTypeError(f"--window must be between 10s and 1h, not {text}")
    return seconds


def byte_size(text: str) -> int:
    from tracetui.recording.recorder import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


AGENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,62}")


def agent_name(text: str) -> str:
    """--agent: a short name that reads well in a label (letters, digits, . _ : -)."""
    if not AGENT_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"--agent takes a name of letters, digits and . _ : - (at most 63), not {text!r}"
        )
    return text


def listen_address(text: str) -> ListenAddress:
    address, _, port = text.rpartition(":")
    address = address.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"wants [ADDR:]PORT with a port from 1 to 65535: {text!r}")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP address to listen on: {address!r}") from None
    return ListenAddress(address, int(port))


def speed_factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.01 <= value <= 10000:
        raise argparse.ArgumentTypeError(f"replay speed must be between 0.01 and 10000: {text!r}")
    return value
