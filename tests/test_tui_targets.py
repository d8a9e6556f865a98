"""Several targets on the live screen: tabs with a mark per target, Trippy's keys to
switch, and the target list (l) with one line per target.

Three simulated paths at once: one fine, one whose target never answers, one
with loss from its third hop on; each tab and list line must say which is which,
and the table must follow the target chosen.
"""

from __future__ import annotations

from simpaths import chain, router, with_link, with_routers
from tui_support import demo_app, many_demo_app, screen_text

from tracetui.probe.sim import SimScenario
from tracetui.tui.keys import APP_BINDINGS
from tracetui.tui.screens import HelpScreen, help_rows
from tracetui.tui.targets import TargetsScreen

SIZE = (80, 24)


def _targets() -> dict[str, SimScenario]:
    fine = chain(4)
    dark = with_routers(chain(5), 5, router(5, silent=True))
    lossy = with_link(chain(6), 3, loss=0.3)
    return {
        "fine.example": SimScenario(paths=(fine,)),
        "dark.example": SimScenario(paths=(dark,)),
        "lossy.example": SimScenario(paths=(lossy,)),
    }


def _tab_line(app) -> str:
    return screen_text(app).splitlines()[0]


def _status_target(app) -> str:
    return app.view.info.target


async def test_tabs_mark_each_target_and_the_arrows_switch_between_them(monkeypatch, tmp_path):
    app = many_demo_app(monkeypatch, tmp_path, _targets())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tabs = _tab_line(app)
        assert "1 ✓ fine.example" in tabs
        assert "2 ✗ dark.example" in tabs
        assert "3 ▶ lossy.example" in tabs
        assert _status_target(app) == "198.18.4.1"  # the first target's path: 4 hops
        assert len(app.view.hops) == 4
        await pilot.press("right")
        assert app.trace.shown == 1 and not app.view.reached
        await pilot.press("right")
        assert app.trace.shown == 2 and _status_target(app) == "198.18.6.1"
        await pilot.press("right")  # round to the first again, as Trippy does
        assert app.trace.shown == 0
        await pilot.press("left")
        assert app.trace.shown == 2
        # the table and the verdicts are the target's own
        verdicts = app.view.diagnosis.verdicts
        origin = next(ttl for ttl, v in verdicts.items() if v.verdict == "loss-origin")
        assert origin in (3, 4)  # the lossy link is into hop 3 (its replies cross it too)
        assert app.trace.overview()[2].worst_ttl == origin
        assert "198.18.6.1" in screen_text(app)


async def test_the_target_list_has_a_line_per_target_and_enter_shows_one(monkeypatch, tmp_path):
    app = many_demo_app(monkeypatch, tmp_path, _targets())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, TargetsScreen)
        lines = screen_text(app).splitlines()
        header = next(line for line in lines if "Worst verdict" in line)
        assert all(word in header for word in ("Target", "Rch", "Loss%", "Avg", "Best", "Hops"))
        fine = next(line for line in lines if "fine.example" in line)
        dark = next(line for line in lines if "dark.example" in line)
        lossy = next(line for line in lines if "lossy.example" in line)
        assert " yes " in fine and " 0.0% " in fine and fine.split()[-1] == "4"
        assert " no " in dark and "no reply" in dark
        origin = app.trace.overview()[2].worst_ttl
        assert " yes " in lossy and f"ORIGIN @{origin}" in lossy
        loss = float(lossy.split(f"@{origin}")[1].split()[0].rstrip("%"))
        assert loss == round(app.trace.overview()[2].loss_pct, 1) and loss > 10
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, TargetsScreen)
        assert app.trace.shown == 2 and _status_target(app) == "198.18.6.1"
        await pilot.press("l", "escape")
        assert app.trace.shown == 2


async def test_help_lists_the_target_keys_only_with_several_targets(monkeypatch, tmp_path):
    target_help = {b.tooltip for b in APP_BINDINGS if b.id in ("next-trace", "targets")}
    app = many_demo_app(monkeypatch, tmp_path, _targets())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = help_rows(app, app.screen.active_bindings.values())
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and app.screen._keys == rows
    assert target_help <= {tooltip for _, tooltip, _ in rows}
    single = demo_app(monkeypatch, tmp_path)
    async with single.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = help_rows(single, single.screen.active_bindings.values())
        assert not target_help & {tooltip for _, tooltip, _ in rows}
        await pilot.press("l", "right")  # nothing to switch to: no screen opens
        assert not isinstance(single.screen, TargetsScreen)
        assert "←/→ target" not in screen_text(single)


async def test_many_tabs_keep_the_shown_one_in_view(monkeypatch, tmp_path):
    names = {f"target-{n:02d}.example": SimScenario(paths=(chain(3),)) for n in range(1, 13)}
    app = many_demo_app(monkeypatch, tmp_path, names, seconds=5.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tabs = _tab_line(app)
        assert tabs.lstrip().startswith("1 ✓ target-01.example") and tabs.rstrip().endswith("›")
        for _ in range(7):
            await pilot.press("right")
        tabs = _tab_line(app)
        assert "8 ✓ target-08.example" in tabs
        assert tabs.lstrip().startswith("‹") and tabs.rstrip().endswith("›")
        hidden_before = int(tabs.split("‹")[1].split()[0])
        hidden_after = int(tabs.rstrip()[:-1].split()[-1])
        shown = tabs.count(".example")
        assert hidden_before + shown + hidden_after == 12
        assert len(tabs) <= SIZE[0]
        await pilot.press(*["left"] * 10)  # past the first, round to the last ones
        assert app.trace.shown == 9 and "10 ✓ target-10.example" in _tab_line(app)
