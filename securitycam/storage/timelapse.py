"""Timelapse: one frame every ``interval_minutes`` from the first camera, one video a day.

Frames come from the recorder's latest-frame cache (no second connection to the camera) and are
kept as ``timelapse/frames/YYYYMMDD/HHMMSS.jpg``: the files are the state, so the day's frame count
and the last capture survive a restart. When the day rolls over, and at start for any earlier day
left unstitched (a power cut at midnight), the day's frames become ``timelapse/timelapse_YYYYMMDD.mp4``
(H.264, ``fps`` frames a second, scaled and padded to ``resolution`` unless it is ``original``) with a
``.thumb.jpg`` beside it; ffmpeg runs under ``nice`` with one thread, so recording keeps the CPU.
The frames are deleted once the video is in place. Capture times come from the injected clock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from securitycam.bus import ARCHIVE_UPDATED, EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.models import TimelapseSettings
from securitycam.fileio import write_atomic
from securitycam.paths import DataPaths
from securitycam.recorder import Recorder
from securitycam.recorder.archive import iso
from securitycam.recorder.clips import sidecar
from securitycam.recorder.process import run_job
from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

LOW_PRIORITY = ["nice", "-n", "19"]
FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
ONE_THREAD = ["-threads", "1", "-filter_threads", "1"]
THUMB_WIDTH = 320


class StitchError(RuntimeError):
    """ffmpeg could not make a day's video."""


def day_of(moment: float) -> str:
    return time.strftime("%Y%m%d", time.localtime(moment))


def video_name(day: str) -> str:
    return f"timelapse_{day}.mp4"


def _scale_filter(resolution: str) -> str:
    if resolution == "original":
        # H.264 in yuv420p needs even sides.
        return "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    width, height = resolution.split(":")
    return (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2")


def _run(args: list[str]) -> None:
    command = [*LOW_PRIORITY, *args] if shutil.which("nice") else args
    try:
        done = run_job(command, capture_output=True, timeout=3600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StitchError(str(exc)) from exc
    if done.returncode != 0:
        raise StitchError(done.stderr.decode(errors="replace").strip()[-500:] or f"exit code {done.returncode}")


def stitch(frames: list[Path], output: Path, fps: int, resolution: str) -> None:
    """Encode ``frames`` (in order) into ``output`` and a thumbnail of the middle frame beside it.

    Both are written to hidden partial files and renamed into place, the video last.
    """
    listing = output.with_name(f".{output.stem}.concat.txt")
    partial = output.with_name(f".{output.stem}.partial.mp4")
    thumb = sidecar(output, ".thumb.jpg")
    thumb_partial = thumb.with_name(f".{thumb.name}.partial")
    # The concat demuxer with a duration per frame: gaps in the numbering (a missed capture) are fine.
    listing.write_text("".join(f"file '{os.fspath(frame)}'\nduration {1 / fps:.6f}\n" for frame in frames))
    try:
        _run([*FFMPEG, "-f", "concat", "-safe", "0", "-i", str(listing), "-vf", f"{_scale_filter(resolution)},"
              f"fps={fps}", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-movflags",
              "+faststart", *ONE_THREAD, "-f", "mp4", str(partial)])
        _run([*FFMPEG, "-i", str(frames[len(frames) // 2]), "-frames:v", "1", "-vf", f"scale={THUMB_WIDTH}:-2",
              "-q:v", "4", "-f", "image2", str(thumb_partial)])
        os.replace(thumb_partial, thumb)
        os.replace(partial, output)
    finally:
        for leftover in (listing, partial, thumb_partial):
            leftover.unlink(missing_ok=True)


class Timelapse:
    """A service of the appliance: captures on its own thread, stitches on a short-lived one."""

    def __init__(
        self,
        settings: SettingsStore,
        paths: DataPaths,
        recorder: Recorder,
        bus: EventBus,
        clock: Clock,
        on_video: Callable[[Path], None] = lambda _path: None,
        tick: float = 1.0,
    ) -> None:
        self._settings = settings
        self._paths = paths
        self._recorder = recorder
        self._bus = bus
        self._clock = clock
        self._on_video = on_video
        self.frames_dir = paths.timelapse / "frames"
        self._lock = threading.Lock()
        self._stitch_lock = threading.Lock()
        self._worker = PeriodicWorker("timelapse", self.step, tick)
        self._stitcher: threading.Thread | None = None
        self._stitch_again = False
        self._day = day_of(clock.time())
        self.today_frame_count = 0
        self.last_capture: float | None = None
        self.last_error: str | None = None
        self.stitching: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self.frames_dir.mkdir(parents=True, exist_ok=True)
        self._load_day(day_of(self._clock.time()))
        self._worker.start()
        self.stitch_soon()

    def stop(self) -> None:
        self._worker.stop()
        stitcher = self._stitcher
        if stitcher is not None:
            stitcher.join(timeout=30)

    def _load_day(self, day: str) -> None:
        """The day's count and last capture, from its frames on disk (so a restart loses neither)."""
        frames = self.frames_of(day)
        self._day = day
        self.today_frame_count = len(frames)
        self.last_capture = None
        if frames:
            with contextlib.suppress(ValueError):  # a file named by hand: capture as if none were there
                self.last_capture = time.mktime(time.strptime(day + frames[-1].stem, "%Y%m%d%H%M%S"))

    def frames_of(self, day: str) -> list[Path]:
        return sorted((self.frames_dir / day).glob("[0-9]*.jpg"))

    # -- capture -----------------------------------------------------------------------------

    def step(self) -> None:
        """Roll the day over if it changed, then capture a frame if one is due."""
        with self._lock:
            now = self._clock.time()
            if day_of(now) != self._day:
                yesterday_last = self.last_capture
                self._load_day(day_of(now))
                # The interval runs on across midnight.
                self.last_capture = self.last_capture or yesterday_last
                self.stitch_soon()
            config = self._settings.get().Timelapse
            due = self.last_capture is None or now - self.last_capture >= config.interval_minutes * 60
            if config.enabled and due:
                self._capture(now)

    def _capture(self, now: float) -> None:
        camera = self._recorder.camera_settings(None).name
        recorder = self._recorder.cameras.get(camera)
        frame = recorder.latest_frame() if recorder else None
        if frame is None:
            self.last_error = f"no recent frame from camera {camera!r}"
            return
        target = self.frames_dir / self._day / f"{time.strftime('%H%M%S', time.localtime(now))}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = not target.exists()
        write_atomic(target, frame)
        self.today_frame_count += int(fresh)
        self.last_capture = now
        self.last_error = None

    # -- stitching ---------------------------------------------------------------------------

    def unstitched_days(self) -> list[str]:
        """Days before today that still have frames, oldest first."""
        try:
            days = sorted(entry.name for entry in os.scandir(self.frames_dir) if entry.is_dir())
        except OSError:
            return []
        return [day for day in days if day < self._day and day.isdigit()]

    def stitch_soon(self) -> None:
        """Stitch every unstitched earlier day on a background thread (one at a time)."""
        with self._stitch_lock:
            if self._stitcher is not None and self._stitcher.is_alive():
                self._stitch_again = True
                return
            self._stitcher = threading.Thread(target=self._stitch_all, name="timelapse-stitch", daemon=True)
            self._stitcher.start()

    def _stitch_all(self) -> None:
        while True:
            for day in self.unstitched_days():
                if self._worker.stopping:
                    return
                try:
                    self.stitch_day(day)
                except Exception as exc:
                    log.error("timelapse of %s failed: %s", day, exc)
                    self.last_error = f"stitching {day}: {exc}"
            with self._stitch_lock:
                if not self._stitch_again:
                    self._stitcher = None
                    return
                self._stitch_again = False

    def stitch_day(self, day: str) -> Path | None:
        """Make ``timelapse_<day>.mp4`` from the day's frames, then delete the frames."""
        frames = self.frames_of(day)
        output = self._paths.timelapse / video_name(day)
        if frames and not output.exists():
            config = self._settings.get().Timelapse
            self.stitching = day
            begun = time.monotonic()
            try:
                stitch(frames, output, config.fps, config.resolution)
            finally:
                self.stitching = None
            log.info("timelapse %s: %d frames in %.1f s", output.name, len(frames), time.monotonic() - begun)
            self._on_video(output)
            self._bus.publish(ARCHIVE_UPDATED, {"type": "timelapse", "path": str(output), "frames": len(frames)})
        shutil.rmtree(self.frames_dir / day, ignore_errors=True)
        return output if output.exists() else None

    def status(self) -> dict[str, Any]:
        config: TimelapseSettings = self._settings.get().Timelapse
        last = self.last_capture
        return {
            **config.model_dump(),
            "today_frame_count": self.today_frame_count,
            "last_capture": None if last is None else iso(last),
            "stitching": self.stitching,
            "error": self.last_error,
        }
