"""The recordings store's own rules: where a kept segment goes, a move across filesystems, activity marked
while a segment is still in the ring, and the severity that decides an event's retention."""

from __future__ import annotations

import errno
import os
from datetime import UTC, datetime

import pytest

from securitycam.appliance import Appliance
from securitycam.recorder import recordings as recordings_module
from securitycam.recorder.recordings import merge, overlaps_any, severity
from securitycam.recorder.segments import Segment


def ring_segment(appliance: Appliance, start: float, name: str = "1_000001.ts", size: int = 1000) -> Segment:
    path = appliance.paths.cache / "cam" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"G" * size)
    return appliance.recorder.index.add("cam", path, start, start + 2, size)


def test_a_kept_segment_is_named_by_its_utc_start_and_never_overwrites_another(appliance: Appliance):
    start = datetime(2026, 3, 29, 1, 59, 58, 250000, tzinfo=UTC).timestamp()
    store = appliance.recorder.recordings
    first = store.keep(ring_segment(appliance, start))
    assert first == appliance.paths.recordings / "2026-03-29" / "01" / "cam" / "59.58.ts"
    second = store.keep(ring_segment(appliance, start + 0.5, "1_000002.ts"))
    assert second.name == "59.58.750.ts" and first.exists() and second.exists()
    rows = appliance.db.query("SELECT path, start_time, end_time, duration, size, motion FROM recordings")
    assert [(row["path"], row["duration"], row["size"], row["motion"]) for row in rows] == [
        (str(first), 2.0, 1000, 0), (str(second), 2.0, 1000, 0)]


def test_across_filesystems_a_segment_is_copied_under_a_hidden_name_then_renamed(
    appliance: Appliance, monkeypatch: pytest.MonkeyPatch
):
    segment = ring_segment(appliance, 1_800_000_000.0, size=3 * 1024 * 1024)
    content = segment.path.read_bytes()
    real_rename = os.rename

    def cross_device(source, target):  # type: ignore[no-untyped-def]
        if str(source).startswith(str(appliance.paths.cache)):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_rename(source, target)

    monkeypatch.setattr(recordings_module.os, "rename", cross_device)
    target = appliance.recorder.recordings.keep(segment)
    assert target.read_bytes() == content and not segment.path.exists()
    assert [path.name for path in target.parent.iterdir()] == [target.name]  # no partial left


def test_activity_marked_while_in_the_ring_lands_on_the_row(appliance: Appliance):
    store = appliance.recorder.recordings
    start = 1_800_000_100.0
    store.mark_activity("cam", start + 0.5, start + 0.7, motion=3)
    store.mark_activity("cam", start + 1.0, start + 1.0, objects=1)  # an instant
    store.mark_activity("cam", start + 2.0, start + 3.0, motion=9)  # the next segment's
    store.mark_activity("cam", start - 5.0, start, motion=0, objects=0)  # nothing: not even remembered
    assert store.activity("cam", start, start + 2) == (3, 1)
    kept = store.keep(ring_segment(appliance, start))
    row = appliance.db.query_one("SELECT motion, objects FROM recordings WHERE path = ?", (str(kept),))
    assert (row["motion"], row["objects"]) == (3, 1)


@pytest.mark.parametrize(("source", "label", "data", "expected"), [
    ("sensor", "door", {}, "alert"),
    ("manual", "manual", {}, "alert"),
    ("api", "doorbell", {}, "alert"),
    ("object", "person", {}, "alert"),
    ("object", "cat", {}, "detection"),
    ("motion", "motion", {}, "detection"),
    ("sensor", "door", {"severity": "detection"}, "detection"),
    ("object", "cat", {"severity": "alert"}, "alert"),
    ("object", "cat", {"severity": "bogus"}, "detection"),
])
def test_severity(source: str, label: str, data: dict, expected: str):
    assert severity(source, label, data) == expected


def test_windows_merge_and_overlap():
    windows = merge([(10, 20), (15, 30), (40, 50), (0, 5)])
    assert windows == [(0, 5), (10, 30), (40, 50)]
    assert overlaps_any(windows, 29, 31) and overlaps_any(windows, 45, 46) and overlaps_any(windows, -1, 0.5)
    assert not overlaps_any(windows, 30, 40) and not overlaps_any(windows, 5, 10) and not overlaps_any(windows, 51, 60)
    assert not overlaps_any([], 0, 1)
