"""Making a clip and its sidecars from segments, with ffmpeg and without re-encoding the video.

A clip is ``output_YYYYmmdd_HHMMSS.mp4`` (local time of the trigger, ``+faststart`` so a browser
plays it before it has all of it) beside ``.thumb.jpg`` (the frame at the trigger), ``.sprite.jpg``
(10 frames in a 1600×90 strip, for hover-scrubbing; none for clips under 2 s) and ``.meta.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from securitycam.diskfull import NO_SPACE_ERRNOS
from securitycam.fileio import write_atomic
from securitycam.paths import inside
from securitycam.recorder.process import run_job

SIDECARS = (".thumb.jpg", ".sprite.jpg", ".meta.json")
SPRITE_FRAMES = 10
SPRITE_TILE = (160, 90)
SPRITE_MIN_SECONDS = 2.0
THUMB_WIDTH = 320
FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]


class ClipError(RuntimeError):
    """ffmpeg could not make a clip or a sidecar; ``errno`` is set when it said why in one (a full disk)."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


def sidecar(video: Path, suffix: str) -> Path:
    """``output_x.mp4`` -> ``output_x.thumb.jpg`` (and so on)."""
    return video.with_name(video.stem + suffix)


def free_name(directory: Path, moment: float, prefix: str = "output", suffix: str = ".mp4") -> Path:
    """A free ``output_YYYYmmdd_HHMMSS.mp4`` name (``_2``, ``_3``... when one already exists)."""
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(moment))
    candidate = directory / f"{prefix}_{stamp}{suffix}"
    number = 2
    while candidate.exists():
        candidate = directory / f"{prefix}_{stamp}_{number}{suffix}"
        number += 1
    return candidate


def _run(args: Sequence[str], timeout: float = 120.0) -> None:
    try:
        done = run_job(args, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClipError(f"{args[0]}: {exc}") from exc
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip()
        # ffmpeg reports a failed write with strerror's text, not its number.
        known = next((number for number in NO_SPACE_ERRNOS if os.strerror(number) in said), None)
        raise ClipError(said[-500:] or f"exit code {done.returncode}", known)


def build_clip(segments: Sequence[Path], output: Path, trigger_offset: float, meta: dict) -> float:
    """Join ``segments`` into ``output`` with stream copy and make its sidecars; return its duration.

    The sidecars are made from a hidden partial file and the mp4 is renamed into place last, so a
    clip that is listed is a clip that is complete (thumbnail, sprite, meta and all).
    """
    partial = output.with_name(f".{output.stem}.partial.mp4")
    try:
        join(segments, partial)
        duration = probe_duration(partial)
        thumbnail(partial, sidecar(output, ".thumb.jpg"), min(max(0.0, trigger_offset), max(0.0, duration - 0.2)))
        _sprite(partial, sidecar(output, ".sprite.jpg"), duration)
        write_meta(output, {**meta, "duration_seconds": round(duration, 3)})
        os.replace(partial, output)
    except BaseException:
        for path in (sidecar(output, suffix) for suffix in SIDECARS):
            path.unlink(missing_ok=True)
        raise
    finally:
        partial.unlink(missing_ok=True)
    return duration


def join(videos: Sequence[Path], output: Path) -> None:
    """Join ``videos`` (segments, or clips of one event) into the mp4 ``output`` without re-encoding."""
    listing = output.with_name(f".{output.stem}.concat.txt")
    listing.write_text("".join(f"file '{_concat_quote(path)}'\n" for path in videos))
    try:
        _run([*FFMPEG, "-f", "concat", "-safe", "0", "-i", str(listing), "-map", "0:v", "-c", "copy",
              "-movflags", "+faststart", "-f", "mp4", str(output)])
    finally:
        listing.unlink(missing_ok=True)


def _concat_quote(path: Path) -> str:
    # The concat demuxer's quoting: a single quote closes, is escaped, and reopens.
    return os.fspath(path).replace("'", "'\\''")


def probe_duration(video: Path) -> float:
    try:
        done = run_job(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(video)],
            capture_output=True, text=True, timeout=30, check=False,
        )
        return float(done.stdout.strip())
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0.0


def thumbnail(video: Path, target: Path, at_seconds: float) -> None:
    """The frame ``at_seconds`` into ``video`` (the trigger moment), 320 pixels wide."""
    partial = target.with_name(f".{target.name}.partial")
    _run([*FFMPEG, "-ss", f"{at_seconds:.3f}", "-i", str(video), "-frames:v", "1",
          "-vf", f"scale={THUMB_WIDTH}:-2", "-q:v", "4", "-f", "image2", str(partial)])
    os.replace(partial, target)


def _sprite(video: Path, target: Path, duration: float) -> None:
    """Ten evenly spaced frames side by side (1600×90); none for clips under 2 s."""
    if duration < SPRITE_MIN_SECONDS:
        return
    partial = target.with_name(f".{target.name}.partial")
    width, height = SPRITE_TILE
    graph = (
        f"fps={SPRITE_FRAMES / duration:.6f},scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,tile={SPRITE_FRAMES}x1"
    )
    _run([*FFMPEG, "-i", str(video), "-vf", graph, "-frames:v", "1", "-q:v", "5", "-f", "image2", str(partial)])
    os.replace(partial, target)


def write_meta(video: Path, meta: dict) -> Path:
    target = sidecar(video, ".meta.json")
    write_atomic(target, json.dumps(meta, indent=2))
    return target


def read_meta(video: Path) -> dict | None:
    """``video``'s ``.meta.json``; ``None`` if it is missing, unreadable, or a link leading out."""
    path = inside(video.parent, sidecar(video, ".meta.json").name)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
