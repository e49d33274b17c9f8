"""``file``: a video file played in a loop at its own pace, re-encoded so segments cut evenly."""

from __future__ import annotations

from securitycam.cameras.base import CameraSource, register_source


@register_source("file")
class FileSource(CameraSource):
    software_isp = True

    def input_args(self) -> list[str]:
        if not self.camera.path:
            raise ValueError(f"camera {self.camera.name}: source file needs a path")
        return ["-re", "-stream_loop", "-1", "-i", self.camera.path]

    def source_filters(self) -> list[str]:
        return [f"fps={self.camera.fps}"]
