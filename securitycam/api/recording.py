"""Recording and cameras: manual recording (``/recording/*``), ``/cameras`` with live-view URLs,
and each camera's latest frame."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict

from securitycam.api.common import ApiError, appliance, parse_body
from securitycam.recorder import Recorder, RecorderError

bp = Blueprint("recording", __name__)


class CameraChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    camera: str | None = None


def recorder() -> Recorder:
    return appliance().recorder


def call(action, *args):  # type: ignore[no-untyped-def]
    try:
        return action(*args)
    except RecorderError as exc:
        raise ApiError(exc.status, str(exc)) from exc


@bp.post("/recording/start")
def start_recording():  # type: ignore[no-untyped-def]
    choice = parse_body(CameraChoice, optional=True)
    event = call(recorder().start_manual, choice.camera)
    return jsonify(success=True, event_id=event.id, camera=event.camera, start_time=event.start_time)


@bp.post("/recording/stop")
def stop_recording():  # type: ignore[no-untyped-def]
    choice = parse_body(CameraChoice, optional=True)
    event = call(recorder().stop_manual, choice.camera)
    return jsonify(success=True, event_id=event.id, camera=event.camera, end_time=event.end_time)


@bp.get("/recording/status")
def recording_status():  # type: ignore[no-untyped-def]
    return jsonify(recorder().status())


@bp.get("/recording_status")
def seed_recording_status():  # type: ignore[no-untyped-def]
    """The seed's ``{recording, started_at}``: whether any camera keeps footage for an event, and since
    when (the earliest such event's start, ISO 8601 UTC)."""
    status = recorder().status()
    answer: dict[str, object] = {"recording": status["recording"]}
    events = appliance().events
    starts = [event.start_time for camera in status["cameras"] for event_id in camera["events"]
              if (event := events.get(event_id)) is not None]
    if starts:
        answer["started_at"] = datetime.fromtimestamp(min(starts), UTC).isoformat()
    return jsonify(answer)


@bp.post("/toggle_recording")
def toggle_recording():  # type: ignore[no-untyped-def]
    """Start a manual recording on the camera (the first by default), or stop the one under way."""
    choice = parse_body(CameraChoice, optional=True)
    camera = call(recorder().camera_settings, choice.camera)
    if recorder().manual_event(camera.name):
        event = call(recorder().stop_manual, camera.name)
        return jsonify(success=True, message="Recording stopped", recording=False, event_id=event.id)
    event = call(recorder().start_manual, camera.name)
    return jsonify(success=True, message="Recording started", recording=True, event_id=event.id)


@bp.get("/cameras")
def cameras():  # type: ignore[no-untyped-def]
    """Every configured camera with its recorder state and where to watch it live."""
    settings = appliance().settings.get()
    status = {camera["name"]: camera for camera in recorder().status()["cameras"]}
    mediamtx = recorder().mediamtx
    # Live-view URLs use the host name the client reached us by (MediaMTX listens on every address).
    host = urlsplit(f"//{request.host}").hostname or "localhost"
    relay = mediamtx.describe(settings, host) if mediamtx else {"running": False, "paths": {}, "live": {}}
    listing = []
    for camera in settings.Cameras:
        listing.append({
            "name": camera.name,
            "enabled": camera.enabled,
            "source": camera.source,
            "width": camera.width,
            "height": camera.height,
            "fps": camera.fps,
            "state": status.get(camera.name, {}).get("state", "disabled"),
            "recording": status.get(camera.name, {}).get("recording", False),
            "frame_url": f"/cameras/{camera.name}/frame.jpg",
            "live": relay["live"].get(camera.name),
            "stream_ready": relay["paths"].get(camera.name, {}).get("ready"),
        })
    return jsonify(cameras=listing, mediamtx={"running": relay["running"], "error": relay.get("error")})


@bp.get("/cameras/<name>/frame.jpg")
def latest_frame(name: str):  # type: ignore[no-untyped-def]
    camera = call(recorder().camera_settings, name)
    camera_recorder = recorder().cameras.get(camera.name)
    frame = camera_recorder.latest_frame() if camera_recorder else None
    if frame is None:
        raise ApiError(404, f"no recent frame from camera {name!r}")
    return Response(frame, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})
