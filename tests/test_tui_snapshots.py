"""Snapshot tests of the main screens on deterministic data (the demo on virtual time).

Update after an intended change with: .venv/bin/pytest tests/test_tui_snapshots.py --snapshot-update
and look at the pictures (pytest writes snapshot_report.html on failure).
"""

from __future__ import annotations

import pytest
from tui_support import demo_app, long_demo_app


def test_main_screen(snap_compare, monkeypatch, tmp_path):
    assert snap_compare(demo_app(monkeypatch, tmp_path), terminal_size=(120, 34))


def test_detail_pane_of_the_ecmp_hop(snap_compare, monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    assert snap_compare(app, press=["down"] * 6, terminal_size=(120, 34))


def test_rtt_chart_with_as_numbers(snap_compare, monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path, seconds=60.0)
    assert snap_compare(app, press=["d", "z"], terminal_size=(120, 34))


def test_jitter_columns(snap_compare, monkeypatch, tmp_path):
    assert snap_compare(demo_app(monkeypatch, tmp_path), press=["j"], terminal_size=(120, 34))


def test_help_screen(snap_compare, monkeypatch, tmp_path):
    assert snap_compare(demo_app(monkeypatch, tmp_path), press=["?"], terminal_size=(120, 34))


def test_export_dialog(snap_compare, monkeypatch, tmp_path):
    assert snap_compare(demo_app(monkeypatch, tmp_path), press=["E"], terminal_size=(120, 34))


def test_settings_dialog_at_80x24(snap_compare, monkeypatch, tmp_path):
    """mtr's s: the dialog opens at the packet size, every setting in view at 80x24."""
    assert snap_compare(demo_app(monkeypatch, tmp_path), press=["s"], terminal_size=(80, 24))


@pytest.mark.parametrize(
    "hops, size",
    [(15, (80, 24)), (15, (100, 30)), (30, (80, 24)), (30, (160, 45)), (30, (200, 60))],
    ids=["15-hops-80x24", "15-hops-100x30", "30-hops-80x24", "30-hops-160x45", "30-hops-200x60"],
)
def test_terminal_sizes(snap_compare, monkeypatch, tmp_path, hops, size):
    """The default layout at common sizes: a 15-hop path fits 80x24 whole."""
    assert snap_compare(long_demo_app(monkeypatch, tmp_path, hops), terminal_size=size)


def test_small_terminal(snap_compare, monkeypatch, tmp_path):
    assert snap_compare(demo_app(monkeypatch, tmp_path), terminal_size=(80, 24))


def test_verdicts_of_the_demo_path(snap_compare, monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path, seconds=120.0)
    assert snap_compare(app, press=["down"] * 8, terminal_size=(120, 34))


def test_events_view(snap_compare, monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path, seconds=120.0)
    assert snap_compare(app, press=["v"], terminal_size=(120, 34))


def test_branches_of_a_balanced_hop(snap_compare, monkeypatch, tmp_path):
    """--multipath: hop 7's two next hops found (∥2 95%), each on its row with its own
    flow's loss and times, and its verdict (= hop: the loss is the hop's, not a branch's)."""
    app = demo_app(monkeypatch, tmp_path, "-u", "--multipath", seconds=90.0)
    assert snap_compare(app, terminal_size=(100, 30))


def test_timeline_and_focus_at_80x24(snap_compare, monkeypatch, tmp_path):
    """T: loss and latency over the run; F: the table, verdicts and events of that span."""
    app = demo_app(monkeypatch, tmp_path, seconds=600.0)
    assert snap_compare(app, press=["T", "comma", "F"], terminal_size=(80, 24))
