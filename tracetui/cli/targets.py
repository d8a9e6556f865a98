"""Several targets: reading them from a file (-F), and what several targets cannot do."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from tracetui.cli.values import UsageError
from tracetui.probe.types import ProbeMethod
from tracetui.settings.config import TargetOptions
from tracetui.textsafe import printable

MAX_TARGETS = 10000


LINE_METHODS = {
    "-u": ProbeMethod.UDP,
    "--udp": ProbeMethod.UDP,
    "-T": ProbeMethod.TCP,
    "--tcp": ProbeMethod.TCP,
    "--icmp": ProbeMethod.ICMP,
}


LINE_OPTIONS = "-u, -T, --icmp and -P PORT"


def line_options(words: list[str], where: str) -> TargetOptions | None:
    """A -F line's options after its host: the method (-u, -T, --icmp) and -P PORT."""
    method: ProbeMethod | None = None
    port: int | None = None
    words = list(words)
    while words:
        word = words.pop(0)
        value = None
        if word.startswith("--port="):
            word, value = "--port", word.split("=", 1)[1]
        if word in LINE_METHODS:
            if method is not None and method is not LINE_METHODS[word]:
                raise UsageError(f"{where}: one probe method per target, not {word} too")
            method = LINE_METHODS[word]
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


MAX_LINE = 4096
"""Characters a -F line may have: a host name (255), its options and a comment."""


def _lines(path: str) -> Iterator[tuple[int, str]]:
    """The file's lines, numbered, read one at a time (any size of file: what bounds a
    run is the number of targets); a line longer than MAX_LINE is an error, not a cut."""
    try:
        with open(path, encoding="utf-8", errors="replace") as source:
            number = 0
            while line := source.readline(MAX_LINE + 1):
                number += 1
                if len(line) > MAX_LINE and not line.endswith("\n"):
                    raise UsageError(f"{path}:{number}: a line of over {MAX_LINE} characters")
                yield number, line
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_targets(path: str) -> list[tuple[str, TargetOptions | None]]:
    """-F/--filename: one target per line, optionally with its own method and port
    (``example.org -T -P 443``); blank lines and # comments are skipped."""
    targets: list[tuple[str, TargetOptions | None]] = []
    for number, line in _lines(path):
        if len(targets) > MAX_TARGETS:
            break  # check_several says it, with the count so far
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        host, *words = text.split()
        where = f"{path}:{number}"
        if len(host) > 255 or host.startswith("-"):
            raise UsageError(f"{where}: a host name or address first, not {printable(host)!r}")
        targets.append((host, line_options(words, where)))
    if not targets:
        raise UsageError(f"{path} names no target")
    return targets


def check_several(args: argparse.Namespace, hosts: list[str], report_format: str | None) -> None:
    """What several targets cannot do yet, each refused in one line."""
    if len(hosts) > MAX_TARGETS:
        more = "" if args.filename is None else " or more"
        raise UsageError(
            f"at most {MAX_TARGETS} targets at once, not {len(hosts)}{more}: "
            "split them over several tracetui processes"
        )
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
