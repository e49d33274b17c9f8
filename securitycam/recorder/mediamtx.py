"""MediaMTX on a Pi: its config made from our settings, the process supervised, its API asked.

MediaMTX owns the cameras there (the Pi camera through ``rpiCamera``, IP cameras as relays) and
serves live view over WebRTC, HLS and RTSP; the recorder then reads each camera from MediaMTX's
RTSP server, so the camera is opened once. Where the binary is missing (here, in CI) nothing
runs and the recorder reads the sources itself.

The config is written as JSON, which is YAML: MediaMTX reads it as its ``mediamtx.yml`` (and
JSON quotes every string, so YAML 1.1 never reads ``"off"`` as false). Each camera is one path
(two for a Pi camera turned by 90 degrees, see :mod:`securitycam.cameras.rpi_camera`) with the
camera's size, rate, rotation and ISP tuning. A change to one camera rewrites the file and
replaces just that camera's paths through MediaMTX's control API (``/v3/config/paths/...``), so
the other cameras' streams and readers go on; if the API does not answer, MediaMTX restarts.
"""

from __future__ import annotations

import json
import logging
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from securitycam.cameras import source_for
from securitycam.clock import Clock
from securitycam.config.models import CameraSettings, Settings
from securitycam.fileio import write_atomic
from securitycam.paths import DataPaths
from securitycam.recorder.process import RUNNING, Supervisor

log = logging.getLogger(__name__)


def render_config(settings: Settings, log_file: Path, cameras: list[CameraSettings] | None = None) -> dict[str, Any]:
    """MediaMTX's configuration for ``settings``: the paths of every enabled camera (``cameras``:
    the cameras as they run, e.g. with a night profile; ``settings.Cameras`` by default), API on
    loopback."""
    server = settings.MediaMTX
    return {
        "logLevel": "info",
        "logDestinations": ["file"],
        "logFile": str(log_file),
        "api": True,
        "apiAddress": f"127.0.0.1:{server.api_port}",
        "rtsp": True,
        "rtspAddress": f":{server.rtsp_port}",
        "hls": True,
        "hlsAddress": f":{server.hls_port}",
        "webrtc": True,
        "webrtcAddress": f":{server.webrtc_port}",
        "rtmp": False,
        "srt": False,
        "paths": camera_paths(settings.Cameras if cameras is None else cameras),
    }


def camera_paths(cameras: list[CameraSettings]) -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for camera in cameras:
        if camera.enabled:
            paths.update(source_for(camera).mediamtx_paths())
    return paths


def live_urls(settings: Settings, camera: str, host: str) -> dict[str, str]:
    """Where a browser or player on the LAN watches ``camera`` live through MediaMTX."""
    server = settings.MediaMTX
    return {
        "webrtc": f"http://{host}:{server.webrtc_port}/{camera}/",
        "hls": f"http://{host}:{server.hls_port}/{camera}/index.m3u8",
        "rtsp": f"rtsp://{host}:{server.rtsp_port}/{camera}",
    }


class MediaMTXClient:
    """The few calls of MediaMTX's control API (v3) we need."""

    def __init__(self, base_url: str, timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def paths(self) -> dict[str, dict[str, Any]]:
        """Each path by name: ``ready`` (a stream is there), ``source`` type, ``readers`` count."""
        with urllib.request.urlopen(f"{self.base_url}/v3/paths/list", timeout=self.timeout) as response:
            body = json.load(response)
        found = {}
        for item in body.get("items", []):
            source = item.get("source") or {}
            found[item["name"]] = {
                "ready": bool(item.get("ready")),
                "source": source.get("type"),
                "readers": len(item.get("readers") or []),
                "tracks": item.get("tracks") or [],
            }
        return found

    def update_paths(self, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
        """Make MediaMTX's paths ``new`` where they were ``old``, touching only the paths that differ
        (MediaMTX restarts just those): removed ones first, so a camera is never the source of two
        paths at once, then replaced, then added. The names of the paths changed."""
        changed = []
        for name in old.keys() - new.keys():
            self._call("DELETE", f"/v3/config/paths/delete/{name}")
            changed.append(name)
        for name in [name for name in new if name in old and old[name] != new[name]]:
            self._call("POST", f"/v3/config/paths/replace/{name}", new[name])
            changed.append(name)
        for name in [name for name in new if name not in old]:
            self._call("POST", f"/v3/config/paths/add/{name}", new[name])
            changed.append(name)
        return changed

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            response.read()


class MediaMTX:
    """Writes MediaMTX's config and keeps it running, when its binary is present and it is enabled."""

    def __init__(self, paths: DataPaths, clock: Clock | None = None, binary_finder=shutil.which) -> None:  # type: ignore[no-untyped-def]
        self.config_file = paths.root / "mediamtx.yml"
        self.log_file = paths.logs / "mediamtx" / "mediamtx.log"
        self._paths = paths
        self._clock = clock
        self._find = binary_finder
        self._settings: Settings | None = None
        self._cameras: list[CameraSettings] = []
        self.supervisor: Supervisor | None = None

    @property
    def active(self) -> bool:
        return self.supervisor is not None

    def apply(self, settings: Settings, cameras: list[CameraSettings] | None = None) -> None:
        """(Re)write the config and (re)start MediaMTX for ``settings`` (``cameras`` as they run);
        stop it if not wanted."""
        self.stop()
        self._settings = settings
        self._cameras = list(settings.Cameras if cameras is None else cameras)
        binary = self._find(settings.MediaMTX.binary) if settings.MediaMTX.enabled else None
        if not binary:
            log.info("MediaMTX not in use (%s): the recorder reads cameras directly",
                     "disabled" if not settings.MediaMTX.enabled else "binary not found")
            return
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._write()
        self.supervisor = Supervisor(
            "mediamtx", lambda: [binary, str(self.config_file)], log_file=self.log_file,
            pid_file=self._paths.run / "mediamtx.pid", clock=self._clock,
        )
        self.supervisor.start()

    def _write(self) -> dict[str, Any]:
        assert self._settings is not None
        config = render_config(self._settings, self.log_file, self._cameras)
        write_atomic(self.config_file, json.dumps(config, indent=2))
        return config

    def update_camera(self, camera: CameraSettings) -> list[str]:
        """Apply one camera's new settings (as it runs): rewrite the config, and through the API
        replace only that camera's paths, so the other cameras' streams go on. If the API cannot be
        reached, MediaMTX restarts with the new config instead. The paths changed."""
        if not self.active or self.supervisor is None:
            return []
        old = camera_paths(self._cameras)
        self._cameras = [camera if current.name == camera.name else current for current in self._cameras]
        if all(current.name != camera.name for current in self._cameras):
            self._cameras.append(camera)
        new = self._write()["paths"]
        client = self.client()
        assert client is not None
        try:
            return client.update_paths(old, new)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            log.warning("MediaMTX API unreachable (%s): restarting MediaMTX for camera %s", exc, camera.name)
            self.supervisor.restart(f"camera {camera.name} changed")
            return sorted(set(old) | set(new))

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None

    def relay_url(self, camera: str) -> str | None:
        """MediaMTX's RTSP URL for ``camera`` on loopback, or ``None`` when it is not in use."""
        if not self.active or self._settings is None:
            return None
        return f"rtsp://127.0.0.1:{self._settings.MediaMTX.rtsp_port}/{camera}"

    def client(self) -> MediaMTXClient | None:
        if not self.active or self._settings is None:
            return None
        return MediaMTXClient(f"http://127.0.0.1:{self._settings.MediaMTX.api_port}")

    def describe(self, settings: Settings, host: str) -> dict[str, Any]:
        """For ``GET /cameras``: whether it runs, and each camera's live URLs and readiness."""
        running = self.active and self.supervisor is not None and self.supervisor.state == RUNNING
        state: dict[str, Any] = {"running": running, "paths": {}}
        client = self.client()
        if client is not None and running:
            try:
                state["paths"] = client.paths()
            except (OSError, urllib.error.URLError, ValueError) as exc:
                state["error"] = str(exc)
        state["live"] = {camera.name: live_urls(settings, camera.name, host)
                         for camera in settings.Cameras} if self.active else {}
        return state
