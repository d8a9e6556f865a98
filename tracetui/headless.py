"""``tracetui --report``: probe for --count rounds, then print one report.

The engine runs in the main thread and folds straight into the model (no
queue, no screen), which keeps the cost per probe close to mtr's. Names are
looked up in the background while probing and get a bounded extra wait at the
end, so the report shows them as mtr does without ever hanging on DNS.
"""

from __future__ import annotations

import signal
import sys

from tracetui.config import Config
from tracetui.exits import EXIT_FAILURE, EXIT_OK, EXIT_SIGNAL_BASE
from tracetui.files import write_atomically
from tracetui.names import LOOKUP_MODULES, open_names
from tracetui.report.formats import REPORT_MODULES
from tracetui.startup import open_session

NAME_WAIT = 2.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def modules_to_preload(config: Config) -> tuple[str, ...]:
    return REPORT_MODULES + (LOOKUP_MODULES if config.names or config.aslookup else ())


def run_report(config: Config) -> int:
    """Raises SetupError when the run cannot start; returns the exit status."""
    session = open_session(config, preload=modules_to_preload(config))
    names = None
    if config.names or config.aslookup:
        names = open_names(config, config.aslookup)
        session.model.on_new_responder = names.request
    received: list[int] = []

    def interrupt(signum: int, _frame: object) -> None:
        received.append(signum)
        session.engine.stop()

    previous = {signum: signal.signal(signum, interrupt) for signum in _SIGNALS}
    try:
        session.engine.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        session.close()
    lookup = None
    if names is not None:
        names.wait(NAME_WAIT)
        lookup = names.lookup
    view = session.model.snapshot(lookup)
    if names is not None:
        names.stop()
    from tracetui.report import ReportOptions, render  # after probing: not on the way to it

    options = ReportOptions(show_names=config.names, show_asn=config.aslookup)
    text = render(view, config.report_format or "text", options)
    status = EXIT_SIGNAL_BASE + received[0] if received else EXIT_OK
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
