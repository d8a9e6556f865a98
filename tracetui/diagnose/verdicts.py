"""A verdict for every hop, decided with statistics and held steady with hysteresis.

The rule
--------
Evidence is each hop's recent history (the last rounds the model keeps, at
most 240): ``n`` probes settled, ``k`` of them lost. Probes in flight are not
evidence. All tests are exact (:mod:`tracetui.diagnose.confidence`).

1. Until the first round has settled, and for any hop with fewer than
   ``MIN_PROBES`` settled probes, the verdict is ``pending`` (with 0 losses in
   3 probes the 95 % upper bound on the loss ratio is still above 63 %).
2. The hop where the path ends with a destination-unreachable or
   packet-too-big from anyone is ``unreachable``, with traceroute's mark.
3. A hop that never answered while a later hop does is ``silent``. Past the
   last hop that answers, when the target is not reached, the hop (mtr's one
   ``???`` row) is ``no-reply``.
4. Loss that reaches the end. Let E be the destination if the target
   answered, else the last hop that answers. Take the answering hops up to E,
   leaving out any that may lose more than all the hops after it pooled
   (Fisher's exact test, one-sided, p < 0.05): rate limiters on top, which
   must not inflate the level of loss that is carried. Find the split of the
   rest into "before" and "from here on" that explains their losses best
   (two binomial levels, maximum likelihood). The loss is real when the pool
   from the split on loses more than ``LOSS_FLOOR`` (1 %; exact binomial
   test, p < 0.001 to raise, p < 0.01 to keep) and significantly more than
   the pool before it (Fisher, same bars). Then the first hop of the split is
   ``loss-origin`` and the others ``loss-carried``; but if that hop lost
   nothing, or the hop before it does not lose less than the pool (p < 0.05),
   where the loss starts is not clear yet and these hops stay ``pending``.
5. Any other hop whose own loss is above the floor loses on its own:
   ``rate-limited`` when it loses significantly more than the pool (or than
   E), else ``pending`` (not yet told apart). A hop that does not lose is
   ``ok``.
6. Triage pings (plain echo requests to a hop's router, never counted in its
   Loss%) confirm a rate limit: a router that answers pings significantly
   better than it answers probes limits the ICMP it sends. When E is the
   destination, the only hop of the pool, and answers pings significantly
   better than probes, the target limits its own replies: ``rate-limited``.

Pooling is what finds modest loss quickly: 5 % of round trips on a 6-hop
tail is six hops' evidence, not one, and the hops before the split are
pooled too.

Hysteresis: a hop's shown verdict changes only after the new verdict held
for ``HOLD_EVALUATIONS`` (3) rounds (every evaluation in between agreeing);
leaving ``pending`` and becoming ``unreachable`` take effect at once. A report
states the verdicts computed from its final data: what it says is the data,
not a display held steady. A hop shown as
losing keeps losing at p < 0.01, a rate limiter stays one at p < 0.01.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from tracetui.diagnose.codes import refusal
from tracetui.diagnose.confidence import (
    ALPHA_KEEP,
    ALPHA_RAISE,
    loses_more_than,
    significantly_higher,
)
from tracetui.diagnose.diagnosis import HopVerdict, Verdict
from tracetui.snapshot import LOST, EchoStats, HopView, PathView

MIN_PROBES = 4
LOSS_FLOOR = 0.01
HOLD_EVALUATIONS = 3
MIN_PINGS = 3
ALPHA_SKIP = 0.05
"""A hop this likely to lose more than the carried level stays out of its pool."""
_LOSING = frozenset({Verdict.RATE_LIMITED, Verdict.LOSS_ORIGIN, Verdict.LOSS_CARRIED})


def evidence(hop: HopView) -> tuple[int, int]:
    """(lost, settled) over the hop's recent history.

    Runs for every hop of every frame: counted in C (a lost sample is ``LOST``,
    an unsettled one NaN, the one value not equal to itself)."""
    history = hop.history
    return history.count(LOST), sum(1 for sample in history if sample == sample)


def _pct(lost: int, settled: int) -> str:
    return f"{100.0 * lost / settled:.1f}%" if settled else "0.0%"


def _refuses(hop: HopView) -> bool:
    primary = hop.primary
    return hop.ends_path and primary is not None and primary.kind.refuses


def _name(hop: HopView) -> str:
    """Addresses only: a reason must not change when a name arrives (see summary for names)."""
    return f"hop {hop.ttl} ({hop.primary.address})" if hop.primary else f"hop {hop.ttl}"


def _pool(evidence: dict[int, tuple[int, int]], hops: list[HopView]) -> tuple[int, int]:
    lost = sum(evidence[hop.ttl][0] for hop in hops)
    return lost, sum(evidence[hop.ttl][1] for hop in hops)


def _log_likelihood(lost: int, settled: int) -> float:
    """Of ``lost`` in ``settled`` at their own ratio (a binomial's maximum)."""
    if settled == 0 or lost in (0, settled):
        return 0.0
    p = lost / settled
    return lost * math.log(p) + (settled - lost) * math.log(1 - p)


class _Chain(NamedTuple):
    """Hops carrying the loss that reaches E, E last; the pooled evidence; clear or not."""

    hops: list[HopView]
    lost: int
    settled: int
    clear: bool


class _Judge:
    """One evaluation of one snapshot (see the module docstring for the rule)."""

    def __init__(self, view: PathView, shown: dict[int, Verdict]) -> None:
        self.view = view
        self.shown = shown
        self.evidence = {hop.ttl: evidence(hop) for hop in view.hops}
        self.out: dict[int, HopVerdict] = {}

    def loses(self, lost: int, settled: int, ttl: int) -> bool:
        alpha = ALPHA_KEEP if self.shown.get(ttl) in _LOSING else ALPHA_RAISE
        return loses_more_than(lost, settled, LOSS_FLOOR, alpha)

    def hop_loses(self, hop: HopView) -> bool:
        return self.loses(*self.evidence[hop.ttl], hop.ttl)

    def more_than(self, hop: HopView, lost: int, settled: int) -> bool:
        alpha = ALPHA_KEEP if self.shown.get(hop.ttl) is Verdict.RATE_LIMITED else ALPHA_RAISE
        return significantly_higher(*self.evidence[hop.ttl], lost, settled, alpha)

    def less_than(self, hop: HopView, lost: int, settled: int, alpha: float = ALPHA_RAISE) -> bool:
        return significantly_higher(lost, settled, *self.evidence[hop.ttl], alpha)

    def pings(self, hop: HopView) -> EchoStats | None:
        primary = hop.primary
        echo = self.view.echoes.get(primary.address) if primary else None
        return echo if echo is not None and echo.received + echo.lost >= MIN_PINGS else None

    def pings_confirm(self, hop: HopView) -> bool:
        echo = self.pings(hop)
        if echo is None:
            return False
        # a second, independent look at a suspicion already raised: the 1 % bar is enough
        lost, settled = self.evidence[hop.ttl]
        return significantly_higher(lost, settled, echo.lost, echo.received + echo.lost, ALPHA_KEEP)

    # ------------------------------------------------------------------ rule
    def run(self) -> dict[int, HopVerdict]:
        view = self.view
        if not view.discovered:
            for hop in view.hops:
                self.out[hop.ttl] = HopVerdict(Verdict.PENDING, "the path is still being found")
            return self.out
        on_path = [hop for hop in view.hops if hop.on_path]
        answering = [hop for hop in on_path if hop.received and not _refuses(hop)]
        end = next((hop for hop in on_path if hop.is_destination), None)
        if end is None and answering:
            end = answering[-1]
        chain = self._chain(answering, end)
        for hop in view.hops:
            self.out[hop.ttl] = self._one(hop, answering, end, chain)
        return self.out

    def _chain(self, answering: list[HopView], end: HopView | None) -> _Chain | None:
        """Rule 4: the hops carrying the loss that reaches E, or None when none does."""
        if end is None:
            return None
        hops = [h for h in answering if h.ttl <= end.ttl and self.evidence[h.ttl][1] >= MIN_PROBES]
        if end not in hops:
            if self.evidence[end.ttl][1] < MIN_PROBES:
                return None
            hops.append(end)
        core = self._without_outliers(hops)
        best: tuple[float, int] | None = None
        for split in range(len(core)):
            after = _pool(self.evidence, core[split:])
            before = _pool(self.evidence, core[:split])
            score = _log_likelihood(*after) + _log_likelihood(*before)
            if best is None or score > best[0] + 1e-9:
                best = (score, split)
        assert best is not None
        split = best[1]
        lost, settled = _pool(self.evidence, core[split:])
        if not self.loses(lost, settled, end.ttl):
            return None
        if split and not significantly_higher(
            lost, settled, *_pool(self.evidence, core[:split]), self._alpha(core[split])
        ):
            return None
        carriers = core[split:]
        if len(carriers) == 1 and end.is_destination and self.pings_confirm(end):
            return None  # rule 6: the target limits its own replies
        origin = carriers[0]
        clear = self.evidence[origin.ttl][0] > 0 and (
            split == 0 or self.less_than(core[split - 1], lost, settled, ALPHA_SKIP)
        )
        return _Chain(carriers, lost, settled, clear)

    def _alpha(self, hop: HopView) -> float:
        return ALPHA_KEEP if self.shown.get(hop.ttl) in _LOSING else ALPHA_RAISE

    def _without_outliers(self, hops: list[HopView]) -> list[HopView]:
        """Drop hops that may lose more than every hop after them: rate limiters on top."""
        kept: list[HopView] = []
        lost = settled = 0
        for hop in reversed(hops):
            if kept and significantly_higher(*self.evidence[hop.ttl], lost, settled, ALPHA_SKIP):
                continue
            kept.insert(0, hop)
            hop_lost, hop_settled = self.evidence[hop.ttl]
            lost, settled = lost + hop_lost, settled + hop_settled
        return kept

    def _one(
        self,
        hop: HopView,
        answering: list[HopView],
        end: HopView | None,
        chain: _Chain | None,
    ) -> HopVerdict:
        lost, settled = self.evidence[hop.ttl]
        if not hop.on_path:
            shown = self.shown.get(hop.ttl, Verdict.PENDING)
            return HopVerdict(shown, "no longer on the path: it got shorter")
        if _refuses(hop):
            return self._unreachable(hop)
        if settled < MIN_PROBES:
            return HopVerdict(
                Verdict.PENDING, f"{settled} probes settled so far; a verdict needs more"
            )
        if not hop.received:
            return self._unanswered(hop, answering, settled)
        if chain is not None and hop in chain.hops:
            return self._carrying(hop, chain)
        if self.hop_loses(hop):
            if chain is not None:
                if self.more_than(hop, chain.lost, chain.settled):
                    return self._rate_limited(hop, chain, carried=hop.ttl > chain.hops[0].ttl)
                if chain.hops[0].ttl < hop.ttl < chain.hops[-1].ttl:
                    return self._carrying(hop, chain)
            elif end is not None and (hop is end or self.more_than(hop, *self.evidence[end.ttl])):
                return self._rate_limited(hop, None, end=end)
            return HopVerdict(
                Verdict.PENDING,
                f"loses {_pct(lost, settled)}; not yet told apart from "
                f"{_name(end) if end else 'the end of the path'}",
            )
        return HopVerdict(Verdict.OK, f"{_pct(lost, settled)} lost of {settled} probes")

    def _unanswered(self, hop: HopView, answering: list[HopView], settled: int) -> HopVerdict:
        later = [h for h in answering if h.ttl > hop.ttl]
        if later:
            return HopVerdict(
                Verdict.SILENT,
                f"never answers ({settled} probes), while {_name(later[0])} does: the router "
                "sends no time-exceeded; not a fault",
            )
        if self.view.reached:
            return HopVerdict(Verdict.PENDING, "no answer yet")
        span = f"TTLs {hop.ttl}-{hop.ttl + hop.span - 1}" if hop.span > 1 else f"TTL {hop.ttl}"
        last = f"; the last hop that answers is {_name(answering[-1])}" if answering else ""
        return HopVerdict(
            Verdict.NO_REPLY,
            f"{span} never answered ({settled} probes): the target does not reply "
            f"(a firewall, or a black hole){last}",
        )

    def _carrying(self, hop: HopView, chain: _Chain) -> HopVerdict:
        lost, settled = self.evidence[hop.ttl]
        origin, end = chain.hops[0], chain.hops[-1]
        pooled = _pct(chain.lost, chain.settled)
        if not chain.clear:
            return HopVerdict(
                Verdict.PENDING,
                f"loses {_pct(lost, settled)}, as {_name(end)} does; where that loss starts "
                "is not clear yet",
            )
        if hop is origin:
            return HopVerdict(
                Verdict.LOSS_ORIGIN,
                f"loss starts here: {_pct(lost, settled)} of {settled} probes lost, and "
                f"{len(chain.hops) - 1} later hops carry it on ({pooled} of "
                f"{chain.settled} probes from here to {_name(end)})",
            )
        return HopVerdict(
            Verdict.LOSS_CARRIED, f"{_pct(lost, settled)} lost, carried on from hop {origin.ttl}"
        )

    def _rate_limited(
        self, hop: HopView, chain: _Chain | None, carried: bool = False, end: HopView | None = None
    ) -> HopVerdict:
        lost, settled = self.evidence[hop.ttl]
        if chain is not None and carried:
            reason = (
                f"drops {_pct(lost, settled)} of its replies, more than the "
                f"{_pct(chain.lost, chain.settled)} lost from hop {chain.hops[0].ttl} on: "
                "the router also limits the ICMP it sends"
            )
        elif chain is None and hop is end:
            reason = (
                f"the target drops {_pct(lost, settled)} of its replies to probes but answers "
                "pings: it limits the ICMP it sends"
            )
        else:
            if chain is not None:
                after, after_pct = chain.hops[-1], _pct(chain.lost, chain.settled)
            else:
                assert end is not None
                after, after_pct = end, _pct(*self.evidence[end.ttl])
            reason = (
                f"drops {_pct(lost, settled)} of its replies, but the hops after it up to "
                f"{_name(after)} lose only {after_pct}: the router limits the ICMP it sends; "
                "traffic through it is fine"
            )
        echo = self.pings(hop)
        if echo is not None:
            answered = f"{echo.received} of {echo.received + echo.lost} pings"
            if self.pings_confirm(hop):
                reason += f"; confirmed: it answered {answered}"
            else:
                reason += f"; it answered {answered} too"
        return HopVerdict(Verdict.RATE_LIMITED, reason)

    def _unreachable(self, hop: HopView) -> HopVerdict:
        primary = hop.primary
        assert primary is not None
        mark, meaning = refusal(self.view.info.family, primary.kind, primary.code, primary.mtu)
        if mark == "!F":
            size = self.view.info.size
            reason = f"{mark}: packets of {size} bytes do not fit past this hop" + (
                f" (next-hop MTU {primary.mtu})" if primary.mtu else ""
            )
        else:
            reason = f"{mark}: {meaning} from {primary.address}; the target is not reached"
        return HopVerdict(Verdict.UNREACHABLE, reason, mark)


def judge(view: PathView, shown: dict[int, Verdict] | None = None) -> dict[int, HopVerdict]:
    """Verdicts for every hop of ``view``; ``shown`` are the verdicts on display (hysteresis)."""
    return _Judge(view, shown or {}).run()


class VerdictKeeper:
    """Holds each hop's shown verdict until a new one has held for ``hold`` rounds.

    Counted in rounds, not evaluations, so the rule is the same whether the
    path is diagnosed every round (the live screen) or once a second of a fast
    run (reports): a new verdict shows once it came out of two evaluations in
    a row at least ``hold - 1`` rounds apart (every round of them, live).
    """

    def __init__(self, hold: int = HOLD_EVALUATIONS) -> None:
        self.hold = hold
        self._shown: dict[int, HopVerdict] = {}
        self._candidate: dict[int, tuple[Verdict, int]] = {}

    @property
    def shown(self) -> dict[int, Verdict]:
        return {ttl: verdict.verdict for ttl, verdict in self._shown.items()}

    def reset(self) -> None:
        self._shown.clear()
        self._candidate.clear()

    def update(self, computed: dict[int, HopVerdict], round_: int) -> dict[int, HopVerdict]:
        out: dict[int, HopVerdict] = {}
        for ttl, new in computed.items():
            old = self._shown.get(ttl)
            immediate = (
                old is None
                or old.verdict is Verdict.PENDING
                or new.verdict is Verdict.UNREACHABLE
                or new.verdict is old.verdict
            )
            if immediate:
                self._candidate.pop(ttl, None)
                shown = new
            else:
                assert old is not None
                verdict, since = self._candidate.get(ttl, (new.verdict, round_))
                if verdict is not new.verdict:
                    since = round_
                self._candidate[ttl] = (new.verdict, since)
                shown = new if round_ - since >= self.hold - 1 else old
                if shown is new:
                    del self._candidate[ttl]
            self._shown[ttl] = out[ttl] = shown
        for ttl in set(self._shown) - set(computed):
            del self._shown[ttl]
        return out
