"""Every probe's state, its transitions, and what a reply to a settled probe means."""

from __future__ import annotations

from tracetui.probe.lifecycle import Probe, ProbeLedger, ProbeState


def _probe(ttl: int = 1) -> Probe:
    return Probe(ttl, 1, 0.0, 0)


def test_an_awaited_probe_settles_once():
    ledger = ProbeLedger(16)
    key = ledger.allocate()
    probe = _probe()
    ledger.await_reply(key, probe, deadline=2.0)
    assert ledger.state_of(key) is ProbeState.AWAITED and len(ledger) == 1
    assert ledger.settle(key, ProbeState.ANSWERED) is probe
    assert ledger.state_of(key) is ProbeState.ANSWERED and len(ledger) == 0
    assert ledger.settle(key, ProbeState.ANSWERED) is None  # a duplicate finds nothing


def test_deadlines_expire_in_order_and_skip_answered_probes():
    ledger = ProbeLedger(16)
    keys = []
    for index in range(4):
        key = ledger.allocate()
        ledger.await_reply(key, _probe(index + 1), deadline=1.0 + index)
        keys.append(key)
    ledger.settle(keys[0], ProbeState.ANSWERED)
    assert ledger.next_deadline() == 2.0  # the answered one no longer wakes anyone
    expired = [key for key, _ in ledger.expired(3.0)]
    assert expired == keys[1:3]
    assert ledger.state_of(keys[1]) is ProbeState.LOST
    assert ledger.state_of(keys[3]) is ProbeState.AWAITED


def test_restart_voids_what_is_awaited():
    ledger = ProbeLedger(16)
    key = ledger.allocate()
    ledger.await_reply(key, _probe(), deadline=5.0)
    ledger.void_all()
    assert ledger.state_of(key) is ProbeState.VOID and ledger.next_deadline() is None
    assert list(ledger.expired(10.0)) == []


def test_keys_are_reused_as_late_as_possible_and_never_while_awaited():
    ledger = ProbeLedger(4)
    first = [ledger.allocate() for _ in range(4)]
    assert first == [0, 1, 2, 3]
    for key in first[:3]:
        ledger.await_reply(key, _probe(), deadline=1.0)
    ledger.settle(1, ProbeState.ANSWERED)
    assert ledger.allocate() == 1  # 3 was never awaited, but 0 and 2 still are... round-robin
    ledger.await_reply(1, _probe(), deadline=1.0)
    ledger.await_reply(3, _probe(), deadline=1.0)
    assert ledger.allocate() is None  # every key is awaited


def test_settled_states_are_bounded():
    ledger = ProbeLedger(1 << 16, max_settled=100)
    for _ in range(1000):
        key = ledger.allocate()
        ledger.await_reply(key, _probe(), deadline=0.0)
        list(ledger.expired(1.0))
    assert ledger.sizes == (0, 0, 100)


def test_a_discarded_probe_is_remembered_as_such():
    ledger = ProbeLedger(16)
    key = ledger.allocate()
    ledger.await_reply(key, _probe(9), deadline=1.0)
    ledger.settle(key, ProbeState.ANSWERED)
    ledger.mark(key, ProbeState.DISCARDED)
    assert ledger.state_of(key) is ProbeState.DISCARDED
