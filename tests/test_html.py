"""--html: one self-contained page a support engineer reads in a minute, in a real browser.

The page is drawn from a simulated run with a loss episode (virtual time), then
opened by Debian's chromium, headless, in a network namespace of its own with no
link at all: it renders without a network, logs no console error, and its charts
are in the document it built. A control page that does try to fetch something
proves the console check can fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from simpaths import Diagnosed, Run, chain, scenario, with_link

from tracetui.diagnose import Diagnoser
from tracetui.path.diagnosis import Verdict
from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.probe.events import ProbeLost, ProbeReplied, ProbeSent, RoundStarted
from tracetui.probe.types import Family, ProbeMethod, ReplyKind
from tracetui.report import as_html
from tracetui.report.common import ReportOptions
from tracetui.report.formats import CHART_POINTS, render

DAY = 86400


def episode_view():
    """Ten minutes of a 6-hop path at 1 s rounds, 30 % loss into hop 4 from 4:00 to 6:00."""
    clean = chain(6)
    lossy = with_link(chain(6), 4, loss=0.3)
    run = Run(
        scenario(clean, lossy, clean, changes=(240.0, 360.0)),
        count=600,
        timeout=1.0,
        virtual_wallclock=True,
    )
    diagnosed = Diagnosed(run, triage=False)
    view = diagnosed.rounds(600)
    return run.model.snapshot(timeline=CHART_POINTS)._replace(diagnosis=view.diagnosis)


def test_the_page_says_what_was_found_and_shows_every_hop_over_time():
    view = episode_view()
    page = render(view, "html", ReportOptions())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for sentence in view.diagnosis.summary:
        assert as_html.escape(sentence) in page
    charts = re.findall(r'<svg id="chart-([\w]+)"', page)
    assert charts == ["dest"] + [f"hop{ttl}" for ttl in range(1, 7)]
    hop4 = page.split('<svg id="chart-hop4"')[1].split("</svg>")[0]
    hop2 = page.split('<svg id="chart-hop2"')[1].split("</svg>")[0]
    assert hop4.count('class="loss"') >= 8 and hop2.count('class="loss"') <= 2  # 10-s buckets
    assert "<polyline" in hop4 and "loss-start" in page and "UTC" in page
    assert "198.18.4.1" in page and "198.18.0.2" in page  # a hop and the source
    episode = re.search(
        r"Loss from [\d-]+ ([\d:]+) UTC to ([\d:]+) UTC \(([^)]+)\), beginning "
        r"at hop 4 \(198\.18\.4\.1\); the destination lost ([\d.]+) %",
        page,
    )
    assert episode is not None  # the sentence a ticket needs, from the events and the history
    assert 40.0 <= float(episode.group(4)) <= 60.0  # 30 % each way: about 51 % round trip
    assert not re.search(r"""(src|href)\s*=|url\(|@import|<script""", page)  # nothing fetched


def test_privacy_hides_the_first_hops_and_the_source_in_the_page_too():
    page = render(episode_view(), "html", ReportOptions(privacy_max_ttl=2))
    assert "198.18.1.1" not in page and "198.18.0.2" not in page and "198.18.4.1" in page


def test_hostile_names_and_messages_stay_text():
    view = episode_view()
    hop = view.hops[2]
    evil = hop.responders[0]._replace(address='<img src=x onerror="alert(1)">')
    hops = list(view.hops)
    hops[2] = hop._replace(responders=(evil,))
    page = render(view._replace(hops=tuple(hops)), "html", ReportOptions(show_names=False))
    assert "<img" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_every_verdict_has_a_look():
    assert set(as_html.VERDICT_CLASS) == set(Verdict)


def test_a_day_of_fifteen_hops_stays_under_a_megabyte():
    """The model fed as the engine feeds it, a round every second for 24 hours, with a loss
    episode an hour long and the event log full (its bound: MAX_EVENTS)."""
    info = TraceInfo("day", "198.18.0.15", "198.18.0.1", Family.V4, 1, 30, 1.0, 2.0, 64, 0, 0)
    model = PathModel(info, ProbeMethod.UDP, lambda: datetime(2026, 12, 8, tzinfo=UTC))
    apply = model.apply
    for round_ in range(1, DAY + 1):
        apply(RoundStarted(round_, float(round_)))
        lossy = 3 * 3600 <= round_ < 4 * 3600 and round_ % 4 == 0
        for ttl in range(1, 16):
            apply(ProbeSent(ttl, round_))
            if lossy and ttl >= 6:
                apply(ProbeLost(ttl, round_))
            else:
                kind = ReplyKind.ECHO_REPLY if ttl == 15 else ReplyKind.TIME_EXCEEDED
                rtt = 2.0 * ttl + (round_ % 7) * 0.3
                apply(ProbeReplied(ttl, round_, f"198.18.{ttl}.1", rtt, kind, 0))
    diagnoser = Diagnoser()
    view = model.snapshot(timeline=CHART_POINTS)
    diagnosis = diagnoser.update(view, final=True)
    stamp = datetime(2026, 12, 8, tzinfo=UTC)
    events = (
        tuple(
            diagnosis.events[0]._replace(at=stamp, kind="loss-start", ttl=6, message="x" * 200)
            for _ in range(500)
        )
        if diagnosis.events
        else ()
    )
    page = render(
        view._replace(diagnosis=diagnosis._replace(events=events)), "html", ReportOptions()
    )
    assert view.timeline is not None and len(view.timeline.hops[15]) <= CHART_POINTS
    assert len(page.encode()) < 1024 * 1024


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is missing (apt-get install chromium; tests/run.sh installs it)")
    return found


def open_offline(page: Path, *, screenshot: Path | None = None) -> tuple[str, str]:
    """The document chromium built from ``page`` and what it logged, with no network: its own
    network namespace holds a loopback that is down and nothing else."""
    profile = page.parent / "profile"
    command = [
        "unshare", "--net", chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
        "--no-first-run", "--virtual-time-budget=2000",
    ]  # fmt: skip
    if screenshot is not None:
        command += ["--window-size=1000,1700", "--hide-scrollbars", f"--screenshot={screenshot}"]
    else:
        command.append("--dump-dom")
    done = subprocess.run(
        [*command, page.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def console_errors(log: str) -> list[str]:
    """What the page wrote to the console or was refused (CSP, a failed load)."""
    return [
        line
        for line in log.splitlines()
        if "CONSOLE" in line or "Refused to" in line or "net::ERR" in line
    ]


def test_a_browser_renders_it_offline_without_console_errors(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render(episode_view(), "html", ReportOptions()))
    document, log = open_offline(page)
    assert console_errors(log) == []
    assert len(re.findall(r'<svg id="chart-', document)) == 7
    assert document.count("<polyline") >= 7 and "What was found" in document


def test_the_console_check_sees_a_page_that_reaches_out(tmp_path):
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        'content="default-src \'none\'"></head><body><img src="http://198.18.0.1/x.png">'
        "</body></html>"
    )
    _document, log = open_offline(page)
    assert console_errors(log) != []


def test_each_watched_branch_has_its_chart_and_privacy_drops_the_hidden_ones():
    from test_branches import diagnosed, lossy_diamond

    run = Run(scenario(lossy_diamond()), method=ProbeMethod.UDP, count=300, multipath=0.95)
    run.run()
    view, _ = diagnosed(run)
    view = view._replace(timeline=run.model.snapshot(timeline=CHART_POINTS).timeline)
    page = render(view, "html", ReportOptions())
    charts = re.findall(r'<svg id="chart-(hop\d+-branch\d+)"[^>]*aria-label="([^"]*)"', page)
    assert {label for _, label in charts} >= {
        "4. branch 198.18.40.1", "4. branch 198.18.41.1", "4. branch 198.18.42.1",
    }  # fmt: skip
    lossy = page.split('aria-label="4. branch 198.18.41.1"')[1].split("</svg>")[0]
    assert 'class="loss"' in lossy  # the branch that loses shows it
    hidden = render(view, "html", ReportOptions(privacy_max_ttl=4))
    assert "198.18.41.1" not in hidden and "branch 198.18" not in hidden.split("chart-hop5")[0]
