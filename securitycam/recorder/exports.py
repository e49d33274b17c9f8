"""Exports: a time range of one camera's recordings made into one MP4 in ``exports/``, in the background.

An export is asked for (``POST /api/export/<camera>/start/<s>/end/<e>``), gets a row at once
(Frigate's ``Export``: id, camera, name, date, video_path, thumb_path, in_progress) and waits in a
queue; one worker thread makes them one at a time, ffmpeg run under ``nice`` so recording never
waits for it:

- ``realtime``: the segments joined with stream copy (ffmpeg's concat demuxer, in and out points
  at the range's ends), no re-encode;
- ``timelapse_25x``: re-encoded 25 times faster (``setpts=0.04*PTS``, 30 frames a second).

ffmpeg writes a hidden ``.<name>.partial.mp4`` that is renamed into place with its
``.thumb.jpg`` sidecar when complete, then handed to the storage janitor (kind ``exports``).
``progress`` (0-1) comes from ffmpeg's ``-progress`` output. One that would not fit below the storage
limit is refused (507) rather than made at the cost of older footage. An export still queued or running
when the appliance stopped (or lost power) is made again at the next start; deleting one that is
queued or running cancels it. A row whose file the janitor deleted is dropped from the list.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import shutil
import string
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from securitycam.paths import DataPaths
from securitycam.recorder import clips
from securitycam.recorder.clips import FFMPEG
from securitycam.recorder.process import start_job
from securitycam.recorder.ranges import concat_input, concat_script
from securitycam.recorder.recordings import RecordingStore
from securitycam.store.db import Database, register_schema

log = logging.getLogger(__name__)

REALTIME, TIMELAPSE = "realtime", "timelapse_25x"
PLAYBACK = (REALTIME, TIMELAPSE)
TIMELAPSE_SPEED = 25
TIMELAPSE_ARGS = ["-vf", f"setpts={1 / TIMELAPSE_SPEED}*PTS", "-r", "30", "-c:v", "libx264", "-preset", "veryfast",
                  "-crf", "26", "-pix_fmt", "yuv420p"]
# Where Frigate keeps exports, as clients are told (served at /exports/<file>).
FRIGATE_EXPORTS = "/media/frigate/exports/"
# Exports waiting at once; more are refused (one at a time is all a Pi's card and CPU should do).
MAX_QUEUED = 20

register_schema(
    "exports",
    [
        """
        CREATE TABLE exports (
            id TEXT PRIMARY KEY,
            camera TEXT NOT NULL,
            name TEXT NOT NULL,
            date REAL NOT NULL,
            video_path TEXT NOT NULL UNIQUE,
            thumb_path TEXT NOT NULL DEFAULT '',
            in_progress INTEGER NOT NULL DEFAULT 1,
            start_time REAL NOT NULL,
            end_time REAL NOT NULL,
            playback TEXT NOT NULL,
            error TEXT
        );
        CREATE INDEX exports_date ON exports (date);
        """
    ],
)


class ExportError(Exception):
    """An export that cannot be made or changed; ``status`` is the HTTP status that fits."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Export:
    id: str
    camera: str
    name: str
    date: float
    video_path: str
    thumb_path: str
    in_progress: bool
    start_time: float
    end_time: float
    playback: str
    error: str | None

    def to_frigate(self, progress: float | None = None) -> dict:
        """Frigate's fields, plus the range, the playback, ``progress`` while in progress and an ``error``.

        The files are named where Frigate keeps them (:data:`FRIGATE_EXPORTS`): its web UI links
        ``exports/<file>`` by dropping ``/media/frigate/``, and a client learns no path of this machine.
        """
        return {"id": self.id, "camera": self.camera, "name": self.name, "date": self.date,
                "video_path": FRIGATE_EXPORTS + Path(self.video_path).name,
                "thumb_path": FRIGATE_EXPORTS + Path(self.thumb_path).name if self.thumb_path else "",
                "in_progress": self.in_progress,
                "start_time": self.start_time, "end_time": self.end_time, "playback": self.playback,
                "progress": 1.0 if not self.in_progress else (progress or 0.0), "error": self.error}


def _export(row) -> Export:  # type: ignore[no-untyped-def]
    return Export(row["id"], row["camera"], row["name"], row["date"], row["video_path"], row["thumb_path"],
                  bool(row["in_progress"]), row["start_time"], row["end_time"], row["playback"], row["error"])


class Exporter:
    """The exports table and the worker that makes them; a service of the appliance."""

    def __init__(self, db: Database, paths: DataPaths, recordings: RecordingStore,
                 on_file: Callable[[Path], None] = lambda _path: None,
                 delete_file: Callable[[Path], None] | None = None,
                 room: Callable[[], int] | None = None) -> None:
        self._db = db
        self._directory = paths.exports
        self._recordings = recordings
        self._on_file = on_file
        self._delete_file = delete_file or (lambda path: path.unlink(missing_ok=True))
        self._room = room
        self._queue: queue.Queue[str] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._current: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._cancelled: set[str] = set()
        self._progress: dict[str, float] = {}

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        for export in self.list(include_missing=True):
            if export.in_progress:
                # Queued or running when the appliance stopped: made again from the start.
                self._queue.put(export.id)
        self._thread = threading.Thread(target=self._run, name="exporter", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put("")
        self._kill()
        if self._thread is not None:
            self._thread.join(timeout=30)

    # -- the API's side ------------------------------------------------------------------------------

    def create(self, camera: str, start: float, end: float, playback: str = REALTIME, name: str | None = None,
               thumbnail: Path | None = None) -> Export:
        if playback not in PLAYBACK:
            raise ExportError(400, f"playback: must be one of {', '.join(PLAYBACK)}")
        footage = self._recordings.overlapping(camera, start, end)
        if not footage:
            raise ExportError(400, "No recordings found for time range")
        # Room for it below the storage limit, or the janitor would make room by deleting footage
        # (perhaps this very footage) to fit it.
        needed = sum(item.size for item in footage) // (TIMELAPSE_SPEED if playback == TIMELAPSE else 1)
        room = self._room() if self._room is not None else needed
        if needed > room:
            raise ExportError(507, f"not enough space for this export (about {needed / 1e6:.0f} MB; "
                                   f"{max(0, room) / 1e6:.0f} MB left below the storage limit)")
        if self._queue.qsize() >= MAX_QUEUED:
            raise ExportError(429, f"{MAX_QUEUED} exports are already waiting; try again when they are done")
        suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
        export_id = f"{camera}_{suffix}"
        stem = f"{camera}_{_stamp(start)}-{_stamp(end)}_{suffix}"
        video = self._directory / f"{stem}.mp4"
        thumb = clips.sidecar(video, ".thumb.jpg")
        if thumbnail is not None:
            shutil.copyfile(thumbnail, thumb)
        default_name = f"{camera.replace('_', ' ')} {_readable(start)} {_readable(end)}"
        with self._db.transaction() as tx:
            row = tx.execute(
                "INSERT INTO exports (id, camera, name, date, video_path, thumb_path, start_time, end_time, playback) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (export_id, camera, name or default_name, start, str(video), str(thumb), start, end, playback),
            ).fetchone()
        self._queue.put(export_id)
        return _export(row)

    def list(self, include_missing: bool = False) -> list[Export]:
        """Newest footage first; a finished export whose file is gone (the janitor made room) is forgotten."""
        exports = [_export(row) for row in self._db.query("SELECT * FROM exports ORDER BY date DESC")]
        if include_missing:
            return exports
        gone = [e for e in exports if not e.in_progress and not e.error and not Path(e.video_path).exists()]
        if gone:
            with self._db.transaction() as tx:
                tx.executemany("DELETE FROM exports WHERE id = ?", [(e.id,) for e in gone])
        return [e for e in exports if e not in gone]

    def get(self, export_id: str) -> Export | None:
        row = self._db.query_one("SELECT * FROM exports WHERE id = ?", (export_id,))
        return _export(row) if row else None

    def progress(self, export_id: str) -> float:
        return self._progress.get(export_id, 0.0)

    def rename(self, export_id: str, name: str) -> Export:
        with self._db.transaction() as tx:
            row = tx.execute("UPDATE exports SET name = ? WHERE id = ? RETURNING *", (name, export_id)).fetchone()
        if row is None:
            raise ExportError(404, "Export not found.")
        return _export(row)

    def delete(self, export_id: str) -> None:
        """Delete an export and its file; one queued or being made is cancelled."""
        export = self.get(export_id)
        if export is None:
            raise ExportError(404, "Export not found.")
        with self._lock:
            self._cancelled.add(export_id)
            running = self._current == export_id
        if running:
            self._kill()
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM exports WHERE id = ?", (export_id,))
        self._delete_file(Path(export.video_path))
        Path(export.thumb_path).unlink(missing_ok=True)

    # -- the worker -------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            export_id = self._queue.get()
            if not export_id or self._stopping.is_set():
                continue
            with self._lock:
                if export_id in self._cancelled:
                    continue
                self._current = export_id
            try:
                export = self.get(export_id)
                if export is not None and export.in_progress:
                    self._make(export)
            except Exception:
                log.exception("export %s failed", export_id)
                self._finish(export_id, "internal error")
            finally:
                with self._lock:
                    self._current = None
                    self._process = None
                self._progress.pop(export_id, None)

    def _make(self, export: Export) -> None:
        begun = time.monotonic()
        video = Path(export.video_path)
        partial = video.with_name(f".{video.stem}.partial.mp4")
        script = video.with_name(f".{video.stem}.concat.txt")
        footage = self._recordings.overlapping(export.camera, export.start_time, export.end_time)
        if not footage:
            self._finish(export.id, "No recordings found for time range")
            return
        script.write_text(concat_script(footage, export.start_time, export.end_time))
        seconds = min(export.end_time, footage[-1].end_time) - max(export.start_time, footage[0].start_time)
        if export.playback == TIMELAPSE:
            seconds /= TIMELAPSE_SPEED
            encode = TIMELAPSE_ARGS
        else:
            encode = ["-c", "copy"]
        title = f"{export.camera}, {_readable(export.start_time)} - {_readable(export.end_time)}"
        command = [*clips.niced(), *FFMPEG, *concat_input(str(script)), "-map", "0:v", *encode,
                   "-movflags", "+faststart", "-metadata", f"title={title}", "-progress", "pipe:1", "-nostats",
                   "-f", "mp4", str(partial)]
        try:
            error = self._ffmpeg(export.id, command, max(seconds, 0.001))
            if export.id in self._cancelled or self._stopping.is_set():
                return
            if error is not None:
                log.error("export %s: ffmpeg failed: %s", export.id, error)
                self._finish(export.id, error)
                return
            thumb = Path(export.thumb_path)
            if not thumb.exists():
                with contextlib.suppress(clips.ClipError):
                    clips.thumbnail(partial, thumb, 0.0)
            partial.replace(video)
        finally:
            script.unlink(missing_ok=True)
            partial.unlink(missing_ok=True)
        self._finish(export.id, None)
        self._on_file(video)
        log.info("export %s (%s, %.0f s of footage) made in %.1f s", export.id, export.playback,
                 export.end_time - export.start_time, time.monotonic() - begun)

    def _ffmpeg(self, export_id: str, command: list[str], seconds: float) -> str | None:
        """Run ffmpeg, following its progress; ``None`` on success, else the end of what it said."""
        with self._lock:
            if export_id in self._cancelled:
                return "cancelled"
            # This worker thread waits for it: the death signal's parent (see recorder.process).
            process = start_job(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self._process = process
        assert process.stdout is not None and process.stderr is not None
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if key == "out_time_us" and value.lstrip("-").isdigit():
                self._progress[export_id] = min(0.99, max(0.0, int(value) / 1e6 / seconds))
        stderr = process.stderr.read()
        if process.wait() != 0:
            return stderr.strip()[-500:] or f"ffmpeg exited with {process.returncode}"
        return None

    def _finish(self, export_id: str, error: str | None) -> None:
        with self._db.transaction() as tx:
            tx.execute("UPDATE exports SET in_progress = 0, error = ? WHERE id = ?", (error, export_id))

    def _kill(self) -> None:
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()


def _stamp(epoch: float) -> str:
    return time.strftime("%Y%m%d_%H%M%S", time.localtime(epoch))


def _readable(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))
