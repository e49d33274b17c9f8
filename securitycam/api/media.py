"""Media and archive: snapshots, clip thumbnails and sprites, the clip archive, and video streaming
with HTTP Range (``appliance-api.md``, Media, Snapshot, Thumbnail, Sprite and Archive sections).

Every path a client names is resolved inside its own directory and must have the file name its
kind has (``snapshot_*.jpg``, ``output_*.mp4``, ``timelapse_*.mp4``), or the answer is 400.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Blueprint, jsonify, request, send_file
from pydantic import BaseModel, ConfigDict

from securitycam.api.common import ApiError, appliance, parse_body, query_int
from securitycam.api.recording import CameraChoice, call, recorder
from securitycam.recorder import archive

bp = Blueprint("media", __name__)

DAY = 24 * 3600


class SnapshotPath(BaseModel):
    model_config = ConfigDict(extra="forbid")
    snapshot_path: str


class ClipPath(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str


class VideoPath(BaseModel):
    """The seed's name for a clip's path (``/delete_video``)."""

    model_config = ConfigDict(extra="forbid")
    video_path: str


def recording_dirs(listing: bool = False) -> list[Path]:
    """``recordings/`` and each storage profile's: for a ``listing`` the profiles available now, for a
    path a client names every profile (each is its own jail; a file on a disk that is away is a 404)."""
    a = appliance()
    profiles = a.profiles.available() if listing else a.profiles.list()
    return [a.paths.recordings, *(profile.recordings for profile in profiles)]


def places(pattern: str, listing: bool = False) -> list[tuple[Path, str]]:
    return [(directory, pattern) for directory in recording_dirs(listing)]


def scan_all(pattern: str) -> list[archive.Entry]:
    """``pattern``'s files in every recordings directory, newest first."""
    return archive.newest_first([entry for directory in recording_dirs(listing=True)
                                 for entry in archive.entries(directory, pattern)])


def video_places() -> list[tuple[Path, str]]:
    return [*places(archive.CLIP_PATTERN), (appliance().paths.timelapse, archive.TIMELAPSE_PATTERN)]


def query_path(name: str) -> str:
    value = request.args.get(name, "")
    if not value:
        raise ApiError(400, f"{name}: a path is required", field=name)
    return value


def existing(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ApiError(404, f"{what} not found")
    return path


def cached_image(path: Path):  # type: ignore[no-untyped-def]
    response = send_file(path, mimetype="image/jpeg", conditional=True, max_age=DAY)
    response.headers["Cache-Control"] = f"private, max-age={DAY}"
    return response


@bp.post("/snapshot")
def take_snapshot():  # type: ignore[no-untyped-def]
    choice = parse_body(CameraChoice, optional=True)
    path = call(recorder().snapshot, choice.camera)
    return jsonify(path=str(path))


@bp.get("/snapshots")
def list_snapshots():  # type: ignore[no-untyped-def]
    entries = scan_all(archive.SNAPSHOT_PATTERN)
    locked = appliance().janitor.media.locked_paths()
    return jsonify([{"path": entry.location, "size": entry.size, "mtime": archive.iso(entry.mtime),
                     "locked": entry.location in locked} for entry in entries])


@bp.get("/snapshot_image")
def snapshot_image():  # type: ignore[no-untyped-def]
    path = archive.jailed_any(query_path("path"), places(archive.SNAPSHOT_PATTERN))
    return cached_image(existing(path, "snapshot"))


@bp.post("/delete_snapshot")
def delete_snapshot():  # type: ignore[no-untyped-def]
    body = parse_body(SnapshotPath)
    path = existing(archive.jailed_any(body.snapshot_path, places(archive.SNAPSHOT_PATTERN)), "snapshot")
    appliance().janitor.delete(path, "snapshot")
    return jsonify(success=True)


def clip_sidecar(suffix: str, what: str, name: str | None):  # type: ignore[no-untyped-def]
    video = archive.jailed_any(name or query_path("video_path"), video_places())
    return cached_image(existing(archive.jailed_sidecar(video, suffix), what))


# The spec's summary table also names them /thumbnail/<file> and /sprite/<file>: both forms work.
@bp.get("/thumbnail")
@bp.get("/thumbnail/<path:name>")
def thumbnail(name: str | None = None):  # type: ignore[no-untyped-def]
    return clip_sidecar(".thumb.jpg", "thumbnail", name)


@bp.get("/sprite")
@bp.get("/sprite/<path:name>")
def sprite(name: str | None = None):  # type: ignore[no-untyped-def]
    return clip_sidecar(".sprite.jpg", "sprite", name)


@bp.get("/archive")
def list_archive():  # type: ignore[no-untyped-def]
    """Clips newest first, ``page`` (from 1) of ``per_page``, with meta, thumbnail, sprite and lock."""
    page = query_int("page", 1, 1, 100_000)
    per_page = query_int("per_page", 20, 1, 200)
    entries = scan_all(archive.CLIP_PATTERN)
    chosen = entries[(page - 1) * per_page: page * per_page]
    locked = appliance().janitor.media.locked_paths()
    items = [{**archive.describe_clip(entry), "locked": entry.location in locked} for entry in chosen]
    return jsonify(items=items, total=len(entries), page=page, per_page=per_page)


def delete_clip_at(name: str):  # type: ignore[no-untyped-def]
    """Delete the clip ``name`` names (jailed in recordings/ or a storage profile's) with its sidecars."""
    video = existing(archive.jailed_any(name, places(archive.CLIP_PATTERN)), "recording")
    appliance().janitor.delete(video, "recording")
    return jsonify(success=True)


@bp.post("/archive/delete")
def delete_clip():  # type: ignore[no-untyped-def]
    return delete_clip_at(parse_body(ClipPath).path)


@bp.post("/delete_video")
def delete_video():  # type: ignore[no-untyped-def]
    """The seed's name for ``/archive/delete``."""
    return delete_clip_at(parse_body(VideoPath).video_path)


@bp.get("/archive/count")
def archive_count():  # type: ignore[no-untyped-def]
    """How many clips the archive holds (``/archive``'s ``total``)."""
    return jsonify(count=len(scan_all(archive.CLIP_PATTERN)))


@bp.get("/archive/new_count")
def new_count():  # type: ignore[no-untyped-def]
    """Clips, snapshots and timelapses newer than ``since`` (ISO 8601); 0 when it is missing or invalid."""
    raw = request.args.get("since", "")
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return jsonify(count=0)
    if since.tzinfo is None:
        since = since.astimezone()
    counted = [*places(archive.CLIP_PATTERN, listing=True), *places(archive.SNAPSHOT_PATTERN, listing=True),
               (appliance().paths.timelapse, archive.TIMELAPSE_PATTERN)]
    return jsonify(count=archive.count_since(counted, since.timestamp()))


def video_at(parameter: str):  # type: ignore[no-untyped-def]
    return send_video(existing(archive.jailed_any(query_path(parameter), video_places()), "video"))


@bp.get("/video")
def stream_video():  # type: ignore[no-untyped-def]
    """A clip or timelapse, with HTTP Range so a browser can seek."""
    return video_at("path")


@bp.get("/stream_video")
def seed_stream_video():  # type: ignore[no-untyped-def]
    """The seed's name for ``/video`` (``video_path=``)."""
    return video_at("video_path")


def send_video(path: Path):  # type: ignore[no-untyped-def]
    """An mp4 with HTTP Range (206 partial content), ETag and Last-Modified."""
    return send_file(path, mimetype="video/mp4", conditional=True, max_age=3600)
