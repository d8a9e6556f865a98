"""How a headless run ends: the --headless log's last line, the notes on stderr, and
the report (to --output atomically, else standard output) with the exit status."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tracetui.exits import EXIT_FAILURE, EXIT_OK, EXIT_SIGNAL_BASE
from tracetui.report.files import write_atomically
from tracetui.report.several import combined_reports
from tracetui.run.watch import log_line
from tracetui.settings.config import Config

if TYPE_CHECKING:
    from tracetui.path.snapshot import PathView
    from tracetui.report import ReportOptions


def report_options(config: Config) -> ReportOptions:
    """The report's view of the command line (mtr's -n -b -z -y -w -o, and --report-extra)."""
    from tracetui.report import ReportOptions

    return ReportOptions(
        show_names=config.names,
        show_asn=config.aslookup,
        show_ips=config.show_ips,
        wide=config.report_wide,
        order=config.order,
        ipinfo=config.ipinfo,
        extra=config.report_extra,
        mpls=config.mpls,
        privacy_max_ttl=config.privacy_max_ttl,
    )


def finish(
    config: Config,
    views: Sequence[PathView],
    signal_number: int | None,
    failed: bool,
    several: bool,
) -> int:
    """The end of the run, given each target's final view; returns the exit status."""
    signalled = EXIT_SIGNAL_BASE + signal_number if signal_number else EXIT_OK
    if config.daemon and config.report_format is None:
        rounds = max((view.rounds for view in views), default=0)
        log_line(f"stopped after {rounds} round{'s' if rounds != 1 else ''}")
        return EXIT_FAILURE if failed else EXIT_OK  # a signal is how a daemon is asked to stop
    report_format = config.report_format or "text"
    quiet = report_format == "json" or (report_format == "text" and config.report_extra)
    if not quiet and not config.daemon:
        for view in views:  # mtr's formats have no place for them; parsers read stdout
            whose = f"{view.info.target_name}: " if several else ""
            for note in view.notes:
                print(f"tracetui: {whose}note: {note}", file=sys.stderr)
    if report_format in ("raw", "split"):  # written as it went, the last view included
        return signalled
    from tracetui.report import render  # after probing: not on the way to it

    options = report_options(config)
    text = combined_reports([render(v, report_format, options) for v in views], report_format)
    if failed:
        return _deliver(config, text, EXIT_FAILURE)
    return _deliver(config, text, EXIT_OK if config.daemon else signalled)


def _deliver(config: Config, text: str, status: int) -> int:
    """The report to --output (atomically), else to standard output; ``status`` unless
    the file could not be written (then the report goes to standard output after all)."""
    if config.output is None:
        sys.stdout.write(text)
        return status
    try:
        write_atomically(config.output, text)
    except OSError as exc:
        sys.stdout.write(text)
        print(
            f"tracetui: cannot write {config.output}: {exc.strerror or exc}; "
            "the report went to standard output instead",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return status
