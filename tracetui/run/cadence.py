"""How often a target's path is diagnosed: decided here for every mode.

The diagnosis (verdicts, events, triage pings, the metrics' per-hop gauges) is
the largest cost per target after sending, and nobody needs a thousand paths
judged faster than Prometheus scrapes them. So a target is diagnosed every
second, and with many targets at most ``DIAGNOSES_PER_SECOND`` a second over
all of them (each then every N/64 seconds). Reports and ``--headless`` follow
this, and so do the live screen's targets that are not shown; the one shown is
diagnosed on every frame, since what is on screen must agree with itself.
"""

from __future__ import annotations

DIAGNOSE_SECONDS = 1.0
DIAGNOSES_PER_SECOND = 64


def diagnosis_interval(targets: int) -> float:
    """Seconds of probing between two diagnoses of one of ``targets`` targets."""
    return max(DIAGNOSE_SECONDS, targets / DIAGNOSES_PER_SECOND)
