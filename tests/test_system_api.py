import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from securitycam.clock import ManualClock
from securitycam.system.captive import STATUS_REUSE, CaptivePortal
from securitycam.system.info import UPDATE_CHECK_REUSE, GitInfo
from securitycam.system.runner import CommandResult, CommandTimeout, SubprocessRunner
from tests.conftest import write_sys
from tests.test_deploy import git

THERMAL = "sys/class/thermal/thermal_zone0/temp"
THROTTLED = "sys/devices/platform/soc/soc:firmware/get_throttled"
LIFE_TIME = "sys/block/mmcblk0/device/life_time"


def test_system_info(client, sysroot):
    write_sys(sysroot, "proc/device-tree/model", "Raspberry Pi Zero 2 W Rev 1.0\x00")
    body = client.get("/system_info").json
    assert body["model"] == "Raspberry Pi Zero 2 W Rev 1.0"
    assert body["is_raspberry_pi"] is True
    assert {"hostname", "ip_addresses", "os", "python", "version", "uptime_seconds"} <= set(body)
    assert body["camera_sources"] == {"cam": "synthetic"}


def test_system_stats(client, sysroot, disk):
    write_sys(sysroot, THERMAL, "51234\n")
    disk.percent = 42.0
    body = client.get("/system_stats").json
    assert body["temperatures"]["cpu"] == 51.2
    assert body["disk"]["percent"] == 42.0
    assert body["memory"]["total"] > body["memory"]["process_rss"] > 0
    assert body["cpu"]["count"] >= 1
    assert body["uptime"]["system_seconds"] >= body["uptime"]["process_seconds"] >= 0
    assert {"git_branch", "git_commit", "machine", "python"} <= set(body["platform"])


@pytest.mark.parametrize(
    ("files", "disk_percent", "metric", "level"),
    [
        ({THERMAL: "64900"}, 10, "cpu_temp", "ok"),
        ({THERMAL: "65000"}, 10, "cpu_temp", "warn"),
        ({THERMAL: "80000"}, 10, "cpu_temp", "critical"),
        ({THROTTLED: "50000"}, 10, "throttle", "ok"),  # only past throttling: not active now
        ({THROTTLED: "50005"}, 10, "throttle", "critical"),
        ({}, 84.9, "storage", "ok"),
        ({}, 85, "storage", "warn"),
        ({}, 95, "storage", "critical"),
        ({LIFE_TIME: "0x02 0x01"}, 10, "sd_health", "ok"),
        ({LIFE_TIME: "0x01 0x03"}, 10, "sd_health", "warn"),
        ({LIFE_TIME: "0x0B 0x01"}, 10, "sd_health", "critical"),
    ],
)
def test_alert_thresholds(client, sysroot, disk, files, disk_percent, metric, level):
    for relative, text in files.items():
        write_sys(sysroot, relative, text)
    disk.percent = disk_percent
    body = client.get("/system_alert_state").json
    assert body["alerts"][metric] == level
    assert body["overall"] == level
    assert set(body["alerts"]) >= {"cpu_temp", "throttle", "storage", "sd_health"}


def test_alert_level_change_is_pushed_once(client, appliance, sysroot):
    write_sys(sysroot, THERMAL, "70000")
    assert client.get("/system_alert_state").json["values"]["cpu_temp"] == 70.0
    client.get("/system_alert_state")
    alerts = appliance.bus.recent("system_alert")
    assert len(alerts) == 1
    assert alerts[0].data["changed"] == {"cpu_temp": {"from": "ok", "to": "warn"}}
    write_sys(sysroot, THERMAL, "50000")
    client.get("/system_alert_state")
    alerts = appliance.bus.recent("system_alert")
    assert len(alerts) == 2 and alerts[1].data["changed"]["cpu_temp"] == {"from": "warn", "to": "ok"}


def test_deploy_info_from_git(client, runner):
    runner.respond(["git", "-C"], lambda args: CommandResult(0, "main\n" if "--abbrev-ref" in args else "a1b2c3d\n"))
    assert client.get("/deploy_info").json == {"git_branch": "main", "git_commit": "a1b2c3d"}


def test_deploy_info_without_git(client, runner):
    runner.respond(["git"], CommandResult(127, "", "git: not found"))
    assert client.get("/deploy_info").json == {"git_branch": None, "git_commit": None}


REMOTE_HEAD = "f2e1a990" + "0" * 32


def fake_git(behind: int, remote_branch: str = f"{REMOTE_HEAD}\trefs/heads/main\n"):
    def answer(args):
        if "ls-remote" in args:
            return CommandResult(0, remote_branch)
        if "--abbrev-ref" in args:
            return CommandResult(0, "main\n")
        if "rev-parse" in args:
            return CommandResult(0, "93a56b1a" + "0" * 32 + "\n")
        if "rev-list" in args:
            return CommandResult(0, f"{behind}\n")
        if "log" in args:
            return CommandResult(0, "\n".join(f"abc{n} change {n}" for n in range(behind)))
        return CommandResult(1)

    return answer


def test_update_check_available(client, runner):
    runner.respond(["git"], fake_git(3))
    body = client.get("/system/update/check").json
    assert body == {
        "available": True, "branch": "main", "local_commit": "93a56b1a", "remote_commit": "f2e1a990",
        "commits_behind": 3, "summary": "abc0 change 0\nabc1 change 1\nabc2 change 2",
    }
    listed = next(call for call in runner.calls if "ls-remote" in call)
    assert listed[5:] == ["ls-remote", "origin", "refs/heads/main"]
    git_calls = [call for call in runner.calls if call[0] == "git"]
    assert all(call[1:5] == ["-C", call[2], "-c", f"safe.directory={call[2]}"] for call in git_calls)


def test_update_check_up_to_date(client, runner):
    runner.respond(["git"], fake_git(0))
    body = client.get("/system/update/check").json
    assert body["available"] is False and body["commits_behind"] == 0


def test_update_check_reuses_an_answer_for_a_minute(client, runner):
    runner.respond(["git"], fake_git(3))
    answers = [client.get("/system/update/check").json for _ in range(5)]
    assert all(answer == answers[0] for answer in answers) and answers[0]["commits_behind"] == 3
    assert sum("ls-remote" in call for call in runner.calls) == 1


def test_update_check_fetches_again_after_a_minute(runner):
    clock = ManualClock()
    git = GitInfo(runner, Path(__file__).resolve().parents[1], clock=clock)
    runner.respond(["git"], fake_git(0))

    def fetches() -> int:
        return sum("ls-remote" in call for call in runner.calls)

    assert git.update_check()["commits_behind"] == 0 and fetches() == 1
    clock.advance(UPDATE_CHECK_REUSE - 1)
    runner.respond(["git"], fake_git(2))
    assert git.update_check()["commits_behind"] == 0 and fetches() == 1
    clock.advance(1)
    assert git.update_check()["commits_behind"] == 2 and fetches() == 2


def test_update_check_of_a_branch_the_remote_lacks(client, runner):
    runner.respond(["git"], fake_git(0, remote_branch=""))
    body = client.get("/system/update/check").json
    assert body == {"available": False, "branch": "main", "error": "Branch main not found on origin"}


def test_update_check_offline(client, runner):
    timeouts = []

    def hang(args):
        if "ls-remote" in args:
            raise CommandTimeout("timed out")
        return fake_git(0)(args)

    runner.respond(["git"], hang)
    original = runner.run
    runner.run = lambda args, timeout=30.0: (timeouts.append((args, timeout)), original(args, timeout))[1]
    body = client.get("/system/update/check").json
    assert body == {"available": False, "error": "Timed out - check internet connection"}
    assert any("ls-remote" in args and timeout == 20 for args, timeout in timeouts)


SERVICE_UID = 65534  # "nobody": owns neither the checkout nor anything else here, as the service's user


class RunAsServiceUser(SubprocessRunner):
    """Runs every command for real as :data:`SERVICE_UID` with that user's own environment, as the
    installed service runs git in the checkout that root owns."""

    def run(self, args: Sequence[str], timeout: float = 30.0) -> CommandResult:
        as_user = ["setpriv", f"--reuid={SERVICE_UID}", f"--regid={SERVICE_UID}", "--clear-groups", "--reset-env"]
        return super().run([*as_user, *args], timeout)


@pytest.fixture
def installed_checkout() -> Iterator[tuple[Path, Path]]:
    """``(origin, checkout)``: a checkout cloned from ``origin`` three commits ago, read-only and owned
    by root like install.sh leaves it; ``origin`` (standing in for the remote) is the service user's."""
    with tempfile.TemporaryDirectory() as top:  # pytest's tmp_path is closed to other users
        root = Path(top)
        root.chmod(0o755)
        origin, checkout = root / "origin", root / "checkout"
        git(root, "init", "-q", "-b", "main", str(origin))
        for n in range(3):
            (origin / "version").write_text(f"{n}\n")
            git(origin, "add", "-A")
            git(origin, "commit", "-qm", f"change {n}")
        git(root, "clone", "-q", str(origin), str(checkout))
        git(checkout, "reset", "-q", "--hard", "HEAD~2")  # behind, with the newer commits at hand
        subprocess.run(["chown", "-R", f"{SERVICE_UID}:{SERVICE_UID}", str(origin)], check=True)
        subprocess.run(["chmod", "-R", "a-w", str(checkout)], check=True)
        yield origin, checkout


@pytest.mark.skipif(os.geteuid() != 0, reason="running git as another user needs root")
def test_update_check_as_the_service_user_on_a_read_only_checkout_of_root(installed_checkout):
    origin, checkout = installed_checkout
    clock = ManualClock()
    info = GitInfo(RunAsServiceUser(), checkout, clock=clock)

    def in_origin(*args: str) -> str:  # root works in the service user's origin
        return git(origin, "-c", "safe.directory=*", *args)

    first, newest = git(checkout, "rev-parse", "HEAD"), in_origin("rev-parse", "HEAD")
    assert info.deploy_info() == {"git_branch": "main", "git_commit": first[:7]}
    assert info.update_check() == {
        "available": True, "branch": "main", "local_commit": first[:8], "remote_commit": newest[:8],
        "commits_behind": 2, "summary": git(checkout, "log", "--oneline", "--no-decorate", f"HEAD..{newest}"),
    }

    (origin / "version").write_text("3\n")  # a commit the checkout has never seen
    in_origin("commit", "-qam", "change 3")
    clock.advance(UPDATE_CHECK_REUSE)
    answer = info.update_check()
    assert answer["available"] is True and answer["commits_behind"] is None and answer["summary"] is None
    assert answer["remote_commit"] == in_origin("rev-parse", "HEAD")[:8]
    assert "until an update fetches" in answer["message"]
    assert git(checkout, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("path", "message", "command", "delay_key"),
    [
        ("/system/restart", "Restarting services...", ["systemctl", "restart", "securitycam.service"], "RESTART_DELAY"),
        ("/system/reboot", "Rebooting...", ["systemctl", "reboot"], "REBOOT_DELAY"),
    ],
)
def test_restart_and_reboot_answer_first(app, client, runner, path, message, command, delay_key):
    started = time.monotonic()
    response = client.post(path)
    assert response.json == {"message": message}
    assert command not in runner.calls
    assert runner.wait_for(command, timeout=5) == command
    assert time.monotonic() - started >= app.config[delay_key]


class FakeIptables:
    """iptables' nat PREROUTING chain: -C checks, -A appends, -D deletes one copy."""

    def __init__(self):
        self.rules = []

    def __call__(self, args):
        action, rule = args[3], args[4:]
        if action == "-C":
            return CommandResult(0 if rule in self.rules else 1)
        if action == "-A":
            self.rules.append(rule)
            return CommandResult(0)
        if action == "-D" and rule in self.rules:
            self.rules.remove(rule)
            return CommandResult(0)
        return CommandResult(1, "", "Bad rule")


@pytest.fixture
def iptables(runner):
    fake = FakeIptables()
    runner.respond(["iptables"], fake)
    return fake


def test_captive_portal_rule_is_idempotent(client, iptables, appliance):
    assert client.get("/captive-portal").json == {"enabled": True, "active": False}
    assert client.post("/captive-portal", json={"enabled": True}).json == {"enabled": True, "active": True}
    assert client.post("/captive-portal", json={"enabled": True}).json == {"enabled": True, "active": True}
    assert len(iptables.rules) == 1
    assert iptables.rules[0] == ["PREROUTING", "-p", "tcp", "--dport", "80", "-j", "REDIRECT", "--to-ports", "5005"]
    iptables.rules.append(list(iptables.rules[0]))  # a duplicate left behind by hand
    assert client.post("/captive-portal", json={"enabled": False}).json == {"enabled": False, "active": False}
    assert iptables.rules == []
    assert appliance.settings.get().CaptivePortal.enabled is False
    assert client.get("/captive-portal").json == {"enabled": False, "active": False}


def test_captive_portal_is_applied_on_start(app, runner, iptables):
    appliance = app.extensions["securitycam"]
    appliance.captive_portal.start()
    assert len(iptables.rules) == 1


def redirect_to(port):
    return ["PREROUTING", "-p", "tcp", "--dport", "80", "-j", "REDIRECT", "--to-ports", str(port)]


def test_captive_portal_follows_its_port_and_removes_the_rule_it_put(client, iptables, appliance, caplog):
    caplog.set_level(logging.INFO, logger="securitycam.system.captive")
    assert client.post("/captive-portal", json={"enabled": True}).json == {"enabled": True, "active": True}
    assert "captive portal on: port 80 redirected to 5005" in caplog.messages
    assert client.post("/settings", json={"CaptivePortal": {"redirect_port": 8080}}).status_code == 200
    assert iptables.rules == [redirect_to(8080)]
    assert "captive portal on: port 80 redirected to 8080" in caplog.messages
    assert client.get("/captive-portal").json == {"enabled": True, "active": True}
    assert client.post("/captive-portal", json={"enabled": False}).json == {"enabled": False, "active": False}
    assert iptables.rules == []
    assert "captive portal off: port 80 no longer redirected to 8080" in caplog.messages


def test_captive_portal_active_is_the_rule_it_put(client, iptables, runner, caplog):
    assert client.post("/captive-portal", json={"enabled": True}).json["active"] is True
    iptables.rules.clear()  # removed by hand
    assert client.get("/captive-portal").json == {"enabled": True, "active": False}
    # iptables refuses the rule: not active, and the log says which port it could not redirect to.
    runner.respond(["iptables", "-t", "nat", "-A"], CommandResult(1, "", "iptables: No chain by that name."))
    assert client.post("/captive-portal", json={"enabled": True}).json == {"enabled": True, "active": False}
    assert any("could not redirect port 80 to 5005" in message for message in caplog.messages)


@pytest.mark.parametrize("body", [{}, {"enabled": "yes"}, {"enabled": 1}])
def test_captive_portal_bad_body(client, body):
    response = client.post("/captive-portal", json=body)
    assert response.status_code == 400 and response.json["field"] == "enabled"


def test_monitor_pushes_system_info_while_someone_listens(sysroot, disk):
    from securitycam.bus import EventBus
    from securitycam.system.health import HealthMonitor
    from securitycam.system.host import HostReader
    from securitycam.system.info import host_figures

    write_sys(sysroot, THERMAL, "48000")
    bus = EventBus()
    host = HostReader(sysroot, disk_usage=disk)
    monitor = HealthMonitor(host, sysroot, bus, describe=lambda: host_figures(host, sysroot), interval=0.05)
    monitor.start()
    time.sleep(0.2)
    assert bus.recent("system_info") == []  # nobody listening: no work
    with bus.subscribe() as sub:
        event = sub.next(timeout=30)
    monitor.stop()
    assert event.name == "system_info"
    assert event.data["cpu_temp"] == 48.0 and event.data["disk_percent"] == disk.percent



def test_captive_portal_status_is_read_once_for_many_readers_and_again_after_a_change(appliance, iptables, runner):
    clock = ManualClock()
    portal = CaptivePortal(runner, appliance.settings, clock)

    def checks() -> int:
        return sum(call[:4] == ["iptables", "-t", "nat", "-C"] for call in runner.calls)

    assert portal.apply(appliance.settings.get().CaptivePortal) is True
    before = checks()
    assert all(portal.status() == {"enabled": True, "active": True} for _ in range(20))
    assert checks() == before + 1
    iptables.rules.clear()  # removed by hand: seen once the reading is STATUS_REUSE old
    clock.advance(STATUS_REUSE - 0.1)
    assert portal.status()["active"] is True and checks() == before + 1
    clock.advance(0.1)
    assert portal.status()["active"] is False and checks() == before + 2
    assert portal.apply(appliance.settings.get().CaptivePortal) is True  # a change is seen at once
    assert portal.status()["active"] is True


def test_captive_portal_status_after_a_change_is_fresh(client, iptables):
    assert client.post("/captive-portal", json={"enabled": True}).json["active"] is True
    assert client.get("/captive-portal").json == {"enabled": True, "active": True}
    assert client.post("/captive-portal", json={"enabled": False}).json == {"enabled": False, "active": False}
    assert client.get("/captive-portal").json == {"enabled": False, "active": False}
