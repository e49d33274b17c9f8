"""Raw frames from the recorder's own ffmpeg, through a named pipe, to detection.

The camera's one ffmpeg writes a third output when detection is on: raw ``yuv420p`` frames at
the detect size and rate into a FIFO in the camera's cache directory. YUV 4:2:0 is what the
decoder produces anyway (no conversion in ffmpeg), its first ``width×height`` bytes are the grey
picture motion detection needs, and the colour conversion is done only for frames the object
detector looks at.

A :class:`FramePipe` thread keeps the FIFO's read end open and drains it as fast as ffmpeg writes,
so a slow detector can never make ffmpeg block on the pipe and stall the recording: each whole
frame replaces the previous one in a one-frame slot (:meth:`FramePipe.next_frame`), and frames nobody
took are counted as skipped. The read end is non-blocking and polled with a timeout, so a stalled
ffmpeg never wedges the thread (it notices :meth:`stop` within ``poll_seconds``); when ffmpeg exits
(end of file) the half frame it left is dropped and the FIFO is opened again for the next run.

Frame times: ffmpeg's ``fps`` filter puts frame ``n`` of a run at stream time ``n / fps``. The
recorder knows the stream-to-wall-clock offset of its segments (``offset()``); before its first
segment of a run closes, the offset is estimated the same way, as the smallest ``arrival − n/fps``.
"""

from __future__ import annotations

import logging
import os
import select
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)


@dataclass
class Frame:
    """One decoded frame: ``yuv`` is the ``(height * 3 // 2, width)`` I420 buffer."""

    camera: str
    number: int
    time: float
    yuv: np.ndarray

    @property
    def gray(self) -> np.ndarray:
        return self.yuv[: self.yuv.shape[0] * 2 // 3]

    @property
    def height(self) -> int:
        return self.yuv.shape[0] * 2 // 3

    @property
    def width(self) -> int:
        return self.yuv.shape[1]

    def bgr(self) -> np.ndarray:
        import cv2

        return cv2.cvtColor(self.yuv, cv2.COLOR_YUV2BGR_I420)


def frame_output_args(fifo: Path, width: int, height: int, fps: float) -> list[str]:
    """ffmpeg output arguments (after ``-map``) for raw detect-size frames into ``fifo``."""
    return ["-vf", frame_filter(width, height, fps), *frame_sink_args(fifo)]


def frame_filter(width: int, height: int, fps: float) -> str:
    """The filter that makes detect-size frames at the detect rate."""
    return f"fps={fps:g},scale={width}:{height}"


def frame_sink_args(fifo: Path) -> list[str]:
    """ffmpeg output arguments for already filtered raw frames into ``fifo``."""
    return ["-pix_fmt", "yuv420p", "-f", "rawvideo", str(fifo)]


def make_fifo(path: Path) -> None:
    """A FIFO at ``path`` (replacing anything else there: a file would fill the disk)."""
    try:
        if stat.S_ISFIFO(path.stat().st_mode):
            return
        path.unlink()
    except FileNotFoundError:
        pass
    os.mkfifo(path, 0o600)


class FramePipe:
    """Drain one camera's frame FIFO; keep the newest whole frame for the detection thread."""

    def __init__(
        self,
        camera: str,
        fifo: Path,
        width: int,
        height: int,
        fps: float,
        *,
        clock: Callable[[], float],
        offset: Callable[[], float | None] = lambda: None,
        poll_seconds: float = 0.5,
    ) -> None:
        self.camera = camera
        self.fifo = fifo
        self.width, self.height, self.fps = width, height, fps
        self.frame_bytes = width * height * 3 // 2
        self._clock = clock
        self._offset = offset
        self._poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Condition()
        self._latest: Frame | None = None
        self._arrival_offset: float | None = None
        self._last_time: float | None = None
        self.frames = 0
        self.skipped = 0
        self.runs = 0
        self.last_frame_at: float | None = None

    def start(self) -> None:
        make_fifo(self.fifo)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"frames-{self.camera}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread:
            self._thread.join(timeout=self._poll_seconds * 4 + 1)

    def next_frame(self, timeout: float) -> Frame | None:
        """The newest frame not taken yet, waiting up to ``timeout`` seconds for one; or None."""
        with self._ready:
            if self._latest is None:
                self._ready.wait(timeout)
            frame, self._latest = self._latest, None
            return frame

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                fd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
            except OSError as exc:
                log.error("%s: cannot open frame pipe %s: %s", self.camera, self.fifo, exc)
                self._stopping.wait(self._poll_seconds)
                continue
            try:
                self._read_run(fd)
            except OSError as exc:
                # Never give up: a reader that stopped would leave the next ffmpeg blocked opening the FIFO.
                log.error("%s: reading frames failed: %s", self.camera, exc)
                self._stopping.wait(self._poll_seconds)
            finally:
                os.close(fd)

    def _read_run(self, fd: int) -> None:
        """Read one ffmpeg run's frames until it closes the pipe (or we stop)."""
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP)
        buffer = bytearray(self.frame_bytes)
        view = memoryview(buffer)
        filled = number = 0
        self._arrival_offset = None
        started = False
        while not self._stopping.is_set():
            if not poller.poll(self._poll_seconds * 1000):
                continue
            try:
                count = os.readv(fd, [view[filled:]])
            except (BlockingIOError, InterruptedError):
                continue
            if count == 0:
                # Every writer closed the pipe: this ffmpeg run is over (a half frame is dropped).
                if started:
                    log.info("%s: frame pipe closed after %d frames", self.camera, number)
                return
            if not started:
                started = True
                self.runs += 1
            filled += count
            if filled == self.frame_bytes:
                self._deliver(number, bytes(buffer))
                number += 1
                filled = 0

    def _deliver(self, number: int, data: bytes) -> None:
        # Imported with the first frame: the recorder imports this module, and an appliance with no
        # camera detecting never loads numpy (~15 MB).
        import numpy as np

        now = self._clock()
        stream_time = number / self.fps
        arrival = now - stream_time
        self._arrival_offset = arrival if self._arrival_offset is None else min(self._arrival_offset, arrival)
        offset = self._offset()
        wall = min(now, stream_time + (offset if offset is not None else self._arrival_offset))
        # The offset estimate only shrinks during a run; frame times must still only go forward.
        if self._last_time is not None:
            wall = max(wall, self._last_time)
        self._last_time = wall
        yuv = np.frombuffer(data, dtype=np.uint8).reshape(self.height * 3 // 2, self.width)
        frame = Frame(self.camera, number, wall, yuv)
        with self._ready:
            if self._latest is not None:
                self.skipped += 1
            self._latest = frame
            self.frames += 1
            self.last_frame_at = now
            self._ready.notify_all()
