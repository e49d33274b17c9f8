"""Storage tests run on a small pretend filesystem whose used bytes are the archive's real files:
deleting a file frees exactly its size, so "brought under the limit" is measured, not assumed."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from securitycam.appliance import Appliance
from securitycam.system.host import DiskUsage

KIB = 1024


class DirectoryDisk:
    """``total`` bytes, of which ``base`` plus the archive's files (recordings, timelapse, exports, cache) are used."""

    def __init__(self, root: Path, total: int, base: int = 0,
                 parts: tuple[str, ...] = ("recordings", "timelapse", "exports", "cache")) -> None:
        self.root = root
        self.total = total
        self.base = base
        self.parts = parts
        self.calls = 0

    def archive_bytes(self) -> int:
        total = 0
        for part in self.parts:
            for directory, _dirs, files in os.walk(self.root / part):
                total += sum(os.path.getsize(os.path.join(directory, name)) for name in files)
        return total

    def __call__(self, path: Path) -> DiskUsage:
        self.calls += 1
        used = self.base + self.archive_bytes()
        return DiskUsage(self.total, used, self.total - used)


@pytest.fixture
def disk(data_dir: Path) -> DirectoryDisk:
    # 1 MiB: a few 100 KiB "clips" fill it.
    return DirectoryDisk(data_dir, total=1024 * KIB)


@pytest.fixture
def quiet(appliance: Appliance) -> Appliance:
    """The appliance with auto-delete off and its janitor's first pass done: files a test writes stay put
    until the test asks for a cleanup."""
    appliance.settings.update({"StorageLimit": {"enabled": False}})
    deadline = time.monotonic() + 30
    while appliance.janitor.last_report is None:
        assert time.monotonic() < deadline, "the janitor's first pass did not happen"
        time.sleep(0.02)
    return appliance


def stamp(day: int, hour: int = 12, minute: int = 0) -> str:
    return f"202311{day:02d}_{hour:02d}{minute:02d}00"


MakeClip = Callable[..., Path]


@pytest.fixture
def make_clip(data_dir: Path) -> MakeClip:
    """Write ``recordings/output_<stamp>.mp4`` of ``size`` bytes with its three sidecars (1 KiB each)."""

    def make(name_stamp: str, size: int = 100 * KIB, event_id: str | None = None) -> Path:
        video = data_dir / "recordings" / f"output_{name_stamp}.mp4"
        video.write_bytes(b"\0" * size)
        video.with_name(video.stem + ".thumb.jpg").write_bytes(b"t" * KIB)
        video.with_name(video.stem + ".sprite.jpg").write_bytes(b"s" * KIB)
        meta = {"event_id": event_id} if event_id else {}
        video.with_name(video.stem + ".meta.json").write_text(json.dumps(meta).ljust(KIB))
        return video

    return make


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look ``seconds`` old."""
    moment = time.time() - seconds
    os.utime(path, (moment, moment))
