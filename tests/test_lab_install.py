"""The README's install and sudo commands, run literally, end in a report of the lab's path.

sudo resets PATH (Debian's secure_path), so after a venv or pipx install
``sudo tracetui`` is "command not found"; the README says to run
``sudo "$(command -v tracetui)"`` instead. Both installs are made from a copy
of this checkout into a scratch directory, as a new user would make them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from unavailable import unavailable

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
IGNORED = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", ".*cache")


def readme_command(pattern: str) -> str:
    """The README line (in a shell block) that matches ``pattern``, as written there."""
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        for line in block.splitlines():
            if re.search(pattern, line):
                return line.split("  #")[0].strip()
    raise AssertionError(f"README has no command matching {pattern!r}")


@pytest.fixture
def checkout(tmp_path) -> Path:
    for tool in ("sudo", "pipx"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is needed to run the README's install commands")
    copy = tmp_path / "tracetui"
    shutil.copytree(ROOT, copy, ignore=IGNORED)
    return copy


def _sudo_report(lab, path_dir: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The README's sudo form, with report options, from a shell whose PATH has the install."""
    sudo = readme_command(r'^sudo "\$\(command -v tracetui\)" ')
    command = sudo.replace("example.org", f"-r -n -c 3 -i 0.1 -Z 1 {lab.plan.target_address(4)}")
    script = f"export PATH={shlex.quote(str(path_dir))}:$PATH; cd {shlex.quote(str(cwd))}; "
    return lab.exec("bash", "-c", script + command, check=False, timeout=120)


def _plain_sudo(lab, path_dir: Path) -> subprocess.CompletedProcess[str]:
    script = f"export PATH={shlex.quote(str(path_dir))}:$PATH; sudo tracetui --version"
    return lab.exec("bash", "-c", script, check=False)


def _answers(done: subprocess.CompletedProcess[str], lab) -> None:
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Start: ")
    assert lab.plan.target_address(4) in done.stdout.splitlines()[-1]


def test_readme_venv_install_and_sudo(main_lab, checkout):
    install = readme_command(r"^python3 -m venv \.venv && \.venv/bin/pip install -q \.")
    install = install.split(" && .venv/bin/tracetui")[0]  # the demo that follows is a screen
    done = subprocess.run(
        ["bash", "-c", install], cwd=checkout, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    bin_dir = checkout / ".venv" / "bin"
    assert "command not found" in _plain_sudo(main_lab, bin_dir).stderr  # why the README says so
    _answers(_sudo_report(main_lab, bin_dir, checkout), main_lab)


def test_pipx_install_and_sudo(main_lab, checkout, tmp_path):
    environment = {
        **os.environ,
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
    }
    done = subprocess.run(
        ["pipx", "install", str(checkout)],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    bin_dir = tmp_path / "bin"
    assert "command not found" in _plain_sudo(main_lab, bin_dir).stderr
    _answers(_sudo_report(main_lab, bin_dir, tmp_path), main_lab)
