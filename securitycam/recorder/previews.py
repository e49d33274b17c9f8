"""Previews: small, low-frame-rate videos and pictures of the kept recordings, made on demand.

Frigate keeps an hourly preview MP4 per camera (180 pixels tall, a frame every second or so) that
its web app scrubs, and builds GIFs and short MP4s of a review item or an event from it. Here a
preview is made from the kept segments only when a client first asks for it, then cached under
``clips/previews/`` (Frigate's ``/clips/previews/<camera>/<start>-<end>.mp4`` paths):

- **Hourly previews** (:meth:`Previews.listing`, :meth:`Previews.hour_file`): one per camera and
  UTC hour that has ended and has footage, named after its footage's first and last moment. Only
  keyframes are decoded (``-skip_frame nokey``: a segment starts with one, so about one frame a
  segment, the cost of reading the hour's files once), scaled to 180 pixels and encoded as a
  variable-frame-rate H.264 whose timeline is the hour's: each segment is placed at its real
  offset (the concat demuxer's ``duration``), so Frigate's player seeks to ``time - start``. When
  the hour's footage changes (segments kept late, retention deleted some), its name changes and
  the next request makes it again.
- **Animations** (:meth:`Previews.range_animation`, :meth:`Previews.clip_animation`): a GIF or MP4
  of a time range (a review item ±8 s, as Frigate) or of an event's clip. A range of at most
  :data:`FULL_DECODE_SECONDS` is decoded whole at :data:`ANIMATION_FPS`; a longer one as
  keyframes only, sped up as Frigate's (``setpts=0.12*PTS``).
- **Frames** (:meth:`Previews.frame_names`, :meth:`Previews.frame`): Frigate's
  ``preview_<camera>-<time>.webp`` names, one per kept segment, each picture taken from its
  segment when asked for.

CPU is bounded: one ffmpeg at a time for all of these (a request waits up to
:data:`SLOT_WAIT_SECONDS` for it, then gets :class:`PreviewBusy`), run under ``nice`` with one
thread. Disk too: at most :data:`MAX_ANIMATIONS` animations are kept per camera. Files are
written to a hidden ``.partial`` name and renamed into place. The storage janitor counts them
(:meth:`Previews.totals`), deletes what no longer matches the footage or is older than
:data:`ANIMATION_KEEP_SECONDS` (:meth:`Previews.expire`), and deletes all of them first when space
runs short (:meth:`Previews.clear`): they are made again on demand.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from securitycam.imaging import conversion_slot, encode, open_jpeg
from securitycam.paths import DataPaths, PathRefused, resolve_inside
from securitycam.recorder.clips import FFMPEG, niced
from securitycam.recorder.process import run_job
from securitycam.recorder.ranges import concat_input, concat_script, frame_at
from securitycam.recorder.recordings import Recording, RecordingStore
from securitycam.store.db import Database

HOUR = 3600.0
PREVIEW_HEIGHT = 180
FULL_DECODE_SECONDS = 30.0
ANIMATION_FPS = 5
# Frigate's speed-up of a preview made into a GIF or MP4.
SPEEDUP = 0.12
SLOT_WAIT_SECONDS = 20.0
FFMPEG_TIMEOUT = 600.0
ANIMATION_KEEP_SECONDS = 86400.0
# A range whose end is this long past is complete: its cached animation is served again.
SETTLED_SECONDS = 60.0
FORMATS = ("gif", "mp4")
_HOUR_NAME = re.compile(r"^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\.mp4$")
_FRAME_NAME = re.compile(r"^preview_(.+)-(\d+(?:\.\d+)?)\.(webp|jpg)$")
_SCALE = f"scale=-2:'min({PREVIEW_HEIGHT},ih)'"
# Niced, one decoding thread and one filter thread: a preview never competes with the recording.
_FFMPEG = [*niced(), *FFMPEG, "-threads", "1", "-filter_threads", "1"]
# Animations kept per camera (a client asking for ever new ranges cannot fill the disk with them).
MAX_ANIMATIONS = 200
_ENCODE_MP4 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p", "-threads", "1",
               "-movflags", "+faststart", "-f", "mp4"]


class PreviewError(Exception):
    """A preview that cannot be had; ``status`` is the HTTP status that fits."""

    status = 500


class PreviewNotFound(PreviewError):
    status = 404


class PreviewBusy(PreviewError):
    status = 503


@dataclass(frozen=True)
class Preview:
    """One camera's hourly preview: the footage of a UTC hour, from its first to its last moment."""

    camera: str
    start: float
    end: float

    @property
    def name(self) -> str:
        return f"{self.start}-{self.end}.mp4"

    def to_frigate(self) -> dict:
        return {"camera": self.camera, "src": f"/clips/previews/{self.camera}/{self.name}", "type": "video/mp4",
                "start": self.start, "end": self.end}


def frame_name(camera: str, moment: float) -> str:
    return f"preview_{camera}-{moment}.webp"


def parse_frame_name(name: str) -> tuple[str, float] | None:
    """``preview_<camera>-<time>.webp`` (or ``.jpg``) -> ``(camera, time)``."""
    match = _FRAME_NAME.match(name)
    return (match.group(1), float(match.group(2))) if match else None


class Previews:
    """The preview cache of a data directory; a part of the appliance, used by the API and the janitor."""

    def __init__(self, db: Database, paths: DataPaths, recordings: RecordingStore) -> None:
        self._db = db
        self._recordings = recordings
        self.root = paths.clips / "previews"
        self._slot = threading.Lock()

    # -- hourly previews ---------------------------------------------------------------------------

    def listing(self, cameras: list[str], start: float, end: float, now: float) -> list[Preview]:
        """The hourly previews of ``cameras`` overlapping ``[start, end]``, of hours that have ended,
        oldest first (one indexed range query per camera)."""
        first_hour = math.floor(start / HOUR) * HOUR
        last_hour = min(math.floor(end / HOUR) * HOUR + HOUR, math.floor(now / HOUR) * HOUR)
        found = []
        for camera in cameras:
            for first, last in self._db.execute(
                "SELECT min(start_time), max(end_time) FROM recordings "
                "WHERE camera = ? AND start_time >= ? AND start_time < ? GROUP BY CAST(start_time / 3600 AS INTEGER)",
                (camera, first_hour, last_hour),
            ):
                if first <= end and last >= start:
                    found.append(Preview(camera, first, last))
        return sorted(found, key=lambda preview: (preview.start, preview.camera))

    def hour_of(self, camera: str, moment: float) -> Preview | None:
        """The preview of the UTC hour holding ``moment`` as the footage now is."""
        hour = math.floor(moment / HOUR) * HOUR
        row = self._db.query_one(
            "SELECT min(start_time) AS first, max(end_time) AS last FROM recordings "
            "WHERE camera = ? AND start_time >= ? AND start_time < ?", (camera, hour, hour + HOUR))
        return Preview(camera, row["first"], row["last"]) if row and row["first"] is not None else None

    def hour_file(self, camera: str, name: str, now: float) -> Path:
        """The file of the hourly preview ``name`` (as :meth:`listing` gave it), made if missing."""
        match = _HOUR_NAME.match(name)
        if match is None:
            raise PreviewNotFound(f"no preview {name!r}")
        wanted = Preview(camera, float(match.group(1)), float(match.group(2)))
        current = self.hour_of(camera, wanted.start)
        if current != wanted or math.floor(wanted.start / HOUR) * HOUR + HOUR > now:
            raise PreviewNotFound(f"no preview {name!r} (the footage of that hour is not that, or not complete)")
        path = self._path(camera, name)
        if path.is_file():
            return path
        with self._turn():
            if path.is_file():  # made while this request waited
                return path
            rows = [row for row in self._recordings.overlapping(camera, wanted.start, wanted.end)
                    if row.start_time >= wanted.start]
            self._run(self._hour_command(rows), _placed(rows), path)
        for other in self._hour_files(camera):
            if other != path and math.floor(_hour_start(other) / HOUR) == math.floor(wanted.start / HOUR):
                other.unlink(missing_ok=True)
        return path

    @staticmethod
    def _hour_command(rows: list[Recording]) -> list[str]:
        return [*_FFMPEG, "-skip_frame", "nokey", *concat_input("pipe:0"), "-map", "0:v", "-vf", _SCALE,
                "-fps_mode", "vfr", "-g", "40", "-bf", "0", *_ENCODE_MP4]

    # -- animations ----------------------------------------------------------------------------------

    def range_animation(self, camera: str, start: float, end: float, fmt: str, now: float) -> Path:
        """A GIF or MP4 of ``camera``'s footage in ``[start, end]``."""
        rows = self._recordings.overlapping(camera, start, end)
        if not rows:
            raise PreviewNotFound("Preview not found")
        path = self._path(camera, f"range/{start}-{end}.{fmt}")
        whole = end - start <= FULL_DECODE_SECONDS
        filters = f"fps={ANIMATION_FPS},{_SCALE}" if whole else f"setpts={SPEEDUP}*PTS,{_SCALE}"
        command = [*_FFMPEG, *([] if whole else ["-skip_frame", "nokey"]), *concat_input("pipe:0"),
                   *_animation_output(filters, fmt, variable=not whole)]
        return self._cached(path, end < now - SETTLED_SECONDS, command, concat_script(rows, start, end))

    def clip_animation(self, camera: str, clip: Path, seconds: float, fmt: str) -> Path:
        """A GIF or MP4 of the first ``seconds`` of a clip (a clip never changes: made once)."""
        path = self._path(camera, f"clip/{clip.stem}-{seconds:g}.{fmt}")
        command = [*_FFMPEG, "-t", f"{seconds:g}", "-i", os.fspath(clip),
                   *_animation_output(f"fps={ANIMATION_FPS},{_SCALE}", fmt, variable=False)]
        return self._cached(path, True, command, "")

    def _cached(self, path: Path, settled: bool, command: list[str], script: str) -> Path:
        if settled and path.is_file():
            return path
        with self._turn():
            if not (settled and path.is_file()):
                self._run(command, script, path)
                _keep_newest(path.parent, MAX_ANIMATIONS, path)
        return path

    # -- frames --------------------------------------------------------------------------------------

    def frame_names(self, camera: str, start: float, end: float) -> list[str]:
        """One ``preview_<camera>-<time>.webp`` per kept segment starting in ``[start, end]``, oldest first."""
        return [frame_name(camera, moment) for (moment,) in self._db.execute(
            "SELECT start_time FROM recordings WHERE camera = ? AND start_time >= ? AND start_time <= ? "
            "ORDER BY start_time", (camera, start, end))]

    def frame(self, camera: str, moment: float, image_format: str) -> bytes:
        """The picture at ``moment``, 180 pixels tall, as ``jpeg`` or ``webp``."""
        recording = self._recordings.at(camera, moment)
        if recording is None:
            raise PreviewNotFound("Image file not found")
        with self._turn():
            data = frame_at(recording, moment, "jpeg", PREVIEW_HEIGHT)
        if data is None:
            raise PreviewNotFound("Image file not found")
        if image_format == "jpeg":
            return data
        with conversion_slot():
            return encode(open_jpeg(data), "WEBP")

    # -- the janitor's side ----------------------------------------------------------------------------

    def files(self) -> Iterator[Path]:
        for directory, _dirs, names in os.walk(self.root):
            for name in names:
                yield Path(directory, name)

    def totals(self) -> dict[str, int]:
        sizes = [path.stat().st_size for path in self.files() if path.is_file()]
        return {"bytes": sum(sizes), "files": len(sizes)}

    def expire(self, now: float) -> int:
        """Delete hourly previews that no longer match their hour's footage, animations older than
        :data:`ANIMATION_KEEP_SECONDS` and leftovers of interrupted runs; the bytes freed."""
        freed = 0
        for path in list(self.files()):
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.parent.parent == self.root and _HOUR_NAME.match(path.name):
                stale = self.hour_of(path.parent.name, _hour_start(path)) != Preview(
                    path.parent.name, *map(float, _HOUR_NAME.match(path.name).groups()))  # type: ignore[union-attr]
            else:
                stale = stat.st_mtime < now - ANIMATION_KEEP_SECONDS
            if stale:
                path.unlink(missing_ok=True)
                freed += stat.st_size
        return freed

    def clear(self) -> int:
        """Delete every preview (space is short; they are made again on demand); the bytes freed."""
        freed = 0
        for path in list(self.files()):
            try:
                freed += path.stat().st_size
                path.unlink()
            except OSError:
                continue
        return freed

    # -- running ffmpeg ------------------------------------------------------------------------------------

    def _turn(self) -> _Turn:
        # The wait and ffmpeg take seconds: a request thread's pooled database connection goes back
        # for other requests meanwhile (its next use borrows one again).
        self._db.release()
        return _Turn(self._slot)

    def _path(self, camera: str, name: str) -> Path:
        try:
            return resolve_inside(self.root, f"{camera}/{name}")
        except PathRefused as exc:
            raise PreviewNotFound(f"no preview {name!r}") from exc

    def _hour_files(self, camera: str) -> list[Path]:
        directory = self.root / camera
        return [path for path in directory.glob("*.mp4") if _HOUR_NAME.match(path.name)] if directory.is_dir() else []

    @staticmethod
    def _run(command: list[str], script: str, path: Path) -> None:
        """Run ``command`` writing to a hidden partial file, then rename it to ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        try:
            done = run_job([*command, os.fspath(partial)], input=script.encode(), capture_output=True,
                           timeout=FFMPEG_TIMEOUT, check=False)
            if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
                raise PreviewError("making the preview failed: " + done.stderr.decode(errors="replace")[-300:])
            partial.replace(path)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PreviewError(f"making the preview failed: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)


class _Turn:
    """The one ffmpeg slot, waited for at most :data:`SLOT_WAIT_SECONDS`."""

    def __init__(self, slot: threading.Lock) -> None:
        self._slot = slot

    def __enter__(self) -> None:
        if not self._slot.acquire(timeout=SLOT_WAIT_SECONDS):
            raise PreviewBusy("busy making another preview; try again shortly")

    def __exit__(self, *_exc: object) -> None:
        self._slot.release()


def _animation_output(filters: str, fmt: str, variable: bool) -> list[str]:
    timing = ["-fps_mode", "vfr"] if variable else []
    if fmt == "gif":
        palette = f"{filters},split[a][b];[a]palettegen=max_colors=64:stats_mode=diff[p];[b][p]paletteuse"
        return ["-filter_complex", f"[0:v]{palette}", *timing, "-loop", "0", "-f", "gif"]
    return ["-map", "0:v", "-vf", filters, *timing, *_ENCODE_MP4]


def _keep_newest(directory: Path, count: int, keep: Path) -> None:
    """Delete all but the ``count`` most recently made files of ``directory`` (never ``keep``)."""
    try:
        with os.scandir(directory) as entries:
            made = sorted(((entry.stat().st_mtime, entry.path) for entry in entries if entry.is_file()), reverse=True)
    except OSError:
        return
    for _mtime, name in made[count:]:
        if name != os.fspath(keep):
            Path(name).unlink(missing_ok=True)


def _placed(rows: list[Recording]) -> str:
    """The concat script of whole segments, each placed at its real offset from the first (gaps kept)."""
    lines = ["ffconcat version 1.0"]
    for row, following in zip(rows, [*rows[1:], None], strict=True):
        quoted = os.fspath(row.path).replace("'", "'\\''")
        lines.append(f"file 'file:{quoted}'")
        lines.append(f"duration {(following.start_time - row.start_time) if following else row.duration:.3f}")
    return "\n".join(lines) + "\n"


def _hour_start(path: Path) -> float:
    match = _HOUR_NAME.match(path.name)
    return float(match.group(1)) if match else 0.0
