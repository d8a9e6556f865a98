"""Does a live run cost more the longer it lasts? The demo on virtual time, timed by length.

    .venv/bin/python bench/long_run.py [--minutes 10,20,40,80]

Builds the live screen's trace of the demo (its 9-hop path with loss, ECMP and
a rate-limiting router) on virtual time and advances it by each length: every
simulated second is a round, folded, snapshotted and diagnosed as the screen
does once a second (no terminal is drawn). Prints the CPU seconds each length
took and per simulated minute. A cost per minute that stays flat as the run
gets longer is what a monitor left running for days needs; one that grows
means something sums over the whole run each second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracetui.virtual_demo import virtual_demo_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", default="10,20,40,80")
    args = parser.parse_args()
    print("simulated minutes  CPU seconds  CPU ms per simulated minute")
    for minutes in (float(m) for m in args.minutes.split(",")):
        started = time.process_time()
        virtual_demo_app(seconds=minutes * 60)
        used = time.process_time() - started
        print(f"{minutes:17g}  {used:11.2f}  {used / minutes * 1000:27.0f}", flush=True)


if __name__ == "__main__":
    main()
