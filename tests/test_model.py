"""The path model folds engine events into per-hop statistics and snapshots."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from tracetui.path.model import PathModel
from tracetui.path.snapshot import LOST, NameInfo, TraceInfo, has_rtt, is_lost
from tracetui.probe.events import (
    PathChanged,
    ProbeDiscarded,
    ProbeLost,
    ProbeReplied,
    ProbeSent,
    Restart,
    Restarted,
    RoundStarted,
)
from tracetui.probe.types import Family, ProbeMethod, ReplyKind

TE = ReplyKind.TIME_EXCEEDED
ECHO = ReplyKind.ECHO_REPLY
INFO = TraceInfo("t.example", "198.18.9.1", "198.18.0.2", Family.V4, 1, 30, 1.0, 2.0, 64, None, 10)


def _model(history=240):
    return PathModel(INFO, ProbeMethod.ICMP, lambda: datetime(2026, 1, 1, tzinfo=UTC), history)


def _round(model, round_, results):
    model.apply(RoundStarted(round_))
    for ttl in results:
        model.apply(ProbeSent(ttl, round_))
    for ttl, outcome in results.items():
        if outcome is None:
            model.apply(ProbeLost(ttl, round_))
        else:
            address, rtt, kind = outcome
            model.apply(ProbeReplied(ttl, round_, address, rtt, kind, 0))


def test_two_hop_path_statistics_and_loss():
    model = _model()
    model.apply(PathChanged(2, 2, True))
    _round(model, 1, {1: ("198.18.1.1", 1.0, TE), 2: ("198.18.9.1", 5.0, ECHO)})
    _round(model, 2, {1: ("198.18.1.1", 3.0, TE), 2: None})
    view = model.snapshot()
    hop1, hop2 = view.hops
    assert (hop1.sent, hop1.received, hop1.lost, hop1.loss_pct) == (2, 2, 0, 0.0)
    assert hop1.rtt.avg == 2.0 and hop1.rtt.last == 3.0
    assert (hop2.sent, hop2.received, hop2.lost, hop2.loss_pct) == (2, 1, 1, 50.0)
    assert hop2.is_destination and not hop1.is_destination
    assert hop2.history == (5.0, LOST)
    assert view.rounds == 2


def test_in_flight_probes_are_not_loss():
    model = _model()
    model.apply(PathChanged(1, 1, True))
    model.apply(RoundStarted(1))
    model.apply(ProbeSent(1, 1))
    hop = model.snapshot().hops[0]
    assert (hop.sent, hop.in_flight, hop.loss_pct) == (1, 1, 0.0)
    assert all(not has_rtt(x) and not is_lost(x) for x in hop.history)


def test_history_is_in_round_order_even_when_results_complete_out_of_order():
    model = _model()
    model.apply(PathChanged(1, 1, True))
    for round_ in (1, 2, 3):
        model.apply(RoundStarted(round_))
        model.apply(ProbeSent(1, round_))
    model.apply(ProbeReplied(1, 3, "a", 3.0, ECHO, 0))
    model.apply(ProbeReplied(1, 2, "a", 2.0, ECHO, 0))
    model.apply(ProbeLost(1, 1))
    assert model.snapshot().hops[0].history == (LOST, 2.0, 3.0)


def test_history_ring_is_bounded():
    model = _model(history=8)
    model.apply(PathChanged(1, 1, True))
    for round_ in range(1, 101):
        _round(model, round_, {1: ("a", float(round_), ECHO)})
    history = model.snapshot().hops[0].history
    assert history == tuple(float(r) for r in range(93, 101))


def test_every_responder_keeps_its_own_counts():
    model = _model()
    model.apply(PathChanged(2, None, True))
    for round_ in range(1, 5):
        address = "198.18.7.1" if round_ % 2 else "198.18.7.2"
        _round(model, round_, {1: (address, 10.0 + round_, TE)})
    hop = model.snapshot().hops[0]
    assert hop.received == 4
    assert {(r.address, r.received) for r in hop.responders} == {
        ("198.18.7.1", 2),
        ("198.18.7.2", 2),
    }
    first = next(r for r in hop.responders if r.address == "198.18.7.1")
    assert first.rtt.avg == pytest.approx(12.0)  # rounds 1 and 3


def test_responders_per_hop_are_capped():
    model = PathModel(INFO, ProbeMethod.ICMP, lambda: datetime.now(UTC), max_responders=3)
    model.apply(PathChanged(1, None, True))
    for round_ in range(1, 11):
        _round(model, round_, {1: (f"198.18.0.{round_}", 1.0, TE)})
    hop = model.snapshot().hops[0]
    assert len(hop.responders) == 3
    assert hop.other_replies == 7
    assert hop.received == 10


def test_discarded_probes_leave_no_trace():
    model = _model()
    model.apply(RoundStarted(1))
    for ttl in (1, 2, 3):
        model.apply(ProbeSent(ttl, 1))
    model.apply(ProbeReplied(1, 1, "a", 1.0, TE, 0))
    model.apply(ProbeReplied(2, 1, "t", 2.0, ECHO, 0))
    model.apply(PathChanged(2, 2, False))
    model.apply(ProbeDiscarded(3, 1))
    assert 3 not in model.hops
    assert [hop.ttl for hop in model.snapshot().hops] == [1, 2]


def test_restart_voids_statistics():
    model = _model()
    model.apply(PathChanged(1, 1, True))
    _round(model, 1, {1: ("a", 1.0, ECHO)})
    model.apply(Restarted(ProbeMethod.UDP, Restart.RESET))
    view = model.snapshot()
    assert view.method is ProbeMethod.UDP
    assert view.restart_reason == "statistics reset"
    assert view.rounds == 0
    assert all(hop.sent == 0 for hop in view.hops)


def test_during_discovery_only_answered_hops_show():
    model = _model()
    model.apply(RoundStarted(1))
    for ttl in range(1, 31):
        model.apply(ProbeSent(ttl, 1))
    model.apply(ProbeReplied(3, 1, "c", 1.0, TE, 0))
    assert [hop.ttl for hop in model.snapshot().hops] == [1, 2, 3]


def test_names_come_from_the_lookup():
    model = _model()
    model.apply(PathChanged(1, 1, True))
    _round(model, 1, {1: ("198.18.1.1", 1.0, ECHO)})
    names = {"198.18.1.1": NameInfo("gw.example", 64500, "EXAMPLE")}
    hop = model.snapshot(names.get).hops[0]
    assert hop.primary.hostname == "gw.example"
    assert hop.primary.names.as_label == "AS64500 EXAMPLE"
    assert model.snapshot().hops[0].primary.hostname is None


def test_new_responders_are_kept_once_each_for_the_owner_to_take():
    model = _model()
    model.apply(PathChanged(1, None, True))
    _round(model, 1, {1: ("198.18.1.1", 1.0, TE)})
    assert model.new_responders is None  # nobody asked: nothing kept
    assert model.take_new_responders() == []
    for round_ in (2, 3):
        _round(model, round_, {1: ("198.18.1.1", 1.0, TE), 2: ("198.18.2.1", 2.0, TE)})
    assert model.take_new_responders() == ["198.18.2.1"]  # 198.18.1.1 was known already
    assert model.take_new_responders() == []


def test_loss_nan_free_for_unanswered_hop():
    model = _model()
    model.apply(PathChanged(1, None, True))
    _round(model, 1, {1: None})
    hop = model.snapshot().hops[0]
    assert hop.loss_pct == 100.0
    assert not math.isnan(hop.rtt.avg)


def test_a_probe_called_off_leaves_no_trace_in_the_run_or_in_a_window():
    """ProbeDiscarded: a probe sent past what turned out to be the end of the path leaves
    the flight with no result; it is in neither Snt nor a window's Snt (a window used to
    count it as sent when it left)."""
    model = _model()
    model.apply(PathChanged(4, None, True))
    for round_ in (1, 2):
        _round(model, round_, {t: ("198.18.1.1", 1.0, TE) for t in (1, 2, 3, 4)})
    model.apply(RoundStarted(3))
    for ttl in (1, 2, 3, 4):
        model.apply(ProbeSent(ttl, 3))
    model.apply(ProbeDiscarded(4, 3))  # the path ends at 3 now
    for ttl in (1, 2, 3):
        model.apply(ProbeReplied(ttl, 3, "198.18.1.1", 1.0, TE, 0))
    for view in (model.snapshot(), model.snapshot(window=60)):
        hop = next(h for h in view.hops if h.ttl == 4)
        assert (hop.sent, hop.received, hop.in_flight) == (2, 2, 0), view.window
        first = view.hops[0]
        assert (first.sent, first.received) == (3, 3)
