"""Diagnosis: a pure layer over snapshots that says what the numbers mean.

No sockets, no clock reads, no Textual: snapshots in, verdicts, a summary and
events out; the only way out to the network is the ``ping`` callback the
owner passes in for rate-limit triage.
"""

from tracetui.diagnose.diagnoser import Diagnoser
from tracetui.path.diagnosis import EVENT_KINDS, Diagnosis, HopVerdict, PathEvent, Verdict

__all__ = ["EVENT_KINDS", "Diagnoser", "Diagnosis", "HopVerdict", "PathEvent", "Verdict"]
