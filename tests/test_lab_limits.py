"""Loss behind routers that all keep Linux's ICMP limit, on real kernels.

Every router keeps ``icmp_ratelimit`` at 1000 ms (one time-exceeded a second per
destination, a burst of 6): probed at ``-i 0.1`` each loses about 90 % of its
replies, at ``-i 1`` none. Forward loss of 0, 5 or 20 % on the link into hop 3
must be named there, the other routers ``rate-limited`` or ``ok``, and the
destination (whose echo replies Linux does not limit) never ``rate-limited``.

Six labs, one per loss and interval (two runs through one lab would share each
router's limit, which is per destination), probed at once: the slowest case
(5 % at ``-i 0.1``) takes about two minutes of pings to place (bench/accuracy.py's
conditions "Linux limit on every router, ...": 80-134 s over 8 seeds).
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack

import pytest
from lab.builder import Lab
from lab.topology import Link, Router, Stage, Topology

pytestmark = pytest.mark.lab

CASES = [(loss, interval) for loss in (0, 5, 20) for interval in (0.1, 1.0)]
SECONDS = {0: 40, 5: 200, 20: 90}
"""How long each loss is probed: twice the slowest time to place it in the simulator."""


def _topology(loss: int) -> Topology:
    limited = (Router(rate_limited=True),)
    return Topology(
        stages=(
            Stage(limited, Link()),
            Stage(limited, Link()),
            Stage(limited, Link(loss_forward_pct=float(loss))),
            Stage(limited, Link()),
            Stage(link=Link()),
        ),
        dns=False,
    )


@pytest.fixture(scope="module")
def reports(module_lab_ready) -> dict[tuple[int, float], dict]:
    with ExitStack() as stack:
        labs = {
            case: stack.enter_context(Lab(_topology(case[0]), f"k{index}"))
            for index, case in enumerate(CASES)
        }
        runs = {}
        for (loss, interval), lab in labs.items():
            count = round(SECONDS[loss] / interval)
            argv = [sys.executable, "-m", "tracetui", "--json", "-n", "-c", str(count)]
            argv += ["-i", str(interval), "-Z", "1", lab.plan.target_address(4)]
            runs[loss, interval] = lab.popen(*argv, stdout=subprocess.PIPE, text=True)
        out = {}
        for case, process in runs.items():
            stdout, _ = process.communicate(timeout=max(SECONDS.values()) + 120)
            assert process.returncode == 0, (case, process.returncode)
            out[case] = json.loads(stdout)["report"]
        return out


@pytest.mark.parametrize("loss,interval", CASES)
def test_the_origin_is_named_at_the_lossy_link_and_the_limits_are_not_loss(reports, loss, interval):
    report = reports[loss, interval]
    hubs = {hub["count"]: hub for hub in report["hubs"]}
    verdicts = {ttl: hub["verdict"] for ttl, hub in hubs.items()}
    why = {ttl: hub["verdict_reason"] for ttl, hub in hubs.items()}
    assert sorted(verdicts) == [1, 2, 3, 4, 5], why
    if interval < 1.0:  # the limit shows at every router
        assert all(hubs[ttl]["Loss%"] > 50.0 for ttl in (1, 2, 3, 4)), why
    assert verdicts[5] != "rate-limited", why
    if loss == 0:
        assert all(verdicts[ttl] in ("ok", "rate-limited") for ttl in range(1, 6)), why
        assert verdicts[5] == "ok", why
        return
    assert verdicts[1] in ("ok", "rate-limited") and verdicts[2] in ("ok", "rate-limited"), why
    assert verdicts[3] == "loss-origin", why
    assert verdicts[4] in ("loss-carried", "rate-limited"), why
    assert verdicts[5] == "loss-carried", why
    summary = " ".join(report["tracetui"]["summary"])
    assert "Loss begins at hop 3" in summary and "reaches the destination" in summary, summary
    if interval < 1.0:  # only pings could say where: the reason says what they showed
        assert "its pings lose" in why[3], why[3]
