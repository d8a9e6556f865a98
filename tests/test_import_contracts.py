"""The layers in pyproject.toml ([tool.importlinter]) hold: lint-imports checks every import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 kept, 0 broken" in done.stdout


def test_no_module_imports_itself_through_others():
    """No import cycle, type-checking imports included: a cycle is two modules that
    cannot be understood (or moved) one without the other."""
    import grimp

    graph = grimp.build_graph("tracetui", cache_dir=None)
    cycles = {
        tuple(graph.find_shortest_chain(importer=imported, imported=module) or ())
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    }
    assert not cycles, sorted(cycles)
