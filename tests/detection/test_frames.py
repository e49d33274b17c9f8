"""The frame pipe: whole frames from a real ffmpeg through the FIFO, wall-clock times, and no
wedging when ffmpeg stalls, exits or restarts."""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from securitycam.detection.frames import FramePipe, frame_output_args
from tests.waiting import wait_for

WIDTH, HEIGHT, FPS = 64, 48, 10


def run_ffmpeg(fifo: Path, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-re", "-f", "lavfi",
         "-i", f"color=c=gray:size=320x240:rate=25:duration={seconds}",
         "-map", "0:v:0", *frame_output_args(fifo, WIDTH, HEIGHT, FPS)],
        stdin=subprocess.DEVNULL)


@pytest.fixture
def pipe(tmp_path: Path):
    frames = FramePipe("cam", tmp_path / "frames.yuv", WIDTH, HEIGHT, FPS, clock=time.time, poll_seconds=0.1)
    frames.start()
    yield frames
    frames.stop()


def collect(pipe: FramePipe, process: subprocess.Popen[bytes]) -> list:
    """Every frame taken while ``process`` writes, and those left when it exits (however slow it is)."""
    got = []
    while True:
        frame = pipe.next_frame(0.3)
        if frame is not None:
            got.append(frame)
        elif process.poll() is not None:
            return got


def test_frames_arrive_whole_with_wall_clock_times(pipe: FramePipe) -> None:
    started = time.time()
    process = run_ffmpeg(pipe.fifo, 1.5)
    frames = collect(pipe, process)
    assert len(frames) >= 5
    frame = frames[-1]
    assert frame.yuv.shape == (HEIGHT * 3 // 2, WIDTH)
    # ffmpeg's grey is Y=128-ish everywhere; the chroma planes are neutral.
    assert abs(int(np.median(frame.gray)) - 128) < 8
    assert frame.gray.shape == (HEIGHT, WIDTH)
    assert frame.bgr().shape == (HEIGHT, WIDTH, 3)
    times = [f.time for f in frames]
    assert times == sorted(times)
    assert started - 0.5 <= times[0] and times[-1] <= time.time()
    # Frame numbers advance at the detect rate: times are n / fps apart.
    first, last = frames[0], frames[-1]
    assert (last.time - first.time) == pytest.approx((last.number - first.number) / FPS, abs=0.5)


def test_offset_from_the_recorder_sets_the_times(tmp_path: Path) -> None:
    pipe = FramePipe("cam", tmp_path / "f.yuv", WIDTH, HEIGHT, FPS, clock=time.time, offset=lambda: 1000.0,
                     poll_seconds=0.1)
    pipe.start()
    try:
        process = run_ffmpeg(pipe.fifo, 0.6)
        frames = collect(pipe, process)
    finally:
        pipe.stop()
    assert frames and all(f.time == pytest.approx(1000.0 + f.number / FPS) for f in frames)


def test_a_restarted_ffmpeg_starts_a_new_run(pipe: FramePipe, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="securitycam.detection.frames")

    def runs_read_to_the_end() -> int:
        return sum("frame pipe closed" in record.getMessage() for record in caplog.records)

    for run in (1, 2):
        process = run_ffmpeg(pipe.fifo, 0.5)
        assert process.wait(timeout=30) == 0
        # Half a second of 64x48 frames fits in the FIFO's buffer: ffmpeg may exit before the reader has
        # read a byte. And an ffmpeg opening the FIFO before the reader saw the last one leave would
        # continue that run: wait until this run is read to its end.
        wait_for(lambda run=run: runs_read_to_the_end() == run, timeout=30, what=f"run {run} to be read")
    assert pipe.runs == 2
    # Two half-second runs at 10 fps, every frame whole (the count is per run from 0).
    assert pipe.frames >= 8


def test_a_killed_ffmpeg_mid_frame_does_not_shift_the_next_run(pipe: FramePipe) -> None:
    # A writer that leaves half a frame behind and dies: the next run's frames must still be whole.
    with open(pipe.fifo, "wb") as half:
        half.write(b"\x00" * (WIDTH * HEIGHT))
    process = run_ffmpeg(pipe.fifo, 0.8)
    frames = collect(pipe, process)
    assert frames and all(abs(int(np.median(f.gray)) - 128) < 8 for f in frames)


def test_a_stalled_writer_never_wedges_the_reader(pipe: FramePipe) -> None:
    # A writer that opens the pipe and never writes (a hung ffmpeg): stop() still returns at once.
    stalled = open(pipe.fifo, "wb")  # noqa: SIM115 - held open on purpose
    try:
        assert pipe.next_frame(0.3) is None
        begun = time.monotonic()
        pipe.stop()
        assert time.monotonic() - begun < 2
    finally:
        stalled.close()
