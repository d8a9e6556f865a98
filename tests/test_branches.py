"""Every branch watched round after round, judged on its own, and the NextTrace #393 case."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from simpaths import Run, router, scenario
from test_mda import diamond

from tracetui.diagnose import Diagnoser
from tracetui.path.model import PathModel
from tracetui.path.snapshot import TraceInfo
from tracetui.probe.events import (
    BranchLost,
    BranchReplied,
    BranchSent,
    DiscoveryEnded,
    ProbeLost,
    ProbeReplied,
    ProbeSent,
    RoundStarted,
)
from tracetui.probe.sim import SimBranches, SimHop, SimLink, SimPath
from tracetui.probe.types import Family, ProbeMethod, ReplyKind
from tracetui.report.as_json import report_dict
from tracetui.report.common import ReportOptions


def lossy_diamond(loss: float = 0.05) -> SimPath:
    """The diamond with the link into hop 4's second router losing ``loss`` each way."""
    path = diamond()
    hops = list(path.hops)
    three = hops[3]
    assert isinstance(three, SimBranches)
    lossy = (SimHop((router(41),), SimLink(1.0, loss=loss)),)
    hops[3] = SimBranches((three.branches[0], lossy, three.branches[2]))
    return SimPath(tuple(hops))


def diagnosed(run: Run):
    diagnoser = Diagnoser()
    view = run.model.snapshot()
    return view._replace(diagnosis=diagnoser.update(view, final=True)), diagnoser


def events_over(run: Run, seconds: int) -> list:
    """The path events of ``seconds`` more of ``run``, diagnosed each second."""
    diagnoser = Diagnoser()
    events: list = []
    for _ in range(seconds):
        run.run_for(1.0)
        diagnoser.update(run.model.snapshot())
        events += diagnoser.new_events
    return events


def test_each_branch_has_its_own_loss_and_round_trips():
    run = Run(scenario(lossy_diamond()), method=ProbeMethod.UDP, count=400, multipath=0.95)
    view = run.run()
    found = view.multipath
    assert found is not None and found.complete
    by = {(b.ttl, b.address): b for b in found.branches}
    assert set(by) == {
        (2, "198.18.20.1"), (2, "198.18.21.1"),
        (4, "198.18.40.1"), (4, "198.18.41.1"), (4, "198.18.42.1"),
    }  # fmt: skip
    lossy = by[(4, "198.18.41.1")]
    # 5 % each way: about 9.75 % of round trips
    assert 5.0 < lossy.loss_pct < 15.0, lossy
    for key, branch in by.items():
        assert branch.moved == 0 and branch.rtt.avg > 0
        if key != (4, "198.18.41.1"):
            assert branch.lost == 0, branch
        # every round after the search sent one probe per branch
        assert 390 <= branch.sent <= 400
    # the rounds' own flow takes one branch; its hop statistics are that branch's alone
    assert all(len(hop.responders) == 1 for hop in view.hops)


def test_the_lossy_branch_is_named_and_the_others_are_ok():
    run = Run(scenario(lossy_diamond()), method=ProbeMethod.UDP, count=300, multipath=0.95)
    run.run()
    view, _ = diagnosed(run)
    diagnosis = view.diagnosis
    assert diagnosis is not None
    verdicts = {(v.ttl, v.address): v.verdict for v in diagnosis.branches}
    assert verdicts.pop((4, "198.18.41.1")) == "loss"
    assert set(verdicts.values()) == {"ok"}
    sentence = [s for s in diagnosis.summary if "branch" in s]
    assert len(sentence) == 1 and sentence[0].startswith("hop 4: the branch through 198.18.41.1")
    assert sentence[0].endswith("; the other two are clean")
    kinds = [e.kind for e in diagnosis.events]
    assert kinds.count("branch-loss-start") == 1 and "branch-loss-end" not in kinds
    report = report_dict(view, ReportOptions())["report"]["tracetui"]["multipath"]
    hop4 = next(hop for hop in report["hops"] if hop["ttl"] == 4)
    assert {i["address"]: i["branch"]["verdict"] for i in hop4["interfaces"]} == {
        "198.18.40.1": "ok", "198.18.41.1": "loss", "198.18.42.1": "ok",
    }  # fmt: skip


def test_clean_branches_raise_nothing():
    run = Run(scenario(diamond()), method=ProbeMethod.UDP, count=300, multipath=0.95)
    run.run()
    view, _ = diagnosed(run)
    assert view.diagnosis is not None
    assert {v.verdict for v in view.diagnosis.branches} == {"ok"}
    assert not any("branch" in e.kind for e in view.diagnosis.events)


def test_loss_before_the_balancer_is_no_branch_s():
    """Every branch loses alike when the link before the balancer does: the hop's."""
    path = diamond()
    hops = list(path.hops)
    hops[2] = SimHop((router(3),), SimLink(1.0, loss=0.05))
    run = Run(scenario(SimPath(tuple(hops))), method=ProbeMethod.UDP, count=300, multipath=0.95)
    run.run()
    view, _ = diagnosed(run)
    assert view.diagnosis is not None
    assert "loss" not in {v.verdict for v in view.diagnosis.branches}


def test_a_branch_that_goes_away_is_an_event_and_the_search_runs_again():
    """The balancer at hop 4 loses a next hop: the flow that kept to it comes back from
    another interface, the engine searches again, and the branch is gone."""
    before = diamond()
    hops = list(before.hops)
    three = hops[3]
    assert isinstance(three, SimBranches)
    hops[3] = SimBranches(three.branches[:2])
    after = SimPath(tuple(hops))
    run = Run(scenario(before, after, changes=(60.0,)), method=ProbeMethod.UDP, count=150,
              multipath=0.95)  # fmt: skip
    events = events_over(run, 150)
    gone = [e for e in events if e.kind == "branch-gone"]
    assert [(e.ttl, e.message) for e in gone] == [(4, "the branch through 198.18.42.1 is gone")]
    found = run.model.snapshot().multipath
    assert found is not None and set(found.at(4).interfaces) == {"198.18.40.1", "198.18.41.1"}


def test_replies_shared_out_and_timeouts_kept_by_the_hop():
    """NextTrace #393: 100 probes of varying flows at one hop, 45 answered by A, 45 by B,
    10 lost: the hop loses 10 %, A and B have half of the replies each, and the 10 lost
    probes are charged to neither (their flow's branch is unknown)."""
    info = TraceInfo("t", "198.18.9.9", "198.18.0.2", Family.V4, 1, 30, 1.0, 2.0, 64, None, 100)
    model = PathModel(info, ProbeMethod.UDP, lambda: datetime.now(UTC))
    replies = 0
    for round_ in range(1, 101):
        model.apply(RoundStarted(round_, float(round_)))
        model.apply(ProbeSent(1, round_))
        if round_ % 10 == 0:
            model.apply(ProbeLost(1, round_))
        else:
            replies += 1
            responder = "198.18.1.1" if replies % 2 else "198.18.1.2"
            model.apply(ProbeReplied(1, round_, responder, 1.0, ReplyKind.TIME_EXCEEDED, 0))
    view = model.snapshot()
    hop = view.hops[0]
    assert (hop.sent, hop.received, hop.lost) == (100, 90, 10)
    assert {r.address: r.received for r in hop.responders} == {"198.18.1.1": 45, "198.18.1.2": 45}
    hub = report_dict(view, ReportOptions())["report"]["hubs"][0]
    assert hub["Loss%"] == 10.0
    assert [(r["ip"], r["Rcv"], r["Share%"]) for r in hub["responders"]] == [
        ("198.18.1.1", 45, 50.0), ("198.18.1.2", 45, 50.0),
    ]  # fmt: skip
    # a watched branch is another matter: its flow goes one way, so its losses are its own
    for round_ in range(1, 11):
        model.apply(BranchSent(1, round_, "198.18.1.1"))
        if round_ == 10:
            model.apply(BranchLost(1, round_, "198.18.1.1"))
        else:
            model.apply(BranchReplied(1, round_, "198.18.1.1", "198.18.1.1", 1.0))
    assert model.snapshot().multipath is None  # no search ran: no branches are shown


def test_a_route_change_the_rounds_meet_starts_the_search_again():
    """Hop 3's router is replaced: the rounds' flow meets a router the search never saw,
    and within the minimum gap the search runs again and finds it."""
    before = diamond()
    hops = list(before.hops)
    hops[2] = SimHop((router(33),))
    after = SimPath(tuple(hops))
    run = Run(scenario(before, after, changes=(60.0,)), method=ProbeMethod.UDP, count=120,
              multipath=0.95)  # fmt: skip
    run.run()
    ended = [e for e in run.events if isinstance(e, DiscoveryEnded)]
    assert len(ended) == 2
    found = run.model.snapshot().multipath
    assert found is not None and found.at(3).interfaces == ("198.18.33.1",)


def test_a_slower_branch_is_said_and_equal_ones_are_not():
    path = diamond()
    hops = list(path.hops)
    three = hops[3]
    assert isinstance(three, SimBranches)
    slow = (SimHop((router(42),), SimLink(15.0)),)  # 15 ms each way: 30 ms more per round trip
    hops[3] = SimBranches((*three.branches[:2], slow))
    run = Run(scenario(SimPath(tuple(hops))), method=ProbeMethod.UDP, count=200, multipath=0.95)
    run.run()
    view, _ = diagnosed(run)
    assert view.diagnosis is not None
    slower = {(v.ttl, v.address): v.slower_ms for v in view.diagnosis.branches if v.slower_ms}
    assert list(slower) == [(4, "198.18.42.1")] and 25.0 < slower[(4, "198.18.42.1")] < 35.0
    assert any(s.startswith("hop 4: the branch through 198.18.42.1 is") for s in
               view.diagnosis.summary)  # fmt: skip
    run = Run(scenario(diamond()), method=ProbeMethod.UDP, count=200, multipath=0.95)
    run.run()
    view, _ = diagnosed(run)
    assert view.diagnosis is not None
    assert not any(v.slower_ms for v in view.diagnosis.branches)


def test_a_latency_step_on_one_branch_is_its_own_event():
    """At 120 s the link into hop 4's third router gets 20 ms slower each way: that branch
    alone steps; hop 4's other branches and the rounds' own flow do not."""
    before = diamond()
    hops = list(before.hops)
    three = hops[3]
    assert isinstance(three, SimBranches)
    hops[3] = SimBranches((*three.branches[:2], (SimHop((router(42),), SimLink(21.0)),)))
    after = SimPath(tuple(hops))
    run = Run(scenario(before, after, changes=(120.0,)), method=ProbeMethod.UDP, count=240,
              multipath=0.95)  # fmt: skip
    events = events_over(run, 240)
    steps = [(e.ttl, e.message) for e in events if e.kind == "branch-latency-step"]
    assert len(steps) == 1 and steps[0][0] == 4, steps
    assert steps[0][1].startswith("the branch through 198.18.42.1: round trips 4")
    assert "higher" in steps[0][1]


def test_the_stream_names_the_branch_of_each_branch_probe(tmp_path):
    """--stream: a branch's probes are probe lines with ``branch``; the rounds' are not."""
    import io

    from tracetui.outputs.json_stream import ProbeStream

    buffer = io.StringIO()
    writer = ProbeStream(buffer, owned=False)
    stream = writer.target("t")
    run = Run(scenario(lossy_diamond(0.2)), method=ProbeMethod.UDP, count=60, multipath=0.95)
    run.engine._sink = lambda event: (run._sink(event), stream.observe(event))
    run.run()
    writer.close()
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    branch = [line for line in lines if "branch" in line]
    view = run.model.snapshot()
    assert view.multipath is not None
    by = {(b.ttl, b.address): b for b in view.multipath.branches}
    for (ttl, address), counted in by.items():
        mine = [line for line in branch if (line["ttl"], line["branch"]) == (ttl, address)]
        assert len([line for line in mine if "rtt_ms" in line]) == counted.received
        assert len([line for line in mine if line.get("lost")]) == counted.lost
    assert len(lines) - len(branch) == sum(hop.received + hop.lost for hop in view.hops)
