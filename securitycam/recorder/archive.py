"""What the archive holds, for the API: clips, snapshots and timelapses as files on disk.

Files are the truth (a clip copied in by hand shows up; one deleted by hand disappears), and
listing them is a directory scan, cheap at the few thousand files an SD card holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from securitycam.paths import PathRefused, resolve_inside
from securitycam.recorder.clips import read_meta, sidecar

CLIP_PATTERN = "output_*.mp4"
SNAPSHOT_PATTERN = "snapshot_*.jpg"
TIMELAPSE_PATTERN = "timelapse_*.mp4"


@dataclass(frozen=True)
class Entry:
    path: Path
    size: int
    mtime: float


def scan(directory: Path, pattern: str) -> list[Entry]:
    """Files matching ``pattern`` in ``directory``, newest first."""
    entries = []
    for path in directory.glob(pattern):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append(Entry(path, stat.st_size, stat.st_mtime))
    entries.sort(key=lambda entry: (entry.mtime, entry.path.name), reverse=True)
    return entries


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def describe_clip(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"path": str(entry.path), "name": entry.path.name, "size": entry.size,
                            "mtime": iso(entry.mtime)}
    meta = read_meta(entry.path)
    if meta is not None:
        item["meta"] = meta
    # Where the recording has holes (ffmpeg restarted during the event); older clips have none listed.
    gaps = meta.get("gaps") if meta else None
    item["gaps"] = gaps if isinstance(gaps, list) else []
    for key, suffix in (("thumbnail", ".thumb.jpg"), ("sprite", ".sprite.jpg")):
        candidate = sidecar(entry.path, suffix)
        if candidate.exists():
            item[key] = str(candidate)
    return item


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
        patterns.setdefault(directory.name, []).append(pattern)
    phrases = [f"{' or '.join(names)} files in {directory}/" for directory, names in patterns.items()]
    return " or ".join(phrases) if len(phrases) <= 2 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def count_since(places: list[tuple[Path, str]], since: float) -> int:
    """How many files of ``places`` appeared after ``since`` (epoch seconds)."""
    total = 0
    for directory, pattern in places:
        with os.scandir(directory) as listing:
            total += sum(1 for item in listing
                         if Path(item.name).match(pattern) and item.stat().st_mtime > since)
    return total
