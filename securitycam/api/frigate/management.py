"""Frigate's management and information endpoints under ``/api`` (``frigate-http-api.md``,
Management & Information): ``config`` and its JSON schema, ``stats``, ``version``, ``ffprobe``,
``restart``, ``<camera>/ptz/info``, ``logs/<service>`` (``stream=true``: a live tail in plain
text, as Frigate's log page reads it), and the plain-text health line at ``/api/``.

``/api/config`` is the appliance's settings told in Frigate's configuration shape: one
:class:`FrigateConfig` (pydantic) built from the ``Cameras``, ``Auth`` and ``StorageLimit``
settings, so ``config/schema.json`` is that model's JSON schema and the two never disagree.
Camera URLs are shown with their password masked, as Frigate does. What the appliance does not
have (detectors beyond the CPU, zones, masks, audio, PTZ) appears with Frigate's empty or off
values, never invented.

``/api/stats`` reads the recorder (each camera's ffmpeg, its pid and frame rate), the disk seam
and psutil; CPU percentages are measured between two calls, as ``top`` does, so the first call
after a start reports the average since each process started.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil
from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel, Field

from securitycam import __version__
from securitycam.api.common import ApiError, admin_only, appliance
from securitycam.api.frigate import params
from securitycam.api.system import RESTART_COMMAND, run_later
from securitycam.config.credentials import redact
from securitycam.config.models import CameraSettings, Settings
from securitycam.recorder.process import run_job
from securitycam.system import logs

bp = Blueprint("frigate_management", __name__, url_prefix="/api")

FRIGATE_VERSION = "0.16.0"
MQTT_TOPIC_PREFIX = "frigate"
LOG_SERVICES = ("frigate", "go2rtc", "nginx")
MAX_LOG_STREAMS = 4
_log_streams = threading.BoundedSemaphore(MAX_LOG_STREAMS)
FFPROBE_TIMEOUT = 15.0
# Seconds one camera's ffprobe answer serves every client (a probe of an RTSP camera takes seconds).
FFPROBE_REUSE = 10.0
STARTED = time.time()
MIB = 1024 * 1024


# -- the configuration in Frigate's shape -----------------------------------------------------------------


class MqttConfig(BaseModel):
    enabled: bool = False
    host: str = ""
    port: int = 1883
    topic_prefix: str = MQTT_TOPIC_PREFIX
    client_id: str = "frigate"
    stats_interval: int = 60


class ModelConfig(BaseModel):
    path: str | None = None
    labelmap_path: str | None = None
    width: int = 320
    height: int = 320
    labelmap: dict[int, str] = Field(default_factory=dict)
    input_tensor: str = "nhwc"
    input_pixel_format: str = "rgb"
    model_type: str = "ssd"
    attributes_map: dict[str, list[str]] = Field(default_factory=dict)


class FfmpegInput(BaseModel):
    path: str
    roles: list[str] = Field(default_factory=lambda: ["detect", "record"])
    input_args: str = ""


class FfmpegConfig(BaseModel):
    inputs: list[FfmpegInput]
    output_args: dict[str, str] = Field(default_factory=lambda: {"record": "-c copy (MPEG-TS segments)"})


class DetectConfig(BaseModel):
    enabled: bool = False
    width: int
    height: int
    fps: int


class ObjectsConfig(BaseModel):
    track: list[str] = Field(default_factory=lambda: ["person"])
    filters: dict[str, Any] = Field(default_factory=dict)
    mask: str = ""


class MotionConfig(BaseModel):
    enabled: bool = True
    threshold: int = 30
    contour_area: int = 10
    lightning_threshold: float = 0.8
    improve_contrast: bool = True
    mask: str = ""


class AudioConfig(BaseModel):
    enabled: bool = False
    enabled_in_config: bool = False
    listen: list[str] = Field(default_factory=list)


class RetainConfig(BaseModel):
    days: float = 0
    mode: str = "motion"


class RecordConfig(BaseModel):
    enabled: bool = True
    retain: RetainConfig = Field(default_factory=RetainConfig)
    alerts: dict[str, Any] = Field(default_factory=dict)
    detections: dict[str, Any] = Field(default_factory=dict)
    # The appliance's own names, kept so a Frigate client sees how much footage surrounds an event.
    pre_capture: float = 5
    post_capture: float = 5


class SnapshotsConfig(BaseModel):
    enabled: bool = True
    clean_copy: bool = True
    timestamp: bool = False
    bounding_box: bool = True
    crop: bool = False
    height: int | None = None
    quality: int = 70
    retain: RetainConfig = Field(default_factory=RetainConfig)


class BirdseyeConfig(BaseModel):
    enabled: bool = True
    mode: str = "continuous"
    width: int = 1280
    height: int = 720
    quality: int = 8
    restream: bool = False
    order: int = 0


class PtzConfig(BaseModel):
    host: str = ""
    autotracking: dict[str, Any] = Field(default_factory=lambda: {"enabled": False})


class UiConfig(BaseModel):
    order: int = 0
    dashboard: bool = True


class CameraConfig(BaseModel):
    name: str
    enabled: bool
    enabled_in_config: bool
    type: str = "generic"
    ffmpeg: FfmpegConfig
    detect: DetectConfig
    objects: ObjectsConfig = Field(default_factory=ObjectsConfig)
    zones: dict[str, Any] = Field(default_factory=dict)
    motion: MotionConfig = Field(default_factory=MotionConfig)
    audio: AudioConfig = Field(default_factory=AudioConfig)
    record: RecordConfig
    snapshots: SnapshotsConfig = Field(default_factory=SnapshotsConfig)
    birdseye: BirdseyeConfig = Field(default_factory=BirdseyeConfig)
    onvif: PtzConfig = Field(default_factory=PtzConfig)
    live: dict[str, str]
    ui: UiConfig
    mqtt: dict[str, Any] = Field(default_factory=lambda: {"enabled": True, "timestamp": True, "bounding_box": True})
    best_image_timeout: int = 60


class AuthConfig(BaseModel):
    enabled: bool
    session_length: int
    refresh_time: int


class FrigateConfig(BaseModel):
    """What ``GET /api/config`` answers; its JSON schema is ``/api/config/schema.json``."""

    version: str
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    detectors: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"cpu": {"type": "cpu"}})
    auth: AuthConfig
    birdseye: BirdseyeConfig = Field(default_factory=BirdseyeConfig)
    record: RecordConfig = Field(default_factory=RecordConfig)
    snapshots: SnapshotsConfig = Field(default_factory=SnapshotsConfig)
    go2rtc: dict[str, Any] = Field(default_factory=dict)
    cameras: dict[str, CameraConfig]
    ui: dict[str, Any] = Field(default_factory=lambda: {"time_format": "browser", "timezone": None})
    telemetry: dict[str, Any] = Field(default_factory=lambda: {"version_check": False})
    plus: dict[str, Any] = Field(default_factory=lambda: {"enabled": False})
    face_recognition: dict[str, Any] = Field(default_factory=lambda: {"enabled": False})


def masked(url: str) -> str:
    """``rtsp://user:secret@host/...`` with the credentials as ``*:*`` (Frigate's masking)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "*"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"*:*@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def camera_input(camera: CameraSettings) -> str:
    if camera.source == "rtsp":
        return masked(camera.url)
    if camera.source == "file":
        return camera.path
    return camera.source


def detect_config(camera: CameraSettings) -> DetectConfig:
    """What detection really sees, as Frigate reports it: boxes and zones are in these frames' pixels,
    and clients take the live view's aspect ratio from them (portrait for a camera turned 90°)."""
    width, height = camera.detect_size()
    return DetectConfig(enabled=camera.detect.enabled, width=width, height=height,
                        fps=max(1, round(camera.detect.fps)))


def frigate_config(settings: Settings, version: str) -> FrigateConfig:
    cameras = {}
    for order, camera in enumerate(settings.Cameras):
        cameras[camera.name] = CameraConfig(
            name=camera.name, enabled=camera.enabled, enabled_in_config=camera.enabled,
            ffmpeg=FfmpegConfig(inputs=[FfmpegInput(path=camera_input(camera))]),
            detect=detect_config(camera),
            record=RecordConfig(pre_capture=camera.pre_capture, post_capture=camera.post_capture),
            live={"stream_name": camera.name}, ui=UiConfig(order=order),
        )
    streams = {camera.name: [camera_input(camera)] for camera in settings.Cameras if camera.source == "rtsp"}
    auth = settings.Auth
    return FrigateConfig(
        version=version, cameras=cameras, go2rtc={"streams": streams},
        auth=AuthConfig(enabled=auth.enabled, session_length=auth.session_length, refresh_time=auth.refresh_time),
    )


def frigate_version() -> str:
    """``0.16.0-<commit>``: Frigate's API level, then which build of the appliance answers it."""
    commit = appliance().git.deploy_info().get("git_commit")
    return f"{FRIGATE_VERSION}-{commit or f'securitycam{__version__}'}"


@bp.get("/")
def alive():  # type: ignore[no-untyped-def]
    return Response("Frigate is running. Alive and healthy!", mimetype="text/plain")


@bp.get("/version")
def version():  # type: ignore[no-untyped-def]
    return Response(frigate_version(), mimetype="text/plain")


@bp.get("/config")
def config():  # type: ignore[no-untyped-def]
    return jsonify(frigate_config(appliance().settings.get(), frigate_version()).model_dump())


@bp.get("/config/schema.json")
def config_schema():  # type: ignore[no-untyped-def]
    return jsonify(FrigateConfig.model_json_schema())


# -- stats ----------------------------------------------------------------------------------------------


class CpuMeter:
    """psutil's per-process CPU percentage between calls (the first call: the average since start)."""

    def __init__(self) -> None:
        self._processes: dict[int, psutil.Process] = {}

    def usage(self, pids: list[int]) -> dict[str, dict[str, str]]:
        usages = {}
        for pid in pids:
            try:
                process = self._processes.get(pid) or psutil.Process(pid)
                fresh = pid not in self._processes
                self._processes[pid] = process
                with process.oneshot():
                    times = process.cpu_times()
                    average = 100 * (times.user + times.system) / max(1e-3, time.time() - process.create_time())
                    current = average if fresh else process.cpu_percent(interval=None)
                    if fresh:
                        process.cpu_percent(interval=None)
                    usages[str(pid)] = {"cmdline": " ".join(process.cmdline())[:200], "cpu": f"{current:.1f}",
                                        "cpu_average": f"{average:.1f}", "mem": f"{process.memory_percent():.1f}"}
            except (psutil.Error, OSError):
                self._processes.pop(pid, None)
        for gone in set(self._processes) - set(pids):
            self._processes.pop(gone, None)
        return usages


_cpu = CpuMeter()


def storage_stats() -> dict[str, dict[str, Any]]:
    """Frigate's storage block (MB) for the appliance's folders, from the disk seam."""
    a = appliance()
    partitions = {part.mountpoint: part.fstype for part in psutil.disk_partitions(all=False)}
    stats = {}
    for folder in (a.paths.recordings, a.paths.clips, a.paths.exports, a.paths.cache):
        usage = a.host.disk_usage(folder)
        mount = str(folder)
        while mount not in partitions and mount not in ("/", ""):
            mount = os.path.dirname(mount)
        stats[str(folder)] = {"total": round(usage.total / MIB, 1), "used": round(usage.used / MIB, 1),
                              "free": round(usage.free / MIB, 1), "mnt_type": partitions.get(mount, "unknown")}
    return stats


@bp.get("/stats")
def stats():  # type: ignore[no-untyped-def]
    a = appliance()
    cameras = {}
    pids = [os.getpid()]
    for camera in a.settings.get().Cameras:
        recorder = a.recorder.cameras.get(camera.name)
        pid = recorder.supervisor.pid if recorder else None
        running = bool(recorder and recorder.state == "running" and recorder.last_segment_seen
                       and a.clock.time() - recorder.last_segment_seen < 3 * camera.segment_seconds + 10)
        fps = float(camera.fps) if running else 0.0
        if pid:
            pids.append(pid)
        cameras[camera.name] = {"camera_fps": fps, "process_fps": fps, "skipped_fps": 0.0, "detection_fps": 0.0,
                                "detection_enabled": False, "capture_pid": pid, "ffmpeg_pid": pid,
                                "pid": os.getpid(), "audio_dBFS": 0.0, "audio_rms": 0.0}
    temperature = a.host.cpu_temperature()
    return jsonify({
        "cameras": cameras,
        "detection_fps": 0.0,
        "detectors": {"cpu": {"detection_start": 0.0, "inference_speed": 0.0, "pid": os.getpid()}},
        "service": {
            "uptime": round(time.time() - STARTED),
            "version": frigate_version(),
            "latest_version": frigate_version(),
            "last_updated": round(time.time()),
            "storage": storage_stats(),
            "temperatures": {"cpu": temperature} if temperature is not None else {},
        },
        "cpu_usages": {**_cpu.usage(pids), "frigate.full_system": {
            "cpu": f"{psutil.cpu_percent(interval=None):.1f}", "mem": f"{psutil.virtual_memory().percent:.1f}"}},
        "gpu_usages": {},
        "processes": {"recorder": {"pid": os.getpid()}},
    })


# -- cameras ---------------------------------------------------------------------------------------------


def find_camera(name: str) -> CameraSettings:
    for camera in appliance().settings.get().Cameras:
        if camera.name == name:
            return camera
    raise ApiError(404, f"{name} is not a valid camera.")


@bp.get("/<camera>/ptz/info")
def ptz_info(camera: str):  # type: ignore[no-untyped-def]
    """No camera here can pan, tilt or zoom: Frigate's answer for one without ONVIF."""
    return jsonify(name=find_camera(camera).name, features=[], presets=[], profiles=[])


def probe_target(camera: CameraSettings) -> list[str]:
    """ffprobe's input arguments for the camera's source (the real URL: ffprobe needs the password)."""
    if camera.source == "rtsp":
        return ["-rtsp_transport", "tcp", camera.url]
    if camera.source == "file":
        return [camera.path]
    # The synthetic camera is generated by ffmpeg itself: probe what it would produce.
    return ["-f", "lavfi", f"testsrc2=size={camera.width}x{camera.height}:rate={camera.fps}"]


@bp.get("/ffprobe")
@admin_only
def ffprobe():  # type: ignore[no-untyped-def]
    """``paths``: ``,``-separated camera names (or ``camera:<index>``), ffprobe's streams of each.

    Only configured cameras may be probed, so a client cannot make the appliance open any URL or file;
    only by admins, as in Frigate (it starts a process and talks to the camera).
    """
    raw = request.args.get("paths", "")
    if not raw.strip():
        raise params.bad("paths", "a camera name (or camera:<index>) is required")
    cameras = appliance().settings.get().Cameras
    results = []
    for entry in raw.split(","):
        entry = entry.strip()
        index = entry.split(":", 1)[1] if entry.startswith("camera:") else None
        if index is not None and index.isdigit() and int(index) < len(cameras):
            camera = cameras[int(index)]
        else:
            camera = next((c for c in cameras if c.name == entry), None)
        if camera is None:
            raise params.bad("paths", f"{entry!r} is not a configured camera")
        command = ffprobe_command(camera)
        results.append(appliance().answers.get(("ffprobe", *command), partial(run_ffprobe, command), FFPROBE_REUSE))
    return jsonify(results)


def ffprobe_command(camera: CameraSettings) -> list[str]:
    return ["ffprobe", "-v", "error", "-print_format", "json", "-show_entries",
            "stream=codec_long_name,codec_name,width,height,bit_rate,duration,display_aspect_ratio,"
            "avg_frame_rate", *probe_target(camera)]


def run_ffprobe(command: list[str]) -> dict[str, Any]:
    try:
        done = run_job(command, capture_output=True, text=True, timeout=FFPROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"return_code": -1, "stderr": redact(str(exc)), "stdout": ""}
    try:
        stdout: Any = json.loads(done.stdout) if done.stdout.strip() else ""
    except ValueError:
        stdout = redact(done.stdout)
    # ffprobe names the URL it could not open, password included.
    return {"return_code": done.returncode, "stderr": redact(done.stderr.strip()), "stdout": stdout}


# -- restart and logs --------------------------------------------------------------------------------------


@bp.post("/restart")
def restart():  # type: ignore[no-untyped-def]
    run_later(current_app.config["RESTART_DELAY"], RESTART_COMMAND)
    return jsonify(success=True, message="Restarting (this can take up to one minute)...")


def log_stream(category: str | None) -> Response:
    """Frigate's live tail: the lines the log gets from now on, as plain text. Each stream holds a
    server thread, so at most :data:`MAX_LOG_STREAMS` at once (503 beyond); one ends when its client
    goes away or the appliance stops (nginx has no log here: an empty body at once)."""
    if not _log_streams.acquire(blocking=False):
        raise ApiError(503, f"at most {MAX_LOG_STREAMS} live log streams at once", retry_after=10)
    a = appliance()
    client_gone = request.environ.get("waitress.client_disconnected") or (lambda: False)

    def stop() -> bool:
        return a.stopping.is_set() or client_gone()

    lines = logs.follow(a.paths.logs, category, stop) if category else iter(())
    next(lines, None)  # the tail starts now
    response = Response(lines, mimetype="text/plain", headers={"Cache-Control": "no-store",
                                                                "X-Accel-Buffering": "no"})
    # Released when the response is closed, whether or not it was read at all.
    response.call_on_close(_log_streams.release)
    return response


@bp.get("/logs/<service>")
def service_logs(service: str):  # type: ignore[no-untyped-def]
    """Frigate's ``{"totalLines", "lines"}`` (``start``, ``end`` slice them as Python does, so
    ``start=-100`` is the last hundred, as Frigate's log page asks; ``download`` gives the text):
    ``frigate`` is the appliance's log, ``go2rtc`` MediaMTX's (the live-view relay here); there is no nginx."""
    if service not in LOG_SERVICES:
        raise ApiError(404, "Not a valid service")
    start = params.whole("start", 0, -10_000_000, 10_000_000)
    end = params.whole("end", 0, -10_000_000, 10_000_000) or None
    category = "api" if service == "frigate" else "mediamtx"
    if params.flag("stream", False):
        return log_stream(category if service != "nginx" else None)
    lines = logs.raw_lines(appliance().paths.logs, category) if service != "nginx" else []
    if params.flag("download", False):
        return Response("\n".join(lines) + ("\n" if lines else ""), mimetype="text/plain",
                        headers={"Content-Disposition": f'attachment; filename="{service}.log"'})
    return jsonify(totalLines=len(lines), lines=lines[start:end])
