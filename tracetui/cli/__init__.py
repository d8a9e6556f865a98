"""Command line: mtr 0.95's options with mtr's letters, names and meanings, plus tracetui's own.

Defaults come from, in rising precedence: built-in values, the config file
(``$XDG_CONFIG_HOME/tracetui/config.toml`` or ``--config FILE``), the
``TRACETUI_OPTIONS`` environment variable (like mtr's ``MTR_OPTIONS``), and
the command line. Every bad value ends the run with one line on stderr and
exit status 2, before any socket is opened.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from tracetui.cli.arguments import parse_arguments, parse_config
from tracetui.cli.parser import build_parser
from tracetui.cli.values import UsageError
from tracetui.exits import EXIT_FAILURE, EXIT_OK, EXIT_SIGNAL_BASE, EXIT_USAGE
from tracetui.settings.config import Config

__all__ = ["UsageError", "build_parser", "main", "parse_arguments", "parse_config"]


def complete(parser: argparse.ArgumentParser) -> None:
    """Shell completion through argcomplete, only when a completing shell asks."""
    import argcomplete

    argcomplete.autocomplete(parser)


GC_THRESHOLDS = (10_000, 100, 100)
"""Python's are (700, 10, 10). A run keeps hundreds of thousands of long-lived objects
(each hop's statistics and history) and makes no reference cycles worth the name, so
the default's frequent full collections walked them all for nothing: at 1,000 targets
they paused the probing thread up to 360 ms (1.2 % of rounds left over 10 ms late);
with these, at most 30 ms (0.27 %). Measured with bench/fleet.py's lab and a gc
callback; see BENCHMARKS.md."""


def _calm_the_collector() -> None:
    import gc

    gc.set_threshold(*GC_THRESHOLDS)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        if "_ARGCOMPLETE" in os.environ:
            complete(build_parser())
        if sys.argv[1:] in (["-v"], ["--version"]):  # what argparse would print, sooner
            from tracetui import __version__

            print(f"tracetui {__version__}")
            return EXIT_OK
    try:
        config, args = parse_arguments(argv, environment=True)
    except UsageError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.print_config:
        from tracetui.settings.config_file import as_toml

        sys.stdout.write(as_toml(build_parser(), args, config))
        return EXIT_OK
    if args.print_man:
        from tracetui.cli.man_page import man_page

        sys.stdout.write(man_page(build_parser()))
        return EXIT_OK
    if args.print_completion:
        import argcomplete

        sys.stdout.write(argcomplete.shellcode(["tracetui"], shell=args.print_completion))
        return EXIT_OK
    from tracetui.run.startup import SetupError

    _calm_the_collector()
    try:
        if config.headless:
            from tracetui.run.headless import run_report

            def reload() -> Config:
                """SIGHUP: the command line, TRACETUI_OPTIONS and the files read again."""
                try:
                    return parse_arguments(argv, environment=True)[0]
                except UsageError as exc:
                    raise SetupError(str(exc), usage=True) from None

            return run_report(config, reload)
        from tracetui.run.screen import run_app

        return run_app(config)
    except SetupError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_SIGNAL_BASE + signal.SIGINT
