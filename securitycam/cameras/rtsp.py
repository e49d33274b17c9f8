"""``rtsp``: any RTSP URL (an IP camera, or another MediaMTX), kept as it comes (no re-encode)."""

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

    def mediamtx_path(self) -> dict[str, Any]:
        return {"source": self.camera.url, "rtspTransport": "tcp"}
