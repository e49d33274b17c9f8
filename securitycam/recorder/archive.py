"""What the archive holds, for the API: clips, snapshots and timelapses as files on disk.

Files are the truth (a clip copied in by hand shows up; one deleted by hand disappears), and
listing them is a directory scan, cheap at the few thousand files an SD card holds: one
``os.scandir`` and one stat per file give name, size and mtime to sort by, and only the items of
the page shown are described (meta, sidecars), so a page costs little more than the scan. Listings and
sidecars go through the jail of :mod:`securitycam.paths` like the names clients send: a link
that leads out of its directory, loops or dangles is not shown, and a file that disappears
while a listing is made is left out of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from securitycam.paths import PathRefused, entries_inside, inside, resolve_inside
from securitycam.recorder.clips import read_meta, sidecar

CLIP_PATTERN = "output_*.mp4"
SNAPSHOT_PATTERN = "snapshot_*.jpg"
# An event's snapshot in clips/: ``<camera>-<event id>.jpg`` (its sidecars match too; the lock refuses them).
EVENT_SNAPSHOT_PATTERN = "*-*.jpg"
TIMELAPSE_PATTERN = "timelapse_*.mp4"


@dataclass(frozen=True)
class Entry:
    """A listed file: its name and stat figures only, so a listing of thousands builds no Path per
    file; :attr:`path` (and :func:`describe_clip`'s meta and sidecars) are for the page shown."""

    directory: Path
    name: str
    size: int
    mtime: float

    @property
    def path(self) -> Path:
        return self.directory / self.name

    @property
    def location(self) -> str:
        """``str(path)`` without building the Path."""
        return os.path.join(self.directory, self.name)


def newest_first(entries: list[Entry]) -> list[Entry]:
    entries.sort(key=attrgetter("mtime", "name"), reverse=True)
    return entries


def entries(directory: Path, pattern: str) -> list[Entry]:
    """Files matching ``pattern`` in ``directory``, in directory order."""
    found = []
    for item in entries_inside(directory, pattern):
        try:
            stat = item.stat()
        except OSError:
            continue
        found.append(Entry(directory, item.name, stat.st_size, stat.st_mtime))
    return found


def scan(directory: Path, pattern: str) -> list[Entry]:
    """Files matching ``pattern`` in ``directory``, newest first."""
    return newest_first(entries(directory, pattern))


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def describe_clip(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"path": entry.location, "name": entry.name, "size": entry.size,
                            "mtime": iso(entry.mtime)}
    meta = read_meta(entry.path)
    if meta is not None:
        item["meta"] = meta
        # Where the recording has holes (ffmpeg restarted during the event); older clips list none.
        gaps = meta.get("gaps")
        item["gaps"] = gaps if isinstance(gaps, list) else []
    for key, suffix in (("thumbnail", ".thumb.jpg"), ("sprite", ".sprite.jpg")):
        if listed_sidecar(entry.path, suffix):
            item[key] = str(sidecar(entry.path, suffix))
    return item


def listed_sidecar(video: Path, suffix: str) -> bool:
    """Whether ``video``'s sidecar exists inside ``video``'s directory (for a listing)."""
    found = inside(video.parent, sidecar(video, suffix).name)
    return found is not None and found.is_file()


def jailed_sidecar(video: Path, suffix: str) -> Path:
    """The sidecar of ``video`` (already jailed), itself resolved inside the video's directory."""
    return resolve_inside(video.parent, sidecar(video, suffix).name)


def jailed(directory: Path, name: str, pattern: str) -> Path:
    """``name`` resolved inside ``directory`` and matching ``pattern``, or :class:`PathRefused`."""
    path = resolve_inside(directory, name)
    if path.parent != directory.resolve() or not path.match(pattern):
        raise PathRefused(f"only {pattern} files in {directory.name}/")
    return path


def jailed_any(name: str, places: list[tuple[Path, str]]) -> Path:
    """The first of ``places`` (directory, pattern) that ``name`` fits; :class:`PathRefused` if none.

    The refusal names every place: the last place's own reason ("outside timelapse/") would
    mislead a client that named a clip.
    """
    problems: list[str] = []
    for directory, pattern in places:
        try:
            return jailed(directory, name, pattern)
        except PathRefused as exc:
            problems.append(str(exc))
    if len(set(problems)) <= 1:  # the same for every place, e.g. "a path is required"
        raise PathRefused(problems[0] if problems else "a path is required")
    raise PathRefused(f"only {accepted(places)}")


def accepted(places: list[tuple[Path, str]]) -> str:
    """``places`` in words, by directory: "output_*.mp4 files in recordings/ or timelapse_*.mp4 files in timelapse/"."""
    patterns: dict[str, list[str]] = {}
    for directory, pattern in places:
        names = patterns.setdefault(directory.name, [])
        if pattern not in names:  # each storage profile has a recordings/ of its own
            names.append(pattern)
    phrases = [f"{' or '.join(names)} files in {directory}/" for directory, names in patterns.items()]
    return " or ".join(phrases) if len(phrases) <= 2 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def count_since(places: list[tuple[Path, str]], since: float) -> int:
    """How many files of ``places`` appeared after ``since`` (epoch seconds)."""
    total = 0
    for directory, pattern in places:
        for item in entries_inside(directory, pattern):
            try:
                total += item.stat().st_mtime > since
            except OSError:
                continue  # deleted since it was listed, or a link to nothing
    return total
