"""The live screen's frame rate and probing while the metrics endpoint is abused.

    sudo .venv/bin/python bench/screen_abuse.py --seconds 20

Builds the benchmark lab's 6-hop path, starts ``tracetui -n -i 0.1 --metrics``
on the live screen in a tmux pane (120x34) inside the client namespace, and
samples the pane 20 times a second: a frame is a change of what it shows (at
-i 0.1 every frame shows new counts). First quiet for ``--seconds``, then as long
again while, from the same namespace, 500 connections are held open and never
speak, slow clients send a header byte a second, and garbage requests (a TLS
hello, a 70 kB URL, a 99 MB POST) and real scrapes come one after the other.
Prints frames per second, rounds per second (the status line's round counter)
and scrapes answered, for both phases. Every probe and connection stays inside
the lab namespaces.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab.builder import Lab  # noqa: E402
from lab.terminal import Terminal  # noqa: E402
from run import PATH_TOPOLOGY, TRACETUI, machine  # noqa: E402

PORT = 19470

ABUSE = r"""
import socket, sys, threading, time, urllib.request
port, seconds = int(sys.argv[1]), float(sys.argv[2])
held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(500)]
end = time.monotonic() + seconds
counts = {"garbage": 0, "scrapes": 0, "failed": 0}

def slow():  # a header byte a second, never finished
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    for byte in b"GET /metrics HTTP/1.1\r\nHost: x\r\n":
        if time.monotonic() > end:
            break
        try:
            s.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(1.0)
    s.close()

slowpokes = [threading.Thread(target=slow, daemon=True) for _ in range(20)]
for t in slowpokes:
    t.start()
print("holding", flush=True)
index = 0
while time.monotonic() < end:
    index += 1
    try:
        if index % 4 == 0:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=15).read()
            counts["scrapes"] += b"tracetui_probes_sent_total" in body
            continue
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall([b"\x16\x03\x01\x02\x00garbage\r\n\r\n",
                   b"GET /" + b"A" * 70000 + b" HTTP/1.1\r\n\r\n",
                   b"POST /metrics HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"][index % 3])
        try:
            s.recv(1024)
        except OSError:
            pass
        s.close()
        counts["garbage"] += 1
    except OSError:
        counts["failed"] += 1
for s in held:
    s.close()
print(counts, flush=True)
"""


def _round(text: str) -> int:
    found = re.search(r"round (\d+)", text)
    return int(found.group(1)) if found else 0


def sample(pane: Terminal, seconds: float) -> tuple[float, float]:
    """Frames per second (changes of the pane) and rounds per second, over ``seconds``."""
    changes = 0
    last = pane.screen()
    first_round = _round(last)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        time.sleep(0.05)
        text = pane.screen()
        if text != last:
            changes += 1
            last = text
    elapsed = time.monotonic() - started
    return changes / elapsed, (_round(last) - first_round) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, raw sockets)")
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    with Lab(PATH_TOPOLOGY, "s") as lab:
        plan = lab.plan
        target = plan.target_address(4)
        argv = " ".join([*TRACETUI, "-n", "-i", "0.1", "--metrics", str(PORT), target])
        pane = Terminal(f"ip netns exec {plan.client} {argv}", 120, 34)
        try:
            time.sleep(4.0)  # the path found: steady frames from here on
            quiet = sample(pane, args.seconds)
            abuse = subprocess.Popen(
                ["ip", "netns", "exec", plan.client, sys.executable, "-c", ABUSE,
                 str(PORT), str(args.seconds + 5)],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert abuse.stdout is not None
            assert abuse.stdout.readline().strip() == "holding"
            abused = sample(pane, args.seconds)
            counts = abuse.stdout.readline().strip()
            abuse.wait(timeout=60)
        finally:
            pane.close()
    print(f"Measured {started} UTC on {machine()}.")
    print(f"Command: `sudo .venv/bin/python bench/screen_abuse.py --seconds {args.seconds:g}`\n")
    print("| phase | frames/s | rounds/s (-i 0.1) |")
    print("| --- | --- | --- |")
    print(f"| quiet | {quiet[0]:.2f} | {quiet[1]:.2f} |")
    print(f"| 500 held + 20 slow + garbage and scrapes | {abused[0]:.2f} | {abused[1]:.2f} |")
    print(f"\nAbuse client: {counts}")


if __name__ == "__main__":
    main()
