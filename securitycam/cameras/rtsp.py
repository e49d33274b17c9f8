"""``rtsp``: any RTSP URL (an IP camera, or another MediaMTX), kept as it comes (no re-encode).

Its picture is tuned in the camera itself, so the ISP settings do not apply; a rotation does, at
the cost of re-encoding (through ffmpeg, also under MediaMTX, which then publishes ffmpeg's output
instead of relaying the camera).
"""

from __future__ import annotations

from typing import Any

from securitycam.cameras.base import CameraSource, register_source


@register_source("rtsp")
class RtspSource(CameraSource):
    stream_copy = True

    def input_args(self) -> list[str]:
        if not self.camera.url:
            raise ValueError(f"camera {self.camera.name}: source rtsp needs a url")
        return ["-rtsp_transport", "tcp", "-timeout", "5000000", "-i", self.camera.url]

    def mediamtx_paths(self) -> dict[str, dict[str, Any]]:
        if not self.copies:
            return super().mediamtx_paths()
        return {self.camera.name: {"source": self.camera.url, "rtspTransport": "tcp"}}
