"""Command line: mtr's option names where mtr has one, validated into a Config.

Every bad value ends the run with one line on stderr and exit status 2,
before any socket is opened.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import re
import signal
import sys
from typing import NoReturn

from tracetui import __version__
from tracetui.config import Config, DnsServer
from tracetui.exits import EXIT_FAILURE, EXIT_SIGNAL_BASE, EXIT_USAGE
from tracetui.probe.engine import ProbeSettings
from tracetui.probe.types import Family, ProbeMethod
from tracetui.report.formats import FORMATS
from tracetui.windows import MAX_WINDOW

_NEGATIVE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)
MAX_PACKET_SIZE = 10000


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _integer(low: int, high: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
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


def _seconds(low: float, high: float, what: str):
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


def _dns_server(text: str) -> DnsServer:
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
    return DnsServer(address, _integer(1, 65535, "DNS server port")(port))


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?$", re.IGNORECASE)
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}


def _duration(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``1h``: a window of recent statistics (at most an hour)."""
    found = _DURATION.match(text.strip())
    if not found:
        raise argparse.ArgumentTypeError(
            f"--window needs a duration such as 60s, 10m or 1h, not {text!r}"
        )
    unit = found.group(2).lower() if found.group(2) else None
    seconds = float(found.group(1)) * _UNIT_SECONDS[unit]
    if not 10 <= seconds <= MAX_WINDOW:
        raise argparse.ArgumentTypeError(f"--window must be between 10s and 1h, not {text}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tracetui",
        description="Continuous network path monitor: loss and latency of every hop, live.",
        epilog="Run without --report for the live screen. Raw sockets need root "
        "(sudo) or cap_net_raw; ICMP also works unprivileged where "
        "net.ipv4.ping_group_range allows it.",
    )
    parser.add_argument("host", nargs="?", help="host name or address to trace")
    parser.add_argument("--version", action="version", version=f"tracetui {__version__}")
    parser.add_argument("--demo", action="store_true", help="trace a simulated network (no root)")

    probes = parser.add_argument_group("probes")
    method = probes.add_mutually_exclusive_group()
    method.add_argument("-u", "--udp", action="store_true", help="UDP probes")
    method.add_argument("-T", "--tcp", action="store_true", help="TCP SYN probes")
    method.add_argument("-I", "--icmp", action="store_true", help="ICMP echo probes (default)")
    family = probes.add_mutually_exclusive_group()
    family.add_argument("-4", dest="ipv4", action="store_true", help="IPv4 only")
    family.add_argument("-6", dest="ipv6", action="store_true", help="IPv6 only")
    probes.add_argument(
        "-c", "--count", type=_integer(1, 10**9, "count"), help="rounds to send, then stop"
    )
    probes.add_argument(
        "-i",
        "--interval",
        type=_seconds(0.001, 3600, "interval"),
        default=1.0,
        help="seconds between rounds (default 1)",
    )
    probes.add_argument(
        "-f", "--first-ttl", type=_integer(1, 255, "first TTL"), default=1, help="first TTL (1)"
    )
    probes.add_argument(
        "-m", "--max-ttl", type=_integer(1, 255, "max TTL"), default=30, help="max TTL (30)"
    )
    probes.add_argument(
        "-w",
        "--timeout",
        type=_seconds(0.01, 60, "timeout"),
        default=2.0,
        help="seconds a probe may stay unanswered before it counts as lost (2)",
    )
    probes.add_argument(
        "-s",
        "--size",
        type=_integer(1, MAX_PACKET_SIZE, "packet size"),
        default=64,
        help="probe size in bytes, IP header included (64)",
    )
    probes.add_argument(
        "-P", "--port", type=_integer(1, 65535, "port"), help="UDP/TCP destination port"
    )
    probes.add_argument(
        "--max-unknown",
        type=_integer(1, 255, "max-unknown"),
        default=5,
        help="stop extending the path after this many silent hops in a row (5)",
    )
    probes.add_argument(
        "--vary-ports",
        action="store_true",
        help="change ports every probe like classic traceroute (default: one fixed flow, "
        "as Paris traceroute, so load balancers keep the path)",
    )

    probes.add_argument(
        "--no-triage",
        action="store_true",
        help="do not ping hops that look rate-limited to confirm it",
    )

    names = parser.add_argument_group("names")
    names.add_argument("-n", "--no-dns", action="store_true", help="show addresses, not names")
    names.add_argument("-z", "--aslookup", action="store_true", help="look up AS numbers")
    names.add_argument(
        "--dns-server",
        action="append",
        type=_dns_server,
        default=[],
        metavar="ADDR[:PORT]",
        help="ask this DNS server instead of the system's (repeatable)",
    )

    output = parser.add_argument_group("reports")
    output.add_argument(
        "-r", "--report", action="store_true", help="print a text report after --count rounds"
    )
    fmt = output.add_mutually_exclusive_group()
    fmt.add_argument("-j", "--json", action="store_true", help="report as JSON (mtr's shape)")
    fmt.add_argument("-C", "--csv", action="store_true", help="report as CSV")
    output.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    output.add_argument(
        "--window",
        type=_duration,
        metavar="DURATION",
        help="reports: statistics of the last DURATION only (10s to 1h; the live screen's "
        "key w cycles whole run / 10 min / 1 min)",
    )
    output.add_argument(
        "--events",
        metavar="FILE",
        help="append what changes on the path (routes, loss episodes, latency steps) to FILE "
        "as JSON Lines, as it happens",
    )
    output.add_argument(
        "--report-on-exit",
        choices=tuple(FORMATS),
        help="live screen: print a report in this format when it quits",
    )
    return parser


def _join_negative_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``-c -1`` becomes ``-c=-1``: argparse would read ``-1`` as an option (we have -4 and -6),
    and the user deserves "count must be between..." rather than "expected one argument"."""
    takes_value = {
        option
        for action in parser._actions
        if action.nargs is None and action.option_strings and action.type is not None
        for option in action.option_strings
    }
    out: list[str] = []
    for token in argv:
        if out and out[-1] in takes_value and _NEGATIVE.match(token) and token not in ("-4", "-6"):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def parse_config(argv: list[str] | None = None) -> Config:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(_join_negative_values(parser, argv))
    if args.demo and args.host:
        raise UsageError("--demo traces a simulated network and takes no HOST")
    if not args.demo and not args.host:
        raise UsageError("no HOST given (try 'tracetui --demo' for a simulated network)")
    if args.first_ttl > args.max_ttl:
        raise UsageError(f"first TTL ({args.first_ttl}) is above max TTL ({args.max_ttl})")
    method = ProbeMethod.UDP if args.udp else ProbeMethod.TCP if args.tcp else ProbeMethod.ICMP
    if args.port is not None and method is ProbeMethod.ICMP:
        raise UsageError("-P/--port applies to UDP (-u) and TCP (-T) probes only")
    report_format = "json" if args.json else "csv" if args.csv else None
    if report_format is None and (args.report or args.output is not None):
        report_format = "text"
    if report_format is not None and args.report_on_exit:
        raise UsageError("--report-on-exit is for the live screen, not with a report")
    count = args.count
    if report_format is not None and count is None:
        count = 10
    if args.output is not None:
        _check_output(args.output, "-o")
    if args.events is not None:
        _check_output(args.events, "--events")
    family = Family.V4 if args.ipv4 else Family.V6 if args.ipv6 else None
    settings = ProbeSettings(
        method=method,
        first_ttl=args.first_ttl,
        max_ttl=args.max_ttl,
        interval=args.interval,
        timeout=args.timeout,
        count=count,
        size=args.size,
        port=args.port,
        max_unknown=args.max_unknown,
        vary_ports=args.vary_ports,
    )
    return Config(
        host=args.host,
        settings=settings,
        family=family,
        demo=args.demo,
        report_format=report_format,
        output=args.output,
        names=not args.no_dns,
        aslookup=args.aslookup,
        dns_servers=tuple(args.dns_server),
        report_on_exit=args.report_on_exit,
        triage=not args.no_triage,
        events_file=args.events,
        window=args.window,
    )


def _check_output(path: str, option: str) -> None:
    """Catch a hopeless file name before probing for minutes; the writes still handle errors."""
    parent = os.path.dirname(path) or "."
    try:
        if not path or os.path.isdir(path):
            raise UsageError(f"{option} needs a file name, and {path!r} is a directory")
        os.stat(parent)
    except FileNotFoundError:
        raise UsageError(f"cannot write {path}: directory {parent} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def main(argv: list[str] | None = None) -> int:
    try:
        config = parse_config(argv)
    except UsageError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from tracetui.startup import SetupError

    try:
        if config.headless:
            from tracetui.headless import run_report

            return run_report(config)
        from tracetui.launch import run_app

        return run_app(config)
    except SetupError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_SIGNAL_BASE + signal.SIGINT
