"""The man page (``tracetui --print-man``) says what ``--help`` says, and renders cleanly.

Both come from the one parser; this keeps it so: every option of ``--help``
with its help text is in the page as ``man`` shows it, and groff finds
nothing to warn about.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys

from unavailable import unavailable

from tracetui.cli import build_parser


def _run(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _words(text: str) -> str:
    """Text as a reader sees it, whatever the line breaks and hyphenation."""
    return re.sub(r"\s+", " ", text.replace("\u2010", "-").replace("\u2011", "-")).strip()


def _rendered(roff: str) -> str:
    groff = shutil.which("groff")
    if groff is None:
        unavailable("groff (Debian's groff-base) renders the man page")
    done = subprocess.run(
        [groff, "-man", "-Tutf8", "-ww", "-rLL=200n", "-P-c", "-P-b", "-P-u"],
        input=roff,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr  # no warning either
    return done.stdout


def test_the_man_page_has_every_option_of_help_with_its_help_text():
    page = _words(_rendered(_run("--print-man")))
    help_text = _run("--help")
    assert "usage: tracetui" in help_text
    for action in build_parser()._actions:
        if not action.option_strings or action.help in (None, "==SUPPRESS=="):
            continue
        if isinstance(action, argparse._HelpAction):
            continue  # argparse-manpage leaves -h out: a man page is the help
        for option in action.option_strings:
            assert option in page, option
        assert _words(action.help % {"default": action.default}) in page, action.option_strings


def test_the_man_page_has_what_help_has_not():
    page = _words(_rendered(_run("--print-man")))
    for heading in ("NAME", "SYNOPSIS", "EXAMPLES", "FILES", "ENVIRONMENT", "EXIT STATUS"):
        assert heading in page
    assert "TRACETUI_OPTIONS" in page and "mtr(8)" in page
