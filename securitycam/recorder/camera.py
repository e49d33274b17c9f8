"""One camera's always-on recorder: one ffmpeg writing a segment ring and the latest frame.

ffmpeg reads the camera once and writes two outputs: MPEG-TS segments of ``segment_seconds``
(a killed ffmpeg leaves every finished one playable) and a small JPEG, rewritten atomically
``frame_rate`` times a second, for snapshots and timelapse. With ``detect.enabled`` a third output
writes raw frames at the detect size and rate into a FIFO that a
:class:`~securitycam.detection.frames.FramePipe` drains for detection. The segment muxer writes
its list to our pipe as each segment closes, so segments are indexed the moment they exist,
with no polling.

Wall-clock times: ffmpeg reports each segment's range on the stream's own clock. The offset to
wall time is the smallest ``now - end`` seen during the run (the report comes just after the end,
so the smallest delay is the truest), and a segment never starts before the previous one ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from securitycam.cameras import source_for
from securitycam.cameras.base import keyframe_interval
from securitycam.clock import Clock
from securitycam.config.models import CameraSettings
from securitycam.detection.frames import FramePipe, frame_filter, frame_sink_args
from securitycam.paths import DataPaths
from securitycam.recorder.process import RESTARTING, RUNNING, Supervisor
from securitycam.recorder.segments import Segment, SegmentIndex

log = logging.getLogger(__name__)

SEGMENT_SUFFIX = ".ts"


class CameraRecorder:
    def __init__(
        self,
        camera: CameraSettings,
        paths: DataPaths,
        index: SegmentIndex,
        clock: Clock,
        *,
        relay_url: Callable[[str], str | None] = lambda _name: None,
        on_change: Callable[[CameraRecorder], None] = lambda _recorder: None,
        on_segment: Callable[[Segment], None] = lambda _segment: None,
        backoff: float = 1.0,
    ) -> None:
        self.camera = camera
        self.source = source_for(camera)
        self.directory = paths.cache / camera.name
        self.frame_path = self.directory / "latest.jpg"
        detect = camera.detect
        # Detection's frames; started before ffmpeg, which waits to open the FIFO until it is read.
        self.frames = FramePipe(
            camera.name, self.directory / "frames.yuv", *camera.detect_size(), detect.fps,
            clock=clock.time, offset=lambda: self._offset,
        ) if detect.enabled else None
        self._index = index
        self._clock = clock
        self._relay_url = relay_url
        self._on_change = on_change
        self._on_segment = on_segment
        self._run_id = ""
        self._offset: float | None = None
        self._gap_since: float | None = None
        self._gap_reason = ""
        self.last_segment_end: float | None = None
        self.last_segment_seen: float | None = None
        self.error: str | None = None
        # Seconds beyond three segment lengths before a silent ffmpeg counts as stalled (time to
        # connect to an RTSP camera and wait for its first keyframe).
        self.stall_grace = 10.0
        self.supervisor = Supervisor(
            f"ffmpeg-{camera.name}",
            self.command,
            log_file=paths.logs / "recorder" / f"{camera.name}.log",
            pid_file=paths.run / f"ffmpeg-{camera.name}.pid",
            on_line=self._segment_finished,
            on_state=self._state_changed,
            backoff=backoff,
            clock=clock,
        )

    @property
    def name(self) -> str:
        return self.camera.name

    @property
    def state(self) -> str:
        return self.supervisor.state

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.frames is not None:
            self.frames.start()
        self.supervisor.start()

    def stop(self) -> None:
        self.supervisor.stop()
        if self.frames is not None:
            self.frames.stop()

    def command(self) -> list[str]:
        """The ffmpeg command for the next run (a fresh file prefix, so runs never overwrite)."""
        camera = self.camera
        self._drop_unindexed_segments()
        self._run_id = str(int(self._clock.time() * 1000))
        self._offset = None
        relay = self._relay_url(camera.name)
        # Under MediaMTX the stream comes tuned and turned already (see CameraSource.mediamtx_paths).
        chain = [] if relay else self.source.filters()
        if relay:
            source_args, encode = ["-rtsp_transport", "tcp", "-i", relay], ["-c:v", "copy"]
        else:
            source_args, encode = self.source.input_args(), self.source.encode_args(keyframe_interval(camera))
        jpeg_filter = f"fps={camera.frame_rate:g},scale='min({camera.frame_width},iw)':-2"
        pipe = self.frames
        if chain:
            # ffmpeg cannot mix a filter graph with per-output -vf: one graph makes every output
            # (segments, the latest frame, detection's frames) from the same filtered picture.
            graph = f"[0:v:0]{','.join(chain)},split={3 if pipe else 2}[segments][jpeg]{'[detect]' if pipe else ''}"
            graph += f";[jpeg]{jpeg_filter}[latest]"
            if pipe is not None:
                graph += f";[detect]{frame_filter(pipe.width, pipe.height, pipe.fps)}[frames]"
            source_args = [*source_args, "-filter_complex", graph]
            segments, latest, frames = ["-map", "[segments]"], ["-map", "[latest]"], ["-map", "[frames]"]
        else:
            segments, latest = ["-map", "0:v:0"], ["-map", "0:v:0", "-vf", jpeg_filter]
            frames = ["-map", "0:v:0", "-vf", frame_filter(pipe.width, pipe.height, pipe.fps)] if pipe else []
        return [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *source_args,
            *segments, *encode, "-an",
            "-f", "segment", "-segment_time", f"{camera.segment_seconds:g}", "-segment_format", "mpegts",
            "-segment_list", "pipe:1", "-segment_list_type", "csv",
            str(self.directory / f"{self._run_id}_%06d{SEGMENT_SUFFIX}"),
            *latest, "-q:v", "5", "-f", "image2", "-update", "1", "-atomic_writing", "1", str(self.frame_path),
            *((*frames, *frame_sink_args(pipe.fifo)) if pipe is not None else ()),
        ]

    def latest_frame(self, max_age: float | None = None) -> bytes | None:
        """The newest JPEG from the camera, if it is younger than ``max_age`` seconds."""
        limit = max_age if max_age is not None else max(3.0, 3 / self.camera.frame_rate)
        try:
            stat = self.frame_path.stat()
            if self._clock.time() - stat.st_mtime > limit:
                return None
            return self.frame_path.read_bytes()
        except OSError:
            return None

    def stalled(self, now: float) -> bool:
        """Running but no segment for three segment lengths plus ``stall_grace`` seconds."""
        if self.state != RUNNING:
            return False
        since = max(self.last_segment_seen or 0.0, self.supervisor.started_at or 0.0)
        return now - since > 3 * self.camera.segment_seconds + self.stall_grace

    def restart(self, reason: str) -> None:
        self._gap_reason = reason
        self.supervisor.restart(reason)

    def _segment_finished(self, line: str) -> None:
        name, _, times = line.partition(",")
        try:
            start, end = (float(value) for value in times.split(","))
        except ValueError:
            return
        path = Path(name)
        if not path.is_absolute():
            path = self.directory / path
        try:
            size = path.stat().st_size
        except OSError:
            return
        now = self._clock.time()
        self._offset = now - end if self._offset is None else min(self._offset, now - end)
        # The offset estimate only improves (shrinks) during a run; that must not make a segment
        # start before the one it follows, or clips cut at segment boundaries would overlap.
        wall_start = start + self._offset
        if self.last_segment_end is not None:
            wall_start = max(wall_start, self.last_segment_end)
        wall_end = max(end + self._offset, wall_start)
        if self._gap_since is not None:
            self._index.add_gap(self.name, self._gap_since, wall_start, self._gap_reason or "ffmpeg exited")
            self._gap_since, self._gap_reason = None, ""
        segment = self._index.add(self.name, path, wall_start, wall_end, size)
        first = self.last_segment_seen is None or self.error is not None
        self.last_segment_end, self.last_segment_seen, self.error = wall_end, now, None
        self.supervisor.healthy()
        self._on_segment(segment)
        if first:
            self._on_change(self)

    def _state_changed(self, state: str, detail: dict) -> None:
        if state == RESTARTING:
            self._gap_since = self.last_segment_end or self.supervisor.started_at or self._clock.time()
            if not self._gap_reason:
                self._gap_reason = f"ffmpeg exited with {detail.get('exit_code')}"
            self.error = self._gap_reason
        elif "error" in detail:
            self.error = detail["error"]
        self._on_change(self)

    def _drop_unindexed_segments(self) -> None:
        """Remove what a killed ffmpeg left half-written (never listed, so never indexed)."""
        indexed = {segment.path for segment in self._index.for_camera(self.name)}
        for path in self.directory.glob(f"*{SEGMENT_SUFFIX}"):
            if path not in indexed:
                path.unlink(missing_ok=True)

    def status(self) -> dict:
        return {
            "state": self.state,
            "source": self.camera.source,
            "pid": self.supervisor.pid,
            "restarts": self.supervisor.restarts,
            "last_segment_end": self.last_segment_end,
            "segments": self._index.count(self.name),
            "error": self.error,
            "gaps": self._index.gaps(self.name, limit=5),
        }
