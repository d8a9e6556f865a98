"""Record and replay on the simulated network: the replayed engine makes every decision again.

The strongest check there is: the events of the replay (every probe sent, every
reply with its round trip to the nanosecond, every loss, every round's start
time) are the recorded run's, in the same order. Then what a recording is made
of (a stranger's file) is cut and mutated: replay reads up to the damage or
refuses with one line, never anything else.
"""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracetui.path.snapshot import NameInfo
from tracetui.probe.engine import Engine, ProbeSettings
from tracetui.probe.events import (
    EngineEvent,
    FlowNote,
    ProbeFailed,
    ProbeReplied,
    Reconfigured,
    RoundStarted,
    Tally,
)
from tracetui.probe.sim import SimNetwork, SimScenario
from tracetui.probe.types import Family, ProbeMethod
from tracetui.recording.notes import (
    ProbeNote,
    RecordingError,
    RecordingHeader,
    ReplyNote,
    parse_comment,
    parse_header,
    parse_name,
    probe_comment,
    reply_comment,
)
from tracetui.recording.pcapng import read_blocks
from tracetui.recording.recorder import RecordingTransport, parse_size
from tracetui.recording.replay import open_replay
from tracetui.run.demo import demo_scenario

STARTED = datetime(2026, 11, 22, 23, 40, tzinfo=UTC)


def header_for(
    sim: SimNetwork, settings: ProbeSettings, recording: RecordingTransport
) -> RecordingHeader:
    """What open_session writes, for a run on the simulated network."""
    return RecordingHeader(
        version="test",
        target_name="demo",
        target=sim.target,
        family=sim.family,
        identity=sim.identity,
        settings=settings,
        methods=sim.methods,
        raw_sockets=True,
        started_ns=1_795_000_000_000_000_000,
        started_at=1000.0,
        local_host="vm",
        shown_start=STARTED,
        engine_at=recording.engine_at,
    )


def record(
    path: Path,
    method: ProbeMethod = ProbeMethod.ICMP,
    family: Family = Family.V4,
    scenario: SimScenario | None = None,
    count: int = 12,
    commands: tuple[tuple[float, str, object], ...] = (),
    limit: int = 1 << 30,
    **settings,
) -> list[EngineEvent]:
    """A run on the simulated network, recorded to ``path``; its events."""
    sim = SimNetwork(scenario or demo_scenario(), family, seed=11)
    probe_settings = ProbeSettings(
        method=method, interval=0.25, timeout=1.0, count=count, **settings
    )
    recording = RecordingTransport.open(sim, sim.clock, str(path), limit)
    events: list[EngineEvent] = []
    engine = Engine(recording, sim.clock, probe_settings, recording.tap(events.append))
    recording.begin(header_for(sim, probe_settings, recording))
    for after, command, value in commands:  # as keys pressed on the live screen
        engine.run(until=sim.clock.now() + after)
        getattr(engine, f"request_{command}")(*(() if value is None else (value,)))
    engine.run()
    recording.close()
    return events


def same_run(events: list[EngineEvent]) -> tuple[list[list[str]], list[Tally]]:
    """The events round by round: in what order, between two round starts, the engine
    settled what it learned is a matter of how its loop turns fell (the replay settles
    in one turn what the recorded engine may have spread over two: see
    ReplayTransport.wait); what it learned before each round, which is what the
    statistics and the diagnosis see, is the same, to the nanosecond. Tallies of
    ignored packets close loop turns; their final counts are the same."""
    rounds: list[list[str]] = [[]]
    for event in events:
        if type(event) is RoundStarted:
            rounds.append([])
        if type(event) is not Tally:
            rounds[-1].append(repr(event))
    tallies = [e for e in events if type(e) is Tally]
    return [sorted(r) for r in rounds], tallies[-1:]


def replay(path: Path) -> tuple[list[EngineEvent], int]:
    transport = open_replay(str(path), None)
    events: list[EngineEvent] = []
    transport.clock.advance_to(transport.header.engine_at)
    engine = Engine(transport, transport.clock, transport.header.settings, events.append)
    transport.attach(engine)
    transport.clock.advance_to(transport.first_round_at)
    engine.run()
    return events, transport.unmatched


CASES = [
    (ProbeMethod.ICMP, Family.V4),
    (ProbeMethod.UDP, Family.V4),
    (ProbeMethod.TCP, Family.V4),
    (ProbeMethod.ICMP, Family.V6),
    (ProbeMethod.UDP, Family.V6),
    (ProbeMethod.TCP, Family.V6),
]


@pytest.mark.parametrize("method,family", CASES, ids=[f"{m}{int(f)}" for m, f in CASES])
def test_a_replay_makes_the_recorded_runs_every_event_again(tmp_path, method, family):
    path = tmp_path / "run.pcapng"
    recorded = record(path, method, family)
    replayed, unmatched = replay(path)
    assert unmatched == 0
    assert same_run(replayed) == same_run(recorded)
    replies = [e for e in recorded if type(e) is ProbeReplied]
    assert len(replies) > 50 and any(e.extensions for e in replies)  # MPLS hops included
    assert len({e.responder for e in replies}) >= 8


def test_refused_sends_and_the_udp_tail_flow_replay_too(tmp_path):
    path = tmp_path / "run.pcapng"
    scenario = dataclasses.replace(demo_scenario(), send_failure_rate=0.05)
    recorded = record(path, ProbeMethod.UDP, scenario=scenario, count=20, vary_ports=True)
    assert any(type(e) is ProbeFailed for e in recorded)
    replayed, unmatched = replay(path)
    assert unmatched == 0 and same_run(replayed) == same_run(recorded)


def test_the_udp_default_flow_switch_is_replayed(tmp_path):
    """The target is silent on the fixed flow, so probes past the last hop change ports
    at a moment the engine decides by time: the replay decides it at the same moment."""
    path = tmp_path / "run.pcapng"
    scenario = dataclasses.replace(demo_scenario(), open_udp_ports=frozenset({33434}))
    recorded = record(path, ProbeMethod.UDP, scenario=scenario, count=20)
    assert any(type(e) is FlowNote for e in recorded)
    replayed, _ = replay(path)
    assert same_run(replayed) == same_run(recorded)


def test_switches_resets_and_pauses_made_while_recording_are_replayed(tmp_path):
    path = tmp_path / "run.pcapng"
    commands = (
        (1.1, "method", ProbeMethod.UDP),
        (1.3, "reset", None),
        (0.9, "pause", True),
        (2.0, "pause", False),
        (0.7, "method", ProbeMethod.ICMP),
    )
    recorded = record(path, count=30, commands=commands)
    kinds = {type(e).__name__ for e in recorded}
    assert {"Restarted", "Paused"} <= kinds
    replayed, unmatched = replay(path)
    assert unmatched == 0 and same_run(replayed) == same_run(recorded)


def test_settings_changed_while_recording_are_replayed(tmp_path):
    """mtr's i f m s Q b keys pressed during a recorded run: the replay changes them at
    the same moments, so its rounds, its TTL range and its fresh start are the same."""
    path = tmp_path / "run.pcapng"
    commands = (
        (1.1, "settings", {"interval": 0.5, "max_ttl": 6}),
        (1.3, "settings", {"size": 300, "pattern": 0x55}),
        (0.9, "settings", {"first_ttl": 2, "tos": 8}),
    )
    recorded = record(path, count=30, commands=commands)
    assert sum(type(e) is Reconfigured for e in recorded) == 3
    replayed, unmatched = replay(path)
    assert unmatched == 0 and same_run(replayed) == same_run(recorded)


def test_round_times_and_round_trips_are_the_recorded_ones_to_the_nanosecond(tmp_path):
    path = tmp_path / "run.pcapng"
    recorded = record(path, count=6)
    replayed, _ = replay(path)
    starts = [e.at for e in replayed if type(e) is RoundStarted]
    assert starts == [e.at for e in recorded if type(e) is RoundStarted] and len(starts) == 6
    rtts = [e.rtt for e in replayed if type(e) is ProbeReplied]
    assert rtts == [e.rtt for e in recorded if type(e) is ProbeReplied]


# ------------------------------------------------------------------ damaged files
def _summary(events: list[EngineEvent]) -> tuple[int, int]:
    sent = sum(1 for e in events if type(e).__name__ == "ProbeSent")
    replied = sum(1 for e in events if type(e) is ProbeReplied)
    return sent, replied


def test_a_recording_cut_anywhere_replays_up_to_its_last_whole_packet(tmp_path):
    whole = tmp_path / "run.pcapng"
    record(whole, count=5)
    data = whole.read_bytes()
    full_sent, full_replied = _summary(replay(whole)[0])
    cut = tmp_path / "cut.pcapng"
    header_refused = 0
    for size in range(0, len(data), 37):
        cut.write_bytes(data[:size])
        try:
            events, _ = replay(cut)
        except RecordingError:
            header_refused += 1
            continue
        sent, replied = _summary(events)
        assert replied <= full_replied and sent <= full_sent
    assert header_refused < 30  # only cuts inside the section header and its interface


def test_garbage_and_mutations_are_refused_in_one_line_or_replayed(tmp_path):
    whole = tmp_path / "run.pcapng"
    record(whole, count=3)
    data = bytearray(whole.read_bytes())
    rng = random.Random(5)
    mutated = tmp_path / "mutated.pcapng"
    outcomes = {"refused": 0, "replayed": 0}
    for _ in range(250):
        copy = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            copy[rng.randrange(len(copy))] = rng.randrange(256)
        mutated.write_bytes(bytes(copy))
        try:
            replay(mutated)
        except RecordingError as exc:
            assert "\n" not in str(exc)
            outcomes["refused"] += 1
        else:
            outcomes["replayed"] += 1
    assert outcomes["refused"] and outcomes["replayed"]
    for junk in (b"", b"\n" * 40, bytes(range(256)) * 4):
        mutated.write_bytes(junk)
        with pytest.raises(RecordingError):
            replay(mutated)


def test_hostile_notes_are_refused_with_one_line():
    for text in (
        "tracetui recording; replay with: tracetui --replay FILE\n{",
        "tracetui recording; replay with: tracetui --replay FILE\n[]",
        "somebody else's capture",
    ):
        with pytest.raises(RecordingError):
            parse_header(text)
    for comment in ("tracetui probe udp ttl=999 at=1 sent=2", "tracetui reply at=nan"):
        with pytest.raises(RecordingError):
            parse_comment(comment)
    assert parse_comment("captured by somebody") is None
    address, info = parse_name(
        '["198.18.1.1", "evil\\u001b[2Jname", 1, null, null, null, null, null]'
    )
    assert address == "198.18.1.1" and "\x1b" not in (info.hostname or "")
    with pytest.raises(RecordingError):
        parse_name('["198.18.1.1", 5, "not an asn", null, null, null, null, null]')


def test_notes_read_back_as_written():
    probe = ProbeNote(ProbeMethod.TCP, 7, 12.000000001, 1_795_000_000_123_456_789, True)
    assert parse_comment(probe_comment(probe)) == probe
    echo = ProbeNote(None, 0, 3.5, 10, False, 90, "198.18.4.1")
    assert parse_comment(probe_comment(echo)) == echo
    reply = ReplyNote(99.25, False)
    assert parse_comment(reply_comment(reply)) == reply
    assert probe_comment(probe).startswith("tracetui probe tcp ttl=7 ")  # Wireshark shows it


def test_the_record_limit_takes_sizes_as_people_write_them():
    assert parse_size("500M") == 500 << 20 and parse_size("2g") == 2 << 30
    assert parse_size("64k") == 64 << 10 and parse_size("100000") == 100000
    for bad in ("", "lots", "1k", "-5M", "nanM"):
        with pytest.raises(ValueError):
            parse_size(bad)


def test_names_shown_while_recording_come_back_in_the_replay(tmp_path):
    path = tmp_path / "run.pcapng"
    sim = SimNetwork(demo_scenario(), Family.V4, seed=2)
    recording = RecordingTransport.open(sim, sim.clock, str(path), 1 << 30)
    settings = ProbeSettings(interval=0.25, timeout=1.0, count=2)
    engine = Engine(recording, sim.clock, settings, recording.tap(lambda e: None))
    recording.begin(header_for(sim, settings, recording))

    class Names:
        def lookup(self, address):
            return NameInfo(hostname=f"host-{address}.example", asn=64500)

    names = recording.keep_names(Names())
    engine.run()
    names.lookup("198.18.1.1")
    recording.close()
    transport = open_replay(str(path), None)
    transport.run_out()
    recorded = transport.recorded_names
    assert recorded.lookup("198.18.1.1") == NameInfo(hostname="host-198.18.1.1.example")
    recorded.set_aslookup(True)
    assert recorded.lookup("198.18.1.1").asn == 64500


def test_the_file_is_a_pcapng_with_nanosecond_stamps_and_readable_notes(tmp_path):
    path = tmp_path / "run.pcapng"
    record(path, count=2)
    comment, blocks = read_blocks(str(path))
    assert comment.startswith("tracetui recording; replay with: tracetui --replay FILE\n")
    packets = [block for block in blocks if not block.custom]
    probe = next(b for b in packets if b.comment.startswith("tracetui probe icmp ttl=1 "))
    assert probe.data[0] >> 4 == 4 and probe.data[9] == 1  # a whole IPv4 ICMP packet
    assert probe.stamp_ns == parse_comment(probe.comment).sent_ns
    assert any(b.stamp_ns % 1000 for b in packets)  # nanoseconds kept, not microseconds


# --------------------------------------------------------------- the command line
def tracetui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracetui", *args], capture_output=True, text=True, cwd=cwd,
        timeout=120,
    )  # fmt: skip


def test_the_demo_recorded_from_the_command_line_replays_to_the_same_reports(tmp_path):
    path = tmp_path / "demo.pcapng"
    for args in (["-j"], ["-r", "-w"]):
        recorded = tracetui(
            "--demo", *args, "-c", "4", "-i", "0.1", "--record", str(path), cwd=tmp_path
        )
        assert recorded.returncode == 0, recorded.stderr
        replayed = tracetui("--replay", str(path), *args, cwd=tmp_path)
        assert replayed.returncode == 0, replayed.stderr
        assert replayed.stdout == recorded.stdout
        assert "gw.home.example" in replayed.stdout  # names from the recording, not from DNS


@pytest.mark.parametrize(
    "args,message",
    [
        (["--replay", "{missing}", "example.org"], "takes no HOST"),
        (["--replay", "{missing}"], "no such file"),
        (["--replay", "{junk}", "-j"], "cannot replay"),
        (["--replay", "{junk}", "--record", "x.pcapng"], "cannot be combined with --record"),
        (["--record-limit", "1k", "--demo", "-j"], "between 4k and"),
        (["--replay-speed", "0", "--replay", "{junk}"], "replay speed must be"),
        (["--record", "/nonexistent/dir/x.pcapng", "--demo", "-j"], "does not exist"),
    ],
)
def test_bad_recording_options_get_one_line_and_status_2(tmp_path, args, message):
    junk = tmp_path / "junk.pcapng"
    junk.write_bytes(b"\x0a\x0d\x0d\x0a" + bytes(100))
    args = [a.format(missing=tmp_path / "missing.pcapng", junk=junk) for a in args]
    done = tracetui(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_a_replay_that_diverges_says_so(tmp_path):
    """Probes the recording does not have (here: the engine given another ICMP
    identifier than the recorded one, as a version that built probes differently would)
    are lost, and the replay says why."""
    path = tmp_path / "run.pcapng"
    record(path, count=4)
    transport = open_replay(str(path), None)
    transport.identity = transport.identity._replace(icmp_ident=1)
    transport.clock.advance_to(transport.header.engine_at)
    events: list[EngineEvent] = []
    engine = Engine(transport, transport.clock, transport.header.settings, events.append)
    transport.attach(engine)
    engine.run()
    assert not any(type(e) is ProbeReplied for e in events)
    assert transport.unmatched >= 4 * 9
    assert f"{transport.unmatched} probes the recording does not have" in transport.divergence
    assert "made by tracetui test" in transport.divergence  # record() says version "test"
    assert open_replay(str(path), None).divergence is None


def test_the_limit_is_noted_in_the_run_and_the_file_stays_under_it(tmp_path):
    """The note comes from the probing side's own count, not from the writer thread's
    progress (on virtual time a whole run takes milliseconds: the writer is far behind)."""
    path = tmp_path / "run.pcapng"
    events = record(path, count=30, limit=16384)
    notes = [e.text for e in events if type(e) is FlowNote]
    assert any("stopped at its limit of 16,384 bytes" in note for note in notes)
    assert 16384 * 0.75 < path.stat().st_size <= 16384  # the count errs on the safe side
    replayed, _ = replay(path)  # what fits replays, up to where it stops
    assert any(type(e) is ProbeReplied for e in replayed)


def test_names_recorded_before_a_field_was_added_still_read():
    """A recording's names are NameInfo's fields in order; new fields come last, so an
    older file (without city) reads, and one with too many fields does not."""
    address, info = parse_name('["198.18.1.1", "gw.example", 64500, null, null, null, null, null]')
    assert (address, info.hostname, info.asn, info.city) == (
        "198.18.1.1",
        "gw.example",
        64500,
        None,
    )
    too_many = '["198.18.1.1"' + ", null" * (len(info._fields) + 1) + "]"
    with pytest.raises(RecordingError):
        parse_name(too_many)


def test_a_multipath_search_and_its_branch_watch_are_replayed(tmp_path):
    """The search's probes leave at their own paced moments, not a round's: the recording
    keeps those moments, and the replay makes the same decisions, reply by reply."""
    path = tmp_path / "run.pcapng"
    recorded = record(path, ProbeMethod.UDP, count=120, multipath=0.95)
    names = {type(e).__name__ for e in recorded}
    assert {"BranchesFound", "DiscoveryEnded", "BranchSent", "BranchReplied"} <= names
    replayed, unmatched = replay(path)
    assert unmatched == 0 and same_run(replayed) == same_run(recorded)
