"""Alert rules on simulated episodes (virtual time): each raised once and cleared once,
at the time its rule says, and never on a clean path or for a rate-limited hop."""

from __future__ import annotations

import pytest
from simpaths import Diagnosed, Run, chain, router, scenario, with_link, with_routers

from tracetui.diagnose.alerts import parse_rule
from tracetui.probe.sim import SimHop, SimLink, SimPath
from tracetui.probe.sim.world import IcmpLimit

ALL = ("loss>5% for 60s", "latency>50ms for 60s", "origin for 2m", "route for 60s",
       "unreachable for 30s")  # fmt: skip


def watch(*paths, changes=(), rounds=900, alerts=ALL, seed=1, **settings):
    run = Run(
        scenario(*paths, changes=changes),
        seed=seed,
        timeout=1.0,
        virtual_wallclock=True,
        **settings,
    )
    diagnosed = Diagnosed(run, triage=True, alerts=alerts)
    diagnosed.rounds(rounds)
    alerts_seen = [e for e in diagnosed.events if e.kind.startswith("alert-")]
    return diagnosed, alerts_seen


def at(diagnosed: Diagnosed, event) -> float:
    """Seconds since the run began (the wall clock of the model follows virtual time)."""
    return (event.at - diagnosed.run.model.started).total_seconds()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("loss>5% for 60s", "loss>5% for 60s"),
        ("LOSS > 2.5 : 2m", "loss>2.5% for 120s"),
        ("latency>150ms for 5m", "latency>150ms for 300s"),
        ("origin", "origin for 120s"),
        ("route for 1h", "route for 3600s"),
        ("unreachable:30", "unreachable for 30s"),
    ],
)
def test_rules_read_as_written(text, name):
    assert parse_rule(text).name == name
    assert parse_rule(name).name == name  # the canonical form reads back


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("loss for 60s", "needs a threshold"),
        ("route>3 for 5m", "has no threshold"),
        ("loss>5ms", "measured in %"),
        ("loss>150%", "between 0 and 100"),
        ("latency>0ms", "above 0 ms"),
        ("jitter>3ms", "no alert rule"),
        ("loss>5% for 2d", "no alert rule"),
        ("loss>5% for 0s", "between 1 s and 24 h"),
    ],
)
def test_bad_rules_say_what_is_wrong(text, says):
    with pytest.raises(ValueError, match=says):
        parse_rule(text)


def test_a_clean_path_never_alerts():
    _run, alerts = watch(chain(6), rounds=900)
    assert alerts == []


def test_a_rate_limited_router_never_alerts():
    path = with_routers(chain(6), 2, router(2, limit=IcmpLimit(burst=6)))
    run, alerts = watch(path, rounds=600, interval=0.2)
    view = run.run.model.snapshot()
    assert view.hops[1].lost > 0.5 * view.hops[1].sent  # it does lose most replies
    assert run.history[-1][2] == "rate-limited"
    assert alerts == []


def test_a_loss_episode_raises_each_rule_once_and_clears_it_once():
    """20 % loss each way into hop 4 from 300 s to 600 s."""
    clean = chain(6)
    lossy = with_link(chain(6), 4, loss=0.2)
    run, alerts = watch(clean, lossy, clean, changes=(300.0, 600.0), rounds=1000)
    kinds = [(e.kind, e.alert.rule) for e in alerts]
    assert kinds.count(("alert-raised", "loss>5% for 60s")) == 1
    assert kinds.count(("alert-cleared", "loss>5% for 60s")) == 1
    assert kinds.count(("alert-raised", "origin for 120s")) == 1
    assert kinds.count(("alert-cleared", "origin for 120s")) == 1
    assert {rule for _kind, rule in kinds} == {"loss>5% for 60s", "origin for 120s"}
    times = {(e.kind, e.alert.rule): at(run, e) for e in alerts}
    assert 300 < times[("alert-raised", "loss>5% for 60s")] < 330  # 36 % lost: soon clear
    assert 600 < times[("alert-cleared", "loss>5% for 60s")] < 680  # the window moves on
    assert 420 <= times[("alert-raised", "origin for 120s")] < 480  # held for 2 minutes
    assert times[("alert-cleared", "origin for 120s")] > 700
    raised = next(
        e for e in alerts if e.kind == "alert-raised" and e.alert.rule.startswith("origin")
    )
    assert raised.ttl == 4 and "hop 4" in raised.message
    loss = next(e for e in alerts if e.kind == "alert-raised" and e.alert.rule.startswith("loss"))
    assert loss.alert.state == "firing" and loss.alert.value > 5 and loss.alert.unit == "%"


def test_latency_above_a_threshold_for_its_window():
    slow = with_link(chain(6), 3, delay_ms=40.0)  # 80 ms more round trip from hop 3 on
    run, alerts = watch(chain(6), slow, chain(6), changes=(200.0, 500.0), rounds=800)
    kinds = [(e.kind, e.alert.rule) for e in alerts]
    assert kinds == [
        ("alert-raised", "latency>50ms for 60s"),
        ("alert-cleared", "latency>50ms for 60s"),
    ]
    raised, cleared = (at(run, e) for e in alerts)
    assert 200 < raised < 270 and 500 < cleared < 570


def test_a_route_change_raises_once_and_clears_after_a_quiet_minute():
    other = list(chain(6).hops)
    other[2] = SimHop((router(3, 2),), SimLink(1.0))  # hop 3 is another router
    run, alerts = watch(chain(6), SimPath(tuple(other)), changes=(300.0,), rounds=600)
    kinds = [(e.kind, e.alert.rule) for e in alerts]
    assert kinds == [("alert-raised", "route for 60s"), ("alert-cleared", "route for 60s")]
    raised, cleared = (at(run, e) for e in alerts)
    assert 300 < raised < 330 and raised + 60 <= cleared < raised + 120


def test_a_destination_gone_dark_raises_unreachable_and_back_clears_it():
    dark = with_link(chain(6), 6, loss=1.0)
    run, alerts = watch(chain(6), dark, chain(6), changes=(200.0, 400.0), rounds=600,
                        alerts=("unreachable for 30s",))  # fmt: skip
    kinds = [e.kind for e in alerts]
    assert kinds == ["alert-raised", "alert-cleared"]
    raised, cleared = (at(run, e) for e in alerts)
    assert 230 <= raised < 280 and 400 < cleared < 440


def test_the_metrics_say_which_rules_fire_now():
    """tracetui_alert_firing is 1 while a rule fires and 0 otherwise, a series per rule."""
    from prometheus_client.parser import text_string_to_metric_families

    from tracetui.outputs.metrics import MetricsAgent, PathMetrics

    lossy = with_link(chain(6), 4, loss=0.2)
    run = Run(scenario(chain(6), lossy, changes=(120.0,)), timeout=1.0, virtual_wallclock=True)
    diagnosed = Diagnosed(run, triage=False, alerts=("loss>5% for 60s", "route for 60s"))
    metrics = PathMetrics("example.org")
    firing = []
    for _ in range(24):
        view = diagnosed.rounds(10)
        metrics.publish(view, diagnosed.diagnoser.new_events)
        text = MetricsAgent([metrics]).exposition()
        samples = {
            s.labels["rule"]: s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "tracetui_alert_firing"
        }
        firing.append(samples)
    assert firing[0] == {"loss>5% for 60s": 0.0, "route for 60s": 0.0}
    assert firing[-1]["loss>5% for 60s"] == 1.0 and firing[-1]["route for 60s"] == 0.0
