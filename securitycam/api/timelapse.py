"""Timelapse (``appliance-api.md``, Timelapse endpoints): capture settings and state, the stitched
videos (listed newest first, streamed with HTTP Range) and deleting one."""

from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict

from securitycam.api.common import appliance, json_object, parse_body, validate
from securitycam.api.media import existing, query_path, send_video
from securitycam.config.models import TimelapseSettings
from securitycam.recorder import archive
from securitycam.recorder.clips import sidecar

bp = Blueprint("timelapse", __name__)


class TimelapsePath(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str


def status_response(**extra):  # type: ignore[no-untyped-def]
    return jsonify(**extra, **appliance().timelapse.status())


def set_enabled(enabled: bool):  # type: ignore[no-untyped-def]
    appliance().settings.update({"Timelapse": {"enabled": enabled}})
    return status_response(success=True)


@bp.get("/timelapse/status")
def status():  # type: ignore[no-untyped-def]
    """enabled, interval_minutes, fps, resolution, today_frame_count, last_capture (ISO 8601 or null)."""
    return status_response()


@bp.post("/timelapse/configure")
def configure():  # type: ignore[no-untyped-def]
    """Any of ``enabled``, ``interval_minutes`` (1-60), ``fps`` (1-60), ``resolution``
    (``original``, ``640:480``, ``320:240``); a value outside its range is a 400 naming it."""
    body = json_object()
    current = appliance().settings.get().Timelapse.model_dump()
    config = validate(TimelapseSettings, {**current, **body}, strict=True)
    appliance().settings.update({"Timelapse": config.model_dump()})
    return status_response(success=True)


@bp.post("/timelapse/start")
def start():  # type: ignore[no-untyped-def]
    return set_enabled(True)


@bp.post("/timelapse/stop")
def stop():  # type: ignore[no-untyped-def]
    return set_enabled(False)


@bp.get("/timelapse")
def listing():  # type: ignore[no-untyped-def]
    """Stitched videos newest day first: path, date (YYYY-MM-DD), size, mtime, locked, and thumbnail if any."""
    entries = archive.scan(appliance().paths.timelapse, archive.TIMELAPSE_PATTERN)
    locked = appliance().janitor.media.locked_paths()
    items = []
    for entry in sorted(entries, key=lambda e: e.path.name, reverse=True):
        day = entry.path.stem.removeprefix("timelapse_")
        date = f"{day[:4]}-{day[4:6]}-{day[6:8]}" if len(day) == 8 and day.isdigit() else None
        item = {"path": str(entry.path), "date": date, "size": entry.size, "mtime": archive.iso(entry.mtime),
                "locked": str(entry.path) in locked}
        if archive.listed_sidecar(entry.path, ".thumb.jpg"):
            item["thumbnail"] = str(sidecar(entry.path, ".thumb.jpg"))
        items.append(item)
    return jsonify(items)


def named_video(name: str):  # type: ignore[no-untyped-def]
    return existing(archive.jailed(appliance().paths.timelapse, name, archive.TIMELAPSE_PATTERN), "timelapse")


@bp.get("/timelapse/video")
def video():  # type: ignore[no-untyped-def]
    return send_video(named_video(query_path("path")))


@bp.post("/timelapse/delete")
def delete():  # type: ignore[no-untyped-def]
    """Only ``timelapse_*.mp4`` inside the timelapse directory; its thumbnail goes with it."""
    path = named_video(parse_body(TimelapsePath).path)
    appliance().janitor.delete(path, "timelapse")
    return jsonify(success=True)
