"""The storage janitor: keeps the SD card from filling up, in an order the owner can predict.

Each pass (every ``interval`` seconds, at once when a new file is written, and on
``POST /storage/cleanup``):

1. **Reconcile** (at start, then daily, and on a forced cleanup): the media index is made to match
   the disk (:meth:`MediaIndex.reconcile`): files copied in are indexed, orphaned sidecars, leftovers
   of interrupted writes and segment files the recorder no longer knows are deleted.
2. **Age** (hourly): files older than ``StorageLimit.retention_days.<kind>`` days are deleted
   (0 keeps a kind until space runs short); ``snapshots`` covers events' snapshots in ``clips/``
   (with their clean copy and thumbnail) as well as saved frames. An event whose last file goes
   keeps its row, without clip or snapshot; the rows of ended events with no file left are deleted
   once older than both the ``clips`` and the ``snapshots`` days (never while either is 0: a row
   frees no space), unless retained. Recordings (kept segments) follow each camera's
   ``record`` settings instead, whether or not ``enabled`` is on (they are the recorder's own
   rules, like its ring): older than ``retain.days`` and outside the footage of every event still
   within its ``alerts``/``detections`` ``retain.days``.
   Previews (:mod:`securitycam.recorder.previews`) that no longer match their footage or have aged
   out go in the same step.
3. **Space**: one ``statvfs`` of the data directory; when more than ``max_percent`` is used, the
   previews go first (a cache, made again on demand), then files
   are deleted until it is not, kind by kind in :data:`SPACE_ORDER` (recordings first: they are the
   bulk and the clips hold the events' footage again; then clips; exports last: the owner made
   them on purpose), oldest first within a kind. A clip goes with all of its sidecars.

A write anywhere in the appliance that finds the disk full (:mod:`securitycam.diskfull`) wakes the
janitor, and that pass frees space first: it skips the reconcile and the age check (they walk
directories and write to the database) and does them in the pass right after. Each pass also
remakes the data directory's space reserve when it is missing and there is room for it.

Never deleted: a locked file, a clip of an event still in progress, a clip of an event marked
``retain_indefinitely``, a recording of an event in progress or retained, a recording the
recorder's ring still lists. With ``enabled`` off nothing of the owner's is deleted automatically
beyond the recordings' own retention (a forced cleanup still applies the limit and the retention
days). When there is room a pass costs one ``statvfs``. Each pass that deletes something
publishes ``archive_updated`` (``type: "cleanup"``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from securitycam import diskfull
from securitycam.bus import ARCHIVE_UPDATED, EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.models import CameraSettings, RecordSettings, Settings, StorageLimitSettings
from securitycam.paths import DataPaths
from securitycam.recorder.previews import Previews
from securitycam.recorder.recordings import KIND as RECORDINGS
from securitycam.recorder.recordings import Recording, RecordingStore, overlaps_any
from securitycam.storage.media import CLIPS, EXPORTS, KINDS, SNAPSHOTS, TIMELAPSE, MediaFile, MediaIndex
from securitycam.store.db import Database
from securitycam.system.health import OK, WARN, HealthMonitor
from securitycam.system.host import DiskUsage, HostReader
from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

SPACE_ORDER = (RECORDINGS, CLIPS, SNAPSHOTS, TIMELAPSE, EXPORTS)
HOUR = 3600.0
DAY = 24 * HOUR
# Files listed by name in a report; the counts and bytes always cover everything.
REPORT_FILES = 100


@dataclass
class CleanupReport:
    """What one pass did."""

    time: float
    forced: bool
    out_of_space: bool = False
    usage_before: DiskUsage | None = None
    usage_after: DiskUsage | None = None
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*KINDS, RECORDINGS), 0))
    freed: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)
    orphans: int = 0
    stale: int = 0
    indexed: int = 0
    events: int = 0
    still_over: bool = False

    @property
    def deleted_count(self) -> int:
        return sum(self.deleted.values()) + self.orphans + self.stale + self.events

    def note(self, files: list[MediaFile] | list[Recording], reason: str) -> None:
        for item in files:
            self.deleted[item.kind] += 1
            if len(self.files) < REPORT_FILES:
                self.files.append({"path": str(item.path), "kind": item.kind, "size": item.size, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        def usage(value: DiskUsage | None) -> dict[str, Any] | None:
            return None if value is None else {"total": value.total, "used": value.used, "free": value.free,
                                               "percent": value.percent}

        return {
            "time": self.time, "forced": self.forced, "out_of_space": self.out_of_space,
            "deleted": self.deleted, "deleted_count": self.deleted_count,
            "freed_bytes": self.freed, "files": self.files, "files_truncated": sum(self.deleted.values()) > len(
                self.files), "orphaned_sidecars": self.orphans, "stale_files": self.stale, "indexed": self.indexed,
            "events_deleted": self.events,
            "still_over_limit": self.still_over, "usage_before": usage(self.usage_before),
            "usage_after": usage(self.usage_after),
        }


class Janitor:
    """A service of the appliance; :meth:`file_written` is the hook the recorder and timelapse call."""

    def __init__(
        self,
        media: MediaIndex,
        settings: SettingsStore,
        host: HostReader,
        paths: DataPaths,
        db: Database,
        bus: EventBus,
        clock: Clock,
        health: HealthMonitor | None = None,
        interval: float = 60.0,
        recordings: RecordingStore | None = None,
        previews: Previews | None = None,
    ) -> None:
        self.media = media
        self.recordings = recordings or RecordingStore(db, paths)
        self.previews = previews or Previews(db, paths, self.recordings)
        self._settings = settings
        self._host = host
        self._paths = paths
        self._db = db
        self._bus = bus
        self._clock = clock
        self._health = health
        self._full_alert = False
        self._short_of_space = threading.Event()
        self._stop_listening: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._worker = PeriodicWorker("janitor", self.run, interval, immediately=True)
        self._last_reconcile: float | None = None
        self._last_age_check: float | None = None
        self._last_recording_expiry: float | None = None
        self.last_report: CleanupReport | None = None
        self.passes = 0
        settings.on_change(self._settings_changed)

    def start(self) -> None:
        self._stop_listening = diskfull.on_out_of_space(self.out_of_space)
        self._worker.start()

    def stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
        self._worker.stop()

    def out_of_space(self) -> None:
        """A write found the disk full: free space now, before anything else."""
        self._short_of_space.set()
        self._worker.wake()

    def delete(self, path: Path, kind: str) -> None:
        """Delete an archived file the owner chose (with its sidecars, index row and place in its
        event) and tell the dashboards (SSE ``archive_updated`` with ``deleted``)."""
        self.media.delete_path(path)
        self._bus.publish(ARCHIVE_UPDATED, {"type": kind, "path": str(path), "deleted": True})

    def file_written(self, path: Path, event_id: str | None = None) -> None:
        """Index a file that is now complete, and check the space soon (the recorder's low-space report)."""
        try:
            self.media.register(path, event_id)
        except Exception:
            # The next reconcile indexes it; recording must never fail over bookkeeping.
            log.exception("indexing %s failed", path)
        self._worker.wake()

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if old.StorageLimit != new.StorageLimit or old.Cameras != new.Cameras:
            # New limits or retention days apply now, not at the next hourly check.
            self._last_age_check = self._last_recording_expiry = None
            self._worker.wake()

    def usage(self) -> DiskUsage:
        return self._host.disk_usage(self._paths.root)

    def room(self) -> int:
        """Bytes that may still be written before the data directory reaches ``max_percent`` (≤ 0: none)."""
        usage = self.usage()
        return usage.total * self._settings.get().StorageLimit.max_percent // 100 - usage.used

    def run(self, force: bool = False) -> CleanupReport:
        """One pass (see the module's description); ``force`` does every step now, even when disabled."""
        with self._lock:
            now = self._clock.time()
            limits = self._settings.get().StorageLimit
            urgent = self._short_of_space.is_set()
            self._short_of_space.clear()
            postpone = urgent and not force
            report = CleanupReport(time=now, forced=force, out_of_space=urgent)
            if not postpone and (force or self._last_reconcile is None or now - self._last_reconcile >= DAY):
                self._reconcile(report)
                self._last_reconcile = now
            if force or self._last_recording_expiry is None or now - self._last_recording_expiry >= HOUR:
                self._expire_recordings(now, report)
                report.freed += self.previews.expire(now)
                self._last_recording_expiry = now
            if limits.enabled or force:
                if not postpone and (force or self._last_age_check is None or now - self._last_age_check >= HOUR):
                    self._apply_retention(limits, now, report)
                    self._last_age_check = now
                report.usage_before = self.usage()
                report.usage_after = self._free_space(limits, report.usage_before, report)
            self._limit_profiles(limits, report)
            with diskfull.best_effort("making the space reserve"):
                diskfull.keep_reserve(self._paths.space_reserve)
            # Only a limit the janitor enforces on its own can be "stuck" (a forced cleanup reports it).
            self._alert_full(limits.enabled and report.still_over, report.usage_after, limits)
            self.passes += 1
            # Status shows the last pass that did something, not the thousands of quiet ones since.
            if force or urgent or report.deleted_count or report.indexed or self.last_report is None:
                self.last_report = report
        if postpone:
            self._worker.wake()  # the steps put off for space, now
        if report.deleted_count:
            log.info("storage: deleted %s, %d orphaned sidecars, %d stale files, %d events with no file; "
                     "freed %d bytes", report.deleted, report.orphans, report.stale, report.events, report.freed)
            self._bus.publish(ARCHIVE_UPDATED, {"type": "cleanup", "deleted": report.deleted,
                                                "freed_bytes": report.freed, "forced": force})
        return report

    def _reconcile(self, report: CleanupReport) -> None:
        segments = {row["path"] for row in self._db.query("SELECT path FROM recorder_segments")}
        done = self.media.reconcile(segments)
        report.indexed = done.indexed
        report.orphans, report.stale = len(done.orphans), len(done.stale)
        report.freed += done.freed
        stale, forgotten = self.recordings.reconcile(segments, older_than=self._clock.time() - HOUR)
        report.stale += len(stale)
        if stale or forgotten:
            log.info("storage: %d unlisted recording files deleted, %d rows of missing files forgotten",
                     len(stale), forgotten)

    def _camera(self, name: str) -> CameraSettings:
        """The camera's settings (the defaults for one no longer configured: its footage still ages out)."""
        return next((camera for camera in self._settings.get().Cameras if camera.name == name),
                    CameraSettings(name=name, record=RecordSettings()))

    def _expire_recordings(self, now: float, report: CleanupReport) -> None:
        """Each camera's recordings older than ``record.retain.days`` that no event still holds."""
        for name in self.recordings.cameras():
            camera = self._camera(name)
            record = camera.record
            windows = self.recordings.protected_windows(name, camera.pre_capture, camera.post_capture, now, record)
            away = self._profile_prefixes(unavailable_only=True)
            for batch in self.recordings.expirable(name, before=now - record.retain.days * DAY, outside=away):
                chosen = [item for item in batch if not overlaps_any(windows, item.start_time, item.end_time)]
                report.freed += self.recordings.delete(chosen)
                report.note(chosen, f"older than {record.retain.days:g} days")

    def _profile_prefixes(self, unavailable_only: bool = False) -> list[str]:
        profiles = self.media.profiles
        if profiles is None:
            return []
        return profiles.unavailable_prefixes() if unavailable_only else [p.prefix for p in profiles.list()]

    def _space_candidates(self, kind: str, now: float, within: str | None,
                          outside: Sequence[str]) -> Iterator[list[MediaFile] | list[Recording]]:
        """What may go for space, oldest first: recordings outside events in progress or retained, or
        ``kind``'s files by :meth:`MediaIndex.deletable`; below the path prefix ``within`` and out of
        the ``outside`` ones."""
        if kind != RECORDINGS:
            yield from self.media.deletable(kind, within=within, outside=outside)
            return
        windows: dict[str, list[tuple[float, float]]] = {}
        for batch in self.recordings.expirable(None, before=now, within=within, outside=outside):
            chosen = []
            for item in batch:
                if item.camera not in windows:
                    camera = self._camera(item.camera)
                    windows[item.camera] = self.recordings.protected_windows(
                        item.camera, camera.pre_capture, camera.post_capture, now, None)
                if not overlaps_any(windows[item.camera], item.start_time, item.end_time):
                    chosen.append(item)
            yield chosen

    def _delete(self, kind: str, files: list) -> int:
        return self.recordings.delete(files) if kind == RECORDINGS else self.media.delete(files)

    def _apply_retention(self, limits: StorageLimitSettings, now: float, report: CleanupReport) -> None:
        away = self._profile_prefixes(unavailable_only=True)
        for kind in KINDS:
            days = getattr(limits.retention_days, kind)
            if days <= 0:
                continue
            for batch in self.media.deletable(kind, before=now - days * DAY, outside=away):
                report.freed += self.media.delete(batch)
                report.note(batch, f"older than {days} days")
        days = limits.retention_days
        if days.clips > 0 and days.snapshots > 0:
            report.events = self.media.forget_events(now - max(days.clips, days.snapshots) * DAY)

    def _free_space(self, limits: StorageLimitSettings, usage: DiskUsage, report: CleanupReport) -> DiskUsage:
        """Delete oldest first, kind by kind, until at most ``max_percent`` is used; the usage after."""
        if usage.bytes_over(limits.max_percent) > 0:
            # Previews first: a cache, made again on demand.
            freed = self.previews.clear()
            if freed:
                report.freed += freed
                usage = self.usage()
        # Files on storage profiles free nothing here: each profile has its own pass (_limit_profiles).
        profiles = self._profile_prefixes()
        for _attempt in range(3):
            excess = usage.bytes_over(limits.max_percent)
            if excess <= 0:
                return usage
            deleted_any = self._delete_oldest(excess, report, f"over {limits.max_percent} % used", None, profiles)
            # The index's sizes are what we expect to free; the disk says what we did.
            usage = self.usage()
            if not deleted_any:
                break
        report.still_over = usage.bytes_over(limits.max_percent) > 0
        if report.still_over:
            log.warning("storage: %.1f %% used, over the %d %% limit, and nothing more may be deleted",
                        usage.percent, limits.max_percent)
        return usage

    def _delete_oldest(self, excess: int, report: CleanupReport, reason: str, within: str | None,
                       outside: Sequence[str]) -> bool:
        """Delete at least ``excess`` bytes, oldest first, kind by kind in :data:`SPACE_ORDER`, among the
        files below ``within`` and outside ``outside`` (path prefixes); whether anything was deleted."""
        deleted_any = False
        for kind in SPACE_ORDER:
            for batch in self._space_candidates(kind, self._clock.time(), within, outside):
                chosen = []
                for item in batch:
                    chosen.append(item)
                    excess -= item.size
                    if excess <= 0:
                        break
                report.freed += self._delete(kind, chosen)
                report.note(chosen, reason)
                deleted_any = True
                if excess <= 0:
                    return True
        return deleted_any

    def _limit_profiles(self, limits: StorageLimitSettings, report: CleanupReport) -> None:
        """Each available storage profile under its ``max_size_gb`` (its indexed files, always) and, with
        the limit enabled, its disk under ``max_percent``; oldest first, as for the data directory."""
        profiles = self.media.profiles
        if profiles is None:
            return
        for profile in profiles.available():
            used = profiles.bytes_used(profile)[0]
            excess = used - profile.max_bytes if profile.max_bytes else 0
            reason = f"over the profile {profile.name!r}'s {profile.max_size_gb:g} GB"
            if limits.enabled or report.forced:
                over_disk = self._host.disk_usage(profile.path).bytes_over(limits.max_percent)
                if over_disk > excess:
                    excess, reason = over_disk, f"over {limits.max_percent} % used on the disk of {profile.name!r}"
            if excess > 0:
                self._delete_oldest(excess, report, reason, profile.prefix, ())

    def _alert_full(self, full: bool, usage: DiskUsage | None, limits: StorageLimitSettings) -> None:
        """A ``storage_limit`` health alert (SSE ``system_alert``) while what is left may not be deleted."""
        if self._health is None or full == self._full_alert:
            return
        self._full_alert = full
        message = ""
        if full and usage is not None:
            message = (f"{usage.percent} % used, over the {limits.max_percent} % limit; "
                       "the rest is locked, retained or still recording")
        self._health.set_alert("storage_limit", WARN if full else OK, message)

    def status(self) -> dict[str, Any]:
        limits = self._settings.get().StorageLimit
        usage = self.usage()
        by_kind = self.media.bytes_by_kind()
        cache = self._db.query_one("SELECT coalesce(sum(size), 0) AS bytes, count(*) AS files FROM recorder_segments")
        by_kind[RECORDINGS] = self.recordings.totals()
        by_kind["previews"] = self.previews.totals()
        by_kind["cache"] = {"bytes": int(cache["bytes"]), "files": int(cache["files"])} if cache else {
            "bytes": 0, "files": 0}
        return {
            "enabled": limits.enabled,
            "max_percent": limits.max_percent,
            "retention_days": limits.retention_days.model_dump(),
            "total": usage.total,
            "used": usage.used,
            "free": usage.free,
            "percent": usage.percent,
            "over_limit": usage.bytes_over(limits.max_percent) > 0,
            "by_kind": by_kind,
            "order": list(SPACE_ORDER),
            "last_cleanup": self.last_report.to_dict() if self.last_report else None,
        }
