"""The headless core never imports Textual (nor scapy, which costs half a second).

tests/test_import_contracts.py checks the layers statically; this checks what
really gets loaded, lazy imports included.
"""

from __future__ import annotations

import subprocess
import sys

HEADLESS = [
    "tracetui.cli",
    "tracetui.run.headless",
    "tracetui.run.startup",
    "tracetui.path.model",
    "tracetui.path.stats",
    "tracetui.report",
    "tracetui.probe.engine",
    "tracetui.probe.sockets",
    "tracetui.probe.sim",
    "tracetui.names.reverse_dns",
    "tracetui.names.service",
    "tracetui.run.live",
    "tracetui.tui.control",
    "tracetui.columns",
    "tracetui.labels",
    "tracetui.diagnose",
    "tracetui.path.history",
    "tracetui.outputs.event_log",
    "tracetui.icmp_extensions",
    "tracetui.run.demo",
]


def test_headless_modules_import_neither_textual_nor_scapy():
    code = (
        "import sys\n"
        f"for name in {HEADLESS!r}: __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'scapy', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_scapy_is_loaded_only_when_an_extension_structure_is_decoded():
    code = (
        "import sys\n"
        f"for name in {HEADLESS!r}: __import__(name)\n"
        "import tracetui.tui.app\n"
        "from tracetui import icmp_extensions as ext\n"
        "before = 'scapy' in sys.modules\n"
        "empty = ext.decode_if_ready(b'') == ext.NONE\n"
        "data = ext.encode(ext.IcmpExtensions((ext.MplsLabel(16, 0, True, 1),)))\n"
        "pending = ext.decode_if_ready(data) == ext.NONE and ext.wanted()\n"
        "still_not = 'scapy' in sys.modules\n"
        "decoded = ext.decode(data).mpls[0].label\n"
        "print(before, empty, pending, still_not, decoded, 'scapy' in sys.modules, ext.wanted())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "True", "False", "16", "True", "False"]


def test_report_path_does_not_load_dnspython_until_names_are_needed():
    code = (
        "import sys\n"
        "import tracetui.run.headless, tracetui.run.startup\n"
        "print(any(m.startswith('dns') for m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_an_mtr_report_does_not_import_the_diagnosis():
    """mtr's reports show no verdicts: reading their command line and opening the run
    must not load the diagnosis (about 15 ms of start-up, per figure 1's every run)."""
    code = (
        "import sys\n"
        "from tracetui.cli import parse_config\n"
        "import tracetui.run.headless, tracetui.run.startup\n"
        "parse_config(['-r', '-c', '3', 'h'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('tracetui.diagnose')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
