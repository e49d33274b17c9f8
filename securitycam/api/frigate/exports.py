"""Frigate's exports (``frigate-http-api.md``, Recordings; the shapes of Frigate 0.16) over
:mod:`securitycam.recorder.exports`:

- ``POST /api/export/<camera>/start/<s>/end/<e>`` (optional body ``playback``: ``realtime`` or
  ``timelapse_25x``, ``name``, ``source``: ``recordings``, ``image_path``: a picture under
  ``clips/`` for the thumbnail) → ``{"success", "message", "export_id"}``; the export is made in
  the background;
- ``GET /api/exports`` and ``GET /api/exports/<id>``: rows with ``in_progress`` and ``progress``;
- ``PATCH /api/export/<id>/rename`` (body ``name``; Frigate 0.16) or ``PATCH /api/export/<id>/<new name>``
  (the document's form);
- ``DELETE /api/export/<id>`` (cancels one still being made);
- ``GET /exports/<file>``: the video (with HTTP Range) or its thumbnail, as Frigate's web server
  serves its exports directory.

Changes are for admins (the guard's rule); an unknown camera is a 404, a bad range a 400 naming
the parameter, a range longer than a day (25 h) a 400, no footage in the range a 400 (as Frigate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from flask import Blueprint, jsonify, send_file
from pydantic import BaseModel, ConfigDict, Field

from securitycam.api.common import ApiError, appliance, parse_body
from securitycam.api.frigate.recordings import epoch, known_camera, time_range
from securitycam.paths import PathRefused, resolve_inside
from securitycam.recorder import archive
from securitycam.recorder.exports import REALTIME, Export, Exporter, ExportError

bp = Blueprint("frigate_exports", __name__, url_prefix="/api")
files_bp = Blueprint("frigate_export_files", __name__)


class ExportBody(BaseModel):
    # Frigate ignores what it does not know; so do we.
    model_config = ConfigDict(extra="ignore")
    playback: Literal["realtime", "timelapse_25x"] = REALTIME
    source: Literal["recordings"] = "recordings"
    name: str | None = Field(None, min_length=1, max_length=256)
    image_path: str | None = None


class RenameBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=1, max_length=256)


def exporter() -> Exporter:
    return appliance().exports


def call(action, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return action(*args, **kwargs)
    except ExportError as exc:
        raise ApiError(exc.status, str(exc)) from exc


def described(export: Export) -> dict:
    return export.to_frigate(exporter().progress(export.id))


@bp.post("/export/<camera_name>/start/<start>/end/<end>")
def create_export(camera_name: str, start: str, end: str):  # type: ignore[no-untyped-def]
    begin, finish = time_range(epoch("start", start), epoch("end", end))
    body = parse_body(ExportBody, optional=True)
    known_camera(camera_name)
    thumbnail = None
    if body.image_path:
        try:
            thumbnail = resolve_inside(appliance().paths.root / "clips", body.image_path)
        except PathRefused as exc:
            raise ApiError(400, "image_path: must be a picture in clips/", field="image_path") from exc
        if not thumbnail.is_file():
            raise ApiError(400, "image_path: no such picture", field="image_path")
    export = call(exporter().create, camera_name, begin, finish, body.playback, body.name, thumbnail)
    return jsonify(success=True, message="Starting export of recording.", export_id=export.id)


@bp.get("/exports")
def list_exports():  # type: ignore[no-untyped-def]
    return jsonify([described(export) for export in exporter().list()])


@bp.get("/exports/<export_id>")
def get_export(export_id: str):  # type: ignore[no-untyped-def]
    export = exporter().get(export_id)
    if export is None:
        raise ApiError(404, "Export not found")
    return jsonify(described(export))


@bp.patch("/export/<export_id>/rename")
def rename_export(export_id: str):  # type: ignore[no-untyped-def]
    return _renamed(export_id, parse_body(RenameBody).name)


@bp.patch("/export/<export_id>/<new_name>")
def rename_export_in_path(export_id: str, new_name: str):  # type: ignore[no-untyped-def]
    if not 1 <= len(new_name) <= 256:
        raise ApiError(400, "new_name: 1 to 256 characters", field="new_name")
    return _renamed(export_id, new_name)


def _renamed(export_id: str, name: str):  # type: ignore[no-untyped-def]
    call(exporter().rename, export_id, name)
    return jsonify(success=True, message="Successfully renamed export.")


@bp.delete("/export/<export_id>")
def delete_export(export_id: str):  # type: ignore[no-untyped-def]
    call(exporter().delete, export_id)
    return jsonify(success=True, message="Successfully deleted export.")


@files_bp.get("/exports/<name>")
def export_file(name: str):  # type: ignore[no-untyped-def]
    """An export's video (with Range) or its ``.thumb.jpg``."""
    directory = appliance().paths.exports
    if name.startswith("."):
        raise ApiError(400, "only an export's .mp4 or .thumb.jpg")  # one still being made is hidden
    for pattern, mimetype in (("*.thumb.jpg", "image/jpeg"), ("*.mp4", "video/mp4")):
        if Path(name).match(pattern):
            path = archive.jailed(directory, name, pattern)
            if not path.is_file():
                raise ApiError(404, "export not found")
            return send_file(path, mimetype=mimetype, conditional=True, max_age=3600)
    raise ApiError(400, "only an export's .mp4 or .thumb.jpg")
