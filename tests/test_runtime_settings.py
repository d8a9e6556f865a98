"""Settings changed while running (mtr's i f m s Q b keys), on the simulated network.

What each change must do to the numbers: the interval, the TTL range and max
unknown change how the path is probed, so a hop's counts carry on; the packet
size and TOS change what a probe measures, so the statistics start afresh
(and ``--count`` still counts every round). Each change is an event.
"""

from __future__ import annotations

import pytest
from simpaths import Run, chain, scenario, with_link

from tracetui.diagnose import Diagnoser
from tracetui.probe.events import ProbeSent, Reconfigured, Restart, Restarted, RoundStarted
from tracetui.probe.tunables import TUNABLES, apply_changes, describe, parse_changes
from tracetui.probe.types import Family, ProbeMethod, ProbeSettings


def rounds_between(run: Run, start: float, end: float) -> int:
    return sum(1 for e in run.events if type(e) is RoundStarted and start <= e.at < end)


def test_a_new_interval_keeps_the_statistics_and_takes_effect_from_the_next_round():
    run = Run(scenario(chain(4)), interval=1.0)
    run.run_for(5.5)
    before = run.model.snapshot()
    sent = before.hops[-1].sent
    changed_at = run.sim.clock.now()
    run.engine.request_settings({"interval": 0.25})
    view = run.run_for(5.0)
    assert 19 <= rounds_between(run, changed_at, changed_at + 5.0) <= 21
    assert view.started == before.started  # no restart: the numbers carry on
    assert view.hops[-1].sent >= sent + 19
    assert view.info.interval == 0.25
    assert not any(type(e) is Restarted and e.reason is Restart.SETTINGS for e in run.events)
    (event,) = [e for e in run.events if type(e) is Reconfigured]
    assert event.change == "interval 1 s → 0.25 s" and not event.fresh
    assert view.changes == ((1, "interval 1 s → 0.25 s"),)


def test_a_narrower_ttl_range_probes_and_shows_only_those_hops_and_keeps_their_counts():
    run = Run(scenario(chain(6)), interval=0.5)
    run.run_for(5.2)
    sent_at_3 = run.model.snapshot().hops[2].sent
    run.engine.request_settings({"first_ttl": 3, "max_ttl": 4})
    changed_at = len(run.events)
    view = run.run_for(5.0)
    later = [e.ttl for e in run.events[changed_at:] if type(e) is ProbeSent]
    assert later and set(later) == {3, 4}
    assert [hop.ttl for hop in view.hops] == [3, 4]
    assert view.hops[0].sent >= sent_at_3 + 9  # the same hop, counting on
    run.engine.request_settings({"first_ttl": 1, "max_ttl": 30})
    view = run.run_for(3.0)
    assert [hop.ttl for hop in view.hops] == [1, 2, 3, 4, 5, 6]
    assert view.dest_ttl == 6


def test_a_new_packet_size_starts_afresh_and_count_still_counts_every_round():
    """A link with an MTU of 1000: 1400-byte probes are refused there, as on a real path."""
    path = with_link(chain(5), 3, mtu=1000)
    run = Run(scenario(path), interval=0.5, count=20)
    run.run_for(4.2)
    started = run.model.snapshot().started
    run.engine.request_settings({"size": 1400})
    view = run.run()
    kinds = [(type(e), getattr(e, "reason", None)) for e in run.events]
    at = kinds.index((Reconfigured, None))
    assert kinds[at + 1] == (Restarted, Restart.SETTINGS)
    assert view.started != started
    assert view.rounds == 20  # -c 20 is twenty rounds, whatever changed in between
    assert view.hops[-1].sent < 20  # only the rounds since the change
    assert view.info.size == 1400
    assert view.hops[-1].responders[0].kind.name == "PACKET_TOO_BIG"
    assert view.restart_reason == "packet size 64 B → 1400 B: new statistics"


def test_tos_reaches_the_transport_and_starts_afresh():
    run = Run(scenario(chain(3)), interval=0.5)
    run.run_for(2.0)
    run.engine.request_settings({"tos": 0x10})
    view = run.run_for(2.0)
    assert run.sim.tos == 0x10
    assert view.info.tos == 0x10
    assert any(type(e) is Restarted and e.reason is Restart.SETTINGS for e in run.events)


def test_a_bit_pattern_fills_the_payload_from_then_on_without_a_restart():
    run = Run(scenario(chain(3)), interval=0.5)
    run.run_for(1.2)
    run.engine.request_settings({"pattern": 0xAA})
    view = run.run_for(2.0)
    assert view.info.pattern == 0xAA
    assert run.engine._codec.build(7).endswith(b"\xaa\xaa")
    assert not any(type(e) is Restarted and e.reason is Restart.SETTINGS for e in run.events)
    assert all(hop.received + hop.lost + hop.in_flight == hop.sent for hop in view.hops)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"first_ttl": 12}, "first TTL (12) is above max TTL (10)"),
        ({"size": 20}, "packet size 20 is too small for ICMP over IPv4 (at least 28)"),
        ({"interval": 0.0}, "interval must be between 0.001 and 3600 seconds, not 0.0"),
        ({"tos": 256}, "TOS must be between 0 and 255, not 256"),
        ({"timeout": 3}, "not a setting that can change while running: timeout"),
    ],
)
def test_changes_that_make_no_sense_are_refused_at_once_in_one_line(changes, message):
    run = Run(scenario(chain(3)), max_ttl=10)
    with pytest.raises(ValueError) as refused:
        run.engine.request_settings(changes)
    assert str(refused.value) == message


def test_the_dialog_texts_parse_as_the_command_line_would():
    assert parse_changes({"interval": "0.5", "tos": "0x10", "max_ttl": " 12 "}) == {
        "interval": 0.5,
        "tos": 16,
        "max_ttl": 12,
    }
    with pytest.raises(ValueError, match="bit pattern must be a whole number, not 'x'"):
        parse_changes({"pattern": "x"})
    settings = apply_changes(ProbeSettings(), {"size": 1400, "interval": 2.0}, Family.V6)
    assert describe(ProbeSettings(), settings) == "interval 1 s → 2 s, packet size 64 B → 1400 B"
    with pytest.raises(ValueError, match=r"too small for TCP over IPv6 \(at least 64\)"):
        apply_changes(ProbeSettings(method=ProbeMethod.TCP), {"size": 50}, Family.V6)
    assert {t.key for t in TUNABLES.values()} == {"i", "f", "m", "s", "Q", "b", ""}


def test_every_change_is_an_event_and_a_fresh_start_is_not_also_called_a_reset():
    run = Run(scenario(chain(3)), interval=0.5)
    diagnoser = Diagnoser()
    run.run_for(3.0)
    diagnoser.update(run.model.snapshot())
    run.engine.request_settings({"interval": 0.2})
    run.run_for(1.0)
    run.engine.request_settings({"size": 200})
    run.run_for(1.0)
    diagnoser.update(run.model.snapshot())
    run.engine.request_reset()
    run.run_for(1.0)
    diagnoser.update(run.model.snapshot())
    log = [(e.kind, e.message) for e in diagnoser.update(run.model.snapshot()).events]
    assert log == [
        ("settings", "interval 0.5 s → 0.2 s"),
        ("settings", "packet size 64 B → 200 B"),
        ("reset", "the statistics were reset"),
    ]
