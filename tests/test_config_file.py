"""Defaults from a config file and TRACETUI_OPTIONS, under the command line; bad files: one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tracetui.cli import UsageError, parse_arguments


def _parse(tmp_path, text: str, argv: list[str], env: str = "", monkeypatch=None):
    path = tmp_path / "config.toml"
    path.write_text(text)
    if monkeypatch is not None:
        monkeypatch.setenv("TRACETUI_OPTIONS", env)
    return parse_arguments(["--config", str(path), *argv], environment=True)[0]


def test_file_then_environment_then_command_line(tmp_path, monkeypatch):
    text = 'interval = 0.5\nreport-wide = true\norder = "LSD NBAW"\nmax-ttl = 20\n'
    config = _parse(tmp_path, text, ["h"], monkeypatch=monkeypatch)
    assert config.settings.interval == 0.5 and config.report_wide
    assert config.report_format is None  # a default for reports, not a request for one
    assert config.order == "LSD NBAW" and config.settings.max_ttl == 20
    config = _parse(tmp_path, text, ["h"], env="-i 2 -m 12", monkeypatch=monkeypatch)
    assert config.settings.interval == 2.0 and config.settings.max_ttl == 12
    config = _parse(tmp_path, text, ["-i", "3", "h"], env="-i 2", monkeypatch=monkeypatch)
    assert config.settings.interval == 3.0 and config.report_wide


def test_lists_flags_keys_and_theme(tmp_path, monkeypatch):
    text = (
        'dns-server = ["198.18.0.53", "198.18.0.54:5353"]\nudp = true\ntheme = "nord"\n'
        '\n[keys]\npause = "space"\nhelp = "f1"\n'
    )
    config = _parse(tmp_path, text, ["-T", "h"], monkeypatch=monkeypatch)
    assert [str(s) for s in config.dns_servers] == ["198.18.0.53:53", "198.18.0.54:5353"]
    assert config.settings.method.value == "tcp"  # the command line wins over the file
    assert config.theme == "nord" and dict(config.keymap) == {"pause": "space", "help": "f1"}


@pytest.mark.parametrize(
    "text,message",
    [
        ("interval = \n", "config.toml: Invalid value (at line 1, column 12)"),
        ("intervall = 2\n", "config.toml line 1: unknown setting 'intervall'"),
        ("\n\ninterval = 0\n", "config.toml line 3: interval must be between"),
        ("report-wide = 1\n", "config.toml line 1: report-wide is a flag: true or false"),
        ("interval = [1, 2]\n", "config.toml line 1: interval takes one value, not a list"),
        ("help = true\n", "config.toml line 1: unknown setting 'help'"),
        ("[keys]\npause = 3\n", "keys.pause must be a key name"),
        ('report-on-exit = "pdf"\n', "report-on-exit must be one of"),
    ],
)
def test_a_bad_file_is_one_line_naming_file_and_line(tmp_path, monkeypatch, text, message):
    with pytest.raises(UsageError) as raised:
        _parse(tmp_path, text, ["h"], monkeypatch=monkeypatch)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_through_the_program_a_bad_file_exits_2_with_one_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("interval = 'fast'\n")
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--config", str(path), "-r", "h"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"tracetui: {path} line 1: interval must be a number")


def test_the_usual_place_and_print_config(tmp_path):
    directory = tmp_path / "tracetui"
    directory.mkdir()
    (directory / "config.toml").write_text(
        'interval = 0.25\nno-dns = true\n[keys]\npause = "space"\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--print-config", "-c", "5", "h"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "TRACETUI_OPTIONS": "-u"},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "interval = 0.25" in lines and "no-dns = true" in lines and "udp = true" in lines
    assert "report-cycles = 5" in lines and 'pause = "space"' in lines
    # what it prints is itself a config file tracetui reads back
    (tmp_path / "again.toml").write_text(done.stdout)
    config = parse_arguments(["--config", str(tmp_path / "again.toml"), "h"], environment=True)[0]
    assert config.settings.interval == 0.25 and not config.names and config.settings.count == 5


def test_malformed_environment_is_one_line(monkeypatch):
    monkeypatch.setenv("TRACETUI_OPTIONS", "-i '0.5")
    with pytest.raises(UsageError, match="TRACETUI_OPTIONS: No closing quotation"):
        parse_arguments(["h"], environment=True)


def test_a_bad_environment_value_says_it_came_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRACETUI_OPTIONS", "-n -i 0")
    with pytest.raises(UsageError) as raised:
        parse_arguments(["-i", "1", "h"], environment=True)
    assert str(raised.value).startswith("TRACETUI_OPTIONS: argument -i/--interval: interval must")
    monkeypatch.setenv("TRACETUI_OPTIONS", "--bogus")
    with pytest.raises(UsageError, match="TRACETUI_OPTIONS: unrecognized arguments: --bogus"):
        parse_arguments(["h"], environment=True)


@pytest.mark.parametrize(
    "text,message",
    [
        ('interval = 1\ntheme = "nrod"\n', "config.toml line 2: no theme called 'nrod' (known: "),
        (
            '[keys]\npause = "space"\npuase = "p"\n',
            "config.toml line 3: no key binding called 'puase' (known: ",
        ),
        (
            '[keys]\npause = "spcae"\n',
            "config.toml line 2: keys.pause: 'spcae' is not a key name",
        ),
        ('[keys]\nhelp = "f1,ctl+h"\n', "config.toml line 2: keys.help: 'ctl+h' is not a key"),
    ],
)
def test_unknown_theme_and_key_names_name_the_file_and_line(tmp_path, monkeypatch, text, message):
    from tracetui.run.screen import screen_options
    from tracetui.run.startup import SetupError

    config = _parse(tmp_path, text, ["h"], monkeypatch=monkeypatch)
    with pytest.raises(SetupError) as raised:
        screen_options(config)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert raised.value.usage  # exit 2


def test_every_key_the_screen_binds_is_a_key_name():
    from tracetui.tui.keys import APP_BINDINGS, TABLE_BINDINGS, unknown_key

    for binding in (*APP_BINDINGS, *TABLE_BINDINGS):
        assert unknown_key(binding.key) is None, binding.key


SAMPLES: dict[str, list[str]] = {
    "filename": ["--filename", "hosts.txt"],
    "ipv4": ["-4"],
    "ipv6": ["-6"],
    "first-ttl": ["-f", "3"],
    "max-ttl": ["-m", "20"],
    "max-unknown": ["-U", "7"],
    "udp": ["-u"],
    "tcp": ["-T"],
    "icmp": ["--icmp"],
    "interface": ["-I", "eth1"],
    "address": ["-a", "198.18.0.2"],
    "port": ["-T", "-P", "8443"],
    "localport": ["-u", "-L", "4000"],
    "psize": ["-s", "100"],
    "bitpattern": ["-B", "165"],
    "tos": ["-Q", "16"],
    "mpls": ["-e"],
    "mark": ["-M", "7"],
    "vary-ports": ["--vary-ports"],
    "multipath": ["-u", "--multipath"],
    "privacy-max-ttl": ["--privacy-max-ttl", "2"],
    "multipath-confidence": ["-u", "--multipath", "--multipath-confidence", "99"],
    "no-triage": ["--no-triage"],
    "interval": ["-i", "0.25"],
    "report-cycles": ["-c", "12"],
    "timeout": ["-Z", "1.5"],
    "gracetime": ["-G", "3"],
    "report": ["-r"],
    "report-wide": ["-w"],
    "dot": ["--dot"],
    "json": ["-j"],
    "xml": ["-x"],
    "csv": ["-C"],
    "raw": ["-l"],
    "split": ["-p"],
    "markdown": ["--markdown"],
    "html": ["--html", "report.html"],
    "alert": ["--alert", "loss>5% for 60s", "--alert", "route for 300s"],
    "alert-command": ["--alert", "origin for 120s", "--alert-command", "logger -t tracetui"],
    "alert-webhook": ["--alert", "origin for 120s", "--alert-webhook", "http://198.18.0.9/a"],
    "output": ["--output", "out.txt"],
    "report-extra": ["--report-extra"],
    "window": ["--window", "10m"],
    "events": ["--events", "events.jsonl"],
    "report-on-exit": ["--report-on-exit", "json"],
    "curses": ["-t"],
    "displaymode": ["--displaymode", "2"],
    "order": ["-o", "LSD NBAW"],
    "demo": ["--demo"],
    "headless": ["--headless"],
    "metrics": ["--metrics", "[::1]:9464"],
    "agent": ["--agent", "fra-1"],
    "web-config-file": ["--metrics", "9464", "--web.config.file", "web.yml"],
    "geoip-mmdb-file": ["--geoip-mmdb-file", "city.mmdb"],
    "stream": ["--stream", "probes.jsonl"],
    "record": ["--record", "run.pcapng"],
    "record-limit": ["--record-limit", "10M"],
    "replay": ["--replay", "run.pcapng"],
    "replay-speed": ["--replay-speed", "4"],
    "no-dns": ["-n"],
    "show-ips": ["-b"],
    "ipinfo": ["-y", "2"],
    "aslookup": ["-z"],
    "dns-server": ["--dns-server", "198.18.0.53", "--dns-server", "[2001:db8::53]:5353"],
}
"""A value for every setting: a new option without one here fails the test below."""


def test_print_config_lists_every_option_and_reads_back_as_given(tmp_path, monkeypatch):
    """--print-config comes from the parser: each option, set on the command line,
    is printed and, read back from that output as a config file, means the same."""
    from tracetui.cli import build_parser
    from tracetui.settings.config_file import as_toml

    monkeypatch.chdir(tmp_path)
    (tmp_path / "hosts.txt").write_text("198.18.0.9\n")
    (tmp_path / "run.pcapng").write_bytes(b"")  # checked for existence only
    from mmdb_writer import MMDBWriter  # a database opens, or the option is refused

    MMDBWriter().to_db_file(str(tmp_path / "city.mmdb"))

    parser = build_parser()
    printed = as_toml(parser, *reversed(parse_arguments(["h"])))
    keys = {line.split(" = ")[0].removeprefix("# ").split(" is not")[0]
            for line in printed.splitlines()[3:]}  # fmt: skip
    assert keys - {"theme"} == set(SAMPLES), keys ^ set(SAMPLES)
    for key, argv in SAMPLES.items():
        host = [] if key in ("demo", "filename", "replay") else ["h"]
        config, args = parse_arguments([*argv, *host])
        text = as_toml(parser, args, config)
        (tmp_path / "again.toml").write_text(text)
        again = parse_arguments(["--config", "again.toml", *host], environment=True)
        assert vars(again[1]) | {"config": None} == vars(args), (key, text)
