"""--dot: the path and its branches as a Graphviz graph, which Graphviz itself reads."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from simpaths import Run, scenario
from test_branches import diagnosed, lossy_diamond

from tracetui.probe.types import ProbeMethod
from tracetui.report.common import ReportOptions
from tracetui.report.formats import render


def test_the_diamond_is_drawn_with_the_lossy_branch_in_red():
    run = Run(scenario(lossy_diamond()), method=ProbeMethod.UDP, count=300, multipath=0.95)
    run.run()
    view, _ = diagnosed(run)
    dot = render(view, "dot", ReportOptions())
    nodes = dict(re.findall(r'^  "(\d+/[\d.]+)" \[label="([^"]*)"', dot, re.M))
    assert {key.split("/")[1] for key in nodes if key.startswith("4/")} == {
        "198.18.40.1", "198.18.41.1", "198.18.42.1",
    }  # fmt: skip
    assert '"4/198.18.41.1" [label="hop 4\\n198.18.41.1\\nbranch loss' in dot
    assert re.search(r'"4/198\.18\.41\.1" \[label="[^"]*", color=red', dot)
    assert not re.search(r'"4/198\.18\.40\.1" \[label="[^"]*", color=', dot)
    edges = set(re.findall(r'^  ("[^"]+"|source) -> ("[^"]+");', dot, re.M))
    assert ('"3/198.18.3.1"', '"4/198.18.41.1"') in edges
    assert ("source", '"1/198.18.1.1"') in edges
    if shutil.which("dot") is None:
        pytest.fail("Graphviz is missing (apt-get install graphviz; tests/run.sh installs it)")
    drawn = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True)
    assert drawn.returncode == 0 and drawn.stderr == "" and "<svg" in drawn.stdout


def test_untrusted_names_cannot_break_out_of_a_label():
    """A DNS name is whatever its zone says: quotes and backslashes stay inside the string."""
    from tracetui.report import as_dot

    assert as_dot._quoted('evil"] ; x -> y [label="', "a\\b") == (
        '"evil\\"] ; x -> y [label=\\"\\na\\\\b"'
    )
