"""The live screen, driven with Textual's Pilot: every key does what it says."""

from __future__ import annotations

import base64
import json
import re

import pytest
from textual.widgets import Input, RadioSet
from tui_support import advance, demo_app, long_demo_app, screen_text

from tracetui.cli import parse_config
from tracetui.probe.types import ProbeMethod
from tracetui.tui.hop_table import HopTable
from tracetui.tui.keys import APP_BINDINGS, TARGET_ACTIONS, palette_bindings
from tracetui.tui.screens import ExportScreen, HelpScreen, SettingsScreen

SIZE = (120, 34)


def other_ecmp(app) -> str:
    return app.view.hops[6].responders[1].address


def row_text(app, key: str) -> list[str]:
    return app.query_one(HopTable).row_texts(key)


async def test_table_shows_the_demo_path(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(HopTable)
        assert table.row_count == 10  # 9 hops and the ECMP twin of hop 7
        first = row_text(app, "h1")
        assert first[0] == "1" and first[1].strip() == "gw.home.example"  # mtr: names only
        silent = row_text(app, "h5")
        assert silent[1].strip() == "???" and silent[2] == "silent" and silent[3] == "100.0%"
        twins = {row_text(app, "h7")[1], row_text(app, "h7:" + other_ecmp(app))[1]}
        assert any("be2.ams.transit.example" in t for t in twins)
        assert any("be1.ams.transit.example" in t for t in twins)
        text = screen_text(app)
        assert "www.demo.example (198.18.9.10)" in text and "round 20" in text


async def test_n_toggles_names_at_once(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert row_text(app, "h1")[1].strip() == "198.18.1.1"
        assert "names off" in screen_text(app)
        await pilot.press("n")
        assert "gw.home.example" in row_text(app, "h1")[1]


async def test_z_shows_as_numbers(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z")
        assert row_text(app, "h2")[1].strip().startswith("AS64500")
        await pilot.press("down")
        assert "AS64500 EXAMPLE-ISP" in screen_text(app)


async def test_p_pauses_and_resumes_probing(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        rounds = app.view.rounds
        await pilot.press("p")
        advance(app, 5.0)  # the engine applies the request, then five seconds pass
        await pilot.pause()
        assert app.view.paused and app.view.rounds == rounds
        assert "PAUSED" in screen_text(app) and f"round {rounds} " in screen_text(app)
        await pilot.press("p")
        advance(app, 3.0)
        await pilot.pause()
        assert not app.view.paused and app.view.rounds == rounds + 3
        assert "running" in screen_text(app) and "PAUSED" not in screen_text(app)


@pytest.mark.parametrize("count", [3, None])
async def test_count_ends_the_live_screen_as_mtr_does(monkeypatch, tmp_path, count):
    """mtr -c N on its screen ends once the N rounds are done: a script that calls it
    must not hang. Without -c the screen stays until q."""
    args = ["-c", str(count)] if count else []
    app = demo_app(monkeypatch, tmp_path, *args, seconds=10.0)
    async with app.run_test(size=SIZE) as pilot:
        if count:  # the last frame shows the rounds done before the screen ends
            assert app.view.finished and f"round {count}" in screen_text(app)
        app._frame_tick()
        await pilot.pause()
        assert app.is_running is (count is None)
    assert app.return_code == (0 if count else None)


async def test_r_resets_statistics(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert row_text(app, "h1")[4] == "20"
        ignored_before = sum(app.view.ignored.values())  # foreign and malformed packets
        assert ignored_before > 5 and "ignored: " in screen_text(app)
        await pilot.press("r")
        advance(app, 2.5)
        await pilot.pause()
        assert row_text(app, "h1")[4] == "3"  # rounds at 0, 1 and 2 s after the reset
        assert "statistics reset" in screen_text(app)
        assert sum(app.view.ignored.values()) < 5  # every counter on screen starts over


@pytest.mark.parametrize("key,method", [("u", "UDP"), ("t", "TCP")])
async def test_method_keys_toggle_like_mtr_and_each_method_keeps_its_statistics(
    monkeypatch, tmp_path, key, method
):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        icmp_sent = app.view.hops[0].sent
        await pilot.press(key)
        advance(app, 3.0)
        await pilot.pause()
        view = app.view
        assert view.method is ProbeMethod(method.lower())
        assert view.hops[0].sent == 3 and view.hops[-1].received == 3  # its own statistics
        assert view.rounds == 23  # rounds go on counting
        assert f"switched to {method}" in screen_text(app)
        await pilot.press(key)  # the same key again: back to ICMP, as in mtr
        advance(app, 2.0)
        await pilot.pause()
        view = app.view
        assert view.method is ProbeMethod.ICMP
        assert view.hops[0].sent == icmp_sent + 2  # ICMP's statistics came back, and go on
        assert "its statistics from before are back" in screen_text(app)
        await pilot.press(key)
        advance(app, 1.0)
        await pilot.pause()
        assert app.view.hops[0].sent == 4  # and the other method's too
        await pilot.press("I")  # mtr's i is the interval
        advance(app, 1.0)
        await pilot.pause()
        assert app.view.method is ProbeMethod.ICMP


@pytest.mark.parametrize("key,field", [("i", "interval"), ("m", "max_ttl"), ("Q", "tos")])
async def test_mtrs_setting_keys_open_the_settings_dialog_at_their_field(
    monkeypatch, tmp_path, key, field
):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        assert isinstance(app.screen, SettingsScreen)
        assert app.screen.focused is app.screen.query_one(f"#{field}", Input)
        await pilot.press("escape")
        assert not isinstance(app.screen, SettingsScreen)


async def test_settings_change_while_running_and_bad_values_stay_in_the_dialog(
    monkeypatch, tmp_path
):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        sent = app.view.hops[0].sent
        started = app.view.started
        await pilot.press("f")
        app.screen.query_one("#first_ttl", Input).value = "40"
        await pilot.press("enter")
        assert isinstance(app.screen, SettingsScreen)  # refused, to be corrected
        error = str(app.screen.query_one("#error").render())
        assert error == "first TTL (40) is above max TTL (30)"
        app.screen.query_one("#first_ttl", Input).value = "2"
        app.screen.query_one("#interval", Input).value = "0.5"
        await pilot.press("enter")
        assert not isinstance(app.screen, SettingsScreen)
        advance(app, 2.0)
        await pilot.pause()
        view = app.view
        assert (view.info.first_ttl, view.info.interval) == (2, 0.5)
        assert view.hops[0].ttl == 2 and view.started == started  # the statistics go on
        assert view.hops[0].sent > sent
        assert "first TTL 1 → 2" in screen_text(app)
        await pilot.press("s")
        app.screen.query_one("#size", Input).value = "1000"
        await pilot.press("enter")
        advance(app, 1.0)
        await pilot.pause()
        assert app.view.started != started and app.view.info.size == 1000
        assert "new statistics" in screen_text(app)
        await pilot.press("v")
        assert "interval 1 s → 0.5 s" in screen_text(app)
        assert "packet size 64 B → 1000 B" in screen_text(app)


async def test_a_cycles_names_addresses_and_both(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert row_text(app, "h1")[1].strip() == "gw.home.example"
        await pilot.press("a")
        assert row_text(app, "h1")[1].strip() == "198.18.1.1"
        await pilot.press("a")
        assert row_text(app, "h1")[1].strip() == "gw.home.example (198.18.1.1)"
        await pilot.press("a")
        assert row_text(app, "h1")[1].strip() == "gw.home.example"


async def test_y_cycles_ip_information_and_z_toggles_as_numbers(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("y")
        assert row_text(app, "h2")[1].strip().startswith("AS64500")
        await pilot.press("y")  # the prefix: the demo's names have none
        assert row_text(app, "h2")[1].strip().startswith("???")
        for _ in range(4):
            await pilot.press("y")
        assert row_text(app, "h2")[1].strip() == "bras1.access.isp.example"
        await pilot.press("z")
        assert row_text(app, "h2")[1].strip().startswith("AS64500")
        await pilot.press("z")
        assert row_text(app, "h2")[1].strip() == "bras1.access.isp.example"


async def test_o_edits_the_columns_with_mtrs_letters(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        field = app.screen.query_one("#order")
        field.value = "LSD NBAW"
        await pilot.press("enter")
        await pilot.pause()
        labels = app.query_one(HopTable).layout_spec.labels
        assert labels[3:10] == ["Loss%", "Snt", "Drop", "Last", "Best", "Avg", "Wrst"]
        await pilot.press("o")
        app.screen.query_one("#order").value = "LQ"
        await pilot.press("enter")
        await pilot.pause()
        assert "Unknown field letters: Q" in screen_text(app)
        await pilot.press("escape")
        assert app.order == "LSD NBAW"


async def test_space_pauses_like_p(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        advance(app, 2.0)
        await pilot.pause()
        assert app.view.paused
        await pilot.press("space")
        advance(app, 2.0)
        await pilot.pause()
        assert not app.view.paused


async def test_j_switches_to_jitter_columns(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        labels = app.query_one(HopTable).layout_spec.labels
        assert labels[5:10] == ["Last", "Jttr", "Javg", "Jmax", "Jint"]
        hop = app.view.hops[1]
        assert row_text(app, "h2")[7] == f"{hop.rtt.javg:.1f}"
        await pilot.press("j")
        labels = app.query_one(HopTable).layout_spec.labels
        assert labels[5:10] == ["Last", "Avg", "Best", "Wrst", "StDev"]


async def test_d_switches_to_the_rtt_chart(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        labels = app.query_one(HopTable).layout_spec.labels
        assert labels[-1].strip().startswith("RTT over time")
        chart = row_text(app, "h9")[-1]
        assert len(chart.strip()) >= 15  # one character per round
        await pilot.press("d")
        labels = app.query_one(HopTable).layout_spec.labels
        assert "Snt" in labels


async def test_arrows_select_a_hop_and_the_detail_pane_follows(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(6):
            await pilot.press("down")
        assert app.query_one(HopTable).selected_ttl == 7
        text = screen_text(app)
        assert "Hop 7" in text
        assert "be1.ams.transit.example (198.18.7.1)" in text
        assert "be2.ams.transit.example (198.18.7.2)" in text
        await pilot.press("up")
        assert app.query_one(HopTable).selected_ttl == 6
        assert "Hop 6" in screen_text(app)
        await pilot.press("enter")
        assert "Hop 6" not in screen_text(app)


async def test_e_exports_a_parseable_report_and_never_clobbers(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        assert isinstance(app.screen, ExportScreen)
        await pilot.click("#fmt-json")
        path_input = app.screen.query_one("#path")
        assert path_input.value.endswith(".json")
        target = tmp_path / "path.json"
        path_input.value = str(target)
        await pilot.click("#export")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        report = json.loads(target.read_text())["report"]
        assert len(report["hubs"]) == 9 and report["hubs"][0]["hostname"] == "gw.home.example"
        await pilot.press("E")
        await pilot.click("#fmt-json")
        app.screen.query_one("#path").value = str(target)
        await pilot.click("#export")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "already exists" in screen_text(app)
        assert json.loads(target.read_text()) == {"report": report}
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportScreen)


async def test_enter_exports_from_any_field_and_cancels_on_cancel(monkeypatch, tmp_path):
    """e then Enter: the shown defaults, whichever field has focus (the format buttons
    first); Enter on Cancel and Escape leave without a file."""
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        assert isinstance(app.screen.focused, RadioSet)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        [written] = list(tmp_path.iterdir())
        assert written.suffix == ".txt" and written.read_text().startswith("Start:")
        await pilot.press("E")
        await pilot.press("tab")  # the file name
        assert isinstance(app.screen.focused, Input)
        await pilot.press("enter")
        await pilot.pause()
        assert len(list(tmp_path.iterdir())) == 2
        await pilot.press("E")
        app.screen.query_one("#cancel").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        await pilot.press("E")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("fmt", ["text", "csv", "markdown", "html"])
async def test_export_every_format(monkeypatch, tmp_path, fmt):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        await pilot.click(f"#fmt-{fmt}")
        await pilot.click("#export")
        await pilot.pause()
        files = list(tmp_path.iterdir())
        assert len(files) == 1
        content = files[0].read_text()
        said = {"text": "Start:", "csv": "start,end,", "markdown": "| Hop |", "html": "<svg id"}
        assert said[fmt] in content  # an HTML export has the run's charts


async def test_help_lists_every_key(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        scroll = app.screen.query_one("VerticalScroll")
        while scroll.scroll_y < scroll.max_scroll_y:  # the keys may run past the screen
            await pilot.press("pagedown")
            await pilot.wait_for_scheduled_animations()
            text += screen_text(app)
        for binding in APP_BINDINGS:
            if binding.tooltip and binding.action not in TARGET_ACTIONS:  # several targets'
                assert binding.tooltip.split("(")[0].strip()[:30] in text
                assert re.search(rf"\b{re.escape(binding.id)}\b", text), binding.id
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("h")
        assert isinstance(app.screen, HelpScreen)


async def test_help_at_80x24_scrolls_and_explains_every_column(monkeypatch, tmp_path):
    """The default terminal: the help is longer than the screen, so it scrolls to its
    end; it explains every column, a responder's ``12r``, ``ignored:`` and every
    verdict; its notes are paragraphs that fill the width rather than hard-wrapped
    lines with orphans."""
    from textual.containers import VerticalScroll

    from tracetui.columns import COLUMNS
    from tracetui.tui.screens import COLUMN_HELP, HELP_NOTES
    from tracetui.tui.verdicts import GLOSSARY

    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        scroll = app.screen.query_one(VerticalScroll)
        assert scroll.max_scroll_y > 0
        seen = screen_text(app)
        while scroll.scroll_y < scroll.max_scroll_y:
            await pilot.press("pagedown")
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            seen += "\n" + screen_text(app)
        # the box's border is a block character beside the text: not part of any word
        flat = " ".join(" ".join(line.strip(" █") for line in seen.splitlines()).split())
        for label, _ in COLUMN_HELP:
            assert label in flat
        for column in COLUMNS.values():
            assert f"{column.label} {column.description[:20]}" in flat, column.label
        assert "(12r)" in flat and "ignored: packets" in flat
        for label, meaning in GLOSSARY:
            assert label in flat and " ".join(meaning.split()[:4]) in flat, label
        # the last note, reflowed to the box: whole, and every line but its last nearly full
        last = HELP_NOTES[-1]
        assert "\n" not in last
        assert " ".join(last.split()[-6:]) in flat
        note_lines = [line.strip(" █") for line in screen_text(app).splitlines()]
        start = next(i for i, line in enumerate(note_lines) if line.startswith("ignored:"))
        body = []
        for line in note_lines[start:]:
            body.append(line.strip())
            if body[-1].endswith("(malformed)."):
                break
        assert len(body) >= 2
        width = max(len(line) for line in body)
        assert all(len(line) >= width - 15 for line in body[:-1]), body


async def test_mpls_labels_under_their_hops_and_the_interface_in_the_detail_pane(
    monkeypatch, tmp_path
):
    """The demo's ISP core answers as MPLS routers do: -e shows each hop's label stack on
    rows under it (m toggles them, mtr's e), the detail pane the stack and the interface."""
    from tracetui import icmp_extensions

    icmp_extensions.load()  # the live screen loads scapy after its first frame; here, now
    app = demo_app(monkeypatch, tmp_path, "-e")
    async with app.run_test(size=SIZE) as pilot:
        advance(app, 1.0)
        await pilot.pause()
        table = app.query_one(HopTable)
        keys = table._keys
        at = keys.index("h4")
        assert keys[at + 1 : at + 3] == ["h4:mpls0", "h4:mpls1"]
        text = screen_text(app)
        assert "[MPLS: Lbl 300112 TC 0 S 0 TTL 1]" in text
        assert "[MPLS: Lbl 16 TC 0 S 1 TTL 1]" in text
        for _ in range(5):  # hops 1, 2, 3, the label under 3, hop 4
            await pilot.press("down")
        await pilot.pause()
        assert table.selected_ttl == 4
        pane = app.query_one("#detail").plain
        assert "MPLS [Lbl 300112 TC 0 S 0 TTL 1] [Lbl 16 TC 0 S 1 TTL 1]" in pane
        assert "incoming interface et-2/0/0 (198.18.4.1, ifindex 4, MTU 9192)" in pane
        await pilot.press("e")  # mtr's e
        await pilot.pause()
        assert not any(":mpls" in key for key in table._keys)
        assert table.selected_ttl == 4  # the selection stays on its hop
        assert "[MPLS: Lbl" not in screen_text(app).split("Hop 4")[0]


async def test_x_inspects_the_selected_routers_latest_reply(monkeypatch, tmp_path):
    from tracetui.tui.screens import InspectorScreen

    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.press("down")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen)
        text = screen_text(app)
        assert "Latest reply from 198.18.4.1" in text and "###[ IP ]###" in text
        assert "time-exceeded" in text
        seen = text
        for _ in range(6):
            await pilot.press("pagedown")
            await pilot.wait_for_scheduled_animations()
            seen += screen_text(app)
        assert "ICMP Extension Object - MPLS (RFC4950)" in seen  # scapy reads the labels too
        assert "###[ ICMP in ICMP ]###" in seen  # the quoted probe
        assert "0000  45 00" in seen  # and the bytes
        await pilot.press("escape")
        assert not isinstance(app.screen, InspectorScreen)


async def test_command_palette_offers_every_action(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for binding in palette_bindings():
            offered = any(title.startswith(f"{binding.description}:") for title in titles)
            assert offered == (binding.action not in TARGET_ACTIONS)  # one target here
        assert len(palette_bindings()) >= 12


async def test_q_quits(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_ctrl_c_quits(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.return_code is None
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0  # set by App.exit, i.e. the key quit the app


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (200, 60)])
async def test_small_and_large_terminals_render(monkeypatch, tmp_path, size):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "gw.home.example" in text or "198.18.1.1" in text
        assert "Loss%" in text


async def test_sixty_four_hop_path_renders(monkeypatch, tmp_path):
    from tracetui.probe.sim import SimHop, SimLink, SimPath, SimRouter, SimScenario

    hops = tuple(
        SimHop((SimRouter(f"198.18.{i}.1", f"2001:db8:{i:x}::1"),), SimLink(0.5))
        for i in range(1, 65)
    )
    monkeypatch.setattr(
        "tracetui.run.demo.demo_scenario", lambda: SimScenario(paths=(SimPath(hops),))
    )
    app = demo_app(monkeypatch, tmp_path, "-m", "64", seconds=5.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.query_one(HopTable).row_count == 64
        for _ in range(63):
            await pilot.press("down")
        assert app.query_one(HopTable).selected_ttl == 64
        # the path needs every row: the detail pane stays away until Enter asks for it
        assert "Hop 64" not in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert "Hop 64" in screen_text(app)
        assert app.query_one(HopTable).selected_ttl == 64


async def test_a_keymap_moves_a_binding_and_the_help_follows(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.set_keymap({"pause": "space", "method-udp": "U"})
        await pilot.press("space")
        advance(app, 2.0)
        await pilot.pause()
        assert app.view.paused
        await pilot.press("p")  # no longer bound
        advance(app, 2.0)
        await pilot.pause()
        assert app.view.paused
        await pilot.press("question_mark")
        help_text = screen_text(app)
        assert "space" in help_text and "pause / resume probing" in help_text
        assert "U" in help_text.split("probe with UDP")[0].splitlines()[-1]


async def test_verdicts_explain_the_demo_path(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path, seconds=120.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        verdicts = {ttl: row_text(app, f"h{ttl}")[2] for ttl in range(1, 10)}
        assert verdicts == {
            1: "ok",
            2: "ok",
            3: "▶ ORIGIN",
            4: "↓ carried",
            5: "silent",
            6: "↓ carried",
            7: "↓ carried",
            8: "~ ratelimit",
            9: "↓ carried",
        }
        text = screen_text(app)
        assert "Loss begins at hop 3 (agg2.metro.isp.example) and reaches the destination" in text
        for _ in range(8):  # hop 7's ECMP twin has a row of its own
            await pilot.press("down")
        assert app.query_one(HopTable).selected_ttl == 8
        text = screen_text(app)
        assert "Hop 8" in text and "also limits the ICMP it sends" in text


async def test_loss_a_verdict_explains_is_not_drawn_as_an_alarm(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path, seconds=120.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(HopTable)
        cells = {ttl: table._cells[f"h{ttl}"][3] for ttl in (3, 5, 8)}
        assert "red" in str(cells[3].style)  # where the loss starts: an alarm
        assert str(cells[5].style) == "dim" and str(cells[8].style) == "dim"


async def test_v_shows_the_summary_and_the_events(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path, seconds=120.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        text = screen_text(app)
        assert "What the path is doing" in text
        assert "Hop 5 does not answer probes (a silent router); not a fault." in text
        assert "loss-start" in text and "loss begins at hop 3" in text
        await pilot.press("escape")
        assert "What the path is doing" not in screen_text(app)


async def test_w_cycles_the_statistics_window(monkeypatch, tmp_path):
    app = demo_app(monkeypatch, tmp_path, seconds=700.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.view.hops[0].sent == 700
        await pilot.press("w")
        assert app.view.window == 600.0 and 595 <= app.view.hops[0].sent <= 610
        assert "last 10 min" in screen_text(app)
        await pilot.press("w")
        assert app.view.window == 60.0 and 55 <= app.view.hops[0].sent <= 70
        assert "last 1 min" in screen_text(app)
        await pilot.press("w")
        assert app.view.window is None and app.view.hops[0].sent == 700
        # verdicts come from the whole run's recent evidence, whatever the window
        assert row_text(app, "h3")[2] == "▶ ORIGIN"


async def test_a_fifteen_hop_path_fits_80x24(monkeypatch, tmp_path):
    """The default terminal: every hop on screen, the status lines whole, the footer's
    most used keys with ? first."""
    app = long_demo_app(monkeypatch, tmp_path, 15)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.query_one(HopTable)
        assert table.row_count == 16  # 15 hops and the ECMP twin under hop 7
        assert table.size.height >= table.row_count and table.scroll_offset.y == 0
        assert not app.detail  # no room: the pane waits for Enter
        status = app.query_one("#status")
        assert status.size.height == 3
        for line in status.plain.splitlines():
            assert len(line) <= 78, line
        assert "www.demo.example" in status.plain
        footer = screen_text(app).splitlines()[-1]
        assert footer.startswith("? Help")
        for key in ("Quit", "Pause", "Names", "UDP", "TCP", "Export", "Events"):
            assert key in footer, footer
        await pilot.press("enter")
        await pilot.pause()
        assert app.detail and app.query_one("#detail").outer_size.height >= 6


async def test_detail_pane_agrees_with_the_table_in_every_frame(monkeypatch, tmp_path):
    """Right after start: once the table shows hop 1's first RTT, the pane shows its
    responder in the same frame (not 'no answer from this hop yet')."""
    app = demo_app(monkeypatch, tmp_path, seconds=0.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "no answer from this hop yet" in app.query_one("#detail").plain
        advance(app, 0.01)  # hop 1 answers within a millisecond
        await pilot.pause()
        table = app.query_one(HopTable)
        assert table.row_texts("h1")[3].strip() == "0.0%"
        pane = app.query_one("#detail").plain
        assert "gw.home.example (198.18.1.1)" in pane and "no answer" not in pane
        assert "received 1" in pane


async def test_a_start_theme_is_not_remembered_as_a_palette_choice(monkeypatch, tmp_path):
    """A theme from the config file stays the file's: only a theme the user picks on the
    screen is remembered for runs without that file."""
    from tracetui.run import startup as startup_module
    from tracetui.run.live import VirtualTrace
    from tracetui.run.screen import screen_options
    from tracetui.tui.app import TraceApp

    monkeypatch.setattr(startup_module, "drop_privileges", lambda: None)
    config = parse_config(["--demo"])
    trace = VirtualTrace.open_demo(config)
    trace.advance(3.0)
    picked: list[str] = []
    options = {**screen_options(config), "theme": "nord", "on_theme": picked.append}
    app = TraceApp(trace, **options, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord" and picked == []
        app.theme = "dracula"  # as the command palette sets it
        await pilot.pause()
        assert picked == ["dracula"]


async def test_the_history_column_uses_a_wide_terminal(monkeypatch, tmp_path):
    """mtr's history stops at what fits; ours stopped at 60 rounds on any terminal. On a
    260-column one, hop 1's strip takes all the width the other columns leave."""
    app = demo_app(monkeypatch, tmp_path, seconds=200.0)
    async with app.run_test(size=(260, 34)) as pilot:
        await pilot.pause()
        line = next(row for row in screen_text(app).splitlines() if "gw.home.example" in row)
        strip = re.sub(r"[^▁▂▃▄▅▆▇█?]", "", line)
        assert len(strip) >= 150, line  # all the width the other columns leave


async def test_the_chart_has_a_scale_in_ms_and_zooms(monkeypatch, tmp_path):
    """d: the RTT chart, its bars from 0 to a round number of ms above the slowest round
    trip; + zooms in a step down 1-2-5 (the slow hops' bars are cut at the top), - back."""
    from tracetui.path.snapshot import has_rtt
    from tracetui.tui.hop_table import chart_scale

    app = demo_app(monkeypatch, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")
        await pilot.pause()
        slowest = max(s for hop in app.view.hops for s in hop.history if has_rtt(s))
        top = chart_scale(slowest)
        assert slowest <= top < 2.5 * slowest
        assert f"RTT over time, bars 0 to {top:g} ms (+ to zoom)" in screen_text(app)
        await pilot.press("plus")
        await pilot.pause()
        zoomed = chart_scale(slowest, 1)
        assert zoomed < top and f"bars 0 to {zoomed:g} ms (zoomed: - to zoom out)" in (
            screen_text(app)
        )
        await pilot.press("minus", "minus")
        await pilot.pause()
        assert f"bars 0 to {top:g} ms (+ to zoom)" in screen_text(app)


async def test_g_shows_the_selected_hops_rtt_as_a_histogram(monkeypatch, tmp_path):
    """g: the detail pane's chart becomes a histogram of the same rounds (Trippy and
    mtr users ask where the times cluster and how long the tail is); g again: back."""
    from tracetui.path.snapshot import has_rtt

    app = demo_app(monkeypatch, tmp_path, seconds=60.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "down", "g")
        await pilot.pause()
        text = screen_text(app)
        hop = next(h for h in app.view.hops if h.ttl == 4)
        replies = sum(1 for s in hop.history if has_rtt(s))
        assert f"RTT histogram, last {replies} replies (g: over time)" in text
        rows = [line for line in text.splitlines() if re.search(r"\d+\.\d+-\d+\.\d+ ms ", line)]
        assert rows and sum(int(line.split()[-1]) for line in rows) == replies
        await pilot.press("g")
        await pilot.pause()
        assert "RTT histogram" not in screen_text(app) and "RTT, last" in screen_text(app)


async def test_shift_c_copies_the_text_report_through_osc_52(monkeypatch, tmp_path):
    """C: the text report goes to the terminal's clipboard as an OSC 52 sequence, for a
    ticket; what it copies is what E would export as text."""
    app = demo_app(monkeypatch, tmp_path)
    written: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        driver = app._driver
        assert driver is not None
        monkeypatch.setattr(driver, "write", written.append)
        notices: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, **_: notices.append(message))
        await pilot.press("C")
        await pilot.pause()
        expected = app.render_report("text")
        assert app.clipboard == expected and expected.startswith("Start: ")
        sequences = [w for w in written if w.startswith("\x1b]52;c;")]
        assert len(sequences) == 1
        encoded = sequences[0][len("\x1b]52;c;") :].rstrip("\a").rstrip("\x1b\\")
        assert base64.b64decode(encoded).decode() == expected
        assert len(notices) == 1 and "copied to the clipboard" in notices[0]


async def test_the_timeline_shows_the_run_and_f_focuses_the_table_on_its_span(
    monkeypatch, tmp_path
):
    app = demo_app(monkeypatch, tmp_path, seconds=600.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("T")
        await pilot.pause(0.3)
        shown = screen_text(app)
        assert "Timeline" in shown and "10 min, 20 s a cell" in shown
        assert "rtt dst" in shown and "loss dst" in shown and "hop 3" in shown
        await pilot.press("right_square_bracket")  # narrower than 10 min: stays at 10 min
        await pilot.press("full_stop")  # later than now: stays at now
        await pilot.pause(0.3)
        assert "10 min, 20 s a cell" in screen_text(app) and app.timeline_back == 0.0
        await pilot.press("comma", "comma")  # back at most until half the span holds the run
        await pilot.pause(0.3)
        assert app.timeline_back == 300.0
        await pilot.press("full_stop", "full_stop", "F")
        await pilot.pause(0.3)
        view = app.view
        assert view is not None and view.focus is not None
        start, end = view.focus
        assert end - start == 600.0
        whole = app.trace.session.model.snapshot(focus=(start, end))
        assert [h.sent for h in view.hops] == [h.sent for h in whole.hops]
        assert view.diagnosis.verdicts[8].verdict.value == "rate-limited"  # the run's pings
        assert "focus" in screen_text(app)
        await pilot.press("F")
        await pilot.pause(0.3)
        assert app.view.focus is None and app.view.hops[0].sent == 600
        await pilot.press("T")
        await pilot.pause(0.3)
        assert "Timeline" not in screen_text(app)


async def test_a_firing_alert_is_on_the_status_line(monkeypatch, tmp_path):
    """The demo's destination loses about 11 %: 'loss>5% for 60s' fires after a minute."""
    app = demo_app(monkeypatch, tmp_path, "--alert", "loss>5% for 60s", seconds=150.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "ALERT loss>5% for 60s" in screen_text(app)
        events = [e.kind for e in app.view.diagnosis.events]
        assert events.count("alert-raised") == 1
