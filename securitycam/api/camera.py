"""A camera's picture: ``/isp_settings`` (tuning), ``/stream_settings`` (size, rate, rotation) and
``/night_mode`` (its settings and state), the seed appliance's routes kept per camera.

Each acts on the camera named by ``camera`` (a query parameter or a body field; the first camera
by default). A POST validates every field it knows (a 400 names the first one refused), ignores
keys it does not know, and saves the camera's settings; the recorder then restarts that camera
alone (:meth:`securitycam.recorder.Recorder._settings_changed`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ValidationError

from securitycam.api.common import ApiError, appliance, describe_validation, json_object
from securitycam.config.base import set_shared
from securitycam.config.models import CameraSettings, Settings
from securitycam.config.picture import SEED_CAMERA_KEYS, IspSettings, NightSettings

bp = Blueprint("camera", __name__)

M = TypeVar("M", bound=BaseModel)

STREAM_FIELDS = ("width", "height", "fps", "rotation", "rotation_mode")
# The seed's names for the stream fields, accepted in a body beside ours.
STREAM_ALIASES = {seed: ours for seed, ours in SEED_CAMERA_KEYS.items() if ours in STREAM_FIELDS}
PROFILES = ("day", "night")


def _camera_index(body: dict[str, Any]) -> tuple[int, CameraSettings]:
    name = body.get("camera", request.args.get("camera"))
    cameras = appliance().settings.get().Cameras
    if name is None:
        return 0, cameras[0]
    if not isinstance(name, str):
        raise ApiError(400, "camera: must be a camera name", field="camera")
    for index, camera in enumerate(cameras):
        if camera.name == name:
            return index, camera
    raise ApiError(404, f"no camera named {name!r}", field="camera")


def _profile(body: dict[str, Any]) -> str:
    profile = body.get("profile", request.args.get("profile", "day"))
    if profile not in PROFILES:
        raise ApiError(400, "profile: must be day or night", field="profile")
    return profile


def _changed(model: M, changes: dict[str, Any]) -> M:
    """A copy of ``model`` with ``changes`` assigned, each checked strictly (no ``"5"`` for 5)."""
    draft = model.model_copy(deep=True)
    set_shared(draft, False)
    for name, value in changes.items():
        try:
            type(model).__pydantic_validator__.validate_assignment(draft, name, value, strict=True)
        except ValidationError as exc:
            field, message = describe_validation(exc)
            raise ApiError(400, message, field=field) from exc
    return draft


def _known(body: dict[str, Any], fields: tuple[str, ...] | list[str], what: str) -> dict[str, Any]:
    changes = {name: body[name] for name in fields if name in body}
    if not changes:
        raise ApiError(400, f"no {what} field given (one of {', '.join(fields)})")
    return changes


def _save(index: int, camera: CameraSettings) -> None:
    def change(settings: Settings) -> None:
        settings.Cameras[index] = camera

    appliance().settings.modify(change)


@bp.get("/isp_settings")
def get_isp():  # type: ignore[no-untyped-def]
    _, camera = _camera_index({})
    isp = camera.night.isp if _profile({}) == "night" else camera.isp
    return jsonify(isp.model_dump())


@bp.post("/isp_settings")
def set_isp():  # type: ignore[no-untyped-def]
    body = json_object()
    index, camera = _camera_index(body)
    profile = _profile(body)
    current = camera.night.isp if profile == "night" else camera.isp
    isp = _changed(current, _known(body, list(IspSettings.model_fields), "ISP"))
    if profile == "night":
        camera = camera.model_copy(update={"night": camera.night.model_copy(update={"isp": isp})})
    else:
        camera = camera.model_copy(update={"isp": isp})
    _save(index, camera)
    return jsonify(success=True, camera=camera.name, profile=profile, **isp.model_dump())


def _stream(camera: CameraSettings) -> dict[str, Any]:
    return {name: getattr(camera, name) for name in STREAM_FIELDS}


@bp.get("/stream_settings")
def get_stream():  # type: ignore[no-untyped-def]
    _, camera = _camera_index({})
    return jsonify(_stream(camera))


@bp.post("/stream_settings")
def set_stream():  # type: ignore[no-untyped-def]
    body = json_object()
    body = {**body, **{ours: body[seed] for seed, ours in STREAM_ALIASES.items() if seed in body}}
    index, camera = _camera_index(body)
    camera = _changed(camera, _known(body, STREAM_FIELDS, "stream"))
    _save(index, camera)
    return jsonify(success=True, camera=camera.name, **_stream(camera))


@bp.get("/night_mode")
def get_night():  # type: ignore[no-untyped-def]
    _, camera = _camera_index({})
    return jsonify(camera=camera.name, settings=camera.night.model_dump(),
                   **appliance().night.camera_state(camera.name))


@bp.post("/night_mode")
def set_night():  # type: ignore[no-untyped-def]
    body = json_object()
    index, camera = _camera_index(body)
    fields = [name for name in NightSettings.model_fields if name != "isp"]
    night = _changed(camera.night, _known(body, fields, "night mode"))
    try:  # the fields together (bright_above over dark_below)
        night = NightSettings.model_validate(night.model_dump())
    except ValidationError as exc:
        field, message = describe_validation(exc)
        raise ApiError(400, message, field=field) from exc
    _save(index, camera.model_copy(update={"night": night}))
    return jsonify(success=True, camera=camera.name, settings=night.model_dump())
