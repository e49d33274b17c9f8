"""``rpi_camera``: the Raspberry Pi camera module, opened by MediaMTX's ``rpiCamera`` source.

MediaMTX owns the camera (libcamera, hardware H.264); the recorder reads MediaMTX's RTSP stream
and keeps it without re-encoding. With no MediaMTX there is no way to open this camera.

Size, frame rate and every ISP setting are ``rpiCamera*`` options of the path, so the sensor and
its ISP do the work. libcamera can only flip the picture, which makes 180 degrees (both flips)
free; MediaMTX has no option for 90 or 270 degrees, so then the camera publishes under
``<name>/raw`` and ffmpeg re-encodes it turned into the camera's own path (software H.264: it
costs CPU, keep the size small on a Pi Zero). ``rotation_mode: encoder`` does 180 that way too.
"""

from __future__ import annotations

from typing import Any

from securitycam.cameras.base import (
    CameraSource,
    h264_encode_args,
    keyframe_interval,
    publish_with_ffmpeg,
    register_source,
    rotation_filters,
)

RAW_SUFFIX = "/raw"


@register_source("rpi_camera")
class RpiCameraSource(CameraSource):
    stream_copy = True
    needs_mediamtx = True

    def input_args(self) -> list[str]:
        raise ValueError(f"camera {self.camera.name}: source rpi_camera needs MediaMTX")

    def flips(self) -> bool:
        """Whether the sensor's flips do the rotation (else ffmpeg turns the picture)."""
        return self.camera.rotation == 180 and self.camera.rotation_mode == "auto"

    def filters(self) -> list[str]:
        # Under MediaMTX the recorder reads the finished stream: nothing left for it to filter.
        return []

    def rpicamera_options(self) -> dict[str, Any]:
        camera, isp = self.camera, self.camera.isp
        return {
            "source": "rpiCamera",
            "rpiCameraWidth": camera.width,
            "rpiCameraHeight": camera.height,
            "rpiCameraFPS": camera.fps,
            "rpiCameraHFlip": self.flips(),
            "rpiCameraVFlip": self.flips(),
            "rpiCameraBrightness": isp.brightness,
            "rpiCameraContrast": isp.contrast,
            "rpiCameraSaturation": isp.saturation,
            "rpiCameraSharpness": isp.sharpness,
            "rpiCameraEV": isp.ev,
            "rpiCameraAWB": isp.awb,
            "rpiCameraExposure": isp.exposure,
            "rpiCameraDenoise": isp.denoise,
            "rpiCameraMetering": isp.metering,
            "rpiCameraIDRPeriod": keyframe_interval(camera),
        }

    def mediamtx_paths(self) -> dict[str, dict[str, Any]]:
        camera = self.camera
        if camera.rotation == 0 or self.flips():
            return {camera.name: self.rpicamera_options()}
        raw = camera.name + RAW_SUFFIX
        turned = publish_with_ffmpeg(["-rtsp_transport", "tcp", "-i", f"rtsp://localhost:$RTSP_PORT/{raw}"],
                                     rotation_filters(camera.rotation),
                                     h264_encode_args(keyframe_interval(camera)))
        return {raw: self.rpicamera_options(), camera.name: turned}
