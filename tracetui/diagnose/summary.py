"""The path in a few plain sentences: what a colleague would say looking over your shoulder."""

from __future__ import annotations

from tracetui.diagnose.diagnosis import HopVerdict, Verdict
from tracetui.diagnose.verdicts import evidence
from tracetui.labels import display_name
from tracetui.snapshot import HISTORY_ROUNDS as FULL_EVIDENCE
from tracetui.snapshot import HopView, PathView


def _name(hop: HopView) -> str:
    """``hop 4 (core1.example)``: the name where one is known, else the address."""
    primary = hop.primary
    if primary is None:
        return f"hop {hop.ttl}"
    return f"hop {hop.ttl} ({display_name(primary, True) or primary.address})"


def _loss(hop: HopView) -> str:
    lost, settled = evidence(hop)
    return f"{100.0 * lost / settled:.1f}%" if settled else "0.0%"


def summarize(view: PathView, verdicts: dict[int, HopVerdict]) -> tuple[str, ...]:
    hops = [hop for hop in view.hops if hop.on_path]
    by = {hop.ttl: verdicts[hop.ttl] for hop in hops if hop.ttl in verdicts}
    if not view.discovered or not hops:
        return ("Finding the path...",)
    sentences: list[str] = []
    destination = next((hop for hop in hops if hop.is_destination), None)
    origin = next((h for h in hops if by[h.ttl].verdict is Verdict.LOSS_ORIGIN), None)
    refusing = next((h for h in hops if by[h.ttl].verdict is Verdict.UNREACHABLE), None)
    if refusing is not None:
        primary = refusing.primary
        assert primary is not None
        verdict = by[refusing.ttl]
        if verdict.code == "!F":
            mtu = f"; path MTU {primary.mtu}" if primary.mtu else ""
            # the router that refused is the hop before, seen again one TTL further
            sender = next(
                (
                    h
                    for h in hops
                    if h.ttl < refusing.ttl
                    and h.primary is not None
                    and h.primary.address == primary.address
                ),
                refusing,
            )
            sentences.append(
                f"Packets of {view.info.size} bytes do not fit past {_name(sender)}{mtu}."
            )
        else:
            sentences.append(
                f"{_name(refusing).capitalize()} reports the target unreachable "
                f"({verdict.reason.split(' from ')[0]}): the target is not reached."
            )
    if origin is not None:
        end = destination or [h for h in hops if h.received][-1]
        where = "the destination" if end is destination else f"{_name(end)}, the last that answers"
        sentences.append(f"Loss begins at {_name(origin)} and reaches {where}: {_loss(end)}.")
    for hop in hops:
        verdict = by[hop.ttl]
        if verdict.verdict is Verdict.RATE_LIMITED:
            if hop is destination:
                text = "The destination limits its ICMP replies; pings to it get through."
            elif origin is not None and origin.ttl < hop.ttl:
                text = (
                    f"{_name(hop).capitalize()} also rate-limits ICMP: it loses more than "
                    "the loss it carries."
                )
            else:
                text = f"{_name(hop).capitalize()} rate-limits ICMP; nothing is lost through it."
            if "confirmed" in verdict.reason:
                text = text[:-1] + " (confirmed by pings)."
            sentences.append(text)
        elif verdict.verdict is Verdict.SILENT:
            sentences.append(
                f"Hop {hop.ttl} does not answer probes (a silent router); not a fault."
            )
        elif verdict.verdict is Verdict.NO_REPLY:
            answering = [h for h in hops if h.received]
            last = f"; the last hop that does is {_name(answering[-1])}" if answering else ""
            sentences.append(f"The target does not answer{last}.")
    if destination is not None and origin is None:
        rtt = destination.rtt
        average = f", {rtt.avg:.1f} ms on average" if rtt.count else ""
        settled = evidence(destination)[1]
        so_far = (
            f" so far ({_loss(destination)} of {settled} probes"
            if settled < FULL_EVIDENCE
            else (f" ({_loss(destination)}")
        )
        sentences.insert(
            0, f"The destination answers with no loss worth mentioning{so_far}{average})."
        )
    if any(v.verdict is Verdict.PENDING for v in by.values()) and not sentences:
        sentences.append("Collecting data: some hops need more probes for a verdict.")
    sentences += [note[0].upper() + note[1:] + "." for note in view.notes if note]
    return tuple(sentences)
