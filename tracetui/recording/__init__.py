"""Recordings: ``--record`` writes a run to pcapng, ``--replay`` runs the engine on it again.

A recording holds every probe sent and every packet read, with the kernel's
stamps, plus what the engine needs to make the same decisions again: the
probe settings and local identity (section header comment), the engine-clock
moment of each send and read (packet comments), and the commands and end of
the run (custom blocks). tcpdump, tshark and Wireshark read the packets; the
comments read as plain sentences there.
"""

RECORD_MODULES = (
    "tracetui.recording.recorder",
    "tracetui.recording.pcapng",
    "scapy.utils",
)
"""What ``--record`` imports after the privilege drop (see :func:`tracetui.run.startup.preload`)."""
