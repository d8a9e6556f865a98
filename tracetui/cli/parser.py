"""The command line's options: mtr 0.95's letters, names and meanings, then tracetui's own.

The report format options come from the formats table (tracetui.report.formats).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from tracetui import __version__
from tracetui.cli.targets import MAX_TARGETS
from tracetui.cli.values import (
    ENVIRONMENT,
    UsageError,
    agent_name,
    alert_rule,
    byte_size,
    confidence_percent,
    dns_server_value,
    field_order,
    integer_between,
    interface_name,
    listen_address,
    seconds_between,
    source_address,
    speed_factor,
    webhook_url,
    window_duration,
)
from tracetui.columns import COLUMNS, LATENCY_ORDER
from tracetui.probe.tunables import MAX_PACKET_SIZE
from tracetui.probe.types import Family, ProbeMethod
from tracetui.report.formats import FORMATS

EXTRA = "[tracetui] "
"""Marks, in --help, what mtr does not have."""


IPINFO = ("AS number", "IP prefix", "country code", "registry", "allocation date")


NEVER = {
    "gtk": "-g/--gtk: tracetui has no GTK interface; its screen runs in the terminal",
    "sctp": "-S/--sctp: tracetui does not probe with SCTP; use -u (UDP) or -T (TCP)",
}


class _Formatter(argparse.HelpFormatter):
    """argparse's, but never breaking a line inside a word at its hyphen: "--print-man"
    and "rate-limited" stay whole in --help and in the man page made from it."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        import textwrap

        text = self._whitespace_matcher.sub(" ", text).strip()
        return textwrap.wrap(text, width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in self._split_lines(text, width - len(indent)))


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class Refuse(argparse.Action):
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


class WideReport(argparse._StoreTrueAction):
    """mtr's -w: host names are not cut, and the run is a text report, as -r makes it.

    As in mtr, the last of -r, -w, -j, -x... decides the format: ``-w -j`` is JSON
    and ``-j -w`` the wide text report. A config file's ``report-wide = true`` is a
    default for reports, not a request for one: it becomes SETTING instead.
    """

    SETTING = "--report-wide-setting"

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, True)
        namespace.format = "text"


class FormatToFile(argparse.Action):
    """A report format whose option names its file (``--html FILE``, ``-`` for standard
    output): the format, and ``--output FILE``. A file is required, not optional, so that
    ``--html example.org`` cannot take the host for a file name."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, self.const)
        namespace.format_file = None if values == "-" else values


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        formatter_class=_Formatter,
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
        help="host name or address to trace; several are traced at once: a tab each on "
        "the live screen, a report each (-x: one XML document), one --headless agent; "
        "with --demo, simulated paths",
    )

    target = parser.add_argument_group("target and path (mtr)")
    target.add_argument(
        "-F",
        "--filename",
        metavar="FILE",
        help="read hostname(s) from a file (one per line, optionally with its own -u, -T, "
        f"--icmp and -P PORT; # starts a comment; at most {MAX_TARGETS} targets in all)",
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
        type=integer_between(1, 255, "first TTL"),
        default=1,
        metavar="NUMBER",
        help="set what TTL to start (1)",
    )
    target.add_argument(
        "-m",
        "--max-ttl",
        type=integer_between(1, 255, "max TTL"),
        default=30,
        metavar="NUMBER",
        help="maximum number of hops (30)",
    )
    target.add_argument(
        "-U",
        "--max-unknown",
        type=integer_between(1, 255, "max-unknown"),
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
        "-S", "--sctp", action=Refuse, reason=NEVER["sctp"], help="use SCTP (not supported)"
    )
    probes.add_argument(
        "-I", "--interface", type=interface_name, metavar="NAME", help="use named network interface"
    )
    probes.add_argument(
        "-a",
        "--address",
        type=source_address,
        metavar="ADDRESS",
        help="bind the outgoing socket to ADDRESS",
    )
    probes.add_argument(
        "-P",
        "--port",
        type=integer_between(1, 65535, "port"),
        metavar="PORT",
        help="target port number for TCP (80) or UDP (33434)",
    )
    probes.add_argument(
        "-L",
        "--localport",
        type=integer_between(1, 65535, "local port"),
        metavar="LOCALPORT",
        help="source port number for UDP",
    )
    probes.add_argument(
        "-s",
        "--psize",
        "--size",
        dest="size",
        type=integer_between(1, MAX_PACKET_SIZE, "packet size"),
        default=64,
        metavar="PACKETSIZE",
        help="set the packet size used for probing, IP header included (64)",
    )
    probes.add_argument(
        "-B",
        "--bitpattern",
        type=integer_between(0, 255, "bit pattern"),
        default=0,
        metavar="NUMBER",
        help="set bit pattern to use in payload (0-255)",
    )
    probes.add_argument(
        "-Q",
        "--tos",
        type=integer_between(0, 255, "TOS"),
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
        type=integer_between(0, 2**32 - 1, "mark"),
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
        "--multipath",
        action="store_true",
        help=f"{EXTRA}find every branch of a load-balanced path (the MDA, as scamper's "
        "tracelb does) with UDP (-u) or TCP (-T) probes; needs root",
    )
    probes.add_argument(
        "--multipath-confidence",
        type=confidence_percent,
        default=95,
        metavar="PERCENT",
        help=f"{EXTRA}how sure --multipath must be that no branch is left: 95 or 99 (95)",
    )
    probes.add_argument(
        "--privacy-max-ttl",
        type=integer_between(0, 255, "privacy max TTL"),
        default=0,
        metavar="N",
        help=f"{EXTRA}hide hops 1 to N and the source address in every report and on the "
        "screen, for reports posted in public (Trippy's privacy mode)",
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
        type=seconds_between(0.001, 3600, "interval"),
        default=1.0,
        metavar="SECONDS",
        help="seconds between rounds of probes (1)",
    )
    timing.add_argument(
        "-c",
        "--report-cycles",
        "--count",
        dest="count",
        type=integer_between(1, 10**9, "count"),
        metavar="COUNT",
        help="set the number of rounds sent (reports: 10)",
    )
    timing.add_argument(
        "-Z",
        "--timeout",
        type=seconds_between(0.01, 60, "timeout"),
        default=2.0,
        metavar="SECONDS",
        help="how long a probe waits for its reply before it counts as lost (2; mtr keeps its "
        "probe socket open this long)",
    )
    timing.add_argument(
        "-G",
        "--gracetime",
        type=seconds_between(0, 60, "grace time"),
        metavar="SECONDS",
        help="reports: after the last round, wait at most this long for replies still due "
        "(default: each probe's timeout)",
    )

    output = parser.add_argument_group("reports (mtr)")
    for fmt in FORMATS.values():
        helped = fmt.help if fmt.mtr else f"{EXTRA}{fmt.help}"
        if fmt.file_argument:
            output.add_argument(
                *fmt.flags,
                dest="format",
                action=FormatToFile,
                const=fmt.name,
                metavar="FILE",
                help=helped,
            )
            continue
        output.add_argument(
            *fmt.flags, dest="format", action="store_const", const=fmt.name, help=helped
        )
    output.add_argument(
        "-w",
        "--report-wide",
        action=WideReport,
        help="output wide report (host names are not cut)",
    )
    output.add_argument(
        WideReport.SETTING, dest="report_wide", action="store_true", help=argparse.SUPPRESS
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
    output.set_defaults(format_file=None)  # --html FILE's (FormatToFile)
    output.add_argument(
        "--report-extra",
        action="store_true",
        help=f"{EXTRA}text report: add each hop's verdict and the summary after mtr's table",
    )
    output.add_argument(
        "--window",
        type=window_duration,
        metavar="DURATION",
        help=f"{EXTRA}statistics of the last DURATION only (10s to 1h)",
    )
    output.add_argument(
        "--events",
        metavar="FILE",
        help=f"{EXTRA}append what changes on the path to FILE as JSON Lines, as it happens",
    )
    output.add_argument(
        "--alert",
        action="append",
        default=[],
        type=alert_rule,
        metavar="RULE",
        help=f"{EXTRA}raise and clear an alert when RULE holds, e.g. 'loss>5%% for 60s', "
        "'latency>150ms for 5m', 'origin for 2m', 'route for 5m', 'unreachable for 60s' "
        "(repeatable; each goes to the events, --stream and the metrics)",
    )
    output.add_argument(
        "--alert-command",
        metavar="COMMAND",
        help=f"{EXTRA}run COMMAND for each alert raised or cleared, the alert as JSON on its "
        "standard input",
    )
    output.add_argument(
        "--alert-webhook",
        type=webhook_url,
        metavar="URL",
        help=f"{EXTRA}POST each alert raised or cleared to URL as JSON",
    )
    output.add_argument(
        "--report-on-exit",
        choices=tuple(FORMATS),
        metavar="FORMAT",
        help=f"{EXTRA}live screen: print a report in FORMAT ({', '.join(FORMATS)}) on quitting",
    )

    display = parser.add_argument_group("display (mtr)")
    display.add_argument(
        "-t",
        "--curses",
        dest="format",
        action="store_const",
        const=None,
        help="use the terminal interface (the default; as in mtr, the last of -t and a "
        "report option wins)",
    )
    display.add_argument(
        "--displaymode",
        type=integer_between(0, 2, "display mode"),
        default=0,
        metavar="MODE",
        help="select initial display mode: 0 table with history, 1-2 RTT chart",
    )
    display.add_argument(
        "-g", "--gtk", action=Refuse, reason=NEVER["gtk"], help="use GTK (not supported)"
    )
    display.add_argument(
        "-o",
        "--order",
        type=field_order,
        default=LATENCY_ORDER,
        metavar="FIELDS",
        help=f"select output fields (mtr's letters, default {LATENCY_ORDER!r}: "
        + ", ".join(f"{c.letter} {c.label.replace('%', '%%')}" for c in COLUMNS.values())
        + ")",
    )
    display.add_argument(
        "--demo",
        action="store_true",
        help=f"{EXTRA}trace a simulated network (no root, no probe leaves the machine); "
        "with HOSTs or -F, one simulated path each, for trying several targets: "
        "www.demo.example (the demo's own), cdn.demo.example (clean), vpn.demo.example "
        "(loss from hop 5), video.demo.example (latency step after 45 s), "
        "mail.demo.example (a firewall refuses); other names take these in turn",
    )

    agent = parser.add_argument_group("monitoring [tracetui]")
    agent.add_argument(
        "--headless",
        action="store_true",
        help=f"{EXTRA}no screen: probe until signalled (or -c rounds), log path events to "
        "stderr; with a report format, print the report at the end. Without -c an agent: "
        "SIGHUP reads -F and the config file again (targets added and removed, the rest "
        "keep their statistics), names that do not resolve are retried",
    )
    agent.add_argument(
        "--metrics",
        type=listen_address,
        metavar="[ADDR:]PORT",
        help=f"{EXTRA}serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR 127.0.0.1 "
        "unless given)",
    )
    agent.add_argument(
        "--agent",
        type=agent_name,
        metavar="NAME",
        help=f"{EXTRA}name this agent: agent=NAME on every metric series, so one Prometheus "
        "tells 50 agents apart whatever address it scrapes them at",
    )
    agent.add_argument(
        "--web.config.file",
        "--web-config-file",
        dest="web_config",
        metavar="FILE",
        help=f"{EXTRA}TLS and basic auth for --metrics, from a web configuration file as "
        "Prometheus exporters read it (tls_server_config, http_server_config, "
        "basic_auth_users); read again when it changes",
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
        type=byte_size,
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
        type=speed_factor,
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
        type=integer_between(0, len(IPINFO) - 1, "ipinfo"),
        metavar="NUMBER",
        help="select IP information in output: "
        + ", ".join(f"{index} {what}" for index, what in enumerate(IPINFO)),
    )
    names.add_argument("-z", "--aslookup", action="store_true", help="display AS number")
    names.add_argument(
        "--geoip-mmdb-file",
        dest="geoip",
        metavar="FILE",
        help=f"{EXTRA}each responder's country and city from this local MaxMind, DB-IP or "
        "IPinfo database (.mmdb): in the detail pane, -y's country, JSON and CSV",
    )
    names.add_argument(
        "--dns-server",
        action="append",
        type=dns_server_value,
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
    meta.add_argument(
        "--print-man",
        action="store_true",
        help=f"{EXTRA}print this manual as a man page (roff) and exit: "
        "tracetui --print-man > ~/.local/share/man/man1/tracetui.1",
    )
    return parser
