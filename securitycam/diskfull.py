"""A full disk, told apart from other failures, and made known to whoever frees space.

Every write of the appliance can meet a full disk: a file write fails with ``ENOSPC`` (or
``EDQUOT`` under a quota), SQLite with "database or disk is full" (``SQLITE_FULL``), ffmpeg exits
saying "No space left on device" (its :class:`~securitycam.recorder.clips.ClipError` carries the
errno). :func:`is_out_of_space` recognises all of them, also when wrapped in another exception.

What to do about it depends on the writer, but one thing is the same for all: the storage janitor
should free space now rather than at its next pass. :func:`report` tells every listener
(:func:`on_out_of_space`; the janitor is one); :func:`best_effort` is for writes that are nice to
have (a key's last-use time, a rehashed password) and must not fail what they are part of, such as
a login: on a full disk they are skipped and reported. :func:`require_room` refuses what would
depend on a write of another process (ffmpeg's), such as a recording started on a full disk.

Even opening the database needs space (SQLite makes its ``-shm`` and ``-wal`` files again after
a clean stop), so a Pi restarted with a full disk could not start at all, nor anyone log in to
clean up. The data directory therefore keeps a reserve, ``.space-reserve`` (``RESERVE_BYTES``,
allocated while there is plenty of room); a start that finds less than that free deletes it first,
and the janitor makes it again once there is room.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
RESERVE_BYTES = 4 * 1024 * 1024

_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()


def is_out_of_space(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it was raised from or during) is a full disk or quota."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "errno", None) in NO_SPACE_ERRNOS:
            return True
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def reason(exc: BaseException) -> str:
    """A short lower-case reason for a person: "no space left on device" or "disk quota exceeded"."""
    current: BaseException | None = exc
    while current is not None:
        if getattr(current, "errno", None) == errno.EDQUOT:
            return "disk quota exceeded"
        current = current.__cause__ or current.__context__
    return "no space left on device"


def require_room(path: Path, size: int = 1) -> None:
    """Raise ``ENOSPC``, as the write would, when the filesystem holding ``path`` has less than
    ``size`` bytes free for the service: before relying on what another process is to write there
    (ffmpeg's footage), or before a write that would surely fail."""
    if _free_bytes(path) < size:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def on_out_of_space(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener()`` (quickly: it runs in the failing writer's thread) whenever a write meets a
    full disk; returns a function that removes it again."""
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def report(exc: BaseException) -> bool:
    """If ``exc`` is a full disk, tell the listeners; whether it was."""
    if not is_out_of_space(exc):
        return False
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener()
        except Exception:
            log.exception("out-of-space listener %r failed", listener)
    return True


@contextmanager
def best_effort(what: str) -> Iterator[None]:
    """Run a write that may be skipped on a full disk (logged, reported); any other error is raised."""
    try:
        yield
    except Exception as exc:
        if not report(exc):
            raise
        log.warning("%s skipped: %s", what, reason(exc))


def _free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def release_reserve(reserve: Path) -> bool:
    """At start: delete the reserve if less than its size is free, so the database can open."""
    if not reserve.exists() or _free_bytes(reserve.parent) >= RESERVE_BYTES:
        return False
    reserve.unlink(missing_ok=True)
    log.warning("the disk is full: released the %d MiB kept for starting up", RESERVE_BYTES // (1024 * 1024))
    return True


def keep_reserve(reserve: Path) -> None:
    """Make the reserve if it is missing and four times its size is free (so it never fills a disk)."""
    if reserve.exists() or _free_bytes(reserve.parent) < 4 * RESERVE_BYTES:
        return
    partial = reserve.with_name(reserve.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            os.posix_fallocate(fd, 0, RESERVE_BYTES)  # real blocks, without writing them
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                raise
            block = bytes(1024 * 1024)
            for _ in range(RESERVE_BYTES // len(block)):
                os.write(fd, block)
    except BaseException:
        os.close(fd)
        partial.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(partial, reserve)
