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
from tracetui.files import write_atomically
from tracetui.session import SetupError, open_session

EXIT_FAILURE = 1
EXIT_USAGE = 2
NAME_WAIT = 2.0
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def start_names(config: Config):
    """Imported here: asyncio and dnspython cost start-up time that -n runs never need."""
    if config.demo:
        from tracetui.demo import DemoNames

        return DemoNames(config.aslookup)
    from tracetui.resolve import BackgroundNames

    return BackgroundNames.start(config.dns_servers, config.aslookup)


def run_report(config: Config) -> int:
    try:
        session = open_session(config)
    except SetupError as exc:
        print(f"tracetui: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else EXIT_FAILURE
    names = None
    if config.names:
        names = start_names(config)
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
    view = session.model.snapshot(lookup, session.counters())
    if names is not None:
        names.stop()
    from tracetui.report import ReportOptions, render  # after probing: not on the way to it

    options = ReportOptions(show_names=config.names, show_asn=config.aslookup)
    text = render(view, config.report_format or "text", options)
    status = 128 + received[0] if received else 0
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
