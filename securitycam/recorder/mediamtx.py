"""MediaMTX on a Pi: its config made from our settings, the process supervised, its API asked.

MediaMTX owns the cameras there (the Pi camera through ``rpiCamera``, IP cameras as relays) and
serves live view over WebRTC, HLS and RTSP; the recorder then reads each camera from MediaMTX's
RTSP server, so the camera is opened once. Where the binary is missing (here, in CI) nothing
runs and the recorder reads the sources itself.

The config is written as JSON, which is YAML: MediaMTX reads it as its ``mediamtx.yml``.
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
from securitycam.config.models import Settings
from securitycam.fileio import write_atomic
from securitycam.paths import DataPaths
from securitycam.recorder.process import RUNNING, Supervisor

log = logging.getLogger(__name__)


def render_config(settings: Settings, log_file: Path) -> dict[str, Any]:
    """MediaMTX's configuration for ``settings``: one path per enabled camera, API on loopback."""
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
        "paths": {camera.name: source_for(camera).mediamtx_path() for camera in settings.Cameras if camera.enabled},
    }


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


class MediaMTX:
    """Writes MediaMTX's config and keeps it running, when its binary is present and it is enabled."""

    def __init__(self, paths: DataPaths, clock: Clock | None = None, binary_finder=shutil.which) -> None:  # type: ignore[no-untyped-def]
        self.config_file = paths.root / "mediamtx.yml"
        self.log_file = paths.logs / "mediamtx" / "mediamtx.log"
        self._paths = paths
        self._clock = clock
        self._find = binary_finder
        self._settings: Settings | None = None
        self.supervisor: Supervisor | None = None

    @property
    def active(self) -> bool:
        return self.supervisor is not None

    def apply(self, settings: Settings) -> None:
        """(Re)write the config and (re)start MediaMTX for ``settings``; stop it if not wanted."""
        self.stop()
        self._settings = settings
        binary = self._find(settings.MediaMTX.binary) if settings.MediaMTX.enabled else None
        if not binary:
            log.info("MediaMTX not in use (%s): the recorder reads cameras directly",
                     "disabled" if not settings.MediaMTX.enabled else "binary not found")
            return
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.config_file, json.dumps(render_config(settings, self.log_file), indent=2))
        self.supervisor = Supervisor(
            "mediamtx", lambda: [binary, str(self.config_file)], log_file=self.log_file,
            pid_file=self._paths.run / "mediamtx.pid", clock=self._clock,
        )
        self.supervisor.start()

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
