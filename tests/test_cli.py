"""Command-line validation: one clear line on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from unavailable import unavailable

from tracetui.cli import main, parse_config
from tracetui.probe.types import Family, ProbeMethod

# Only arguments that fail while parsing are checked in-process: anything that gets as far as
# opening sockets would drop this test process's own privileges, so those run as subprocesses.
BAD_ARGUMENTS = [
    ([], "no HOST given"),
    (["-c", "-1", "h"], "count must be between 1"),
    (["-c", "ten", "h"], "count must be a whole number"),
    (["-m", "256", "h"], "max TTL must be between 1 and 255"),
    (["-f", "10", "-m", "5", "h"], "first TTL (10) is above max TTL (5)"),
    (["-i", "0", "h"], "interval must be between"),
    (["-i", "nan", "h"], "interval must be between"),
    (["-i", "inf", "h"], "interval must be between"),
    (["-Z", "-2", "h"], "timeout must be between"),
    (["-G", "-1", "h"], "grace time must be between"),
    (["-s", "0", "h"], "packet size must be between"),
    (["-s", "99999", "h"], "packet size must be between"),
    (["-P", "70000", "-u", "h"], "port must be between 1 and 65535"),
    (["-P", "53", "h"], "-P/--port applies to UDP"),
    (["-U", "0", "h"], "max-unknown must be between"),
    (["-B", "256", "h"], "bit pattern must be between 0 and 255"),
    (["-Q", "300", "h"], "TOS must be between 0 and 255"),
    (["-L", "1234", "h"], "-L/--localport applies to UDP"),
    (["-a", "not-an-ip", "h"], "-a/--address needs an IP address"),
    (["-I", "a/b", "h"], "-I/--interface needs an interface name"),
    (["-o", "LSQ", "h"], "-o/--order takes mtr's field letters"),
    (["-y", "7", "h"], "ipinfo must be between 0 and 4"),
    (["--displaymode", "3", "h"], "display mode must be between 0 and 2"),
    (["-F", "/nonexistent-dir/targets.txt"], "cannot read /nonexistent-dir/targets.txt"),
    (["--record", "r.pcapng", "h1", "h2"], "--record takes one target: a recording replays"),
    (["-u", "-L", "4000", "h1", "h2"], "-L/--localport takes one target: one local port is"),
    (["-j", "h1", "h2", "H1"], "H1 is given twice: each target once"),
    (["-l", "h1", "h2"], "several targets: mtr's -l and -p lines name no target; use --stream"),
    (["-p", "h1", "h2"], "several targets: mtr's -l and -p lines name no target; use --stream"),
    (["-g", "h"], "-g/--gtk: tracetui has no GTK interface"),
    (["-S", "h"], "-S/--sctp: tracetui does not probe with SCTP"),
    (["--dns-server", "dns.example", "h"], "--dns-server needs an IP address"),
    (["--dns-server", "198.18.0.1:99999", "h"], "DNS server port must be between"),
    (["--window", "5s", "h"], "--window must be between 10s and 1h"),
    (["--window", "2h", "h"], "--window must be between 10s and 1h"),
    (["--window", "soon", "h"], "--window needs a duration such as 60s"),
    (["--events", "/nonexistent-dir/e.jsonl", "h"], "directory /nonexistent-dir does not exist"),
    (["--report", "--report-on-exit", "json", "h"], "--report-on-exit is for the live screen"),
    (["--output", "/nonexistent-dir/out.txt", "h"], "does not exist"),
    (["--bogus", "h"], "unrecognized arguments"),
    (["--html", "a.html", "--output", "b.html", "h"], "--html a.html and --output b.html: give"),
    (["--output", "b.html", "--html", "a.html", "h"], "--html a.html and --output b.html: give"),
    (["--html", "/nonexistent-dir/a.html", "h"], "does not exist"),
    (["--alert", "loss for 1m", "h"], "a loss rule needs a threshold"),
    (["--alert-command", "true", "h"], "act on alerts: give --alert RULE too"),
    (["--alert", "route", "--alert-webhook", "ftp://x/y", "h"], "needs an http:// or https://"),
]


def _run(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracetui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("argv,message", BAD_ARGUMENTS)
def test_bad_arguments_give_one_line_and_status_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracetui: ")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "host,message",
    [
        ("999.1.1.1", "not a valid IP address"),
        ("2001:db8::zz", "not a valid IP address"),
        ("bad host", "not a valid host name"),
        ("a/b", "not a valid host name"),
        ("\x1b[31mred", "not a valid host name"),
    ],
)
def test_malformed_targets_fail_before_any_lookup(host, message):
    done = _run("-n", "--report", "-c", "1", host)
    assert done.returncode == 2
    err = done.stderr
    assert message in err and "\x1b" not in err.replace("\\x1b", "")
    assert err.count("\n") == 1


def test_family_mismatch_is_a_usage_error():
    done = _run("-6", "--report", "-c", "1", "-n", "198.18.0.1")
    assert done.returncode == 2
    assert "is an IPv4 address, but -6 was given" in done.stderr


def test_unknown_name_with_an_unreachable_dns_server():
    # the DNS server is a closed port on loopback: the lookup fails at once, locally
    done = _run("--dns-server", "127.0.0.1:9", "--report", "-c", "1", "-n", "no-such.example")
    assert done.returncode == 2
    err = done.stderr
    assert err.startswith("tracetui: cannot resolve no-such.example") and err.count("\n") == 1


def test_defaults_follow_mtr():
    config = parse_config(["--report", "h"])
    s = config.settings
    assert (s.method, s.count, s.interval, s.first_ttl, s.max_ttl, s.max_unknown, s.size) == (
        ProbeMethod.ICMP,
        10,
        1.0,
        1,
        30,
        5,
        64,
    )
    assert config.report_format == "text" and config.names and config.family is None
    assert config.order == "LS NABWV" and not config.report_wide and not config.show_ips
    assert parse_config(["h"]).settings.count is None


# every mtr 0.95 option we honour: (argv, what it must change in the Config)
MTR_OPTIONS = [
    (["-4", "h"], lambda c: c.family is Family.V4),
    (["-6", "h"], lambda c: c.family is Family.V6),
    (["-u", "h"], lambda c: c.settings.method is ProbeMethod.UDP),
    (["-T", "h"], lambda c: c.settings.method is ProbeMethod.TCP),
    (["-I", "eth1", "h"], lambda c: c.sockets.interface == "eth1" and c.host == "h"),
    (["-a", "198.18.0.2", "h"], lambda c: c.sockets.address == "198.18.0.2"),
    (["-f", "3", "h"], lambda c: c.settings.first_ttl == 3),
    (["-m", "12", "h"], lambda c: c.settings.max_ttl == 12),
    (["-U", "9", "h"], lambda c: c.settings.max_unknown == 9),
    (["-u", "-P", "53", "h"], lambda c: c.settings.port == 53),
    (["-u", "-L", "40000", "h"], lambda c: c.sockets.localport == 40000),
    (["-s", "1400", "h"], lambda c: c.settings.size == 1400),
    (["-B", "255", "h"], lambda c: c.settings.pattern == 255),
    (["-i", "0.5", "h"], lambda c: c.settings.interval == 0.5),
    (["-G", "3", "-r", "h"], lambda c: c.settings.grace == 3.0),
    (["-Q", "0x10", "h"], lambda c: c.sockets.tos == 16 and c.settings.tos == 16),
    (["-Z", "5", "h"], lambda c: c.settings.timeout == 5.0),
    (["-M", "7", "h"], lambda c: c.sockets.mark == 7),
    (["-r", "h"], lambda c: c.report_format == "text" and c.settings.count == 10),
    (["-w", "-r", "h"], lambda c: c.report_wide and c.report_format == "text"),
    (["-rwc", "100", "h"], lambda c: c.report_wide and c.settings.count == 100),
    (["-c", "7", "-r", "h"], lambda c: c.settings.count == 7),
    (["-j", "h"], lambda c: c.report_format == "json"),
    (["-x", "h"], lambda c: c.report_format == "xml"),
    (["-C", "h"], lambda c: c.report_format == "csv"),
    (["-l", "h"], lambda c: c.report_format == "raw"),
    (["-p", "h"], lambda c: c.report_format == "split"),
    (["-t", "h"], lambda c: c.report_format is None),
    (["-r", "-t", "h"], lambda c: c.report_format is None),  # mtr: the last one wins
    (["-t", "-r", "h"], lambda c: c.report_format == "text"),
    (["-w", "h"], lambda c: c.report_wide and c.report_format == "text"),  # -w is mtr's report
    (["-wc", "2", "h"], lambda c: c.report_format == "text" and c.settings.count == 2),
    (["-w", "-j", "h"], lambda c: c.report_wide and c.report_format == "json"),
    (["-j", "-w", "h"], lambda c: c.report_format == "text"),
    (["--displaymode", "2", "h"], lambda c: c.display_mode == 2),
    (["-n", "h"], lambda c: not c.names),
    (["-b", "h"], lambda c: c.show_ips),
    (["-o", "LSD NBAW", "h"], lambda c: c.order == "LSD NBAW" and c.report_format is None),
    (["-y", "2", "h"], lambda c: c.ipinfo == 2 and c.aslookup),
    (["-z", "h"], lambda c: c.ipinfo == 0 and c.aslookup),
]


@pytest.mark.parametrize(
    "argv,check", MTR_OPTIONS, ids=lambda a: " ".join(a) if isinstance(a, list) else ""
)
def test_every_mtr_option_means_what_it_means_in_mtr(argv, check):
    assert check(parse_config(argv))


def test_the_old_clashes_now_mean_what_mtr_means():
    # -w was the probe timeout, -o the report file, -I ICMP: now mtr's meanings
    config = parse_config(["-rwc", "100", "h"])
    assert config.report_wide and config.settings.timeout == 2.0
    assert parse_config(["-o", "LSD NBAW", "h"]).output is None
    assert parse_config(["-I", "eth0", "h"]).host == "h"
    assert parse_config(["--output", "r.txt", "h"]).output == "r.txt"
    assert parse_config(["--icmp", "h"]).settings.method is ProbeMethod.ICMP


def test_the_last_method_family_and_format_win_as_in_mtr():
    config = parse_config(["-u", "-T", "-4", "-6", "-j", "-C", "h"])
    assert config.settings.method is ProbeMethod.TCP and config.family is Family.V6
    assert config.report_format == "csv"


def test_options_map_to_settings():
    config = parse_config(
        ["-T", "-P", "443", "-6", "-c", "3", "-i", "0.2", "-Z", "1.5", "-j", "-n", "-z", "h"]
    )
    assert config.settings.method is ProbeMethod.TCP and config.settings.port == 443
    assert config.family is Family.V6 and config.report_format == "json"
    assert not config.names and config.aslookup
    assert (config.settings.count, config.settings.interval, config.settings.timeout) == (
        3,
        0.2,
        1.5,
    )
    assert parse_config(["--output", "x.txt", "h"]).report_format == "text"


def test_version_and_help(capsys):
    with pytest.raises(SystemExit):
        parse_config(["-v"])
    assert capsys.readouterr().out.startswith("tracetui ")
    done = _run("--help")
    assert done.returncode == 0
    for heading in ("target and path (mtr)", "probes (mtr)", "reports (mtr)", "[tracetui]"):
        assert heading in done.stdout
    assert "--report-wide" in done.stdout and "--gracetime" in done.stdout


def test_shell_completion_scripts_and_answers():
    """The scripts come from argcomplete; the answers from the real parser."""
    for shell in ("bash", "zsh", "fish"):
        done = _run("--print-completion", shell)
        assert done.returncode == 0 and "tracetui" in done.stdout, (shell, done.stderr)
    bad = _run("--print-completion", "tcsh")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    line = "tracetui --repo"
    environment = {
        **os.environ,
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": " ",
    }
    # argcomplete answers on file descriptor 8, as the shell's completion function reads it
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m tracetui 8>&1 9>/dev/null'],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    offered = set(done.stdout.split())
    assert {"--report", "--report-wide", "--report-cycles", "--report-extra"} <= offered


def test_dns_server_forms():
    servers = parse_config(
        [
            "--dns-server",
            "198.18.0.53",
            "--dns-server",
            "[2001:db8::53]:5353",
            "--dns-server",
            "2001:db8::1",
            "--dns-server",
            "198.18.0.1:5300",
            "h",
        ]
    ).dns_servers
    assert [(s.address, s.port) for s in servers] == [
        ("198.18.0.53", 53),
        ("2001:db8::53", 5353),
        ("2001:db8::1", 53),
        ("198.18.0.1", 5300),
    ]


def test_demo_report_runs_without_privileges_or_network():
    done = _run("--demo", "--json", "-c", "3", "-i", "0.05", "-Z", "0.3")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["report"]
    assert report["mtr"]["dst"] == "www.demo.example"
    assert len(report["hubs"]) == 9
    assert report["hubs"][0]["hostname"] == "gw.home.example"
    assert report["mtr"]["psize"] == "64" and isinstance(report["mtr"]["tests"], int)


def test_demo_with_several_targets_each_on_its_own_simulated_path(tmp_path):
    """--demo HOST... and -F: one simulated path per target, each with its own trouble,
    so several targets can be tried without a network; a name the demo does not know
    takes the next path in turn."""
    hosts = tmp_path / "hosts"
    hosts.write_text("cdn.demo.example\nmail.demo.example\n")
    done = _run("--demo", "-F", str(hosts), "vpn.demo.example", "elsewhere.example", "--json",
                "-c", "3", "-i", "0.05", "-Z", "0.3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    reports = [each["report"] for each in json.loads(done.stdout)["reports"]]
    assert [r["mtr"]["dst"] for r in reports] == [
        "vpn.demo.example",
        "elsewhere.example",
        "cdn.demo.example",
        "mail.demo.example",
    ]
    hosts_seen = [[hub["hostname"] for hub in r["hubs"]] for r in reports]
    assert hosts_seen[0][-1] == "vpn.demo.example" and len(hosts_seen[0]) == 7
    assert hosts_seen[1][-1] == "www.demo.example"  # unknown names: the paths in turn
    assert hosts_seen[2] == [
        "gw.home.example",
        "bras1.access.isp.example",
        "agg1.metro.isp.example",
        "cdn.demo.example",
    ]
    assert not reports[3]["tracetui"]["reached"]
    assert reports[3]["hubs"][-1]["hostname"] == "fw.mail.example"  # it refuses (!X)
    assert {r["mtr"]["src_ip"] for r in reports} == {"198.18.0.2"}  # one simulated client


def test_report_to_a_file(tmp_path):
    out = tmp_path / "report.csv"
    done = _run("--demo", "--csv", "-c", "2", "-i", "0.05", "-Z", "0.3", "--output", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert out.read_text().startswith("Mtr_Version,Start_Time,Status,Host,Hop,Ip,")
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


@pytest.fixture
def shared_dir():
    """A directory an unprivileged user can reach (pytest's own tmp dirs are root-only)."""
    path = Path(tempfile.mkdtemp(prefix="tracetui-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def as_ordinary_user(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run tracetui as an unprivileged user (through setpriv when the suite runs as root)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            unavailable("running as root and setpriv is missing")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "tracetui", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )


def test_unreachable_output_directory_is_a_usage_error(shared_dir):
    private = shared_dir / "private"
    private.mkdir(mode=0o700)
    done = as_ordinary_user("--demo", "-r", "--output", str(private / "sub" / "r.txt"))
    assert done.returncode == 2
    assert done.stderr.startswith("tracetui: cannot write") and done.stderr.count("\n") == 1


def test_unwritable_output_is_said_before_the_first_probe(shared_dir):
    """A directory the user cannot write to: one line and exit 2 before probing, not a
    lost report after an hour (the write at the end still falls back to stdout)."""
    locked = shared_dir / "locked"
    locked.mkdir(mode=0o555)
    done = as_ordinary_user(
        "--demo", "-r", "-c", "100", "-i", "1", "--output", str(locked / "r.txt")
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"tracetui: cannot write {locked / 'r.txt'}: Permission denied\n"
    assert done.stdout == "" and list(locked.iterdir()) == []


def test_a_report_that_cannot_be_saved_at_the_end_goes_to_stdout(tmp_path, capsys):
    """The directory went away during the run: the report is not lost."""
    from tracetui.run.finish import _deliver

    (tmp_path / "gone").mkdir()
    config = parse_config(["-r", "--output", str(tmp_path / "gone" / "r.txt"), "h"])
    (tmp_path / "gone").rmdir()
    assert _deliver(config, "the report\n", 0) == 1
    out, err = capsys.readouterr()
    assert out == "the report\n"
    assert err.startswith("tracetui: cannot write") and err.endswith("standard output instead\n")


def test_diagnosis_options():
    config = parse_config(["--window", "10m", "--events", "e.jsonl", "--no-triage", "h"])
    assert config.window == 600.0 and config.events_file == "e.jsonl" and not config.triage
    assert parse_config(["--window", "90", "h"]).window == 90.0
    assert parse_config(["--window", "1h", "h"]).window == 3600.0
    assert parse_config(["h"]).triage and parse_config(["h"]).window is None


def test_demo_report_with_a_window_and_verdicts():
    done = _run("--demo", "--json", "-c", "30", "-i", "0.05", "-Z", "0.3", "--window", "10s")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["report"]
    assert report["tracetui"]["window_seconds"] == 10.0
    assert all(hub["verdict"] for hub in report["hubs"])
    # 30 rounds in 1.5 s all fall in the last 10 s: the window holds them all
    assert report["hubs"][0]["Snt"] == 30


def test_a_targets_file_line_may_give_its_own_method_and_port(tmp_path):
    listing = tmp_path / "targets.txt"
    listing.write_text(
        "# web servers over TCP, the rest as the command line says\n"
        "www.example -T -P 443\n"
        "dns.example --udp --port=53   # a comment after options\n"
        "plain.example\n"
        "icmp.example --icmp\n"
    )
    config = parse_config(["-j", "-u", "-P", "5000", "first.example", "-F", str(listing)])
    chosen = [
        (c.host, c.settings.method, c.settings.port)
        for c in (config.for_target(i) for i in range(len(config.hosts)))
    ]
    assert chosen == [
        ("first.example", ProbeMethod.UDP, 5000),
        ("www.example", ProbeMethod.TCP, 443),
        ("dns.example", ProbeMethod.UDP, 53),
        ("plain.example", ProbeMethod.UDP, 5000),
        ("icmp.example", ProbeMethod.ICMP, None),
    ]
    # a line's own method brings that method's default port, not the command line's
    listing.write_text("www.example -T\n")
    config = parse_config(["-j", "-u", "-P", "5000", "-F", str(listing)])
    assert config.for_target(0).settings.port is None


@pytest.mark.parametrize(
    "line,message",
    [
        ("h1 -x", "'-x' is not an option of a target (-u, -T, --icmp and -P PORT)"),
        ("h1 -T -P 99999", "port must be between 1 and 65535, not '99999'"),
        ("h1 -T -P", "port must be between 1 and 65535, not ''"),
        ("h1 --icmp -P 80", "-P/--port applies to UDP (-u) and TCP (-T) probes only"),
        ("h1 -P 80", "h1: -P/--port applies to UDP (-u) and TCP (-T) probes only"),
        ("h1 -u -T", "one probe method per target, not -T too"),
        ("-u h1", "a host name or address first, not '-u'"),
    ],
)
def test_a_bad_targets_file_line_is_named_in_one_line(line, message, tmp_path, capsys):
    listing = tmp_path / "targets.txt"
    listing.write_text(f"ok.example\n{line}\n")
    assert main(["-j", "-F", str(listing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    if "h1:" not in message:
        assert f"{listing}:2: " in err


def test_a_targets_file_of_any_size_is_read_whole(tmp_path, capsys):
    """A name past the first MiB is read (it used to be cut); the bound is the number of
    targets, said with the advice to split; a line too long to be a target is an error."""
    from tracetui.cli.targets import MAX_LINE, MAX_TARGETS

    listing = tmp_path / "targets.txt"
    listing.write_text("# padding\n" * 200_000 + "far.example\nfarther.example -T\n")
    assert listing.stat().st_size > 1 << 20
    assert parse_config(["-j", "-F", str(listing)]).hosts == ("far.example", "farther.example")
    listing.write_text("".join(f"h{n}.example\n" for n in range(MAX_TARGETS + 5)))
    assert main(["-j", "-F", str(listing)]) == 2
    err = capsys.readouterr().err
    assert f"at most {MAX_TARGETS} targets at once, not {MAX_TARGETS + 1} or more" in err
    listing.write_text("ok.example\n" + "x" * (MAX_LINE + 10) + "\n")
    assert main(["-j", "-F", str(listing)]) == 2
    assert f"{listing}:2: a line of over {MAX_LINE} characters" in capsys.readouterr().err
