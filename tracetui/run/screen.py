"""Start the live screen: set up the trace first, so a bad start never draws a screen."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from tracetui.exits import EXIT_OK
from tracetui.names.service import LOOKUP_MODULES
from tracetui.recording import RECORD_MODULES
from tracetui.report.formats import REPORT_MODULES, timeline_points
from tracetui.run.live import LiveTrace, ReplayTrace
from tracetui.run.startup import SetupError
from tracetui.settings.config import Config
from tracetui.settings.theme_memory import remember_theme, remembered_theme

if TYPE_CHECKING:
    from tracetui.run.live_many import ManyTraces

SCREEN_MODULES = ("tracetui.tui.app",)


def modules_to_preload(config: Config) -> tuple[str, ...]:
    """The screen, its export (reports), and lookups: a user may turn names on later."""
    recording = RECORD_MODULES if config.record else ()
    return SCREEN_MODULES + REPORT_MODULES + LOOKUP_MODULES + recording


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


def screen_options(config: Config) -> dict[str, Any]:
    """What the command line and the config file say about the screen, for TraceApp.

    Raises SetupError for a key remap naming no binding.
    """
    from tracetui.tui.format import Labels

    keymap = dict(config.keymap)
    check_screen_names(config)
    return {
        "labels": Labels(names=config.names, ips=config.show_ips, info=config.ipinfo),
        "order": config.order,
        "chart": config.display_mode > 0,
        "mpls": config.mpls,
        "privacy_max_ttl": config.privacy_max_ttl,
        "keymap": keymap,
        "theme": config.theme or remembered_theme(),
        "on_theme": remember_theme,
        # mtr's -c on its screen: the run ends after that many rounds (a replay ends
        # where its recording does, and stays on screen to be read)
        "exit_when_finished": config.settings.count is not None and config.replay is None,
    }


def check_screen_names(config: Config) -> None:
    """The config file's theme and [keys], which only the screen knows: an unknown name is
    one line naming the file and the line (SetupError, exit 2), never a silent default."""
    from textual.theme import BUILTIN_THEMES

    from tracetui.tui.keys import binding_ids, unknown_key

    origins = dict(config.origins)
    if config.theme is not None and config.theme not in BUILTIN_THEMES:
        where = origins.get("theme", "the config file")
        known = ", ".join(sorted(BUILTIN_THEMES))
        message = f"{where}: no theme called {config.theme!r} (known: {known})"
        raise SetupError(message, usage=True)
    ids = binding_ids()
    for binding, keys in config.keymap:
        where = origins.get(f"keys.{binding}", "[keys] in the config file")
        if binding not in ids:
            known = ", ".join(sorted(ids))
            message = f"{where}: no key binding called {binding!r} (known: {known})"
            raise SetupError(message, usage=True)
        key = unknown_key(keys)
        if key is not None:
            message = (
                f"{where}: keys.{binding}: {key!r} is not a key name "
                '(e.g. "r", "space", "f5", "ctrl+r", "question_mark")'
            )
            raise SetupError(message, usage=True)


def run_app(config: Config) -> int:
    """Raises SetupError when the run cannot start; returns the exit status."""
    trace: LiveTrace | ManyTraces
    if config.hosts[1:]:
        from tracetui.run.live_many import ManyTraces

        trace = ManyTraces.open(config, preload=modules_to_preload(config))
    else:
        opener = ReplayTrace if config.replay is not None else LiveTrace
        trace = opener.open(config, preload=modules_to_preload(config))
    from tracetui.tui.app import TraceApp

    try:
        options = screen_options(config)
    except SetupError:
        trace.close()
        raise
    app = TraceApp(trace, **options)
    saved_stdout = _terminal_on_stdout()
    try:
        app.run()
    finally:
        trace.close()
        if saved_stdout is not None:
            os.dup2(saved_stdout, 1)
            os.close(saved_stdout)
    if config.report_on_exit:
        from tracetui.report import render
        from tracetui.report.several import combined_reports

        report_options = app.report_options()
        fmt = config.report_on_exit
        views = trace.snapshots(timeline_points(fmt))
        reports = [render(view, fmt, report_options) for view in views]
        sys.stdout.write(combined_reports(reports, fmt))
    return EXIT_OK
