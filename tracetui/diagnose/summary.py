"""The path in a few plain sentences: what a colleague would say looking over your shoulder.

Every sentence follows from the verdicts shown beside the numbers, over the
same span as their evidence: the destination is said to answer "with no
loss worth mentioning" only when its verdict is ``ok``, never beside a loss
too large or too young to call.
"""

from __future__ import annotations

from tracetui.diagnose.evidence import Evidence
from tracetui.labels import display_name
from tracetui.path.diagnosis import HopVerdict, Verdict
from tracetui.path.snapshot import HopView, PathView
from tracetui.probe.types import ReplyKind


def _name(hop: HopView) -> str:
    """``hop 4 (core1.example)``: the name where one is known, else the address."""
    primary = hop.primary
    if primary is None:
        return f"hop {hop.ttl}"
    return f"hop {hop.ttl} ({display_name(primary, True) or primary.address})"


def summarize(
    view: PathView, verdicts: dict[int, HopVerdict], evidence: Evidence
) -> tuple[str, ...]:
    hops = [hop for hop in view.hops if hop.on_path]
    by = {hop.ttl: verdicts[hop.ttl] for hop in hops if hop.ttl in verdicts}
    if not view.discovered or not hops or len(by) < len(hops):
        return ("Finding the path...",)

    def loss(hop: HopView) -> str:
        lost, settled = evidence.of(hop)
        if not lost:
            # one hop's few probes may all have come through: the loss is the stretch's
            carried = [h for h in hops if h.ttl >= origins[0].ttl and by[h.ttl].verdict in _LOSS]
            lost = sum(evidence.of(h)[0] for h in carried)
            settled = sum(evidence.of(h)[1] for h in carried)
            return f"{100.0 * lost / settled:.1f}% from there on" if settled else "0.0%"
        return f"{100.0 * lost / settled:.1f}%"

    sentences: list[str] = []
    destination = next((hop for hop in hops if hop.is_destination), None)
    refusing = next((h for h in hops if by[h.ttl].verdict is Verdict.UNREACHABLE), None)
    if refusing is not None:
        sentences.append(_refusal(view, hops, refusing, by[refusing.ttl]))
    origins = [h for h in hops if by[h.ttl].verdict is Verdict.LOSS_ORIGIN]
    if origins:
        answering = [h for h in hops if h.received and h.ttl not in _refusing(hops, by)]
        last = answering[-1]
        carrying = [h for h in hops if by[h.ttl].verdict in _LOSS]
        end = carrying[-1]
        first = origins[0]
        if end is destination:
            where = "the destination"
        elif end is last:
            where = f"{_name(end)}, the last that answers"
        else:
            where = _name(end)
        if first is end:
            sentences.append(
                f"Loss begins at {_name(first)}{_at_end(end, destination, last)}: {loss(end)}."
            )
        else:
            sentences.append(f"Loss begins at {_name(first)} and reaches {where}: {loss(end)}.")
        for later in origins[1:]:
            sentences.append(f"It grows at {_name(later)}: {loss(later)} lost from there.")
    for hop in hops:
        verdict = by[hop.ttl]
        if verdict.verdict is Verdict.RATE_LIMITED:
            sentences.append(_limiter(hop, verdict, destination, origins))
        elif verdict.verdict is Verdict.SILENT:
            sentences.append(
                f"Hop {hop.ttl} does not answer probes (a silent router); not a fault."
            )
        elif verdict.verdict is Verdict.NO_REPLY:
            answering = [h for h in hops if h.received]
            tail = f"; the last hop that does is {_name(answering[-1])}" if answering else ""
            sentences.append(f"The target does not answer{tail}.")
    if destination is not None and not origins:
        sentences.insert(0, _destination(destination, by[destination.ttl], evidence))
    if destination is not None and destination.primary is not None:
        address = destination.primary.address
        if address != view.info.target:
            sentences.append(
                f"The target answers from {address}, not from the address probed "
                f"({view.info.target})."
            )
    if any(v.verdict is Verdict.PENDING for v in by.values()) and not sentences:
        sentences.append("Collecting data: some hops need more probes for a verdict.")
    sentences += [note[0].upper() + note[1:] + "." for note in view.notes if note]
    return tuple(sentences)


_LOSS = frozenset({Verdict.LOSS_ORIGIN, Verdict.LOSS_CARRIED})


def _at_end(hop: HopView, destination: HopView | None, last: HopView) -> str:
    if hop is destination:
        return ", the destination"
    return ", the last hop that answers" if hop is last else ""


def _refusing(hops: list[HopView], by: dict[int, HopVerdict]) -> set[int]:
    return {h.ttl for h in hops if by[h.ttl].verdict is Verdict.UNREACHABLE}


def _sender(hops: list[HopView], refusing: HopView) -> HopView:
    """The router that refused: the hop before, seen again one TTL further."""
    primary = refusing.primary
    assert primary is not None
    return next(
        (
            h
            for h in hops
            if h.ttl < refusing.ttl
            and h.primary is not None
            and h.primary.address == primary.address
        ),
        refusing,
    )


def _refusal(view: PathView, hops: list[HopView], refusing: HopView, verdict: HopVerdict) -> str:
    primary = refusing.primary
    assert primary is not None
    sender = _sender(hops, refusing)
    if verdict.code == "!F":
        mtu = f"; path MTU {primary.mtu}" if primary.mtu else ""
        return f"Packets of {view.info.size} bytes do not fit past {_name(sender)}{mtu}."
    if refusing.rejected:
        what = "a TCP reset" if primary.kind is ReplyKind.TCP_RESET else "port unreachable"
        return (
            f"{_name(sender).capitalize()} answers for the target with {what} "
            f"({verdict.code} at hop {refusing.ttl}): a firewall there rejects the probes; "
            "the target is not reached."
        )
    return (
        f"{_name(refusing).capitalize()} reports the target unreachable "
        f"({verdict.reason.split(' from ')[0]}): the target is not reached."
    )


def _limiter(
    hop: HopView, verdict: HopVerdict, destination: HopView | None, origins: list[HopView]
) -> str:
    if hop is destination:
        text = "The destination limits its ICMP replies; pings to it get through."
    elif origins and origins[0].ttl < hop.ttl:
        text = (
            f"{_name(hop).capitalize()} also rate-limits ICMP: it loses more than "
            "the loss it carries."
        )
    else:
        text = f"{_name(hop).capitalize()} rate-limits ICMP; nothing is lost through it."
    if "confirmed" in verdict.reason:
        text = text[:-1] + " (confirmed by pings)."
    return text


def _destination(destination: HopView, verdict: HopVerdict, evidence: Evidence) -> str:
    lost, settled = evidence.of(destination)
    share = f"{100.0 * lost / settled:.1f}%" if settled else "0.0%"
    rtt = destination.rtt
    average = f", {rtt.avg:.1f} ms on average" if rtt.count else ""
    if verdict.verdict is Verdict.OK:
        return (
            f"The destination answers with no loss worth mentioning ({share} of "
            f"{settled} probes{average})."
        )
    if verdict.verdict is Verdict.PENDING and "pings will tell" in verdict.reason:
        return (
            f"The destination loses {share}, more than the hops before it: pinging it to "
            "tell a limit on its replies from loss on the last link."
        )
    if verdict.verdict is Verdict.PENDING and lost:
        doubt = (
            "too few to tell yet"
            if "too few" in verdict.reason
            else "where it starts is not clear yet"
        )
        return (
            f"The destination answers; {share} of {settled} probes lost so far: {doubt}{average}."
        )
    return f"The destination answers ({share} of {settled} probes lost{average})."
