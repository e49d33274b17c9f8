"""Segment wall-clock times, from the lines ffmpeg's segment muxer writes (no ffmpeg needed)."""

from __future__ import annotations

from pathlib import Path

from securitycam.clock import ManualClock
from securitycam.config.models import CameraSettings
from securitycam.paths import DataPaths
from securitycam.recorder.camera import CameraRecorder
from securitycam.recorder.segments import SegmentIndex
from securitycam.store import Database

T0 = 1_700_000_000.0


def test_a_shrinking_offset_estimate_never_makes_segments_overlap(tmp_path: Path):
    paths = DataPaths(tmp_path)
    paths.create()
    db = Database(paths.database)
    db.migrate()
    clock = ManualClock(T0)
    recorder = CameraRecorder(CameraSettings(), paths, SegmentIndex(db), clock)
    recorder.directory.mkdir(parents=True)
    for name in ("a.ts", "b.ts", "c.ts"):
        (recorder.directory / name).write_bytes(b"\x47" * 188)

    # ffmpeg reports a segment's range on the stream clock just after it closes; the first report
    # came late (0.5 s), the next ones promptly, so the stream-to-wall offset estimate shrinks.
    clock.advance(2.5)
    recorder._segment_finished("a.ts,0.000000,2.000000")
    clock.advance(1.6)
    recorder._segment_finished("b.ts,2.000000,4.000000")
    clock.advance(2.0)
    recorder._segment_finished("c.ts,4.000000,6.000000")

    rows = db.query("SELECT path, start_time, end_time FROM recorder_segments ORDER BY id")
    assert [Path(r["path"]).name for r in rows] == ["a.ts", "b.ts", "c.ts"]
    assert rows[0]["start_time"] == T0 + 0.5 and rows[0]["end_time"] == T0 + 2.5
    # b starts where a ended (not at T0 + 2.1, which would repeat 0.4 s of footage in a clip).
    assert rows[1]["start_time"] == rows[0]["end_time"]
    assert rows[1]["end_time"] == T0 + 4.1
    assert rows[2]["start_time"] == rows[1]["end_time"] and rows[2]["end_time"] == T0 + 6.1
