"""Disk use is counted as ``df`` counts it: blocks reserved for root are neither used nor free, so
the percent is ``used / (used + available)``, the same in ``/storage/status``, ``/system_stats``,
the health alert and the janitor's limit."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.system.host import DiskUsage, HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import PASSWORD
from tests.filesystems import MIB, df_percent, ext4
from tests.storage.conftest import KIB, DirectoryDisk, MakeClip, stamp

BLOCK = 4096


def ext4_statvfs(blocks: int, used: int, reserved: int) -> os.statvfs_result:
    """What ``statvfs`` says of an ext4 with ``blocks`` blocks, ``used`` used and ``reserved`` kept for root."""
    free = blocks - used
    return os.statvfs_result((BLOCK, BLOCK, blocks, free, max(0, free - reserved), 1000, 900, 900, 0, 255))


def test_reserved_blocks_count_as_neither_used_nor_free():
    # 1000 blocks, 700 used, 50 kept for root: df says 700 / (700 + 250) = 73.7 %, "74%".
    usage = DiskUsage.from_statvfs(ext4_statvfs(1000, 700, 50))
    assert (usage.total, usage.used, usage.free) == (1000 * BLOCK, 700 * BLOCK, 250 * BLOCK)
    assert usage.percent == 73.7 and math.ceil(usage.percent) == 74
    # At 70 % of the 950 usable blocks, 35 blocks must go.
    assert usage.bytes_over(70) == 700 * BLOCK - math.floor(950 * BLOCK * 0.7)
    assert DiskUsage.from_statvfs(ext4_statvfs(1000, 950, 50)).percent == 100.0
    assert DiskUsage.from_statvfs(ext4_statvfs(1000, 0, 50)).percent == 0.0


class ReservedDisk(DirectoryDisk):
    """The data directory's filesystem as an ext4 with 5 % reserved blocks: ``os.statvfs`` faked for it."""

    def statvfs(self, real):  # type: ignore[no-untyped-def]
        def fake(path):  # type: ignore[no-untyped-def]
            if not str(path).startswith(str(self.root)):
                return real(path)
            blocks = self.total // BLOCK
            return ext4_statvfs(blocks, -(-(self.base + self.archive_bytes()) // BLOCK), blocks // 20)

        return fake


@pytest.fixture
def disk(data_dir: Path) -> ReservedDisk:
    return ReservedDisk(data_dir, total=1024 * KIB)


@pytest.fixture
def hardware(runner, sysroot: Path, disk: ReservedDisk, monkeypatch: pytest.MonkeyPatch) -> Hardware:
    # The appliance's own statvfs reading, with the system call below it answering for the pretend disk.
    monkeypatch.setattr(os, "statvfs", disk.statvfs(os.statvfs))
    return Hardware(runner=runner, host=HostReader(sysroot), run_cameras=False)


def test_every_figure_and_the_janitor_count_like_df(client: FlaskClient, quiet: Appliance, make_clip: MakeClip):
    # 8 clips of 103 KiB: 206 of the 256 blocks, 12 of them kept for root. That is 80.5 % of the
    # size, but 84.5 % of what the service may write: over a limit of 82 %.
    for day in range(1, 9):
        make_clip(stamp(day), size=100 * KIB)
    client.post("/storage/configure", json={"max_percent": 82})
    stats = os.statvfs(quiet.paths.root)
    used, available = stats.f_blocks - stats.f_bfree, stats.f_bavail
    like_df = math.ceil(100 * used / (used + available))
    assert like_df == 85 and math.ceil(100 * used / stats.f_blocks) == 81

    status = client.get("/storage/status").json
    assert math.ceil(status["percent"]) == like_df and status["over_limit"] is True
    assert client.get("/system_stats").json["disk"]["percent"] == status["percent"]
    assert client.get("/system_alert_state").json["values"]["storage"] == status["percent"]

    report = client.post("/storage/cleanup").json
    assert report["deleted"]["clips"] == 1, report
    assert not (quiet.paths.recordings / f"output_{stamp(1)}.mp4").exists()
    after = client.get("/storage/status").json
    assert after["percent"] <= 82 and after["over_limit"] is False


def test_on_this_machine_the_percent_is_dfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    app = create_app(tmp_path / "data", Hardware(runner=RecordingRunner(), run_cameras=False), start=False)
    try:
        client = authorized(app.test_client())
        before = df_percent(tmp_path)
        percent = client.get("/system_stats").json["disk"]["percent"]
        after = df_percent(tmp_path)
        # Others write to this disk meanwhile: df's figure before or after, to the percent.
        assert min(before, after) <= math.ceil(percent) <= max(before, after), (percent, before, after)
    finally:
        app.extensions["securitycam"].stop()


def test_a_real_ext4_with_reserved_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    with ext4(tmp_path / "mnt", 32 * MIB, reserved_percent=10) as mountpoint:
        sysroot = tmp_path / "sys"
        sysroot.mkdir()
        app = create_app(mountpoint / "data", Hardware(runner=RecordingRunner(), host=HostReader(sysroot),
                                                        run_cameras=False), start=False)
        try:
            client = authorized(app.test_client())
            (mountpoint / "filler").write_bytes(b"\0" * 16 * MIB)
            os.sync()
            stats = os.statvfs(mountpoint)
            assert stats.f_bfree > stats.f_bavail, "the image has no reserved blocks"
            status = client.get("/storage/status").json
            assert math.ceil(status["percent"]) == df_percent(mountpoint)
            # used / total would be about 10 points lower here.
            assert status["percent"] - 100 * status["used"] / status["total"] > 5
            assert math.ceil(client.get("/system_stats").json["disk"]["percent"]) == df_percent(mountpoint)
        finally:
            app.extensions["securitycam"].stop()


def authorized(client: FlaskClient) -> FlaskClient:
    token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client
