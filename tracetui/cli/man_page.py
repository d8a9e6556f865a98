"""``tracetui --print-man``: the manual page, generated from the parser by argparse-manpage.

Generated rather than written, so it cannot drift from ``--help``: every option,
its letters and its help text come from the one parser. What a man page has
beyond ``--help`` (examples, files, environment, exit status, see also) is here.
"""

from __future__ import annotations

import argparse

from tracetui import __version__

SHORT = "continuous network path monitor (mtr's options, live verdicts per hop)"

EXAMPLES = r"""
.TP
.B tracetui example.org
The live screen: every hop's loss, round trips and verdict, round after round
(raw sockets need root or CAP_NET_RAW; without them ICMP goes through ping sockets).
.TP
.B tracetui \-rwc 100 example.org
mtr's wide text report after 100 rounds.
.TP
.B tracetui \-j \-c 10 example.org
The same as JSON, in mtr 0.95's shape and types, with tracetui's verdicts added.
.TP
.B tracetui \-T \-P 443 example.org
TCP SYN probes to port 443.
.TP
.B tracetui \-\-headless \-\-metrics 9464 \-F targets.txt
An agent: every target in the file, Prometheus metrics on 127.0.0.1:9464,
path events logged on stderr.
.TP
.B tracetui \-\-demo
A simulated network: no root, no probe leaves the machine.
"""

FILES = r"""
.TP
.I $XDG_CONFIG_HOME/tracetui/config.toml
Defaults for any long option (its name without the dashes), the theme and key
remaps (\fB[keys]\fR); \fB\-\-print\-config\fR prints one.
.TP
.I $XDG_STATE_HOME/tracetui/theme
The theme last chosen with Ctrl+P on the live screen.
"""

ENVIRONMENT = r"""
.TP
.B TRACETUI_OPTIONS
Options read before the command line, as mtr reads MTR_OPTIONS.
"""

EXIT_STATUS = r"""
0 when the run ended as asked; 1 when probing failed or a report could not be
written; 2 for bad input (options, files, names), with one line on stderr;
128 + N when ended by signal N (a report still prints what it has).
"""

SEE_ALSO = r"""
.BR mtr (8),
.BR traceroute (8),
.BR ping (8)
"""


def man_page(parser: argparse.ArgumentParser) -> str:
    from argparse_manpage.manpage import Manpage  # type: ignore[import-untyped]  # no stubs

    page = Manpage(
        parser,
        _data={
            "description": SHORT,
            "project_name": "tracetui",
            "version": __version__,
            "manual_title": "User Commands",
        },
    )
    page.add_section("examples", "=", EXAMPLES.strip())
    page.add_section("files", "=", FILES.strip())
    page.add_section("environment", "=", ENVIRONMENT.strip())
    page.add_section("exit status", "=", EXIT_STATUS.strip())
    page.add_section("see also", "=", SEE_ALSO.strip())
    # a line that starts with an apostrophe is a troff request: a help text quoting
    # ('loss>5% for 60s') may be wrapped there; \& makes it text
    lines = str(page).split("\n")
    return "\n".join("\\&" + line if line.startswith("'") else line for line in lines)
