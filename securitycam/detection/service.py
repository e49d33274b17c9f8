"""The detection service: a pipeline per camera with ``detect.enabled``, review items for every
camera, and the sensor events that join them.

Detectors are built once per entry of ``Detectors`` that some camera uses, and shared (one model
in memory; a lock lets one camera use it at a time). A settings change restarts only the
pipelines whose camera (or detector, or ``Model``) changed; review settings apply at once.

Review items for every camera, detection on or off: a sensor or API event opens or joins its
camera's item (see :mod:`.review`). A worker ticks them once a second, so an item with no pipeline behind it
ends too, and gives an item no object picture reached its thumbnail from a still (off the thread
of the sensor that opened it).

Only a camera with detection on loads OpenCV, the tracker and a model (imported on first use).

At start, what a crash left open is closed: review items, and ``object``/``motion`` events (at
their last sighting, ``data.last_seen``, or their start).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from securitycam.bus import EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.detection import NO_DETECTOR, DetectorSettings
from securitycam.config.models import CameraSettings, Settings
from securitycam.detection.detectors import Detector, DetectorError, build_detector
from securitycam.detection.review import ReviewKeeper
from securitycam.paths import DataPaths
from securitycam.recorder import Recorder
from securitycam.sensors.presence import NobodyHome, PresenceCheck
from securitycam.store import Database
from securitycam.store.events import Event, EventStore
from securitycam.store.motion import MotionActivityStore, MotionTally
from securitycam.store.review import ReviewSegment, ReviewStore
from securitycam.store.timeline import TimelineStore
from securitycam.worker import PeriodicWorker

if TYPE_CHECKING:
    from securitycam.detection.pipeline import CameraPipeline

log = logging.getLogger(__name__)

SENSOR, API = "sensor", "api"


class Detection:
    def __init__(
        self,
        settings: SettingsStore,
        recorder: Recorder,
        events: EventStore,
        db: Database,
        bus: EventBus,
        paths: DataPaths,
        clock: Clock | None = None,
        presence: PresenceCheck | None = None,
    ) -> None:
        self._settings = settings
        self._recorder = recorder
        self._events = events
        self._bus = bus
        self._paths = paths
        self._clock = clock or Clock()
        self._presence = presence or NobodyHome()
        self.reviews = ReviewStore(db)
        self.timeline = TimelineStore(db)
        self.motion_activity = MotionActivityStore(db)
        self.pipelines: dict[str, CameraPipeline] = {}
        self.keepers: dict[str, ReviewKeeper] = {}
        self.errors: dict[str, str] = {}
        self._detectors: dict[str, tuple[Detector, threading.Lock]] = {}
        self._lock = threading.RLock()
        self._pending: tuple[Settings, Settings] | None = None
        self._worker = PeriodicWorker("detection", self._step, 1.0)
        events.on_open(self._event_opened)
        events.on_end(self._event_ended)
        settings.on_change(self._settings_changed)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._close_leftovers()
        settings = self._settings.get()
        with self._lock:
            for camera in settings.Cameras:
                self.keepers[camera.name] = self._keeper(camera)
                self._start_pipeline(camera, settings)
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()
        with self._lock:
            for name in list(self.pipelines):
                self._stop_pipeline(name)
            now = self._clock.time()
            for keeper in self.keepers.values():
                keeper.close(now)
            self._detectors.clear()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"cameras": {name: pipeline.status() for name, pipeline in self.pipelines.items()},
                    "errors": dict(self.errors)}

    def _close_leftovers(self) -> None:
        now = self._clock.time()
        self.reviews.end_open(now)
        for source in ("object", "motion"):
            for event in self._events.list(source=source, in_progress=True, limit=1000):
                self._events.end(event.id, float(event.data.get("last_seen") or event.start_time))

    def _keeper(self, camera: CameraSettings) -> ReviewKeeper:
        return ReviewKeeper(camera.name, camera.review, self.reviews, self._bus, self._paths.clips / "review",
                            self._presence)

    # -- pipelines ---------------------------------------------------------------------------------

    def _start_pipeline(self, camera: CameraSettings, settings: Settings) -> None:
        if not camera.enabled or not camera.detect.enabled:
            return
        # Imported on first use: an appliance with detection off never loads OpenCV and the tracker.
        from securitycam.detection.objects import ObjectEvents
        from securitycam.detection.pipeline import CameraPipeline

        try:
            detector, lock = self._detector(camera.detect.detector, settings)
        except DetectorError as exc:
            log.error("camera %s: detector %s unavailable, motion only: %s", camera.name, camera.detect.detector, exc)
            self.errors[camera.name] = str(exc)
            detector, lock = self._detector(NO_DETECTOR, settings)
        else:
            self.errors.pop(camera.name, None)
        keeper = self.keepers[camera.name]
        objects = ObjectEvents(camera, self._events, self.timeline, keeper, self._bus, self._paths.clips,
                               self._recorder.media_written)
        pipeline = CameraPipeline(camera, detector, lock, lambda: self._recorder.frame_pipe(camera.name), objects,
                                  keeper, self._events, self._bus, self._clock.time,
                                  MotionTally(camera.name, self.motion_activity, self._clock.time,
                                              self._recorder.recordings.mark_activity))
        self.pipelines[camera.name] = pipeline
        pipeline.start()
        log.info("camera %s: detection on (%s, %dx%d at %g fps)", camera.name, detector.type_name,
                 *camera.detect_size(), camera.detect.fps)

    def _stop_pipeline(self, name: str) -> None:
        pipeline = self.pipelines.pop(name, None)
        if pipeline is not None:
            pipeline.stop()

    def _detector(self, name: str, settings: Settings) -> tuple[Detector, threading.Lock]:
        if name not in self._detectors:
            config = settings.Detectors.get(name)
            if name == NO_DETECTOR or config is None:
                config = DetectorSettings(type=NO_DETECTOR)
            self._detectors[name] = (build_detector(config, settings.Model), threading.Lock())
        return self._detectors[name]

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        with self._lock:
            self._pending = (self._pending[0] if self._pending else old, new)
        self._worker.wake()

    def _apply(self, old: Settings, new: Settings) -> None:
        models_changed = old.Model != new.Model
        changed_detectors = {name for name in {*old.Detectors, *new.Detectors}
                             if old.Detectors.get(name) != new.Detectors.get(name) or models_changed}
        before = {camera.name: camera for camera in old.Cameras}
        with self._lock:
            for name in changed_detectors:
                self._detectors.pop(name, None)
            current = {camera.name for camera in new.Cameras}
            for name in [n for n in self.keepers if n not in current]:
                self._stop_pipeline(name)
                self.keepers.pop(name).close(self._clock.time())
            for camera in new.Cameras:
                previous = before.get(camera.name)
                if camera.name not in self.keepers:
                    self.keepers[camera.name] = self._keeper(camera)
                self.keepers[camera.name].settings = camera.review
                if previous == camera and camera.detect.detector not in changed_detectors:
                    continue
                self._stop_pipeline(camera.name)
                self._start_pipeline(camera, new)

    def _step(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            self._apply(*pending)
        with self._lock:
            every_keeper = list(self.keepers.values())
            keepers = [keeper for name, keeper in self.keepers.items() if name not in self.pipelines]
        for keeper in every_keeper:
            keeper.fill_thumbnail(lambda event_id, camera=keeper.camera: self._still(camera, event_id))
        now = self._clock.time()
        for keeper in keepers:
            keeper.tick(now)

    # -- deleted events and review items -----------------------------------------------------------

    def forget_events(self, event_ids: Sequence[str]) -> list[ReviewSegment]:
        """Deleted events: objects still tracked under them stop writing to them, and they leave the
        review items, the open ones held in memory too; returns the items deleted for being left with
        no event."""
        with self._lock:
            keepers = list(self.keepers.values())
            for pipeline in self.pipelines.values():
                pipeline.objects.forget_events(event_ids)
        for keeper in keepers:
            keeper.forget_events(event_ids)
        return self.reviews.forget_events(event_ids)

    def delete_reviews(self, segment_ids: Sequence[str]) -> list[ReviewSegment]:
        """Delete review items (an open one is dropped by its keeper first); returns those that existed."""
        with self._lock:
            keepers = list(self.keepers.values())
        for keeper in keepers:
            keeper.forget_items(segment_ids)
        return self.reviews.delete_many(segment_ids)

    def _still(self, camera: str, event_id: str) -> bytes | None:
        """The event's snapshot (an API event's frame with its boxes), else the camera's latest frame."""
        for picture in self._paths.event_pictures(camera, event_id):
            if picture.suffix == ".jpg" and picture.is_file():
                return picture.read_bytes()
        recorder = self._recorder.cameras.get(camera)
        return recorder.latest_frame() if recorder is not None else None

    # -- sensor and API events join review items -----------------------------------------------

    def _event_opened(self, event: Event) -> None:
        keeper = self.keepers.get(event.camera)
        if keeper is None:
            return
        if event.source == SENSOR:
            keeper.event_started(event.id, event.label, event.start_time, sensor=event.sub_label or event.label)
        elif event.source == API:
            keeper.event_started(event.id, event.label, event.start_time, sub_label=event.sub_label, manual=True)

    def _event_ended(self, event: Event) -> None:
        keeper = self.keepers.get(event.camera)
        if keeper is not None and event.end_time is not None:
            keeper.event_ended(event.id, event.end_time)
