"""Deployment on the Pi, checked here: shellcheck on every script, ``systemd-analyze verify`` on every
unit (as install.sh renders it), ``install.sh --dry-run``'s action list, and ``update.sh`` against
real git repositories with ``systemctl`` and ``curl`` replaced by recording stand-ins."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from securitycam.system.runner import CommandResult, no_new_privileges

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted((ROOT / "scripts").glob("*.sh"))
UNITS = sorted(p for p in (ROOT / "systemd").iterdir() if p.suffix in (".service", ".mount", ".path"))


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shellcheck(script):
    result = run(["shellcheck", "-x", str(script.relative_to(ROOT))], cwd=ROOT)
    assert result.returncode == 0, result.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_every_unit_as_installed(tmp_path):
    """Each unit with the paths install.sh puts in (this checkout, a data directory), so that verify
    also finds the programs they start; MediaMTX, not installed here, is a stand-in."""
    data_dir = tmp_path / "data"
    mediamtx = tmp_path / "mediamtx"
    mediamtx.write_text("#!/bin/sh\n")
    mediamtx.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    cache_mount = run(["systemd-escape", "-p", "--suffix=mount", str(data_dir / "cache")]).stdout.strip()
    for unit in UNITS:
        text = (unit.read_text().replace("/opt/securitycam", str(ROOT)).replace("/var/lib/securitycam", str(data_dir))
                .replace("/usr/local/bin/mediamtx", str(mediamtx))
                .replace("@UID@", str(os.getuid())).replace("@GID@", str(os.getgid())))
        name = cache_mount if unit.suffix == ".mount" else unit.name
        (units / name).write_text(text)
    assert {p.name for p in units.iterdir()} >= {"securitycam.service", "mediamtx.service", cache_mount,
                                                 "securitycam-update.service", "securitycam-bootnote.path"}
    for unit in sorted(units.iterdir()):
        result = run(["systemd-analyze", "verify", str(unit)], cwd=units)
        assert result.returncode == 0 and not result.stderr.strip(), f"{unit.name}: {result.stderr}"


def test_the_service_unit_is_hardened_as_the_appliance_needs():
    unit = (ROOT / "systemd" / "securitycam.service").read_text()
    for line in ("Type=notify", "WatchdogSec=60", "User=securitycam", "SupplementaryGroups=gpio video bluetooth",
                 "NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/securitycam", "PrivateTmp=yes",
                 "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE", "Restart=on-failure",
                 "RequiresMountsFor=/var/lib/securitycam/cache"):
        assert f"\n{line}\n" in unit, line
    assert "\n[Install]\n" not in (ROOT / "systemd" / "securitycam-update.service").read_text()  # never at boot


# The Pi's packages the dry run names (those this machine lacks: it asks dpkg here).
PI_PACKAGES = ("iptables", "bluez", "network-manager", "polkitd", "avahi-daemon", "curl", "ca-certificates")
MEDIAMTX = {
    # Raspberry Pi OS 64-bit (Pi 3, 4, 5, Zero 2 W) and 32-bit (armhf: ARMv7 and up for these boards).
    "arm64": ("linux_arm64v8", "f2f02109dd3d88773d7de5ae84385d41041bc9d60d0459eb6c61462cb2da0d1e"),
    "armhf": ("linux_armv7", "387a84bf47a0c3066d0159f84c8b9ea1da73a0233b4fc67f22731bc8001a6f74"),
}


def installed_here(package: str) -> bool:
    return "install ok installed" in run(["dpkg-query", "-W", "-f=${Status}", package]).stdout


@pytest.mark.parametrize("arch", MEDIAMTX)
def test_install_dry_run_lists_every_action_and_changes_nothing(tmp_path, arch):
    """``--arch`` makes the dry run what a Raspberry Pi of that architecture would get: its apt
    packages, the ``[pi]`` extra, its MediaMTX archive and checksum."""
    venv = tmp_path / "venv"
    data_dir = "/srv/securitycam-dry-run-test"
    before = run(["id", "securitycam"]).returncode
    result = run(["bash", "scripts/install.sh", "--dry-run", "--arch", arch, "--data-dir", data_dir,
                  "--boot-dir", "/boot/firmware"], cwd=ROOT, env={**os.environ, "SECURITYCAM_VENV": str(venv)})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    actions = [line for line in lines if line.startswith(("would run: ", "would write: "))]
    asset, checksum = MEDIAMTX[arch]
    archive = f"mediamtx_v1.9.3_{asset}.tar.gz"
    missing = [package for package in PI_PACKAGES if not installed_here(package)]
    expected_in_order = [
        *(["would run: apt-get install -y "] if missing else []),
        f"would run: python3 -m venv {venv}",
        f"would run: {venv}/bin/python -m pip install --quiet -e .[pi]",
        f"would run: {venv}/bin/python -m compileall -q securitycam {venv}/lib",
        f"https://github.com/bluenviron/mediamtx/releases/download/v1.9.3/{archive}",
        f"would run: sha256sum --check ({checksum} ",
        "would run: install -m 0755 ",
        f"would run: mkdir -p {data_dir}/cache {data_dir}/logs",
        f"would run: chown -R securitycam:securitycam {data_dir}",
        "would write: /etc/systemd/system/srv-securitycam\\x2ddry\\x2drun\\x2dtest-cache.mount (mode 644)",
        "would write: /etc/systemd/system/securitycam.service (mode 644)",
        "would write: /etc/systemd/system/mediamtx.service (mode 644)",
        "would write: /etc/systemd/system/securitycam-update.service (mode 644)",
        "would write: /etc/systemd/system/securitycam-bootnote.path (mode 644)",
        "would write: /etc/polkit-1/rules.d/50-securitycam.rules (mode 644)",
        "would write: /etc/NetworkManager/dnsmasq-shared.d/securitycam-portal.conf (mode 644)",
        "would run: systemctl daemon-reload",
        "would run: systemctl enable --now srv-securitycam\\x2ddry\\x2drun\\x2dtest-cache.mount "
        "securitycam-bootnote.path",
        "would run: systemctl enable securitycam.service",
        "would run: systemctl restart securitycam.service",
    ]
    position = 0
    for wanted in expected_in_order:
        found = next((i for i, line in enumerate(actions[position:], position) if wanted in line), None)
        assert found is not None, f"{wanted!r} missing (or out of order) in:\n" + "\n".join(actions)
        position = found + 1
    apt = next((line for line in actions if line.startswith("would run: apt-get install -y ")), "")
    assert set(missing) <= set(apt.split()[4:]), apt
    if before != 0:
        assert any(line.startswith("would run: useradd --system") for line in actions)
    assert lines[-1] == "dry run: nothing was changed"
    assert not venv.exists() and not Path(data_dir).exists()
    assert run(["id", "securitycam"]).returncode == before
    assert not (Path("/etc/polkit-1/rules.d/50-securitycam.rules").exists() and before != 0)


def test_a_mediamtx_download_is_installed_only_with_its_pinned_checksum(tmp_path):
    """install.sh's MediaMTX step for real, with a ``curl`` that serves an archive which is not the
    release's: refused for every architecture; the same archive with its own checksum pinned goes in."""
    payload = tmp_path / "payload"
    payload.mkdir()
    (payload / "mediamtx").write_text("#!/bin/sh\necho tampered\n")
    archive = tmp_path / "not-the-release.tar.gz"
    run(["tar", "-czf", str(archive), "-C", str(payload), "mediamtx"])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text(
        f'#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && cp {archive} "$2"; shift; done\n')
    (bin_dir / "curl").chmod(0o755)
    target = tmp_path / "installed" / "mediamtx"
    target.parent.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "MEDIAMTX_BIN": str(target)}

    def install(arch: str, pin_this_archive: bool = False) -> subprocess.CompletedProcess[str]:
        pin = f"MEDIAMTX_SHA256[{arch}]=$(sha256sum {archive} | cut -d' ' -f1); " if pin_this_archive else ""
        return run(["bash", "-c", f"set -euo pipefail; . scripts/lib.sh; . scripts/mediamtx.sh; {pin}"
                                  f"install_mediamtx {arch}"], cwd=ROOT, env=env)

    for arch in MEDIAMTX:
        refused = install(arch)
        assert refused.returncode == 1 and "does not match its pinned checksum: refused" in refused.stderr
        assert not target.exists()
    accepted = install("arm64", pin_this_archive=True)
    assert accepted.returncode == 0, accepted.stderr
    assert target.read_text() == "#!/bin/sh\necho tampered\n"


NOBODY = 65534


def test_install_refuses_to_run_without_root_or_dry_run():
    if os.geteuid() != 0:
        result = run(["bash", "scripts/install.sh"], cwd=ROOT)
    else:
        # As root (CI): run it as nobody, from a copy nobody can read (the checkout may not be).
        shared = Path(tempfile.mkdtemp(prefix="install-as-nobody-"))
        try:
            (shared / "scripts").mkdir()
            for name in ("install.sh", "lib.sh", "mediamtx.sh"):
                shutil.copy(ROOT / "scripts" / name, shared / "scripts" / name)
                (shared / "scripts" / name).chmod(0o644)
            for folder in (shared, shared / "scripts"):
                folder.chmod(0o755)
            result = run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                          "bash", "scripts/install.sh"], cwd=shared)
        finally:
            shutil.rmtree(shared)
    assert result.returncode == 1 and "sudo" in result.stderr, result.stderr


# -- update.sh -------------------------------------------------------------------------------------
def git(cwd: Path, *args: str) -> str:
    done = run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class Deployed:
    """A checkout cloned from a bare "origin", with update.sh and lib.sh of this repository, a fake
    venv, and ``systemctl``/``curl`` stand-ins: the "service" answers when ``health`` says ``ok``."""

    def __init__(self, tmp_path: Path) -> None:
        self.origin = tmp_path / "origin.git"
        self.work = tmp_path / "work"
        self.checkout = tmp_path / "checkout"
        self.data = tmp_path / "data"
        self.calls = tmp_path / "calls"
        run(["git", "init", "-q", "--bare", "-b", "main", str(self.origin)])
        run(["git", "clone", "-q", str(self.origin), str(self.work)])
        (self.work / "scripts").mkdir()
        for name in ("update.sh", "lib.sh"):
            shutil.copy2(ROOT / "scripts" / name, self.work / "scripts" / name)
        (self.work / "securitycam").mkdir()
        (self.work / "securitycam" / "__init__.py").write_text("")
        (self.work / "pyproject.toml").write_text("[project]\nname = 'x'\n")
        self.commit("ok", "first")
        run(["git", "clone", "-q", str(self.origin), str(self.checkout)])
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for name, body in {
            "systemctl": f'echo "systemctl $*" >> {self.calls}\n',
            "curl": f'echo "curl" >> {self.calls}\ngrep -qx ok {self.checkout}/health || exit 22\n',
        }.items():
            (bin_dir / name).write_text(f"#!/bin/sh\n{body}")
            (bin_dir / name).chmod(0o755)
        venv = tmp_path / "venv"
        (venv / "bin").mkdir(parents=True)
        # pip fails in a version whose health file says "uninstallable" (a dependency that is not there).
        (venv / "bin" / "python").write_text(
            f'#!/bin/sh\necho "python $*" >> {self.calls}\n'
            '[ "$1 $2" = "-m pip" ] && grep -qx uninstallable health && exit 1\nexit 0\n')
        (venv / "bin" / "python").chmod(0o755)
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SECURITYCAM_VENV": str(venv),
                    "SECURITYCAM_HEALTH_SECONDS": "3"}

    def commit(self, health: str, message: str, dependencies: str = "") -> str:
        (self.work / "health").write_text(f"{health}\n")
        (self.work / "pyproject.toml").write_text(f"[project]\nname = 'x'\n{dependencies}")
        (self.work / "version").write_text(f"{message}\n")
        git(self.work, "add", "-A")
        git(self.work, "commit", "-qm", message)
        git(self.work, "push", "-q", "origin", "main")
        return git(self.work, "rev-parse", "HEAD")

    def update(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls.unlink(missing_ok=True)
        return run(["bash", "scripts/update.sh", "--data-dir", str(self.data), *args], cwd=self.checkout,
                   env=self.env)

    def head(self) -> str:
        return git(self.checkout, "rev-parse", "HEAD")

    def restarts(self) -> int:
        calls = self.calls.read_text().splitlines() if self.calls.exists() else []
        return calls.count("systemctl restart securitycam.service")


@pytest.fixture
def deployed(tmp_path: Path) -> Deployed:
    return Deployed(tmp_path)


def test_update_installs_restarts_and_keeps_a_version_that_answers(deployed):
    first = deployed.head()
    assert deployed.update().stdout.strip().endswith(f"up to date at {first[:8]}")
    second = deployed.commit("ok", "second")
    checked = deployed.update("--check")
    assert checked.returncode == 0 and f"update available: {first[:8]} -> {second[:8]}" in checked.stdout
    assert deployed.head() == first and deployed.restarts() == 0  # --check changes nothing
    done = deployed.update()
    assert done.returncode == 0, done.stdout
    assert deployed.head() == second and deployed.restarts() == 1
    assert f"updated to {second[:8]}; it answers" in done.stdout
    logs = list((deployed.data / "logs" / "update").glob("*.log"))
    assert logs and any(f"updated to {second[:8]}" in log.read_text() for log in logs)


def test_update_rolls_back_a_version_that_does_not_answer(deployed):
    first = deployed.head()
    broken = deployed.commit("broken", "a version that does not start")
    done = deployed.update()
    assert done.returncode == 1
    # The script's output goes to its log and to standard output, errors included.
    assert f"{broken[:8]} did not answer" in done.stdout and f"rolled back to {first[:8]}; it answers" in done.stdout
    assert deployed.head() == first and deployed.restarts() == 2


def test_update_rolls_back_a_version_that_does_not_install(deployed):
    first = deployed.head()
    deployed.update()  # the venv's stamp: only a changed pyproject.toml installs again
    broken = deployed.commit("uninstallable", "a dependency that does not exist",
                             dependencies="dependencies = ['no-such-package']\n")
    done = deployed.update()
    assert done.returncode == 1, done.stdout
    assert f"{broken[:8]} did not install" in done.stdout and f"rolled back to {first[:8]}; it answers" in done.stdout
    assert deployed.head() == first and deployed.restarts() == 1  # only the version rolled back to


def test_update_refuses_a_checkout_with_local_changes(deployed):
    deployed.commit("ok", "second")
    (deployed.checkout / "health").write_text("edited on the Pi\n")
    done = deployed.update()
    assert done.returncode == 1 and "local changes" in done.stdout and deployed.restarts() == 0


def test_post_system_update_starts_the_update_unit(client, runner):
    answer = client.post("/system/update")
    assert answer.status_code == 202 and answer.json["success"] is True
    assert ["systemctl", "start", "--no-block", "securitycam-update.service"] in runner.calls


def test_post_system_update_says_why_it_could_not_start(client, runner):
    runner.respond(["systemctl", "start"], CommandResult(1, "", "Unit securitycam-update.service not found.\n"))
    answer = client.post("/system/update")
    assert answer.status_code == 502 and "not found" in answer.json["message"]


def test_no_new_privileges_is_read_from_proc_status(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nNoNewPrivs:\t1\nSeccomp:\t0\n")
    assert no_new_privileges(status) is True
    status.write_text("Name:\tpython\nNoNewPrivs:\t0\n")
    assert no_new_privileges(status) is False
    assert no_new_privileges(tmp_path / "missing") is False
