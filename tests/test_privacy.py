"""--privacy-max-ttl: the first hops and the source hidden in every report and on screen."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tui_support import demo_app, screen_text

from tracetui.report.formats import FORMATS

SIZE = (120, 34)
HIDDEN_HOSTS = ("gw.home.example", "198.18.1.1", "bras1.access.isp.example", "198.18.2.1")
SOURCE = "198.18.0.2"


async def test_every_report_and_the_screen_hide_the_first_hops(monkeypatch, tmp_path):
    private = demo_app(monkeypatch, tmp_path, "--privacy-max-ttl", "2", seconds=120.0)
    public = demo_app(monkeypatch, tmp_path, seconds=120.0)
    async with private.run_test(size=SIZE) as pilot, public.run_test(size=SIZE) as other:
        await pilot.pause()
        await other.pause()
        shown = screen_text(private)
        assert "agg2.metro.isp.example" in shown and "(hidden)" in shown
        for secret in (*HIDDEN_HOSTS, SOURCE):
            assert secret not in shown, secret
            assert secret in screen_text(public) or secret in public.render_report("json")
        for fmt in FORMATS:
            report = private.render_report(fmt)
            for secret in (*HIDDEN_HOSTS, SOURCE, "vm"):
                if secret == "vm" and fmt != "text":
                    continue  # the local host's name, where a report prints it
                assert secret not in report, (fmt, secret)
            assert "agg2.metro.isp.example" in report or (fmt == "csv" and "agg2" in report)
        # the numbers stay: a hidden hop's loss and times are the same as without privacy
        mine = private.view
        theirs = public.view
        assert mine is not None and theirs is not None
        assert [h.loss_pct for h in mine.hops] == [h.loss_pct for h in theirs.hops]
        assert [h.rtt.avg for h in mine.hops] == [h.rtt.avg for h in theirs.hops]
        # the summary names a hop after the hidden ones as before
        assert mine.diagnosis is not None and theirs.diagnosis is not None
        assert mine.diagnosis.summary[0] == theirs.diagnosis.summary[0]


@pytest.mark.parametrize("leak", [["--stream", "x.jsonl"], ["--events", "e.jsonl"], ["-l"]])
def test_outputs_that_write_every_responder_are_refused_with_it(leak, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--privacy-max-ttl", "2", *leak, "--demo"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--privacy-max-ttl" in done.stderr
