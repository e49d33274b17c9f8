"""scripts/lib.sh: the install steps the run, test and install scripts share, run with a fake venv."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

LIB = Path(__file__).resolve().parent.parent / "scripts" / "lib.sh"


def fake_venv(tmp_path: Path) -> tuple[Path, Path]:
    """A project with a pyproject.toml from an hour ago and a venv whose python records its calls."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    hour_ago = time.time() - 3600
    os.utime(project / "pyproject.toml", (hour_ago, hour_ago))
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    calls = tmp_path / "calls"
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    python.chmod(0o755)
    return project, calls


def ensure_venv(project: Path, venv: Path, *extras: str) -> str:
    steps = "; ".join(f"ensure_venv {extra}".strip() for extra in extras)
    done = subprocess.run(["bash", "-c", f". {LIB}; {steps}"], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "SECURITYCAM_VENV": str(venv)}, check=True)
    return done.stdout


def installs(calls: Path) -> list[str]:
    return [line for line in calls.read_text().splitlines() if "install --quiet -e" in line] if calls.exists() else []


def test_the_dev_install_satisfies_the_plain_one(tmp_path):
    project, calls = fake_venv(tmp_path)
    venv = tmp_path / "venv"
    ensure_venv(project, venv, "dev")  # scripts/test.sh
    assert installs(calls) == ["-m pip install --quiet -e .[dev]"]
    assert ensure_venv(project, venv, "") == ""  # scripts/run.sh afterwards: nothing to do, nothing said
    assert installs(calls) == ["-m pip install --quiet -e .[dev]"]


def test_an_extra_is_installed_once_and_again_after_pyproject_changes(tmp_path):
    project, calls = fake_venv(tmp_path)
    venv = tmp_path / "venv"
    assert "installing securitycam[pi]" in ensure_venv(project, venv, "pi", "pi")
    assert installs(calls) == ["-m pip install --quiet -e .[pi]"]
    ensure_venv(project, venv, "dev")  # the plain install does not satisfy an extra
    assert installs(calls)[-1] == "-m pip install --quiet -e .[dev]"
    later = time.time() + 60  # newer than every stamp, whatever the filesystem's time granularity
    os.utime(project / "pyproject.toml", (later, later))
    ensure_venv(project, venv, "")
    assert installs(calls)[-1] == "-m pip install --quiet -e ."
    assert len(installs(calls)) == 3
