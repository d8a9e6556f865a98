"""From arguments to a Config: the config file, TRACETUI_OPTIONS and the command line, in
rising precedence, and the checks that need more than one option."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import TYPE_CHECKING

from tracetui.cli.parser import build_parser
from tracetui.cli.targets import check_several, read_targets
from tracetui.cli.values import ENVIRONMENT, NEGATIVE, UsageError
from tracetui.probe.types import ProbeMethod, ProbeSettings, SocketOptions
from tracetui.settings.config import Config, TargetOptions

if TYPE_CHECKING:
    from tracetui.settings.config_file import ConfigFile


def join_negative_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
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
        if out and out[-1] in takes_value and NEGATIVE.match(token) and token not in ("-4", "-6"):
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def environment_tokens() -> list[str]:
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
        path = config_path(config_option(argv))
        try:
            file = ConfigFile.load(path, parser)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        from_environment = environment_tokens()
        if from_environment:
            try:  # alone first: a bad option there is said to come from there
                parser.parse_args(join_negative_values(parser, from_environment))
            except UsageError as exc:
                raise UsageError(f"{ENVIRONMENT}: {exc}") from None
        argv = [*file.tokens, *from_environment, *argv]
    args = parser.parse_args(join_negative_values(parser, argv))
    return build_config(args, file), args


def parse_config(argv: list[str] | None = None) -> Config:
    """The Config of a command line alone (no config file, no environment)."""
    return parse_arguments(argv)[0]


def config_option(argv: list[str]) -> str | None:
    """--config FILE (or --config=FILE), read before the file it names is parsed."""
    for index, token in enumerate(argv):
        if token == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if token.startswith("--config="):
            return token.split("=", 1)[1]
    return None


def check_replay(args: argparse.Namespace) -> None:
    if args.host:
        raise UsageError("--replay runs on a recording and takes no HOST")
    if args.demo or args.record:
        other = "--demo" if args.demo else "--record"
        raise UsageError(f"--replay runs on a recording: it cannot be combined with {other}")
    if not os.path.isfile(args.replay):
        raise UsageError(f"cannot replay {args.replay}: no such file")


def build_config(args: argparse.Namespace, file: ConfigFile) -> Config:
    hosts = list(args.host)
    target_options: list[TargetOptions | None] = [None] * len(hosts)
    if args.filename is not None:
        for host, options in read_targets(args.filename):
            hosts.append(host)
            target_options.append(options)
    args.host = hosts[0] if hosts else None
    if args.replay is not None:
        check_replay(args)
    acts_once = args.print_config or args.print_completion or args.print_man
    needs_host = not (args.demo or args.replay or acts_once)
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
    if args.multipath and method is ProbeMethod.ICMP:
        raise UsageError("--multipath varies ports a load balancer hashes: give -u or -T")
    if args.multipath and args.vary_ports:
        raise UsageError("--multipath keeps the rounds in one flow: leave out --vary-ports")
    if args.privacy_max_ttl:
        leaks = {
            "-l/--raw": args.format == "raw",
            "-p/--split": args.format == "split",
            "--stream": args.stream is not None,
            "--events": args.events is not None,
            "--record": args.record is not None,
            "--metrics": args.metrics is not None,
        }
        for option, given in leaks.items():
            if given:
                raise UsageError(
                    f"--privacy-max-ttl hides hops in reports and on screen; {option} writes "
                    "every responder as it is: leave one of them out"
                )
    if args.localport is not None and method is not ProbeMethod.UDP:
        raise UsageError("-L/--localport applies to UDP (-u) probes only")
    format_file = getattr(args, "format_file", None)
    if format_file is not None:
        if args.output is not None and args.output != format_file:
            raise UsageError(f"--{args.format} {format_file} and --output {args.output}: give one")
        args.output = format_file
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
    if args.web_config is not None and args.metrics is None:
        raise UsageError("--web.config.file secures the --metrics endpoint: give --metrics too")
    if args.output is not None:
        check_output(args.output, "--output")
    if args.events is not None:
        check_output(args.events, "--events")
    if (args.alert_command or args.alert_webhook) and not args.alert:
        raise UsageError("--alert-command and --alert-webhook act on alerts: give --alert RULE too")
    if args.alert:  # the diagnosis is imported only by runs that diagnose
        from tracetui.diagnose.alerts import MAX_RULES

        if len(args.alert) > MAX_RULES:
            raise UsageError(f"at most {MAX_RULES} --alert rules")
    if len(hosts) > 1:
        check_several(args, hosts, report_format)
    if args.record is not None:
        check_output(args.record, "--record")
    if args.stream == "-":
        if not args.headless:
            raise UsageError("--stream - needs --headless: the live screen has the terminal")
        if report_format is not None:
            raise UsageError("--stream - and a report would both write to standard output")
    elif args.stream is not None:
        check_output(args.stream, "--stream")
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
        multipath=args.multipath_confidence / 100 if args.multipath else 0.0,
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
        privacy_max_ttl=args.privacy_max_ttl,
        display_mode=args.displaymode,
        keymap=file.keymap,
        theme=file.theme,
        origins=file.origins,
        record=args.record,
        record_limit=args.record_limit,
        replay=args.replay,
        replay_speed=args.replay_speed,
        daemon=args.headless,
        metrics=args.metrics,
        agent=args.agent,
        web_config=args.web_config,
        geoip=check_geoip(args.geoip),
        stream=args.stream,
        alerts=tuple(dict.fromkeys(args.alert)),
        alert_command=args.alert_command,
        alert_webhook=args.alert_webhook,
    )


def check_geoip(path: str | None) -> str | None:
    """The database opens and reads as one, or one line and exit 2 before any probe."""
    if path is None:
        return None
    from tracetui.names.geoip import GeoIp, GeoIpError

    try:
        GeoIp.open(path).close()
    except GeoIpError as exc:
        raise UsageError(str(exc)) from None
    return path


def check_output(path: str, option: str) -> None:
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
