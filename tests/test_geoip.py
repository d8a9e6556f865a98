"""--geoip-mmdb-file: each responder's country and city from a local database.

The tests write their own small databases with mmdb-writer, in the record shapes
of MaxMind (and DB-IP) and of IPinfo, for the demo network's addresses, and read
them through the program as a user would: JSON, mtr's -y country, the detail pane.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tui_support import demo_app, screen_text

SIZE = (120, 34)


@pytest.fixture
def database(tmp_path) -> Path:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City")
    maxmind = {"country": {"iso_code": "DE", "names": {"en": "Germany"}},
               "city": {"names": {"en": "Frankfurt am Main"}}}  # fmt: skip
    writer.insert_network(IPSet(["198.18.4.0/24"]), maxmind)
    writer.insert_network(IPSet(["198.18.7.0/24"]), {"country": "NL", "city": "Amsterdam"})
    writer.insert_network(IPSet(["198.18.8.0/24"]), {"country": "us", "city": "\x1b[31mEvil"})
    path = tmp_path / "city.mmdb"
    writer.to_db_file(str(path))
    return path


def _json(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "-j", "-c", "3", "-i", "0.05", "-Z", "0.3",
         *args], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["report"]


def test_json_has_each_responders_country_and_city(database):
    hubs = {hub["count"]: hub for hub in _json("--geoip-mmdb-file", str(database))["hubs"]}
    frankfurt = hubs[4]["responders"][0]
    assert (frankfurt["country"], frankfurt["city"]) == ("DE", "Frankfurt am Main")
    assert {(r["country"], r["city"]) for r in hubs[7]["responders"]} == {("NL", "Amsterdam")}
    assert "country" not in hubs[1]["responders"][0]  # not in the database
    evil = hubs[8]["responders"][0]
    assert evil["country"] == "US" and "\x1b" not in evil["city"]  # shown literally
    assert (
        _json("-n", "--geoip-mmdb-file", str(database))["hubs"][3]["responders"][0]["city"]
        == "Frankfurt am Main"
    )  # a local file: no DNS needed


def test_mtrs_country_field_comes_from_the_database(database):
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "-r", "-y", "2", "-c", "2", "-i", "0.05",
         "-Z", "0.3", "--geoip-mmdb-file", str(database)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.lstrip().startswith("4."))
    assert "DE" in line.split()[1:3]


def test_a_file_that_is_no_database_is_one_line(tmp_path):
    bogus = tmp_path / "city.mmdb"
    bogus.write_bytes(b"not a database")
    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "--geoip-mmdb-file", str(bogus)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"tracetui: cannot read {bogus} as a MaxMind database")
    assert done.stderr.count("\n") == 1


async def test_the_detail_pane_shows_the_place(monkeypatch, tmp_path, database):
    app = demo_app(monkeypatch, tmp_path, "--geoip-mmdb-file", str(database))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert "DE Frankfurt am Main" in screen_text(app)


def test_csv_has_the_place_in_its_own_columns(database):
    import csv
    import io

    done = subprocess.run(
        [sys.executable, "-m", "tracetui", "--demo", "--csv", "-c", "2", "-i", "0.05", "-Z",
         "0.3", "--geoip-mmdb-file", str(database)], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = {row["Hop"]: row for row in csv.DictReader(io.StringIO(done.stdout))}
    assert (rows["4"]["country"], rows["4"]["city"]) == ("DE", "Frankfurt am Main")
    assert (rows["1"]["country"], rows["1"]["city"]) == ("", "")
