"""Storage profiles: a camera's clips, snapshots and kept recordings on another disk (a USB SSD, a
network share) instead of the SD card, and what happens when that disk goes away.

A profile (VibeNVR's ``/storage/profiles``) is a row: a name, an absolute directory, a description
and ``max_size_gb`` (GiB; 0 = no limit of its own). A camera names one in its settings
(``Cameras[].storage_profile``, the profile's id); ``null`` or an id that no longer exists is the
default profile, the data directory. A profile's files live in ``<path>/recordings/`` with the
layout of the data directory's ``recordings/`` (``output_*.mp4`` with sidecars, ``snapshot_*.jpg``,
``<YYYY-MM-DD>/<HH>/<camera>/<MM>.<SS>.ts``), so every part that reads files by their indexed path
(listings, the janitor, ``/vod``) reads them wherever they are.

**Refused paths** (:func:`check_path`, a 400 naming the reason): not absolute, missing, no directory,
the data directory or anything inside it (or above it), a system directory (:data:`SYSTEM_TREES` and
everything under them, :data:`SYSTEM_DIRS` themselves), overlapping another profile, or one the
service cannot write (a probe file is written, synced and removed).

**A disk that disappears.** At creation the profile writes a marker file holding a random token in
its directory. The profile is *available* while that marker is there with its token (an unmounted
USB disk leaves its empty mount point behind on the SD card, without it; another disk mounted in its
place has none or another's) and, at the periodic full check, a probe file can be written. The
marker, not the device number, says which disk it is: a disk plugged in again may get another one.
:meth:`directory_for` (asked before every clip, snapshot and kept segment) does the quick part (one
small read); a write that fails on a profile (:meth:`write_failed`) and the worker every ``interval`` seconds do
the full check. An unavailable profile raises the health alert ``storage_profile_<id>`` (SSE
``system_alert``) and its cameras write to the data directory until it is back; the writers write
to a hidden name in the target directory and rename, and write again in the data directory when
the profile fails under them, so nothing is lost and nothing half-written is left there. Its
indexed files are neither forgotten nor deleted while it is away.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from securitycam import diskfull
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.models import Settings
from securitycam.config.store import SettingRefused
from securitycam.diskfull import NO_SPACE_ERRNOS
from securitycam.fileio import write_atomic
from securitycam.paths import DataPaths
from securitycam.store.db import Database, register_schema
from securitycam.system.health import OK, WARN, HealthMonitor
from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

GIB = 1024**3
MARKER = ".securitycam-profile"
PROBE_PREFIX = ".securitycam-probe-"
ALERT_PREFIX = "storage_profile_"
# Directories that are the system's, with everything below them.
SYSTEM_TREES = tuple(Path(p) for p in (
    "/bin", "/boot", "/dev", "/efi", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/lost+found", "/proc", "/root",
    "/run", "/sbin", "/snap", "/sys", "/usr", "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock",
    "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp",
))
# Directories that hold other things beside a profile: one of their subdirectories is fine, they are not.
SYSTEM_DIRS = tuple(Path(p) for p in ("/", "/home", "/media", "/mnt", "/opt", "/srv", "/tmp", "/var"))

register_schema(
    "storage_profiles",
    [
        """
        CREATE TABLE storage_profiles (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            max_size_gb REAL NOT NULL DEFAULT 0,
            token TEXT NOT NULL,
            created REAL NOT NULL
        );
        """
    ],
)


class ProfileError(ValueError):
    """A profile request that cannot be honoured; ``status`` is the HTTP status, ``field`` the field."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    path: Path
    description: str
    max_size_gb: float
    token: str
    created: float

    @property
    def recordings(self) -> Path:
        return self.path / "recordings"

    @property
    def max_bytes(self) -> int:
        return int(self.max_size_gb * GIB)

    @property
    def prefix(self) -> str:
        """Every indexed path of the profile's files starts with this."""
        return os.path.join(self.recordings, "")


def _profile(row: Any) -> Profile:
    return Profile(row["id"], row["name"], Path(row["path"]), row["description"], row["max_size_gb"],
                   row["token"], row["created"])


def under(path: Path, tree: Path) -> bool:
    return path == tree or tree in path.parents


def check_path(raw: Any, data_root: Path, others: list[Profile]) -> Path:
    """``raw`` as a profile directory (resolved), or :class:`ProfileError` saying why not."""
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise ProfileError("path: an absolute directory path is required", "path")
    if not os.path.isabs(raw):
        raise ProfileError(f"path: {raw!r} is not absolute", "path")
    try:
        real = Path(raw).resolve(strict=True)
    except FileNotFoundError as exc:
        raise ProfileError(f"path: {raw} does not exist (is the disk mounted?)", "path") from exc
    except (OSError, RuntimeError) as exc:
        raise ProfileError(f"path: {raw} cannot be used: {exc}", "path") from exc
    if not real.is_dir():
        raise ProfileError(f"path: {raw} is not a directory", "path")
    if any(under(real, tree) for tree in SYSTEM_TREES) or real in SYSTEM_DIRS:
        raise ProfileError(f"path: {real} is a system directory; use a directory on the mounted disk "
                           "(e.g. /mnt/usb/securitycam)", "path")
    data = data_root.resolve()
    if under(real, data):
        raise ProfileError(f"path: {real} is inside the data directory {data}; the default profile already "
                           "stores there", "path")
    if real in data.parents:
        raise ProfileError(f"path: {real} holds the data directory {data}", "path")
    for other in others:
        if under(real, other.path) or under(other.path, real):
            raise ProfileError(f"path: {real} overlaps the profile {other.name!r} ({other.path})", "path")
    problem = probe(real)
    if problem:
        raise ProfileError(f"path: the service cannot write in {real}: {problem}", "path")
    return real


def probe(directory: Path) -> str | None:
    """Write, sync and remove a small file in ``directory``; the reason it failed, or ``None``. A full
    disk is no reason: it is there, and the janitor makes room on it."""
    target = directory / f"{PROBE_PREFIX}{secrets.token_hex(4)}"
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"securitycam")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.unlink(target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            target.unlink()
        return None if exc.errno in NO_SPACE_ERRNOS else (exc.strerror or str(exc))
    return None


class StorageProfiles:
    """The ``storage_profiles`` table, where each camera writes now, and the alerts; a service."""

    def __init__(self, db: Database, paths: DataPaths, settings: SettingsStore, clock: Clock,
                 health: HealthMonitor | None = None, interval: float = 30.0) -> None:
        self._db = db
        self._paths = paths
        self._settings = settings
        self._clock = clock
        self._health = health
        self._lock = threading.Lock()
        self._problems: dict[int, str] = {}  # profiles found unavailable, with why
        self._worker = PeriodicWorker("storage-profiles", self.check_all, interval, immediately=True)
        settings.add_check(self._cameras_name_profiles)

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop()

    def _cameras_name_profiles(self, settings: Settings) -> None:
        chosen = [(index, c.storage_profile) for index, c in enumerate(settings.Cameras) if c.storage_profile]
        if not chosen:
            return
        known = {profile.id for profile in self.list()}
        for index, profile_id in chosen:
            if profile_id not in known:
                raise SettingRefused(f"Cameras.{index}.storage_profile",
                                     f"no storage profile {profile_id} (see GET /storage/profiles)")

    # -- the table ----------------------------------------------------------------------------------

    def list(self) -> list[Profile]:
        return [_profile(row) for row in self._db.query("SELECT * FROM storage_profiles ORDER BY id")]

    def get(self, profile_id: int) -> Profile | None:
        row = self._db.query_one("SELECT * FROM storage_profiles WHERE id = ?", (profile_id,))
        return _profile(row) if row else None

    def create(self, name: str, path: str, description: str = "", max_size_gb: float = 0.0) -> Profile:
        real = check_path(path, self._paths.root, self.list())
        self._unique_name(name, None)
        token = secrets.token_hex(16)
        self._prepare(real, token)
        with self._db.transaction() as tx:
            row = tx.execute(
                "INSERT INTO storage_profiles (name, path, description, max_size_gb, token, created) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                (name, str(real), description, max_size_gb, token, self._clock.time()),
            ).fetchone()
        profile = _profile(row)
        log.info("storage profile %r created in %s", name, real)
        self._set_problem(profile, None)
        return profile

    def update(self, profile_id: int, changes: dict[str, Any]) -> Profile:
        profile = self._existing(profile_id)
        if "name" in changes:
            self._unique_name(changes["name"], profile_id)
        values = {key: changes[key] for key in ("name", "description", "max_size_gb") if key in changes}
        if "path" in changes and changes["path"] != str(profile.path):
            if self.bytes_used(profile)[1]:
                raise ProfileError(f"path: the profile {profile.name!r} holds files in {profile.recordings}; "
                                   "make a new profile for the new place instead", "path", status=409)
            real = check_path(changes["path"], self._paths.root, [p for p in self.list() if p.id != profile_id])
            token = secrets.token_hex(16)
            self._prepare(real, token)
            values.update(path=str(real), token=token)
        if values:
            assignments = ", ".join(f"{key} = ?" for key in values)
            with self._db.transaction() as tx:
                tx.execute(f"UPDATE storage_profiles SET {assignments} WHERE id = ?", (*values.values(), profile_id))
        updated = self._existing(profile_id)
        self._set_problem(updated, self.problem(updated, full=True))
        return updated

    def delete(self, profile_id: int) -> tuple[Profile, list[str], int]:
        """Delete the profile; its cameras go back to the data directory. Its files stay on its disk, and
        the index forgets them. Returns the profile, the cameras moved back and the files left there."""
        profile = self._existing(profile_id)
        moved: list[str] = []

        def revert(settings: Any) -> None:
            for camera in settings.Cameras:
                if camera.storage_profile == profile_id:
                    camera.storage_profile = None
                    moved.append(camera.name)

        self._settings.modify(revert)
        prefix = (profile.prefix, profile.prefix + "\uffff")
        with self._db.transaction() as tx:
            left = tx.execute("DELETE FROM media WHERE path > ? AND path < ?", prefix).rowcount
            left += tx.execute("DELETE FROM recordings WHERE path > ? AND path < ?", prefix).rowcount
            tx.execute("DELETE FROM storage_profiles WHERE id = ?", (profile_id,))
        self._set_problem(profile, None)
        with self._lock:
            self._problems.pop(profile_id, None)
        log.info("storage profile %r deleted; cameras %s back in the data directory", profile.name, moved)
        return profile, moved, left

    def _existing(self, profile_id: int) -> Profile:
        profile = self.get(profile_id)
        if profile is None:
            raise ProfileError(f"no storage profile {profile_id}", status=404)
        return profile

    def _unique_name(self, name: str, own_id: int | None) -> None:
        row = self._db.query_one("SELECT id FROM storage_profiles WHERE name = ?", (name,))
        if row is not None and row["id"] != own_id:
            raise ProfileError(f"name: a storage profile named {name!r} exists", "name", status=409)

    @staticmethod
    def _prepare(real: Path, token: str) -> None:
        (real / "recordings").mkdir(exist_ok=True)
        write_atomic(real / MARKER, token, mode=0o600)

    # -- where to write -------------------------------------------------------------------------------

    def profile_of(self, camera: str) -> Profile | None:
        """The profile ``camera`` is set to use (``None``: the data directory)."""
        chosen = next((c.storage_profile for c in self._settings.get().Cameras if c.name == camera), None)
        return self.get(chosen) if chosen is not None else None

    def directory_for(self, camera: str) -> Path:
        """The directory ``camera``'s clips, snapshots and kept segments go to now: its profile's
        ``recordings/`` while the profile is available, else the data directory's."""
        profile = self.profile_of(camera)
        if profile is None:
            return self._paths.recordings
        problem = self.problem(profile, full=False)
        self._set_problem(profile, problem)
        return self._paths.recordings if problem else profile.recordings

    def write_failed(self, directory: Path, exc: BaseException) -> bool:
        """A write in ``directory`` failed with ``exc``: whether the writer is to write in the data
        directory instead, because ``directory`` is a profile's that is unavailable now or full (the
        janitor is told, and makes room on it)."""
        for profile in self.list():
            if under(directory, profile.recordings):
                problem = self.problem(profile, full=True)
                self._set_problem(profile, problem)
                return problem is not None or diskfull.report(exc)
        return False

    def problem(self, profile: Profile, full: bool = True) -> str | None:
        """Why ``profile`` cannot be written now, or ``None``; ``full`` also writes a probe file."""
        try:
            if (profile.path / MARKER).read_text().strip() != profile.token:
                return f"{profile.path} holds another disk's marker {MARKER}"
        except FileNotFoundError:
            return f"{profile.path} or its marker {MARKER} is gone (disk unmounted or removed?)"
        except OSError as exc:
            return f"{profile.path} cannot be read: {exc.strerror or exc}"
        if full:
            try:
                profile.recordings.mkdir(exist_ok=True)
            except OSError as exc:
                return f"{profile.recordings} cannot be made: {exc.strerror or exc}"
            failed = probe(profile.recordings)
            if failed:
                return f"{profile.recordings} cannot be written: {failed}"
        return None

    def available(self) -> list[Profile]:
        """The profiles whose files can be listed and served now (as last checked)."""
        with self._lock:
            problems = dict(self._problems)
        return [profile for profile in self.list() if profile.id not in problems]

    def unavailable_prefixes(self) -> list[str]:
        with self._lock:
            ids = set(self._problems)
        return [profile.prefix for profile in self.list() if profile.id in ids]

    def check_all(self) -> None:
        for profile in self.list():
            self._set_problem(profile, self.problem(profile, full=True))

    def _set_problem(self, profile: Profile, problem: str | None) -> None:
        with self._lock:
            before = self._problems.get(profile.id)
            if problem is None:
                self._problems.pop(profile.id, None)
            else:
                self._problems[profile.id] = problem
        if before == problem:
            return
        cameras = [c.name for c in self._settings.get().Cameras if c.storage_profile == profile.id]
        if problem is None:
            log.info("storage profile %r is available again", profile.name)
        else:
            log.warning("storage profile %r unavailable: %s; cameras %s write to the data directory",
                        profile.name, problem, cameras)
        if self._health is not None:
            message = (f"storage profile {profile.name!r} unavailable: {problem}; "
                       f"{', '.join(cameras) or 'its cameras'} record to the data directory until it is back")
            self._health.set_alert(f"{ALERT_PREFIX}{profile.id}", OK if problem is None else WARN,
                                   message if problem else "")

    # -- what it holds ---------------------------------------------------------------------------------

    def bytes_used(self, profile: Profile) -> tuple[int, int]:
        """``(bytes, files)`` indexed under the profile: clips (with sidecars), snapshots, kept segments."""
        bounds = (profile.prefix, profile.prefix + "\uffff")
        total, files = 0, 0
        for table in ("media", "recordings"):
            row = self._db.query_one(
                f"SELECT coalesce(sum(size), 0) AS bytes, count(*) AS n FROM {table} WHERE path > ? AND path < ?",
                bounds)
            if row:
                total, files = total + int(row["bytes"]), files + int(row["n"])
        return total, files

    def describe(self, profile: Profile) -> dict[str, Any]:
        used, files = self.bytes_used(profile)
        with self._lock:
            problem = self._problems.get(profile.id)
        cameras = [c.name for c in self._settings.get().Cameras if c.storage_profile == profile.id]
        return {
            "id": profile.id, "name": profile.name, "path": str(profile.path), "description": profile.description,
            "max_size_gb": profile.max_size_gb, "used_bytes": used, "used_gb": round(used / GIB, 3), "files": files,
            "available": problem is None, "problem": problem, "cameras": cameras,
            "same_disk_as_data": problem is None and _same_disk(self._paths.root, profile.path),
        }


def _same_disk(one: Path, other: Path) -> bool:
    try:
        return os.stat(one).st_dev == os.stat(other).st_dev
    except OSError:
        return False
