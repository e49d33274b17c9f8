"""The API's own log files and the parsers behind ``/logs/*``.

The API logs to ``logs/api/api.log``, rotated at 1 MiB with four old files kept, so logging can
never take more than 5 MiB of an SD card. Entries are one line each, ``<ISO time> <LEVEL>
<logger>: <message>``; continuation lines (tracebacks) belong to the entry above them.
``securitycam serve`` also prints warnings, errors and the start-up lines (logged with
``extra=CONSOLE``: where it listens, where the password is, what hardware is simulated) on its
standard output, the terminal or the journal; ``extra=CONSOLE_ONLY`` records (the setup hotspot's
password) go there and not to the API log.

Credentials in URLs (a camera's ``rtsp://user:password@...``) are masked in what we log, and in
every log shown to a client: ffmpeg and MediaMTX write their own files and quote the URLs they
fail to open. Masking comes before a ``search`` filter, so a search cannot test a guessed password.

On a full disk a line that cannot be written is dropped, instead of a traceback on stderr for
every line; logging goes on by itself once there is room. It does not wake the storage janitor:
the janitor's own lines would wake it again and again.
"""

from __future__ import annotations

import codecs
import logging
import logging.handlers
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from securitycam import diskfull
from securitycam.config.credentials import redact
from securitycam.paths import PathRefused, entries_inside, resolve_inside

API_LOG_NAME = "api.log"
API_LOG_BYTES = 1024 * 1024
API_LOG_BACKUPS = 4
MAX_LIMIT = 2000
DEFAULT_LIMIT = 500
LEVELS = ("ERROR", "WARNING", "INFO", "DEBUG")
PARSED_CATEGORIES = ("api", "mediamtx")
READ_CHUNK = 64 * 1024

_API_LINE = re.compile(r"^(\S+) (DEBUG|INFO|WARNING|ERROR|CRITICAL) ([^:\s]+): ?(.*)$")
_MEDIAMTX_LINE = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) (DBG|INF|WAR|ERR) (?:\[([^\]]+)\] )?(.*)$")
_MEDIAMTX_LEVELS = {"DBG": "DEBUG", "INF": "INFO", "WAR": "WARNING", "ERR": "ERROR"}


@dataclass
class LogEntry:
    ts: str
    level: str
    source: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


CONSOLE = {"console": True}
"""``extra=`` for a log record that is also printed on the terminal of ``securitycam serve``."""
CONSOLE_ONLY = {"console": True, "console_only": True}
"""``extra=`` for a record printed on the terminal (the journal) only: a secret the API log, which
every user may read (``GET /logs/api``), must not hold."""


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _IsoFormatter(_RedactingFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class _ApiLogHandler(logging.handlers.RotatingFileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        if not diskfull.is_out_of_space(sys.exc_info()[1]):
            super().handleError(record)
            return
        # The unwritten buffer would make every later line fail too: drop it with the stream,
        # which the next line reopens.
        stream, self.stream = self.stream, None  # type: ignore[assignment]
        if stream is not None:
            with suppress(OSError):
                stream.close()


def setup_logging(logs_dir: Path, level: int = logging.INFO) -> logging.Handler:
    """Send the ``securitycam`` loggers to the rotating API log (replacing an earlier data dir's)."""
    api_dir = logs_dir / "api"
    api_dir.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("securitycam")
    for current in logger.handlers:
        # ``serve`` sets logging up before it builds the app, which sets it up again: keep the first
        # handler, so that the file still gets each line before the console does.
        if getattr(current, "securitycam", False) and current.baseFilename == str(api_dir / API_LOG_NAME):
            return current
    handler = _ApiLogHandler(
        api_dir / API_LOG_NAME, maxBytes=API_LOG_BYTES, backupCount=API_LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(_IsoFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(lambda record: not getattr(record, "console_only", False))
    handler.securitycam = True  # type: ignore[attr-defined]
    for old in [h for h in logger.handlers if getattr(h, "securitycam", False)]:
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def log_to_console(stream: TextIO = sys.stdout) -> logging.Handler:
    """Also print the ``securitycam`` loggers' warnings, errors and ``CONSOLE`` records on ``stream``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_RedactingFormatter("%(asctime)s securitycam %(levelname)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(lambda record: record.levelno >= logging.WARNING or getattr(record, "console", False))
    logging.getLogger("securitycam").addHandler(handler)
    return handler


def _files(directory: Path, pattern: str = "*") -> list[tuple[Path, os.stat_result]]:
    """The files of ``directory`` matching ``pattern`` that stay inside it, with their stat, newest first."""
    found = []
    for entry in entries_inside(directory, pattern):
        try:
            if entry.is_file():
                found.append((Path(entry.path), entry.stat()))
        except OSError:
            continue
    return sorted(found, key=lambda item: item[1].st_mtime, reverse=True)


def _parse(lines: list[str], line_re: re.Pattern[str], levels: dict[str, str] | None,
           default_source: str) -> Iterator[LogEntry]:
    """Entries of one file, newest first; unparsable lines attach to the entry above them."""
    entries: list[LogEntry] = []
    for line in map(redact, lines):
        match = line_re.match(line)
        if match:
            ts, level, source, message = match.groups()
            entries.append(LogEntry(ts, (levels or {}).get(level, level), source or default_source, message))
        elif entries and line.strip():
            entries[-1].message += "\n" + line
    return reversed(entries)


def _read_entries(directory: Path, pattern: str, line_re: re.Pattern[str], levels: dict[str, str] | None,
                  default_source: str, limit: int, level: str | None, search: str | None) -> list[LogEntry]:
    limit = max(1, min(limit, MAX_LIMIT))
    wanted_level = level.upper() if level else None
    needle = search.lower() if search else None
    found: list[LogEntry] = []
    for path, _stat in _files(directory, pattern):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for entry in _parse(lines, line_re, levels, default_source):
            if wanted_level and entry.level != wanted_level:
                continue
            if needle and needle not in f"{entry.source} {entry.message}".lower():
                continue
            found.append(entry)
            if len(found) >= limit:
                return found
    return found


def read_api_log(logs_dir: Path, limit: int = DEFAULT_LIMIT, level: str | None = None,
                 search: str | None = None) -> list[LogEntry]:
    return _read_entries(logs_dir / "api", f"{API_LOG_NAME}*", _API_LINE, {"CRITICAL": "ERROR"},
                         "api", limit, level, search)


def read_mediamtx_log(logs_dir: Path, limit: int = DEFAULT_LIMIT, level: str | None = None,
                      search: str | None = None) -> list[LogEntry]:
    return _read_entries(logs_dir / "mediamtx", "*.log*", _MEDIAMTX_LINE, _MEDIAMTX_LEVELS,
                         "mediamtx", limit, level, search)


RAW_LOG_PATTERNS = {"api": ("api", f"{API_LOG_NAME}*"), "mediamtx": ("mediamtx", "*.log*")}


def raw_lines(logs_dir: Path, category: str, limit: int = 20_000) -> list[str]:
    """The last ``limit`` lines of a parsed category's log files, oldest first, as written but with
    credentials masked."""
    folder, pattern = RAW_LOG_PATTERNS[category]
    lines: list[str] = []
    for path, _stat in _files(logs_dir / folder, pattern):
        try:
            lines[:0] = map(redact, path.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            continue
        if len(lines) >= limit:
            break
    return lines[-limit:]


def follow(logs_dir: Path, category: str, stop: Callable[[], bool], poll: float = 0.5) -> Iterator[str]:
    """The lines a parsed category's newest log file gets from now on (credentials masked, each
    with its newline), checked every ``poll`` seconds until ``stop()``. A file rotated away is read
    to its end; a new file (another inode) or a truncated one is followed from its start.

    The first item is ``""``, yielded once "now" is marked: take it at once (``next()``) so that
    the tail starts when it is asked for, not when a server first iterates it."""
    folder, pattern = RAW_LOG_PATTERNS[category]
    newest = next(iter(_files(logs_dir / folder, pattern)), None)
    inode, position = (newest[1].st_ino, newest[1].st_size) if newest is not None else (None, 0)
    yield ""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while not stop():
        newest = next(iter(_files(logs_dir / folder, pattern)), None)
        chunk = b""
        if newest is not None:
            path, stat = newest
            if stat.st_ino != inode or stat.st_size < position:
                position = 0
            inode = stat.st_ino
            try:
                with path.open("rb") as handle:
                    handle.seek(position)
                    chunk = handle.read(READ_CHUNK)
            except OSError:
                chunk = b""
            position += len(chunk)
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        if len(pending) >= READ_CHUNK:  # a line without end is sent in pieces, not kept whole
            complete.append(pending)
            pending = ""
        if complete:
            yield "".join(redact(line) + "\n" for line in complete)
        if len(chunk) < READ_CHUNK:
            time.sleep(poll)


def list_script_logs(logs_dir: Path) -> list[dict[str, object]]:
    """Every log file in every subfolder but the parsed ones, newest first."""
    found: list[tuple[float, dict[str, object]]] = []
    for category in entries_inside(logs_dir):
        if category.name in PARSED_CATEGORIES or not category.is_dir():
            continue
        for path, stat in _files(Path(category.path)):
            found.append((stat.st_mtime, {
                "name": f"{category.name}/{path.name}",
                "size": stat.st_size,
                "category": category.name,
                "mtime": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
            }))
    found.sort(key=lambda item: item[0], reverse=True)
    return [entry for _, entry in found]


def read_script_log(path: Path) -> str:
    """A script log's text as a client may see it (credentials in URLs masked)."""
    return redact(path.read_text(encoding="utf-8", errors="replace"))


def script_log_path(logs_dir: Path, category: str, name: str) -> Path:
    """The file ``logs/<category>/<name>``, refused (PathRefused) outside its category's folder."""
    if category in PARSED_CATEGORIES or category in ("", ".", ".."):
        raise PathRefused("not a script log category")
    category_dir = resolve_inside(logs_dir, category)
    return resolve_inside(category_dir, name)
