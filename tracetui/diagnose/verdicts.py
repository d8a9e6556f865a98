"""A verdict for every hop, decided with statistics and held steady with hysteresis.

The model behind the rule
-------------------------
A hop's loss is the loss carried to it by the path (what every link up to it
loses, there and back: it never falls along the path) and, on top, what the
router itself withholds (a rate limit on the ICMP it sends: its own, not
carried on). So the carried loss is a staircase that only steps up, and
rate limiters stand above it. Evidence is each hop's probes over one span
(:mod:`tracetui.diagnose.evidence`: the window, or the recent rounds since
the path's loss last changed); all tests are exact
(:mod:`tracetui.diagnose.confidence`).

The rule
--------
1. Until the first round has settled, and for any hop with fewer than
   ``MIN_PROBES`` settled probes, the verdict is ``pending``.
2. Where the path ends with a refusal (destination unreachable, packet too
   big) or a router of the path answering for the target (a port
   unreachable or a reset from an address seen forwarding: a firewall
   rejecting), the hop is ``unreachable``, with traceroute's mark.
3. A hop that never answered while a later hop does is ``silent``; past the
   last hop that answers, when the target is not reached, ``no-reply``.
4. Let E be the destination if the target answered, else the last hop that
   answers. Of the answering hops up to E, set aside those that lose more
   than all the kept hops after them pooled (Fisher, one-sided, p < 0.05):
   the rate limiters. E has no hop after it: when it loses more than the
   kept hops before it, only pings (plain echo requests, never counted as
   probes) can tell its own limit from loss on the link into it; until they
   do, E is ``pending`` (for ICMP probes to the destination, pings are the
   very packets probed with, so its loss is taken as real).
5. The kept hops are cut into stretches of one loss level by binary
   segmentation: a cut stands when the hops after it lose more than the
   hops before it (Fisher, p < 0.001 to raise, 0.01 to keep). A stretch
   that loses more than ``LOSS_FLOOR`` (exact binomial test, same bars)
   starts at a ``loss-origin`` and its other hops are ``loss-carried`` (shown
   so, it stays lossy while it loses more than the floor at all); a
   second stretch, higher still, has its own origin (two lossy links). An
   origin must have lost probes itself and stand clear of the hop before it
   (p < 0.05), else the stretch stays ``pending``. With triage, an origin is
   shown once pings to it do not contradict it: a router answering pings
   far better than probes limits its ICMP and is set aside as a limiter
   (uniform loss at every hop of a path is then told from loss on the first
   link).
6. A hop set aside in 4 is ``rate-limited`` when it loses more than the kept
   hops after it beyond doubt (p < 0.001 to raise, 0.01 to keep), or when
   pings confirm it; else ``pending``.
7. Any other hop is ``ok`` when it lost nothing, or so little that its loss
   is below ``OK_BOUND`` with 80 % confidence (Clopper-Pearson); otherwise
   ``pending``: one loss in five probes is not "ok", and not yet a fault.

Pings count when sent within ``PING_SPAN`` seconds and within the evidence
span: a confirmation expires with the evidence it confirmed, and is asked
for again (see :mod:`tracetui.diagnose.triage`).

Hysteresis: a hop's shown verdict changes only after the new verdict held
for ``HOLD_EVALUATIONS`` (3) rounds; leaving ``pending`` and becoming
``unreachable`` take effect at once, and ``ok`` shows as ``pending`` while
a new verdict is held (never "ok" beside the evidence against it). A report
states the verdicts computed from its final data: what it says is the data,
not a display held steady.
"""

from __future__ import annotations

import itertools
import math
from datetime import timedelta
from typing import NamedTuple

from tracetui.diagnose.codes import refusal
from tracetui.diagnose.confidence import (
    ALPHA_KEEP,
    ALPHA_RAISE,
    loses_more_than,
    significantly_higher,
    upper_bound,
)
from tracetui.diagnose.evidence import Evidence, dark_at_the_end, dark_run
from tracetui.path.diagnosis import HopVerdict, Verdict
from tracetui.path.snapshot import LOST, HopView, PathView
from tracetui.probe.types import ProbeMethod, ReplyKind

MIN_PROBES = 4
LOSS_FLOOR = 0.01
OK_BOUND = 0.05
OK_CONFIDENCE = 0.8
"""A hop that lost probes is ``ok`` only when its loss is below OK_BOUND with this
confidence: one loss in sixty probes is, one in ten is not."""
HOLD_EVALUATIONS = 3
MIN_PINGS = 3
MAX_ORIGIN_PINGS = 30
"""Pings an origin of loss gets while they cannot yet say whether it is a limiter."""
MAX_DECIDING_PINGS = 120
"""Pings an end of the path gets while they cannot tell its limit from loss into it."""
PING_SPAN = 300.0
"""Seconds a ping counts as evidence (and no longer than the probes it is compared with)."""
ALPHA_ALIKE = 0.25
"""Pings losing less than probes with p below this are not yet "losing as probes do"."""
BURSTY = 2.0
"""Losses vary this much more than independent ones: they come in bursts across hops."""
ALPHA_SKIP = 0.05
"""A hop this likely to lose more than the hops after it stays out of the staircase."""
_LOSING = frozenset({Verdict.RATE_LIMITED, Verdict.LOSS_ORIGIN, Verdict.LOSS_CARRIED})
_LIMITING = frozenset({Verdict.RATE_LIMITED})
_ORIGIN = frozenset({Verdict.LOSS_ORIGIN})
_LOSS = frozenset({Verdict.LOSS_ORIGIN, Verdict.LOSS_CARRIED})


def _pct(lost: int, settled: int) -> str:
    return f"{100.0 * lost / settled:.1f}%" if settled else "0.0%"


def refuses(hop: HopView) -> bool:
    """The path ends here without reaching the target: refused, or rejected by a router."""
    primary = hop.primary
    return hop.ends_path and (hop.rejected or (primary is not None and primary.kind.refuses))


def _name(hop: HopView) -> str:
    """Addresses only: a reason must not change when a name arrives (see summary for names)."""
    return f"hop {hop.ttl} ({hop.primary.address})" if hop.primary else f"hop {hop.ttl}"


class Pings(NamedTuple):
    """Pings to one address within the evidence span."""

    lost: int
    sent: int
    latest: float
    """Engine clock of the latest."""


class Stretch(NamedTuple):
    """Kept hops of one carried loss level; ``origin`` says whether it starts a loss."""

    hops: list[HopView]
    lost: int
    settled: int
    lossy: bool
    clear: bool


class Judgement(NamedTuple):
    verdicts: dict[int, HopVerdict]
    pings_wanted: list[str]
    """Addresses whose pings would decide or confirm a verdict, most needed first."""
    stretches: list[Stretch]


class _Judge:
    """One evaluation of one snapshot (see the module docstring for the rule)."""

    def __init__(
        self, view: PathView, shown: dict[int, Verdict], evidence: Evidence, triage: bool
    ) -> None:
        self.view = view
        self.shown = shown
        self.evidence = evidence.counts
        self.since = max(evidence.since_clock, view.clock - PING_SPAN)
        self.triage = triage
        self.out: dict[int, HopVerdict] = {}
        self.wanted: list[str] = []
        self.stretches: list[Stretch] = []
        self.doubtful: set[int] = set()
        self.dark: HopView | None = None
        self.by_stretch: set[int] = set()
        """Hops of a uniformly lossy stretch whose pings, pooled, got through."""
        self.located: HopView | None = None
        """A limiter its pings show the carried loss begins at (rule 7)."""

    # ------------------------------------------------------------ statistics
    def counts(self, hop: HopView) -> tuple[int, int]:
        return self.evidence.get(hop.ttl, (0, 0))

    def pool(self, hops: list[HopView]) -> tuple[int, int]:
        lost = settled = 0
        for hop in hops:
            hop_lost, hop_settled = self.counts(hop)
            lost += hop_lost
            settled += hop_settled
        return lost, settled

    def sampled(self, hop: HopView) -> tuple[int, int]:
        """A hop's probes and pings together: both cross the links up to it and back, so
        where loss begins is read from both (a hop's 1 of 63 probes lost is chance when
        its pings lost 4 of 40)."""
        lost, settled = self.counts(hop)
        pings = self.pings(hop)
        if pings is None:
            return lost, settled
        return lost + pings.lost, settled + pings.sent

    def witnesses(self, hops: list[HopView]) -> tuple[int, int]:
        """The hops' evidence pooled, worth as many independent probes as it really is:
        hops that lose in the same rounds (a burst on a link before them all) are one
        witness, not several. Used where pooled probes are weighed against pings."""
        lost, settled = self.pool(hops)
        if len(hops) < 2 or not lost:
            return lost, settled
        spread = _dispersion(hops)
        if spread <= BURSTY:
            return lost, settled
        return round(lost / spread), max(1, round(settled / spread))

    def alpha(self, hop: HopView, verdicts: frozenset[Verdict] = _LOSING) -> float:
        return ALPHA_KEEP if self.shown.get(hop.ttl) in verdicts else ALPHA_RAISE

    def pings(self, hop: HopView) -> Pings | None:
        primary = hop.primary
        echo = self.view.echoes.get(primary.address) if primary else None
        if echo is None:
            return None
        recent = [(at, ok) for at, ok in echo.recent if at >= self.since]
        if not recent:
            return None
        lost = sum(1 for _at, ok in recent if not ok)
        return Pings(lost, len(recent), recent[-1][0])

    def want(self, hop: HopView, up_to: int = MIN_PINGS) -> None:
        """Ask for pings to ``hop`` while it has fewer than ``up_to`` in the span."""
        primary = hop.primary
        if not self.triage or primary is None or primary.address in self.wanted:
            return
        pings = self.pings(hop)
        if pings is None or pings.sent < up_to:
            self.wanted.append(primary.address)

    def limiter_by_pings(self, hop: HopView) -> bool | None:
        """Whether pings show ``hop`` withholding ICMP (True), losing as probes do (False),
        or cannot say yet (None)."""
        pings = self.pings(hop)
        if pings is None:
            return None
        alpha = self.alpha(hop, _LIMITING)
        return _by_pings(*self.counts(hop), pings.lost, pings.sent, alpha)

    def stretch_pings(self, stretch: Stretch) -> tuple[int, int]:
        """(lost, sent) of the pings to every hop of a stretch: each crosses the loss it
        carries, so together they say sooner whether that loss is real."""
        lost = sent = 0
        for hop in stretch.hops:
            pings = self.pings(hop)
            if pings is not None:
                lost, sent = lost + pings.lost, sent + pings.sent
        return lost, sent

    def stretch_by_pings(self, stretch: Stretch) -> bool | None:
        """Whether a lossy stretch is the sum of limiters (True), real loss (False), or
        not yet told (None), by the pings to its hops."""
        alpha = self.alpha(stretch.hops[0], _LIMITING)
        return _by_pings(*self.witnesses(stretch.hops), *self.stretch_pings(stretch), alpha)

    def want_stretch(self, stretch: Stretch) -> None:
        """Pings to a lossy stretch's first, middle and last hops until they can tell."""
        decided = self.stretch_by_pings(stretch) is False
        hops = stretch.hops
        for hop in dict.fromkeys((hops[0], hops[len(hops) // 2], hops[-1])):
            self.want(hop, MIN_PINGS if decided else MAX_ORIGIN_PINGS)

    # ------------------------------------------------------------------ rule
    def run(self) -> Judgement:
        view = self.view
        if not view.discovered:
            for hop in view.hops:
                self.out[hop.ttl] = HopVerdict(Verdict.PENDING, "the path is still being found")
            return Judgement(self.out, [], [])
        on_path = [hop for hop in view.hops if hop.on_path]
        answering = [hop for hop in on_path if hop.received and not refuses(hop)]
        end = next((hop for hop in on_path if hop.is_destination), None)
        self.dark = end if end is not None and dark_at_the_end(view, end) else None
        if self.dark is not None:
            # a destination gone dark says nothing about loss: judge the path up to it
            answering = [hop for hop in answering if hop is not self.dark]
            end = None
        if end is None and answering:
            end = answering[-1]
        limiters: dict[int, HopView] = {}
        undecided: HopView | None = None
        if end is not None:
            core, limiters, undecided = self._staircase(answering, end)
            self.stretches = self._segments(core)
            weak = [h for _ttl, h in sorted(limiters.items()) if not self._strong(h, limiters)]
            if weak and not any(stretch.lossy for stretch in self.stretches):
                # hops set aside only because the hops after them lost less by chance (a
                # short window): with them, the staircase may show the loss it carries
                # (those that lose no more than the stretch they would join)
                merged = sorted([*core, *weak], key=lambda h: h.ttl)
                again = self._segments(merged, ask=False)
                joining = [h for h in weak if not self._above_own(h, again)]
                merged = sorted([*core, *joining], key=lambda h: h.ttl)
                again = self._segments(merged, ask=False) if joining != weak else again
                if joining and any(stretch.lossy and stretch.clear for stretch in again):
                    core, self.stretches = merged, self._segments(merged)
                    for hop in joining:
                        del limiters[hop.ttl]
                    weak = [h for h in weak if h not in joining]
            self.stretches = self._extend(core, weak)
            self._locate(core, limiters)
            self.doubtful = self._doubtful(core)
        for hop in view.hops:
            self.out[hop.ttl] = self._one(hop, answering, end, limiters, undecided)
        return Judgement(self.out, self.wanted, self.stretches)

    def _locate(self, core: list[HopView], limiters: dict[int, HopView]) -> None:
        """Rule 7: where the first carried loss begins among limiters, by their pings.

        Probed faster than a router's limit (Linux: one time-exceeded a second), every
        router loses most of its probes' replies, and the first hop whose probes tell the
        carried loss may be the destination itself. The loss then begins at one of the
        limiters before it, and only pings (which no Linux router limits) can say which:
        the first whose pings lose and are not clearly below the carried loss, though
        they are enough that a hop before the loss would have shown itself clean, after
        every limiter before it did show itself clean.
        """
        lossy = next((s for s in self.stretches if s.lossy), None)
        if lossy is None or not self.triage:
            return
        start = lossy.hops[0]
        before = [h for h in core if h.ttl < start.ttl]
        floor = before[-1].ttl if before else 0
        candidates = [
            h for ttl, h in sorted(limiters.items()) if floor < ttl < start.ttl and h.primary
        ]
        rate = lossy.lost / lossy.settled if lossy.settled else 0.0
        # pings enough that a hop before the loss would have shown it (losing none of them
        # would be as unlikely as ALPHA_SKIP at the carried rate)
        enough = math.ceil(math.log(ALPHA_SKIP) / math.log(1.0 - rate)) if 0 < rate < 1 else 0
        for hop in candidates:  # all at once; they keep coming, as they expire with the span
            self.want(hop, MAX_DECIDING_PINGS)
        for hop in candidates:
            pings = self.pings(hop)
            if pings is None or pings.sent < max(MIN_PINGS, enough):
                placed = lossy._replace(clear=False)
                break
            shown = self.shown.get(hop.ttl) is Verdict.LOSS_ORIGIN
            alpha = ALPHA_KEEP if shown else ALPHA_SKIP  # hysteresis
            if significantly_higher(lossy.lost, lossy.settled, pings.lost, pings.sent, alpha):
                continue  # clean by its pings: the loss begins after it
            if not pings.lost:
                placed = lossy._replace(clear=False)
                break
            self.located = hop
            del limiters[hop.ttl]
            placed = lossy._replace(hops=[hop, *lossy.hops], clear=True)
            break
        else:
            return  # every one clean: the loss begins where the probes say
        # placed, or not yet told (the stretch's start waits for these pings)
        self.stretches[self.stretches.index(lossy)] = placed

    def _above_own(self, hop: HopView, stretches: list[Stretch]) -> bool:
        """Whether ``hop`` loses more than the rest of the stretch it is in (ALPHA_SKIP)."""
        stretch = next(s for s in stretches if hop in s.hops)
        lost, settled = self.counts(hop)
        rest = (stretch.lost - lost, stretch.settled - settled)
        return rest[1] > 0 and significantly_higher(lost, settled, *rest, ALPHA_SKIP)

    def _strong(self, hop: HopView, limiters: dict[int, HopView]) -> bool:
        """Whether a hop set aside loses enough more than the hops after it, or than its
        pings, to be called a limiter."""
        return bool(
            self._beyond(hop, limiters)[0]
            or self.limiter_by_pings(hop)
            or hop.ttl in self.by_stretch
        )

    def _beyond(self, hop: HopView, limiters: dict[int, HopView]) -> tuple[bool, int, int]:
        """Whether ``hop`` loses more than the kept hops after it beyond doubt, and their
        pooled (lost, settled)."""
        after = [
            h for s in self.stretches for h in s.hops if h.ttl > hop.ttl and h.ttl not in limiters
        ]
        if not after:
            return False, 0, 0
        later_lost, later_settled = self.pool(after)
        # every hop before the end is asked this: the bar is shared among them (Bonferroni)
        alpha = self.alpha(hop, _LIMITING) / max(1, len(after) + len(limiters))
        beyond = significantly_higher(*self.counts(hop), later_lost, later_settled, alpha)
        return beyond, later_lost, later_settled

    def _extend(self, core: list[HopView], weak: list[HopView]) -> list[Stretch]:
        """A hop set aside only weakly (not a limiter beyond doubt) right before a lossy
        stretch starts it: losing a little more by chance must not push the origin on."""
        out: list[Stretch] = []
        for stretch in self.stretches:
            hops = stretch.hops
            if stretch.lossy:
                floor = out[-1].hops[-1].ttl if out else 0
                for hop in reversed(weak):
                    first = hops[0].ttl
                    between = any(hop.ttl < h.ttl < first for h in core)
                    if floor < hop.ttl < first and not between:
                        hops = [hop, *hops]
                if hops is not stretch.hops:
                    before = [h for h in core if h.ttl < hops[0].ttl]
                    clear = self.counts(hops[0])[0] > 0 and (
                        not before
                        or significantly_higher(
                            stretch.lost, stretch.settled, *self.counts(before[-1]), ALPHA_SKIP
                        )
                    )
                    stretch = stretch._replace(hops=hops, clear=clear)
            out.append(stretch)
        return out

    def _doubtful(self, core: list[HopView]) -> set[int]:
        """Hops before a lossy stretch whose origin is unclear that are not clearly below its
        level: the loss may already start there."""
        out: set[int] = set()
        for stretch in self.stretches:
            if not stretch.lossy or stretch.clear:
                continue
            first = stretch.hops[0].ttl
            for hop in reversed([h for h in core if h.ttl < first]):
                if self._clearly_below(hop, stretch.lost, stretch.settled):
                    break
                out.add(hop.ttl)
        return out

    def _clearly_below(self, hop: HopView, lost: int, settled: int) -> bool:
        """Whether ``hop`` loses less than ``lost`` of ``settled``, probes and pings
        together: 0 of 19 probes beside 20 % does, unless its pings lost 2."""
        return significantly_higher(lost, settled, *self.sampled(hop), ALPHA_SKIP)

    def _staircase(
        self, answering: list[HopView], end: HopView
    ) -> tuple[list[HopView], dict[int, HopView], HopView | None]:
        """Rule 4: the hops the carried loss is read from, the limiters, an undecided end."""
        hops = [h for h in answering if h.ttl <= end.ttl and self.counts(h)[1] >= MIN_PROBES]
        if end not in hops:
            if self.counts(end)[1] < MIN_PROBES:
                return [h for h in hops if h.ttl < end.ttl], {}, None
            hops.append(end)
        limiters: dict[int, HopView] = {}
        kept: list[HopView] = [end]
        lost, settled = self.counts(end)
        for hop in reversed(hops[:-1]):
            if significantly_higher(*self.counts(hop), lost, settled, ALPHA_SKIP):
                limiters[hop.ttl] = hop
                continue
            kept.insert(0, hop)
            hop_lost, hop_settled = self.counts(hop)
            lost, settled = lost + hop_lost, settled + hop_settled
        undecided = None
        if self._end_steps_up(kept):
            verdict = self._end_by_pings(end)
            if verdict is True:
                limiters[end.ttl] = end
                kept.remove(end)
            elif verdict is None:
                undecided = end
                kept.remove(end)
        # an origin that pings show answering them far better than probes limits its ICMP
        while kept and self.triage:
            stretches = self._segments(kept)
            suspect = next((s for s in stretches if s.lossy and self.stretch_by_pings(s)), None)
            if suspect is None:
                break
            for hop in suspect.hops:  # pings get through where probes do not: limiters all
                limiters[hop.ttl] = hop
                kept.remove(hop)
                self.by_stretch.add(hop.ttl)
        return kept, limiters, undecided

    def _end_steps_up(self, kept: list[HopView]) -> bool:
        """Whether E loses more than the level the kept hops right before it carry (or is
        alone, and loses)."""
        end = kept[-1]
        lost, settled = self.counts(end)
        if len(kept) == 1:
            return loses_more_than(lost, settled, LOSS_FLOOR, self.alpha(end))
        before = self._segments(kept[:-1], ask=False)[-1]
        return significantly_higher(lost, settled, before.lost, before.settled, ALPHA_KEEP)

    def _end_by_pings(self, end: HopView) -> bool | None:
        """E's extra loss: its own limit (True), real loss (False), or not told yet (None)."""
        if end.is_destination and self.view.method is ProbeMethod.ICMP:
            return False  # pings are the probes themselves: nothing to compare
        decided = self.limiter_by_pings(end)
        if decided is None:
            self.want(end, MAX_DECIDING_PINGS)
        return decided

    def _segments(self, kept: list[HopView], ask: bool = True) -> list[Stretch]:
        """Rule 5: binary segmentation of the kept hops into rising loss levels."""
        if not kept:
            return []
        cuts = sorted(self._cuts(kept, 0, len(kept)))
        bounds = [0, *cuts, len(kept)]
        stretches: list[Stretch] = []
        for start, stop in itertools.pairwise(bounds):
            hops = kept[start:stop]
            lost, settled = self.pool(hops)
            first = hops[0]
            lossy = loses_more_than(lost, settled, LOSS_FLOOR, ALPHA_RAISE) or (
                # shown losing: it stays so while it loses more than the floor at all, so
                # that loss in bursts does not end and start an episode with each burst
                self.shown.get(first.ttl) in _LOSS and lost > LOSS_FLOOR * settled
            )
            clear = self.counts(first)[0] > 0 and (
                start == 0 or self._clearly_below(kept[start - 1], lost, settled)
            )
            stretches.append(Stretch(hops, lost, settled, lossy, clear))
        # pings have a say on every lossy stretch: a few always, more while they cannot tell
        for stretch in stretches if ask else ():
            if stretch.lossy:
                self.want_stretch(stretch)
        return stretches

    def _cuts(self, kept: list[HopView], start: int, stop: int) -> list[int]:
        if stop - start < 2:
            return []
        best: tuple[float, int] | None = None
        for split in range(start + 1, stop):
            before = self.pool(kept[start:split])
            after = self.pool(kept[split:stop])
            if after[0] * before[1] <= before[0] * after[1]:
                continue  # the staircase only rises
            score = _log_likelihood(*before) + _log_likelihood(*after)
            if best is None or score > best[0] + 1e-9:
                best = (score, split)
        if best is None:
            return []
        split = best[1]
        before = self.pool(kept[start:split])
        after = self.pool(kept[split:stop])
        # the best of several places to cut: its bar is shared among them (Bonferroni); the
        # lower bar to keep a cut is for a hop shown as where loss begins, not carries it
        alpha = self.alpha(kept[split], _ORIGIN) / (stop - start - 1)
        if not significantly_higher(*after, *before, alpha):
            return []
        return [*self._cuts(kept, start, split), split, *self._cuts(kept, split, stop)]

    # -------------------------------------------------------------- one hop
    def _one(
        self,
        hop: HopView,
        answering: list[HopView],
        end: HopView | None,
        limiters: dict[int, HopView],
        undecided: HopView | None,
    ) -> HopVerdict:
        lost, settled = self.counts(hop)
        if not hop.on_path:
            shown = self.shown.get(hop.ttl, Verdict.PENDING)
            return HopVerdict(shown, "no longer on the path: it got shorter")
        if refuses(hop):
            return self._unreachable(hop)
        if settled < MIN_PROBES:
            return HopVerdict(
                Verdict.PENDING, f"{settled} probes settled so far; a verdict needs more"
            )
        if hop is self.dark:
            return HopVerdict(
                Verdict.PENDING,
                f"has not answered for {dark_run(hop)} rounds: the destination went dark",
            )
        if not hop.received:
            return self._unanswered(hop, answering, settled)
        if hop is undecided:
            before = [h for h in answering if h.ttl < hop.ttl and h.ttl not in limiters]
            was = _pct(*self.pool(before)) if before else "nothing"
            what = "the target" if hop.is_destination else "the router"
            return HopVerdict(
                Verdict.PENDING,
                f"loses {_pct(lost, settled)}, more than the {was} lost before it: "
                f"{what} limiting its ICMP, or loss on the link into it; pings will tell",
            )
        position = self._stretch_of(hop)
        if hop.ttl in limiters:
            limited = self._limiter(hop, limiters, end)
            if limited is not None:
                return limited
            stretch = self.stretches[position] if position is not None else None
            if (
                stretch is not None
                and stretch.lossy
                and hop not in stretch.hops  # a weak one that starts or joins it is judged there
                and significantly_higher(
                    lost, settled, stretch.lost, stretch.settled, ALPHA_KEEP / len(stretch.hops)
                )
            ):
                # it loses more than the loss it carries, not yet beyond doubt
                return HopVerdict(
                    Verdict.PENDING,
                    f"loses {_pct(lost, settled)}, more than the "
                    f"{_pct(stretch.lost, stretch.settled)} carried from hop "
                    f"{stretch.hops[0].ttl}: the router may also limit the ICMP it sends; "
                    "more probes or pings will tell",
                )
        if position is not None and self.stretches[position].lossy:
            return self._carrying(hop, position)
        if hop.ttl in self.doubtful:
            return HopVerdict(
                Verdict.PENDING,
                f"loses {_pct(lost, settled)}; the loss seen after it may already start here",
            )
        return self._plain(hop, end)

    def _stretch_of(self, hop: HopView) -> int | None:
        """The stretch a hop belongs to: its own, or for a hop set aside from the
        staircase, the one it sits in (the last that starts before it)."""
        for position, stretch in enumerate(self.stretches):
            if hop in stretch.hops:
                return position
        before = [i for i, s in enumerate(self.stretches) if s.hops[0].ttl < hop.ttl]
        return before[-1] if before else None

    def _plain(self, hop: HopView, end: HopView | None) -> HopVerdict:
        lost, settled = self.counts(hop)
        if not lost or upper_bound(lost, settled, OK_CONFIDENCE) < OK_BOUND:
            return HopVerdict(Verdict.OK, f"{_pct(lost, settled)} lost of {settled} probes")
        return HopVerdict(
            Verdict.PENDING,
            f"lost {lost} of {settled} probes ({_pct(lost, settled)}): too few to tell "
            "whether that is loss",
        )

    def _carrying(self, hop: HopView, position: int) -> HopVerdict:
        lost, settled = self.counts(hop)
        stretch = self.stretches[position]
        origin = stretch.hops[0]
        pooled = _pct(stretch.lost, stretch.settled)
        if not stretch.clear and hop in stretch.hops:
            leading = stretch.hops[: stretch.hops.index(hop) + 1]
            if not any(self.counts(h)[0] for h in leading):
                # the loss starts after it, not yet known where, if it is clearly below
                pings = self.pings(hop)
                if (
                    pings is None
                    or not pings.lost
                    or self._clearly_below(hop, stretch.lost, stretch.settled)
                ):
                    return self._plain(hop, None)
                return HopVerdict(
                    Verdict.PENDING,
                    f"loses {_pct(lost, settled)}; the loss seen after it may already start here",
                )
        if not stretch.clear or self._pings_pending(stretch):
            return HopVerdict(
                Verdict.PENDING,
                f"loses {_pct(lost, settled)}, as the hops after it do; where that loss "
                "starts is not clear yet",
            )
        if hop is self.located:
            pings = self.pings(hop)
            assert pings is not None
            return HopVerdict(
                Verdict.LOSS_ORIGIN,
                f"loss starts here: its pings lose {_pct(pings.lost, pings.sent)} "
                f"({self._answered(pings)}), as the hops after it do ({pooled} of "
                f"{stretch.settled} probes to {_name(stretch.hops[-1])}), and the pings to "
                f"the hops before it get through; the router also limits the ICMP it sends "
                f"({_pct(lost, settled)} of probes unanswered)",
            )
        if hop is origin:
            later = stretch.hops[-1]
            earlier = [s for s in self.stretches[:position] if s.lossy]
            grows = (
                f" (it grows here from the {_pct(earlier[-1].lost, earlier[-1].settled)} "
                "carried from before)"
                if earlier
                else ""
            )
            reach = (
                f"{len(stretch.hops) - 1} later hops carry it on ({pooled} of "
                f"{stretch.settled} probes from here to {_name(later)})"
                if len(stretch.hops) > 1
                else f"{pooled} of {stretch.settled} probes"
            )
            return HopVerdict(
                Verdict.LOSS_ORIGIN,
                f"loss starts here{grows}: {_pct(lost, settled)} of {settled} probes lost; "
                f"{reach}{self._ping_note(hop)}",
            )
        return HopVerdict(
            Verdict.LOSS_CARRIED, f"{_pct(lost, settled)} lost, carried on from hop {origin.ttl}"
        )

    def _pings_pending(self, stretch: Stretch) -> bool:
        """With triage, a stretch's loss waits for pings that could show it is limiters'.

        Probed faster than once a second, every Linux router limits the time-exceeded it
        sends to one a second: uniform loss at every hop is then as likely limits as
        loss on the first link, and the pings must tell. Slower, a few pings that do not
        contradict the loss are enough.
        """
        origin = stretch.hops[0]
        if not self.triage or origin.primary is None:
            return False
        first = next(s for s in self.stretches if s.lossy) is stretch
        if first and self.view.method is ProbeMethod.ICMP and stretch.hops[-1].is_destination:
            # the target's echo replies are not limited (Linux limits only errors): the
            # loss it shares with the stretch is real, so the stretch carries real loss
            # (where it grows further on, a limiter may lose more: that waits for pings)
            return False
        if not first:
            # where loss grows, the hop it grows at must answer pings of its own: the
            # stretch's pooled pings are mostly the destination's
            pings = self.pings(origin)
            if pings is None or pings.sent < MIN_PINGS:
                self.want(origin, MIN_PINGS)
                return True
        decided = self.stretch_by_pings(stretch)
        if self.view.info.interval < 1.0:
            return decided is not False
        return self.stretch_pings(stretch)[1] < MIN_PINGS or decided is True

    def _ping_note(self, hop: HopView) -> str:
        pings = self.pings(hop)
        if pings is None:
            return ""
        if pings.lost == 0:  # too few yet to contradict the loss, too few to confirm it
            return f"; pings so far: {self._answered(pings)}"
        return f"; pings lose too: {self._answered(pings)}"

    def _answered(self, pings: Pings) -> str:
        at = self.view.taken - timedelta(seconds=max(0.0, self.view.clock - pings.latest))
        return f"it answered {pings.sent - pings.lost} of {pings.sent} pings by {at:%H:%M:%S}"

    def _limiter(
        self, hop: HopView, limiters: dict[int, HopView], end: HopView | None
    ) -> HopVerdict | None:
        """Rule 6 for a hop set aside from the staircase; None when it does not lose enough
        more than the hops after it to be called a limiter (it is then judged by place)."""
        lost, settled = self.counts(hop)
        by_pings = self.limiter_by_pings(hop) or hop.ttl in self.by_stretch
        pings = self.pings(hop)
        beyond, later_lost, later_settled = self._beyond(hop, limiters)
        if pings is None or pings.sent < MIN_PINGS:
            self.want(hop)
        if not beyond and not by_pings:
            return None
        carried = next((s for s in self.stretches if s.lossy and s.hops[0].ttl < hop.ttl), None)
        if hop is end and hop.is_destination:
            reason = (
                f"the target drops {_pct(lost, settled)} of its replies to probes but answers "
                "pings: it limits the ICMP it sends"
            )
        elif hop is end:
            reason = (
                f"drops {_pct(lost, settled)} of its replies to probes but answers pings: "
                "the router limits the ICMP it sends"
            )
        elif carried is not None:
            reason = (
                f"drops {_pct(lost, settled)} of its replies, more than the "
                f"{_pct(later_lost, later_settled)} the hops after it lose (loss from hop "
                f"{carried.hops[0].ttl} on): the router also limits the ICMP it sends"
            )
        else:
            reason = (
                f"drops {_pct(lost, settled)} of its replies, but the hops after it lose only "
                f"{_pct(later_lost, later_settled)}: the router limits the ICMP it sends; "
                "traffic through it is fine"
            )
        if pings is not None:
            if by_pings:
                reason += f"; confirmed: {self._answered(pings)}"
            else:
                reason += f"; {self._answered(pings)} too"
        elif by_pings:
            reason += "; confirmed: pings to the hops around it get through"
        return HopVerdict(Verdict.RATE_LIMITED, reason)

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

    def _unreachable(self, hop: HopView) -> HopVerdict:
        primary = hop.primary
        assert primary is not None
        if hop.rejected:
            mark = _rejection_mark(self.view, primary.kind, primary.code)
            what = "a TCP reset" if primary.kind is ReplyKind.TCP_RESET else "port unreachable"
            reason = (
                f"{mark}: {what} from {primary.address}, a router of the path, not from the "
                "target: a firewall there rejects the probes; the target is not reached"
            )
            return HopVerdict(Verdict.UNREACHABLE, reason, mark)
        mark, meaning = refusal(self.view.info.family, primary.kind, primary.code, primary.mtu)
        if mark == "!F":
            size = self.view.info.size
            reason = f"{mark}: packets of {size} bytes do not fit past this hop" + (
                f" (next-hop MTU {primary.mtu})" if primary.mtu else ""
            )
        else:
            reason = f"{mark}: {meaning} from {primary.address}; the target is not reached"
        return HopVerdict(Verdict.UNREACHABLE, reason, mark)


def _dispersion(hops: list[HopView]) -> float:
    """How much more the hops' per-round losses vary than independent probes would
    (Pearson's statistic over the recent rounds; 1 for independent losses, up to the
    number of hops when they all lose in the same rounds)."""
    histories = [hop.history for hop in hops]
    length = min(len(h) for h in histories)
    per_round: list[int] = []
    for index in range(-length, 0):
        samples = [h[index] for h in histories]
        if all(sample == sample for sample in samples):
            per_round.append(sum(1 for sample in samples if sample == LOST))
    width = len(hops)
    total = sum(per_round)
    if len(per_round) < 10 or total == 0 or total == width * len(per_round):
        return 1.0
    p = total / (width * len(per_round))
    variance = width * p * (1.0 - p)
    chi = sum((x - width * p) ** 2 for x in per_round) / variance
    return min(float(width), max(1.0, chi / (len(per_round) - 1)))


def _by_pings(
    lost: int, settled: int, pings_lost: int, pings: int, alpha: float = ALPHA_RAISE
) -> bool | None:
    """Probes withheld beyond what pings lose (True: a limit, at ``alpha``), pings losing
    as probes do (False), or not yet told (None)."""
    if pings < MIN_PINGS:
        return None
    if significantly_higher(lost, settled, pings_lost, pings, alpha):
        return True
    if significantly_higher(lost, settled, pings_lost, pings, ALPHA_ALIKE):
        return None  # lower, perhaps: more pings will tell
    # a ping record with no loss at all would have shown a limit: these pings lose too
    if significantly_higher(lost, settled, 0, pings, ALPHA_SKIP):
        return False
    return None


def _rejection_mark(view: PathView, kind: ReplyKind, code: int) -> str:
    if kind is ReplyKind.TCP_RESET:
        return "!<rst>"
    if kind is ReplyKind.PORT_UNREACHABLE:
        return f"!<{code}>"
    return refusal(view.info.family, kind, code, 0)[0]


def _log_likelihood(lost: int, settled: int) -> float:
    """Of ``lost`` in ``settled`` at their own ratio (a binomial's maximum)."""
    if settled == 0 or lost in (0, settled):
        return 0.0
    p = lost / settled
    return lost * math.log(p) + (settled - lost) * math.log(1 - p)


def judge(
    view: PathView,
    evidence: Evidence,
    shown: dict[int, Verdict] | None = None,
    *,
    triage: bool = False,
) -> Judgement:
    """Verdicts for every hop of ``view``; ``shown`` are the verdicts on display (hysteresis);
    ``triage``: pings can be sent, so verdicts that need them wait for them."""
    return _Judge(view, shown or {}, evidence, triage).run()


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
                # "ok" never stands beside a loss it can no longer vouch for
                or (old.verdict is Verdict.OK and new.verdict is Verdict.PENDING)
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
                elif old.verdict is Verdict.OK:
                    # "ok" is not held beside evidence against it: not knowing, meanwhile
                    self._shown[ttl] = old
                    out[ttl] = HopVerdict(Verdict.PENDING, new.reason, new.code)
                    continue
            self._shown[ttl] = out[ttl] = shown
        for ttl in set(self._shown) - set(computed):
            del self._shown[ttl]
        return out
