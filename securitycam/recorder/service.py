"""The recorder: always-on segment rings for every camera, and the clips events ask for.

Sensors, detection and the API open and end events in :class:`~securitycam.store.events.EventStore`;
the recorder listens. Opening an event only notes its range (the listener runs in the opener's
thread); a worker thread of our own does everything else, every ``tick`` seconds or at once when
woken:

- **retention**: a segment that overlaps ``[start − pre_capture, end + post_capture]`` of a pending
  event, or that the camera's ``record`` settings keep, moves from the cache ring into the
  recordings (:mod:`securitycam.recorder.recordings`); one nothing wants is deleted once older than
  ``ring_seconds`` (a kept one then leaves the ring's index and belongs to the recordings);
- **clips**: once footage up to ``end + post_capture`` exists (or the camera gave up), the event's
  segments are joined into a clip with sidecars; an event longer than ``max_clip_seconds`` is cut
  into several clips as it goes. A clip that fails says why in the event's ``clip_error``; one that
  failed for want of space keeps its segments and is tried again every ``CLIP_RETRY_SECONDS`` (the
  storage janitor is woken to make room) until it is made, ``CLIP_GIVE_UP_SECONDS`` have passed, or
  its footage is gone;
- **watchdog**: a camera whose ffmpeg runs but writes no segments is restarted;
- **settings**: a camera whose recording settings (or night profile, :meth:`Recorder.set_night`)
  change restarts alone, its MediaMTX paths replaced through MediaMTX's API; a change of the
  camera list or of MediaMTX's settings restarts them all.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from securitycam import diskfull
from securitycam.bus import ARCHIVE_UPDATED, RECORDING_STATE, EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.models import CameraSettings, RecordSettings, Settings
from securitycam.detection.frames import FramePipe
from securitycam.fileio import write_atomic
from securitycam.paths import DataPaths
from securitycam.recorder import clips
from securitycam.recorder.camera import CameraRecorder
from securitycam.recorder.mediamtx import MediaMTX
from securitycam.recorder.process import reap_stray
from securitycam.recorder.recordings import RecordingStore
from securitycam.recorder.segments import Segment, SegmentIndex
from securitycam.store import Database
from securitycam.store.events import Event, EventStore
from securitycam.store.motion import BUCKET_SECONDS
from securitycam.worker import PeriodicWorker

if TYPE_CHECKING:
    from securitycam.storage.profiles import StorageProfiles

log = logging.getLogger(__name__)

MANUAL = "manual"
# A clip that failed for want of space is tried again this often, for at most this long.
CLIP_RETRY_SECONDS = 5.0
# Detection marks a segment's motion when its 10 s bucket is over, plus the frames' latency.
MARK_DELAY = BUCKET_SECONDS + 5.0
CLIP_GIVE_UP_SECONDS = 3600.0


class RecorderError(RuntimeError):
    """A request the recorder cannot honour; ``status`` is the HTTP status that fits."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class PendingClip:
    """An event whose footage is still to be (fully) made into clips."""

    event: Event
    camera: CameraSettings  # as it was when the event opened, even if settings change meanwhile
    window_start: float
    end: float | None = None
    part: int = 1
    used: set[int] = field(default_factory=set)
    clips: list[str] = field(default_factory=list)
    retry_at: float = 0.0  # no clip attempt before this (after one failed for want of space)
    give_up_at: float | None = None  # and none after this

    def wants(self, segment: Segment) -> bool:
        until = math.inf if self.end is None else self.end + self.camera.post_capture
        return segment.id not in self.used and segment.overlaps(self.window_start, until)


class Recorder:
    """Every camera's recorder plus retention and clip making; a service of the appliance."""

    def __init__(
        self,
        settings: SettingsStore,
        paths: DataPaths,
        db: Database,
        events: EventStore,
        bus: EventBus,
        clock: Clock | None = None,
        mediamtx: MediaMTX | None = None,
        tick: float = 0.5,
        backoff: float = 1.0,
        run_cameras: bool = True,
        profiles: StorageProfiles | None = None,
    ) -> None:
        self._settings = settings
        self._run_cameras = run_cameras
        self._paths = paths
        self._events = events
        self._bus = bus
        self._clock = clock or Clock()
        self.mediamtx = mediamtx
        self._backoff = backoff
        self.index = SegmentIndex(db)
        self.recordings = RecordingStore(db, paths, profiles)
        self.cameras: dict[str, CameraRecorder] = {}
        self._pending: dict[str, PendingClip] = {}
        self._lock = threading.Lock()
        self._worker = PeriodicWorker("recorder", self._work_step, tick)
        self._reconfigure = False
        # Cameras to restart alone (their settings or night profile changed), and those at night.
        self._restart: set[str] = set()
        self._night: set[str] = set()
        self._media_listeners: list[Callable[[Path, str | None], None]] = []
        events.on_open(self._event_opened)
        events.on_end(self._event_ended)
        settings.on_change(self._settings_changed)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start recording. The appliance starts the recorder before any part that opens events, so
        an event open now was left open by a process that is gone (see :meth:`_end_interrupted`)."""
        self._reconfigure = False
        self._restart.clear()  # settings changed before the start: the cameras start with them
        interrupted = self._end_interrupted()
        # Children a crash left behind, the cameras renamed or removed since included (each
        # supervisor reaps its own too, see recorder/process.py).
        for pid_file in self._paths.run.glob("*.pid"):
            reap_stray(pid_file)
        self._start_cameras()
        self._resume_events(interrupted)
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()
        self._stop_cameras()
        if self.mediamtx is not None:
            self.mediamtx.stop()

    def _start_cameras(self) -> None:
        if not self._run_cameras:
            return
        settings = self._settings.get()
        cameras = [self.running_settings(camera) for camera in settings.Cameras]
        if self.mediamtx is not None:
            self.mediamtx.apply(settings, cameras)
        for camera in cameras:
            if camera.enabled:
                self._start_camera(camera)

    def _start_camera(self, camera: CameraSettings) -> None:
        recorder = CameraRecorder(
            camera, self._paths, self.index, self._clock,
            relay_url=self.mediamtx.relay_url if self.mediamtx else (lambda _name: None),
            on_change=self._publish_state, backoff=self._backoff,
        )
        self.cameras[camera.name] = recorder
        recorder.start()

    def _restart_camera(self, name: str) -> None:
        """Apply one camera's new settings: its ffmpeg (and MediaMTX path) alone restart."""
        camera = next((c for c in self._settings.get().Cameras if c.name == name), None)
        previous = self.cameras.get(name)
        if previous is not None:
            previous.stop()  # left in place until its successor takes over: readers never miss the camera
        if camera is None or not camera.enabled:
            self.cameras.pop(name, None)
        if camera is None:
            return
        running = self.running_settings(camera)
        if self.mediamtx is not None:
            self.mediamtx.update_camera(running)
        if camera.enabled:
            self._start_camera(running)
        log.info("camera %s restarted with its new settings", name)

    def running_settings(self, camera: CameraSettings) -> CameraSettings:
        """``camera`` as it records now: with its night ISP profile while night mode is on for it."""
        if camera.name in self._night:
            return camera.model_copy(update={"isp": camera.night.isp})
        return camera

    def set_night(self, camera: str, active: bool) -> None:
        """Switch ``camera`` to its night profile (or back); it restarts if its picture changes."""
        with self._lock:
            if (camera in self._night) == active:
                return
            (self._night.add if active else self._night.discard)(camera)
            self._restart.add(camera)
        self._worker.wake()

    def _stop_cameras(self) -> None:
        cameras, self.cameras = self.cameras, {}
        for recorder in cameras.values():
            recorder.stop()

    def _end_interrupted(self) -> list[Event]:
        """End the events a crash or power cut left open, at the camera's last footage before it.

        Nothing will ever end them otherwise: the sensor that opened one, a manual recording, an
        object track all lived in the dead process (a sensor still triggered now opens a new event
        once the sensors start). Runs before the cameras start, so the newest indexed segment is the
        last one from before the restart. An object or motion event that noted when it was last
        seen (``data["last_seen"]``, kept up by detection) ends then instead.
        """
        interrupted = []
        for event in self._events.open_events():
            last = event.data.get("last_seen") or self.index.latest_end(event.camera) or event.start_time
            ended = self._events.end(event.id, end_time=min(float(last), self._clock.time()))
            if ended is not None:
                log.warning("event %s (%s) was open at a restart: ended at its last footage", event.id, event.source)
                interrupted.append(self._events.update(event.id, data={**ended.data, "interrupted": True}) or ended)
        return interrupted

    def _resume_events(self, interrupted: list[Event]) -> None:
        """Events a restart interrupted, or ended but left unclipped, get their clips made."""
        recent = self._clock.time() - 3600
        unclipped = self._events.list(has_clip=False, after=recent, limit=50)
        for event in {e.id: e for e in [*unclipped, *interrupted]}.values():
            failed_for_good = "clip_error" in event.data and "clip_retry_until" not in event.data
            if event.camera not in self.cameras or failed_for_good:
                continue
            self._event_opened(event)
            self._continue_after(event, event.data.get("clips", []))
            self._event_ended(event)

    def _continue_after(self, event: Event, made: list[str]) -> None:
        """A long event already cut into clips goes on from where its last clip stopped."""
        stops = [meta["stopped"] for meta in (clips.read_meta(Path(path)) for path in made) if meta]
        if not stops:
            return
        with self._lock:
            pending = self._pending[event.id]
            # Past the last clipped segment's end (the meta keeps it to the millisecond).
            pending.window_start = max(datetime.fromisoformat(stop).timestamp() for stop in stops) + 0.01
            pending.part = len(stops) + 1
            pending.clips = list(made)

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if old.MediaMTX != new.MediaMTX or [c.name for c in old.Cameras] != [c.name for c in new.Cameras]:
            self._reconfigure = True
            self._worker.wake()
            return
        changed = {after.name for before, after in zip(old.Cameras, new.Cameras, strict=True)
                   if self.running_settings(before).recording_fields()
                   != self.running_settings(after).recording_fields()}
        if changed:
            with self._lock:
                self._restart |= changed
            self._worker.wake()

    # -- the event interface ------------------------------------------------------------------

    def _event_opened(self, event: Event) -> None:
        recorder = self.cameras.get(event.camera)
        if recorder is None:
            return
        camera = recorder.camera
        with self._lock:
            self._pending[event.id] = PendingClip(event, camera, event.start_time - camera.pre_capture)
        self._worker.wake()
        self._publish_state(recorder)

    def _event_ended(self, event: Event) -> None:
        with self._lock:
            pending = self._pending.get(event.id)
            if pending is not None:
                pending.end = event.end_time
        if pending is not None:
            self._worker.wake()
            recorder = self.cameras.get(event.camera)
            if recorder is not None:
                self._publish_state(recorder)

    def frame_pipe(self, camera: str) -> FramePipe | None:
        """The camera's raw detect frames (``detect.enabled``), for the detection pipeline."""
        recorder = self.cameras.get(camera)
        return recorder.frames if recorder is not None else None

    def on_media(self, listener: Callable[[Path, str | None], None]) -> None:
        """Call ``listener(path, event_id)`` each time a clip or snapshot is complete on disk (in the
        thread that wrote it; the storage janitor indexes the file and checks the space)."""
        self._media_listeners.append(listener)

    def media_written(self, path: Path, event_id: str | None = None) -> None:
        """Tell the media listeners that ``path`` is complete (the recorder's clips and snapshots, and
        detection's event snapshots)."""
        for listener in list(self._media_listeners):
            try:
                listener(path, event_id)
            except Exception:
                log.exception("media listener %r failed for %s", listener, path)

    def forget(self, event_id: str) -> None:
        """Make no clip for ``event_id`` (it was deleted); its footage leaves with the ring."""
        with self._lock:
            self._pending.pop(event_id, None)

    def camera_settings(self, name: str | None) -> CameraSettings:
        cameras = self._settings.get().Cameras
        if name is None:
            return cameras[0]
        for camera in cameras:
            if camera.name == name:
                return camera
        raise RecorderError(404, f"no camera named {name!r}")

    def _running_camera(self, name: str | None) -> CameraRecorder:
        camera = self.camera_settings(name)
        recorder = self.cameras.get(camera.name)
        if recorder is None:
            raise RecorderError(409, f"camera {camera.name!r} is disabled")
        return recorder

    def start_manual(self, camera: str | None = None) -> Event:
        """Open a ``manual`` event on ``camera`` (the first camera by default)."""
        recorder = self._running_camera(camera)
        if self.manual_event(recorder.name):
            raise RecorderError(409, f"camera {recorder.name!r} is already recording manually")
        diskfull.require_room(recorder.directory)  # ffmpeg could not write the footage
        return self._events.open(recorder.name, MANUAL, MANUAL)

    def stop_manual(self, camera: str | None = None) -> Event:
        recorder = self._running_camera(camera)
        event_id = self.manual_event(recorder.name)
        if event_id is None:
            raise RecorderError(409, f"camera {recorder.name!r} is not recording manually")
        ended = self._events.end(event_id)
        assert ended is not None
        return ended

    def manual_event(self, camera: str) -> str | None:
        with self._lock:
            return next((p.event.id for p in self._pending.values()
                         if p.event.camera == camera and p.event.source == MANUAL and p.end is None), None)

    def recording(self, camera: str) -> list[str]:
        """Ids of the events on ``camera`` still keeping footage."""
        with self._lock:
            return [p.event.id for p in self._pending.values() if p.event.camera == camera]

    def snapshot(self, camera: str | None = None) -> Path:
        """Save the camera's latest frame as ``recordings/snapshot_YYYYmmdd_HHMMSS.jpg``."""
        recorder = self._running_camera(camera)
        frame = recorder.latest_frame()
        if frame is None:
            diskfull.require_room(recorder.directory)  # ffmpeg cannot write frames on a full disk
            raise RecorderError(503, f"no recent frame from camera {recorder.name!r} ({recorder.state})")
        target = self._write_media(recorder.name, self._clock.time(), "snapshot", ".jpg",
                                   lambda path: write_atomic(path, frame))
        self.media_written(target)
        self._bus.publish(ARCHIVE_UPDATED, {"type": "snapshot", "path": str(target), "camera": recorder.name})
        return target

    def _write_media(self, camera: str, moment: float, prefix: str, suffix: str,
                     write: Callable[[Path], object]) -> Path:
        """Write a clip or snapshot of ``camera`` with ``write(path)`` (which writes a hidden name and
        renames) in the camera's place: its storage profile, or the data directory. When the profile
        fails under the write (its disk pulled, or full), it is written again in the data directory."""
        directory = self.recordings.root_for(camera)
        target = clips.free_name(directory, moment, prefix, suffix)
        try:
            write(target)
            return target
        except (clips.ClipError, OSError) as exc:
            profiles = self.recordings.profiles
            if directory == self._paths.recordings or profiles is None or not profiles.write_failed(directory, exc):
                raise
            log.warning("%s: writing %s on its storage profile failed (%s); writing it in the data directory",
                        camera, target.name, exc)
        target = clips.free_name(self._paths.recordings, moment, prefix, suffix)
        write(target)
        return target

    def status(self) -> dict:
        cameras = []
        for name, recorder in list(self.cameras.items()):
            events = self.recording(name)
            cameras.append({"name": name, **recorder.status(), "recording": bool(events), "events": events,
                            "manual_event": self.manual_event(name)})
        return {"recording": any(camera["recording"] for camera in cameras), "cameras": cameras}

    def _publish_state(self, recorder: CameraRecorder) -> None:
        events = self.recording(recorder.name)
        self._bus.publish(RECORDING_STATE, {
            "camera": recorder.name, "state": recorder.state, "recording": bool(events),
            "events": events, "error": recorder.error,
        })

    # -- the worker -------------------------------------------------------------------------------

    def _work_step(self) -> None:
        with self._lock:
            restart, self._restart = self._restart, set()
        if self._reconfigure:
            self._reconfigure = False
            self._stop_cameras()
            self._start_cameras()
        elif self._run_cameras:
            for name in sorted(restart):
                self._restart_camera(name)
        self.step()

    def step(self) -> None:
        """One round of watchdog, retention and clip making (the worker calls it every tick)."""
        now = self._clock.time()
        for recorder in list(self.cameras.values()):
            if recorder.stalled(now):
                recorder.restart(f"no segment for {now - (recorder.last_segment_seen or now):.0f} s")
        # Retention first: the segment that completes an event is kept before its finished clip lets go of it.
        self._retain(now)
        with self._lock:
            pending = list(self._pending.values())
        for clip in pending:
            self._advance(clip, now)

    def _advance(self, clip: PendingClip, now: float) -> None:
        if now < clip.retry_at:
            return
        camera = clip.camera
        latest = self.index.latest_end(clip.event.camera) or 0.0
        if clip.end is None:
            if latest - clip.window_start >= camera.max_clip_seconds:
                self._make_clip(clip, camera, clip.window_start + camera.max_clip_seconds)
            return
        until = clip.end + camera.post_capture
        gave_up = now > until + 2 * camera.segment_seconds + 10
        if latest >= until or gave_up:
            if not self._make_clip(clip, camera, until, final=True):
                return
            with self._lock:
                self._pending.pop(clip.event.id, None)
            recorder = self.cameras.get(clip.event.camera)
            if recorder is not None:
                self._publish_state(recorder)

    def _make_clip(self, clip: PendingClip, camera: CameraSettings, until: float, final: bool = False) -> bool:
        """The clip of ``clip``'s footage up to ``until``; False if it is to be tried again later."""
        event = clip.event
        segments = [s for s in self.index.overlapping(event.camera, clip.window_start, until)
                    if s.id not in clip.used and s.path.exists()]
        if not segments:
            # No footage in this window (the camera was down, or the appliance was off): the window
            # moves on all the same, or it would claim every later segment for good.
            clip.window_start = max(clip.window_start, until)
            current = self._events.get(event.id) or event
            if clip.give_up_at is not None or "clip_retry_until" in current.data:
                log.error("event %s: its footage went while its clip waited for space", event.id)
                self._clip_error(current, "gave up: its footage went while waiting for space")
            elif final and not clip.clips:
                log.warning("event %s: no footage from camera %s", event.id, event.camera)
                self._clip_error(current, "no footage")
            return True
        first_part = clip.part == 1
        begun = time.monotonic()
        moment = event.start_time if first_part else segments[0].start_time
        output = clips.free_name(self.recordings.root_for(event.camera), moment)
        clip_start = segments[0].start_time
        trigger_offset = event.start_time - clip_start if first_part else 0.0
        current = self._events.get(event.id) or event
        meta = {
            "reason": event.source,
            "event_id": event.id,
            "camera": event.camera,
            "label": event.label,
            "sensor_type": current.data.get("sensor_type") or (event.label if event.source == "sensor" else None),
            "started": _iso(clip_start),
            "stopped": _iso(segments[-1].end_time),
            "trigger_time": _iso(event.start_time),
            "pre_capture": round(max(0.0, trigger_offset), 3),
            "pre_capture_setting": camera.pre_capture,
            "post_capture_setting": camera.post_capture,
            "part": clip.part,
            "segments": len(segments),
            "gaps": self._gaps_in(event.camera, segments),
        }
        made: list[float] = []

        def build(target: Path) -> None:
            nonlocal output
            output = target
            made.append(clips.build_clip([s.path for s in segments], target, trigger_offset, meta))

        try:
            if clip.retry_at:  # it failed for want of space: no ffmpeg run before there is room for it
                diskfull.require_room(output.parent, sum(s.size for s in segments))
            self._write_media(event.camera, moment, "output", ".mp4", build)
            duration = made[-1]
        except (clips.ClipError, OSError) as exc:
            if self._clip_failed(clip, current, output, exc):
                return False
        else:
            clip.clips.append(str(output))
            self.media_written(output, event.id)
            data = {key: value for key, value in current.data.items() if key not in ("clip_error", "clip_retry_until")}
            # Never the same clip twice: the clip is made even if its event cannot say so (a full database).
            with diskfull.best_effort(f"noting the clip of event {event.id}"):
                self._events.update(event.id, has_clip=True, has_snapshot=True, data={**data, "clips": clip.clips})
            log.info("event %s: clip %s (%.1f s) in %.2f s", event.id, output.name, duration,
                     time.monotonic() - begun)
            self._bus.publish(ARCHIVE_UPDATED, {"type": "recording", "path": str(output), "event_id": event.id,
                                                "camera": event.camera})
        clip.used.update(s.id for s in segments)
        clip.window_start = segments[-1].end_time
        clip.part += 1
        return True

    def _clip_failed(self, clip: PendingClip, current: Event, output: Path, exc: Exception) -> bool:
        """Say in the event why its clip failed; True if it is to be tried again (a full disk, for a while)."""
        now = self._clock.time()
        if diskfull.report(exc):  # the janitor makes room meanwhile
            reason = diskfull.reason(exc)
            # Kept in the event too, for a restart; but the database may be as full as the disk.
            give_up_at = clip.give_up_at or current.data.get("clip_retry_until") or now + CLIP_GIVE_UP_SECONDS
            clip.give_up_at = give_up_at
            if now < give_up_at:
                if not clip.retry_at:
                    log.warning("event %s: making %s failed: %s; trying again when there is room",
                                current.id, output.name, reason)
                clip.retry_at = now + CLIP_RETRY_SECONDS
                self._clip_error(current, f"{reason}; trying again when there is room", give_up_at)
                return True
            message = f"{reason}; gave up after {CLIP_GIVE_UP_SECONDS:.0f} s"
        else:
            message = str(exc)
        log.error("event %s: making %s failed: %s", current.id, output.name, message)
        self._clip_error(current, message)
        return False

    def _clip_error(self, event: Event, message: str, retry_until: float | None = None) -> None:
        data = {key: value for key, value in event.data.items() if key != "clip_retry_until"}
        if retry_until is not None:
            data["clip_retry_until"] = retry_until
        data["clip_error"] = message
        if data == event.data:
            return  # said already (a retry that failed again)
        # On a full disk the database may have no room for it either: the clip is still retried.
        with diskfull.best_effort(f"noting why the clip of event {event.id} failed"):
            self._events.update(event.id, data=data)

    def _gaps_in(self, camera: str, segments: list[Segment]) -> list[dict]:
        """Where the camera recorded nothing between ``segments`` (ffmpeg restarting): each gap's
        wall-clock start, its length, and ``offset``, the second of the clip where the picture jumps."""
        gaps = []
        for gap in self.index.gaps_within(camera, segments[0].start_time, segments[-1].end_time):
            offset = sum(s.duration for s in segments if s.end_time <= gap["start_time"] + 0.01)
            gaps.append({"start": _iso(gap["start_time"]), "length": round(gap["end_time"] - gap["start_time"], 3),
                         "offset": round(offset, 3), "reason": gap["reason"]})
        return gaps

    def _retain(self, now: float) -> None:
        with self._lock:
            pending = list(self._pending.values())
        records = {camera.name: camera.record for camera in self._settings.get().Cameras}
        for segment in self.index.all():
            camera = self.cameras.get(segment.camera)
            # Never shorter than what a new event's pre-capture will ask for, nor than the detector
            # takes to mark a segment (it marks once per motion bucket) when marks decide.
            ring = max(camera.camera.ring_seconds, camera.camera.pre_capture + 2 * camera.camera.segment_seconds,
                       MARK_DELAY if _marks_decide(records.get(segment.camera)) else 0.0) if camera else 0.0
            wanted = any(p.event.camera == segment.camera and p.wants(segment) for p in pending)
            expired = segment.end_time < now - ring
            if not segment.kept and (wanted or self._recorded(segment, records.get(segment.camera), expired)):
                try:
                    # Footage a clip still needs stays on the data disk, so a storage profile's disk pulled
                    # during an event costs no clip; continuous recording goes to the camera's profile.
                    self.recordings.keep(segment, self.recordings.root if wanted else None)
                except OSError as exc:
                    log.warning("cannot keep segment %s: %s", segment.path, exc)
                    continue
                except Exception as exc:
                    # The database could not follow (it is full): keep() put the file back, so that
                    # index and disk still agree and the event's clip finds the segment in the ring.
                    if not diskfull.report(exc):
                        raise
            elif not wanted and expired:
                # A clipped segment stays for the ring's window too: the next event's pre-capture.
                # A kept one is the recordings' from then on; the storage janitor applies their retention.
                if not segment.kept:
                    segment.path.unlink(missing_ok=True)
                self.index.remove(segment)

    def _recorded(self, segment: Segment, record: RecordSettings | None, expired: bool) -> bool:
        """Whether continuous recording keeps ``segment``. With ``retain.mode`` ``motion`` or
        ``active_objects`` it is decided as the segment leaves the ring (the detector has marked it by then)."""
        if record is None or not record.enabled or record.retain.days <= 0:
            return False
        if record.retain.mode == "all":
            return True
        if not expired:
            return False
        motion, objects = self.recordings.activity(segment.camera, segment.start_time, segment.end_time)
        return objects > 0 or (record.retain.mode == "motion" and motion > 0)


def _marks_decide(record: RecordSettings | None) -> bool:
    return record is not None and record.enabled and record.retain.mode != "all"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")
