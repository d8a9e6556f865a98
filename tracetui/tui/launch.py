"""Start the live screen: set up the session first, so a bad start never draws a screen."""

from __future__ import annotations

import os
import sys
from collections import deque

from tracetui.config import Config
from tracetui.demo import DemoNames
from tracetui.events import EngineEvent
from tracetui.session import SetupError, open_session

EXIT_FAILURE = 1
EXIT_USAGE = 2


def make_names(config: Config, aslookup: bool):
    """The demo answers from its own table; everything else asks real DNS, never blocking."""
    if config.demo:
        return DemoNames(aslookup)
    from tracetui.resolve import Resolver

    return Resolver(config.dns_servers, aslookup)


def _terminal_on_stdout() -> int | None:
    """With ``--report-on-exit FORMAT > file``, lend the terminal to stdout while the app runs.

    Textual draws on stderr but sizes itself from stdout, and a redirected stdout
    would give it 80x24 whatever the terminal. Returns the saved descriptor to restore.
    """
    if os.isatty(1) or not os.isatty(2):
        return None
    saved = os.dup(1)
    os.dup2(2, 1)
    return saved


def run_app(config: Config) -> int:
    events: deque[EngineEvent] = deque()
    try:
        session = open_session(config, events.append)
    except SetupError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
    from tracetui.tui.app import TraceApp

    wants_names = config.names or config.aslookup
    names = make_names(config, config.aslookup) if wants_names else None
    app = TraceApp(session, events, names, config.names, config.aslookup)
    saved_stdout = _terminal_on_stdout()
    try:
        app.run()
    finally:
        app.stop_engine()
        session.close()
        if saved_stdout is not None:
            os.dup2(saved_stdout, 1)
            os.close(saved_stdout)
    if config.report_on_exit:
        text = app.render_report(config.report_on_exit)
        sys.stdout.write(text)
    return 0
