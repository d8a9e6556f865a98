"""mtr's Q key on a real kernel: a TOS changed while running is on the wire from then on.

Each transport carries it its own way: the raw transport and the unprivileged
sockets set it on their sockets; the hub (several targets over shared raw
sockets) adds it to each send as ancillary data, so one target's TOS is not
another's. tcpdump in the client namespace reads the TOS byte of every probe.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

pytestmark = pytest.mark.usefixtures("lab_ready")

SCRIPT = textwrap.dedent(
    """
    import sys
    from tracetui.probe.hub import HubTransport, RawHub
    from tracetui.probe.sockets import RawSockets, RawTransport, UnprivilegedTransport
    from tracetui.probe.types import Family, ProbeMethod, SocketOptions

    target, kind = sys.argv[1], sys.argv[2]
    if kind == "raw":
        transport = RawTransport(Family.V4, target, RawSockets(Family.V4))
    elif kind == "hub":
        hub = RawHub(Family.V4, RawSockets(Family.V4))
        other = HubTransport(hub, target, SocketOptions())  # shares the sockets, keeps TOS 0
        transport = HubTransport(hub, target, SocketOptions())
    else:
        transport = UnprivilegedTransport(Family.V4, target)
    udp = b"\\x82\\x9a\\x82\\x9a\\x00\\x10\\x00\\x00" + bytes(8)  # ports 33434, as a probe's
    transport.send(ProbeMethod.UDP, udp, 64)
    transport.set_tos(0x28)
    transport.send(ProbeMethod.UDP, udp, 64)
    if kind == "hub":
        other.send(ProbeMethod.UDP, udp, 64)
    transport.close()
    """
)


@pytest.mark.parametrize("kind", ["raw", "hub", "unprivileged"])
def test_a_tos_set_while_running_is_on_the_wire(main_lab, kind):
    target = main_lab.plan.target_address(4)
    capture = main_lab.popen(
        "tcpdump", "-nn", "-v", "-l", "-i", "any", "-c", "3" if kind == "hub" else "2",
        f"udp and dst host {target} and dst port 33434",
        stdout=-1, stderr=-1, text=True,
    )  # fmt: skip
    said = []
    while not any("listening on" in line for line in said):  # tcpdump is ready
        line = capture.stderr.readline()
        assert line, "".join(said)
        said.append(line)
    main_lab.exec(sys.executable, "-c", SCRIPT, target, kind)
    out, err = capture.communicate(timeout=30)
    tos = [line.split("tos ")[1].split(",")[0] for line in out.splitlines() if "tos " in line]
    expected = ["0x0", "0x28", "0x0"] if kind == "hub" else ["0x0", "0x28"]
    assert tos == expected, out + err
