"""The benchmark command keeps working (a tiny run); no figure is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab


def test_bench_quick_run_prints_every_figure(lab_ready):
    bench = Path(__file__).resolve().parents[1] / "bench" / "run.py"
    done = subprocess.run(
        [sys.executable, str(bench), "--quick"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    figures = [row.split("|")[1].strip() for row in rows[2:]]
    for number in ("1.", "2.", "3a.", "3b.", "3c.", "4.", "5a.", "5b.", "5c.", "6.", "7.", "8."):
        assert any(figure.startswith(number) for figure in figures), number
