"""Privacy: a snapshot with the first hops and the source hidden, for reports posted in public.

A home user's first hops (their gateway, their ISP's access router) and their
own address say where they live. ``--privacy-max-ttl N`` (Trippy's privacy
mode) hides the hosts of hops 1 to N and the source in every report and on the
screen, and keeps the numbers: the loss and times of a hidden hop still show
where a path goes wrong. The text a run writes (the summary, the verdicts'
reasons, the events, the notes) names hops too: every hidden address and name
is replaced in it wherever it appears. One pure function of a snapshot, so
every output that starts from a snapshot gets the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tracetui.path.diagnosis import BranchVerdict, Diagnosis, HopVerdict
from tracetui.path.snapshot import (
    NO_NAME,
    BranchView,
    HopView,
    Multipath,
    PathView,
    ResponderView,
)

HIDDEN = "(hidden)"


def _secrets(view: PathView, max_ttl: int) -> set[str]:
    found = {view.info.source, view.info.local_host}
    for hop in view.hops:
        if hop.ttl <= max_ttl:
            for responder in hop.responders:
                found.add(responder.address)
                names = responder.names
                found.update(n for n in (names.hostname, names.as_name) if n)
    if view.multipath is not None:
        for branches in view.multipath.hops:
            if branches.ttl <= max_ttl:
                found.update(branches.interfaces)
        for branch in view.multipath.branches:
            if branch.ttl <= max_ttl:
                found.add(branch.address)
                if branch.names.hostname:
                    found.add(branch.names.hostname)
    found.discard("")
    found.discard(view.info.target)  # the target is what the report is about
    return found


def _scrubber(secrets: set[str]) -> Callable[[str], str]:
    if not secrets:
        return lambda text: text
    # longest first, so a name is replaced whole before an address inside it
    pattern = re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True)))
    return lambda text: pattern.sub(HIDDEN, text)


def _hidden(responder: ResponderView) -> ResponderView:
    return responder._replace(address=HIDDEN, names=NO_NAME, extension_data=b"", last_packet=b"")


def redact(view: PathView, max_ttl: int) -> PathView:
    """``view`` with hops 1 to ``max_ttl`` and the source hidden (0: as it was)."""
    if max_ttl <= 0:
        return view
    scrub = _scrubber(_secrets(view, max_ttl))
    info = view.info._replace(source=HIDDEN, local_host=HIDDEN)
    hops = tuple(_hop(hop, max_ttl) for hop in view.hops)
    echoes = {address: echo for address, echo in view.echoes.items() if scrub(address) == address}
    multipath = _multipath(view.multipath, max_ttl)
    diagnosis = _diagnosis(view.diagnosis, max_ttl, scrub)
    timeline = view.timeline
    if timeline is not None:  # a hidden hop's branches are named by their addresses
        kept = {key: line for key, line in timeline.branches.items() if key[0] > max_ttl}
        timeline = timeline._replace(branches=kept)
    return view._replace(
        info=info,
        hops=hops,
        echoes=echoes,
        multipath=multipath,
        diagnosis=diagnosis,
        timeline=timeline,
        notes=tuple(scrub(note) for note in view.notes),
        last_failure=scrub(view.last_failure),
        restart_reason=scrub(view.restart_reason),
    )


def _hop(hop: HopView, max_ttl: int) -> HopView:
    if hop.ttl > max_ttl:
        return hop
    return hop._replace(responders=tuple(_hidden(r) for r in hop.responders[:1]))


def _multipath(found: Multipath | None, max_ttl: int) -> Multipath | None:
    if found is None:
        return None
    hops = []
    for branches in found.hops:
        if branches.ttl > max_ttl and branches.ttl - 1 > max_ttl:
            hops.append(branches)
            continue
        mine = branches.ttl <= max_ttl
        interfaces = (HIDDEN,) if mine and branches.interfaces else branches.interfaces
        flows = ((HIDDEN, ()),) if mine and branches.flows else branches.flows
        links = tuple(
            (HIDDEN, HIDDEN if mine else after) for _, after in branches.links
        )  # the hop before is hidden too
        hops.append(
            branches._replace(
                interfaces=interfaces,
                flows=flows,
                links=tuple(dict.fromkeys(links)),
                ends=(HIDDEN,) if mine and branches.ends else branches.ends,
            )
        )
    kept: list[BranchView] = [b for b in found.branches if b.ttl > max_ttl]
    return found._replace(hops=tuple(hops), branches=tuple(kept))


def _diagnosis(
    diagnosis: Diagnosis | None, max_ttl: int, scrub: Callable[[str], str]
) -> Diagnosis | None:
    if diagnosis is None:
        return None
    verdicts = {
        ttl: HopVerdict(v.verdict, scrub(v.reason), v.code) for ttl, v in diagnosis.verdicts.items()
    }
    events = tuple(e._replace(message=scrub(e.message)) for e in diagnosis.events)
    branches: tuple[BranchVerdict, ...] = tuple(b for b in diagnosis.branches if b.ttl > max_ttl)
    return diagnosis._replace(
        verdicts=verdicts,
        summary=tuple(scrub(sentence) for sentence in diagnosis.summary),
        events=events,
        branches=branches,
    )
