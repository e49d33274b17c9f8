"""``rpi_camera``: the Raspberry Pi camera module, opened by MediaMTX's ``rpiCamera`` source.

MediaMTX owns the camera (libcamera, hardware H.264); the recorder reads MediaMTX's RTSP stream
and keeps it without re-encoding. With no MediaMTX there is no way to open this camera.
"""

from __future__ import annotations

from typing import Any

from securitycam.cameras.base import CameraSource, register_source


@register_source("rpi_camera")
class RpiCameraSource(CameraSource):
    stream_copy = True
    needs_mediamtx = True

    def input_args(self) -> list[str]:
        raise ValueError(f"camera {self.camera.name}: source rpi_camera needs MediaMTX")

    def mediamtx_path(self) -> dict[str, Any]:
        camera = self.camera
        return {
            "source": "rpiCamera",
            "rpiCameraWidth": camera.width,
            "rpiCameraHeight": camera.height,
            "rpiCameraFPS": camera.fps,
            # A keyframe at every segment boundary, so stream-copied segments cut where asked.
            "rpiCameraIDRPeriod": max(1, round(camera.fps * camera.segment_seconds)),
        }
