"""Footage of a time range, made from the kept segments with ffmpeg.

- :func:`concat_script`: the ffmpeg concat demuxer's script for a range: the segments in order,
  with ``inpoint``/``outpoint`` where the range starts or ends inside one (with stream copy the
  cut lands on the keyframe before the in point: a segment starts with one, so at most one
  segment's worth of extra footage at the start);
- :func:`stream_mp4`: the range as a fragmented MP4 (stream copy) read from ffmpeg's stdout as it
  is made, for ``/api/<camera>/start/<s>/end/<e>/clip.mp4``; ffmpeg is killed if the client
  goes away;
- :func:`frame_at`: one picture (PNG or JPEG) from the segment holding a moment.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Sequence

from securitycam.recorder.clips import FFMPEG
from securitycam.recorder.process import run_job, start_job
from securitycam.recorder.recordings import Recording

CHUNK = 64 * 1024


def concat_script(recordings: Sequence[Recording], start: float, end: float) -> str:
    """The concat demuxer script joining ``recordings`` (oldest first) cut to ``[start, end]``."""
    lines = ["ffconcat version 1.0"]
    for item in recordings:
        quoted = os.fspath(item.path).replace("'", "'\\''")
        # ``file:``: from a script on stdin a bare path would be taken as relative to ``pipe:``.
        lines.append(f"file 'file:{quoted}'")
        if item.start_time < start:
            lines.append(f"inpoint {start - item.start_time:.3f}")
        if item.end_time > end:
            lines.append(f"outpoint {end - item.start_time:.3f}")
    return "\n".join(lines) + "\n"


def concat_input(script_path: str) -> list[str]:
    """ffmpeg input arguments reading a concat script (``pipe:0`` for stdin)."""
    return ["-f", "concat", "-safe", "0", "-protocol_whitelist", "file,pipe", "-i", script_path]


def stream_mp4(recordings: Sequence[Recording], start: float, end: float) -> Iterator[bytes]:
    """The range as a fragmented MP4 (no re-encode), chunk by chunk as ffmpeg writes it.

    The script goes in on stdin (the concat demuxer reads all of it before writing anything, so
    the pipe cannot deadlock). Closing the iterator (the client left) kills ffmpeg.
    """
    process = start_job(
        [*FFMPEG, *concat_input("pipe:0"), "-map", "0:v", "-c", "copy",
         "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", "pipe:1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(concat_script(recordings, start, end).encode())
            process.stdin.close()
        while chunk := process.stdout.read(CHUNK):
            yield chunk
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def frame_at(recording: Recording, moment: float, image_format: str, height: int | None = None,
             timeout: float = 20.0) -> bytes | None:
    """The frame ``moment`` (epoch) shows in ``recording``, as ``png`` or ``jpeg``; ``None`` if ffmpeg
    finds none there."""
    offset = min(max(0.0, moment - recording.start_time), max(0.0, recording.duration - 0.05))
    # Scaled down only: a taller ``height`` than the footage's gives the footage's own size.
    scale = ["-vf", f"scale=-2:'min(ih,{height})'"] if height else []
    codec = ["-c:v", "png"] if image_format == "png" else ["-c:v", "mjpeg", "-q:v", "3"]
    try:
        done = run_job(
            # Seeking on the output side: decoding one short segment from its start is cheap, and an
            # input seek into an MPEG-TS segment (timestamps not from 0) found no frame.
            [*FFMPEG, "-i", os.fspath(recording.path), "-ss", f"{offset:.3f}", "-frames:v", "1", *scale, *codec,
             "-f", "image2pipe", "pipe:1"],
            capture_output=True, timeout=timeout, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 and done.stdout else None
