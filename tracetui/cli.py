"""Command line: mtr 0.95's options with mtr's letters, names and meanings, plus tracetui's own.

Defaults come from, in rising precedence: built-in values, the config file
(``$XDG_CONFIG_HOME/tracetui/config.toml`` or ``--config FILE``), the
``TRACETUI_OPTIONS`` environment variable (like mtr's ``MTR_OPTIONS``), and
the command line. Every bad value ends the run with one line on stderr and
exit status 2, before any socket is opened.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import re
import shlex
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from tracetui import __version__
from tracetui.columns import COLUMNS, LATENCY_ORDER
from tracetui.exits import EXIT_FAILURE, EXIT_OK, EXIT_SIGNAL_BASE, EXIT_USAGE
from tracetui.path.windows import MAX_WINDOW
from tracetui.probe.engine import ProbeSettings
from tracetui.probe.types import Family, ProbeMethod, SocketOptions
from tracetui.report.formats import FORMATS
from tracetui.settings.config import Config, DnsServer, ListenAddress, TargetOptions
from tracetui.textsafe import printable

if TYPE_CHECKING:
    from tracetui.settings.config_file import ConfigFile

_NEGATIVE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)
MAX_PACKET_SIZE = 10000
ENVIRONMENT = "TRACETUI_OPTIONS"
EXTRA = "[tracetui] "
"""Marks, in --help, what mtr does not have."""
IPINFO = ("AS number", "IP prefix", "country code", "registry", "allocation date")
NEVER = {
    "gtk": "-g/--gtk: tracetui has no GTK interface; its screen runs in the terminal",
    "sctp": "-S/--sctp: tracetui does not probe with SCTP; use -u (UDP) or -T (TCP)",
}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _integer(low: int, high: int, what: str) -> Callable[[str], int]:
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


def _seconds(low: float, high: float, what: str) -> Callable[[str], float]:
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


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"-a/--address needs an IP address of this host, not {text!r}"
        ) from None


def _interface(text: str) -> str:
    if not text or len(text) > 15 or "/" in text or not text.isprintable() or " " in text:
        raise argparse.ArgumentTypeError(f"-I/--interface needs an interface name, not {text!r}")
    return text


def _order(text: str) -> str:
    """mtr's field letters; a space is mtr's spacer."""
    unknown = sorted({letter for letter in text if letter != " " and letter not in COLUMNS})
    if unknown or not text.strip():
        known = "".join(COLUMNS)
        raise argparse.ArgumentTypeError(
            f"-o/--order takes mtr's field letters ({known}, space), not {text!r}"
        )
    return text


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


class _Refuse(argparse.Action):
    """An mtr option tracetui cannot honour (yet): one clear line, exit 2."""

    def __init__(
        self, option_strings: Sequence[str], dest: str, reason: str, **kwargs: Any
    ) -> None:
        kwargs.setdefault("nargs", 0)
        super().__init__(option_strings, dest, **kwargs)
        self.reason = reason

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        raise UsageError(self.reason)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tracetui",
        usage="tracetui [options] HOST",
        description="Continuous network path monitor: loss and latency of every hop, live, "
        "with a verdict for each hop. mtr's options work with mtr's letters and meanings; "
        f"options marked {EXTRA.strip()} are tracetui's own.",
        epilog=f"Defaults can be set in $XDG_CONFIG_HOME/tracetui/config.toml (long option "
        f"names as keys) and in ${ENVIRONMENT} (like MTR_OPTIONS); the command line wins. "
        "Run without a report option for the live screen. Raw sockets need root: with a "
        'venv, pipx or uv install, run  sudo "$(command -v tracetui)" HOST . ICMP also works '
        "unprivileged where net.ipv4.ping_group_range allows it.",
        add_help=False,
    )
    parser.add_argument(
        "host",
        nargs="*",
        metavar="HOST",
        help="host name or address to trace (several: one tab each on the live screen)",
    )

    target = parser.add_argument_group("target and path (mtr)")
    target.add_argument(
        "-F",
        "--filename",
        metavar="FILE",
        help="read hostname(s) from a file (one per line, optionally with its own -u, -T, "
        "--icmp and -P PORT; # starts a comment)",
    )
    target.add_argument(
        "-4",
        "--ipv4",
        dest="family",
        action="store_const",
        const=Family.V4,
        help="use IPv4 only",
    )
    target.add_argument(
        "-6",
        "--ipv6",
        dest="family",
        action="store_const",
        const=Family.V6,
        help="use IPv6 only",
    )
    target.add_argument(
        "-f",
        "--first-ttl",
        type=_integer(1, 255, "first TTL"),
        default=1,
        metavar="NUMBER",
        help="set what TTL to start (1)",
    )
    target.add_argument(
        "-m",
        "--max-ttl",
        type=_integer(1, 255, "max TTL"),
        default=30,
        metavar="NUMBER",
        help="maximum number of hops (30)",
    )
    target.add_argument(
        "-U",
        "--max-unknown",
        type=_integer(1, 255, "max-unknown"),
        default=5,
        metavar="NUMBER",
        help="maximum unknown hosts: probing stops this many silent hops past the last "
        "that answered (5)",
    )

    probes = parser.add_argument_group("probes (mtr)")
    probes.add_argument(
        "-u",
        "--udp",
        dest="method",
        action="store_const",
        const=ProbeMethod.UDP,
        help="use UDP instead of ICMP echo",
    )
    probes.add_argument(
        "-T",
        "--tcp",
        dest="method",
        action="store_const",
        const=ProbeMethod.TCP,
        help="use TCP (SYN) instead of ICMP echo",
    )
    probes.add_argument(
        "-S", "--sctp", action=_Refuse, reason=NEVER["sctp"], help="use SCTP (not supported)"
    )
    probes.add_argument(
        "-I", "--interface", type=_interface, metavar="NAME", help="use named network interface"
    )
    probes.add_argument(
        "-a",
        "--address",
        type=_address,
        metavar="ADDRESS",
        help="bind the outgoing socket to ADDRESS",
    )
    probes.add_argument(
        "-P",
        "--port",
        type=_integer(1, 65535, "port"),
        metavar="PORT",
        help="target port number for TCP (80) or UDP (33434)",
    )
    probes.add_argument(
        "-L",
        "--localport",
        type=_integer(1, 65535, "local port"),
        metavar="LOCALPORT",
        help="source port number for UDP",
    )
    probes.add_argument(
        "-s",
        "--psize",
        "--size",
        dest="size",
        type=_integer(1, MAX_PACKET_SIZE, "packet size"),
        default=64,
        metavar="PACKETSIZE",
        help="set the packet size used for probing, IP header included (64)",
    )
    probes.add_argument(
        "-B",
        "--bitpattern",
        type=_integer(0, 255, "bit pattern"),
        default=0,
        metavar="NUMBER",
        help="set bit pattern to use in payload (0-255)",
    )
    probes.add_argument(
        "-Q",
        "--tos",
        type=_integer(0, 255, "TOS"),
        default=0,
        metavar="NUMBER",
        help="type of service field in IP header (traffic class for IPv6)",
    )
    probes.add_argument(
        "-e",
        "--mpls",
        action="store_true",
        help="display information from ICMP extensions (MPLS labels, RFC 4950)",
    )
    probes.add_argument(
        "-M",
        "--mark",
        type=_integer(0, 2**32 - 1, "mark"),
        metavar="MARK",
        help="mark each sent packet (SO_MARK, for policy routing)",
    )
    probes.add_argument(
        "--icmp",
        dest="method",
        action="store_const",
        const=ProbeMethod.ICMP,
        help=f"{EXTRA}use ICMP echo (the default)",
    )
    probes.add_argument(
        "--vary-ports",
        action="store_true",
        help=f"{EXTRA}change ports every probe like classic traceroute (default: one fixed "
        "flow, as Paris traceroute, so load balancers keep the path)",
    )
    probes.add_argument(
        "--no-triage",
        action="store_true",
        help=f"{EXTRA}do not ping hops that look rate-limited to confirm it",
    )

    timing = parser.add_argument_group("timing (mtr)")
    timing.add_argument(
        "-i",
        "--interval",
        type=_seconds(0.001, 3600, "interval"),
        default=1.0,
        metavar="SECONDS",
        help="seconds between rounds of probes (1)",
    )
    timing.add_argument(
        "-c",
        "--report-cycles",
        "--count",
        dest="count",
        type=_integer(1, 10**9, "count"),
        metavar="COUNT",
        help="set the number of rounds sent (reports: 10)",
    )
    timing.add_argument(
        "-Z",
        "--timeout",
        type=_seconds(0.01, 60, "timeout"),
        default=2.0,
        metavar="SECONDS",
        help="how long a probe waits for its reply before it counts as lost (2; mtr keeps its "
        "probe socket open this long)",
    )
    timing.add_argument(
        "-G",
        "--gracetime",
        type=_seconds(0, 60, "grace time"),
        metavar="SECONDS",
        help="reports: after the last round, wait at most this long for replies still due "
        "(default: each probe's timeout)",
    )

    output = parser.add_argument_group("reports (mtr)")
    for fmt in FORMATS.values():
        output.add_argument(
            *fmt.flags,
            dest="format",
            action="store_const",
            const=fmt.name,
            help=fmt.help if fmt.mtr else f"{EXTRA}{fmt.help}",
        )
    output.add_argument(
        "-w",
        "--report-wide",
        action="store_true",
        help="output wide report (host names are not cut)",
    )
    output.add_argument(
        "-l", "--raw", dest="format", action="store_const", const="raw", help="output raw format"
    )
    output.add_argument(
        "-p",
        "--split",
        dest="format",
        action="store_const",
        const="split",
        help="split output",
    )
    output.add_argument(
        "--output", metavar="FILE", help=f"{EXTRA}write the report to FILE (atomically)"
    )
    output.add_argument(
        "--report-extra",
        action="store_true",
        help=f"{EXTRA}text report: add each hop's verdict and the summary after mtr's table",
    )
    output.add_argument(
        "--window",
        type=_duration,
        metavar="DURATION",
        help=f"{EXTRA}statistics of the last DURATION only (10s to 1h)",
    )
    output.add_argument(
        "--events",
        metavar="FILE",
        help=f"{EXTRA}append what changes on the path to FILE as JSON Lines, as it happens",
    )
    output.add_argument(
        "--report-on-exit",
        choices=tuple(FORMATS),
        metavar="FORMAT",
        help=f"{EXTRA}live screen: print a report in FORMAT ({', '.join(FORMATS)}) on quitting",
    )

    display = parser.add_argument_group("display (mtr)")
    display.add_argument(
        "-t", "--curses", action="store_true", help="use the terminal interface (the default)"
    )
    display.add_argument(
        "--displaymode",
        type=_integer(0, 2, "display mode"),
        default=0,
        metavar="MODE",
        help="select initial display mode: 0 table with history, 1-2 RTT chart",
    )
    display.add_argument(
        "-g", "--gtk", action=_Refuse, reason=NEVER["gtk"], help="use GTK (not supported)"
    )
    display.add_argument(
        "-o",
        "--order",
        type=_order,
        default=LATENCY_ORDER,
        metavar="FIELDS",
        help=f"select output fields (mtr's letters, default {LATENCY_ORDER!r}: "
        + ", ".join(f"{c.letter} {c.label.replace('%', '%%')}" for c in COLUMNS.values())
        + ")",
    )
    display.add_argument(
        "--demo", action="store_true", help=f"{EXTRA}trace a simulated network (no root)"
    )

    agent = parser.add_argument_group("monitoring [tracetui]")
    agent.add_argument(
        "--headless",
        action="store_true",
        help=f"{EXTRA}no screen: probe until signalled (or -c rounds), log path events to "
        "stderr; with a report format, print the report at the end",
    )
    agent.add_argument(
        "--metrics",
        type=_listen,
        metavar="[ADDR:]PORT",
        help=f"{EXTRA}serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR 127.0.0.1 "
        "unless given)",
    )
    agent.add_argument(
        "--stream",
        metavar="FILE",
        help=f"{EXTRA}append each completed probe and path event to FILE as a JSON line "
        "(- for standard output, with --headless)",
    )

    recordings = parser.add_argument_group("recordings [tracetui]")
    recordings.add_argument(
        "--record",
        metavar="FILE",
        help=f"{EXTRA}write every probe and reply to FILE (pcapng: tcpdump and Wireshark "
        "read it; tracetui --replay runs it again)",
    )
    recordings.add_argument(
        "--record-limit",
        type=_size,
        default=1 << 30,
        metavar="SIZE",
        help=f"{EXTRA}stop recording when the file reaches SIZE (e.g. 500M; default 1G)",
    )
    recordings.add_argument(
        "--replay",
        metavar="FILE",
        help=f"{EXTRA}run on a recording instead of the network: the same report, or the "
        "live screen as it happened (no root needed; probe options come from FILE)",
    )
    recordings.add_argument(
        "--replay-speed",
        type=_speed,
        default=1.0,
        metavar="FACTOR",
        help=f"{EXTRA}live screen: replay FACTOR times faster than real time (default 1)",
    )

    names = parser.add_argument_group("names and IP information (mtr)")
    names.add_argument("-n", "--no-dns", action="store_true", help="do not resolve host names")
    names.add_argument(
        "-b", "--show-ips", action="store_true", help="show IP numbers and host names"
    )
    names.add_argument(
        "-y",
        "--ipinfo",
        type=_integer(0, len(IPINFO) - 1, "ipinfo"),
        metavar="NUMBER",
        help="select IP information in output: "
        + ", ".join(f"{index} {what}" for index, what in enumerate(IPINFO)),
    )
    names.add_argument("-z", "--aslookup", action="store_true", help="display AS number")
    names.add_argument(
        "--dns-server",
        action="append",
        type=_dns_server,
        default=[],
        metavar="ADDR[:PORT]",
        help=f"{EXTRA}ask this DNS server instead of the system's (repeatable)",
    )

    meta = parser.add_argument_group("this program")
    meta.add_argument("-h", "--help", action="help", help="display this help and exit")
    meta.add_argument(
        "-v",
        "--version",
        action="version",
        version=f"tracetui {__version__}",
        help="output version information and exit",
    )
    meta.add_argument(
        "--config",
        metavar="FILE",
        help=f"{EXTRA}read defaults from FILE instead of the usual config.toml",
    )
    meta.add_argument(
        "--print-config",
        action="store_true",
        help=f"{EXTRA}print the effective configuration as TOML and exit",
    )
    meta.add_argument(
        "--print-completion",
        choices=("bash", "zsh", "fish"),
        metavar="SHELL",
        help=f"{EXTRA}print the shell completion script for bash, zsh or fish and exit",
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


def _environment_tokens() -> list[str]:
    text = os.environ.get(ENVIRONMENT, "")
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"{ENVIRONMENT}: {exc}") from None


def parse_arguments(
    argv: list[str] | None = None, *, environment: bool = False
) -> tuple[Config, argparse.Namespace]:
    """The run's Config from ``argv`` (and, with ``environment``, the config file and
    ``TRACETUI_OPTIONS`` under it: what ``main`` does), with the parsed arguments."""
    from tracetui.settings.config_file import ConfigError, ConfigFile, config_path

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    file = ConfigFile.empty()
    if environment:
        path = config_path(_config_option(argv))
        try:
            file = ConfigFile.load(path, parser)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        argv = [*file.tokens, *_environment_tokens(), *argv]
    args = parser.parse_args(_join_negative_values(parser, argv))
    return _config(args, file), args


def parse_config(argv: list[str] | None = None) -> Config:
    """The Config of a command line alone (no config file, no environment)."""
    return parse_arguments(argv)[0]


def _config_option(argv: list[str]) -> str | None:
    """--config FILE (or --config=FILE), read before the file it names is parsed."""
    for index, token in enumerate(argv):
        if token == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if token.startswith("--config="):
            return token.split("=", 1)[1]
    return None


def _size(text: str) -> int:
    from tracetui.recording.recorder import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _listen(text: str) -> ListenAddress:
    address, _, port = text.rpartition(":")
    address = address.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"wants [ADDR:]PORT with a port from 1 to 65535: {text!r}")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP address to listen on: {address!r}") from None
    return ListenAddress(address, int(port))


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.01 <= value <= 10000:
        raise argparse.ArgumentTypeError(f"replay speed must be between 0.01 and 10000: {text!r}")
    return value


def _check_replay(args: argparse.Namespace) -> None:
    if args.host:
        raise UsageError("--replay runs on a recording and takes no HOST")
    if args.demo or args.record:
        other = "--demo" if args.demo else "--record"
        raise UsageError(f"--replay runs on a recording: it cannot be combined with {other}")
    if not os.path.isfile(args.replay):
        raise UsageError(f"cannot replay {args.replay}: no such file")


MAX_TARGETS = 1000


_LINE_METHODS = {
    "-u": ProbeMethod.UDP,
    "--udp": ProbeMethod.UDP,
    "-T": ProbeMethod.TCP,
    "--tcp": ProbeMethod.TCP,
    "--icmp": ProbeMethod.ICMP,
}
LINE_OPTIONS = "-u, -T, --icmp and -P PORT"


def _line_options(words: list[str], where: str) -> TargetOptions | None:
    """A -F line's options after its host: the method (-u, -T, --icmp) and -P PORT."""
    method: ProbeMethod | None = None
    port: int | None = None
    words = list(words)
    while words:
        word = words.pop(0)
        value = None
        if word.startswith("--port="):
            word, value = "--port", word.split("=", 1)[1]
        if word in _LINE_METHODS:
            if method is not None and method is not _LINE_METHODS[word]:
                raise UsageError(f"{where}: one probe method per target, not {word} too")
            method = _LINE_METHODS[word]
        elif word in ("-P", "--port"):
            value = value if value is not None else (words.pop(0) if words else "")
            if not value.isdigit() or not 1 <= int(value) <= 65535:
                raise UsageError(f"{where}: port must be between 1 and 65535, not {value!r}")
            port = int(value)
        else:
            raise UsageError(f"{where}: {word!r} is not an option of a target ({LINE_OPTIONS})")
    if port is not None and method is ProbeMethod.ICMP:
        raise UsageError(f"{where}: -P/--port applies to UDP (-u) and TCP (-T) probes only")
    if method is None and port is None:
        return None
    return TargetOptions(method, port)


def read_targets(path: str) -> list[tuple[str, TargetOptions | None]]:
    """-F/--filename: one target per line, optionally with its own method and port
    (``example.org -T -P 443``); blank lines and # comments are skipped."""
    try:
        with open(path, encoding="utf-8", errors="replace") as source:
            lines = source.read(1 << 20).splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    targets = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        host, *words = text.split()
        where = f"{path}:{number}"
        if len(host) > 255 or host.startswith("-"):
            raise UsageError(f"{where}: a host name or address first, not {printable(host)!r}")
        targets.append((host, _line_options(words, where)))
    if not targets:
        raise UsageError(f"{path} names no target")
    return targets


def _several(args: argparse.Namespace, hosts: list[str], report_format: str | None) -> None:
    """What several targets cannot do yet, each refused in one line."""
    if len(hosts) > MAX_TARGETS:
        raise UsageError(f"at most {MAX_TARGETS} targets at once, not {len(hosts)}")
    seen: set[str] = set()
    for host in hosts:
        if host.lower() in seen:  # its metrics and stream lines would be another's
            raise UsageError(f"{printable(host)} is given twice: each target once")
        seen.add(host.lower())
    if report_format in ("raw", "split"):
        raise UsageError(
            "several targets: mtr's -l and -p lines name no target; "
            "use --stream (JSON lines, each naming its target) or a report"
        )
    for option, value, why in (
        ("--record", args.record, "a recording replays one path"),
        ("-L/--localport", args.localport, "one local port is one flow, to one target"),
    ):
        if value is not None:
            raise UsageError(f"{option} takes one target: {why}")


def _config(args: argparse.Namespace, file: ConfigFile) -> Config:
    hosts = list(args.host)
    target_options: list[TargetOptions | None] = [None] * len(hosts)
    if args.filename is not None:
        for host, options in read_targets(args.filename):
            hosts.append(host)
            target_options.append(options)
    args.host = hosts[0] if hosts else None
    if args.demo and args.host:
        raise UsageError("--demo traces a simulated network and takes no HOST")
    if args.replay is not None:
        _check_replay(args)
    needs_host = not (args.demo or args.replay or args.print_config or args.print_completion)
    if needs_host and not args.host:
        raise UsageError("no HOST given (try 'tracetui --demo' for a simulated network)")
    if args.first_ttl > args.max_ttl:
        raise UsageError(f"first TTL ({args.first_ttl}) is above max TTL ({args.max_ttl})")
    method = args.method or ProbeMethod.ICMP
    if args.port is not None and method is ProbeMethod.ICMP:
        raise UsageError("-P/--port applies to UDP (-u) and TCP (-T) probes only")
    for host, options in zip(hosts, target_options, strict=True):
        port_only = options is not None and options.port is not None and not options.method
        if port_only and method is ProbeMethod.ICMP:
            raise UsageError(f"{host}: -P/--port applies to UDP (-u) and TCP (-T) probes only")
    if args.localport is not None and method is not ProbeMethod.UDP:
        raise UsageError("-L/--localport applies to UDP (-u) probes only")
    report_format = args.format
    if report_format is None and args.output is not None:
        report_format = "text"
    if args.headless and args.report_on_exit:
        raise UsageError(
            "--report-on-exit is for the live screen; with --headless give the "
            "report's own option (e.g. -j) to print it at the end"
        )
    if report_format is not None and args.report_on_exit:
        raise UsageError("--report-on-exit is for the live screen, not with a report")
    count = args.count
    if report_format is not None and count is None and not args.headless:
        count = 10
    if args.output is not None:
        _check_output(args.output, "--output")
    if args.events is not None:
        _check_output(args.events, "--events")
    if len(hosts) > 1:
        _several(args, hosts, report_format)
    if args.record is not None:
        _check_output(args.record, "--record")
    if args.stream == "-":
        if not args.headless:
            raise UsageError("--stream - needs --headless: the live screen has the terminal")
        if report_format is not None:
            raise UsageError("--stream - and a report would both write to standard output")
    elif args.stream is not None:
        _check_output(args.stream, "--stream")
    ipinfo = args.ipinfo if args.ipinfo is not None else (0 if args.aslookup else None)
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
        pattern=args.bitpattern,
        tos=args.tos,
        grace=args.gracetime,
    )
    return Config(
        host=args.host,
        hosts=tuple(hosts),
        target_options=tuple(target_options) if any(target_options) else (),
        settings=settings,
        family=args.family,
        demo=args.demo,
        report_format=report_format,
        output=args.output,
        names=not args.no_dns,
        aslookup=ipinfo is not None,
        dns_servers=tuple(args.dns_server),
        report_on_exit=args.report_on_exit,
        triage=not args.no_triage,
        events_file=args.events,
        window=args.window,
        sockets=SocketOptions(args.interface, args.address, args.tos, args.mark, args.localport),
        show_ips=args.show_ips,
        report_wide=args.report_wide,
        order=args.order,
        ipinfo=ipinfo,
        report_extra=args.report_extra,
        mpls=args.mpls,
        display_mode=args.displaymode,
        keymap=file.keymap,
        theme=file.theme,
        record=args.record,
        record_limit=args.record_limit,
        replay=args.replay,
        replay_speed=args.replay_speed,
        daemon=args.headless,
        metrics=args.metrics,
        stream=args.stream,
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


def _complete(parser: argparse.ArgumentParser) -> None:
    """Shell completion through argcomplete, only when a completing shell asks."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        _complete(build_parser())
    try:
        config, args = parse_arguments(argv, environment=True)
    except UsageError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.print_config:
        from tracetui.settings.config_file import as_toml

        sys.stdout.write(as_toml(build_parser(), args, config))
        return EXIT_OK
    if args.print_completion:
        import argcomplete

        sys.stdout.write(argcomplete.shellcode(["tracetui"], shell=args.print_completion))
        return EXIT_OK
    from tracetui.run.startup import SetupError

    try:
        if config.headless:
            from tracetui.run.headless import run_report

            return run_report(config)
        from tracetui.run.screen import run_app

        return run_app(config)
    except SetupError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_SIGNAL_BASE + signal.SIGINT
