"""HLS playlists over the kept segments: playback without re-encoding.

The segments are MPEG-TS already, so a VOD media playlist simply lists them in order, each with
its duration (``#EXTINF``). Within one ffmpeg run their timestamps continue from one to the next;
where footage is missing (ffmpeg restarted, the camera was off, retention removed a stretch) the
timestamps jump, and ``#EXT-X-DISCONTINUITY`` tells the player to start a new timeline there, with
``#EXT-X-PROGRAM-DATE-TIME`` giving the wall-clock time of each stretch. A master playlist points
at the media playlist with the bandwidth the segments really use.

Whole segments are listed: a range that starts or ends inside a segment plays from that
segment's start to its end (at most one segment more on each side), since an MPEG-TS segment
can only be cut on a keyframe without re-encoding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

# Footage further apart than this (seconds) is a gap; within one ffmpeg run segments touch exactly.
GAP_SECONDS = 0.1

Row = tuple[int, float, float, int]  # (id, start, end, size)


def media_playlist(rows: Sequence[Row], segment_url: Callable[[int], str]) -> str:
    """A VOD media playlist of ``rows`` (oldest first), each segment at ``segment_url(id)``."""
    target = max((math.ceil(end - start) for _id, start, end, _size in rows), default=1)
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{max(1, target)}",
             "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD"]
    previous_end: float | None = None
    for recording_id, start, end, _size in rows:
        if previous_end is None or start - previous_end > GAP_SECONDS:
            if previous_end is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_iso(start)}")
        lines.append(f"#EXTINF:{end - start:.3f},")
        lines.append(segment_url(recording_id))
        previous_end = end
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist(peak: float, average: float, index_url: str) -> str:
    """A master playlist with the one variant there is (``index_url``) and its bandwidth in bits/s."""
    return "\n".join([
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-STREAM-INF:BANDWIDTH={max(1, round(peak))},AVERAGE-BANDWIDTH={max(1, round(average))}",
        index_url,
    ]) + "\n"


def duration(rows: Sequence[Row]) -> float:
    """Seconds of footage the playlist plays."""
    return sum(end - start for _id, start, end, _size in rows)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
