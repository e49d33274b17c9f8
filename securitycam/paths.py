"""The data directory layout, and the one way a client-supplied path is turned into a file.

Every path that arrives in a request goes through :func:`resolve_inside`; it either lands
inside the directory it belongs to or raises :class:`PathRefused` (answered with 400). So does
every path derived from one and every listing shown to a client: a sidecar (``x.thumb.jpg`` of
``x.mp4``) through :func:`inside`, a directory's files through :func:`entries_inside`. A symlink
is followed only to see where it ends; one that ends outside, loops or dangles is left out. A
name the filesystem itself refuses (longer than 255 bytes, a loop) is refused like one outside.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# What lstat may say of a path that is merely absent: the caller answers 404, not 400.
_ABSENT = (errno.ENOENT, errno.ENOTDIR)
# An event's pictures in ``clips/`` after ``<camera>-<event id>``: the snapshot (boxes drawn), its
# clean copy (``.png`` when the API made it, ``.jpg`` when detection did) and detection's thumbnail.
EVENT_PICTURES = (".jpg", "-clean.png", "-clean.jpg", "-thumb.jpg")


class PathRefused(ValueError):
    """A client named a path outside the directory it may touch."""


@dataclass(frozen=True)
class DataPaths:
    """Where each kind of data lives below ``--data-dir`` (see the design's storage layout)."""

    root: Path

    @property
    def settings_dir(self) -> Path:
        return self.root / "settings"

    @property
    def settings_file(self) -> Path:
        return self.settings_dir / "settings.json"

    @property
    def database(self) -> Path:
        return self.root / "securitycam.db"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def recordings(self) -> Path:
        return self.root / "recordings"

    @property
    def clips(self) -> Path:
        """Event snapshots (Frigate's ``<camera>-<event id>.jpg``), thumbnails and review thumbnails."""
        return self.root / "clips"

    def event_pictures(self, camera: str, event_id: str) -> list[Path]:
        """Where an event's pictures may be in :attr:`clips` (the names that stay inside it: camera
        and id come from the database, which a client wrote to)."""
        found = (inside(self.clips, f"{camera}-{event_id}{suffix}") for suffix in EVENT_PICTURES)
        return [path for path in found if path is not None]

    @property
    def timelapse(self) -> Path:
        return self.root / "timelapse"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """Pid files of the child processes we supervise (see ``recorder/process.py``)."""
        return self.root / "run"

    @property
    def scratch(self) -> Path:
        """Files made for one request (a clip joined from its parts, a preview GIF), deleted once
        sent; emptied at every start (:meth:`clear_scratch`), so that a crash mid-download does not
        leave them behind for good."""
        return self.root / "tmp"

    def clear_scratch(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True, exist_ok=True)

    @property
    def space_reserve(self) -> Path:
        """Space kept so that the appliance can start on a full disk (see :mod:`securitycam.diskfull`)."""
        return self.root / ".space-reserve"

    @property
    def default_password_file(self) -> Path:
        return self.root / "default-password.txt"

    @property
    def session_secret_file(self) -> Path:
        return self.root / "session-secret"

    @property
    def vapid_key_file(self) -> Path:
        """The Web Push (VAPID) private key, made at the first start."""
        return self.root / "vapid-private.pem"

    def create(self) -> None:
        # Settings, the database and the clips are the owner's alone.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for directory in (
            self.settings_dir,
            self.cache,
            self.recordings,
            self.clips,
            self.timelapse,
            self.exports,
            self.logs / "api",
        ):
            directory.mkdir(parents=True, exist_ok=True)


def resolve_inside(base: Path, name: str | os.PathLike[str]) -> Path:
    """Resolve ``name`` (absolute, or relative to ``base``) and refuse it unless it lies in ``base``.

    Symlinks are resolved first, so a link inside ``base`` that points out is refused too. The
    result may not exist (the caller says 404), but it can be looked at without an error.
    """
    if not isinstance(name, (str, os.PathLike)) or str(name) == "" or "\x00" in str(name):
        raise PathRefused("a path is required")
    try:
        base_real = base.resolve()
        candidate = Path(name)
        if not candidate.is_absolute():
            candidate = base_real / candidate
        resolved = candidate.resolve()
        os.lstat(resolved)
    except RuntimeError as exc:  # Path.resolve's word for a symlink loop (before Python 3.13)
        raise PathRefused("a symlink loop") from exc
    except OSError as exc:
        if exc.errno not in _ABSENT:
            raise PathRefused(os.strerror(exc.errno or errno.EINVAL).lower()) from exc
    if resolved == base_real or base_real not in resolved.parents:
        raise PathRefused(f"path is outside {base.name}/")
    return resolved


def inside(base: Path, name: str) -> Path | None:
    """:func:`resolve_inside` for what a client is shown rather than asked for (a sidecar, a
    listed file): ``None`` instead of :class:`PathRefused`.

    A plain file name that is not a link costs one ``lstat`` (a listing asks for thousands): it
    names an entry of ``base`` itself, so it cannot be anywhere else. Only links are resolved.
    """
    if "/" not in name and name not in ("", ".", "..") and "\x00" not in name:
        candidate = base / name
        try:
            if not stat.S_ISLNK(os.lstat(candidate).st_mode):
                return candidate
        except FileNotFoundError:
            return candidate  # nothing there: the caller finds it missing
        except OSError:
            return None
    try:
        return resolve_inside(base, name)
    except PathRefused:
        return None


def entries_inside(directory: Path, pattern: str = "*") -> Iterator[os.DirEntry[str]]:
    """The entries of ``directory`` matching ``pattern`` (not hidden ones) that stay inside it.

    Only links cost a resolve: any other entry of the directory is inside by construction. An
    absent directory has no entries.
    """
    matches = re.compile(fnmatch.translate(pattern)).match  # once, not a cache lookup per entry
    try:
        with os.scandir(directory) as listing:
            for entry in listing:
                if entry.name.startswith(".") or not matches(entry.name):
                    continue
                if entry.is_symlink() and inside(directory, entry.name) is None:
                    continue
                yield entry
    except OSError:
        return
